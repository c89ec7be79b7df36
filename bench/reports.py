"""How long the reports take on a big desk, against the bare counting queries in the same run.

For a range of ``--days`` days up to ``--until`` (default: the desk's newest ticket's day):

1. Baseline: the bare counts a report cannot do without, each one statement: tickets created in
   the range, solved in the range, open now.
2. The screen's first numbers: the headline alone (``Desk.report_headline``), cache cleared.
3. The full report (``Desk.report``): headline, per-day series, agents, groups, tags,
   articles, searches that found nothing; cache cleared before each run.
4. The same report from the cache (the desk unchanged: one change-stamp read).
5. The same report filtered (``--query``, default ``group:Billing``).

Each is run ``--runs`` times (after one warm-up that fills the database's page cache); prints the
p50 and the worst, the ratio of p50s to the baseline's, the targets (full report <= 3 s,
first numbers <= 1 s) and PASS/FAIL, and the load average (2 cores shared by other engineers'
work: compare the ratios across runs, not the seconds).

    .venv/bin/python -P bench/reports.py --db sqlite:///path/desk-1m.sqlite3
    .venv/bin/python -P bench/reports.py --db postgresql://postgres@127.0.0.1/desk1m --runs 3

(``-P``: bench/queue.py would otherwise stand in for the standard library's ``queue``, which
psycopg imports.)

Never writes to the desk (a report only reads; the search log is not touched), except with
``--fill`` (use it on a copy): the demo desk has no SLA outcomes and no ratings, so that the
reports' SLA and CSAT reads count something, it first writes in SQL, once, an SLA outcome per
answered ticket (first response) and per solved one (resolution), 80% met (and the same on the
tickets, as the SLA kernel keeps it), and a rating for every third solved ticket (scores 1-5 in
turn). No next-response outcomes: the demo has no follow-ups after a first reply to time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

# Run as `python bench/reports.py`, Python puts bench/ first on the path, where bench/queue.py
# (the queue's bench) would stand in for the standard library's `queue` that the report's
# thread pool imports: this bench needs nothing from its folder.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

from sqlalchemy import func, select, text

from deskterm.db.engine import Store
from deskterm.db.models import Ticket
from deskterm.desk.reports.model import ReportRange
from deskterm.desk.service import Desk

FULL_TARGET = 3.0
FIRST_TARGET = 1.0


CPU: list[float] = []
"""The CPU seconds (this process) of each run of the last :func:`_timed`: on SQLite nearly all
of a report's work, and less sensitive than the wall clock to the other engineers' load."""


SERVER: list[float] = []
"""PostgreSQL: the CPU seconds of the desk database's server backends (``/proc``, a server on
this machine) during each run of the last :func:`_timed`; the statements' work is there."""


def _no_server_cpu() -> float | None:
    return None


SERVER_CPU: Callable[[], float | None] = _no_server_cpu


def backends_cpu(store: Store) -> Callable[[], float | None]:
    """A reader of the CPU seconds (user + system) used so far by the server processes of
    the desk's database (PostgreSQL on this machine; None elsewhere). Backends that come and
    go within a run are missed: the pool keeps its connections."""
    if store.url.get_backend_name() != "postgresql":
        return _no_server_cpu
    tick = os.sysconf("SC_CLK_TCK")

    def read() -> float | None:
        with store.engine.connect() as connection:
            pids = connection.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
            total = 0.0
            for pid in pids:
                try:
                    with open(f"/proc/{pid}/stat") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                except OSError:
                    return None
                total += (int(fields[11]) + int(fields[12])) / tick
        return total

    return read


def _timed(runs: int, work: Callable[[], object], before: Callable[[], None] | None = None
           ) -> list[float]:
    if before:
        before()
    work()  # warm-up: the pages the statements read come into memory
    found = []
    CPU.clear()
    SERVER.clear()
    for _ in range(runs):
        if before:
            before()
        server = SERVER_CPU()
        start, cpu = time.perf_counter(), time.process_time()
        work()
        found.append(time.perf_counter() - start)
        CPU.append(time.process_time() - cpu)
        after = SERVER_CPU()
        if server is not None and after is not None:
            SERVER.append(after - server)
    return found


