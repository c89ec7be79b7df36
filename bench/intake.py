# ruff: noqa: E402  (the path is set before the imports: see below)
"""How fast ``deskterm import csv`` files tickets, against a raw insert of the same rows.

1. A CSV file of N tickets is written (a Zendesk-like export: id, subject, description,
   status, priority, requester name and address, group, tags, created and updated dates; one
   requester per five tickets).
2. ``import_csv`` reads it into a fresh, migrated desk (SQLite file, or a new PostgreSQL
   database with ``--postgres URL``), timed whole: reading and checking every row, matching and
   creating the requesters, groups and tags, the inserts, the indexes and the search index.
   The peak RSS of the process is printed after it: the file is streamed, never read whole.
3. Baseline, in the same run: the rows the import wrote (requesters, groups, tags, tickets,
   messages, ticket tags) are read back and inserted into another fresh desk by the driver
   alone, in one transaction: ``executemany`` (SQLite; the search triggers dropped and the
   FTS5 index built once at the end with the same code, as the import does) or ``COPY``
   (PostgreSQL, every index in place). Making those rows is not timed.

Prints tickets/s for both and the ratio import rate / raw rate (goal: at least 0.5).

    .venv/bin/python bench/intake.py --tickets 100000
    .venv/bin/python bench/intake.py --tickets 50000 --postgres postgresql://postgres@127.0.0.1/postgres
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/intake.py``, this folder is first on the path, and bench/queue.py
# would hide the standard library's queue (psycopg's COPY needs it).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import csv
import random
import resource
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from deskterm.db import migrate, search
from deskterm.db.engine import Store
from deskterm.db.search_load import SqliteSearchLoad
from deskterm.db.ticket_import import COLUMNS
from deskterm.desk import setup
from deskterm.desk.transfer.csv_import import import_csv
from deskterm.desk.transfer.csv_in import CsvFile, Options

TABLES = ("customers", "agent_groups", "tags", "tickets", "messages", "ticket_tags")
WORDS = ("vpn", "printer", "invoice", "password", "reset", "account", "login", "email",
         "outlook", "laptop", "screen", "network", "wifi", "billing", "refund", "order",
         "shipping", "delayed", "broken", "error", "crash", "update", "install", "license",
         "access", "denied", "slow", "server", "backup", "restore", "phone", "headset")
STATUSES = ("Open", "Pending", "Solved", "Closed", "New", "On-hold")
PRIORITIES = ("Low", "Normal", "High", "Urgent")


def write_csv(path: Path, tickets: int) -> None:
    rng = random.Random(13)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Id", "Subject", "Description", "Status", "Priority", "Requester",
                      "Requester email", "Group", "Tags", "Created at", "Updated at"])
        for n in range(tickets):
            person = rng.randrange(max(1, tickets // 5))
            created = start + timedelta(seconds=rng.randrange(365 * 86400))
            updated = created + timedelta(seconds=rng.randrange(5 * 86400))
            subject = " ".join(rng.choices(WORDS, k=5)).capitalize()
            body = " ".join(rng.choices(WORDS, k=40)) + ".\nThanks"
            out.writerow([f"zd-{n}", subject, body, rng.choice(STATUSES),
                          rng.choice(PRIORITIES), f"Person {person}",
                          f"person{person}@example{person % 97}.com",
                          f"Team {rng.randrange(6)}",
                          ",".join(rng.sample(WORDS[:20], k=rng.randrange(4))),
                          created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                          updated.strftime("%Y-%m-%d %H:%M:%S")])


def fresh_sqlite(folder: Path, template: Path) -> Store:
    path = folder / f"desk-{uuid.uuid4().hex[:8]}.sqlite3"
    shutil.copyfile(template, path)
    return Store(f"sqlite:///{path}")


class Postgres:
    def __init__(self, url: str) -> None:
        self.admin = create_engine(url, isolation_level="AUTOCOMMIT")
        self.url = url
        self.made: list[str] = []

    def fresh(self) -> Store:
        name = f"deskterm_bench_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        self.made.append(name)
        store = Store(self.url.rsplit("/", 1)[0] + "/" + name)
        migrate.upgrade(store)
        return store

    def drop(self) -> None:
        with self.admin.connect() as connection:
            for name in self.made:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        self.admin.dispose()


def rows_of(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    raw = store.engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        found = {}
        for table in TABLES:
            quoted = ", ".join(f'"{c}"' for c in COLUMNS[table])
            cursor = connection.cursor()
            cursor.execute(f'SELECT {quoted} FROM "{table}"')
            found[table] = [tuple(row) for row in cursor.fetchall()]
        return found
    finally:
        raw.close()


def raw_insert(store: Store, rows: dict[str, list[tuple[Any, ...]]]) -> float:
    raw = store.engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        started = time.perf_counter()
        if store.is_sqlite:
            connection.execute("BEGIN IMMEDIATE")
            search.sqlite_suspend(connection)
            index = SqliteSearchLoad(connection)
            for table in TABLES:
                quoted = ", ".join(f'"{c}"' for c in COLUMNS[table])
                marks = ", ".join("?" * len(COLUMNS[table]))
                connection.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})',
                                       rows[table])
                index.add(table, COLUMNS[table], rows[table])
            index.finish()
            connection.execute("COMMIT")
        else:
            with connection.cursor() as cursor:
                for table in TABLES:
                    quoted = ", ".join(f'"{c}"' for c in COLUMNS[table])
                    with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                        for row in rows[table]:
                            copy.write_row(row)
            connection.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", help="Measure on PostgreSQL (an admin URL).")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="deskterm-intake-"))
    pg = Postgres(args.postgres) if args.postgres else None
    try:
        template = folder / "template.sqlite3"
        if pg is None:
            store = Store(f"sqlite:///{template}", create=True)
            migrate.upgrade(store)
            store.write(lambda s: setup.ensure_first_admin(s, username="bench"))
            store.dispose()
        path = folder / "tickets.csv"
        write_csv(path, args.tickets)
        size = path.stat().st_size
        print(f"store: {'PostgreSQL' if pg else 'SQLite'}; {args.tickets:,} tickets, CSV "
              f"{size / 2**20:.1f} MiB")
        rss_before = peak_rss_mib()

        desk = pg.fresh() if pg else fresh_sqlite(folder, template)
        if pg:
            desk.write(lambda s: setup.ensure_first_admin(s, username="bench"))
        started = time.perf_counter()
        report = import_csv(desk, CsvFile(path, Options(overrides={})))
        took = time.perf_counter() - started
        assert report.created == args.tickets and not report.problems, report.problems[:3]
        rss = peak_rss_mib()
        print(f"import csv: {took:.2f} s, {args.tickets / took:,.0f} tickets/s "
              f"({report.customers:,} requesters, {report.groups} groups, {report.tags} tags "
              "created)")
        print(f"peak RSS: {rss:.0f} MiB after the import ({rss_before:.0f} MiB before it)")

        rows = rows_of(desk)
        desk.dispose()
        baseline_store = pg.fresh() if pg else fresh_sqlite(folder, template)
        if pg:
            baseline_store.write(lambda s: setup.ensure_first_admin(s, username="bench"))
        raw = raw_insert(baseline_store, rows)
        baseline_store.dispose()
        what = "COPY" if pg else "executemany + FTS5 build"
        print(f"raw {what} of the same rows: {raw:.2f} s, {args.tickets / raw:,.0f} tickets/s")
        print(f"ratio import / raw: {raw / took:.2f} (goal >= 0.5)")
    finally:
        if pg is not None:
            pg.drop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
