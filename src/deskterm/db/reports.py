"""The reports' aggregations, in SQL on both stores: counts, per-day series, percentiles, and
the same grouped by agent, group, tag and article.

Every function takes ``scope``: conditions on :class:`~deskterm.db.models.Ticket` (the report's
filters, made by :mod:`deskterm.desk.filter.sql`) and a UTC range ``[since, until)``. Nothing
here loops over tickets in Python: each answer is one statement whose result has a row per
day, agent, group, tag or article at most.

The counts come as small cubes (by day, assignee and group: a few thousand rows, one pass over
the range's tickets each, index-only through the covering indexes of migration 0022, with the
SLA kernel's first-response and resolution flags) that :mod:`deskterm.desk.reports.build`
adds up every way the report shows them; percentiles come from histograms of the times taken
(:func:`bucket`), read nearest-rank (the value at rank ``ceil(p * n)``; the median of 4
values is the 2nd).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Float,
    and_,
    case,
    cast,
    func,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from deskterm.db.durations import floor_to, seconds_between, utc_day
from deskterm.db.models import (
    Agent,
    Article,
    ArticleTicket,
    Group,
    Message,
    SatisfactionRating,
    SearchMiss,
    SlaOutcome,
    Tag,
    Ticket,
    TicketTag,
)

Scope = Sequence[ColumnElement[bool]]
UNSOLVED = ("new", "open", "pending", "on_hold")
DONE = ("solved", "closed")

def prepare(session: Session) -> None:
    """Ready a read session for the reports' statements. PostgreSQL: more working memory, and
    no JIT compilation in this transaction — each pass over a month of a 1M desk crosses the
    planner's JIT cost threshold, and compiling took 0.5-0.6 s of a 4 s statement (EXPLAIN
    ANALYZE), more than it saved."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        # The month's times (a materialized CTE of 300,000 rows) and the tags' hash join of
        # two months spilled to temporary files at the default 4 MB (EXPLAIN ANALYZE: 8
        # batches): a report's session may take more, for its own statements only.
        session.execute(text("SET LOCAL work_mem = '32MB'"))


def _sqlite_from_hint(_compiler: SQLiteCompiler, _table: Any, hint: str | None) -> str | None:
    return hint


# SQLAlchemy's SQLite compiler leaves a table's hint out (it has no syntax of its own for one);
# SQLite's is ``FROM tickets INDEXED BY ix_...``. Only these reports give SQLite hints.
SQLiteCompiler.get_from_hint_text = _sqlite_from_hint  # type: ignore[method-assign, assignment]

Query = TypeVar("Query", bound=Any)
"""A ``Select`` of any columns."""


def on_index(query: Query, table: Any, index: str) -> Query:
    """``query`` reading ``table`` through ``index`` on SQLite (``INDEXED BY``; PostgreSQL
    plans by its statistics). SQLite has none (no ``ANALYZE`` is run on a desk) and takes an
    equality on any indexed column for about ten rows: with a filter such as ``group:Billing``
    it read all of the group's tickets since the desk began through
    ``ix_tickets_group_status_updated``, row by row, instead of the range's entries of the
    report's covering index (the created cube 0.21 s of CPU against 0.07 s, the merged count
    0.11 s against nothing, on the 1M desk). Through the range's index a filter costs at most
    what the report without it does."""
    hinted: Query = query.with_hint(table.__table__, f"INDEXED BY {index}",
                                    dialect_name="sqlite")
    return hinted


CREATED_INDEX, SOLVED_INDEX = "ix_tickets_created_report", "ix_tickets_status_solved"
"""The covering indexes of migration 0022 the reports' passes read."""


def kept(scope: Scope) -> list[ColumnElement[bool]]:
    """The scope without merged tickets: a duplicate merged into another is not a request of
    its own (it is counted apart, as ``merged``)."""
    return [col(Ticket.merged_into_id).is_(None), *scope]


def created_in(since: datetime, until: datetime) -> ColumnElement[bool]:
    return and_(col(Ticket.created_at) >= since, col(Ticket.created_at) < until)


def solved_in(since: datetime, until: datetime) -> ColumnElement[bool]:
    """Solved (or solved and since closed) in the range. A ticket reopened and not solved
    again is not solved; one solved twice counts once, at its last solve."""
    return and_(col(Ticket.solved_at) >= since, col(Ticket.solved_at) < until,
                col(Ticket.status).in_(DONE))


