# ruff: noqa: E402  (the path is set before the imports: see below)
"""How fast ``deskterm import csv`` files tickets, against a raw insert of the same rows.

1. A CSV file of N tickets is written (a Zendesk-like export: id, subject, description,
   status, priority, requester name and address, group, tags, created and updated dates; one
   requester per five tickets).
2. ``import_csv`` reads it into a fresh, migrated desk (a SQLite file, then a new PostgreSQL
   database), timed whole: reading and checking every row, matching and creating the
   requesters, groups and tags, the inserts, the indexes and the search index. The peak RSS of
   the process (and of its reading helper) is printed after it: the file is streamed.
3. Baseline, in the same run: the rows the import wrote (requesters, groups, tags, tickets,
   messages, ticket tags) are read back and inserted into another fresh desk by the driver
   alone, in one transaction, leaving the desk as the import does: the big tables' secondary
   indexes and the search triggers (SQLite) or indexes and foreign keys (PostgreSQL) dropped,
   the rows in by ``executemany`` (SQLite) or binary ``COPY`` (PostgreSQL, as the import),
   the indexes and the search index built once at the end with the same code (PostgreSQL: and
   the same ``ANALYZE``). Making those rows is not timed.

Each store is measured ``--runs`` times; prints every run (with the wall and CPU seconds of the
raw baseline's steps: rows in, indexes, search index, foreign keys, commit, ANALYZE), the median
tickets/s of both, and the ratio import rate / raw rate (goal: at least 0.5).

    .venv/bin/python bench/intake.py                      # SQLite 100,000, PostgreSQL 50,000
    .venv/bin/python bench/intake.py --runs 5 --tickets 100000 --pg-tickets 100000
    .venv/bin/python bench/intake.py --postgres none       # SQLite only
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/intake.py``, this folder is first on the path, and bench/queue.py
# would hide the standard library's queue (psycopg's COPY needs it).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import csv
import os
import random
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.schema import CreateIndex, DropIndex
from sqlmodel import SQLModel

from deskterm.db import bulk, migrate, search
from deskterm.db.engine import Store
from deskterm.db.search_load import SqliteSearchLoad
from deskterm.db.ticket_import import (
    COLUMNS,
    postgres_analyze,
    postgres_copy_types,
    sqlite_pragmas,
)
from deskterm.desk import setup
from deskterm.desk.transfer.csv_import import import_csv
from deskterm.desk.transfer.csv_in import CsvFile, Options

TABLES = ("customers", "agent_groups", "tags", "tickets", "messages", "ticket_tags")
WORDS = ("vpn", "printer", "invoice", "password", "reset", "account", "login", "email",
         "outlook", "laptop", "screen", "network", "wifi", "billing", "refund", "order",
         "shipping", "delayed", "broken", "error", "crash", "update", "install", "license",
         "access", "denied", "slow", "server", "backup", "restore", "phone", "headset")
PG_URL = "postgresql://postgres@127.0.0.1/postgres"
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
    def __init__(self, url: str, prefix: str) -> None:
        self.admin = create_engine(url, isolation_level="AUTOCOMMIT")
        self.url = url
        self.prefix = prefix
        self.made: list[str] = []

    def fresh(self) -> Store:
        name = f"{self.prefix}_{uuid.uuid4().hex[:8]}"
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


def _secondary_indexes() -> list[Any]:
    """The indexes the import drops and rebuilds in a desk without tickets."""
    return [index for name in bulk.REBUILT_TABLES
            for index in sorted(SQLModel.metadata.tables[name].indexes,
                                key=lambda ix: str(ix.name)) if not index.unique]


def _process_ticks(pid: int) -> int:
    """The CPU clock ticks process ``pid`` used so far (utime + stime; 0: not readable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


class Steps:
    """The wall and CPU seconds of each step of the raw baseline: CPU of this process (with
    its threads: SQLite sorts on two) or, given ``server``, of that PostgreSQL backend."""

    def __init__(self, server: int | None = None) -> None:
        self.server = server
        self.taken: dict[str, list[float]] = {}
        self._last = self._now()

    def _now(self) -> tuple[float, float]:
        if self.server is None:
            return time.perf_counter(), time.process_time()
        return time.perf_counter(), _process_ticks(self.server) / os.sysconf("SC_CLK_TCK")

    def __call__(self, name: str) -> None:
        now = self._now()
        wall, cpu = self.taken.setdefault(name, [0.0, 0.0])
        self.taken[name] = [wall + now[0] - self._last[0], cpu + now[1] - self._last[1]]
        self._last = now

    def __str__(self) -> str:
        return ", ".join(f"{name} {wall:.2f}/{cpu:.2f}" for name, (wall, cpu)
                         in self.taken.items())


def raw_insert(store: Store, rows: dict[str, list[tuple[Any, ...]]]) -> tuple[float, Steps]:
    """The raw baseline's seconds, and the seconds of its steps."""
    raw = store.engine.raw_connection()
    dialect = store.engine.dialect
    indexes = _secondary_indexes()
    try:
        connection: Any = raw.driver_connection
        if store.is_sqlite:
            step = Steps()
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                step = Steps(cursor.fetchone()[0])
        started = time.perf_counter()
        step._last = step._now()
        if store.is_sqlite:
            # The import's connection's settings (its page cache, CHECK constraints skipped for
            # its checked rows ...), so that only the work differs.
            for pragma, (value, _after) in sqlite_pragmas(checked=True).items():
                connection.execute(f"PRAGMA {pragma} = {value}")
            connection.execute("BEGIN IMMEDIATE")
            triggers = search.sqlite_suspend(connection)
            for index in indexes:
                connection.execute(str(DropIndex(index).compile(dialect=dialect)))
            load = SqliteSearchLoad(connection)
            step("setup")
            for table in TABLES:
                quoted = ", ".join(f'"{c}"' for c in COLUMNS[table])
                marks = ", ".join("?" * len(COLUMNS[table]))
                connection.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})',
                                       rows[table])
                step("inserts")
                load.add(table, COLUMNS[table], rows[table])
            for index in indexes:
                connection.execute(str(CreateIndex(index).compile(dialect=dialect)))
            step("indexes")
            load.finish()
            step("search")
            for sql in triggers:
                connection.execute(sql)
            connection.execute("COMMIT")
            step("commit")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            step("checkpoint")
        else:
            with connection.cursor() as cursor:
                for index in indexes:
                    cursor.execute(str(DropIndex(index).compile(dialect=dialect)))
                saved = search.postgres_suspend(cursor)
                cursor.execute(
                    "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint"
                    " k JOIN pg_class c ON c.oid = k.conrelid WHERE k.contype = 'f' AND "
                    "c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%s)",
                    (list(bulk.REBUILT_TABLES),))
                keys = cursor.fetchall()
                for table, name, _definition in keys:
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                step("setup")
                for table in TABLES:
                    quoted = ", ".join(f'"{c}"' for c in COLUMNS[table])
                    types = postgres_copy_types(connection, table)
                    with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN (FORMAT BINARY)'
                                     ) as copy:
                        copy.set_types([types[name] for name in COLUMNS[table]])
                        for row in rows[table]:
                            copy.write_row(row)
                    step("COPY")
                for index in indexes:
                    cursor.execute(str(CreateIndex(index).compile(dialect=dialect)))
                step("indexes")
                search.postgres_rebuild(cursor, saved)
                step("search")
                for table, name, definition in keys:
                    cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                step("keys")
            connection.commit()
            step("commit")
            postgres_analyze(store)  # (as the import: after the commit, two at a time)
            step("ANALYZE (other backends: wall only)")
        return time.perf_counter() - started, step
    finally:
        raw.close()


