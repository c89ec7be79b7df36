"""The SQLite search index of a bulk load: built once from the loaded rows, never row by row.

A bulk load (:mod:`deskterm.db.bulk`) drops the search triggers; :class:`SqliteSearchLoad` is
handed every batch of tickets and messages and indexes their subjects and bodies once the rows
are in (``search_text``, and the documents with a CJK character in ``search_cjk``; see
:mod:`deskterm.db.search`). The same class builds the index in a scratch database written by a
helper process beside the load (see :class:`deskterm.db.bulk.SideLoad`), and
:func:`copy_index` then moves the finished FTS5 tables into the desk: their shadow tables
(``_data``, ``_idx``, ``_docsize``, ``_config`` and the trigram table's ``_content``) are
exactly what FTS5 would have written itself from the same documents in the same order, with the
same SQLite library. That needs a desk with no search documents yet, which a bulk load's empty
desk is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from deskterm.db.errors import StoreError
from deskterm.db.search import CJK_TABLE, SHIFT, TEXT_TABLE, has_cjk

BULK_HASH_BYTES = 128 * 1024 * 1024
DEFAULT_HASH_BYTES = 1024 * 1024
DEFAULT_AUTOMERGE = 4

TABLES = (TEXT_TABLE, CJK_TABLE)
"""The FTS5 tables a load fills."""
_INSERT = {table: f"INSERT INTO {table}(rowid, text) VALUES (?, ?)" for table in TABLES}


def _configure(connection: sqlite3.Connection, *, bulk: bool) -> None:
    """FTS5 settings for a build, or back to the defaults every later write uses.

    FTS5 writes its pending terms out as a segment whenever they pass 'hashsize' (1 MiB by
    default) and merges segments as they pile up ('automerge'). For a build, a 128 MiB hash and
    no merging take a third of the time; the few 128 MiB segments left answer queries as fast as
    one merged segment (measured on the 1M demo: "the" counted in 115 ms either way).
    """
    for table in TABLES:
        sql = f"INSERT INTO {table}({table}, rank) VALUES (?, ?)"
        connection.execute(sql, ("hashsize", BULK_HASH_BYTES if bulk else DEFAULT_HASH_BYTES))
        connection.execute(sql, ("automerge", 0 if bulk else DEFAULT_AUTOMERGE))


def has_search(connection: sqlite3.Connection, schema: str = "main") -> bool:
    return connection.execute(
        f"SELECT 1 FROM {schema}.sqlite_master WHERE type = 'table' AND name = ?", (TEXT_TABLE,)
    ).fetchone() is not None


def table_statements(connection: sqlite3.Connection) -> list[str]:
    """The ``CREATE VIRTUAL TABLE`` statements of the two FTS5 tables (none without search)."""
    return [sql for (sql,) in connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name IN (?, ?) ORDER BY name",
        TABLES)]


class SqliteSearchLoad:
    """Indexes the tickets and messages of one bulk load in ``connection``.

    :meth:`add` every batch as it is loaded; :meth:`flush` writes what was added so far (a
    caller short of memory flushes after each chunk of messages), :meth:`finish` the rest.
    ``build=False`` takes nothing (the index comes from elsewhere). Documents are written in
    rowid order: FTS5 writes its pending terms out as a segment
    whenever a rowid is lower than the one before, so a ticket's subject followed by the
    messages of the whole chunk would cut one segment per chunk; in order, segments are cut
    only at 'hashsize'.
    """

    def __init__(self, connection: sqlite3.Connection, *, build: bool = True) -> None:
        self.connection = connection
        self.enabled = build and has_search(connection)
        self.pending: list[tuple[int, str]] = []
        self.configured = False

    def add(self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        """Take the subjects (``tickets``) or bodies (``messages``) of freshly loaded rows."""
        if not self.enabled or not rows:
            return
        at = {name: i for i, name in enumerate(columns)}
        if table == "tickets":
            ticket, body = at["id"], at["subject"]
            self.pending.extend((row[ticket] << SHIFT, row[body]) for row in rows)
        elif table == "messages":
            ticket, message, body = at["ticket_id"], at["id"], at["body"]
            self.pending.extend(((row[ticket] << SHIFT) | row[message], row[body])
                                for row in rows)

    def flush(self) -> None:
        if not self.pending:
            return
        if not self.configured:
            _configure(self.connection, bulk=True)
            self.configured = True
        self.pending.sort()
        self.connection.executemany(_INSERT[TEXT_TABLE], self.pending)
        self.connection.executemany(
            _INSERT[CJK_TABLE], [document for document in self.pending if has_cjk(document[1])])
        self.pending = []

    def finish(self) -> None:
        """Write the rest, then merge the index into one segment per table (:func:`_merge`)
        and set FTS5 back to its defaults."""
        self.flush()
        if self.configured:
            _configure(self.connection, bulk=False)
            _merge(self.connection)
            self.configured = False


def _merge(connection: sqlite3.Connection) -> None:
    """Merge each FTS5 table's segments into one ('optimize'), then lift it to the level its
    size belongs on (:func:`_lift`).

    A build leaves one segment per 'hashsize' of terms, all on FTS5's first level (a million
    tickets: a dozen and more). The desk's first small write adds one more there, and once a
    level holds 'crisismerge' (16) segments FTS5 merges them all at once, inside that write:
    the first ``automate run`` after seeding the 1M demo took 9.8 s instead of 10 ms, most
    of it that merge. Made here it is part of the load (and, in a helper, on the other core);
    one segment costs nothing to "merge"."""
    for table in TABLES:
        connection.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
        _lift(connection, table)


STRUCTURE_ROWID = 10
"""The ``%_data`` row holding an FTS5 index's structure record (its segments, by level)."""
MAX_LEVEL = 63
"""FTS5 keeps at most 64 levels (``FTS5_MAX_LEVEL``)."""


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """SQLite's varint at ``data[at:]`` (big-endian, 7 bits a byte, the ninth byte whole):
    its value and where the next one starts."""
    value = 0
    for i in range(9):
        byte = data[at + i]
        if i == 8:
            return (value << 8) | byte, at + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, at + i + 1
    raise AssertionError("unreachable")