def _public_replies() -> ColumnElement[Any]:
    """How many public replies agents wrote on the ticket (a probe of the partial index
    ``ix_messages_public_replies``, migration 0018)."""
    return (select(func.count()).select_from(Message)
            .where(col(Message.ticket_id) == col(Ticket.id), col(Message.public),
                   col(Message.author_agent_id).is_not(None))
            .correlate(Ticket).scalar_subquery())


Cube = list[tuple[Any, ...]]
"""Rows of counts by (day, assignee id, group id) or (assignee id, group id): a few thousand at
most, whatever the number of tickets."""


def _met(column: Any) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """How many of the rows had an SLA target end met (``column`` true), and how many had one
    end at all (not NULL)."""
    return (func.sum(case((col(column).is_(True), 1), else_=0)), func.count(col(column)))


def created_cube(session: Session, scope: Scope, since: datetime) -> Cube:
    """``(day, assignee, group, created, answered, first response met, first response ended)``
    for the tickets created since ``since`` (to now: the days after a range give the backlog
    at its start, see :func:`open_before`)."""
    day = utc_day(col(Ticket.created_at))
    keys = (day, col(Ticket.assignee_id), col(Ticket.group_id))
    return [tuple(row) for row in session.execute(on_index(
        select(*keys, func.count(), func.count(col(Ticket.first_response_at)),
               *_met(Ticket.first_response_sla_met))
        .where(*kept(scope), col(Ticket.created_at) >= since).group_by(*keys),
        Ticket, CREATED_INDEX))]


def solved_cube(session: Session, scope: Scope, since: datetime) -> Cube:
    """``(day, assignee, group, solved, reopened, resolution met, resolution ended)`` for the
    tickets solved (and not reopened since) from ``since`` to now."""
    day = utc_day(col(Ticket.solved_at))
    keys = (day, col(Ticket.assignee_id), col(Ticket.group_id))
    return [tuple(row) for row in session.execute(on_index(
        select(*keys, func.count(), func.sum(case((col(Ticket.reopens) > 0, 1), else_=0)),
               *_met(Ticket.resolution_sla_met))
        .where(*kept(scope), col(Ticket.solved_at) >= since, col(Ticket.status).in_(DONE))
        .group_by(*keys), Ticket, SOLVED_INDEX))]


def open_cube(session: Session, scope: Scope) -> Cube:
    """``(assignee, group, tickets)`` unsolved now: one grouped read per status, each on the
    status index (SQLite scans the whole table for ``status IN (four of them)``)."""
    keys = (col(Ticket.assignee_id), col(Ticket.group_id))
    found: dict[tuple[Any, Any], int] = {}
    for status in UNSOLVED:
        for agent, group, count in session.execute(
                select(*keys, func.count())
                .where(*kept(scope), col(Ticket.status) == status).group_by(*keys)):
            found[(agent, group)] = found.get((agent, group), 0) + count
    return [(agent, group, count) for (agent, group), count in found.items()]


def _unindexed(column: Any) -> ColumnElement[Any]:
    """``column`` as an expression no index is chosen for (``coalesce(c, c)``): the planners
    otherwise take a range of a timestamp index over an equality on the status index and read
    a third of the desk."""
    return func.coalesce(column, column)


def quick_counts(session: Session, since: datetime, until: datetime) -> dict[str, int]:
    """The headline's counts over the whole desk (no filters) from indexes alone, or nearly:
    created and solved in the range (less merged tickets, and tickets reopened since), open
    now. The same numbers as :func:`created_cube`, :func:`solved_cube` and :func:`open_cube`
    add up to, in a small part of their time (bench/reports.py)."""
    def count(*where: ColumnElement[bool]) -> int:
        return int(session.execute(select(func.count()).select_from(Ticket).where(*where))
                   .scalar_one())

    merged = col(Ticket.merged_into_id).is_not(None)
    created = count(created_in(since, until)) - count(
        merged, _unindexed(col(Ticket.created_at)) >= since,
        _unindexed(col(Ticket.created_at)) < until)
    solved = -count(merged, _unindexed(col(Ticket.status)).in_(DONE),
                    _unindexed(col(Ticket.solved_at)) >= since,
                    _unindexed(col(Ticket.solved_at)) < until)
    for status in DONE:  # one range of ix_tickets_status_solved each
        solved += count(col(Ticket.status) == status, col(Ticket.solved_at) >= since,
                        col(Ticket.solved_at) < until)
    open_now = 0
    for status in UNSOLVED:
        open_now += count(col(Ticket.status) == status)
    return {"created": created, "solved": solved, "open_now": open_now}


