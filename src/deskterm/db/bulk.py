"""Bulk loads: many rows into an empty desk at once, bypassing the ORM.

The demo seeder (and later importers) hand over batches of plain tuples, table by table, in
the column order of :data:`COLUMNS`. :func:`load` writes them in one transaction:

- SQLite: ``executemany`` on the DBAPI connection inside ``BEGIN IMMEDIATE``, with foreign-key
  and CHECK evaluation and fsyncs off for the duration (see ``_SQLITE_LOAD_PRAGMAS``). The
  load runs in a rollback journal instead of WAL when no other connection has the file open, so
  its pages are written once instead of twice (see ``_rollback_journal``); either way an
  interrupted or failed load rolls back to nothing.
- PostgreSQL: ``COPY ... FROM STDIN`` through psycopg 3, then the SERIAL sequences are moved past
  the ids the rows brought along.

On both, the secondary indexes of the big tables are dropped first and rebuilt at the end: one
sort per index is far cheaper than keeping seven B-trees up to date row by row. Their
definitions come from ``SQLModel.metadata``, so they never drift from the models. Full-text
search (:mod:`deskterm.db.search`) is treated the same way: its SQLite sync triggers and its
PostgreSQL GIN indexes are saved from the database, dropped, and put back after the rows; on
SQLite the FTS5 index is built once, after the rows (:mod:`deskterm.db.search_load`), or comes
ready-made from a helper process's side load (:class:`SideLoad`).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import JSON, Index
from sqlalchemy.schema import DropIndex, ExecutableDDLElement
from sqlmodel import SQLModel

from deskterm.db import (
    desk_files,
    models,  # noqa: F401  (registers the tables on SQLModel.metadata)
    search,
    search_load,
)
from deskterm.db.engine import BUMP_CHANGES_SQL, CHANGES_CHANNEL, CHANGES_COUNTER, Store
from deskterm.db.errors import StoreBusy
from deskterm.db.models import create_index_sql
from deskterm.db.search_load import SqliteSearchLoad
from deskterm.db.types import sqlite_timestamp

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows: scratch files of killed seeds are not swept
    fcntl = None

BASE_COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations": ("id", "name", "domain", "created_at"),
    "customers": ("id", "name", "email", "organization_id", "internal", "tier", "created_at"),
    "agents": ("id", "username", "display_name", "email", "role", "active", "skills",
               "created_at"),
    "agent_groups": ("id", "name", "description", "created_at"),
    "agent_group_members": ("group_id", "agent_id"),
    "tags": ("id", "name"),
    "tickets": ("id", "subject", "status", "priority", "type", "channel", "requester_id",
                "assignee_id", "group_id", "tier", "created_at", "updated_at",
                "first_response_at", "solved_at", "closed_at", "reopens", "version",
                "customer_replied_at"),
    "messages": ("id", "ticket_id", "author_agent_id", "author_customer_id", "public", "body",
                 "created_at"),
    "events": ("id", "ticket_id", "actor_agent_id", "field", "old", "new", "version", "at"),
    "ticket_tags": ("ticket_id", "tag_id"),
    "ticket_seen": ("ticket_id", "agent_id", "seen_at"),
}
"""The columns every loader fills (an import adds its own: :mod:`deskterm.db.ticket_import`)."""

TICKET_SLA_COLUMNS = (
    "sla_policy_id", "first_response_due_at", "next_response_due_at", "resolution_due_at",
    "sla_due_at", "sla_paused_at", "sla_paused_minutes", "next_response_started_at",
    "next_response_paused_minutes", "first_response_business_minutes",
    "resolution_business_minutes", "first_response_sla_met", "resolution_sla_met")
"""A ticket's SLA clock and how its targets ended, as ``deskterm.desk.sla.due`` keeps them."""

COLUMNS: dict[str, tuple[str, ...]] = {
    **BASE_COLUMNS,
    "tickets": (*BASE_COLUMNS["tickets"], *TICKET_SLA_COLUMNS),
    "messages": (*BASE_COLUMNS["messages"], "minutes"),
    "sla_outcomes": ("id", "ticket_id", "policy_id", "policy_name", "target", "outcome",
                     "started_at", "due_at", "met_at", "ended_at"),
    "satisfaction_ratings": ("id", "ticket_id", "customer_id", "score", "comment",
                             "message_id", "recorded_by_id", "rated_at"),
}
"""The tables a bulk load may fill, and the order of the values in each row tuple."""

