"""The PostgreSQL password when the database URL holds none: ``$DESKTERM_DATABASE_PASSWORD``, or
the first line of ``database_password_file`` (config.toml), a file only its owner may read.

The settings name the file (:func:`use_file`, checked when they are read: a group- or
world-readable one is refused there with one line); the store reads it when it makes its engine
and hands the password to the driver apart from the URL, so no URL deskterm shows or a driver
quotes in an error ever holds it.
"""

from __future__ import annotations

import os
from pathlib import Path

from deskterm.config_mail import MailConfigError, read_password_file

ENV_VARIABLE = "DESKTERM_DATABASE_PASSWORD"

_file: Path | None = None


class PasswordFileError(Exception):
    """The password file is unreadable or others may read it (one line, naming the file)."""


def use_file(path: Path | None) -> None:
    """Take the password from ``path`` from now on (None: no file)."""
    global _file
    _file = path


def check_file(path: Path, where: str) -> None:
    """Refuse a password file others may read or that cannot be read (PasswordFileError)."""
    try:
        read_password_file(path, where)
    except MailConfigError as exc:
        raise PasswordFileError(str(exc)) from None


def database_password() -> str | None:
    """The password to give PostgreSQL, or None (then libpq's own ``PGPASSWORD`` and
    ``~/.pgpass`` still apply). The variable wins over the file."""
    value = os.environ.get(ENV_VARIABLE)
    if value:
        return value
    if _file is None:
        return None
    try:
        return read_password_file(_file, "database_password_file") or None
    except MailConfigError as exc:
        raise PasswordFileError(str(exc)) from None
