"""Every open ticket's SLA policy and due times, recomputed after the calendars or policies
changed (``deskterm sla load``).

On SQLite, set-based (:func:`deskterm.db.sla_rows.recompute_in_sql`): per range of ids, one
statement picks each ticket's policy and computes its due times inside SQLite, the policies'
calendar arithmetic registered as a SQL function, and one ``UPDATE`` writes the changed
tickets; no ticket row comes into Python. Measured on 1,000,000 open tickets after a
calendar change, on a loaded machine (load average 8-12 on 2 CPUs): 241 s reading the rows
into Python as below, 29 s with the statements (bench/automation_sla.py).

On PostgreSQL, in ranges of ids: the rows are read through the DBAPI
(:mod:`deskterm.db.sla_rows`) with their instants as microseconds since the epoch, each
ticket's due times are worked out as :func:`deskterm.desk.sla.due.compute` does (the
calendar answers from its interval table, a couple of microseconds a target), and only the
tickets whose values changed are written, one ``executemany`` a range; past
:data:`~deskterm.db.sla_rows.REBUILD_OVER` open tickets the due-time indexes are built again
after the writes instead of updated row by row.

No events and no version either way: due times are derived from the ticket's own fields, as
:func:`~deskterm.desk.sla.due.refresh` derives them on every change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlmodel import Session

from deskterm.db.sla_rows import REBUILD_OVER, PolicyTargets, SlaColumns, recompute_in_sql
from deskterm.db.types import utcnow
from deskterm.desk.sla import due as sla_due
from deskterm.desk.sla.calendar import add_business_us, to_us


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
    if session.get_bind().dialect.name == "sqlite":
        done = recompute_in_sql(session, [PolicyTargets(
            id=p.id, priority=p.priority, customer_tier=p.customer_tier,
            organization_id=p.organization_id, first_response=p.first_response,
            next_response=p.next_response, resolution=p.resolution,
            add_us=partial(add_business_us, p.calendar)) for p in policies.ordered],
            now=now, chunk=page * 2, progress=progress)
        return Recomputed(open_tickets=done.open_tickets, changed=done.changed,
                          with_policy=done.with_policy)
    return _recompute_rows(session, policies, now_us=to_us(now), page=page, progress=progress)


def _recompute_rows(session: Session, policies: sla_due.Policies, *, now_us: int, page: int,
                    progress: Progress | None) -> Recomputed:
    """Each ticket read into Python, its due times worked out as :func:`sla_due.compute` does,
    the changed ones staged and written by one statement."""
    columns = SlaColumns(session)
    if columns.open_count() > REBUILD_OVER:
        columns.drop_due_index()
    stored = columns.stored
    match = policies.match
    waiting_statuses = sla_due.WAITING
    nothing = (None, None, None, None, None, None)
    total = changed = with_policy = 0
    for rows in columns.open_rows(page):
        writes = []
        for (number, status, priority, created, answered, next_started, paused_minutes,
             next_paused, paused_at, tier, organization, old) in rows:
            total += 1
            policy = match(priority, tier, organization)
            new: tuple[Any, ...]
            if policy is None:
                new = nothing
            else:
                with_policy += 1
                calendar = policy.calendar
                first = (add_business_us(calendar, created, policy.first_response + paused_minutes)
                         if policy.first_response is not None and not answered else None)
                following = (add_business_us(calendar, next_started,
                                             policy.next_response + next_paused)
                             if policy.next_response is not None and next_started is not None
                             and answered else None)
                resolution = (add_business_us(calendar, created,
                                              policy.resolution + paused_minutes)
                              if policy.resolution is not None else None)
                waiting = status in waiting_statuses
                running = [d for d in (first, following, resolution) if d is not None]
                earliest = None if waiting or not running else min(running)
                paused = (paused_at if paused_at is not None else now_us) if waiting else None
                new = (policy.id, stored(first), stored(following), stored(resolution),
                       stored(earliest), stored(paused))
            if new != old:
                writes.append((*new, number))
        columns.write(writes)
        changed += len(writes)
        if progress is not None:
            progress(*columns.progress)
    columns.finish()
    return Recomputed(open_tickets=total, changed=changed, with_policy=with_policy)
