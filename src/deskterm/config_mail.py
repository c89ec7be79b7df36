"""The mail servers of config.toml: ``[imap]`` (where ``deskterm mail fetch`` reads) and ``[smtp]``
(where the outbox sends). Standard library only, like :mod:`deskterm.config`.

A password is never written in a setting anyone can read: it comes from an environment variable
(``password_env``, by default ``DESKTERM_IMAP_PASSWORD`` / ``DESKTERM_SMTP_PASSWORD``), from a
file only its owner can read (``password_file``, mode 0600 or 0400), or from ``password`` in a
config.toml that is itself mode 0600. It is read when a connection is made, never printed.
"""

from __future__ import annotations

import ipaddress
import os
import re
import ssl
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deskterm.redact import mask_secrets

SECURITIES = ("tls", "starttls", "none")
"""``tls``: TLS from the first byte (IMAPS 993, SMTPS 465); ``starttls``: plain, then upgraded
before the login (IMAP 143, SMTP submission 587); ``none``: no encryption, only to this machine
(a password is never sent in clear to another host)."""

DEFAULT_PORTS = {
    ("imap", "tls"): 993, ("imap", "starttls"): 143, ("imap", "none"): 143,
    ("smtp", "tls"): 465, ("smtp", "starttls"): 587, ("smtp", "none"): 25,
}

AFTER_IMPORT = ("seen", "move")
"""What ``mail fetch`` does with a message once it is on the desk: mark it seen, or move it to
``move_to``."""

SERVER_KEYS = ("host", "port", "security", "user", "password", "password_env", "password_file",
               "ca_file")
IMAP_KEYS = (*SERVER_KEYS, "folder", "after", "move_to")
SMTP_KEYS = SERVER_KEYS

PASSWORD_VARIABLES = {"imap": "DESKTERM_IMAP_PASSWORD", "smtp": "DESKTERM_SMTP_PASSWORD"}

LOOPBACK = ("localhost", "127.0.0.1", "::1")

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HOST_CHARACTERS = frozenset("-._")


class MailConfigError(Exception):
    """A mail server setting is missing or bad, or its password cannot be read. (Reading
    config.toml turns it into :class:`deskterm.config.ConfigError`; :meth:`MailServer.password`
    raises it as it is.)"""


