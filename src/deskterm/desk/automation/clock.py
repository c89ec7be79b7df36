"""Business hours between two moments, as rules count them ("business hours since created").

One function, :func:`business_hours_between`, so the rules never care where the desk's
calendar comes from: the desk's default business calendar
(:func:`deskterm.desk.sla.calendar.desk_calendar`) when the SLA package is there and has one,
else a 24x7 clock (every hour counts).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

MinutesBetween = Callable[[datetime, datetime], float]


def _calendar_of(session: Session) -> Any:
    """The desk's default business calendar, or None (24x7)."""
    try:
        calendar = importlib.import_module("deskterm.desk.sla.calendar")
    except ImportError:
        return None
    return calendar.desk_calendar(session)


def minutes_counter(session: Session) -> MinutesBetween:
    """A function giving the business minutes between two UTC moments on this desk (looked up
    once per rules run)."""
    calendar = _calendar_of(session)
    if calendar is None:
        return lambda start, end: max(0.0, (end - start).total_seconds() / 60)
    return lambda start, end: float(calendar.business_minutes(start, end)) if end > start else 0.0


def business_hours_between(session: Session, start: datetime, end: datetime) -> float:
    """Business hours from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    return minutes_counter(session)(start, end) / 60
