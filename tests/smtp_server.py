"""A real SMTP server for the tests: aiosmtpd on a free loopback port, in its own thread.

:func:`smtp_server` starts one that keeps every message it accepts (``server.received``: the
envelope's sender and recipients and the bytes as they arrived). ``refuse_first=N`` answers the
first N messages' DATA with ``451`` (try again later), as a busy or grey-listing server does;
``refuse_with`` changes the answer (``550 ...``: refused for good). ``security`` ``starttls`` or
``tls`` serves a self-signed certificate for 127.0.0.1 made with ``openssl req``
(``server.ca_file`` trusts it); with ``login=(user, password)`` it asks for that login.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from deskterm.config_mail import MailServer


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes


@dataclass
class Handler:
    refuse_first: int = 0
    refuse_with: str = "451 4.3.0 try again later"
    received: list[Received] = field(default_factory=list)
    attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.attempts += 1
            if self.attempts <= self.refuse_first:
                return self.refuse_with
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          bytes(envelope.original_content or envelope.content)))
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: Handler
    security: str = "none"
    ca_file: Path | None = None
    user: str | None = None

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def attempts(self) -> int:
        return self.handler.attempts

    def config(self, **changes) -> MailServer:
        """The ``[smtp]`` settings for this server (``changes``: other values)."""
        values = {"kind": "smtp", "where": "test", "host": self.host, "port": self.port,
                  "security": self.security, "ca_file": self.ca_file, "user": self.user}
        values.update(changes)
        return MailServer(**values)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True)
    return cert, key


def _checking(login: tuple[str, str]):
    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(), auth_data.password.decode()) == login
        return AuthResult(success=ok, handled=False)
    return authenticator


@contextmanager
def smtp_server(*, refuse_first: int = 0, refuse_with: str = "451 4.3.0 try again later",
                security: str = "none",
                login: tuple[str, str] | None = None) -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1, stopped on exit."""
    handler = Handler(refuse_first=refuse_first, refuse_with=refuse_with)
    port = free_port()
    kwargs: dict = {}
    with tempfile.TemporaryDirectory(prefix="deskterm-smtp-") as folder:
        ca_file = None
        if security != "none":
            ca_file, key = _certificate(Path(folder))
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(ca_file, key)
            if security == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                kwargs.update(ssl_context=context, server_hostname="127.0.0.1")
        if login is not None:
            # (aiosmtpd sees only STARTTLS as TLS: over implicit TLS it must not ask for it)
            kwargs.update(authenticator=_checking(login), auth_required=True,
                          auth_require_tls=security == "starttls")
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        try:
            yield SmtpServer("127.0.0.1", port, handler, security, ca_file,
                             login[0] if login else None)
        finally:
            controller.stop()


def nothing_listening() -> MailServer:
    """``[smtp]`` settings of a loopback port where no server listens (a server down)."""
    return MailServer(kind="smtp", where="test", host="127.0.0.1", port=free_port(),
                      security="none")
