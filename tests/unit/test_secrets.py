"""A database password is never printed: every failing way to give deskterm a URL (``--db``, the
environment, the config file, the console) with a known password, and all of stdout and stderr
searched for it and for its parts.

The authentication failure is a real one: a small server speaking PostgreSQL's protocol asks
psycopg for the password in clear, checks it was sent, and refuses it (the test server's own
PostgreSQL trusts every local login, so it cannot refuse one).
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from deskterm import paths
from deskterm.cli import app
from deskterm.db.engine import parse_url
from deskterm.db.errors import StoreUnavailable
from deskterm.desk.safe_text import message_line
from deskterm.redact import mask_secrets, mask_url

from ..tui.pty_term import PtyTerminal

PASSWORD = "S3cretPw"
SPLIT = "S3c@retPw"  # a password with an unencoded '@'
NEEDLES = (PASSWORD, "S3cret", "cretPw", "S3c@", "retPw")


class RefusingServer:
    """Speaks just enough of PostgreSQL's protocol to ask for a password and refuse it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.passwords: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @staticmethod
    def _read(conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                raise ConnectionError("client went away")
            data += chunk
        return data

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn, contextlib.suppress(OSError):  # ConnectionError is one
                self._refuse(conn)

    def _refuse(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        while True:  # SSLRequest / GSSENCRequest first: answer "no", then the startup message
            length = struct.unpack("!I", self._read(conn, 4))[0]
            body = self._read(conn, length - 4)
            if struct.unpack("!I", body[:4])[0] not in (80877103, 80877104):
                break
            conn.sendall(b"N")
        conn.sendall(b"R" + struct.pack("!II", 8, 3))  # AuthenticationCleartextPassword
        self._read(conn, 1)
        length = struct.unpack("!I", self._read(conn, 4))[0]
        self.passwords.append(self._read(conn, length - 4).rstrip(b"\0").decode())
        fields = (b"SFATAL\0VFATAL\0C28P01\0"
                  b'Mpassword authentication failed for user "postgres"\0\0')
        conn.sendall(b"E" + struct.pack("!I", len(fields) + 4) + fields)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def refusing_server() -> Iterator[RefusingServer]:
    server = RefusingServer()
    yield server
    server.close()


def bad_urls(refusing_port: int) -> dict[str, str]:
    """Every kind of failing URL, each holding the password."""
    pw = PASSWORD
    return {
        "no colon": f"postgresql//postgres:{pw}@127.0.0.1/x",
        "one slash": f"postgresql:/postgres:{pw}@127.0.0.1/db",
        "no scheme": f"postgres:{pw}@127.0.0.1/db",
        "unencoded @": f"postgresql://postgres:{SPLIT}@127.0.0.1/db",
        "port not a number": f"postgresql://postgres:{pw}@127.0.0.1:abc/db",
        "password as port": f"postgresql://postgres:{pw}/db",
        "password parameter": f"postgresql://postgres@127.0.0.1:1/db?password={pw}",
        "bad parameter": f"postgresql://postgres@127.0.0.1/db?password={pw}&sslmode=bogus",
        "unknown option": f"postgresql://postgres:{pw}@127.0.0.1/db?foo=bar",
        "keywords": f"host=127.0.0.1 password={pw}",
        "sqlite with a host": f"sqlite://u:{pw}@host/x",
        "unsupported": f"mysql://u:{pw}@h/d",
        "refused port": f"postgresql://postgres:{pw}@127.0.0.1:1/db",
        "unknown host": f"postgresql://postgres:{pw}@nohost.invalid/db",
        "wrong database": f"postgresql://postgres:{pw}@127.0.0.1:5432/deskterm_no_such_db",
        "unknown role": f"postgresql://no_such_role:{pw}@127.0.0.1:5432/postgres",
        "auth failure": f"postgresql://postgres:{pw}@127.0.0.1:{refusing_port}/db",
    }


COMMANDS = [("ticket", "list"), ("init",), ("db", "current")]  # the store opened each way


def assert_no_secret(text: str) -> None:
    for needle in NEEDLES:
        assert needle not in text, f"{needle!r} printed in: {text!r}"
    assert "Traceback" not in text


@pytest.mark.parametrize("source", ["--db", "env", "config"])
def test_no_failing_url_prints_its_password(source, refusing_server, monkeypatch):
    runner = CliRunner()
    for kind, url in bad_urls(refusing_server.port).items():
        argv: list[str] = []
        monkeypatch.delenv("DESKTERM_DATABASE_URL", raising=False)
        if source == "--db":
            argv = ["--db", url]
        elif source == "env":
            monkeypatch.setenv("DESKTERM_DATABASE_URL", url)
        else:
            paths.config_file().parent.mkdir(parents=True, exist_ok=True)
            paths.config_file().write_text(f"database_url = {url!r}\n")  # a TOML literal
            paths.config_file().chmod(0o600)  # a password in it: only its owner may read it
        for command in COMMANDS:
            result = runner.invoke(app, [*argv, *command], catch_exceptions=False)
            assert result.exit_code == 1, (kind, command, result.stdout, result.stderr)
            assert result.stderr.startswith("deskterm: "), (kind, result.stderr)
            assert result.stderr.count("\n") == 1, (kind, result.stderr)
            assert_no_secret(result.stdout + result.stderr)
    assert PASSWORD in refusing_server.passwords, "psycopg really sent it, and was refused"


def test_a_config_file_that_is_not_toml_does_not_print_the_line(refusing_server):
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text(f"database_url = postgresql://postgres:{PASSWORD}@h/db\n")
    result = CliRunner().invoke(app, ["ticket", "list"], catch_exceptions=False)
    assert result.exit_code == 1 and "not valid TOML" in result.stderr
    assert_no_secret(result.stdout + result.stderr)


def test_the_messages_name_what_is_wrong_with_the_url(refusing_server):
    urls = bad_urls(refusing_server.port)
    says = {
        "unencoded @": "holds an '@': write it as %40",
        "port not a number": "the port (after the host's ':') must be a number",
        "password as port": "postgresql://postgres:***/db: the port",
        "no colon": "not a database URL: postgresql//***@127.0.0.1/x",
        "sqlite with a host": "a SQLite URL names a file",
        "auth failure": "password authentication failed",
    }
    for kind, expected in says.items():
        result = CliRunner().invoke(app, ["--db", urls[kind], "ticket", "list"])
        assert expected in result.stderr, (kind, result.stderr)


def test_the_command_as_a_process_prints_no_password(refusing_server):
    """The installed command (its interpreter's own output included), from the environment."""
    env = {**os.environ, "DESKTERM_DATABASE_URL":
           f"postgresql://postgres:{PASSWORD}@127.0.0.1:{refusing_server.port}/db"}
    done = subprocess.run([sys.executable, "-m", "deskterm", "ticket", "list"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "password authentication failed" in done.stderr
    assert_no_secret(done.stdout + done.stderr)


@pytest.mark.parametrize("kind", ["no colon", "unencoded @", "auth failure"])
def test_the_console_refuses_a_bad_url_without_its_password(kind, refusing_server):
    url = bad_urls(refusing_server.port)[kind]
    with PtyTerminal([sys.executable, "-m", "deskterm", "--db", url]) as term:
        assert term.wait_exit(timeout=60) == 1
        raw = bytes(term.raw).decode("utf-8", "replace")
    assert "deskterm: " in raw
    assert_no_secret(raw)


@pytest.mark.parametrize("source", ["env", "config"])
def test_the_console_from_env_or_config_prints_no_password(source, refusing_server, tmp_path):
    url = bad_urls(refusing_server.port)["unencoded @"]
    env = dict(os.environ)
    if source == "env":
        env["DESKTERM_DATABASE_URL"] = url
    else:
        folder = tmp_path / "config"
        folder.mkdir()
        (folder / "config.toml").write_text(f"database_url = {url!r}\n")
        (folder / "config.toml").chmod(0o600)
        env["DESKTERM_CONFIG_DIR"] = str(folder)
    with PtyTerminal([sys.executable, "-m", "deskterm"], env=env) as term:
        assert term.wait_exit(timeout=60) == 1
        raw = bytes(term.raw).decode("utf-8", "replace")
    assert "write it as %40" in raw
    assert_no_secret(raw)


# --- the masking itself -------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://postgres:pw@db.example/desk", "postgresql://postgres:***@db.example/desk"),
    ("postgresql://u:p@ss@host/db", "postgresql://u:***@host/db"),
    ("postgresql//postgres:pw@host/x", "postgresql//***@host/x"),
    ("postgresql://postgres:pw/db", "postgresql://postgres:***/db"),
    ("postgresql://postgres@host:5432/db", "postgresql://postgres@host:5432/db"),
    ("postgresql://h/db?sslmode=require&password=pw",
     "postgresql://h/db?sslmode=require&password=***"),
    ("host=h password=pw dbname=x", "host=h password=*** dbname=x"),
    ("sqlite:////srv/desk@team.sqlite3", "sqlite:////srv/desk@team.sqlite3"),
    ("sqlite:///u:pw@host/x", "sqlite:///***@host/x"),
    ("postgresql://[::1]:5432/db", "postgresql://[::1]:5432/db"),
])
def test_mask_url_hides_credentials_whether_or_not_the_url_parses(url, shown):
    assert mask_url(url) == shown


def test_masking_a_message_twice_changes_nothing():
    message = f"cannot open {mask_url('postgresql://h/db?password=pw')}: refused"
    assert message == "cannot open postgresql://h/db?password=***: refused"
    assert mask_secrets(message) == message


def test_mask_secrets_finds_urls_inside_a_message():
    message = "cannot open 'postgresql://u:p@ss@host/db' (retry with password=x1)"
    assert mask_secrets(message) == ("cannot open 'postgresql://u:***@host/db' "
                                     "(retry with password=***)")


@pytest.mark.parametrize("text", ["x" * 50_000, "x1" * 25_000, "x" * 50_000 + "!//",
                                  "pwd " * 20_000, "a://" * 20_000, "ab." * 20_000 + "//u:pw@h"])
def test_masking_a_long_message_takes_no_longer_than_reading_it(text):
    # Each letter tried as a URL's start made 50,000 letters (an argument echoed in an error)
    # take about 40 s.
    started = time.perf_counter()
    message_line(f"status '{text}' is not one of: new")
    assert time.perf_counter() - started < 1.0


def test_a_url_after_digits_or_dots_is_masked_and_they_are_kept():
    assert mask_secrets("see 1postgresql://u:pw@h/x and .-postgres://v:pw@h/y") == (
        "see 1postgresql://u:***@h/x and .-postgres://v:***@h/y")


_PREFIXES = ["postgresql://", "postgresql+psycopg://", "postgresql//", "postgresql:/",
             "postgresql:", "postgres://", "", "sqlite://", "mysql://", "postgresql:///"]
_SUFFIXES = ["/db", ":5432/db", ":abc/db", "", "/db?sslmode=require", ":/db", "@other/db"]


@settings(max_examples=300, deadline=None)
@given(prefix=st.sampled_from(_PREFIXES), suffix=st.sampled_from(_SUFFIXES),
       password=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)),
                        max_size=20).map(lambda middle: f"Pw{middle}Zz"))
def test_no_password_survives_parsing_or_display(prefix, suffix, password):
    """Whatever the password holds (@, :, /, spaces, escapes) and whether or not the URL parses:
    neither the refusal nor the shown URL holds it, nor a part of it cut at an '@'."""
    url = f"{prefix}agent:{password}@db.example{suffix}"
    try:
        parse_url(url)
    except StoreUnavailable as refused:
        shown = message_line(str(refused))
    else:
        shown = mask_url(url)
    in_message = message_line(f"cannot open {mask_url(url)}: refused")
    for part in [password, *(p for p in password.split("@") if len(p) >= 4)]:
        assert part not in shown
        assert part not in in_message
