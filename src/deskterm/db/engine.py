"""One URL picks the store: a SQLite file (default) or PostgreSQL through psycopg 3.

SQLite runs in WAL mode with foreign keys on and a busy timeout, and every write transaction starts
with ``BEGIN IMMEDIATE``: a deferred ``BEGIN`` that later upgrades to a write fails with
SQLITE_BUSY_SNAPSHOT without waiting, which is how lost updates and "database is locked" happen.
Writes go through :meth:`Store.write`, which retries the whole unit of work a bounded number of
times when another writer holds the lock, a PostgreSQL transaction deadlocks or fails to serialize,
or the domain reports a :class:`WriteConflict`.

Reads are bounded (:meth:`Store.read`): each statement of a read may run
:data:`READ_TIMEOUT_SECONDS`, after which it is stopped and a :class:`QueryStopped` says so
(a filter that reads the whole desk, not a broken database). PostgreSQL: ``SET LOCAL
statement_timeout`` in every read transaction; SQLite: a progress handler that checks the
statement's deadline every :data:`PROGRESS_STEPS` virtual-machine steps. Writes keep the
server's setting (none by default): seeds, imports and migrations take minutes, and a domain
write touches a few rows by key.

A query does not outlive its client: every PostgreSQL connection sets
``client_connection_check_interval`` (PostgreSQL 14+), so the server notices within
:data:`CLIENT_CHECK_MS` that a killed client's socket closed and stops its query (before, one
ran on for 15 minutes and 4.7 GB after its client was killed, until it had a row to send). On
Ctrl-C psycopg cancels the query it waits for, and :meth:`Store.dispose` cancels (PostgreSQL) or
interrupts (SQLite) the reads still running in other threads, so quitting the console does not
wait for them.
"""

from __future__ import annotations

import os
import random
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlmodel import Session

from deskterm import db_password
from deskterm.db import desk_files
from deskterm.db.errors import (
    QueryStopped,
    SchemaNotReady,
    StoreBusy,
    StoreUnavailable,
    WriteConflict,
)
from deskterm.db.opening import display_url
from deskterm.db.write_turn import WriteTurns
from deskterm.redact import mask_secrets, mask_url

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5_000
WRITE_ATTEMPTS = 8
_WRITE_OPTION = "deskterm_write"
_READ_OPTION = "deskterm_read"
READ_TIMEOUT_SECONDS = 10.0
"""Longest one statement of a read may run. The slowest filters measured on a 1M-ticket desk
(``-the``, counting 800,000 tickets) take 2 s on SQLite and under 1 s on PostgreSQL at 200,000
tickets; past 10 s an agent has given up waiting, and the server is still working for nobody."""
PROGRESS_STEPS = 10_000
"""SQLite virtual-machine steps between two looks at the clock (well under a millisecond)."""
CLIENT_CHECK_MS = 2_000
"""How often a PostgreSQL server running a query checks that its client is still there."""
_TOO_COMPLEX_SQLITE = ("expression tree is too large", "parser stack overflow",
                       "too many terms in compound select", "too many sql variables")
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


def _sqlite_uri(url: URL) -> bool:
    """Whether SQLite reads the database as a URI (``sqlite:///file:PATH?mode=ro&uri=true``)."""
    return str(url.query.get("uri", "")).lower() in ("true", "1", "yes", "on")


def _sqlite_uri_file(database: str, url: URL) -> Path | None:
    """The file a SQLite ``file:`` URI names, or None for an in-memory database."""
    if url.query.get("mode") == "memory":
        return None
    rest = database.removeprefix("file:")
    if rest.startswith("//"):  # file://localhost/path or file:///path
        rest = "/" + rest[2:].partition("/")[2]
    rest = unquote(rest.partition("?")[0].partition("#")[0])
    return None if rest in ("", ":memory:") else Path(rest).expanduser()


def sqlite_desk_path(url: str) -> Path | None:
    """The file of a SQLite desk at ``url`` (``~`` expanded); None for PostgreSQL or a
    database in memory. Refuses a URL that is not one (:func:`parse_url`)."""
    parsed = parse_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:") and _sqlite_uri(parsed):
        return _sqlite_uri_file(database, parsed)
    return Path(database).expanduser()