def _yardstick() -> float:
    """A fixed pure-Python loop (about 0.1 s on a quiet core): how much CPU this run got."""
    start = time.perf_counter()
    total = 0
    for index in range(2_000_000):
        total += index & 7
    return time.perf_counter() - start


def _line(name: str, seconds: list[float], baseline: float, target: float | None) -> None:
    p50 = statistics.median(seconds)
    verdict = ""
    if target is not None:
        verdict = f"  target <= {target:.1f} s  {'PASS' if p50 <= target else 'FAIL'}"
    print(f"{name:<34} p50 {p50:7.3f} s  worst {max(seconds):7.3f} s  "
          f"cpu p50 {statistics.median(CPU):6.3f} s  "
          + (f"server cpu p50 {statistics.median(SERVER):6.3f} s  " if SERVER else "")
          + f"ratio {p50 / baseline:6.1f}x{verdict}")


FILL = (
    "INSERT INTO sla_outcomes (ticket_id, policy_name, target, outcome, started_at, due_at, "
    "met_at, ended_at) SELECT id, 'bench', 'first_response', "
    "CASE WHEN id % 5 = 0 THEN 'breached' ELSE 'met' END, created_at, created_at, "
    "first_response_at, first_response_at FROM tickets WHERE first_response_at IS NOT NULL",
    "INSERT INTO sla_outcomes (ticket_id, policy_name, target, outcome, started_at, due_at, "
    "met_at, ended_at) SELECT id, 'bench', 'resolution', "
    "CASE WHEN id % 5 = 1 THEN 'breached' ELSE 'met' END, created_at, created_at, "
    "solved_at, solved_at FROM tickets WHERE solved_at IS NOT NULL "
    "AND status IN ('solved', 'closed')",
    # One UPDATE for both columns: on PostgreSQL each rewrites every row and index entry.
    "UPDATE tickets SET first_response_sla_met = CASE WHEN first_response_at IS NOT NULL "
    "THEN (id % 5 <> 0) END, resolution_sla_met = CASE WHEN solved_at IS NOT NULL "
    "AND status IN ('solved', 'closed') THEN (id % 5 <> 1) END "
    "WHERE first_response_at IS NOT NULL OR solved_at IS NOT NULL",
    "INSERT INTO satisfaction_ratings (ticket_id, customer_id, score, comment, rated_at) "
    "SELECT id, requester_id, id % 5 + 1, '', solved_at FROM tickets "
    "WHERE solved_at IS NOT NULL AND status IN ('solved', 'closed') AND id % 3 = 0",
)


