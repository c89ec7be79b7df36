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
SQLite the FTS5 index is built once, beside the load (:mod:`deskterm.db.search_load`: in a
helper process for a big load, so a second core tokenises while this one inserts).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import JSON, Index
from sqlalchemy.schema import CreateIndex, DropIndex
from sqlmodel import SQLModel

from deskterm.db import (
    models,  # noqa: F401  (registers the tables on SQLModel.metadata)
    search,
)
from deskterm.db.engine import BUMP_CHANGES_SQL, CHANGES_CHANNEL, CHANGES_COUNTER, Store
from deskterm.db.errors import StoreBusy
from deskterm.db.search_load import SqliteSearchLoad
from deskterm.db.types import sqlite_timestamp

COLUMNS: dict[str, tuple[str, ...]] = {
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
"""The tables a bulk load may fill, and the order of the values in each row tuple."""

REBUILT_TABLES = ("tickets", "messages", "events", "ticket_tags")
"""Tables whose secondary indexes are dropped for the load and rebuilt after it."""

_SERIAL_TABLES = ("organizations", "customers", "agents", "agent_groups", "tags", "messages",
                  "events")
"""Tables whose ids come from a sequence on PostgreSQL (tickets are numbered by a counter)."""


class DeskNotEmpty(Exception):
    """The desk got tickets between the caller's check and the load; nothing was written."""


Batch = tuple[str, Sequence[tuple]]
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


def _indexes() -> list[Index]:
    found = []
    for name in REBUILT_TABLES:
        found.extend(sorted(SQLModel.metadata.tables[name].indexes, key=lambda ix: ix.name))
    return found


def _ddl(store: Store, statement) -> str:
    return str(statement.compile(dialect=store.engine.dialect))


def _json_columns(table: str) -> list[int]:
    columns = SQLModel.metadata.tables[table].columns
    return [i for i, name in enumerate(COLUMNS[table]) if isinstance(columns[name].type, JSON)]


def _encoded(table: str, rows: Sequence[tuple]) -> Sequence[tuple]:
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


def _check_batch(table: str, rows: Sequence[tuple]) -> None:
    if table not in COLUMNS:
        raise ValueError(f"bulk load: unknown table {table!r}")
    if rows and len(rows[0]) != len(COLUMNS[table]):
        raise ValueError(f"bulk load: {table} rows need {len(COLUMNS[table])} values, "
                         f"got {len(rows[0])}")


_COUNTER_SQL = (
    "UPDATE counters SET value = (SELECT MAX(id) + 1 FROM tickets) "
    "WHERE name = 'ticket_number' AND EXISTS (SELECT 1 FROM tickets)"
)


def load(store: Store, batches: Iterable[Batch]) -> None:
    """Insert every batch in one transaction into a desk that has no tickets.

    Rows bring their own ids. Afterwards the ticket-number counter continues after the highest
    ticket, and (on PostgreSQL) every sequence after the highest id. Raises
    :class:`DeskNotEmpty` if the desk has tickets by the time the transaction starts.
    """
    if store.is_sqlite:
        _load_sqlite(store, batches)
    else:
        _load_postgres(store, batches)


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


def _rollback_journal(connection) -> bool:
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


def _load_sqlite(store: Store, batches: Iterable[Batch]) -> None:
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
        connection = raw.driver_connection
        journal = _rollback_journal(connection)
        # PRAGMA foreign_keys is ignored inside a transaction: set everything before BEGIN.
        for pragma, (during, _after) in _SQLITE_LOAD_PRAGMAS.items():
            connection.execute(f"PRAGMA {pragma} = {during}")
        try:
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise StoreBusy("another writer kept the database locked; try again in a "
                                    "moment") from exc
                raise
            # The search index's helper (if the load is big enough to start one) is stopped and
            # its scratch file removed when this block ends, after the commit or rollback.
            with SqliteSearchLoad(connection) as search_index:
                try:
                    if connection.execute("SELECT 1 FROM tickets LIMIT 1").fetchone():
                        raise DeskNotEmpty("the desk already has tickets")
                    indexes = _indexes()
                    for index in indexes:
                        connection.execute(_ddl(store, DropIndex(index, if_exists=True)))
                    triggers = search.sqlite_suspend(connection)
                    for table, rows in batches:
                        _check_batch(table, rows)
                        if not rows:
                            continue
                        connection.executemany(
                            f"INSERT INTO {_insert_target(store, table)} "
                            f"VALUES ({', '.join('?' * len(COLUMNS[table]))})",
                            _encoded(table, rows),
                        )
                        search_index.add(table, COLUMNS[table], rows)
                    for index in indexes:
                        connection.execute(_ddl(store, CreateIndex(index)))
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
        connection = raw.driver_connection
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
                    cursor.execute(_ddl(store, CreateIndex(index)))
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
