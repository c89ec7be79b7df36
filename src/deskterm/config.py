"""Settings: the database URL, the keymap, the help center's address and the mail servers, from
``DESKTERM_*`` variables and config.toml.

Precedence, highest first: ``--db``, ``DESKTERM_DATABASE_URL``, ``config.toml``, the default SQLite
file in the user data directory. A key of config.toml or a ``DESKTERM_*`` variable that deskterm
does not know is refused, naming it. Read with the standard library only: the console reads its
settings before anything else, and every import made before its first paint is waited for.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deskterm import paths

if TYPE_CHECKING:
    from deskterm.config_mail import MailServer

ENV_PREFIX = "DESKTERM_"

SETTINGS = ("database_url", "database_password_file", "keymap", "help_center_url", "imap",
            "smtp")
"""The keys config.toml may hold (the fields of :class:`Settings`); any other is refused: a typo of
``database_url`` would otherwise open the private default desk without a word."""

ENV_VARIABLES = ("DESKTERM_DATABASE_URL", "DESKTERM_DATABASE_PASSWORD", "DESKTERM_KEYMAP",
                 "DESKTERM_HELP_CENTER_URL", "DESKTERM_CONFIG_DIR", "DESKTERM_DATA_DIR",
                 "DESKTERM_IMAP_PASSWORD", "DESKTERM_SMTP_PASSWORD")
"""Every ``DESKTERM_*`` variable deskterm reads (add a new one here, or it is refused)."""

ENV_RESERVED = "DESKTERM_TEST_"
"""Variables of deskterm's own test suite (``DESKTERM_TEST_PG``): never read by deskterm."""


class ConfigError(Exception):
    """The config file is unreadable or holds a bad value."""


