"""Issue 14 point 8, SLAs: recompute the due times of 1,000,000 open tickets after a calendar
change, on SQLite, in at most 60 s.

A copy of a seeded desk (``--db``, a file; never written to) is brought to the newest schema and
every ticket is made open (setup, raw SQL on the copy). Then, timed:

1. ``sla load`` of examples/sla.toml: every open ticket gets its policy and due times;
2. the same file with the default calendar's hours changed (09:00 -> 08:00): every ticket's
   due times move (the figure the issue asks for);
3. a same-run baseline: one raw ``UPDATE`` setting ``sla_due_at`` of every open ticket from
   another column (what the database alone costs to rewrite that column), and the ratio.

Prints the load average around each step.

    .venv/bin/python bench/automation_sla.py --db /work/bench-cache/desk-1m.sqlite3
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60.0


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, metavar="FILE",
                        help="a seeded SQLite desk (copied, never written to)")
    parser.add_argument("--keep", metavar="DIR", help="where to put the copy (default: a "
                        "temporary folder, removed after)")
    args = parser.parse_args()

    from deskterm.db import migrate
    from deskterm.db.engine import Store
    from deskterm.desk.sla import policies, recompute

    scratch = Path(args.keep or tempfile.mkdtemp(prefix="sla-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    copy = scratch / "desk.sqlite3"
    try:
        subprocess.run(["cp", "--reflink=auto", args.db, str(copy)], check=True)
    except (OSError, subprocess.CalledProcessError):
        shutil.copyfile(args.db, copy)
    store = Store(f"sqlite:///{copy}")
    try:
        started = time.perf_counter()
        migrate.upgrade(store)

        def all_open(session) -> int:
            result = session.connection().exec_driver_sql(
                "UPDATE tickets SET status = 'open', solved_at = NULL, closed_at = NULL "
                "WHERE status <> 'open'")
            return int(result.rowcount or 0)

        reopened = store.write(all_open)
        with store.engine.connect() as connection:
            open_count = connection.exec_driver_sql(
                "SELECT count(*) FROM tickets WHERE status IN "
                "('new', 'open', 'pending', 'on_hold')").scalar_one()
        print(f"desk {args.db}: {open_count:,} open tickets (setup: schema to head, "
              f"{reopened:,} reopened, {time.perf_counter() - started:.1f} s)")

        text = (ROOT / "examples" / "sla.toml").read_text()
        changed_text = text.replace('["09:00", "12:30"]', '["08:00", "12:30"]')
        assert changed_text != text

        def loading(body: str):
            def work(session):
                policies.replace(session, body, policies.parse_sla_toml(body))
                return recompute.recompute_open(session)
            return work

        figures = {}
        for label, body in (("first load (every ticket gets its due times)", text),
                            ("after a calendar change", changed_text)):
            before = load()
            started = time.perf_counter()
            done = store.write(loading(body))
            seconds = time.perf_counter() - started
            figures[label] = seconds
            print(f"  {label:48} {seconds:7.1f} s   {done.open_tickets:,} open, "
                  f"{done.changed:,} written (load {before} before, {load()} after)")

        def baseline(session) -> None:
            session.connection().exec_driver_sql(
                "UPDATE tickets SET sla_due_at = resolution_due_at WHERE status IN "
                "('new', 'open', 'pending', 'on_hold')")

        before = load()
        started = time.perf_counter()
        store.write(baseline)
        raw = time.perf_counter() - started
        print(f"  {'baseline: one raw UPDATE of sla_due_at':48} {raw:7.1f} s   "
              f"(load {before} before, {load()} after)")
        figure = figures["after a calendar change"]
        verdict = "PASS" if figure <= TARGET_SECONDS else "FAIL"
        print(f"recompute after a calendar change: {figure:.1f} s for {open_count:,} open "
              f"tickets, {figure / raw:.1f}x the raw UPDATE; target <= {TARGET_SECONDS:.0f} s "
              f"{verdict} (load {load()}, {os.cpu_count()} CPUs)")
    finally:
        store.dispose()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
