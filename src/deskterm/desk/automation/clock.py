"""Business hours between two moments, as rules count them ("business hours since created").

The desk's default business calendar (:func:`deskterm.desk.sla.calendar.desk_calendar`, the
calendar named ``default``: its time zone, weekly hours and holidays), else around the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from deskterm.desk.sla import calendar

MinutesBetween = Callable[[datetime, datetime], float]


def minutes_counter(session: Session) -> MinutesBetween:
    """A function giving the business minutes between two UTC moments on this desk (0 when the
    end is not after the start); the calendar is read once, here."""
    desk_calendar = calendar.desk_calendar(session)
    return lambda start, end: float(max(0, calendar.business_minutes(desk_calendar, start, end)))


def business_hours_between(session: Session, start: datetime, end: datetime) -> float:
    """Business hours from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    return minutes_counter(session)(start, end) / 60