def fill(store: Store) -> None:
    """SLA outcomes and ratings for a demo desk that has none (``--fill``)."""
    with store.engine.begin() as connection:
        if connection.execute(text("SELECT count(*) FROM sla_outcomes")).scalar_one():
            print("the desk has SLA outcomes already: not filled")
            return
        start = time.perf_counter()
        for statement in FILL:
            connection.execute(text(statement))
        outcomes = connection.execute(text("SELECT count(*) FROM sla_outcomes")).scalar_one()
        ratings = connection.execute(
            text("SELECT count(*) FROM satisfaction_ratings")).scalar_one()
    print(f"filled {outcomes:,} SLA outcomes and {ratings:,} ratings in "
          f"{time.perf_counter() - start:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="The desk's URL (it is only read).")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--until", type=date.fromisoformat, default=None,
                        help="Last day of the range (default: the newest ticket's).")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--query", default="group:Billing")
    parser.add_argument("--fill", action="store_true",
                        help="First write SLA outcomes and ratings in SQL (on a copy).")
    parser.add_argument("--statements", action="store_true",
                        help="Only time the full report statement by statement (one session, "
                             "no second thread): wall and CPU seconds of each.")
    args = parser.parse_args()

    store = Store(args.db, create=False, read_timeout=600)
    global SERVER_CPU
    SERVER_CPU = backends_cpu(store)
    if args.fill:
        fill(store)
    with store.read() as session:
        admin = session.execute(text("SELECT username FROM agents WHERE role = 'admin' "
                                     "ORDER BY id LIMIT 1")).scalar_one()
        newest = session.execute(select(func.max(Ticket.created_at))).scalar_one()
        total = session.execute(select(func.count()).select_from(Ticket)).scalar_one()
    last = args.until or newest.date()
    span = ReportRange.days(last - timedelta(days=args.days - 1), last)
    desk = Desk(store, username=admin)

    def bare_counts() -> None:
        with store.read() as session:
            for where in (
                (Ticket.created_at >= span.since, Ticket.created_at < span.until),
                (Ticket.solved_at >= span.since, Ticket.solved_at < span.until),
                (Ticket.status.in_(("new", "open", "pending", "on_hold")),),  # type: ignore[attr-defined]
            ):
                session.execute(select(func.count()).select_from(Ticket).where(*where)).one()

    clear = desk._reports.clear
    print(f"{store.url.get_backend_name()}: {total:,} tickets; range {span.since:%Y-%m-%d} to "
          f"{last:%Y-%m-%d} ({args.days} days); load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    yard = statistics.median(_yardstick() for _ in range(5))
    print(f"yardstick (fixed Python loop) p50 {yard:.3f} s")
    if args.statements:
        statements(store, admin, span, args.runs)
        statements(store, admin, ReportRange(span.since, span.until, args.query), args.runs)
        store.dispose()
        return
    baseline = _timed(args.runs, bare_counts)
    base = statistics.median(baseline)
    _line("baseline: the bare counts", baseline, base, None)
    _line("first numbers (headline)", _timed(args.runs, lambda: desk.report_headline(span),
                                             clear), base, FIRST_TARGET)
    _line("full report", _timed(args.runs, lambda: desk.report(span), clear), base,
          FULL_TARGET)
    _line("full report, cached", _timed(args.runs, lambda: desk.report(span)), base, None)
    filtered = ReportRange(span.since, span.until, args.query)
    _line(f"full report, {args.query}", _timed(args.runs, lambda: desk.report(filtered), clear),
          base, FULL_TARGET)
    print(f"yardstick after p50 {statistics.median(_yardstick() for _ in range(5)):.3f} s; "
          f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"({datetime.now(UTC):%H:%M} UTC)")
    store.dispose()


def statements(store: Store, admin: str, span: ReportRange, runs: int) -> None:
    """The full report's statements one by one, in one session on this thread (``--statements``):
    the p50 over ``runs`` of each one's wall and CPU seconds (the CPU of this thread: on SQLite
    the statement's work), most CPU first."""
    from sqlalchemy import event

    from deskterm.desk.reports.build import make_report

    found: dict[str, list[tuple[float, float]]] = {}
    started: list[tuple[float, float]] = []

    def before(*_args: object) -> None:
        started.append((time.perf_counter(), time.thread_time()))

    def after(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        wall, cpu = started.pop()
        name = " ".join(statement.split())[:110]
        found.setdefault(name, []).append((time.perf_counter() - wall,
                                           time.thread_time() - cpu))

    event.listen(store.engine, "before_cursor_execute", before)
    event.listen(store.engine, "after_cursor_execute", after)
    try:
        for _ in range(runs):
            with store.read() as session:
                make_report(session, span, me=admin)
    finally:
        event.remove(store.engine, "before_cursor_execute", before)
        event.remove(store.engine, "after_cursor_execute", after)
    rows = sorted(((statistics.median(c for _, c in times), statistics.median(w for w, _ in times),
                    len(times) // runs, name) for name, times in found.items()), reverse=True)
    print(f"statement by statement, {span.query or 'no filters'} ({runs} runs, p50 per run; "
          f"cpu: this thread's, to the first row):")
    for cpu, wall, each, name in rows:
        if wall >= 0.005:
            print(f"  cpu {cpu:6.3f} s  wall {wall:6.3f} s  x{each}  {name}")
    print(f"  total cpu {sum(row[0] * row[2] for row in rows):.3f} s")


if __name__ == "__main__":
    main()
