"""How fast ``deskterm demo`` seeds a SQLite desk, against a raw ``sqlite3`` baseline.

1. ``seed_demo`` fills a fresh, migrated SQLite file with N tickets (timed whole: generating
   every row, the bulk load, rebuilding the indexes and the full-text search index).
2. The same generator makes the same rows again (same seed, clock and starting ids), and a plain
   ``sqlite3`` connection inserts them with ``executemany`` into an empty copy of the same
   schema in one transaction, default pragmas. Only the database work is timed: generating the
   rows is not part of the baseline.

So that the ratio compares like with like, the baseline does the search work the way the seed
does: the search triggers are dropped first (with them every insert would index its row one
by one, which the seed never does) and the FTS5 indexes are built once with the same code
(``db.search_load.SqliteSearchLoad``, CJK documents included), but in the baseline's own
connection: for a big desk the seed has a helper process on the second core make the index
(and two tables; ``demo.helper``), the baseline is one core's work. Two figures are
printed for it: rows only, and rows + search build; the ratio is against the second.
``--raw-indexes keep|rebuild`` chooses whether its B-tree indexes stay in place during the
inserts or are dropped and rebuilt at the end as the seed does.

Prints tickets/s, the ratio seed time / raw time, the total time and the file size.

    .venv/bin/python bench/seed.py --tickets 100000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.schema import CreateIndex, DropIndex
from sqlmodel import SQLModel

from deskterm.db import bulk, migrate, search
from deskterm.db.engine import Store
from deskterm.db.search_load import SqliteSearchLoad
from deskterm.demo.generator import DemoGenerator, prepare, seed_demo

ADMIN = "bench"


def _size(path: Path) -> int:
    """The database file plus any write-ahead log left beside it."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def _raw_rows(rows):
    # A raw driver binds no lists: JSON columns (agents' skills) go in as their text.
    if rows and any(isinstance(value, list) for value in rows[0]):
        return [tuple(json.dumps(v) if isinstance(v, list) else v for v in row) for row in rows]
    return rows


def _fingerprint(path: Path) -> tuple:
    """Row counts, and a digest of the newest tickets and messages, to show both runs agree."""
    connection = sqlite3.connect(path)
    try:
        counts = tuple(connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                       for table in bulk.COLUMNS)
        digest = hashlib.sha256()
        for table, newest in (("tickets", 2000), ("messages", 5000)):
            columns = ", ".join(f'"{column}"' for column in bulk.COLUMNS[table])
            for row in connection.execute(
                f"SELECT {columns} FROM {table} ORDER BY id DESC LIMIT {newest}"
            ):
                digest.update(repr(row).encode())
        return counts, digest.hexdigest()
    finally:
        connection.close()


def run_seed(path: Path, *, tickets: int, seed: int, now: datetime) -> tuple[float, object]:
    """Time ``seed_demo`` into a new, migrated file (the migration is not timed)."""
    store = Store(f"sqlite:///{path}")
    migrate.upgrade(store)
    started = time.perf_counter()
    result = seed_demo(store, tickets=tickets, seed=seed, admin=ADMIN, now=now)
    seconds = time.perf_counter() - started
    store.dispose()
    return seconds, result


def run_raw(path: Path, *, tickets: int, seed: int, now: datetime, rebuild: bool
            ) -> tuple[float, float, int]:
    """Insert the same rows with plain ``executemany``, then build the search index once.

    Returns the time for the rows alone, the time including the search build, and the row count.
    """
    store = Store(f"sqlite:///{path}")
    migrate.upgrade(store)
    start = prepare(store, admin=ADMIN)  # same admin row, so every id matches the seeded desk
    generator = DemoGenerator(start, tickets=tickets, seed=seed, now=now,
                              sqlite=store.is_sqlite)
    indexes = [index for table in bulk.REBUILT_TABLES
               for index in SQLModel.metadata.tables[table].indexes]
    dialect = store.engine.dialect
    store.dispose()

    connection = sqlite3.connect(path, isolation_level=None)
    timed = 0.0
    rows_total = 0
    started = time.perf_counter()
    connection.execute("BEGIN")
    triggers = search.sqlite_suspend(connection)  # no row-by-row indexing, as in the seed
    if rebuild:
        for index in indexes:
            connection.execute(str(DropIndex(index).compile(dialect=dialect)))
    timed += time.perf_counter() - started
    search_s = 0.0
    # The same build as the seed's, in this one connection: the baseline is one core's work.
    search_index = SqliteSearchLoad(connection)
    for table, rows in generator.batches():  # generating is not timed, inserting is
        if not rows:
            continue
        rows = _raw_rows(rows)
        columns = bulk.COLUMNS[table]
        quoted = ", ".join(f'"{column}"' for column in columns)
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join('?' * len(columns))})"
        started = time.perf_counter()
        connection.executemany(sql, rows)
        timed += time.perf_counter() - started
        started = time.perf_counter()
        search_index.add(table, columns, rows)
        search_s += time.perf_counter() - started
        rows_total += len(rows)
    started = time.perf_counter()
    if rebuild:
        for index in indexes:
            connection.execute(str(CreateIndex(index).compile(dialect=dialect)))
    timed += time.perf_counter() - started
    started = time.perf_counter()
    search_index.finish()  # the FTS5 indexes, once
    for sql in triggers:
        connection.execute(sql)
    search_s += time.perf_counter() - started
    started = time.perf_counter()
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    timed += time.perf_counter() - started
    connection.close()
    return timed, timed + search_s, rows_total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets to seed")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--raw-indexes", choices=("keep", "rebuild"), default="keep",
                        help="baseline: insert with every index in place (keep), or drop the "
                             "big tables' indexes and rebuild them after, as seed does")
    parser.add_argument("--dir", type=Path, default=None,
                        help="work in this directory (default: a temporary one, removed after)")
    args = parser.parse_args(argv)

    began = time.perf_counter()
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="deskterm-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    print(f"deskterm demo benchmark: {args.tickets:,} tickets, seed {args.seed}; "
          f"SQLite {sqlite3.sqlite_version}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs")
    try:
        seeded = workdir / "seeded.sqlite3"
        seed_s, result = run_seed(seeded, tickets=args.tickets, seed=args.seed, now=now)
        print(f"seed_demo: {seed_s:.1f} s = {args.tickets / seed_s:,.0f} tickets/s "
              f"({result.messages:,} messages, {result.customers:,} customers; "
              f"file {_size(seeded) / 2**20:,.0f} MiB)")

        rebuild = args.raw_indexes == "rebuild"
        rows_s, raw_s, rows = run_raw(workdir / "raw.sqlite3", tickets=args.tickets,
                                      seed=args.seed, now=now, rebuild=rebuild)
        how = ("indexes dropped and rebuilt as seed does" if rebuild
               else "every index kept in place")
        print(f"raw sqlite3 executemany of the same {rows:,} rows: {rows_s:.1f} s rows only, "
              f"{raw_s:.1f} s with the search index built once at the end "
              f"(one transaction, default pragmas, search triggers dropped, {how}; "
              f"generating the rows not timed; file {_size(workdir / 'raw.sqlite3') / 2**20:,.0f}"
              " MiB)")
        same = _fingerprint(seeded) == _fingerprint(workdir / "raw.sqlite3")
        print(f"ratio seed / raw (rows + search build): {seed_s / raw_s:.2f}; "
              f"seed / raw rows only: {seed_s / rows_s:.2f}"
              f"{'' if same else '  (WARNING: the two files hold different rows)'}")
    finally:
        if args.dir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"total: {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