def _put_varint(value: int) -> bytes:
    """:func:`_varint`'s inverse, for values below 2^56 (every count in a structure record)."""
    if value < 0 or value >= 1 << 56:
        raise ValueError(f"varint out of range: {value}")
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def lone_segment_level(pages: int, *, automerge: int = DEFAULT_AUTOMERGE) -> int:
    """The level FTS5's own merging would have brought a segment of ``pages`` leaf pages to:
    each level's segments are ``automerge`` times the size of the level's below, from single
    pages written one small transaction at a time."""
    level = 0
    while automerge ** level < pages and level < MAX_LEVEL:
        level += 1
    return level


def structure(connection: sqlite3.Connection, table: str) -> list[list[tuple[int, int, int]]]:
    """The segments of FTS5 ``table`` by level: ``(segment id, first page, last page)``. Reads
    the legacy structure record, the one every table without ``contentless_delete`` writes;
    raises ValueError for anything else."""
    (record,) = connection.execute(
        f"SELECT block FROM {table}_data WHERE id = ?", (STRUCTURE_ROWID,)).fetchone()
    return _decode(bytes(record))[2]


def _decode(record: bytes) -> tuple[bytes, int, list[list[tuple[int, int, int]]]]:
    """(cookie, write counter, segments by level) of a legacy structure record."""
    if len(record) < 5 or record[4:8] == b"\xff\x00\x00\x01":  # FTS5_STRUCTURE_V2
        raise ValueError("not a legacy FTS5 structure record")
    cookie = record[:4]
    levels_count, at = _varint(record, 4)
    segments_count, at = _varint(record, at)
    written, at = _varint(record, at)
    levels: list[list[tuple[int, int, int]]] = []
    for _ in range(levels_count):
        merging, at = _varint(record, at)
        count, at = _varint(record, at)
        if merging:
            raise ValueError("an FTS5 merge is under way")
        level = []
        for _ in range(count):
            segment, at = _varint(record, at)
            first, at = _varint(record, at)
            last, at = _varint(record, at)
            level.append((segment, first, last))
        levels.append(level)
    if at != len(record) or sum(map(len, levels)) != segments_count:
        raise ValueError("not a legacy FTS5 structure record")
    return cookie, written, levels


def _encode(cookie: bytes, written: int,
            levels: Sequence[Sequence[tuple[int, int, int]]]) -> bytes:
    out = [cookie, _put_varint(len(levels)),
           _put_varint(sum(map(len, levels))), _put_varint(written)]
    for level in levels:
        out += [_put_varint(0), _put_varint(len(level))]
        for segment, first, last in level:
            out += [_put_varint(segment), _put_varint(first), _put_varint(last)]
    return b"".join(out)


