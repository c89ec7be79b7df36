# ruff: noqa: E402  (the path is set before the imports: see below)
"""How long a pass of the desk's timers (``deskterm automate run``) takes on a 1M-ticket desk.

1. The seeded 1,000,000-ticket SQLite demo desk (``--desk``, schema 0013) is copied to
   ``--work`` (``cp --reflink=auto``; the original is never written) and upgraded to head
   (timed: the new indexes are built there). With ``--sla FILE`` its SLA policies are loaded
   and every open ticket's due times computed (timed; that is the sla bench's figure).
2. Catch-up pass: the first pass over the demo desk finds months of solved tickets to close
   and pending tickets to remind on (and, with --sla, tickets to escalate); it does at most
   ``batch`` (500) of each kind. Timed once, with what it did.
3. Steady state: the copy is made to look like a desk whose timers have kept up (solved_at and
   updated_at of the solved and pending tickets moved to now; escalations marked), then
   ``--runs`` passes with nothing to do are timed: each still runs every selection query over
   the whole desk. Baseline in the same run: the pass's fixed cost alone — taking and
   renewing the lease and reading the settings, no selection. Prints the median of both and
   the ratio.

    .venv/bin/python bench/automation_run.py --desk /work/bench-cache/desk-1m.sqlite3 \\
        --work /tmp/desk-1m-automation.sqlite3 --sla examples/sla.toml
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as ``python bench/automation_run.py``, this folder is first on the path, and bench/queue.py
# would hide the standard library's queue.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import contextlib
import os
import statistics
import subprocess
import time

from sqlalchemy import text

from deskterm.db import migrate, search_load
from deskterm.db.engine import Store
from deskterm.db.types import utcnow
from deskterm.desk.automation import escalation, lease, runner, timers
from deskterm.desk.service import Desk


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} CPUs"


def timed(work) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def cpu_timed(work) -> tuple[float, float, object]:  # type: ignore[no-untyped-def]
    """Wall and this process's CPU seconds (the proxy on a busy machine)."""
    cpu = time.process_time()
    seconds, result = timed(work)
    return seconds, time.process_time() - cpu, result


def _first_admin(session) -> str:  # type: ignore[no-untyped-def]
    return session.execute(text("SELECT username FROM agents WHERE role = 'admin' AND active "
                                "ORDER BY id LIMIT 1")).scalar_one()


def index_levels(path: Path) -> str:
    """Where the search index's segments are: a desk seeded before the seed lifted its merged
    segment (``search_load._lift``) has it on level 1 or 0, and its first writes merge it."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as connection:
        parts = []
        for table in search_load.TABLES:
            try:
                levels = search_load.structure(connection, table)
            except ValueError as exc:
                parts.append(f"{table}: {exc}")
                continue
            parts.append(f"{table}: " + ", ".join(
                f"level {at}: {len(level)} ({sum(last - first + 1 for _, first, last in level):,})"
                for at, level in enumerate(levels) if level))
        return "; ".join(parts)


def fixed_cost(store: Store) -> None:
    """The baseline: what every pass pays whatever the desk holds."""
    now = utcnow()
    store.write(lambda s: lease.take(s, holder="baseline", now=now), quiet=True)
    with store.read() as session:
        timers.read_settings(session)
    store.write(lambda s: lease.passed(s, holder="baseline", now=now), quiet=True)
    store.write(lambda s: lease.release(s, holder="baseline", now=now), quiet=True)


def kept_up(store: Store) -> None:
    """Make the copy a desk whose timers have kept up: nothing due now."""
    now = utcnow()

    def moving(session) -> None:  # type: ignore[no-untyped-def]
        session.execute(text("UPDATE tickets SET solved_at = :now WHERE status = 'solved'"),
                        {"now": now.replace(tzinfo=None)})
        session.execute(text("UPDATE tickets SET updated_at = :now WHERE status = 'pending'"),
                        {"now": now.replace(tzinfo=None)})
        for candidate in escalation.due(session, now=now, limit=10_000_000):
            session.execute(text(
                "INSERT INTO automation_marks (ticket_id, kind, target, at) "
                "VALUES (:t, 'escalation', :g, :now) ON CONFLICT DO NOTHING"),
                {"t": candidate.number, "g": candidate.target, "now": now.replace(tzinfo=None)})

    store.write(moving)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--desk", type=Path, default=Path("/work/bench-cache/desk-1m.sqlite3"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/desk-1m-automation.sqlite3"))
    parser.add_argument("--reuse", action="store_true",
                        help="Use --work as it is (copied and upgraded by an earlier run).")
    parser.add_argument("--sla", type=Path, default=None, help="An SLA file to load first.")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"bench/automation_run.py · {load()}")
    if not args.reuse:
        seconds, _ = timed(lambda: subprocess.run(
            ["cp", "--reflink=auto", str(args.desk), str(args.work)], check=True))
        print(f"copied {args.desk} in {seconds:.1f} s")
    store = Store(f"sqlite:///{args.work}")
    seconds, _ = timed(lambda: migrate.upgrade(store))
    print(f"upgraded to {migrate.HEAD} in {seconds:.1f} s · {load()}")
    with store.read() as session:
        counts = dict(session.execute(text(
            "SELECT status, count(*) FROM tickets GROUP BY status")).all())
    print("tickets: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
    with store.read() as session:
        username = _first_admin(session)
    print(f"search index (segments by level, pages): {index_levels(args.work)}")
    desk = Desk(store, username=username, act_as=None)
    if args.sla is not None:
        seconds, loaded = timed(lambda: desk.load_sla(args.sla.read_text()))
        print(f"sla load {args.sla}: {seconds:.1f} s ({loaded}) · {load()}")
    seconds, cpu, report = cpu_timed(lambda: runner.run_pass(store, holder="bench"))
    print(f"catch-up pass: {seconds:.2f} s (CPU {cpu:.2f} s) · escalated "
          f"{len(report.escalated)}, reminded {len(report.reminded)}, closed "
          f"{len(report.closed)}, problems {len(report.problems)} · {load()}")
    kept_up(store)
    passes, bases = [], []
    for _ in range(args.runs):
        seconds, report = timed(lambda: runner.run_pass(store, holder="bench"))
        assert report.ran and report.changed == 0, report
        passes.append(seconds)
        bases.append(timed(lambda: fixed_cost(store))[0])
    p, b = statistics.median(passes), statistics.median(bases)
    print(f"steady pass (nothing due), {args.runs} runs: " +
          ", ".join(f"{s * 1000:.1f}" for s in passes) + f" ms; median {p * 1000:.1f} ms")
    print(f"baseline (lease + settings only): median {b * 1000:.1f} ms; ratio {p / b:.2f}")
    print(f"goal: a pass over 1M <= 5 s · {load()}")
    runner.release(store, holder="bench")
    store.dispose()


if __name__ == "__main__":
    main()
