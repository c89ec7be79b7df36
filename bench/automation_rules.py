"""What rules cost a created ticket: filing tickets with 100 rules against the same without
rules, in the same run, on SQLite and PostgreSQL.

Each round files ``--tickets`` tickets one transaction each (as mail intake and the CLI do:
``create_ticket`` through ``Store.write``) on a desk without rules, then the same number on the
same desk with 100 rules loaded, alternating, ``--rounds`` times; the figure is the median of
the rounds' per-ticket difference (target: at most 2 ms added per ticket) and the ratio of the
medians. The 100 rules are a realistic mix that mostly does not match: 50 word lists on subject
and body, 15 regular expressions, 15 on the requester's domain or organization, 15 on fields
(priority, channel, type, tags), 5 that match every ticket or none (``--matching N``: N of them
match: the first sets the type, the others add a tag; rules that only set fields are made on the
new ticket's values before its row is written), all on ``created``.
By default two runs: none matching (what evaluating 100 rules costs) and 2 matching. The load
average is printed with each figure, and the CPU a ticket of this process and of the
PostgreSQL server's backends (medians of the rounds; less bent by a busy machine than the
clock). ``BENCH_DB_TAG`` goes into the name of the PostgreSQL database it makes.

    .venv/bin/python bench/automation_rules.py
    .venv/bin/python bench/automation_rules.py --tickets 500 --rounds 5 --no-postgres
    .venv/bin/python bench/automation_rules.py --matching 2 --no-sqlite
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# bench/queue.py has the standard library's ``queue`` module's name: this folder leaves the
# import path before psycopg imports the real one.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import os
import statistics
import tempfile
import time
import uuid

from sqlmodel import text

from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.desk import setup
from deskterm.desk.automation import firing, ruleset
from deskterm.desk.people import directory as people
from deskterm.desk.tickets import ticket as tickets

PG_ADMIN = os.environ.get("DESKTERM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TARGET_MS = 2.0


def hundred_rules(matching: int) -> str:
    """100 rules on ``created``; ``matching`` of them (at most 5) match every ticket the bench
    files, the others none."""
    words = ["invoice", "refund", "vpn", "printer", "password", "laptop", "wifi", "outlook",
             "teams", "badge", "sap", "payroll", "screen", "keyboard", "license"]
    parts = []

    def add(name: str, when: str, then: str) -> None:
        parts.append(f'[[rule]]\nname = "{name}"\non = ["created"]\n[rule.when]\n{when}\n'
                     f'[rule.then]\n{then}\n')

    for i in range(50):
        chosen = ", ".join(f'"{words[(i + k) % len(words)]}{i}"' for k in range(4))
        key = ("subject_any", "body_any", "text_any", "text_all")[i % 4]
        add(f"words {i}", f"{key} = [{chosen}]", f'add_tags = ["w{i}"]')
    for i in range(15):
        add(f"regex {i}", f'text_regex = "\\\\b(order|case)[- ]?#?{i}[0-9]{{5}}\\\\b"',
            f'add_tags = ["r{i}"]')
    for i in range(15):
        key = "domain" if i % 2 else "requester"
        value = f"example{i}.test" if i % 2 else f"boss{i}@example.test"
        add(f"who {i}", f'{key} = ["{value}"]', "priority = \"high\"")
    for i in range(15):
        when = ('priority = ["urgent"]', 'channel = ["phone"]', 'type = ["problem"]',
                'tags_any = ["vip"]', 'status = ["pending"]')[i % 5]
        add(f"field {i}", when, f'add_tags = ["f{i}"]')
    for i in range(5):
        add(f"every {i}", 'text_any = ["help"]' if i < matching else 'text_any = ["unheard"]',
            'type = "incident"' if i == 0 else f'add_tags = ["seen{i}"]')
    return "\n".join(parts)


def desk(url: str) -> Store:
    store = Store(url)
    migrate.upgrade(store)

    def seed(session):
        setup.ensure_first_admin(session, username="ada")
        people.add_group(session, name="billing")

    store.write(seed)
    return store


def server_cpu(store: Store) -> float | None:
    """CPU seconds the PostgreSQL backends serving this database have used so far (from
    /proc: the server runs on this machine), or None (SQLite, or not readable)."""
    if store.is_sqlite:
        return None
    with store.read() as session:
        pids = session.exec(text("SELECT pid FROM pg_stat_activity "
                                 "WHERE datname = current_database()")).all()
    total = 0.0
    for (pid,) in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


CPU: dict[str, list[float]] = {}
"""Per-ticket CPU seconds of each :func:`file_tickets` call, by label: this process's and
the server backends' (PostgreSQL), the figure less bent by a busy machine than the clock."""