def open_before(open_now: int, created_since: int, solved_since: int) -> int:
    """The tickets unsolved at ``since``: those unsolved now, less those created since, plus
    those solved since (a ticket reopened and still open counts as open from its creation)."""
    return open_now - created_since + solved_since


def merged_count(session: Session, scope: Scope, since: datetime, until: datetime) -> int:
    """Tickets merged into another in the range (through the partial index ``ix_tickets_merged``
    of migration 0018, which holds merged tickets alone)."""
    return int(session.execute(on_index(select(func.count()).select_from(Ticket).where(
        col(Ticket.merged_into_id).is_not(None), *scope,
        col(Ticket.closed_at) >= since, col(Ticket.closed_at) < until),
        Ticket, "ix_tickets_merged")).scalar_one())


def bucket(seconds: ColumnElement[Any]) -> ColumnElement[Any]:
    """A time taken, rounded down: to the minute under 2 hours, to 5 minutes under a day, to
    the hour beyond. Percentiles are read from these buckets (so a p90 of 4 d 3 h 12 min shows
    as 4 d 3 h), at most a few hundred a key instead of every ticket."""
    return case((seconds < 7200, floor_to(seconds, 60)),
                (seconds < 86400, floor_to(seconds, 300)),
                else_=floor_to(seconds, 3600))


WALL_CLOCK, BUSINESS_CLOCK, ONE_TOUCH = "wall", "business", "one_touch"
"""The first column of :func:`times_histogram`'s rows: which clock the bucket counts (or, for
``one_touch``, the one row of the tickets solved with a single public reply)."""


def times_histogram(session: Session, later: Any, business: Any, where: Scope, *,
                    index: str, one_touch: bool = False) -> Cube:
    """``(clock, assignee, group, bucket, tickets)`` of the time from a ticket's
    creation to ``later`` (first reply, solve) over the tickets ``where`` holds (those without
    one left out): by assignee and group on the wall clock (``clock`` "wall"), and over all of
    them in business hours ("business", assignee and group NULL; ``business``: the minutes
    the SLA kernel stored where a calendar applies, the wall clock elsewhere) — the report
    shows business hours for the whole range only.

    One pass for both clocks, the time taken computed once a ticket in a materialized CTE
    (:func:`bucket` evaluates its argument once per branch, and a plain subquery is flattened
    into the outer one), then grouped twice. Grouped once by both buckets together (the cross
    product) a month on a 1M desk was 141,000 rows for Python to add up again (2-3 s of CPU
    with the rest of the report's Python); grouped apart it is under 20,000 (bench/reports.py).
    ``index``: the covering index of the range (:func:`on_index`). ``one_touch``: one more
    row, ``('one_touch', NULL, NULL, NULL, tickets)``, of the tickets with a single public
    reply by an agent (the resolution's pass)."""
    # As a double: PostgreSQL's EXTRACT(EPOCH ...) is numeric, and numeric arithmetic over a
    # month of tickets was a third of the pass.
    seconds = cast(seconds_between(col(later), col(Ticket.created_at)), Float)
    postgresql = session.get_bind().dialect.name == "postgresql"
    # One-touch on SQLite: a probe of ix_messages_public_replies per ticket (0.15 s for a
    # month); on PostgreSQL the same 283,000 probes were 1.7-1.9 s of a 2.8 s pass (EXPLAIN
    # ANALYZE), and the replies of the tickets' id span read in order, grouped and hash-joined
    # to them 0.9 s (see one_touch_pg below).
    touch = (case((_public_replies() == 1, 1), else_=0) if one_touch and not postgresql
             else literal_column("0"))
    times = on_index(
        select(col(Ticket.id).label("id"), col(Ticket.assignee_id).label("agent"),
               col(Ticket.group_id).label("team"),
               floor_to(seconds, 60).label("taken"), col(business).label("business"),
               touch.label("touch"))
        .where(*where, col(later).is_not(None)), Ticket, index,
    ).cte("times").prefix_with("MATERIALIZED")
    wall = bucket(times.c.taken)
    on_calendar = bucket(func.coalesce(times.c.business * 60, times.c.taken))
    nothing: ColumnElement[Any] = literal_column("NULL")
    by_wall = (select(literal_column(f"'{WALL_CLOCK}'").label("clock"), times.c.agent,
                      times.c.team, wall.label("bucket"), func.count().label("tickets"))
               .group_by(times.c.agent, times.c.team, wall))
    by_calendar = (select(literal_column(f"'{BUSINESS_CLOCK}'"), nothing, nothing,
                          on_calendar, func.count())
                   .group_by(on_calendar))
    parts = [by_wall, by_calendar]
    if one_touch:
        parts.append(_one_touch_pg(times) if postgresql else
                     select(literal_column(f"'{ONE_TOUCH}'"), nothing, nothing, nothing,
                            func.sum(times.c.touch)))
    return [tuple(row) for row in session.execute(union_all(*parts))]


