"""Errors the store raises that a user can act on."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError


class StoreError(Exception):
    """A problem with the database itself; the message is one line a user can act on."""


class SchemaNotReady(StoreError):
    """The database is empty, behind or ahead of this deskterm."""


class StoreBusy(StoreError):
    """The database stayed locked by other writers after every retry."""


class StoreUnavailable(StoreError):
    """The database cannot be opened or reached."""


class WriteConflict(Exception):
    """A concurrent writer got in between; the whole transaction is retried."""


class QueryStopped(StoreError):
    """A read the database stopped: it ran past its time, or was too large to run."""


def refused_value(exc: BaseException) -> str | None:
    """One short line for a value or change the database refused; None for anything else.

    The desk checks what it is given before the store sees it; this names whatever still gets
    through (a driver's ``DataError`` or ``IntegrityError``) by the first line of the database's
    own reason only: the statement and its parameters, which may hold anything, are left out.
    """
    if getattr(exc, "sqlstate", None) == "42501":  # the driver's own (a raw connection's)
        return f"the database refused: {(str(exc).strip().splitlines() or ['no reason'])[0][:200]}"
    # Without SQLAlchemy loaded no error can be one of its own; not importing it here keeps
    # the CLI's error handling (and so ``deskterm --help``) from loading it.
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

    if isinstance(exc, DataError):
        return f"the database refused the value: {_first_line(exc)}"
    if isinstance(exc, IntegrityError):
        return f"the database refused the change: {_first_line(exc)}"
    if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == "42501":
        # per-agent database roles (deskterm.db.pg_roles): the server's own refusal
        return f"the database refused: {_first_line(exc)}"
    return None


def _first_line(exc: DBAPIError) -> str:
    reason = str(exc.orig if exc.orig is not None else exc).strip()
    return (reason.splitlines() or ["no reason given"])[0][:200]
