"""One URL picks the store: a SQLite file (default) or PostgreSQL through psycopg 3.

SQLite runs in WAL mode with foreign keys on and a busy timeout, and every write transaction starts
with ``BEGIN IMMEDIATE``: a deferred ``BEGIN`` that later upgrades to a write fails with
SQLITE_BUSY_SNAPSHOT without waiting, which is how lost updates and "database is locked" happen.
Writes go through :meth:`Store.write`, which retries the whole unit of work a bounded number of
times when another writer holds the lock, a PostgreSQL transaction deadlocks or fails to serialize,
or the domain reports a :class:`WriteConflict`.
"""

from __future__ import annotations

import os
import random
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlmodel import Session

from deskterm.db.errors import SchemaNotReady, StoreBusy, StoreUnavailable, WriteConflict
from deskterm.redact import mask_secrets, mask_url

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5_000
WRITE_ATTEMPTS = 8
_WRITE_OPTION = "deskterm_write"
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
CHANGES_CHANNEL = "deskterm_changes"


def parse_url(url: str) -> URL:
    """Parse a database URL; PostgreSQL URLs are pointed at psycopg 3.

    Every refusal shows the URL masked (:func:`deskterm.redact.mask_url`), never as given.
    """
    shown = mask_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreUnavailable(
            f"not a database URL: {shown} (use sqlite:///FILE or postgresql://USER@HOST/DB)"
        ) from None
    except ValueError:  # SQLAlchemy reads the port with int()
        raise StoreUnavailable(
            f"{shown}: the port (after the host's ':') must be a number; a password goes "
            "before the host (USER:PASSWORD@HOST:PORT)") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if "@" in (parsed.host or ""):
            # urlparse-style splitting took the first '@': the rest of the password is in the
            # host name, and the driver would print it in "failed to resolve host ..."
            raise StoreUnavailable(
                f"{shown}: the user name or password holds an '@': write it as %40") from None
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        if parsed.host or parsed.username or parsed.password or parsed.port:
            raise StoreUnavailable(
                f"{shown}: a SQLite URL names a file: sqlite:///relative/path or "
                "sqlite:////absolute/path") from None
    else:
        raise StoreUnavailable(
            f"unsupported database {backend!r}: use sqlite:/// or postgresql://"
        )
    return parsed


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take transaction control from the driver: deskterm emits BEGIN itself below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        write = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, WriteConflict):
        return True
    if isinstance(exc, OperationalError) and isinstance(exc.orig, sqlite3.OperationalError):
        text = str(exc.orig).lower()
        return "locked" in text or "busy" in text
    if isinstance(exc, DBAPIError):
        return getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES
    return False


CHANGES_COUNTER = "desk_changes"
"""SQLite: the counter every announced write raises (see :func:`announce_change`)."""

BUMP_CHANGES_SQL = (
    "INSERT INTO counters (name, value) VALUES (:name, 1) "
    "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1"
)
_BUMP_CHANGES = text(BUMP_CHANGES_SQL)


def announce_change(session: Session) -> None:
    """Tell open consoles, on commit, that the desk changed (see db/changes.py).

    PostgreSQL: ``NOTIFY``. SQLite: a counter, so a watcher that sees the file change can tell
    a change worth a refresh from quiet bookkeeping.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(_BUMP_CHANGES, {"name": CHANGES_COUNTER})
    else:
        session.execute(text(f"NOTIFY {CHANGES_CHANNEL}"))


class Store:
    """The database: sessions for reading, retried transactions for writing."""

    def __init__(self, url: str, *, echo: bool = False, create: bool = True) -> None:
        """``create``: a SQLite file (and its folder) that does not exist yet is made; else it
        is refused with the line that says to run ``deskterm init`` (only ``init`` and ``demo``
        make a desk: a mistyped ``--db`` path must not leave folders and an empty file)."""
        self.url = parse_url(url)
        shown = mask_url(url)
        self._display_url = ("postgresql" + shown[len("postgresql+psycopg"):]
                             if shown.startswith("postgresql+psycopg") else shown)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            database = self.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                if database.startswith("~"):  # SQLite would look for a folder named "~"
                    database = str(Path(database).expanduser())
                    self.url = self.url.set(database=database)
                self._check_sqlite_file(Path(database), create=create)
            self.engine = create_engine(
                self.url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
            )
            _sqlite_setup(self.engine)
        else:
            self.engine = create_engine(self.url, echo=echo, pool_pre_ping=True)
        self._write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})

    def _check_sqlite_file(self, path: Path, *, create: bool) -> None:
        # SQLite opens a directory or a device such as /dev/null and fails later with "disk I/O
        # error" halfway through a migration; refused here, before anything is written.
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            mode = None
        except OSError as exc:
            raise StoreUnavailable(f"cannot open {self.display_url}: {exc.strerror}") from None
        if mode is None:
            if not create:
                raise SchemaNotReady(f"{self.display_url} has no deskterm desk yet: run "
                                     "`deskterm init` to create one (there is no such file)")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(f"cannot create {path.parent}: {exc.strerror}") from None
            if not os.access(path.parent, os.W_OK | os.X_OK):
                raise StoreUnavailable(f"cannot create {self.display_url}: {path.parent} is not "
                                       "writable")
            return
        if stat.S_ISDIR(mode):
            raise StoreUnavailable(f"cannot open {self.display_url}: it is a directory, not a "
                                   "desk file")
        if not stat.S_ISREG(mode):
            raise StoreUnavailable(f"cannot open {self.display_url}: it is not a regular file "
                                   "(a desk is a SQLite file)")

    @property
    def display_url(self) -> str:
        """The URL as given with any password hidden (also in ``password=``), safe to print."""
        return self._display_url

    def _unavailable(self, exc: OperationalError) -> StoreUnavailable:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return StoreUnavailable(f"cannot use {self.display_url}: {mask_secrets(reason)}")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading (a deferred transaction, rolled back at the end)."""
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
        except OperationalError as exc:
            raise self._unavailable(exc) from exc

    def write(self, work: Callable[[Session], T], *, attempts: int = WRITE_ATTEMPTS,
              quiet: bool = False) -> T:
        """Run ``work`` in one write transaction and commit; retry it whole if it collides.

        ``work`` must be safe to run again: everything it did in a failed attempt is rolled back.
        Open consoles are told the desk changed, unless ``quiet`` (bookkeeping no list shows:
        presence heartbeats, drafts).
        """
        for attempt in range(1, attempts + 1):
            try:
                with Session(self._write_engine, expire_on_commit=False) as session:
                    result = work(session)
                    if not quiet:
                        announce_change(session)
                    session.commit()
                    return result
            except Exception as exc:
                if not _is_retryable(exc):
                    if isinstance(exc, OperationalError):
                        raise self._unavailable(exc) from exc
                    raise
                if attempt == attempts:
                    raise StoreBusy(
                        "the database stayed busy with other writers; try again in a moment"
                    ) from exc
                time.sleep(min(0.5, 0.01 * 2**attempt) * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()
