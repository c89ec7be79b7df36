"""How long a bulk action takes on a few thousand tickets of a demo desk.

Seeds a demo desk (SQLite in a temporary file, or ``--db URL`` of an empty, migrated-or-new
desk), then times :func:`deskterm.desk.tickets.bulk.apply_bulk` whole (one ``Store.write``,
commit included) for a sequence of changes on the newest ``--select`` tickets (mostly unsolved,
so most take the change; closed ones are skipped).

    .venv/bin/python bench/bulk_actions.py --tickets 50000 --select 5000
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sqlmodel import col, select

from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.db.models import Ticket
from deskterm.demo.generator import seed_demo
from deskterm.desk.people.auth import resolve_actor
from deskterm.desk.tickets.bulk import BulkChange, apply_bulk

ADMIN = "bench"
CHANGES = (
    BulkChange(take=True),
    BulkChange(assignee="mia", priority="high"),
    BulkChange(status="pending"),
    BulkChange(add_tags=("bulk-test",), remove_tags=("vpn",)),
    BulkChange(group="Billing", status="open"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=50_000, help="demo tickets to seed")
    parser.add_argument("--select", type=int, default=5_000, help="tickets per bulk action")
    parser.add_argument("--db", default=None, help="an empty desk to use (default: a new "
                        "SQLite file in a temporary directory)")
    args = parser.parse_args(argv)

    workdir = None
    url = args.db
    if url is None:
        workdir = Path(tempfile.mkdtemp(prefix="deskterm-bench-bulk-"))
        url = f"sqlite:///{workdir / 'desk.sqlite3'}"
    store = Store(url)
    try:
        migrate.upgrade(store)
        started = time.perf_counter()
        seed_demo(store, tickets=args.tickets, admin=ADMIN)
        print(f"{store.display_url}: seeded {args.tickets:,} tickets in "
              f"{time.perf_counter() - started:.1f} s")
        with store.read() as session:
            actor = resolve_actor(session, username=ADMIN)
            numbers = list(session.exec(
                select(Ticket.id).order_by(col(Ticket.id).desc()).limit(args.select)).all())
        for change in CHANGES:
            started = time.perf_counter()
            result = store.write(lambda s, change=change: apply_bulk(
                s, actor=actor, numbers=numbers, change=change))
            seconds = time.perf_counter() - started
            print(f"{seconds:6.2f} s  {result.summary()}")
    finally:
        store.dispose()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