def _lift(connection: sqlite3.Connection, table: str) -> None:
    """Move the lone segment 'optimize' left in ``table`` up to the level of its size.

    'optimize' writes its one segment just above the levels there were: after a build (every
    segment on level 0) on level 1, whatever its size (the 1M demo's ``search_text``: 117,000
    pages). Each later write adds a segment of a page or two on level 0; FTS5 merges a level
    once it holds 'automerge' (4) segments into the level above, so within a few dozen writes
    level 1 held four, the big one among them, and FTS5 rewrote the whole index, most of it
    inside one write (14 s in the first ``automate run`` after a 1M seed; the pass's 300-500
    reminders took 10-14 s instead of 0.2 s). Grown one write at a time, a segment that size
    would sit on a level of its own size (:func:`lone_segment_level`, 9 here), where the small
    ones reach it only after hundreds of thousands of writes, and merge with it then as
    FTS5 merges segments of like size. The levels are only the structure record's bookkeeping:
    the segment's pages stay where they are (its id names them), only the record changes."""
    try:
        (record,) = connection.execute(
            f"SELECT block FROM {table}_data WHERE id = ?", (STRUCTURE_ROWID,)).fetchone()
        cookie, written, levels = _decode(bytes(record))
    except ValueError:
        return  # a format this code does not know: left as FTS5 wrote it
    segments = [(at, segment) for at, level in enumerate(levels) for segment in level]
    if len(segments) != 1:
        return
    now, (segment, first, last) = segments[0]
    level = lone_segment_level(last - first + 1)
    if level <= now:
        return
    lifted: list[list[tuple[int, int, int]]] = [[] for _ in range(level)]
    lifted.append([(segment, first, last)])
    connection.execute(f"UPDATE {table}_data SET block = ? WHERE id = ?",
                       (_encode(cookie, written, lifted), STRUCTURE_ROWID))


def _shadow_tables(connection: sqlite3.Connection, schema: str = "main") -> list[str]:
    """The real tables behind the two FTS5 tables, by name."""
    return [name for (name,) in connection.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND ("
        + " OR ".join(f"name LIKE '{table}\\_%' ESCAPE '\\'" for table in TABLES)
        + ") ORDER BY name")]


def copy_index(connection: sqlite3.Connection, schema: str) -> None:
    """Replace the desk's empty FTS5 tables with those built in the attached ``schema``."""
    tables = _shadow_tables(connection, schema)
    if tables != _shadow_tables(connection):
        raise StoreError("the search index was built with other tables than the desk's; "
                         "nothing was loaded")
    if any(connection.execute(f"SELECT 1 FROM main.{table}_docsize LIMIT 1").fetchone()
           for table in TABLES):
        raise StoreError("the desk already has a search index; nothing was loaded")
    for table in tables:
        connection.execute(f"DELETE FROM main.{table}")
        connection.execute(f"INSERT INTO main.{table} SELECT * FROM {schema}.{table}")


class ThreadedSearchLoad:
    """:class:`SqliteSearchLoad`'s work on a thread of its own, into a scratch file.

    For a load into a desk without search documents (an import into an empty desk): the
    documents are indexed by a second connection, to the file at ``path``, on a thread, while
    the load's connection goes on inserting rows and sorting its indexes. SQLite lets go of
    Python's lock while it works, so tokenising the text runs on the machine's other core.
    :meth:`copy_into` then waits for the thread and copies the finished FTS5 tables into the
    load's connection (:func:`copy_index`, inside its transaction, with the file attached as
    ``schema``); the caller detaches it after the transaction ends and removes the file.

    :meth:`add` takes the same batches as :meth:`SqliteSearchLoad.add` (the rows are only
    read, never changed, by either side); at most ``queued`` batches wait for the thread, so
    memory stays bounded.
    """

    def __init__(self, path: str, statements: Sequence[str], *, queued: int = 8) -> None:
        import queue
        import threading

        self.path = path
        self._statements = list(statements)
        self._queue: queue.Queue[tuple[str, Sequence[str], Sequence[tuple[Any, ...]]] | None]
        self._queue = queue.Queue(maxsize=queued)
        self._failed: BaseException | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="deskterm-search-load",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            connection = sqlite3.connect(self.path, isolation_level=None)
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -65536"):
                connection.execute(f"PRAGMA {pragma}")
            connection.execute("BEGIN")
            for sql in self._statements:
                connection.execute(sql)
            load = SqliteSearchLoad(connection)
            while (item := self._queue.get()) is not None:
                if self._stop or self._failed is not None:
                    continue  # (drained, so that the producer never waits on a full queue)
                table, columns, rows = item
                load.add(table, columns, rows)
                if table == "messages":
                    load.flush()
            if not self._stop:
                load.finish()
                connection.execute("COMMIT")
        except BaseException as exc:  # raised to the load by copy_into
            self._failed = exc
            while self._queue.get() is not None:
                pass
        finally:
            if connection is not None:
                connection.close()

    def add(self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        if rows and table in ("tickets", "messages") and self._failed is None:
            self._queue.put((table, columns, rows))

    def _join(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def copy_into(self, connection: sqlite3.Connection, schema: str) -> None:
        """Wait for the thread, then copy its index into ``connection``'s (empty) one."""
        self._join()
        if self._failed is not None:
            raise StoreError(f"building the search index failed: {self._failed}") \
                from self._failed
        connection.execute(f"ATTACH DATABASE ? AS {schema}", (self.path,))
        copy_index(connection, schema)

    def stop(self) -> None:
        """Stop the thread, its work thrown away (the load failed, or went another way)."""
        self._stop = True
        self._join()