def _one_touch_pg(times: Any) -> Any:
    """``('one_touch', NULL, NULL, NULL, tickets)``: how many of ``times``' tickets have
    exactly one public reply by an agent — the replies of the tickets' id span, read in
    ticket order from ``ix_messages_public_replies`` and grouped as they come, joined by a hash
    to the tickets (PostgreSQL; SQLite probes per ticket)."""
    nothing: ColumnElement[Any] = literal_column("NULL")
    span = select(func.min(times.c.id)).scalar_subquery(), select(
        func.max(times.c.id)).scalar_subquery()
    single = (select(col(Message.ticket_id).label("ticket_id"))
              .where(col(Message.public), col(Message.author_agent_id).is_not(None),
                     col(Message.ticket_id) >= span[0], col(Message.ticket_id) <= span[1])
              .group_by(col(Message.ticket_id)).having(func.count() == 1).subquery("single"))
    return (select(literal_column(f"'{ONE_TOUCH}'"), nothing, nothing, nothing, func.count())
            .select_from(times.join(single, single.c.ticket_id == times.c.id)))


def next_response_cube(session: Session, scope: Scope, since: datetime, until: datetime
                       ) -> Cube:
    """``(assignee, group, met, ended)`` of the next-response targets that ended in the range
    (:class:`~deskterm.db.models.SlaOutcome`: a ticket may have many, so they are counted from
    the outcomes, by ``ix_sla_outcomes_target_ended``) on the tickets in scope. The first
    response and the resolution are counted with the tickets (:func:`created_cube`,
    :func:`solved_cube`)."""
    keys = (col(Ticket.assignee_id), col(Ticket.group_id))
    met = func.sum(case((col(SlaOutcome.outcome) == "met", 1), else_=0))
    return [tuple(row) for row in session.execute(
        select(*keys, met, func.count())
        .select_from(SlaOutcome).join(Ticket, col(Ticket.id) == col(SlaOutcome.ticket_id))
        .where(col(SlaOutcome.target) == "next_response", col(SlaOutcome.ended_at) >= since,
               col(SlaOutcome.ended_at) < until, *kept(scope))
        .group_by(*keys))]


def breaching_now(session: Session, scope: Scope, now: datetime) -> int:
    """Tickets in scope with a target running past its due time now (``sla:breached``), by
    ``ix_tickets_sla_due``."""
    return int(session.execute(on_index(select(func.count()).select_from(Ticket).where(
        col(Ticket.sla_due_at) <= now, col(Ticket.sla_policy_id).is_not(None),
        *kept(scope)), Ticket, "ix_tickets_sla_due")).scalar_one())


def csat_cube(session: Session, scope: Scope, since: datetime, until: datetime) -> Cube:
    """``(assignee, group, score, ratings)`` of the ratings of the tickets solved in the range
    (whenever the rating came), in scope."""
    keys = (col(Ticket.assignee_id), col(Ticket.group_id), col(SatisfactionRating.score))
    return [tuple(row) for row in session.execute(
        select(*keys, func.count())
        .select_from(Ticket)
        .join(SatisfactionRating, col(SatisfactionRating.ticket_id) == col(Ticket.id))
        .where(*kept(scope), solved_in(since, until)).group_by(*keys))]


def minutes_logged(session: Session, scope: Scope, since: datetime, until: datetime
                   ) -> dict[int, int]:
    """``{agent id: minutes}`` the agents logged on replies and notes written in the range,
    on the tickets in scope (merged ones too: their time was spent). Read from the partial,
    covering index ``ix_messages_minutes`` (only messages with minutes are in it, migration
    0024): without filters the index alone answers; with filters each message's ticket is
    joined by the id the index holds."""
    author = col(Message.author_agent_id)
    query = (select(author, func.sum(col(Message.minutes)))
             .where(col(Message.minutes).is_not(None), col(Message.created_at) >= since,
                    col(Message.created_at) < until, author.is_not(None)))
    if scope:
        query = on_index(query.join(Ticket, col(Ticket.id) == col(Message.ticket_id))
                         .where(*scope), Message, "ix_messages_minutes")
    rows = session.execute(query.group_by(author)).all()
    return {agent: int(total) for agent, total in rows}


