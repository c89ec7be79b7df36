"""Every open ticket's SLA policy and due times, recomputed after the calendars or policies
changed (``deskterm sla load``).

Set-based on both stores (:mod:`deskterm.db.sla_rows`): per range of ids, one statement picks
each ticket's policy and computes its due times inside the database, and one ``UPDATE`` writes
the changed tickets; no ticket row comes into Python. The business-time arithmetic is the
policies' calendars' own: on SQLite registered as a SQL function, on PostgreSQL their interval
tables (as far as the open tickets need them) looked up from a temporary table. Measured on
1,000,000 open tickets after a calendar change on SQLite, on a loaded machine (load average
8-12 on 2 CPUs): 241 s reading the rows into Python, 29 s with the statements
(bench/automation_sla.py); PostgreSQL read every row into Python until then.

No events and no version either way: due times are derived from the ticket's own fields, as
:func:`~deskterm.desk.sla.due.refresh` derives them on every change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlmodel import Session

from deskterm.db.sla_rows import PolicyTargets, recompute_in_postgres, recompute_in_sql
from deskterm.db.types import utcnow
from deskterm.desk.sla import due as sla_due
from deskterm.desk.sla.calendar import add_business_us


@dataclass(frozen=True)
class Recomputed:
    open_tickets: int
    changed: int
    with_policy: int


Progress = Callable[[int, int], None]
"""``progress(done, total)``: how far the recompute is (in ticket ids)."""


def recompute_open(session: Session, *, now: datetime | None = None, page: int = 50_000,
                   progress: Progress | None = None) -> Recomputed:
    """Recompute every open ticket in the caller's transaction."""
    now = now or utcnow()
    sla_due.forget_policies(session)
    policies = sla_due.load_policies(session)
    targets = [PolicyTargets(
        id=p.id, priority=p.priority, customer_tier=p.customer_tier,
        organization_id=p.organization_id, first_response=p.first_response,
        next_response=p.next_response, resolution=p.resolution,
        add_us=partial(add_business_us, p.calendar),
        intervals=p.calendar.intervals if p.calendar is not None else None)
        for p in policies.ordered]
    recompute = (recompute_in_sql if session.get_bind().dialect.name == "sqlite"
                 else recompute_in_postgres)
    done = recompute(session, targets, now=now, chunk=page * 2, progress=progress)
    return Recomputed(open_tickets=done.open_tickets, changed=done.changed,
                      with_policy=done.with_policy)
