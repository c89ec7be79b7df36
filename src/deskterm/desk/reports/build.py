"""A report made from the store: each number one SQL aggregation (:mod:`deskterm.db.reports`),
the filters the queue's own (:mod:`deskterm.desk.filter`), so a report's tickets are the
queue's. A :class:`ReportCache` keeps each range's report until the desk changes."""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from deskterm.db import reports as sql
from deskterm.db.models import Ticket
from deskterm.db.types import utcnow
from deskterm.desk.errors import InvalidInput
from deskterm.desk.filter.resolved import resolve_query
from deskterm.desk.filter.sql import conditions
from deskterm.desk.people import access
from deskterm.desk.reports.model import (
    NO_CSAT,
    SLA_TARGETS,
    TRENDING_MIN,
    TRENDING_RATIO,
    AgentRow,
    ArticleRow,
    Csat,
    Day,
    Duration,
    GroupRow,
    Headline,
    Report,
    ReportRange,
    SearchMissRow,
    SlaTarget,
    TagRow,
    compliance,
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
    if any(moment != moment.replace(hour=0, minute=0, second=0, microsecond=0)
           for moment in (span.since.astimezone(UTC), span.until.astimezone(UTC))):
        raise InvalidInput("a report covers whole days: its range starts and ends at "
                           "midnight UTC")
    if span.until - span.since > timedelta(days=MAX_DAYS):
        raise InvalidInput(f"a report covers at most {MAX_DAYS:,} days")


def scope(session: Session, span: ReportRange, *, me: str | None) -> list[Any]:
    """The SQL conditions of the report's filters (a QueryError pointing at a bad term), and
    of group access: an agent's report counts only the tickets they may see."""
    if not span.query.strip():
        return access.visible_conditions(session, me)
    return conditions(resolve_query(session, span.query, me=me))


Histogram = list[tuple[float, int]]


def percentile(buckets: Histogram, share: float) -> float | None:
    """Nearest rank: the value at rank ``ceil(share * n)`` of the sorted times (bucketed, see
    :func:`deskterm.db.reports.bucket`); the loop is over buckets, never over tickets."""
    total = sum(count for _, count in buckets)
    if not total:
        return None
    rank = -(-total * round(share * 100) // 100)  # ceil(share * total), in integers
    seen = 0
    for value, count in sorted(buckets):
        seen += count
        if seen >= rank:
            return float(value)
    return float(max(buckets)[0])


def duration(buckets: Histogram) -> Duration:
    if not buckets:
        return Duration()
    return Duration(sum(count for _, count in buckets), percentile(buckets, 0.5),
                    percentile(buckets, 0.9))


@dataclass
class _Sums:
    """A cube added up: by day, by agent, by group, and in all."""

    total: int = 0
    by_day: Counter[str] = field(default_factory=Counter)
    by_agent: Counter[int | None] = field(default_factory=Counter)
    by_group: Counter[int | None] = field(default_factory=Counter)


def _sum(rows: list[tuple[Any, ...]], column: int, *, since: str, until: str) -> _Sums:
    """Cube rows (day, assignee, group, counts...) added up over the days of the range."""
    found = _Sums()
    for row in rows:  # a row per (day, assignee, group): bounded by the range, not the desk
        day, agent, group, value = row[0], row[1], row[2], int(row[column] or 0)
        if not since <= day < until:
            continue
        found.total += value
        found.by_day[day] += value
        found.by_agent[agent] += value
        found.by_group[group] += value
    return found


AGENT, GROUP, ALL = 1, 2, -1
"""What :func:`_by` adds a histogram up by: the assignee and group columns of
:func:`deskterm.db.reports.times_histogram`'s rows, or all of them together."""


def _by(rows: list[tuple[Any, ...]], key: int, clock: str = sql.WALL_CLOCK
        ) -> dict[Any, Histogram]:
    """Histogram rows (clock, assignee, group, bucket, count) of one clock by
    assignee, group or in all (business hours: in all only)."""
    found: dict[Any, Histogram] = {}
    for row in rows:  # a row per (assignee, group, bucket): never a row per ticket
        if row[0] == clock:
            found.setdefault(row[key] if key >= 0 else None, []).append((row[3], int(row[4])))
    return found


def _days(span: ReportRange) -> tuple[str, str]:
    return span.since.date().isoformat(), span.until.date().isoformat()


@dataclass
class _Counts:
    created: list[tuple[Any, ...]]
    solved: list[tuple[Any, ...]]
    open_now: list[tuple[Any, ...]]
    merged: int


def _counts(session: Session, span: ReportRange, where: list[Any]) -> _Counts:
    return _Counts(
        created=sql.created_cube(session, where, span.since),
        solved=sql.solved_cube(session, where, span.since),
        open_now=sql.open_cube(session, where),
        merged=sql.merged_count(session, where, span.since, span.until))


def _headline(span: ReportRange, counts: _Counts, *, one_touch: int | None = None,
              minutes: int | None = None, first: Histogram | None = None,
              resolution: Histogram | None = None) -> Headline:
    since, until = _days(span)
    created = _sum(counts.created, 3, since=since, until=until)
    answered = _sum(counts.created, 4, since=since, until=until)
    solved = _sum(counts.solved, 3, since=since, until=until)
    reopened = _sum(counts.solved, 4, since=since, until=until)
    return Headline(
        created=created.total, solved=solved.total,
        open_now=sum(int(row[2]) for row in counts.open_now),
        answered=answered.total, reopened=reopened.total, one_touch=one_touch,
        merged=counts.merged, minutes_logged=minutes,
        first_response=duration(first) if first is not None else Duration(),
        resolution=duration(resolution) if resolution is not None else Duration())


def headline(session: Session, span: ReportRange, *, me: str | None) -> Headline:
    """The counts of the headline (created, solved, open now, merged): what the screen shows
    first. Answered, reopened, the times taken, one-touch and time logged come with the
    report. Over the whole desk they are read from indexes (:func:`deskterm.db.reports.
    quick_counts`); with filters, from the same grouped counts as the report."""
    check_range(span)
    where = scope(session, span, me=me)
    if where:
        head = _headline(span, _counts(session, span, where))
        return replace(head, answered=None, reopened=None)
    quick = sql.quick_counts(session, span.since, span.until)
    return Headline(created=quick["created"], solved=quick["solved"],
                    open_now=quick["open_now"], answered=None, reopened=None, one_touch=None,
                    merged=sql.merged_count(session, where, span.since, span.until),
                    minutes_logged=None, first_response=Duration(), resolution=Duration())


Reading = Callable[[], AbstractContextManager[Session]]
"""Opens another read session of the same store (``Store.read``)."""


@dataclass
class _Side:
    """The reads a second session makes while the first makes the rest."""

    resolution: list[tuple[Any, ...]]
    tags: tuple[TagRow, ...]


def _side_reads(session: Session, span: ReportRange, where: list[Any]) -> _Side:
    sql.prepare(session)
    return _Side(
        resolution=sql.times_histogram(
            session, Ticket.solved_at, Ticket.resolution_business_minutes,
            [*sql.kept(where), sql.solved_in(span.since, span.until)], index=sql.SOLVED_INDEX,
            one_touch=True),
        tags=_tags(session, span, where))


def make_report(session: Session, span: ReportRange, *, me: str | None,
                now: datetime | None = None, side: Reading | None = None) -> Report:
    """The whole report for ``span``. With ``side``, the resolution times and the tags (a
    third of the work on a 1M desk) are read in a second session on another thread while this
    one reads the rest: SQLite lets go of the GIL while it steps a statement, and PostgreSQL
    runs each session in its own process, so a second core halves the wait."""
    check_range(span)
    sql.prepare(session)
    where = scope(session, span, me=me)
    pending: Future[_Side] | None = None
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report") if side else None
    try:
        if pool is not None and side is not None:
            opened = side

            def reads() -> _Side:
                with opened() as other:
                    return _side_reads(other, span, where)

            pending = pool.submit(reads)
        found = _make_report(session, span, where, now=now, pending=pending, me=me)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return found


def _make_report(session: Session, span: ReportRange, where: list[Any], *,
                 now: datetime | None, pending: Future[_Side] | None,
                 me: str | None) -> Report:
    counts = _counts(session, span, where)
    kept = sql.kept(where)
    first_rows = sql.times_histogram(
        session, Ticket.first_response_at, Ticket.first_response_business_minutes,
        [*kept, sql.created_in(span.since, span.until)], index=sql.CREATED_INDEX)
    minutes = sql.minutes_logged(session, where, span.since, span.until)
    moment = now or utcnow()
    sla_rows = _sla_rows(span, counts, sql.next_response_cube(
        session, where, span.since, span.until))
    side = pending.result() if pending is not None else _side_reads(session, span, where)
    resolution_rows = side.resolution
    head = _headline(span, counts, one_touch=sum(int(row[4] or 0) for row in resolution_rows
                                                  if row[0] == sql.ONE_TOUCH),
                     minutes=sum(minutes.values()), first=_by(first_rows, ALL).get(None, []),
                     resolution=_by(resolution_rows, ALL).get(None, []))
    head = replace(
        head,
        first_response_business=duration(
            _by(first_rows, ALL, sql.BUSINESS_CLOCK).get(None, [])),
        resolution_business=duration(
            _by(resolution_rows, ALL, sql.BUSINESS_CLOCK).get(None, [])),
        sla=_sla_targets(sla_rows),
        sla_breaching_now=sql.breaching_now(session, where, moment),
        csat=_csat(csat_rows := sql.csat_cube(session, where, span.since, span.until),
                   head.solved))
    sla_by = _sla_by(sla_rows)
    csat_by = _csat_by(csat_rows)
    since, until = _days(span)
    created = _sum(counts.created, 3, since=since, until=until)
    solved = _sum(counts.solved, 3, since=since, until=until)
    reopened = _sum(counts.solved, 4, since=since, until=until)
    open_agent: Counter[Any] = Counter()
    open_group: Counter[Any] = Counter()
    for agent, group, count in counts.open_now:
        open_agent[agent] += int(count)
        open_group[group] += int(count)
    every_created = _sum(counts.created, 3, since="", until="9999")
    every_solved = _sum(counts.solved, 3, since="", until="9999")
    backlog = sql.open_before(head.open_now, every_created.total, every_solved.total)
    days = []
    day: date = span.since.date()
    while day < span.until.date():  # the range's days, not its tickets
        key = day.isoformat()
        backlog += created.by_day[key] - solved.by_day[key]
        days.append(Day(key, created.by_day[key], solved.by_day[key], backlog))
        day += timedelta(days=1)

    first_agent, first_group = _by(first_rows, AGENT), _by(first_rows, GROUP)
    resolution_group = _by(resolution_rows, GROUP)
    agent_ids = sorted(key for key in {*solved.by_agent, *open_agent, *minutes, *first_agent,
                                       *sla_by[0]} if key is not None)
    people = sql.agent_names(session, agent_ids)
    agents = sorted((AgentRow(
        username=people[agent][0], name=people[agent][1], solved=solved.by_agent[agent],
        reopened=reopened.by_agent[agent], open_now=open_agent[agent],
        first_response_median=percentile(first_agent.get(agent, []), 0.5),
        minutes_logged=minutes.get(agent, 0), sla_percent=sla_by[0].get(agent),
        csat_average=csat_by[0].get(agent, NO_CSAT).average,
        csat_ratings=csat_by[0].get(agent, NO_CSAT).ratings)
        for agent in agent_ids if agent in people),
        key=lambda row: (-row.solved, row.username))
    group_ids = {*created.by_group, *solved.by_group, *open_group, *sla_by[1]}
    names = sql.group_names(session, [key for key in group_ids if key is not None])
    groups = sorted((GroupRow(
        name=names.get(group, "?") if group is not None else "(none)",
        created=created.by_group[group], solved=solved.by_group[group],
        open_now=open_group[group],
        first_response_median=percentile(first_group.get(group, []), 0.5),
        resolution_median=percentile(resolution_group.get(group, []), 0.5),
        sla_percent=sla_by[1].get(group), csat_average=csat_by[1].get(group, NO_CSAT).average,
        csat_ratings=csat_by[1].get(group, NO_CSAT).ratings)
        for group in group_ids), key=lambda row: (-row.created, row.name))
    return Report(
        range=span, made_at=moment, headline=head, days=tuple(days),
        agents=tuple(agents), groups=tuple(groups), tags=side.tags,
        articles=tuple(ArticleRow(*row) for row in sql.articles_used(
            session, where, span.since, span.until, limit=TOP)),
        searches_without_results=tuple(SearchMissRow(*row) for row in sql.missed_searches(
            session, span.since, span.until, limit=TOP,
            visible=lambda agent: access.searches_visible_condition(session, me, agent))),
    )


def _sla_rows(span: ReportRange, counts: _Counts, next_rows: list[tuple[Any, ...]]
              ) -> list[tuple[Any, ...]]:
    """``(target, assignee, group, met, ended)``: the first responses of the tickets created in
    the range and the resolutions of those solved in it (from the count cubes' last two
    columns), and the next responses that ended in it."""
    since, until = _days(span)
    found: list[tuple[Any, ...]] = []
    for target, rows in (("first_response", counts.created), ("resolution", counts.solved)):
        found.extend((target, row[1], row[2], int(row[5] or 0), int(row[6] or 0))
                     for row in rows if since <= row[0] < until and row[6])
    found.extend(("next_response", *row) for row in next_rows)
    return found


def _sla_targets(rows: list[tuple[Any, ...]]) -> tuple[SlaTarget, ...]:
    """Cube rows (target, assignee, group, met, ended) added up per target."""
    met: Counter[str] = Counter()
    ended: Counter[str] = Counter()
    for target, _agent, _group, met_count, ended_count in rows:
        met[target] += int(met_count or 0)
        ended[target] += int(ended_count or 0)
    return tuple(SlaTarget(target, met[target], ended[target]) for target in SLA_TARGETS)


def _sla_by(rows: list[tuple[Any, ...]]) -> tuple[dict[Any, float | None], ...]:
    """Compliance of every target together, by assignee and by group."""
    found: tuple[dict[Any, tuple[int, int]], ...] = ({}, {})
    for _target, agent, group, met, ended in rows:
        for index, key in enumerate((agent, group)):
            before = found[index].get(key, (0, 0))
            found[index][key] = (before[0] + int(met or 0), before[1] + int(ended or 0))
    return tuple({key: compliance(met, ended) for key, (met, ended) in by.items()}
                 for by in found)


def _csat(rows: list[tuple[Any, ...]], solved: int) -> Csat:
    scores = [0, 0, 0, 0, 0]
    for _agent, _group, score, count in rows:
        scores[int(score) - 1] += int(count)
    return Csat(solved, (scores[0], scores[1], scores[2], scores[3], scores[4]))


def _csat_by(rows: list[tuple[Any, ...]]) -> tuple[dict[Any, Csat], ...]:
    """The ratings by assignee and by group (``solved`` left 0: the tables show the average)."""
    found: tuple[dict[Any, list[int]], ...] = ({}, {})
    for agent, group, score, count in rows:
        for index, key in enumerate((agent, group)):
            found[index].setdefault(key, [0, 0, 0, 0, 0])[int(score) - 1] += int(count)
    return tuple({key: Csat(0, (s[0], s[1], s[2], s[3], s[4])) for key, s in by.items()}
                 for by in found)


def _tags(session: Session, span: ReportRange, where: list[Any]) -> tuple[TagRow, ...]:
    found = sql.tag_counts(session, where, span.since, span.until, span.previous)
    rows = [TagRow(tag, this, previous, trending(this, previous))
            for tag, this, previous in found]
    top = [row for row in rows if row.tickets][:TOP]
    rising = [row for row in rows if row.trending and row not in top]
    return tuple(top + rising)


def trending(this: int, previous: int) -> bool:
    """At least :data:`TRENDING_MIN` tickets and :data:`TRENDING_RATIO` times the period
    before."""
    return this >= TRENDING_MIN and this >= TRENDING_RATIO * previous


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
