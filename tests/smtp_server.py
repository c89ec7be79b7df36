"""A real SMTP server for the tests: aiosmtpd on a free loopback port, in its own thread.

:func:`smtp_server` starts one that keeps every message it accepts (``server.received``: the
envelope's sender and recipients and the bytes as they arrived). ``refuse_first=N`` answers the
first N messages' DATA with ``451`` (try again later), as a busy or grey-listing server does;
``refuse_with`` changes the answer (``550 ...``: refused for good).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

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

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def attempts(self) -> int:
        return self.handler.attempts

    def config(self) -> MailServer:
        """The ``[smtp]`` settings for this server (no TLS, no login: loopback only)."""
        return MailServer(kind="smtp", where="test", host=self.host, port=self.port,
                          security="none")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(*, refuse_first: int = 0,
                refuse_with: str = "451 4.3.0 try again later") -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1, stopped on exit."""
    handler = Handler(refuse_first=refuse_first, refuse_with=refuse_with)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


def nothing_listening() -> MailServer:
    """``[smtp]`` settings of a loopback port where no server listens (a server down)."""
    return MailServer(kind="smtp", where="test", host="127.0.0.1", port=free_port(),
                      security="none")
