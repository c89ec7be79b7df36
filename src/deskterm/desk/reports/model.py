"""What a report holds: plain frozen values, and :func:`as_json` (the shape the README
documents for ``deskterm report --format json``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

TRENDING_RATIO = 2
"""A tag trends when this period has at least twice the tickets of the one before..."""
TRENDING_MIN = 10
"""...and at least this many."""
SLA_TARGETS = ("first_response", "next_response", "resolution")
"""The SLA targets compliance is counted for, in the order the report shows them."""


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
class SlaTarget:
    """One SLA target's compliance: of the tickets created in the range (first response) or
    solved in it (resolution) whose target ended, or of the next responses that ended in it,
    how many were met in time (the rest breached: late, or ended unmet)."""

    target: str
    met: int
    ended: int

    @property
    def breached(self) -> int:
        return self.ended - self.met

    @property
    def percent(self) -> float | None:
        """Met as a share (0..1) of those that ended; None when none ended."""
        return self.met / self.ended if self.ended else None


def compliance(met: int, ended: int) -> float | None:
    return met / ended if ended else None


@dataclass(frozen=True)
class Csat:
    """The ratings (1-5) of the tickets solved in the range, whenever they came."""

    solved: int
    """Tickets solved in the range: each was asked (the confirmation mail carries the
    question; an agent can record a phone rating)."""
    distribution: tuple[int, int, int, int, int]
    """Ratings of 1, 2, 3, 4 and 5."""

    @property
    def ratings(self) -> int:
        return sum(self.distribution)

    @property
    def average(self) -> float | None:
        total = sum(score * count for score, count in enumerate(self.distribution, start=1))
        return total / self.ratings if self.ratings else None

    @property
    def response_rate(self) -> float | None:
        """Ratings per solved ticket asked."""
        return self.ratings / self.solved if self.solved else None

    @property
    def satisfied(self) -> float | None:
        """The share of ratings of 4 or 5 (the usual "CSAT score")."""
        return (self.distribution[3] + self.distribution[4]) / self.ratings \
            if self.ratings else None


NO_CSAT = Csat(0, (0, 0, 0, 0, 0))


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
    first_response_business: Duration = Duration()
    """As ``first_response``, in business hours where the ticket's SLA policy has a calendar
    (on the wall clock elsewhere)."""
    resolution_business: Duration = Duration()
    sla: tuple[SlaTarget, ...] | None = None
    """Compliance per target, in :data:`SLA_TARGETS` order (None in the headline read
    alone)."""
    sla_breaching_now: int | None = None
    """Tickets with a target running past its due time now."""
    csat: Csat | None = None
    """None in the headline read alone."""

    @property
    def sla_percent(self) -> float | None:
        """Every target's compliance together."""
        if not self.sla:
            return None
        return compliance(sum(t.met for t in self.sla), sum(t.ended for t in self.sla))

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
    """SLA targets met of those that ended in the range on the agent's tickets (0..1)."""
    csat_average: float | None = None
    """The average rating of the tickets the agent solved in the range."""
    csat_ratings: int = 0


@dataclass(frozen=True)
class GroupRow:
    name: str
    """A group's name, or ``(none)`` for tickets in no group."""
    created: int
    solved: int
    open_now: int
    first_response_median: float | None
    resolution_median: float | None
    sla_percent: float | None = None
    csat_average: float | None = None
    csat_ratings: int = 0


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
            "first_response_business_seconds": asdict(head.first_response_business),
            "resolution_business_seconds": asdict(head.resolution_business),
            "sla": None if head.sla is None else {
                "percent": head.sla_percent, "breaching_now": head.sla_breaching_now,
                "targets": {t.target: {"met": t.met, "breached": t.breached,
                                       "percent": t.percent} for t in head.sla}},
            "csat": None if head.csat is None else {
                "average": head.csat.average, "ratings": head.csat.ratings,
                "solved": head.csat.solved, "response_rate": head.csat.response_rate,
                "satisfied": head.csat.satisfied,
                "distribution": {str(score): count for score, count
                                 in enumerate(head.csat.distribution, start=1)}},
        },
        "days": [asdict(day) for day in report.days],
        "agents": [asdict(row) for row in report.agents],
        "groups": [asdict(row) for row in report.groups],
        "tags": [asdict(row) for row in report.tags],
        "articles": [asdict(row) for row in report.articles],
        "searches_without_results": [asdict(row) for row in report.searches_without_results],
    })
    return shape