def file_tickets(store: Store, count: int, label: str = "") -> float:
    """Seconds per ticket filed, one transaction each."""
    server = server_cpu(store)
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        store.write(lambda s, i=i: tickets.create_ticket(
            s, actor=None, requester_email=f"user{i % 50}@acme.test",
            subject=f"Need help with my account {i}",
            body="Hello, I need help: the page shows an error when I log in. Thanks"))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = server_cpu(store)
    if label:
        CPU.setdefault(f"{label} client", []).append(cpu / count)
        if server is not None and after is not None:
            CPU.setdefault(f"{label} server", []).append((after - server) / count)
    return wall / count


def set_rules(store: Store, text: str) -> None:
    store.write(lambda s: ruleset.replace_rules(s, ruleset.check_file(s, text)))


def measure(name: str, store: Store, count: int, rounds: int, matching: int) -> None:
    rules = hundred_rules(matching)
    file_tickets(store, 50)  # warm up: caches, the first statements prepared
    without, with_rules = [], []
    CPU.clear()
    for _ in range(rounds):
        set_rules(store, "")
        without.append(file_tickets(store, count, "without"))
        set_rules(store, rules)
        with_rules.append(file_tickets(store, count, "with"))
    firing.forget_cache()
    base, ruled = statistics.median(without) * 1000, statistics.median(with_rules) * 1000
    added = statistics.median(w - b for w, b in zip(with_rules, without, strict=True)) * 1000
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    verdict = "PASS" if added <= TARGET_MS else "FAIL"
    print(f"{name}: {count} tickets x {rounds} rounds: without rules {base:.2f} ms/ticket, "
          f"with 100 rules ({matching} matching) {ruled:.2f} ms/ticket: +{added:.2f} ms "
          f"(target <= {TARGET_MS} ms) {verdict}, ratio {ruled / base:.2f}; "
          f"load average {load}", flush=True)
    cpu = {name: statistics.median(values) * 1000 for name, values in CPU.items()}
    print(f"  CPU a ticket (medians): this process {cpu['without client']:.2f} ms without rules, "
          f"{cpu['with client']:.2f} ms with (+{cpu['with client'] - cpu['without client']:.2f})"
          + (f"; the server's backends {cpu['without server']:.2f} ms without, "
             f"{cpu['with server']:.2f} ms with "
             f"(+{cpu['with server'] - cpu['without server']:.2f})"
             if "with server" in cpu and "without server" in cpu else ""), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--matching", type=int, nargs="+", default=[0, 2],
                        help="How many of the 100 rules match each ticket (each a run).")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="deskterm-bench-rules-") as folder:
        store = desk(f"sqlite:///{Path(folder) / 'desk.sqlite3'}")
        try:
            for matching in [] if args.no_sqlite else args.matching:
                measure("SQLite", store, args.tickets, args.rounds, matching)
        finally:
            store.dispose()
    if args.no_postgres:
        return 0
    import sqlalchemy as sa

    name = f"deskterm_bench_rules_{os.environ.get('BENCH_DB_TAG', '')}{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f"CREATE DATABASE {name}"))
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL: not measured ({str(exc).splitlines()[0]})")
        return 0
    try:
        store = desk(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
        try:
            for matching in args.matching:
                measure("PostgreSQL", store, args.tickets, args.rounds, matching)
        finally:
            store.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
