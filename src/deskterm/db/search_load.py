"""The SQLite search index of a bulk load, built beside the load on a second core.

A bulk load (:mod:`deskterm.db.bulk`) drops the search triggers, so nothing is indexed row by
row; :class:`SqliteSearchLoad` is handed every batch of tickets and messages and indexes their
subjects and bodies (``search_text``, and the documents with a CJK character in ``search_cjk``;
see :mod:`deskterm.db.search`) once the rows are in.

Tokenising a million tickets' three and a half million documents is a third of a 1M-ticket load
on one core, and the load's own connection is busy with its inserts and index sorts the whole
time. So once a load passes :data:`PARALLEL_DOCUMENTS` documents, the index is built in a helper
process into a scratch database next to the desk: the loader sends it each batch's documents
through a pipe as it inserts the rows, and at the end copies the finished FTS5 tables (their
shadow tables: ``_data``, ``_idx``, ``_docsize``, ``_config`` and the trigram table's
``_content``) into the desk, inside the load's transaction, so the load still commits or rolls
back as one. The desk must hold no search documents before the load (bulk loads go into empty
desks); the copies are then exactly the tables FTS5 would have written itself, with the same
SQLite library, from the same documents in the same order. Smaller loads, and desks without a
file (``:memory:``), are indexed in the load's own connection.

The scratch file is removed when the load ends, whatever happens; a helper that fails makes the
load fail (and roll back) with the helper's reason.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from deskterm.db.errors import StoreError
from deskterm.db.search import CJK_TABLE, SHIFT, TEXT_TABLE, has_cjk

PARALLEL_DOCUMENTS = 200_000
"""From this many documents on, a load's search index is built in a helper process."""

BULK_HASH_BYTES = 128 * 1024 * 1024
DEFAULT_HASH_BYTES = 1024 * 1024
DEFAULT_AUTOMERGE = 4

_TABLES = (TEXT_TABLE, CJK_TABLE)
_INSERT = {table: f"INSERT INTO {table}(rowid, text) VALUES (?, ?)" for table in _TABLES}

_SCRATCH = "deskterm_search_build"
"""The name the helper's database is attached under while its tables are copied."""

Documents = list[tuple[int, str]]


class SearchBuildFailed(StoreError):
    """The helper process building the search index stopped without finishing it."""


def _configure(connection, table: str, *, bulk: bool) -> None:
    """FTS5 settings for a build, or back to the defaults every later write uses.

    FTS5 writes its pending terms out as a segment whenever they pass 'hashsize' (1 MiB by
    default) and merges segments as they pile up ('automerge'). For a build, a 128 MiB hash and
    no merging take a third of the time; the few 128 MiB segments left answer queries as fast as
    one merged segment (measured on the 1M demo: "the" counted in 115 ms either way).
    """
    sql = f"INSERT INTO {table}({table}, rank) VALUES (?, ?)"
    connection.execute(sql, ("hashsize", BULK_HASH_BYTES if bulk else DEFAULT_HASH_BYTES))
    connection.execute(sql, ("automerge", 0 if bulk else DEFAULT_AUTOMERGE))


def _documents(table: str, columns: Sequence[str], rows: Sequence[tuple]) -> Documents:
    at = {name: i for i, name in enumerate(columns)}
    if table == "tickets":
        ticket, body = at["id"], at["subject"]
        return [(row[ticket] << SHIFT, row[body]) for row in rows]
    ticket, message, body = at["ticket_id"], at["id"], at["body"]
    return [((row[ticket] << SHIFT) | row[message], row[body]) for row in rows]


def _index(connection, documents: Documents) -> None:
    connection.executemany(_INSERT[TEXT_TABLE], documents)
    cjk = [document for document in documents if has_cjk(document[1])]
    if cjk:
        connection.executemany(_INSERT[CJK_TABLE], cjk)


def _shadow_tables(connection, schema: str = "main") -> list[str]:
    """The real tables behind the two FTS5 tables, by name."""
    return [name for (name,) in connection.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND ("
        + " OR ".join(f"name LIKE '{table}\\_%' ESCAPE '\\'" for table in _TABLES)
        + ") ORDER BY name")]


def _build(path: str, source: BinaryIO) -> None:
    """The helper: create the FTS5 tables in ``path``, index what arrives on ``source``, commit.

    ``source`` carries pickles: the tables' ``CREATE`` statements, then lists of documents, then
    ``None``. Ends without committing (exit code 3) if the stream ends before ``None``.
    """
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -262144"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute("BEGIN")
    for sql in pickle.load(source):
        connection.execute(sql)
    for table in _TABLES:
        _configure(connection, table, bulk=True)
    try:
        while (documents := pickle.load(source)) is not None:
            _index(connection, documents)
    except EOFError:  # the load gave up and closed the pipe: nothing to finish
        sys.exit(3)
    for table in _TABLES:
        _configure(connection, table, bulk=False)
    connection.execute("COMMIT")
    connection.close()