def _server_ticks(store: Store) -> dict[int, int]:
    """PostgreSQL on this machine: the CPU clock ticks used so far by each server process of
    ``store``'s database (none for SQLite, or a server whose processes are not readable)."""
    if store.is_sqlite:
        return {}
    with store.engine.connect() as connection:
        pids = connection.execute(text("SELECT pid FROM pg_stat_activity "
                                        "WHERE datname = current_database()")).scalars().all()
    return {pid: _process_ticks(pid) for pid in pids}


class Cpu:
    """CPU seconds used between :meth:`start` and :meth:`stop`: this process (with its
    threads), its finished children (the reading helper), the database's server processes."""

    def start(self, store: Store) -> None:
        self.store = store
        self.server = _server_ticks(store)
        self.own = resource.getrusage(resource.RUSAGE_SELF)
        self.children = resource.getrusage(resource.RUSAGE_CHILDREN)

    def stop(self) -> tuple[float, float, float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        server = _server_ticks(self.store)
        hz = os.sysconf("SC_CLK_TCK")
        return (own.ru_utime + own.ru_stime - self.own.ru_utime - self.own.ru_stime,
                children.ru_utime + children.ru_stime - self.children.ru_utime
                - self.children.ru_stime,
                sum(t - self.server.get(pid, 0) for pid, t in server.items()) / hz)


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def measure(name: str, tickets: int, runs: int, folder: Path,
            fresh: Callable[[], Store]) -> tuple[float, float]:
    """Median tickets/s of the import and of the raw insert on ``runs`` pairs of fresh desks."""
    path = folder / f"tickets-{tickets}.csv"
    if not path.exists():
        write_csv(path, tickets)
    print(f"{name}: {tickets:,} tickets, CSV {path.stat().st_size / 2**20:.1f} MiB, "
          f"{runs} run(s)")
    rss_before = peak_rss_mib()
    imports: list[float] = []
    raws: list[float] = []
    cpus: list[tuple[float, ...]] = []
    cpu = Cpu()
    for run in range(1, runs + 1):
        desk = fresh()
        cpu.start(desk)
        started = time.perf_counter()
        report = import_csv(desk, CsvFile(path, Options(overrides={})))
        took = time.perf_counter() - started
        used = cpu.stop()
        assert report.created == tickets and not report.problems, report.problems[:3]
        if run == 1:  # (before the baseline's rows are read back into this process)
            rss = peak_rss_mib(), peak_rss_mib(resource.RUSAGE_CHILDREN)
        rows = rows_of(desk)
        desk.dispose()
        baseline = fresh()
        cpu.start(baseline)
        raw, steps = raw_insert(baseline, rows)
        raw_used = cpu.stop()
        baseline.dispose()
        del rows
        imports.append(tickets / took)
        raws.append(tickets / raw)
        cpus.append((*used, *raw_used))
        load = os.getloadavg()[0]
        print(f"  run {run}: import {took:.2f} s, {tickets / took:,.0f} tickets/s; raw "
              f"{raw:.2f} s, {tickets / raw:,.0f} tickets/s; ratio {raw / took:.2f}; load "
              f"{load:.1f}; CPU s import {used[0]:.2f} + helper {used[1]:.2f} + server "
              f"{used[2]:.2f}, raw {raw_used[0]:.2f} + server {raw_used[2]:.2f}", flush=True)
        whose = "this process" if desk.is_sqlite else "its server backend"
        print(f"    raw steps, wall/CPU s ({whose}): {steps}", flush=True)
    fast, base = statistics.median(imports), statistics.median(raws)
    print(f"  median: import {fast:,.0f} tickets/s ({report.customers:,} requesters, "
          f"{report.groups} groups, {report.tags} tags created), raw {base:,.0f} tickets/s, "
          f"ratio {fast / base:.2f} (goal >= 0.5)")
    mid = [statistics.median(column) for column in zip(*cpus, strict=True)]
    print(f"  median CPU seconds: import {mid[0]:.2f}, its reading helper {mid[1]:.2f}, server "
          f"{mid[2]:.2f} (total {mid[0] + mid[1] + mid[2]:.2f}); raw {mid[3]:.2f} + server "
          f"{mid[5]:.2f} (total {mid[3] + mid[5]:.2f})")
    print(f"  peak RSS after the first import: {rss[0]:.0f} MiB ({rss_before:.0f} MiB before "
          f"it); its reading helper {rss[1]:.0f} MiB (forked: shares the importer's pages)")
    return fast, base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="SQLite's file.")
    parser.add_argument("--pg-tickets", type=int, default=50_000, help="PostgreSQL's file.")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", default=PG_URL,
                        help="An admin URL ('none': SQLite only).")
    parser.add_argument("--pg-prefix", default="deskterm_bench", metavar="NAME",
                        help="The PostgreSQL databases' names start so (dropped at the end).")
    parser.add_argument("--only", choices=("SQLite", "PostgreSQL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only is None:
        # Each store in a process of its own, so that each peak RSS is its own.
        load = os.getloadavg()
        print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, {os.cpu_count()} "
              "cores", flush=True)
        goals = {"SQLite": 30_000, "PostgreSQL": 20_000}
        summary = []
        for name in ("SQLite", "PostgreSQL") if args.postgres != "none" else ("SQLite",):
            done = subprocess.run([sys.executable, __file__, *sys.argv[1:], "--only", name],
                                  check=True, stdout=subprocess.PIPE, text=True)
            *shown, last = done.stdout.splitlines()
            print("\n".join(shown), flush=True)
            fast, base = (float(x) for x in last.split()[1:])
            summary.append(f"{name}: import {fast:,.0f} tickets/s (goal {goals[name]:,}), raw "
                           f"{base:,.0f}/s, ratio {fast / base:.2f} (goal 0.5)")
        print("\n".join(summary))
        load = os.getloadavg()
        print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the end")
        return
    folder = Path(tempfile.mkdtemp(prefix="deskterm-intake-"))
    pg = Postgres(args.postgres, args.pg_prefix) if args.only == "PostgreSQL" else None
    try:
        if pg is None:
            template = folder / "template.sqlite3"
            store = Store(f"sqlite:///{template}", create=True)
            migrate.upgrade(store)
            store.write(lambda s: setup.ensure_first_admin(s, username="bench"))
            store.dispose()
            fast, base = measure("SQLite", args.tickets, args.runs, folder,
                                 lambda: fresh_sqlite(folder, template))
        else:
            def fresh_pg() -> Store:
                assert pg is not None
                desk = pg.fresh()
                desk.write(lambda s: setup.ensure_first_admin(s, username="bench"))
                return desk

            fast, base = measure("PostgreSQL", args.pg_tickets, args.runs, folder, fresh_pg)
        print(f"FIGURES {fast} {base}")
    finally:
        if pg is not None:
            pg.drop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