REBUILT_TABLES = ("tickets", "messages", "events", "ticket_tags")
"""Tables whose secondary indexes are dropped for the load and rebuilt after it (and for an
import's, :mod:`deskterm.db.ticket_import`)."""
_LOAD_REBUILT = (*REBUILT_TABLES, "sla_outcomes", "satisfaction_ratings")
"""The same for a bulk load (a demo's millions of SLA outcomes)."""

_SERIAL_TABLES = ("organizations", "customers", "agents", "agent_groups", "tags", "messages",
                  "events", "sla_outcomes", "satisfaction_ratings")
"""Tables whose ids come from a sequence on PostgreSQL (tickets are numbered by a counter)."""


class DeskNotEmpty(Exception):
    """The desk got tickets between the caller's check and the load; nothing was written."""


Batch = tuple[str, Sequence[tuple[Any, ...]]]
"""A table name from :data:`COLUMNS` and rows for it."""


def timestamp_encoder(sqlite: bool, origin: datetime, *, days: int) -> Callable[[int], object]:
    """A function from whole seconds after ``origin`` (a UTC midnight) to a column value.

    Bulk rows skip SQLAlchemy's type processing, so they must carry what it would store: on
    SQLite the exact text :func:`sqlite_timestamp` writes, on PostgreSQL an aware datetime. The
    SQLite text is put together from a per-day and a per-second-of-day table, several times
    faster than formatting a datetime per value. Sub-second digits are derived from the second,
    so both stores hold the same instants. Seconds must lie in ``[0, days * 86400)``.
    """
    if origin.tzinfo is None or origin.utcoffset() or origin != origin.replace(
        hour=0, minute=0, second=0, microsecond=0
    ):
        raise ValueError("origin must be an aware UTC midnight")

    def micros(second_of_day: int) -> int:
        return (second_of_day * 7_919) % 1_000_000

    if not sqlite:
        def aware(seconds: int) -> datetime:
            if seconds < 0:
                raise ValueError(f"timestamp {seconds} s is before the origin")
            return origin + timedelta(seconds=seconds, microseconds=micros(seconds % 86_400))

        return aware

    day_texts = [sqlite_timestamp(origin + timedelta(days=day))[:11] for day in range(days)]
    second_texts = [
        sqlite_timestamp(origin + timedelta(seconds=second, microseconds=micros(second)))[11:]
        for second in range(86_400)
    ]

    def text(seconds: int) -> str:
        if seconds < 0:  # a negative day would index the table from its end
            raise ValueError(f"timestamp {seconds} s is before the origin")
        day, second = divmod(seconds, 86_400)
        return day_texts[day] + second_texts[second]

    return text


def instant_encoder(sqlite: bool, origin: datetime, *, days: int
                    ) -> tuple[Callable[[int], int], Callable[[int], object]]:
    """Two functions: from whole seconds after ``origin`` to the instant
    :func:`timestamp_encoder` stores for them, in microseconds since the epoch; and from any
    such instant (a due time worked out from them) to a column value, as the store keeps it."""
    origin_us = (origin - _EPOCH) // timedelta(microseconds=1)

    def micros(second_of_day: int) -> int:  # as timestamp_encoder's
        return (second_of_day * 7_919) % 1_000_000

    def instant(seconds: int) -> int:
        return origin_us + seconds * 1_000_000 + micros(seconds % 86_400)

    if not sqlite:
        def aware(us: int) -> object:
            return origin + timedelta(microseconds=us - origin_us)

        return instant, aware

    day_texts = [sqlite_timestamp(origin + timedelta(days=day))[:11] for day in range(days)]
    clock_texts: list[str] = []

    def text(us: int) -> object:
        if not clock_texts:
            clock_texts.extend(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}."
                               for s in range(86_400))
        offset = us - origin_us
        if offset < 0:
            raise ValueError(f"instant {us} is before the origin")
        day, rest = divmod(offset, 86_400_000_000)
        if day >= len(day_texts):  # a due time past the table: rare, made the slow way
            return sqlite_timestamp(origin + timedelta(microseconds=offset))
        second, micro = divmod(rest, 1_000_000)
        return f"{day_texts[day]}{clock_texts[second]}{micro:06d}"

    return instant, text


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _indexes() -> list[Index]:
    found = []
    for name in _LOAD_REBUILT:
        found.extend(sorted(SQLModel.metadata.tables[name].indexes, key=lambda ix: str(ix.name)))
    return found