def _helper_command() -> list[str]:
    """How the helper is started (this module as a script, by the same Python)."""
    return [sys.executable, "-m", __name__]


class SqliteSearchLoad:
    """Indexes the tickets and messages of one SQLite bulk load; see the module's text.

    Made inside the load's transaction (after the triggers are dropped); :meth:`add` every
    batch, :meth:`finish` once the rows are in. Use it as a context manager: leaving it stops a
    helper that is still running and removes its scratch file. ``parallel=False`` keeps the
    build in the load's connection whatever its size.
    """

    def __init__(self, connection, *, parallel: bool = True) -> None:
        self.connection = connection
        self.enabled = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TEXT_TABLE,)
        ).fetchone() is not None
        self.parallel = parallel and self.enabled and self._empty()
        self.pending: Documents = []
        self.process: subprocess.Popen | None = None
        self.scratch: str | None = None
        self.attached = False

    def _empty(self) -> bool:
        """Whether the desk has no documents yet, so the helper's tables can replace its own."""
        return all(self.connection.execute(f"SELECT 1 FROM {table}_docsize LIMIT 1").fetchone()
                   is None for table in _TABLES)

    def __enter__(self) -> SqliteSearchLoad:
        return self

    def __exit__(self, *_exc) -> None:
        if self.attached:
            self.connection.execute(f"DETACH DATABASE {_SCRATCH}")
        if self.process is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()  # a helper still reading stops at the end of input
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.scratch is not None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(self.scratch)

    def add(self, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
        """Index the subjects (``tickets``) or bodies (``messages``) of freshly loaded rows."""
        if not self.enabled or table not in ("tickets", "messages") or not rows:
            return
        documents = _documents(table, columns, rows)
        if self.process is not None:
            self._send(documents)
            return
        self.pending.extend(documents)
        if self.parallel and len(self.pending) >= PARALLEL_DOCUMENTS and self._start():
            self._send(self.pending)
            self.pending = []

    def _send(self, item) -> None:
        try:
            pickle.dump(item, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        except BrokenPipeError:
            raise self._failed() from None

    def _failed(self) -> SearchBuildFailed:
        code = self.process.wait()
        return SearchBuildFailed(f"building the search index stopped (its helper process "
                                 f"exited with code {code}); nothing was loaded")

    def _start(self) -> bool:
        """Start the helper next to the desk's file; False (build here) for a desk without one."""
        folder = next((Path(file).parent for _seq, name, file in
                       self.connection.execute("PRAGMA database_list")
                       if name == "main" and file), None)
        if folder is None:
            return False
        statements = [sql for (sql,) in self.connection.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name IN (?, ?) ORDER BY name",
            _TABLES)]
        handle, self.scratch = tempfile.mkstemp(prefix=".deskterm-search-", suffix=".sqlite3",
                                                dir=folder)
        os.close(handle)
        self.process = subprocess.Popen([*_helper_command(), self.scratch],
                                        stdin=subprocess.PIPE)
        self._send(statements)
        return True

    def finish(self) -> None:
        """Index what is left; with a helper, wait for it and copy its tables into the desk."""
        if not self.enabled:
            return
        if self.process is None:
            for table in _TABLES:
                _configure(self.connection, table, bulk=True)
            _index(self.connection, self.pending)
            self.pending = []
            for table in _TABLES:
                _configure(self.connection, table, bulk=False)
            return
        self._send(None)
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            raise self._failed() from None
        if self.process.wait() != 0:
            raise self._failed()
        self._copy()

    def _copy(self) -> None:
        """Replace the desk's (empty) FTS5 tables with the helper's, inside the transaction.

        The scratch file is attached (ATTACH works inside a transaction; a file attached before
        ``BEGIN IMMEDIATE`` would have been locked against the helper) and detached again when
        the load ends (:meth:`__exit__`), after its commit or rollback.
        """
        self.connection.execute(f"ATTACH DATABASE ? AS {_SCRATCH}", (self.scratch,))
        self.attached = True
        tables = _shadow_tables(self.connection, _SCRATCH)
        if tables != _shadow_tables(self.connection):
            raise SearchBuildFailed("the search index was built with other tables than the "
                                    "desk's; nothing was loaded")
        for table in tables:
            self.connection.execute(f"DELETE FROM main.{table}")
            self.connection.execute(f"INSERT INTO main.{table} SELECT * FROM {_SCRATCH}.{table}")

if __name__ == "__main__":
    _build(sys.argv[1], sys.stdin.buffer)
