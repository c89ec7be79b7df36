"""What a report holds: plain frozen values, and :func:`as_json` (the shape the README
documents for ``deskterm report --format json``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

TRENDING_RATIO = 2
"""A tag trends when this period has at least twice the tickets of the one before..."""
TRENDING_MIN = 10
"""...and at least this many."""
PENDING = ("sla", "csat", "business_hours")
"""Parts of the report waiting for the SLA policies and CSAT ratings (issue 14): null in the
JSON, left out of the screen and the tables until those tables exist."""


@dataclass(frozen=True)
class ReportRange:
    """The days reported on, ``[since, until)`` in UTC, and the filter-language text of the
    filters (``group:billing priority:>=high``; empty: the whole desk)."""

    since: datetime
    until: datetime
    query: str = ""

    @classmethod
    def days(cls, since: date, until: date, query: str = "") -> ReportRange:
        """From the start of ``since`` to the end of ``until`` (both included), UTC."""
        return cls(datetime.combine(since, time(), UTC),
                   datetime.combine(until + timedelta(days=1), time(), UTC), query)

    @property
    def previous(self) -> datetime:
        """The start of the period as long as this one just before it (for trends)."""
        return self.since - (self.until - self.since)


@dataclass(frozen=True)
class Duration:
    """Seconds: how many tickets had one, the median and the 90th percentile (nearest rank,
    rounded down to the minute under 2 h, to 5 minutes under a day, to the hour beyond)."""

    count: int = 0
    median: float | None = None
    p90: float | None = None


@dataclass(frozen=True)
class Headline:
    created: int
    solved: int
    open_now: int
    """Unsolved now (new, open, pending, on hold), whenever created."""
    answered: int | None
    """Of the tickets created: those with a public reply (None in the headline read alone,
    as the fields below)."""
    reopened: int | None
    """Of the tickets solved: those ever reopened."""
    one_touch: int | None
    """Of the tickets solved: those solved with a single public reply (None in the headline
    read alone, :meth:`~deskterm.desk.service.Desk.report_headline`)."""
    merged: int
    """Merged into another ticket in the range (left out of every other number)."""
    minutes_logged: int | None
    """None in the headline read alone."""
    first_response: Duration
    resolution: Duration

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.solved if self.solved and self.reopened is not None \
            else None

    @property
    def one_touch_rate(self) -> float | None:
        return self.one_touch / self.solved if self.solved and self.one_touch is not None \
            else None


@dataclass(frozen=True)
class Day:
    day: str
    """``YYYY-MM-DD`` (UTC)."""
    created: int
    solved: int
    backlog: int
    """Unsolved at the day's end."""


@dataclass(frozen=True)
class AgentRow:
    username: str
    name: str
    solved: int
    reopened: int
    open_now: int
    first_response_median: float | None
    minutes_logged: int
    sla_percent: float | None = None
    """Waiting for the SLA policies (issue 14)."""
    csat_average: float | None = None
    """Waiting for the CSAT ratings (issue 14)."""


@dataclass(frozen=True)
class GroupRow:
    name: str
    """A group's name, or ``(none)`` for tickets in no group."""
    created: int
    solved: int
    open_now: int
    first_response_median: float | None
    resolution_median: float | None


@dataclass(frozen=True)
class TagRow:
    tag: str
    tickets: int
    previous: int
    """Tickets created with the tag in the period just before, as long as this one."""
    trending: bool


@dataclass(frozen=True)
class ArticleRow:
    slug: str
    title: str
    tickets: int
    """Tickets it was used on (inserted, linked) in the range."""
    inserts: int
    links: int
    views: int
    """All-time totals of the article."""


@dataclass(frozen=True)
class SearchMissRow:
    kind: str
    """``kb`` or ``queue``."""
    query: str
    times: int
    last: datetime


@dataclass(frozen=True)
class Report:
    range: ReportRange
    made_at: datetime
    headline: Headline
    days: tuple[Day, ...]
    agents: tuple[AgentRow, ...]
    groups: tuple[GroupRow, ...]
    tags: tuple[TagRow, ...]
    articles: tuple[ArticleRow, ...]
    searches_without_results: tuple[SearchMissRow, ...]
    pending: tuple[str, ...] = field(default=PENDING)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def as_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready values (the README's "Reports" section documents it)."""
    head = report.headline
    shape: dict[str, Any] = _plain({
        "range": {"since": report.range.since, "until": report.range.until,
                  "filter": report.range.query},
        "made_at": report.made_at,
        "headline": {
            "created": head.created, "solved": head.solved, "open_now": head.open_now,
            "answered": head.answered, "reopened": head.reopened,
            "reopen_rate": head.reopen_rate, "one_touch": head.one_touch,
            "one_touch_rate": head.one_touch_rate, "merged": head.merged,
            "minutes_logged": head.minutes_logged,
            "first_response_seconds": asdict(head.first_response),
            "resolution_seconds": asdict(head.resolution),
            "sla": None, "csat": None, "first_response_business_seconds": None,
        },
        "days": [asdict(day) for day in report.days],
        "agents": [asdict(row) for row in report.agents],
        "groups": [asdict(row) for row in report.groups],
        "tags": [asdict(row) for row in report.tags],
        "articles": [asdict(row) for row in report.articles],
        "searches_without_results": [asdict(row) for row in report.searches_without_results],
        "pending": list(report.pending),
    })
    return shape
