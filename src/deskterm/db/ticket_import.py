"""The writes of a ticket import (``deskterm import csv|jsonl``), in one transaction.

An import adds tickets to a desk that may already hold some, so it cannot be a
:mod:`deskterm.db.bulk` load (empty desks only), but it takes the same shortcuts where they are
safe:

- Rows go in by ``executemany`` on the DBAPI connection (SQLite) or ``COPY`` (PostgreSQL), in
  batches the caller hands over, with the ids assigned here: on SQLite from ``MAX(id)`` (the
  write lock of ``BEGIN IMMEDIATE`` is held throughout), on PostgreSQL from the sequences, many
  at once (``nextval`` over ``generate_series``), so no other writer is held up.
- Search: on SQLite the sync triggers are dropped for the inserts and the documents of the new
  tickets and messages indexed once at the end (:class:`deskterm.db.search_load.SqliteSearchLoad`)
  before the triggers are put back; on PostgreSQL the GIN indexes keep themselves up to date,
  unless the desk had no tickets: then they, and the secondary indexes of the big tables, are
  dropped and built once at the end, as a bulk load does (on SQLite too). Into an empty SQLite
  desk in a file the documents are indexed on a thread with a connection of its own, into a
  scratch file beside the desk, while the rows go in and their indexes are sorted, and the
  finished index is copied in before the commit
  (:class:`deskterm.db.search_load.ThreadedSearchLoad`); into an empty PostgreSQL desk the
  tables are analyzed after the commit, two connections side by side
  (:func:`postgres_analyze`).
- Updates of tickets imported before (same external id) run with the triggers in place (put
  back for them on SQLite), so their search documents follow the new text.

Everything runs in one transaction: an import that fails (or is interrupted) leaves nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.schema import DropIndex

from deskterm.db import bulk, search
from deskterm.db.engine import BUMP_CHANGES_SQL, CHANGES_CHANNEL, CHANGES_COUNTER, Store
from deskterm.db.errors import StoreBusy
from deskterm.db.models import create_index_sql
from deskterm.db.search_load import SqliteSearchLoad, ThreadedSearchLoad, table_statements

COLUMNS: dict[str, tuple[str, ...]] = {
    **bulk.BASE_COLUMNS,
    "tickets": (*bulk.BASE_COLUMNS["tickets"], "merged_into_id", "external_id"),
    "messages": (*bulk.BASE_COLUMNS["messages"], "source_message_id", "minutes", "via"),
    "events": (*bulk.BASE_COLUMNS["events"], "via"),
    "ticket_links": ("ticket_id", "other_id", "kind", "created_by_id", "created_at"),
    "attachments": ("id", "message_id", "filename", "content_type", "size", "sha256", "data"),
    "audit_log": ("at", "actor_agent_id", "via", "kind", "object", "field", "old", "new"),
}
"""The tables an import writes, and the order of the values in each row tuple."""

_TIMESTAMPS = frozenset({"created_at", "updated_at", "first_response_at", "solved_at",
                         "closed_at", "customer_replied_at", "at", "seen_at"})
_JSON_COLUMNS = {"agents": ("skills",)}
_SQLITE_PRAGMAS = {
    "foreign_keys": ("OFF", "ON"),
    "cache_size": ("-131072", "-2000"),  # 128 MiB of page cache while importing
    "temp_store": ("MEMORY", "DEFAULT"),
    "threads": ("2", "0"),  # the indexes rebuilt at the end are sorted on two cores
}
"""SQLite settings of the import's connection, put back before it returns to the pool. Foreign
keys are not checked row by row: every id an import writes was looked up or made by it in the
same transaction (the same rows go through every constraint on PostgreSQL in the tests).
(``bulk``'s ``synchronous = OFF`` is not taken: an import goes into a desk in use.)"""
_SKIP_CHECKS = {"ignore_check_constraints": ("ON", "OFF")}
"""SQLite, for a caller whose rows passed its own checks (``TicketLoad(checked=True)``)."""
_CHUNK = 500
"""Most values of one ``IN (...)`` lookup."""


LOCK_WAIT = 10.0
"""Seconds the first import into an empty PostgreSQL desk waits for the tables it takes whole
(see :meth:`TicketLoad._lock_for_rebuild`) before it gives up, changing nothing."""


def sqlite_pragmas(*, checked: bool) -> dict[str, tuple[str, str]]:
    """The settings of an import's SQLite connection: each pragma's value while the import
    runs and after (``checked``: the caller checked its rows, :class:`TicketLoad`)."""
    return {**_SQLITE_PRAGMAS, **(_SKIP_CHECKS if checked else {})}


def _chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[i:i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def _sqlite_value(moment: datetime | None) -> object:
    """sqlite_timestamp's text, by isoformat (several times faster)."""
    if moment is None:
        return None
    if moment.tzinfo is UTC:  # (most: the checks give UTC) less its "+00:00"
        return moment.isoformat(" ", "microseconds")[:-6]
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _same(moment: datetime | None) -> object:
    return moment


def timestamp_value(sqlite: bool) -> Callable[[datetime | None], object]:
    """How a timestamp goes into the store below SQLAlchemy (:meth:`TicketLoad.value`), to
    prepare rows before the load starts (in another process, say)."""
    return _sqlite_value if sqlite else _same


ANALYZED_TABLES = (("messages",), ("tickets", "organizations", "customers", "agents",
                                    "agent_groups", "tags", "events", "ticket_tags"))
"""The tables :func:`postgres_analyze` analyzes, in groups that run side by side."""
PLAIN_ANALYZED = frozenset({"messages"})
"""Tables :func:`postgres_analyze` analyzes by their columns, without the search index's
expression (``to_tsvector`` of every sampled body: 85% of ``ANALYZE messages``, measured on
50,000 tickets; the subjects' is cheap enough to keep)."""


def _analyzed_later(cursor: Any, table: str) -> bool:
    """Whether autovacuum will analyze ``table`` of its own accord (on for the server, which
    counts changes, and not turned off for the table)."""
    cursor.execute(
        "SELECT current_setting('autovacuum')::bool AND current_setting('track_counts')::bool "
        "AND COALESCE((SELECT option_value FROM pg_options_to_table(c.reloptions) WHERE "
        "option_name = 'autovacuum_enabled'), 'on')::bool FROM pg_class c "
        "WHERE c.oid = %s::regclass", (table,))
    row = cursor.fetchone()
    return bool(row and row[0])


def postgres_analyze(store: Store) -> None:
    """``ANALYZE`` the tables an import into an empty desk filled, once it has committed, the
    groups of :data:`ANALYZED_TABLES` on connections of their own at the same time.

    Most of ANALYZE's time was the search indexes' expressions (``to_tsvector`` of every sampled
    subject and body, and their lexemes counted): ``messages`` took as long as all the others
    together. The tables of :data:`PLAIN_ANALYZED` are analyzed by their columns alone (named:
    an ``ANALYZE`` given a column list leaves index expressions out, 6x faster on
    ``messages``), and their expressions' statistics are left to autovacuum, which analyzes the
    table whole within a minute or so (such a partial ``ANALYZE`` leaves the count of changed
    rows as it was, so the table is still due). Until then a search's ``@@`` on bodies is
    estimated with the planner's default selectivity, as before any statistics. Where
    autovacuum is off (for the server or the table) the table is analyzed whole, as before. Only
    statistics are written (the import's rows were committed before): should one fail, the
    import stands and autovacuum analyzes the tables later.
    """
    import threading

    def run(tables: Sequence[str]) -> None:
        # (A failure is let go: the import is in, and autovacuum analyzes the tables later.)
        with suppress(Exception):
            raw = store.engine.raw_connection()
            try:
                connection: Any = raw.driver_connection
                with connection.cursor() as cursor:
                    for table in tables:
                        if table in PLAIN_ANALYZED and _analyzed_later(cursor, table):
                            cursor.execute(
                                "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) "
                                "FROM pg_attribute WHERE attrelid = %s::regclass "
                                "AND attnum > 0 AND NOT attisdropped", (table,))
                            columns = cursor.fetchone()[0]
                            cursor.execute(f"ANALYZE {table} ({columns})")
                        else:
                            cursor.execute(f"ANALYZE {table}")
                connection.commit()
            finally:
                raw.close()

    others = [threading.Thread(target=run, args=(tables,), name="deskterm-analyze",
                               daemon=True) for tables in ANALYZED_TABLES[1:]]
    for thread in others:
        thread.start()
    run(ANALYZED_TABLES[0])
    for thread in others:
        thread.join()


def postgres_copy_types(connection: Any, table: str) -> dict[str, str]:
    """The type of each column of ``table``, by name, as a binary ``COPY`` names them
    (``copy.set_types``).

    Rows go in by ``COPY ... (FORMAT BINARY)``: the server reads integers, booleans and
    timestamps as they are rather than parsing their text, and psycopg writes them without
    formatting any (the importing process's ``COPY`` took a third of the CPU time it did in
    text, 50,000 tickets; the server's a tenth less). Binary ``COPY`` needs each value's exact
    type, hence the catalog's. A ``json`` column's binary form is its text, which is what an
    import hands over (already serialised), so it is sent as ``text``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a "
            "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
            (table,))
        return {name: "text" if kind == "json" else kind for name, kind in cursor.fetchall()}


class TicketLoad:
    """One import's transaction on ``store``: look names up, take ids, insert and update rows.

    Use as a context manager; :meth:`commit` at the end (leaving without it rolls back)."""

    def __init__(self, store: Store, *, checked: bool = False) -> None:
        self.store = store
        self.sqlite = store.is_sqlite
        # Every value the CHECK constraints test was made by the caller's checks (a CSV row's
        # status, priority and type come from fixed lists; tier and the author are set by it):
        # SQLite then skips them while rows go in (half the time of the tickets' inserts);
        # PostgreSQL tests them all the same.
        self._pragmas = sqlite_pragmas(checked=checked)
        self._raw: Any = None
        self.connection: Any = None
        self._next_id: dict[str, int] = {}
        self._sequences: dict[str, str] = {}
        self._inserting = False
        self._triggers: list[str] = []
        self._search: SqliteSearchLoad | None = None
        self._side_search: ThreadedSearchLoad | None = None
        self._side_file: bulk.SideFile | None = None
        self._pg_search: list[str] = []
        self._foreign_keys: list[tuple[str, str, str]] = []
        self._indexes: list[Any] = []
        self.desk_was_empty = False
        self._owns: bool | None = None
        self._locked: list[tuple[str, str, str]] | None = None  # (PostgreSQL: the keys)
        self._external_ids: dict[str, int] | None = None
        self._types: dict[str, dict[str, str]] = {}

    # --- the transaction --------------------------------------------------------------------

    def __enter__(self) -> TicketLoad:
        self._raw = self.store.engine.raw_connection()
        self.connection = self._raw.driver_connection
        try:
            if self.sqlite:
                # PRAGMA foreign_keys is ignored inside a transaction: set before BEGIN.
                for pragma, (during, _after) in self._pragmas.items():
                    self.connection.execute(f"PRAGMA {pragma} = {during}")
                if self.store.write_turns is not None:  # given back when _raw is closed
                    self.store.write_turns.take(self._raw.info)
                try:
                    self.connection.execute("BEGIN IMMEDIATE")
                except Exception as exc:
                    if "locked" in str(exc) or "busy" in str(exc):
                        raise StoreBusy("another writer kept the database locked; try again "
                                        "in a moment") from exc
                    raise
            else:
                if self._scalar("SELECT 1 FROM tickets LIMIT 1") is None and self._owner():
                    self._lock_for_rebuild()
                # Ticket numbers are taken from the counter's row: held until the end.
                self._execute("SELECT value FROM counters WHERE name = 'ticket_number' "
                              "FOR UPDATE")
            self.desk_was_empty = self._scalar("SELECT 1 FROM tickets LIMIT 1") is None
            if self._scalar("SELECT 1 FROM tickets WHERE external_id IS NOT NULL LIMIT 1") is None:
                # No ticket came from another desk yet: the external ids are those this import
                # writes, kept here (no other import runs meanwhile: SQLite's write lock, or
                # PostgreSQL's counter row), so looking them up asks the database nothing.
                self._external_ids = {}
        except BaseException:
            self._close(commit=False)
            raise
        return self

    def __exit__(self, kind: object, exc: object, traceback: object) -> None:
        if self._raw is not None:
            self._close(commit=False)

    def _close(self, *, commit: bool) -> None:
        try:
            if commit:
                if self.sqlite:
                    self.connection.execute("COMMIT")
                    if self._indexes:
                        # A desk filled from empty: fold the write-ahead log into the file and
                        # truncate it rather than leave a log as big as the desk beside it (as
                        # a bulk load does); a reader holding it open: it is folded in later.
                        with suppress(sqlite3.Error):
                            self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                else:
                    self.connection.commit()
            elif self.sqlite:
                if self.connection.in_transaction:
                    self.connection.execute("ROLLBACK")
            else:
                self.connection.rollback()
        finally:
            if self.sqlite:
                if self._side_file is not None:
                    if self._side_search is not None:
                        self._side_search.stop()
                    with suppress(sqlite3.Error):  # (else the connection's end lets go of it)
                        attached = [r[1] for r in
                                    self.connection.execute("PRAGMA database_list")]
                        if bulk.SIDE_SCHEMA in attached:
                            self.connection.execute(f"DETACH DATABASE {bulk.SIDE_SCHEMA}")
                for pragma, (_during, after) in self._pragmas.items():
                    self.connection.execute(f"PRAGMA {pragma} = {after}")
            self._raw.close()
            self._raw = None
            self._drop_side_search()

    def commit(self) -> None:
        """Finish the search index and the indexes, tell open consoles, commit."""
        if self._inserting:
            for index in self._indexes:
                self._execute(create_index_sql(index, self.store.engine.dialect))
            if self.sqlite:
                assert self._search is not None
                self._search.finish()
                if self._side_search is not None:
                    self._side_search.copy_into(self.connection, bulk.SIDE_SCHEMA)
                    self._side_search = None
                for sql in self._triggers:
                    self.connection.execute(sql)
            else:
                cursor = self.connection.cursor()
                search.postgres_rebuild(cursor, self._pg_search)
                for table, name, definition in self._foreign_keys:
                    # Checked again, every row in one pass (a row that broke one: an error,
                    # and the import rolls back).
                    self._execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        analyze = not self.sqlite and bool(self._indexes)
        if self.sqlite:
            self.connection.execute(BUMP_CHANGES_SQL.replace(":name", "?"), (CHANGES_COUNTER,))
        else:
            self._execute(f"NOTIFY {CHANGES_CHANNEL}")
        self._close(commit=True)
        if analyze:
            # Fresh statistics for a desk that was empty (as after a bulk load).
            postgres_analyze(self.store)

    # --- plain SQL ----------------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        return sql if self.sqlite else sql.replace("?", "%s")

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.sqlite:
            return self.connection.execute(sql, params)
        cursor = self.connection.cursor()
        cursor.execute(self._sql(sql), params)
        return cursor

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._execute(sql, params).fetchone()
        return row[0] if row else None

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._execute(sql, params).fetchall())

    def _marks(self, count: int) -> str:
        return ", ".join("?" * count)

    # --- looking up what is there -------------------------------------------------------------

    def organizations(self) -> list[tuple[int, str, str | None]]:
        """Every organization: id, name, domain."""
        return [(r[0], r[1], r[2]) for r in self._rows(
            "SELECT id, name, domain FROM organizations")]

    def groups(self) -> list[tuple[int, str]]:
        return [(r[0], r[1]) for r in self._rows("SELECT id, name FROM agent_groups")]

    def agents(self) -> list[tuple[int, str, str, str | None, bool]]:
        """Every agent: id, username, display name, e-mail, active."""
        return [(r[0], r[1], r[2], r[3], bool(r[4])) for r in self._rows(
            "SELECT id, username, display_name, email, active FROM agents")]

    def tags(self, names: Collection[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in _chunks(sorted(names)):
            found.update((r[1], r[0]) for r in self._rows(
                f"SELECT id, name FROM tags WHERE name IN ({self._marks(len(chunk))})", chunk))
        return found

    def customers_by_email(self, emails: Collection[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        if not self.sqlite:  # (joined to the array: see tickets_by_external_id)
            if emails:
                found.update((r[1], r[0]) for r in self._rows(
                    "SELECT c.id, c.email FROM unnest(?::text[]) AS wanted(value) "
                    "JOIN customers c ON c.email = wanted.value", (sorted(emails),)))
            return found
        for chunk in _chunks(sorted(emails)):
            found.update((r[1], r[0]) for r in self._rows(
                f"SELECT id, email FROM customers WHERE email IN ({self._marks(len(chunk))})",
                chunk))
        return found

    def customers_without_email(self, names: Collection[str]) -> dict[str, int]:
        """Customers known only by name, by their name (the oldest of a name)."""
        found: dict[str, int] = {}
        for chunk in _chunks(sorted(names)):
            for customer, name in self._rows(
                    f"SELECT id, name FROM customers WHERE email IS NULL AND name IN "
                    f"({self._marks(len(chunk))}) ORDER BY id DESC", chunk):
                found[name] = customer
        return found

    def tickets_by_external_id(self, external_ids: Collection[str]) -> dict[str, int]:
        if self._external_ids is not None:
            known = self._external_ids
            return {value: known[value] for value in external_ids if value in known}
        found: dict[str, int] = {}
        if self.sqlite:
            for chunk in _chunks(sorted(external_ids)):
                found.update((r[1], r[0]) for r in self._rows(
                    f"SELECT id, external_id FROM tickets WHERE external_id IN "
                    f"({self._marks(len(chunk))})", chunk))
        elif external_ids:
            # Joined to the array, so the planner probes the unique index once per id (an
            # ``IN`` list of hundreds of ids was read as a scan of the whole table: its
            # statistics are those of before the import's first rows).
            found.update((r[1], r[0]) for r in self._rows(
                "SELECT t.id, t.external_id FROM unnest(?::text[]) AS wanted(value) "
                "JOIN tickets t ON t.external_id = wanted.value", (sorted(external_ids),)))
        return found

    def existing_tickets(self, numbers: Collection[int]) -> set[int]:
        found: set[int] = set()
        for chunk in _chunks(sorted(numbers)):
            found.update(r[0] for r in self._rows(
                f"SELECT id FROM tickets WHERE id IN ({self._marks(len(chunk))})", chunk))
        return found

    # --- ids ------------------------------------------------------------------------------------

    def new_ids(self, table: str, count: int) -> list[int]:
        """``count`` fresh ids for rows of ``table``."""
        if count == 0:
            return []
        if self.sqlite:
            if table not in self._next_id:
                self._next_id[table] = (self._scalar(f"SELECT MAX(id) FROM {table}") or 0) + 1
            first = self._next_id[table]
            self._next_id[table] = first + count
            return list(range(first, first + count))
        if table not in self._sequences:  # (named once: not once per id)
            self._sequences[table] = self._scalar("SELECT pg_get_serial_sequence(?, 'id')",
                                                  (table,))
        return [r[0] for r in self._rows(
            "SELECT nextval(?::regclass) FROM generate_series(1, ?)",
            (self._sequences[table], count))]

    def ticket_numbers(self, count: int) -> range:
        """The next ``count`` ticket numbers (#1001 ...)."""
        value = self._scalar("UPDATE counters SET value = value + ? WHERE name = "
                             "'ticket_number' RETURNING value", (count,))
        return range(value - count, value)

    def keep_numbers(self, numbers: Collection[int]) -> None:
        """Tickets come with their own numbers (a JSONL import): the counter continues after
        the highest, and (PostgreSQL) so do the sequences of the tables given ids here."""
        if numbers:
            self._execute("UPDATE counters SET value = ? WHERE name = 'ticket_number' "
                          "AND value <= ?", (max(numbers) + 1, max(numbers)))

    def advance_sequences(self, tables: Collection[str]) -> None:
        """PostgreSQL: rows that brought their own ids leave the sequences behind them."""
        if self.sqlite:
            return
        for table in tables:
            self._execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                          f"GREATEST(COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, "
                          f"nextval(pg_get_serial_sequence('{table}', 'id'))), false)")

    # --- writing ------------------------------------------------------------------------------

    def value(self, moment: datetime | None) -> object:
        """A timestamp as the store takes it below SQLAlchemy."""
        return (_sqlite_value if self.sqlite else _same)(moment)

    def _start_inserting(self) -> None:
        """Before the first insert: search triggers off (SQLite) and, into a desk without
        tickets, the big tables' indexes dropped until the end (into a desk with tickets they
        stay: rebuilding a big desk's indexes for a small import would cost more)."""
        self._inserting = True
        # Dropping indexes and constraints is the tables' owner's: a role that is not (an
        # admin's own role on a desk with per-agent roles, deskterm.db.pg_roles) imports
        # into the indexed tables, as into a desk with tickets.
        rebuild = self.desk_was_empty and (self.sqlite or self._owner())
        if self.sqlite:
            if rebuild:
                self._drop_indexes()
            self._triggers = search.sqlite_suspend(self.connection)
            if rebuild and bulk.can_side_load(self.store) and (
                    statements := table_statements(self.connection)):
                # A desk without tickets has no search documents: its index is built on a
                # thread with a connection of its own, into a scratch file beside the desk,
                # while this connection inserts the rows and sorts their indexes, then copied
                # in (as a bulk load's side load is) before the commit.
                self._side_file = bulk.side_file(self.store)
                self._side_search = ThreadedSearchLoad(self._side_file.path, statements)
                self._search = SqliteSearchLoad(self.connection, build=False)
            else:
                self._search = SqliteSearchLoad(self.connection)
        elif rebuild and self._locked is not None:
            self._drop_indexes()
            self._pg_search = search.postgres_suspend(self.connection.cursor())
            # The big tables' foreign keys too: checked row by row they were a third of the
            # server's time; added back at the end, they check every row in one pass.
            self._foreign_keys = self._locked
            for table, name, _definition in self._foreign_keys:
                self._execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')

    def _lock_for_rebuild(self) -> None:
        """PostgreSQL, into a desk without tickets: every table whose indexes or foreign keys
        the import drops, and every table those keys refer to (dropping a key locks both
        ends), locked at once before anything else, so that no session sees them half-done
        (it waits: until the import commits or rolls back) and none can hold one of them
        while waiting for the import (for its ticket-number counter, say): taken one by one
        at the first insert, after the counter's row, that was a deadlock. A session that
        holds one of them for more than :data:`LOCK_WAIT` refuses the import (StoreBusy),
        and nothing is changed. A ticket filed meanwhile: the desk is not empty any more,
        and nothing is dropped (:meth:`_start_inserting`)."""
        keys = [(r[0], r[1], r[2], r[3]) for r in self._rows(
            "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid), f.relname "
            "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
            "JOIN pg_class f ON f.oid = k.confrelid WHERE k.contype = 'f' "
            "AND c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(?) "
            "ORDER BY c.relname, k.conname", (list(bulk.REBUILT_TABLES),))]
        quote = self.store.engine.dialect.identifier_preparer.quote
        tables = ", ".join(quote(t) for t in sorted({*bulk.REBUILT_TABLES,
                                                      *(key[3] for key in keys)}))
        self._execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT * 1000:.0f}ms'")
        try:
            self._execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")
        except Exception as exc:
            if getattr(exc, "sqlstate", None) == "55P03":  # lock_not_available
                raise StoreBusy("another session is using the desk (its tickets, customers "
                                "or agents); try the import again in a moment") from exc
            raise
        self._execute("SET LOCAL lock_timeout = DEFAULT")
        self._locked = [(table, name, definition) for table, name, definition, _to in keys]

    def _owner(self) -> bool:
        """Whether the session may take the owner's shortcuts (PostgreSQL): dropping indexes,
        COPY (refused where row-level security holds the role, deskterm.db.pg_roles)."""
        if self._owns is None:
            self._owns = bool(self._scalar(
                "SELECT pg_has_role(current_user, relowner, 'MEMBER') FROM pg_class "
                "WHERE oid = 'tickets'::regclass"))
        return self._owns

    def _drop_side_search(self) -> None:
        """The search thread stopped and its scratch file removed (after the transaction)."""
        if self._side_search is not None:
            self._side_search.stop()
            self._side_search = None
        if self._side_file is not None:
            self._side_file.remove()
            self._side_file = None

    def _drop_indexes(self) -> None:
        from sqlmodel import SQLModel

        for name in bulk.REBUILT_TABLES:
            for index in sorted(SQLModel.metadata.tables[name].indexes,
                                key=lambda ix: str(ix.name)):
                if index.unique:
                    continue  # kept: re-imports and links rely on it while rows go in
                self._indexes.append(index)
                self._execute(str(DropIndex(index, if_exists=True).compile(
                    dialect=self.store.engine.dialect)))

    def insert(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert ``rows`` (tuples in the order of :data:`COLUMNS`) into ``table``."""
        if not rows:
            return
        if not self._inserting:
            self._start_inserting()
        columns = COLUMNS[table]
        if table == "tickets" and self._external_ids is not None:
            self._external_ids.update((row[-1], row[0]) for row in rows if row[-1] is not None)
        if table in _JSON_COLUMNS:
            at = [columns.index(name) for name in _JSON_COLUMNS[table]]
            rows = [tuple(json.dumps(v) if i in at else v for i, v in enumerate(row))
                    for row in rows]
        quote = self.store.engine.dialect.identifier_preparer.quote
        target = f"{quote(table)} ({', '.join(quote(name) for name in columns)})"
        if self.sqlite:
            self.connection.executemany(
                f"INSERT INTO {target} VALUES ({self._marks(len(columns))})", rows)
            assert self._search is not None
            if self._side_search is not None:
                self._side_search.add(table, columns, rows)
            self._search.add(table, columns, rows)
            if table == "messages":
                self._search.flush()
        elif self._owner():
            types = self._copy_types(table, columns)
            with self.connection.cursor() as cursor, cursor.copy(
                    f"COPY {target} FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        else:
            with self.connection.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {target} VALUES "
                                   f"({', '.join(['%s'] * len(columns))})", rows)

    def _copy_types(self, table: str, columns: Sequence[str]) -> list[str]:
        """PostgreSQL: the types of ``columns`` of ``table`` for a binary ``COPY`` (asked once
        per table)."""
        if table not in self._types:
            self._types[table] = postgres_copy_types(self.connection, table)
        found = self._types[table]
        return [found[name] for name in columns]

    @contextmanager
    def _search_follows(self) -> Iterator[None]:
        """Updates of stored text with the search triggers in place (SQLite: put back for
        them, and dropped again after), so the index follows the new subjects and bodies."""
        if not (self.sqlite and self._inserting):
            yield
            return
        assert self._search is not None
        if self._side_search is not None:
            # The triggers write into the desk's index: what the thread has indexed so far
            # goes in first, and the rest of the import indexes on this connection.
            self._side_search.copy_into(self.connection, bulk.SIDE_SCHEMA)
            self._side_search = None
            self._search = SqliteSearchLoad(self.connection)
        self._search.flush()
        for sql in self._triggers:
            self.connection.execute(sql)
        try:
            yield
        finally:
            self._triggers = search.sqlite_suspend(self.connection)

    def update_tickets(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Tickets imported before, again: ``(subject, status, priority, type, channel,
        requester_id, assignee_id, group_id, created_at, updated_at, solved_at, closed_at,
        number)``; their version goes up."""
        if rows:
            with self._search_follows():
                self.connection.cursor().executemany(self._sql(
                    "UPDATE tickets SET subject = ?, status = ?, priority = ?, type = ?, "
                    "channel = ?, requester_id = ?, assignee_id = ?, group_id = ?, "
                    "created_at = ?, updated_at = ?, solved_at = ?, closed_at = ?, "
                    "version = version + 1 WHERE id = ?"), rows)

    def update_first_messages(self, rows: Sequence[tuple[str, int]]) -> None:
        """``(body, number)``: the first message of each ticket gets the body (if it differs)."""
        if rows:
            with self._search_follows():
                self.connection.cursor().executemany(self._sql(
                    "UPDATE messages SET body = ? WHERE id = (SELECT MIN(id) FROM messages "
                    "WHERE ticket_id = ?) AND body <> ?"),
                    [(body, number, body) for body, number in rows])

    def set_merged(self, pairs: Sequence[tuple[int, int]]) -> None:
        """``(into, number)``: ticket ``number`` was merged into ``into``."""
        if pairs:
            self.connection.cursor().executemany(self._sql(
                "UPDATE tickets SET merged_into_id = ? WHERE id = ?"), pairs)

    def replace_tags(self, numbers: Sequence[int]) -> None:
        """Tickets whose tags the import sets afresh (their rows follow as inserts)."""
        for chunk in _chunks(numbers):
            self._execute(f"DELETE FROM ticket_tags WHERE ticket_id IN "
                          f"({self._marks(len(chunk))})", chunk)