def _table_name(index: Index) -> str:
    table = index.table
    assert table is not None  # the models' indexes, each on its table
    return table.name


def _ddl(store: Store, statement: ExecutableDDLElement) -> str:
    return str(statement.compile(dialect=store.engine.dialect))


def _json_columns(table: str) -> list[int]:
    columns = SQLModel.metadata.tables[table].columns
    return [i for i, name in enumerate(COLUMNS[table]) if isinstance(columns[name].type, JSON)]


def _encoded(table: str, rows: Sequence[tuple[Any, ...]]) -> Sequence[tuple[Any, ...]]:
    """JSON columns (agents' skills) arrive as Python lists; the stores want their text."""
    positions = _json_columns(table)
    if not positions:
        return rows
    encoded = []
    for row in rows:
        values = list(row)
        for i in positions:
            values[i] = json.dumps(values[i])
        encoded.append(tuple(values))
    return encoded


def _insert_target(store: Store, table: str) -> str:
    """``table (col, ...)`` with every name quoted as the store needs (``type``, ``at`` ...)."""
    quote = store.engine.dialect.identifier_preparer.quote
    return f"{quote(table)} ({', '.join(quote(name) for name in COLUMNS[table])})"


def _check_batch(table: str, rows: Sequence[tuple[Any, ...]]) -> None:
    if table not in COLUMNS:
        raise ValueError(f"bulk load: unknown table {table!r}")
    if rows and len(rows[0]) != len(COLUMNS[table]):
        raise ValueError(f"bulk load: {table} rows need {len(COLUMNS[table])} values, "
                         f"got {len(rows[0])}")


_COUNTER_SQL = (
    "UPDATE counters SET value = (SELECT MAX(id) + 1 FROM tickets) "
    "WHERE name = 'ticket_number' AND EXISTS (SELECT 1 FROM tickets)"
)


def load(store: Store, batches: Iterable[Batch], *, side: SideLoad | None = None) -> None:
    """Insert every batch in one transaction into a desk that has no tickets.

    Rows bring their own ids. Afterwards the ticket-number counter continues after the highest
    ticket, and (on PostgreSQL) every sequence after the highest id. Raises
    :class:`DeskNotEmpty` if the desk has tickets by the time the transaction starts. ``side``
    (SQLite only): tables, and the search index, that a helper process writes meanwhile; they
    are copied in before the indexes are built, in the same transaction.
    """
    if store.is_sqlite:
        _load_sqlite(store, batches, side)
    elif side is not None:
        raise ValueError("bulk load: a side load is for SQLite desks only")
    else:
        _load_postgres(store, batches)


# --- Side loads: a second process filling some tables of a SQLite load -------------------------

SIDE_SCHEMA = "deskterm_side_load"
"""The name a side load's scratch file is attached under while its tables are copied."""


@dataclass
class SideLoad:
    """Tables (and the search index) a helper process writes into a scratch file during a load.

    A bulk load is one connection's work: making the rows, inserting them, tokenising the text
    for search, sorting the indexes. A producer that can make some of its rows twice (the demo
    generator is a pure function of its seed) runs a helper that writes ``tables`` (and, with
    ``search``, the FTS5 index of every subject and message) into ``path`` with
    :class:`SideWriter`, on a second core, while the load inserts the rest; the load's batches
    leave those tables out. :func:`load` then calls ``wait`` (which raises a StoreError or
    DeskError if the helper failed), attaches the file and copies the tables in C, inside its
    transaction, so the load still commits or rolls back as one.
    """

    path: str
    tables: tuple[str, ...]
    search: bool
    wait: Callable[[], None]


