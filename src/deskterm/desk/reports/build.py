"""A report made from the store: each number one SQL aggregation (:mod:`deskterm.db.reports`),
the filters the queue's own (:mod:`deskterm.desk.filter`), so a report's tickets are the
queue's. A :class:`ReportCache` keeps each range's report until the desk changes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col

from deskterm.db import reports as sql
from deskterm.db.models import Ticket
from deskterm.db.types import utcnow
from deskterm.desk.errors import InvalidInput
from deskterm.desk.filter.resolved import resolve_query
from deskterm.desk.filter.sql import conditions
from deskterm.desk.reports.model import (
    TRENDING_MIN,
    TRENDING_RATIO,
    AgentRow,
    ArticleRow,
    Day,
    Duration,
    GroupRow,
    Headline,
    Report,
    ReportRange,
    SearchMissRow,
    TagRow,
)

MAX_DAYS = 3_660
"""The longest range a report covers (ten years)."""
TOP = 10
"""Rows in the lists of tags, articles and searches."""


def check_range(span: ReportRange) -> None:
    """InvalidInput for a range that ends before it starts or spans more than ten years."""
    if span.since.tzinfo is None or span.until.tzinfo is None:
        raise ValueError("a report's range is aware UTC datetimes")
    if span.until <= span.since:
        last = span.until - timedelta(microseconds=1)
        raise InvalidInput(f"the range ends ({last:%Y-%m-%d}) before it starts "
                           f"({span.since:%Y-%m-%d})")
    if span.until - span.since > timedelta(days=MAX_DAYS):
        raise InvalidInput(f"a report covers at most {MAX_DAYS:,} days")


def scope(session: Session, span: ReportRange, *, me: str | None) -> list[Any]:
    """The SQL conditions of the report's filters (a QueryError pointing at a bad term)."""
    if not span.query.strip():
        return []
    return conditions(resolve_query(session, span.query, me=me))


def _duration(found: dict[Any, tuple[int, float, float]]) -> Duration:
    if None not in found:
        return Duration()
    count, median, p90 = found[None]
    return Duration(count, median, p90)


def headline(session: Session, span: ReportRange, *, me: str | None) -> Headline:
    """The headline numbers alone: what the screen shows first."""
    check_range(span)
    where = scope(session, span, me=me)
    counts = sql.headline(session, where, span.since, span.until)
    kept = sql.kept(where)
    first = sql.percentiles(session, sql.FIRST_RESPONSE,
                            [*kept, sql.created_in(span.since, span.until)])
    resolution = sql.percentiles(session, sql.RESOLUTION,
                                 [*kept, sql.solved_in(span.since, span.until)])
    minutes = sql.minutes_logged(session, where, span.since, span.until)
    return Headline(
        created=counts["created"], solved=counts["solved"], open_now=counts["open_now"],
        answered=counts["answered"], reopened=counts["reopened"],
        one_touch=counts["one_touch"], merged=counts["merged"],
        minutes_logged=sum(minutes.values()),
        first_response=_duration(first), resolution=_duration(resolution))


def _days(session: Session, span: ReportRange, where: list[Any]) -> tuple[Day, ...]:
    open_at_start, created, resolved = sql.per_day(session, where, span.since, span.until)
    days = []
    backlog = open_at_start
    day: date = span.since.date()
    while datetime.combine(day, datetime.min.time(), UTC) < span.until:  # days, not tickets
        key = day.isoformat()
        made, done = created.get(key, 0), resolved.get(key, 0)
        backlog += made - done
        days.append(Day(key, made, done, backlog))
        day += timedelta(days=1)
    return tuple(days)


def _agents(session: Session, span: ReportRange, where: list[Any]) -> tuple[AgentRow, ...]:
    counts = sql.per_agent(session, where, span.since, span.until)
    minutes = sql.minutes_logged(session, where, span.since, span.until)
    first = sql.percentiles(session, sql.FIRST_RESPONSE,
                            [*sql.kept(where), sql.created_in(span.since, span.until)],
                            by=col(Ticket.assignee_id))
    ids = sorted({*counts, *minutes, *(key for key in first if key is not None)})
    people = sql.agent_names(session, ids)
    rows = [AgentRow(username=people[agent][0], name=people[agent][1],
                     solved=counts.get(agent, {}).get("solved", 0),
                     reopened=counts.get(agent, {}).get("reopened", 0),
                     open_now=counts.get(agent, {}).get("open_now", 0),
                     first_response_median=first[agent][1] if agent in first else None,
                     minutes_logged=minutes.get(agent, 0))
            for agent in ids if agent in people]
    return tuple(sorted(rows, key=lambda row: (-row.solved, row.username)))


def _groups(session: Session, span: ReportRange, where: list[Any]) -> tuple[GroupRow, ...]:
    counts = sql.per_group(session, where, span.since, span.until)
    group = col(Ticket.group_id)
    kept = sql.kept(where)
    first = sql.percentiles(session, sql.FIRST_RESPONSE,
                            [*kept, sql.created_in(span.since, span.until)], by=group)
    resolution = sql.percentiles(session, sql.RESOLUTION,
                                 [*kept, sql.solved_in(span.since, span.until)], by=group)
    names = sql.group_names(session, [key for key in counts if key is not None])
    rows = [GroupRow(name=names.get(key, "?") if key is not None else "(none)",
                     created=found.get("created", 0), solved=found.get("solved", 0),
                     open_now=found.get("open_now", 0),
                     first_response_median=first[key][1] if key in first else None,
                     resolution_median=resolution[key][1] if key in resolution else None)
            for key, found in counts.items()]
    return tuple(sorted(rows, key=lambda row: (-row.created, row.name)))


def _tags(session: Session, span: ReportRange, where: list[Any]) -> tuple[TagRow, ...]:
    found = sql.tag_counts(session, where, span.since, span.until, span.previous)
    rows = [TagRow(tag, this, previous,
                   this >= TRENDING_MIN and this >= TRENDING_RATIO * previous)
            for tag, this, previous in found]
    top = [row for row in rows if row.tickets][:TOP]
    trending = [row for row in rows if row.trending and row not in top]
    return tuple(top + trending)


def make_report(session: Session, span: ReportRange, *, me: str | None,
                now: datetime | None = None) -> Report:
    """The whole report for ``span``."""
    head = headline(session, span, me=me)
    where = scope(session, span, me=me)
    return Report(
        range=span, made_at=now or utcnow(), headline=head,
        days=_days(session, span, where), agents=_agents(session, span, where),
        groups=_groups(session, span, where), tags=_tags(session, span, where),
        articles=tuple(ArticleRow(*row) for row in sql.articles_used(
            session, where, span.since, span.until, limit=TOP)),
        searches_without_results=tuple(SearchMissRow(*row) for row in sql.missed_searches(
            session, span.since, span.until, limit=TOP)),
    )


class ReportCache:
    """Reports by range and filters (and acting agent: ``assignee:me``), each kept while the
    desk's change stamp (:func:`deskterm.db.reports.change_stamp`) stays the same. A console's
    screen asks again on every change notice; an unchanged desk answers from here."""

    SIZE = 16

    def __init__(self) -> None:
        self._found: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        stamp = sql.change_stamp(session)
        with self._lock:
            found = self._found.get(key)
            if found is not None and found[0] == stamp:
                self._found.move_to_end(key)
                return found[1]
        made = make()
        with self._lock:
            self._found[key] = (stamp, made)
            while len(self._found) > self.SIZE:
                self._found.popitem(last=False)
        return made

    def clear(self) -> None:
        with self._lock:
            self._found.clear()
