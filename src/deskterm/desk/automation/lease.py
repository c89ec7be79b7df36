"""The runner's lease: exactly one runner (a console's timer, ``automate run``) acts at a time.

The lease is a row (``automation_leases``, name ``runner``) with a holder and an expiry, taken
by one conditional UPDATE: it succeeds when the lease is free, expired, or already held by the
same holder (a renewal). On PostgreSQL the UPDATE locks the row and re-checks the condition
after a concurrent taker commits; on SQLite the write transaction (``BEGIN IMMEDIATE``) already
serializes them. Either way one of two runners at once gets a row count of 1.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import Session

from deskterm.db.models import AutomationLease

RUNNER = "runner"
LEASE_SECONDS = 120
"""How long a lease holds without renewal: a runner that died is replaced after this."""


def holder_name(kind: str) -> str:
    """Who takes the lease: ``console:ada@host:1234`` (a kind, the user, machine and process)."""
    user = os.environ.get("USER") or os.environ.get("USERNAME") or "?"
    return f"{kind}:{user}@{socket.gethostname()}:{os.getpid()}"[:200]


def take(session: Session, *, holder: str, now: datetime,
         seconds: int = LEASE_SECONDS, name: str = RUNNER) -> bool:
    """Take or renew the lease ``name`` for ``holder`` until ``now + seconds``; False when
    another holder has it (unexpired)."""
    table = AutomationLease.__table__  # type: ignore[attr-defined]
    result = session.connection().execute(
        update(table)
        .where(table.c.name == name,
               or_(table.c.holder.is_(None), table.c.holder == holder,
                   table.c.expires_at.is_(None), table.c.expires_at < now))
        .values(holder=holder, expires_at=now + timedelta(seconds=seconds)))
    return bool(result.rowcount == 1)


def release(session: Session, *, holder: str, now: datetime, name: str = RUNNER) -> None:
    """Give the lease up (if ``holder`` has it) and note the time of its last pass."""
    table = AutomationLease.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        update(table).where(table.c.name == name, table.c.holder == holder)
        .values(holder=None, expires_at=None, last_pass_at=now))


def passed(session: Session, *, holder: str, now: datetime, name: str = RUNNER) -> None:
    """Note that ``holder`` ended a pass at ``now`` (the lease stays theirs)."""
    table = AutomationLease.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        update(table).where(table.c.name == name, table.c.holder == holder)
        .values(last_pass_at=now))


def escalations_seen(session: Session, name: str = RUNNER) -> datetime | None:
    """When a pass last escalated everything due (see ``escalation.due``'s ``since``)."""
    row = session.get(AutomationLease, name)
    return row.escalations_seen_at if row is not None else None


def saw_escalations(session: Session, *, holder: str, at: datetime | None,
                    name: str = RUNNER) -> None:
    """Note that the pass of ``holder`` that started ``at`` escalated everything due then
    (None: start again from a full look)."""
    table = AutomationLease.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        update(table).where(table.c.name == name, table.c.holder == holder)
        .values(escalations_seen_at=at))


@dataclass(frozen=True)
class LeaseRead:
    """Who holds the lease, until when, and when the last pass ended."""

    holder: str | None
    expires_at: datetime | None
    last_pass_at: datetime | None


def lease_of(session: Session, name: str = RUNNER) -> LeaseRead:
    row = session.get(AutomationLease, name)
    if row is None:
        return LeaseRead(None, None, None)
    return LeaseRead(row.holder, row.expires_at, row.last_pass_at)


__all__ = [
    "LEASE_SECONDS",
    "RUNNER",
    "LeaseRead",
    "escalations_seen",
    "holder_name",
    "lease_of",
    "passed",
    "release",
    "saw_escalations",
    "take",
]
