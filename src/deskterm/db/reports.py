"""The reports' aggregations, in SQL on both stores: counts, per-day series, percentiles, and
the same grouped by agent, group, tag and article.

Every function takes ``scope``: conditions on :class:`~deskterm.db.models.Ticket` (the report's
filters, made by :mod:`deskterm.desk.filter.sql`) and a UTC range ``[since, until)``. Nothing
here loops over tickets in Python: each answer is one statement whose result has a row per
day, agent, group, tag or article at most.

Percentiles are nearest-rank (the value at rank ``ceil(p * n)`` of the ``n`` sorted values; the
median of 4 values is the 2nd), computed with ``row_number()`` over a window, which both stores
run (PostgreSQL's ``percentile_disc`` gives the same values; SQLite has no percentile function).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from deskterm.db.durations import seconds_between, utc_day
from deskterm.db.models import (
    Agent,
    Article,
    ArticleTicket,
    Group,
    Message,
    SearchMiss,
    Tag,
    Ticket,
    TicketTag,
)

Scope = Sequence[ColumnElement[bool]]
UNSOLVED = ("new", "open", "pending", "on_hold")
DONE = ("solved", "closed")

FIRST_RESPONSE = seconds_between(col(Ticket.first_response_at), col(Ticket.created_at))
"""Seconds from a ticket's creation to its first public reply."""
RESOLUTION = seconds_between(col(Ticket.solved_at), col(Ticket.created_at))
"""Seconds from a ticket's creation to its (last) solve."""


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


def _one_touch() -> ColumnElement[Any]:
    """The ticket had exactly one public reply from an agent."""
    replies = (select(func.count()).select_from(Message)
               .where(col(Message.ticket_id) == col(Ticket.id), col(Message.public),
                      col(Message.author_agent_id).is_not(None))
               .correlate(Ticket).scalar_subquery())
    return replies == 1


def headline(session: Session, scope: Scope, since: datetime, until: datetime
             ) -> dict[str, int]:
    """created, answered (of those created), solved, reopened and one_touch (of those
    solved), open_now (unsolved now, whenever created), merged (in the range)."""
    base = kept(scope)
    created, answered = session.execute(
        select(func.count(), func.count(col(Ticket.first_response_at)))
        .where(*base, created_in(since, until))).one()
    solved, reopened, one_touch = session.execute(
        select(func.count(),
               func.coalesce(func.sum(case((col(Ticket.reopens) > 0, 1), else_=0)), 0),
               func.coalesce(func.sum(case((_one_touch(), 1), else_=0)), 0))
        .where(*base, solved_in(since, until))).one()
    open_now = session.execute(select(func.count()).where(
        *base, col(Ticket.status).in_(UNSOLVED))).scalar_one()
    merged = session.execute(select(func.count()).where(
        col(Ticket.merged_into_id).is_not(None), *scope,
        col(Ticket.closed_at) >= since, col(Ticket.closed_at) < until)).scalar_one()
    return {"created": created, "answered": answered, "solved": solved,
            "reopened": int(reopened), "one_touch": int(one_touch), "open_now": open_now,
            "merged": merged}


def per_day(session: Session, scope: Scope, since: datetime, until: datetime
            ) -> tuple[int, dict[str, int], dict[str, int]]:
    """(tickets open at ``since``, created per UTC day, resolved per UTC day) — the backlog at
    a day's end is the first plus the running sums of the second minus the third.

    Resolved: solved (or closed) and not reopened since; a ticket reopened and still open
    counts as open from its creation on (the reports read no event history)."""
    base = kept(scope)
    resolved_at = func.coalesce(col(Ticket.solved_at), col(Ticket.closed_at))
    done = col(Ticket.status).in_(DONE)
    open_at_start = session.execute(select(func.count()).where(
        *base, col(Ticket.created_at) < since,
        ~and_(done, resolved_at < since))).scalar_one()
    day = utc_day(col(Ticket.created_at))
    created = dict(session.execute(
        select(day, func.count()).where(*base, created_in(since, until)).group_by(day)).all())
    resolved_day = utc_day(resolved_at)
    resolved = dict(session.execute(
        select(resolved_day, func.count())
        .where(*base, done, resolved_at >= since, resolved_at < until)
        .group_by(resolved_day)).all())
    return open_at_start, created, resolved


