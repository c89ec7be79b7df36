"""The desk's timer settings (one row, ``deskterm automate settings``): after how many days a
solved ticket closes and a pending one gets a reminder, how often the runner looks, and how many
tickets of each kind of work one pass takes. Days are calendar days (24 hours each), not
business days: a customer's silence is counted the way the customer lives it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session

from deskterm.db.models import AutomationSettings
from deskterm.db.types import utcnow
from deskterm.desk.errors import InvalidInput

MAX_DAYS = 365
MIN_EVERY, MAX_EVERY = 5, 86_400
MAX_BATCH = 100_000


@dataclass(frozen=True)
class TimerSettings:
    close_solved_after_days: int = 4
    """0: solved tickets never close by themselves."""
    remind_pending_after_days: int = 3
    """0: no reminders."""
    every_seconds: int = 60
    batch: int = 500
    updated_at: datetime | None = None


def read_settings(session: Session) -> TimerSettings:
    """The settings (the defaults when never set)."""
    row = session.get(AutomationSettings, 1)
    if row is None:
        return TimerSettings()
    return TimerSettings(row.close_solved_after_days, row.remind_pending_after_days,
                         row.every_seconds, row.batch, row.updated_at)


def _check(name: str, value: int | None, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidInput(f"{name}: {value} is not between {low} and {high}")


def update_settings(session: Session, *, close_solved_after_days: int | None = None,
                    remind_pending_after_days: int | None = None,
                    every_seconds: int | None = None, batch: int | None = None) -> TimerSettings:
    """Change the settings given (None: as it is); every value is checked before any is set."""
    _check("close solved after days", close_solved_after_days, 0, MAX_DAYS)
    _check("remind pending after days", remind_pending_after_days, 0, MAX_DAYS)
    _check("every (seconds)", every_seconds, MIN_EVERY, MAX_EVERY)
    _check("batch", batch, 1, MAX_BATCH)
    current = read_settings(session)
    new = replace(
        current,
        close_solved_after_days=current.close_solved_after_days
        if close_solved_after_days is None else close_solved_after_days,
        remind_pending_after_days=current.remind_pending_after_days
        if remind_pending_after_days is None else remind_pending_after_days,
        every_seconds=current.every_seconds if every_seconds is None else every_seconds,
        batch=current.batch if batch is None else batch, updated_at=utcnow())
    row = session.get(AutomationSettings, 1) or AutomationSettings(id=1)
    row.close_solved_after_days = new.close_solved_after_days
    row.remind_pending_after_days = new.remind_pending_after_days
    row.every_seconds = new.every_seconds
    row.batch = new.batch
    assert new.updated_at is not None
    row.updated_at = new.updated_at
    session.add(row)
    session.flush()
    return new