@dataclass(frozen=True)
class Settings:
    """deskterm's settings. Each field can be set in config.toml or as ``DESKTERM_<FIELD>``."""

    database_url: str | None = None
    """SQLAlchemy URL of the store: ``sqlite:///path`` or ``postgresql://user@host/db``."""

    database_password_file: Path | None = None
    """A file (mode 0600 or 0400) whose first line is the PostgreSQL password, for a URL without
    one (``$DESKTERM_DATABASE_PASSWORD`` wins over it)."""

    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys, to remap the console's keys (e.g. ``queue.take = "ctrl+t"``).
    As a variable: ``DESKTERM_KEYMAP='{"queue.take": "ctrl+t"}'``."""

    help_center_url: str | None = None
    """Where customers read the published public articles: ``https://help.example.com/articles/
    {slug}`` (``{slug}`` is replaced by the article's slug) or a base address the slug is added
    to (``https://help.example.com/articles``). With it, ``k`` can put a link to an article's
    page into a reply; without it, only the article's text."""

    imap: MailServer | None = None
    """Where ``deskterm mail fetch`` reads mail: the ``[imap]`` table (see config_mail)."""

    smtp: MailServer | None = None
    """Where the outbox sends mail: the ``[smtp]`` table (see config_mail)."""

    def resolved_database_url(self, override: str | None = None) -> str:
        """The URL to use: the command line's, else the configured one, else the default file.
        A PostgreSQL store opened from then on takes its password from the configured file when
        the URL holds none (see :mod:`deskterm.db_password`)."""
        if self.database_password_file is not None:
            from deskterm import db_password

            db_password.use_file(self.database_password_file)
        return override or self.database_url or paths.default_database_url()


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    import tomllib  # only when there is a file: most starts read none

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except RecursionError:  # tomllib reads nested arrays and tables by recursion
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None


def _database_url(value: Any, where: str, mode: int | None) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}: database_url: must be a string (a database URL)")
    if value and _holds_password(value) and (mode is None or mode & 0o077):
        shown = "unknown" if mode is None else f"{mode & 0o7777:04o}"
        raise ConfigError(f"{where}: database_url holds a password and the file can be read by "
                          f"others (mode {shown}): chmod 600 it, or take the password out of "
                          "the URL into $DESKTERM_DATABASE_PASSWORD or database_password_file")
    return value or None


def _holds_password(url: str) -> bool:
    """Whether ``url`` carries a password (``USER:PASSWORD@`` or a ``password=`` parameter)."""
    _, _, rest = url.partition("://")
    credentials, at, _ = rest.partition("/")[0].rpartition("@")
    return (bool(at) and ":" in credentials) or "password=" in url.lower()


def _password_file(value: Any, where: str) -> Path | None:
    """``database_password_file``: a full path to a file only its owner may read (checked now)."""
    if value is None:
        return None
    if (not isinstance(value, str) or not value.startswith(("/", "~/"))
            or any(not ch.isprintable() for ch in value)):
        raise ConfigError(f"{where}: database_password_file: must be the full path of a file "
                          "holding the password (/... or ~/...), not the password")
    path = Path(value).expanduser()
    from deskterm import db_password

    try:
        db_password.check_file(path, f"{where}: database_password_file")
    except db_password.PasswordFileError as exc:
        raise ConfigError(str(exc)) from None
    return path


HELP_CENTER_EXAMPLE = "https://help.example.com/articles/{slug}"


def check_help_center_url(value: Any, where: str) -> str | None:
    """The help center's address as given, or None when unset; ConfigError unless it is an
    absolute ``http(s)`` address with a host, no user name or password (customers are sent it),
    no spaces, and at most one ``{slug}`` (no other braces). Without ``{slug}`` the slug is
    added to its path, so it may then hold no ``?`` or ``#``."""
    if value is None or value == "":
        return None
    bad = f"{where}: help_center_url: "
    if not isinstance(value, str):
        raise ConfigError(bad + f"must be a string (e.g. {HELP_CENTER_EXAMPLE})")
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise ConfigError(bad + "must not hold spaces or control characters")
    from urllib.parse import urlsplit  # only when one is set: the console's start stays lean

    try:
        parts = urlsplit(value.replace("{slug}", "slug"))
        host = parts.hostname
    except ValueError:
        raise ConfigError(bad + f"'{_shown(value)}' is not a URL") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise ConfigError(bad + f"'{_shown(value)}' is not an http(s) address with a host "
                          f"(e.g. {HELP_CENTER_EXAMPLE})")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(bad + "must not hold a user name or password (customers see it)")
    if value.count("{slug}") > 1 or "{" in value.replace("{slug}", "") or "}" in value.replace(
            "{slug}", ""):
        raise ConfigError(bad + "may hold {slug} once and no other braces")
    if "{slug}" not in value and (parts.query or parts.fragment or "?" in value or "#" in value):
        raise ConfigError(bad + "the slug is added to the address's path: put {slug} where it "
                          "goes when the address has a ? or #")
    return value


def _keymap(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f"{where}: keymap: must be a table of binding ids to keys "
                          '(e.g. "queue.take" = "ctrl+t")')
    return dict(value)


def _shown(name: str) -> str:
    # A key or a variable name is the user's text: only printable characters reach a message,
    # and never a URL's password (a key may be a misplaced URL).
    from deskterm.redact import mask_secrets  # standard library only, like this module

    return mask_secrets("".join(ch for ch in name if ch.isprintable()))[:60]


def _did_you_mean(name: str, known: tuple[str, ...]) -> str:
    import difflib  # only when there is a mistake to name: the console's start stays lean

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def check_keys(values: dict[str, Any], where: str) -> None:
    """Refuse a key of the config file that is not a setting, naming it and the known ones."""
    for key in values:
        if key not in SETTINGS:
            raise ConfigError(f"{where}: unknown setting '{_shown(key)}'"
                              f"{_did_you_mean(key, SETTINGS)}; the settings are "
                              f"{', '.join(SETTINGS)}")


def check_environment(environ: Mapping[str, str], named: tuple[str, ...] = ()) -> None:
    """Refuse a ``DESKTERM_*`` variable deskterm does not read (a typo would be ignored);
    ``named`` are variables the config file names (a mail server's ``password_env``)."""
    for name in sorted(environ):
        if (name.startswith(ENV_PREFIX) and name not in ENV_VARIABLES and name not in named
                and not name.startswith(ENV_RESERVED)):
            raise ConfigError(f"${_shown(name)}: unknown deskterm variable"
                              f"{_did_you_mean(name, ENV_VARIABLES)}; deskterm reads "
                              f"{', '.join(ENV_VARIABLES)}")


def _unique(where: str):
    """A JSON object hook refusing a key given twice (json keeps the last one silently)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, value in items:
            if key in found:
                raise ConfigError(f"{where}: keymap: '{_shown(key)}' is given twice")
            found[key] = value
        return found

    return pairs


def load_settings() -> Settings:
    """Read settings; a bad config file (or variable), an unknown key or an unknown
    ``DESKTERM_*`` variable raises ConfigError naming it."""
    path = paths.config_file()
    values = _read_file(path)
    where = str(path)
    check_keys(values, where)
    servers = _mail_servers(values, path)
    check_environment(os.environ, tuple(server.password_env for server in servers.values()
                                        if server.password_env))
    try:
        mode: int | None = path.stat().st_mode if values else None
    except OSError:
        mode = None
    url = _database_url(values.get("database_url"), where, mode)
    password_file = _password_file(values.get("database_password_file"), where)
    keymap = _keymap(values.get("keymap"), where)
    help_center = check_help_center_url(values.get("help_center_url"), where)
    env_help_center = os.environ.get(f"{ENV_PREFIX}HELP_CENTER_URL")
    if env_help_center:
        help_center = check_help_center_url(env_help_center, f"${ENV_PREFIX}HELP_CENTER_URL")
    env_url = os.environ.get(f"{ENV_PREFIX}DATABASE_URL")
    if env_url:
        url = env_url
    env_keymap = os.environ.get(f"{ENV_PREFIX}KEYMAP")
    if env_keymap:
        variable = f"${ENV_PREFIX}KEYMAP"
        import json

        try:
            keymap = _keymap(json.loads(env_keymap, object_pairs_hook=_unique(variable)),
                             variable)
        except json.JSONDecodeError:
            raise ConfigError(f"{variable}: keymap: not valid JSON") from None
    return Settings(database_url=url, database_password_file=password_file, keymap=keymap,
                    help_center_url=help_center, imap=servers.get("imap"), smtp=servers.get("smtp"))


def _mail_servers(values: dict[str, Any], path: Path) -> dict[str, MailServer]:
    kinds = [kind for kind in ("imap", "smtp") if kind in values]
    if not kinds:
        return {}
    from deskterm import config_mail  # only for a desk that has mail: the console stays lean

    try:
        mode: int | None = path.stat().st_mode
    except OSError:
        mode = None
    try:
        return {kind: config_mail.parse_server(kind, values[kind], str(path), config_mode=mode)
                for kind in kinds}
    except config_mail.MailConfigError as exc:
        raise ConfigError(str(exc)) from None