def _sqlite_setup(engine: Engine, turns: WriteTurns | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver: deskterm emits BEGIN itself below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(_WRITE_OPTION, False)
        if write and turns is not None:
            turns.take(connection.info)  # given back at check-in (below)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    if turns is not None:
        def _give_back(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
            turns.give_back(record.info if record is not None else None)

        for name in ("checkin", "invalidate", "soft_invalidate", "detach"):
            event.listen(engine, name, _give_back)


def _postgres_setup(engine: Engine, read_timeout: Callable[[], float]) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Evaluated only on servers that know the setting (PostgreSQL 14+).
        dbapi_connection.execute(
            "SELECT set_config('client_connection_check_interval', %s, false) "
            "WHERE current_setting('server_version_num')::int >= 140000", (str(CLIENT_CHECK_MS),))
        dbapi_connection.commit()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(_READ_OPTION, False):
            connection.exec_driver_sql(
                f"SET LOCAL statement_timeout = {max(1, round(read_timeout() * 1000))}")


def _seconds(value: float) -> str:
    return f"{value:g}"


def is_retryable(exc: BaseException) -> bool:
    """A failure the whole write transaction may be run again for (a busy SQLite file, a
    PostgreSQL deadlock or serialization failure, a :class:`WriteConflict`)."""
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


def lock_for_unique_names(session: Session, table: str) -> None:
    """Hold off other transactions' inserts into ``table`` until this one ends, so that a
    uniqueness the database cannot express (names unique whatever their case) is checked and
    kept in one step. PostgreSQL: ``SHARE ROW EXCLUSIVE`` (conflicts with itself and with
    writers; readers go on). SQLite: nothing to do, a write transaction already runs alone
    (``BEGIN IMMEDIATE``)."""
    if session.get_bind().dialect.name != "sqlite":
        quoted = session.get_bind().dialect.identifier_preparer.quote(table)
        session.execute(text(f"LOCK TABLE {quoted} IN SHARE ROW EXCLUSIVE MODE"))


class Store:
    """The database: sessions for reading, retried transactions for writing."""

    def __init__(self, url: str, *, echo: bool = False, create: bool = True,
                 read_timeout: float = READ_TIMEOUT_SECONDS,
                 shared_group: str | None = None) -> None:
        """``create``: a SQLite file (and its folder) that does not exist yet is made; else it
        is refused with the line that says to run ``deskterm init`` (only ``init`` and ``demo``
        make a desk: a mistyped ``--db`` path must not leave folders and an empty file).

        ``shared_group``: the SQLite desk's folder is made setgid to that Unix group and its
        files group read-write (:mod:`deskterm.db.desk_files`), before any connection."""
        self.url = parse_url(url)
        self._display_url = display_url(url)
        self.read_timeout = read_timeout
        self._reading: set[Any] = set()
        """DB-API connections running a read statement now (cancelled by :meth:`dispose`)."""
        self._reading_lock = threading.Lock()
        self._closing = False
        self._late = threading.local()
        """``late.statement``: this thread's SQLite read ran out of time (not Ctrl-C)."""
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.sqlite_path: Path | None = None
        """The SQLite desk's file (None: PostgreSQL, or a database in memory)."""
        self.write_turns: WriteTurns | None = None
        """SQLite in a file: the writers' turns (:mod:`deskterm.db.write_turn`), taken by
        every write transaction before ``BEGIN IMMEDIATE``."""
        self._new_file: Path | None = None
        """A SQLite file to make before the first connection (see :meth:`_make_new_file`)."""
        if shared_group is not None and not self._plain_sqlite_file():
            raise StoreUnavailable(
                f"--shared-group is for a SQLite desk in a file, not {self.display_url}: a "
                "PostgreSQL desk's agents reach it through the server's roles")
        if self.is_sqlite:
            database = self.url.database
            if database and database.startswith("file:") and _sqlite_uri(self.url):
                named = _sqlite_uri_file(database, self.url)
                self.sqlite_path = named
                if named is not None:  # refused like a path: a read never creates a desk
                    self._check_sqlite_file(named, create=create,
                                            write=self.url.query.get("mode") != "ro")
            elif database and database != ":memory:":
                if database.startswith("~"):  # SQLite would look for a folder named "~"
                    database = str(Path(database).expanduser())
                    self.url = self.url.set(database=database)
                self.sqlite_path = Path(database)
                if shared_group is not None:
                    desk_files.prepare_folder(self.sqlite_path, group=shared_group)
                self._check_sqlite_file(self.sqlite_path, create=create)
            self.engine = create_engine(
                self.url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
            )
            if self.sqlite_path is not None:
                self.write_turns = WriteTurns(self.sqlite_path)
            _sqlite_setup(self.engine, self.write_turns)
            self._make_new_file()
        else:
            connect_args: dict[str, Any] = {}
            if self.url.password is None:
                try:
                    password = db_password.database_password()
                except db_password.PasswordFileError as exc:
                    raise StoreUnavailable(str(exc)) from None
                if password:  # apart from the URL: no message can quote it with the URL
                    connect_args["password"] = password
            self.engine = create_engine(self.url, echo=echo, pool_pre_ping=True,
                                        connect_args=connect_args)
            _postgres_setup(self.engine, lambda: self.read_timeout)
        self._bound_reads()
        self._write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._read_engine = self.engine.execution_options(**{_READ_OPTION: True})

    def _make_new_file(self) -> None:
        """Make the SQLite file with the desk's mode (0600, or 0660 in a shared folder) just
        before the first connection opens it: SQLite would make it 0644 less the umask, and its
        -wal and -shm files with the same mode. Not before: a store made and never used leaves
        no file."""
        new_file = self._new_file
        if new_file is None:
            return

        @event.listens_for(self.engine, "do_connect")
        def _make(*_args: Any) -> None:
            desk_files.create_database_file(new_file)  # nothing if it is there

    def _plain_sqlite_file(self) -> bool:
        database = self.url.database or ""
        return (self.is_sqlite and database not in ("", ":memory:")
                and not (database.startswith("file:") and _sqlite_uri(self.url)))

    def _bound_reads(self) -> None:
        """Track the read statements running (and on SQLite give each its deadline)."""
        sqlite = self.is_sqlite

        @event.listens_for(self.engine, "before_cursor_execute")
        def _before(connection: Connection, _cursor: Any, _statement: Any, _params: Any,
                    _context: Any, _many: Any) -> None:
            # the driver's own connection (sqlite3's has set_progress_handler; no DB-API type does)
            dbapi_connection: Any = connection.connection.dbapi_connection
            reading = connection.get_execution_options().get(_READ_OPTION, False)
            if sqlite:  # a handler left from an earlier read must not stop a write
                if reading:
                    deadline = time.monotonic() + self.read_timeout
                    late = self._late
                    late.statement = False

                    def past_deadline() -> bool:
                        over = time.monotonic() > deadline
                        late.statement = over
                        return over

                    dbapi_connection.set_progress_handler(past_deadline, PROGRESS_STEPS)
                else:
                    dbapi_connection.set_progress_handler(None, 0)
            if reading:
                with self._reading_lock:
                    self._reading.add(dbapi_connection)

        if sqlite:
            @event.listens_for(self.engine, "checkin")
            def _returned(dbapi_connection: Any, _record: Any) -> None:
                # Work done below SQLAlchemy (bulk loads on the raw connection) sees no events.
                if dbapi_connection is not None:
                    dbapi_connection.set_progress_handler(None, 0)

        def _done(connection: Connection) -> None:
            with self._reading_lock:
                self._reading.discard(connection.connection.dbapi_connection)

        event.listen(self.engine, "after_cursor_execute", lambda conn, *_args: _done(conn))
        event.listen(self.engine, "handle_error",
                     lambda context: _done(context.connection) if context.connection else None)

    def _stopped(self, exc: DBAPIError) -> QueryStopped | KeyboardInterrupt | None:
        """The domain error for a read the database stopped or found too large, if it is one."""
        original = exc.orig
        message = str(original).lower()
        sqlstate = getattr(original, "sqlstate", None) or ""
        if isinstance(original, sqlite3.OperationalError):
            if "interrupted" in message:
                late = getattr(self._late, "statement", False)
                if not late and not self._closing:
                    # Ctrl-C: its KeyboardInterrupt was raised in the progress handler, which
                    # sqlite3 turns into an interruption and clears.
                    return KeyboardInterrupt()
                sqlstate = "57014"
                message = "statement timeout" if late else "user request"
            elif any(reason in message for reason in _TOO_COMPLEX_SQLITE):
                sqlstate = "54001"
        if sqlstate == "57014":  # query_canceled
            if "statement timeout" in message:
                return QueryStopped(f"the search took longer than {_seconds(self.read_timeout)} "
                                    "s and was stopped: narrow the filter")
            return QueryStopped("the search was stopped: deskterm is closing" if self._closing
                                else "the search was cancelled")
        if sqlstate.startswith("54"):  # program_limit_exceeded, statement_too_complex ...
            return QueryStopped("the search is too large for the database to run: use fewer "
                                "or shorter terms")
        return None

    def _check_sqlite_file(self, path: Path, *, create: bool, write: bool = True) -> None:
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
            desk_files.prepare_folder(path, group=None)
            if not os.access(path.parent, os.W_OK | os.X_OK):
                raise StoreUnavailable(f"cannot create {self.display_url}: {path.parent} is not "
                                       "writable")
            self._new_file = path
            return
        if stat.S_ISDIR(mode):
            raise StoreUnavailable(f"cannot open {self.display_url}: it is a directory, not a "
                                   "desk file")
        if not stat.S_ISREG(mode):
            raise StoreUnavailable(f"cannot open {self.display_url}: it is not a regular file "
                                   "(a desk is a SQLite file)")
        desk_files.check_access(path, write=write)

    @property
    def display_url(self) -> str:
        """The URL as given with any password hidden (also in ``password=``), safe to print."""
        return self._display_url

    def unavailable(self, exc: OperationalError) -> StoreUnavailable:
        """The one line for a database that cannot be used (its password hidden)."""
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        return StoreUnavailable(f"cannot use {self.display_url}: {mask_secrets(reason)}")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading (a deferred transaction, rolled back at the end).

        Each statement may run :attr:`read_timeout` seconds; one stopped for its time, or too
        large for the database, raises :class:`QueryStopped`.
        """
        try:
            with Session(self._read_engine, expire_on_commit=False) as session:
                yield session
        except DBAPIError as exc:
            stopped = self._stopped(exc)
            if stopped is not None:
                raise stopped from exc
            if isinstance(exc, OperationalError):
                raise self.unavailable(exc) from exc
            raise

    def write_session(self) -> Session:
        """A session whose first statement begins a write transaction (SQLite: ``BEGIN
        IMMEDIATE``); the caller commits and closes it (:class:`deskterm.db.batch.WriteBatch`:
        several units of work in one transaction)."""
        return Session(self._write_engine, expire_on_commit=False)

    def write(self, work: Callable[[Session], T], *, attempts: int = WRITE_ATTEMPTS,
              quiet: bool = False) -> T:
        """Run ``work`` in one write transaction and commit; retry it whole if it collides.

        ``work`` must be safe to run again: everything it did in a failed attempt is rolled back.
        Open consoles are told the desk changed, unless ``quiet`` (bookkeeping no list shows:
        presence heartbeats, drafts).
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.write_session() as session:
                    result = work(session)
                    if not quiet:
                        announce_change(session)
                    session.commit()
                    return result
            except Exception as exc:
                if not is_retryable(exc):
                    if isinstance(exc, OperationalError):
                        raise self.unavailable(exc) from exc
                    raise
                if attempt == attempts:
                    raise StoreBusy(
                        "the database stayed busy with other writers; try again in a moment"
                    ) from exc
                time.sleep(min(0.5, 0.01 * 2**attempt) * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        """Stop the reads still running in other threads, then close every connection."""
        self._closing = True
        with self._reading_lock:
            running = list(self._reading)
        for dbapi_connection in running:
            try:
                if self.is_sqlite:
                    dbapi_connection.interrupt()
                else:
                    dbapi_connection.cancel_safe(timeout=2.0)
            except Exception:  # a connection already gone has nothing to stop
                continue
        self.engine.dispose()
        # The compiled statements too: the ORM's mappers (global) keep the last hundred
        # dialects in their own caches, and this engine's dialect holds its listeners, so a
        # disposed store's whole cache of compiled SQL stayed reachable.
        self.engine.clear_compiled_cache()