def names(session: Session, table: Any, ids: Sequence[int], column: Any) -> dict[int, str]:
    """The names of rows of ``table`` by id (agents' usernames, groups' names)."""
    if not ids:
        return {}
    return dict(session.execute(select(table.id, column).where(col(table.id).in_(list(ids))))
                .all())


def agent_names(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = session.execute(select(col(Agent.id), col(Agent.username), col(Agent.display_name))
                           .where(col(Agent.id).in_(list(ids)))).all()
    return {agent: (username, display) for agent, username, display in rows}


def group_names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    return names(session, Group, ids, Group.name)


def tag_counts(session: Session, scope: Scope, since: datetime, until: datetime,
               before: datetime) -> list[tuple[str, int, int]]:
    """``(tag, tickets created in [since, until), tickets created in [before, since))`` for
    every tag carried in either period, most this period first. Counted by tag id and named
    after (a name per tag, not per ticket)."""
    base = kept(scope)
    carried = aliased(TicketTag)  # the scope's own tag:... subquery names ticket_tags too
    counts = on_index(select(col(carried.tag_id).label("tag_id"),
                     func.sum(case((col(Ticket.created_at) >= since, 1), else_=0))
                     .label("now_period"),
                     func.sum(case((col(Ticket.created_at) < since, 1), else_=0))
                     .label("then_period"))
              .select_from(Ticket).join(carried, col(carried.ticket_id) == col(Ticket.id))
              .where(*base, col(Ticket.created_at) >= before, col(Ticket.created_at) < until)
              .group_by(col(carried.tag_id)), Ticket, CREATED_INDEX).subquery()
    rows = session.execute(
        select(col(Tag.name), counts.c.now_period, counts.c.then_period)
        .join(counts, counts.c.tag_id == col(Tag.id))
        .order_by(counts.c.now_period.desc(), col(Tag.name))).all()
    return [(name, int(this), int(previous)) for name, this, previous in rows]


def articles_used(session: Session, scope: Scope, since: datetime, until: datetime, *,
                  limit: int) -> list[tuple[str, str, int, int, int, int]]:
    """The articles used on most tickets in scope in the range: ``(slug, title, tickets,
    inserts, links, views)`` (the last three are the article's totals of all time)."""
    used = func.count(col(ArticleTicket.ticket_id))
    rows = session.execute(
        select(col(Article.slug), col(Article.title), used, col(Article.insert_count),
               col(Article.link_count), col(Article.views))
        .join(ArticleTicket, col(ArticleTicket.article_id) == col(Article.id))
        .join(Ticket, col(Ticket.id) == col(ArticleTicket.ticket_id))
        .where(*scope, col(ArticleTicket.linked_at) >= since,
               col(ArticleTicket.linked_at) < until)
        .group_by(col(Article.id), col(Article.slug), col(Article.title),
                  col(Article.insert_count), col(Article.link_count), col(Article.views))
        .order_by(used.desc(), col(Article.slug)).limit(limit)).all()
    return [(slug, title, int(n), inserts, links, views)
            for slug, title, n, inserts, links, views in rows]


def missed_searches(session: Session, since: datetime, until: datetime, *, limit: int,
                    visible: Callable[[Any], list[Any]] = lambda _agent: []
                    ) -> list[tuple[str, str, int, datetime]]:
    """The searches that found nothing in the range, most frequent first: ``(kind, query,
    times, last)``. Not scoped by the ticket filters: a search has no ticket; ``visible``
    gives the conditions on the searching agent's id column (group access)."""
    times = func.count()
    rows = session.execute(
        select(col(SearchMiss.kind), col(SearchMiss.query), times, func.max(SearchMiss.at))
        .where(col(SearchMiss.at) >= since, col(SearchMiss.at) < until,
               *visible(col(SearchMiss.agent_id)))
        .group_by(SearchMiss.kind, SearchMiss.query)
        .order_by(times.desc(), SearchMiss.query).limit(limit)).all()
    return [(kind, query, int(n), last) for kind, query, n, last in rows]


def change_stamp(session: Session) -> tuple[Any, ...]:
    """What changes whenever a ticket, a message or a search miss does (three index probes):
    a cached report is current while this stays the same."""
    return tuple(session.execute(select(
        select(func.max(Ticket.updated_at)).scalar_subquery(),
        select(func.max(Ticket.id)).scalar_subquery(),
        select(func.max(Message.id)).scalar_subquery(),
        select(func.max(SearchMiss.id)).scalar_subquery(),
        select(func.max(ArticleTicket.linked_at)).scalar_subquery(),
    )).one())
