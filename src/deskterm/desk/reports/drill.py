"""The queue filter behind each number and row of a report: ``enter`` on it opens the queue
with exactly the tickets it counts (the same conditions as :mod:`deskterm.db.reports`, in the
filter language)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from deskterm.desk.reports.model import ReportRange

UNSOLVED = "status:new,open,pending,on_hold"
DONE = "status:solved,closed"


def quoted(value: str) -> str:
    """``value`` as one filter-language value, quoted when it must be."""
    if value and all(ch.isalnum() or ch in "-_.@" for ch in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def moment(value: datetime) -> str:
    """A UTC time as the filter language writes it: a date at midnight, else to the second."""
    value = value.astimezone(UTC)
    if value == value.replace(hour=0, minute=0, second=0, microsecond=0):
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%dT%H:%M:%S")


def _within(field: str, since: datetime, until: datetime) -> str:
    return f"{field}:>={moment(since)} {field}:<{moment(until)}"


def _join(*parts: str) -> str:
    return " ".join(part.strip() for part in parts if part.strip())


def minutes_up(seconds: float) -> int:
    """A time taken in whole minutes, rounded down (``frt:>=Nm`` then keeps the value)."""
    return max(0, math.floor(seconds / 60))


def created(span: ReportRange) -> str:
    return _join(span.query, _within("created", span.since, span.until), "merged:no")


def solved(span: ReportRange) -> str:
    return _join(span.query, _within("solved", span.since, span.until), DONE, "merged:no")


def open_now(span: ReportRange) -> str:
    return _join(span.query, UNSOLVED, "merged:no")


def breaching_now(span: ReportRange) -> str:
    """The tickets with an SLA target running past its due time now."""
    return _join(span.query, "sla:breached", "merged:no")


def reopened(span: ReportRange) -> str:
    return _join(solved(span), "reopened:yes")


def one_touch(span: ReportRange) -> str:
    return _join(solved(span), "replies:1")


def unanswered(span: ReportRange) -> str:
    return _join(created(span), "frt:none")


def slow_first_response(span: ReportRange, seconds: float) -> str:
    """The tickets created whose first reply took at least ``seconds`` (to the minute below)."""
    return _join(created(span), f"frt:>={minutes_up(seconds)}m")


def slow_resolution(span: ReportRange, seconds: float) -> str:
    return _join(solved(span), f"resolution:>={minutes_up(seconds)}m")


def merged(span: ReportRange) -> str:
    return _join(span.query, "merged:yes", _within("closed", span.since, span.until))


def day(span: ReportRange, day_text: str) -> str:
    """The tickets created on one UTC day (``YYYY-MM-DD``)."""
    start = datetime.fromisoformat(day_text).replace(tzinfo=UTC)
    return _join(span.query, _within("created", start, start + timedelta(days=1)), "merged:no")


def agent(span: ReportRange, username: str) -> str:
    """What an agent solved in the range."""
    return _join(solved(span), f"assignee:{quoted(username)}")


def group(span: ReportRange, name: str | None) -> str:
    """The tickets a group got in the range (``None``: those in no group)."""
    return _join(created(span), f"group:{quoted(name) if name is not None else 'none'}")


def tag(span: ReportRange, name: str) -> str:
    return _join(created(span), f"tag:{quoted(name)}")


def slow_first_response_business(span: ReportRange, seconds: float) -> str:
    """As :func:`slow_first_response`, in business time where a calendar applies."""
    return _join(created(span), f"bfrt:>={minutes_up(seconds)}m")


def slow_resolution_business(span: ReportRange, seconds: float) -> str:
    return _join(solved(span), f"bresolution:>={minutes_up(seconds)}m")


def sla_missed(span: ReportRange, target: str) -> str:
    """The tickets whose ``target`` ended missed among those its compliance counts: the first
    response of the tickets created in the range, the resolution of those solved in it, the
    next responses that ended in it (``nr_missed:``; a ticket may have missed several: the
    queue lists it once)."""
    if target == "first_response":
        return _join(created(span), "sla_missed:first_response")
    if target == "resolution":
        return _join(solved(span), "sla_missed:resolution")
    return _join(span.query, _within("nr_missed", span.since, span.until), "merged:no")


def sla_any_missed(span: ReportRange) -> str:
    """The tickets behind "SLA met" that missed a target it counts (``missed:``: a first
    response of a ticket created in the range, a resolution solved in it, a next response that
    ended in it); a ticket that missed two is listed once."""
    return _join(span.query, _within("missed", span.since, span.until), "merged:no")


def logged(span: ReportRange) -> str:
    """The tickets agents logged time on in the range (replies and notes with minutes; merged
    tickets too, as time logged counts them)."""
    return _join(span.query, _within("logged", span.since, span.until))


def rated(span: ReportRange) -> str:
    """The tickets solved in the range that were rated (whenever the rating came)."""
    return _join(solved(span), "rated:yes")


def rated_score(span: ReportRange, score: int) -> str:
    """The tickets solved in the range rated ``score`` (1-5)."""
    return _join(solved(span), f"csat:{score}")