@dataclass(frozen=True)
class MailServer:
    """One mail server deskterm talks to. :meth:`password` reads the secret when it is needed."""

    kind: str
    """``imap`` or ``smtp``."""
    where: str
    """Where the settings came from (the config file and table), for messages."""
    host: str
    port: int
    security: str
    user: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    inline_password: str | None = None
    ca_file: Path | None = None
    """A CA bundle to trust besides the system's (a desk's own mail server, a test server)."""
    folder: str = "INBOX"
    after: str = "seen"
    move_to: str | None = None

    def __repr__(self) -> str:  # never show a password, even in a debugger or a log line
        return (f"MailServer(kind={self.kind!r}, host={self.host!r}, port={self.port}, "
                f"security={self.security!r}, user={self.user!r})")

    @property
    def address(self) -> str:
        """``host:port`` as messages show it."""
        return f"{self.host}:{self.port}"

    def tls_context(self) -> ssl.SSLContext:
        """The TLS context to verify this server with: the system's CAs and :attr:`ca_file`;
        MailConfigError in one line if that file holds no certificates."""
        context = ssl.create_default_context()
        if self.ca_file is not None:
            try:
                context.load_verify_locations(cafile=str(self.ca_file))
            except (OSError, ssl.SSLError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                raise MailConfigError(f"{self.where}: ca_file {self.ca_file}: cannot be read "
                                      f"as certificates ({reason})") from None
        return context

    def password(self) -> str | None:
        """The password, read now; None when the server takes no login. MailConfigError naming
        the variable or file (never the password) when it cannot be read."""
        if self.inline_password is not None:
            return self.inline_password
        if self.password_file is not None:
            return read_password_file(self.password_file, f"{self.where}: password_file")
        variable = self.password_env or PASSWORD_VARIABLES[self.kind]
        value = os.environ.get(variable)
        if value is None:
            if self.password_env is not None:  # not named: it may be the password, misplaced
                raise MailConfigError(f"{self.where}: password_env: the variable it names is "
                                      "not set")
            if self.user is not None:
                raise MailConfigError(f"{self.where}: the password variable ${variable} is not "
                                      "set")
            return None
        return value


def read_password_file(path: Path, where: str) -> str:
    """The first line of a file only its owner may read; MailConfigError otherwise."""
    try:
        with path.open("rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise MailConfigError(f"{where}: {path} can be read by others (mode "
                                      f"{stat.S_IMODE(mode):04o}): chmod 600 it")
            data = handle.read(4096)
    except OSError as exc:
        raise MailConfigError(f"{where}: cannot read {path}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MailConfigError(f"{where}: {path} is not UTF-8 text") from None
    return text.splitlines()[0] if text else ""


def _string(table: dict[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value or any(not ch.isprintable() for ch in value):
        raise MailConfigError(f"{where}: {key}: must be a non-empty line of text")
    return value


def _path(table: dict[str, Any], key: str, where: str) -> Path | None:
    value = _string(table, key, where)
    return Path(value).expanduser() if value is not None else None


# The checks below never quote the value they refuse: a password put in the wrong key (a URL with
# credentials as ``host``, the password itself as ``password_env`` or ``password_file``) would
# otherwise be printed by the message that refuses it.

def _host(table: dict[str, Any], where: str) -> str:
    """A host name or an IP address alone (an IPv6 address with or without its brackets)."""
    host = _string(table, "host", where)
    if host is None:
        raise MailConfigError(f"{where}: host: is missing")
    try:
        return str(ipaddress.ip_address(host.removeprefix("[").removesuffix("]")))
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    if all(label and all(ch.isalnum() or ch in _HOST_CHARACTERS for ch in label)
           and label[0] != "-" and label[-1] != "-" for label in labels):
        return host
    raise MailConfigError(f"{where}: host: must be a host name or an IP address alone, without "
                          "a scheme, user, password or port (e.g. host = \"mail.example.com\"; "
                          "the port goes in port)")


def _password_env(table: dict[str, Any], where: str) -> str | None:
    value = table.get("password_env")
    if value is None:
        return None
    if not isinstance(value, str) or not _VARIABLE.fullmatch(value):
        raise MailConfigError(f"{where}: password_env: must be the name of an environment "
                              "variable (letters, digits and '_'), not the password")
    return value


def _password_file(table: dict[str, Any], where: str) -> Path | None:
    value = table.get("password_file")
    if value is None:
        return None
    if (not isinstance(value, str) or not value.startswith(("/", "~/"))
            or any(not ch.isprintable() for ch in value)):
        raise MailConfigError(f"{where}: password_file: must be the full path of a file holding "
                              "the password (/... or ~/...), not the password")
    return Path(value).expanduser()


def parse_server(kind: str, table: Any, where: str, *, config_mode: int | None) -> MailServer:
    """The ``[imap]`` or ``[smtp]`` table of config.toml as a MailServer; MailConfigError naming
    the key for a missing or bad value. ``config_mode`` is the config file's mode (an inline
    ``password`` needs 0600)."""
    where = f"{where}: [{kind}]"
    if not isinstance(table, dict):
        raise MailConfigError(f"{where}: must be a table ([{kind}] with host = ...)")
    known = IMAP_KEYS if kind == "imap" else SMTP_KEYS
    for key in table:
        if key not in known:
            shown = mask_secrets("".join(ch for ch in str(key) if ch.isprintable()))[:60]
            raise MailConfigError(f"{where}: unknown setting '{shown}'; the settings are "
                                  f"{', '.join(known)}")
    host = _host(table, where)
    security = table.get("security", "tls")
    if security not in SECURITIES:
        raise MailConfigError(f"{where}: security: must be one of {', '.join(SECURITIES)}")
    port = table.get("port", DEFAULT_PORTS[(kind, security)])
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise MailConfigError(f"{where}: port: must be a number from 1 to 65535")
    user = _string(table, "user", where)
    password_env = _password_env(table, where)
    password_file = _password_file(table, where)
    inline = table.get("password")
    if inline is not None:
        if not isinstance(inline, str):
            raise MailConfigError(f"{where}: password: must be a string")
        if config_mode is None or config_mode & (stat.S_IRWXG | stat.S_IRWXO):
            shown = "unknown" if config_mode is None else f"{stat.S_IMODE(config_mode):04o}"
            raise MailConfigError(f"{where}: password: the config file can be read by others "
                                  f"(mode {shown}): chmod 600 it, or use password_env or "
                                  "password_file")
    given = [name for name, value in (("password", inline), ("password_env", password_env),
                                      ("password_file", password_file)) if value is not None]
    if len(given) > 1:
        raise MailConfigError(f"{where}: give one of {', '.join(given)}, not several")
    if security == "none" and host.lower() not in LOOPBACK and (user or given):
        raise MailConfigError(f"{where}: security = \"none\" would send the password in clear to "
                              f"{host}: use tls or starttls (none is for this machine only)")
    folder = _string(table, "folder", where) or "INBOX"
    after = table.get("after", "seen")
    if after not in AFTER_IMPORT:
        raise MailConfigError(f"{where}: after: must be one of {', '.join(AFTER_IMPORT)}")
    move_to = _string(table, "move_to", where)
    if after == "move" and move_to is None:
        raise MailConfigError(f"{where}: move_to: is missing (after = \"move\" needs a folder)")
    return MailServer(kind=kind, where=where, host=host, port=port, security=security, user=user,
                      password_env=password_env, password_file=password_file,
                      inline_password=inline, ca_file=_path(table, "ca_file", where),
                      folder=folder, after=after, move_to=move_to)
