"""Every open ticket's SLA policy and due times, recomputed after the calendars or policies
changed (``deskterm sla load``).

Page by page in id order: the rows are read through the DBAPI (:mod:`deskterm.db.sla_rows`),
each ticket's due times are :func:`deskterm.desk.sla.due.compute`'d (the calendar answers from
its interval table, a few microseconds a target), and only the tickets whose values changed are
written, with one ``executemany`` a page. No events and no version: due times are derived from
the ticket's own fields, as :func:`~deskterm.desk.sla.due.refresh` derives them on every change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from deskterm.db.sla_rows import SlaColumns
from deskterm.db.types import utcnow
from deskterm.desk.sla import due as sla_due


@dataclass(frozen=True)
class Recomputed:
    open_tickets: int
    changed: int
    with_policy: int


def recompute_open(session: Session, *, now: datetime | None = None,
                   page: int = 20_000) -> Recomputed:
    """Recompute every open ticket in the caller's transaction."""
    now = now or utcnow()
    sla_due.forget_policies(session)
    policies = sla_due.load_policies(session)
    columns = SlaColumns(session)
    stored = columns.stored_time
    compute = sla_due.compute
    match = policies.match
    total = changed = with_policy = 0
    for rows in columns.open_rows(page):
        writes = []
        for row in rows:
            total += 1
            policy = match(row.priority, row.tier, row.organization_id)
            new: tuple[Any, ...]
            if policy is None:
                new = (None, None, None, None, None, None)
            else:
                with_policy += 1
                waiting = row.status in sla_due.WAITING
                paused_at = (row.paused_at or now) if waiting else None
                due = compute(policy, status=row.status, created_at=row.created_at,
                              first_response_at=row.first_response_at,
                              next_response_started_at=row.next_response_started_at,
                              paused_minutes=row.paused_minutes,
                              next_paused_minutes=row.next_paused_minutes,
                              paused=waiting)
                new = (policy.id, stored(due.first_response), stored(due.next_response),
                       stored(due.resolution), stored(due.earliest), stored(paused_at))
            if new != row.stored:
                writes.append((*new, row.id))
        columns.write(writes)
        changed += len(writes)
    return Recomputed(open_tickets=total, changed=changed, with_policy=with_policy)
