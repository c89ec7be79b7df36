"""A real IMAP server for the tests: Debian's dovecot-imapd, started once per test process on
free loopback ports, with its own configuration, run, state and mail directories under a
temporary directory.

- ``tls_port`` speaks TLS from the first byte (IMAPS), ``plain_port`` plain IMAP with STARTTLS
  offered; both present a self-signed certificate for ``localhost`` / ``127.0.0.1`` made with
  ``openssl req`` (``ca_file`` is that certificate, to trust it).
- Users live in a passwd-file with plain passwords; :meth:`DovecotServer.add_user` hands out
  a new one, so each test has mailboxes of its own.
- Run as an ordinary user, every dovecot process runs as that user. Run as root (CI, containers),
  dovecot's login processes refuse root: they run as the package's ``dovenull``, its internal
  processes and the mail as ``dovecot`` (mail owned by uid 0 is refused too).

When dovecot is not installed the IMAP tests are skipped with that reason, except in CI
(CI=true), where it is a failure (``.ci/run`` installs dovecot-imapd), as for PostgreSQL.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import IMAPClient

from deskterm.config_mail import MailServer

HOST = "127.0.0.1"
STARTUP_SECONDS = 15.0
USERS = 400


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)),
        None)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


WATCHED = """
exec 3<&0
"$0" -F -c "$1" </dev/null &
pid=$!
(read _ <&3; kill "$pid" 2>/dev/null) &
wait "$pid"
"""
"""dovecot under a shell that ends it when its standard input (a pipe from the test process)
closes: at the end of the session, and when the test process dies however it dies (a killed
pytest worker must not leave a server behind; dovecot drops a parent-death signal)."""


@dataclass(frozen=True)
class ImapUser:
    name: str
    password: str


class DovecotServer:
    """One dovecot instance of this test process."""

    def __init__(self, binary: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="deskterm-dovecot-"))
        self.root.chmod(0o711)  # dovecot's own users (when run as root) reach the mail under it
        self.passwd = self.root / "passwd"
        self._users = [ImapUser(f"u{n:03d}x{uuid.uuid4().hex[:6]}", f"pw-{uuid.uuid4().hex}")
                       for n in range(USERS)]
        self._users.reverse()
        self.passwd.write_text("".join(f"{u.name}:{{PLAIN}}{u.password}::::::\n"
                                       for u in self._users))
        self.ca_file = self.root / "cert.pem"
        self.log = self.root / "dovecot.log"
        self._make_certificate()
        self.process: subprocess.Popen[bytes] | None = None
        for _ in range(3):  # a port taken between choosing it and binding: choose again
            self.tls_port, self.plain_port = free_port(), free_port()
            self._write_config()
            self.process = subprocess.Popen(
                ["sh", "-c", WATCHED, binary, str(self.root / "dovecot.conf")],
                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, stdin=subprocess.PIPE)
            if self._wait_listening():
                return
            self._stop()
        raise RuntimeError(f"dovecot did not start: {self._log_tail()}")

    # -- set-up ------------------------------------------------------------------------------

    def _make_certificate(self) -> None:
        key = self.root / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-keyout", str(key), "-out", str(self.ca_file), "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
            check=True, capture_output=True)
        key.chmod(0o600)

    def _write_config(self) -> None:
        root = self.root
        for sub in ("run", "state"):
            shutil.rmtree(root / sub, ignore_errors=True)
            (root / sub).mkdir()
        home = root / "home"
        home.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            internal = pwd.getpwnam("dovecot")
            login_user = "dovenull"
            os.chown(home, internal.pw_uid, internal.pw_gid)
            mail_uid, mail_gid, user, group = (internal.pw_uid, internal.pw_gid, "dovecot",
                                               "dovecot")
            auth_user = "root"
        else:
            me = pwd.getpwuid(os.geteuid())
            mail_uid, mail_gid = me.pw_uid, me.pw_gid
            user = login_user = auth_user = me.pw_name
            group = str(me.pw_gid)
            try:
                import grp

                group = grp.getgrgid(me.pw_gid).gr_name
            except KeyError:
                pass
        (root / "dovecot.conf").write_text(f"""\
base_dir = {root}/run
state_dir = {root}/state
log_path = {self.log}
protocols = imap
listen = {HOST}
ssl = yes
ssl_cert = <{self.ca_file}
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
# no pause after a refused login, and no growing penalty for the address (the tests refuse some)
auth_failure_delay = 0
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = {mail_uid}
last_valid_uid = {mail_uid}
first_valid_gid = {mail_gid}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={home}/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {HOST}
    port = {self.plain_port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth {{
  user = {auth_user}
}}
""")

    def _wait_listening(self) -> bool:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False
            try:
                for port in (self.tls_port, self.plain_port):
                    socket.create_connection((HOST, port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def _log_tail(self) -> str:
        try:
            return " | ".join(self.log.read_text(errors="replace").splitlines()[-5:])
        except OSError:
            return "(no log)"

    def _stop(self) -> None:
        if self.process is None:
            return
        if self.process.stdin is not None:
            self.process.stdin.close()  # the shell ends dovecot and waits for it
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def close(self) -> None:
        self._stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- what the tests use ------------------------------------------------------------------

    def add_user(self) -> ImapUser:
        """A user of its own with empty mailboxes (one of those written before the start:
        dovecot rereads a changed passwd-file only when its mtime moves, by whole seconds)."""
        if not self._users:
            raise RuntimeError(f"more than {USERS} IMAP users in one test process")
        return self._users.pop()

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def client(self, user: ImapUser) -> IMAPClient:
        """A logged-in client over TLS, for a test to put mail in and look at it."""
        client = IMAPClient(HOST, port=self.tls_port, ssl=True, ssl_context=self.ssl_context(),
                            timeout=10)
        client.login(user.name, user.password)
        return client

    def append(self, user: ImapUser, *messages: bytes, folder: str = "INBOX") -> None:
        with self.client(user) as client:
            if folder != "INBOX" and not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in messages:
                client.append(folder, raw)

    def flags(self, user: ImapUser, folder: str = "INBOX") -> dict[int, set[bytes]]:
        """UID -> flags of every message in ``folder``."""
        with self.client(user) as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            found = client.get_flags(uids) if uids else {}
            return {int(uid): {bytes(f) for f in flags} for uid, flags in found.items()}

    def settings(self, user: ImapUser, *, security: str = "tls", folder: str = "INBOX",
                 after: str = "seen", move_to: str | None = None,
                 password: str | None = None) -> MailServer:
        """The ``[imap]`` settings a desk would have to read ``user``'s mail here."""
        port = self.tls_port if security == "tls" else self.plain_port
        return MailServer(kind="imap", where="test [imap]", host=HOST, port=port,
                          security=security, user=user.name,
                          inline_password=user.password if password is None else password,
                          ca_file=self.ca_file, folder=folder, after=after, move_to=move_to)



@pytest.fixture(scope="session")
def imap_server() -> Iterator[DovecotServer]:
    """This test process's dovecot; skipped (failed in CI) when dovecot is not installed."""
    binary = dovecot_binary()
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    if binary is None:
        reason = "dovecot is not installed (apt-get install dovecot-imapd): no IMAP server"
        if in_ci:
            pytest.fail(f"{reason} (CI=true: the IMAP tests must run; .ci/run installs it)")
        pytest.skip(reason)
    server = DovecotServer(binary)
    atexit.register(server.close)  # also when the session ends without fixture teardown
    yield server
    server.close()