def percentiles(session: Session, value: ColumnElement[Any], where: Scope, *,
                by: Any = None) -> dict[Any, tuple[int, float, float]]:
    """``{key: (count, median, p90)}`` of ``value`` over the tickets ``where`` holds (NULL
    values left out), per ``by`` (one key, None, without it)."""
    key = by if by is not None else literal(None)
    ranked = (
        select(key.label("k"), value.label("v"),
               func.row_number().over(partition_by=key, order_by=value).label("rn"),
               func.count().over(partition_by=key).label("n"))
        .where(*where, value.is_not(None))
        .subquery()
    )
    n, rank = ranked.c.n, ranked.c.rn
    rows = session.execute(
        select(ranked.c.k, func.max(n),
               func.max(case((rank == (n + 1) // 2, ranked.c.v))),
               func.max(case((rank == (9 * n + 9) // 10, ranked.c.v))))
        .group_by(ranked.c.k)).all()
    return {k: (int(count), float(p50), float(p90)) for k, count, p50, p90 in rows}


def per_agent(session: Session, scope: Scope, since: datetime, until: datetime
              ) -> dict[int, dict[str, int]]:
    """``{agent id: {solved, reopened, open_now}}`` by the ticket's assignee."""
    base = kept(scope)
    found: dict[int, dict[str, int]] = {}
    assignee = col(Ticket.assignee_id)
    for agent, solved, reopened in session.execute(
            select(assignee, func.count(), func.sum(case((col(Ticket.reopens) > 0, 1),
                                                         else_=0)))
            .where(*base, solved_in(since, until), assignee.is_not(None)).group_by(assignee)):
        found.setdefault(agent, {})
        found[agent].update(solved=solved, reopened=int(reopened or 0))
    for agent, open_now in session.execute(
            select(assignee, func.count())
            .where(*base, col(Ticket.status).in_(UNSOLVED), assignee.is_not(None))
            .group_by(assignee)):
        found.setdefault(agent, {})["open_now"] = open_now
    return found


def minutes_logged(session: Session, scope: Scope, since: datetime, until: datetime
                   ) -> dict[int, int]:
    """``{agent id: minutes}`` the agents logged on replies and notes written in the range,
    on the tickets in scope (merged ones too: their time was spent)."""
    author = col(Message.author_agent_id)
    rows = session.execute(
        select(author, func.sum(col(Message.minutes)))
        .join(Ticket, col(Ticket.id) == col(Message.ticket_id))
        .where(*scope, col(Message.created_at) >= since, col(Message.created_at) < until,
               col(Message.minutes).is_not(None), author.is_not(None))
        .group_by(author)).all()
    return {agent: int(total) for agent, total in rows}


def per_group(session: Session, scope: Scope, since: datetime, until: datetime
              ) -> dict[int | None, dict[str, int]]:
    """``{group id or None: {created, solved, open_now}}``."""
    base = kept(scope)
    group = col(Ticket.group_id)
    found: dict[int | None, dict[str, int]] = {}
    for name, where in (("created", [created_in(since, until)]),
                        ("solved", [solved_in(since, until)]),
                        ("open_now", [col(Ticket.status).in_(UNSOLVED)])):
        for key, count in session.execute(
                select(group, func.count()).where(*base, *where).group_by(group)):
            found.setdefault(key, {})[name] = count
    return found


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
    every tag carried in either period, most this period first."""
    base = kept(scope)
    carried = aliased(TicketTag)  # the scope's own tag:... subquery names ticket_tags too
    now_period = func.sum(case((col(Ticket.created_at) >= since, 1), else_=0))
    then_period = func.sum(case((col(Ticket.created_at) < since, 1), else_=0))
    rows = session.execute(
        select(col(Tag.name), now_period, then_period)
        .join(carried, col(carried.tag_id) == col(Tag.id))
        .join(Ticket, col(Ticket.id) == col(carried.ticket_id))
        .where(*base, col(Ticket.created_at) >= before, col(Ticket.created_at) < until)
        .group_by(col(Tag.name))
        .order_by(now_period.desc(), col(Tag.name))).all()
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


def missed_searches(session: Session, since: datetime, until: datetime, *, limit: int
                  ) -> list[tuple[str, str, int, datetime]]:
    """The searches that found nothing in the range, most frequent first: ``(kind, query,
    times, last)``. Not scoped by the ticket filters: a search has no ticket."""
    times = func.count()
    rows = session.execute(
        select(col(SearchMiss.kind), col(SearchMiss.query), times, func.max(SearchMiss.at))
        .where(col(SearchMiss.at) >= since, col(SearchMiss.at) < until)
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