def can_side_load(store: Store) -> bool:
    """Whether ``store`` can take a :class:`SideLoad`: a SQLite desk in a file."""
    database = store.url.database or ""
    return (store.is_sqlite and bool(database) and database != ":memory:"
            and not database.startswith("file:"))


SIDE_PREFIX = ".deskterm-load-"
SIDE_SUFFIX = ".sqlite3"


@dataclass
class SideFile:
    """A side load's scratch file, and the descriptor that holds a lock (``flock``) on it.

    The lock says the file is in use: :func:`remove_stale_side_files` removes only files no
    process holds, which are those of a seed killed (``kill -9``) before it could remove its
    own. The helper process inherits the descriptor (``pass_fds``), so the lock lasts while
    either of them runs, and the kernel lets go of it when both are gone, however they end.
    It is a lock of its own kind (not SQLite's POSIX locks), taken before SQLite opens the file
    and let go of after the load has detached it.
    """

    path: str
    fd: int

    def remove(self) -> None:
        """Remove the file, then let go of the lock."""
        if self.fd < 0:
            return
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path)
        os.close(self.fd)
        self.fd = -1


def _lock(fd: int) -> bool:
    """Take the lock on ``fd`` if nobody holds it (always, without ``flock``: Windows)."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _still_named(fd: int, path: str) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (no one removed it meanwhile)."""
    try:
        named = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _desk_folder(store: Store) -> Path:
    return Path(store.url.database or "").expanduser().parent


def side_file(store: Store) -> SideFile:
    """A new, empty, locked scratch file beside the desk's (the same disk, known to have room).

    Scratch files left by killed seeds are removed first."""
    if not can_side_load(store):
        raise ValueError("bulk load: a side load needs a SQLite desk in a file")
    remove_stale_side_files(store)
    while True:
        handle, path = tempfile.mkstemp(prefix=SIDE_PREFIX, suffix=SIDE_SUFFIX,
                                        dir=_desk_folder(store))
        # Between mkstemp and the lock the file is unlocked: another start's sweep may have
        # taken it for a dead seed's and removed it. Then make another.
        if _lock(handle) and _still_named(handle, path):
            # the desk's mode and group: a shared desk's agents may clear a dead seed's file
            desk_files.give_desk_mode(Path(path), Path(store.url.database or "").expanduser())
            return SideFile(path=path, fd=handle)
        os.close(handle)


def remove_stale_side_files(store: Store) -> list[str]:
    """Remove the scratch files of seeds that died without removing them (no process holds
    their lock); a running seed's file is left alone. The names removed."""
    if not can_side_load(store) or fcntl is None:
        return []
    removed = []
    try:
        entries = [entry.name for entry in os.scandir(_desk_folder(store))
                   if entry.name.startswith(SIDE_PREFIX) and entry.name.endswith(SIDE_SUFFIX)]
    except OSError:
        return []  # no folder yet, or not readable: nothing of ours is there
    for name in entries:
        path = str(_desk_folder(store) / name)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue  # gone already, not ours (a link), or not readable
        try:
            if _lock(fd) and _still_named(fd, path):
                os.remove(path)
                removed.append(name)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def side_statements(store: Store, tables: Sequence[str], *, search: bool) -> list[str]:
    """What a side load's scratch file needs: the tables (no indexes), the FTS5 tables."""
    raw = store.engine.raw_connection()
    try:
        connection: Any = raw.driver_connection  # the driver's own (sqlite3, psycopg)
        found = dict(connection.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            f"AND name IN ({', '.join('?' * len(tables))})", tuple(tables)).fetchall())
        statements = [found[table] for table in tables]
        if search:
            statements += search_load.table_statements(connection)
        return statements
    finally:
        raw.close()


def _quoted_columns(table: str) -> str:
    return ", ".join(f'"{name}"' for name in COLUMNS[table])


def _sqlite_insert(table: str) -> str:
    marks = ", ".join("?" * len(COLUMNS[table]))
    return f'INSERT INTO "{table}" ({_quoted_columns(table)}) VALUES ({marks})'


class SideWriter:
    """The helper's half of a :class:`SideLoad`: fills the scratch file, one transaction."""

    def __init__(self, path: str, statements: Sequence[str], tables: Sequence[str]) -> None:
        self.tables = frozenset(tables)
        self.connection = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -262144"):
            self.connection.execute(f"PRAGMA {pragma}")
        self.connection.execute("BEGIN")
        for sql in statements:
            self.connection.execute(sql)
        self.search = SqliteSearchLoad(self.connection)

    def add(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Take one batch of the producer's: kept if it is a side table; its text indexed."""
        _check_batch(table, rows)
        if table in self.tables and rows:
            self.connection.executemany(_sqlite_insert(table), _encoded(table, rows))
        self.search.add(table, COLUMNS[table], rows)
        if table == "messages":
            self.search.flush()  # a chunk's subjects and messages: indexed, not kept

    def finish(self) -> None:
        self.search.finish()
        self.connection.execute("COMMIT")
        self.connection.close()


def _copy_side(connection: Any, side: SideLoad) -> None:
    side.wait()
    connection.execute(f"ATTACH DATABASE ? AS {SIDE_SCHEMA}", (side.path,))
    for table in side.tables:
        columns = _quoted_columns(table)
        connection.execute(f'INSERT INTO main."{table}" ({columns}) '
                           f'SELECT {columns} FROM {SIDE_SCHEMA}."{table}"')
    if side.search and search_load.has_search(connection):
        search_load.copy_index(connection, SIDE_SCHEMA)


# Settings only for the load's connection, restored before it goes back to the pool. Foreign
# keys and CHECK constraints are not evaluated row by row: the loader's rows are consistent by
# construction, and the same rows go through every constraint on PostgreSQL in the tests.
_SQLITE_LOAD_PRAGMAS = {
    "foreign_keys": ("OFF", "ON"),
    "ignore_check_constraints": ("ON", "OFF"),
    "synchronous": ("OFF", "NORMAL"),
    "cache_size": ("-262144", "-2000"),  # 256 MiB of page cache while loading, then the default
    "temp_store": ("MEMORY", "DEFAULT"),  # index rebuilds sort in memory, not in temp files
    "threads": ("2", "0"),  # ... and on two cores
}


def _rollback_journal(connection: Any) -> bool:
    """Leave WAL for a rollback journal for the load, if no other connection has the file open.

    In WAL every page of the load is written twice: into the log, then by the checkpoint into
    the database file (2.3 GB each way for a million tickets). A rollback journal holds only the
    original content of pages that existed before the transaction, and the desk is empty, so
    the rows are written once, straight into the file. Returns whether the switch took (it does
    not while another connection, a console say, has the desk open: the load then stays in WAL).
    While the load runs in the rollback journal it holds the file locked: nobody can open the
    desk until it commits (in WAL readers would see the empty desk meanwhile).
    """
    try:
        mode = connection.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    except sqlite3.OperationalError:  # "database is locked": another connection has it open
        return False
    return str(mode).lower() == "delete"


def _load_sqlite(store: Store, batches: Iterable[Batch], side: SideLoad | None) -> None:
    # Crash safety: the load is one transaction. In the rollback journal the few pages the desk
    # had before the load are saved before they are overwritten, so a load that fails, is
    # interrupted or dies with its process leaves a hot journal that the next connection rolls
    # back: the desk is as it was. synchronous=OFF means nothing is fsynced, so that promise
    # needs the operating system to survive (the kernel still writes out what the process
    # wrote); a power cut mid-load can leave the file damaged. That is the trade made for a
    # demo or an import into an empty desk. In WAL (the fallback) the database file is not
    # touched before the commit, and the checkpoint after it is not fsynced either.
    raw = store.engine.raw_connection()
    try:
        connection: Any = raw.driver_connection  # the driver's own (sqlite3, psycopg)
        journal = _rollback_journal(connection)
        # PRAGMA foreign_keys is ignored inside a transaction: set everything before BEGIN.
        for pragma, (during, _after) in _SQLITE_LOAD_PRAGMAS.items():
            connection.execute(f"PRAGMA {pragma} = {during}")
        try:
            if store.write_turns is not None:  # given back when raw is closed
                store.write_turns.take(raw.info)
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise StoreBusy("another writer kept the database locked; try again in a "
                                    "moment") from exc
                raise
            try:
                if connection.execute("SELECT 1 FROM tickets LIMIT 1").fetchone():
                    raise DeskNotEmpty("the desk already has tickets")
                indexes = _indexes()
                for index in indexes:
                    connection.execute(_ddl(store, DropIndex(index, if_exists=True)))
                triggers = search.sqlite_suspend(connection)
                # A side load brings the search index ready-made.
                search_index = SqliteSearchLoad(connection,
                                                build=side is None or not side.search)
                for table, rows in batches:
                    _check_batch(table, rows)
                    if side is not None and table in side.tables:
                        raise ValueError(f"bulk load: {table} comes from the side load")
                    if not rows:
                        continue
                    connection.executemany(_sqlite_insert(table), _encoded(table, rows))
                    search_index.add(table, COLUMNS[table], rows)
                # The indexes of the tables loaded here are sorted while the side load's
                # helper may still be at work; those of its tables once they are copied in.
                later = set(side.tables) if side is not None else set()
                for index in indexes:
                    if _table_name(index) not in later:
                        connection.execute(create_index_sql(index, store.engine.dialect))
                if side is not None:
                    # ATTACH works inside a transaction (a file attached before BEGIN IMMEDIATE
                    # would have been locked against the helper); DETACH waits for the end.
                    _copy_side(connection, side)
                for index in indexes:
                    if _table_name(index) in later:
                        connection.execute(create_index_sql(index, store.engine.dialect))
                search_index.finish()
                for sql in triggers:
                    connection.execute(sql)
                connection.execute(_COUNTER_SQL)
                connection.execute(BUMP_CHANGES_SQL, {"name": CHANGES_COUNTER})  # consoles
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            finally:
                attached = [name for _seq, name, _file in
                            connection.execute("PRAGMA database_list")]
                if SIDE_SCHEMA in attached:
                    connection.execute(f"DETACH DATABASE {SIDE_SCHEMA}")
            if not journal:
                # The load went through the write-ahead log; fold it into the database file now
                # and truncate it, rather than leave a log as big as the desk next to it.
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            if journal:
                # Back to WAL for everyone. Should that fail (someone opened the file meanwhile),
                # the next connection of the store switches it: every connection asks for WAL.
                with contextlib.suppress(sqlite3.OperationalError):
                    connection.execute("PRAGMA journal_mode = WAL")
            for pragma, (_during, after) in _SQLITE_LOAD_PRAGMAS.items():
                connection.execute(f"PRAGMA {pragma} = {after}")
    finally:
        raw.close()


def _load_postgres(store: Store, batches: Iterable[Batch]) -> None:
    raw = store.engine.raw_connection()
    try:
        connection: Any = raw.driver_connection  # the driver's own (sqlite3, psycopg)
        try:
            with connection.cursor() as cursor:
                # Nobody files a ticket while the desk is being filled.
                cursor.execute("LOCK TABLE tickets IN EXCLUSIVE MODE")
                cursor.execute("SELECT 1 FROM tickets LIMIT 1")
                if cursor.fetchone():
                    raise DeskNotEmpty("the desk already has tickets")
                indexes = _indexes()
                for index in indexes:
                    cursor.execute(_ddl(store, DropIndex(index, if_exists=True)))
                search_indexes = search.postgres_suspend(cursor)
                for table, rows in batches:
                    _check_batch(table, rows)
                    if not rows:
                        continue
                    sql = f"COPY {_insert_target(store, table)} FROM STDIN"
                    with cursor.copy(sql) as copy:
                        for row in _encoded(table, rows):
                            copy.write_row(row)
                for index in indexes:
                    cursor.execute(create_index_sql(index, store.engine.dialect))
                search.postgres_rebuild(cursor, search_indexes)
                cursor.execute(_COUNTER_SQL)
                for table in _SERIAL_TABLES:
                    # Rows came with their ids, so the sequences never moved: continue after them.
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    )
                # Fresh statistics, or the planner guesses about millions of rows until
                # autovacuum gets round to them.
                for table in COLUMNS:
                    cursor.execute(f"ANALYZE {table}")
                # Open consoles reload when the load commits (SQLite sees it via data_version).
                cursor.execute(f"NOTIFY {CHANGES_CHANNEL}")
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
    finally:
        raw.close()
