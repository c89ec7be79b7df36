"""The queue: views, counts, and windows of rows for a virtual table.

The built-in views live in :mod:`deskterm.desk.queue.builtin` (no store needed to show them).

The queue resolves its filter once (:func:`resolve`: names looked up, the words' estimates
made, see :mod:`deskterm.desk.filter.resolved`) and keeps the :class:`ResolvedQuery`: its count
and every window reuse it, nothing parsed or looked up again.

A window is fetched after a row the table already holds when it can (keyset: as fast at row
900,000 as at row 0); a jump into the middle (a scrollbar drag) costs one index-only OFFSET scan,
done from whichever end of the order is nearer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from deskterm.db import search
from deskterm.db.models import Tag, Ticket, TicketTag
from deskterm.desk.filter.cursors import encode_cursor
from deskterm.desk.filter.resolved import ResolvedQuery, resolve_filter, resolve_query
from deskterm.desk.filter.sql import (
    SORT_KEYS,
    conditions,
    parse_sort,
    sort_value,
)
from deskterm.desk.filter.ticket_filter import RELEVANCE, TicketFilter
from deskterm.desk.people.directory import list_agents
from deskterm.desk.queue.builtin import (  # noqa: F401  (queue.View, queue.BUILTIN_VIEWS ...)
    BUILTIN_VIEWS,
    UNSOLVED,
    QueueStart,
    View,
)
from deskterm.desk.reads import TicketSummary
from deskterm.desk.tickets import lifecycle
from deskterm.desk.tickets.reads import list_tickets, rows_of, ticket_numbers


@dataclass(frozen=True)
class QueueQuery:
    """A filter and order given as values (resolved when run; the queue itself keeps a
    :class:`ResolvedQuery`)."""

    where: TicketFilter
    sort: str = "-updated"


def resolve(session: Session, text: str, *, me: str | None, now: datetime) -> ResolvedQuery:
    """``text`` in the filter language, resolved once against the desk (unknown names are
    refused with a :class:`~deskterm.desk.filter.language.QueryError` pointing at the term)."""
    return resolve_query(session, text, me=me, now=now)


def _resolved(session: Session, query: QueueQuery | ResolvedQuery,
              me: str | None) -> ResolvedQuery:
    if isinstance(query, ResolvedQuery):
        return query
    return resolve_filter(session, query.where, me=me, sort=query.sort)


@dataclass(frozen=True)
class AgentChoice:
    username: str
    display_name: str
    open_tickets: int
    groups: tuple[str, ...]


def agent_choices(session: Session) -> list[AgentChoice]:
    """Active agents with how many unsolved tickets each holds, least loaded first."""
    load = dict(session.exec(
        select(Ticket.assignee_id, func.count())
        .where(col(Ticket.status).in_(sorted(lifecycle.UNSOLVED)),
               col(Ticket.assignee_id).is_not(None))
        .group_by(col(Ticket.assignee_id))
    ).all())
    choices = [AgentChoice(a.username, a.display_name, load.get(a.id, 0), a.groups)
               for a in list_agents(session, include_inactive=False)]
    return sorted(choices, key=lambda c: (c.open_tickets, c.username))


def tag_names(session: Session, *, limit: int = 500) -> list[str]:
    """The desk's tags, most used first."""
    return list(session.exec(
        select(Tag.name).join(TicketTag, col(TicketTag.tag_id) == col(Tag.id), isouter=True)
        .group_by(col(Tag.name)).order_by(func.count(col(TicketTag.ticket_id)).desc(),
                                          col(Tag.name))
        .limit(limit)
    ).all())


def count_matching(session: Session, query: QueueQuery | ResolvedQuery, *,
                   me: str | None) -> int:
    """How many tickets match (the table's length).

    A filter that is one common word or phrase and nothing else is counted in the search index
    alone (:func:`deskterm.db.search.count_matching_tickets`, SQLite); any other through
    ``tickets``.
    """
    resolved = _resolved(session, query, me)
    if (not resolved.clauses and len(resolved.text) == 1 and not resolved.text[0].negated
            and not resolved.hidden_groups):
        counted = search.count_matching_tickets(session, resolved.text[0].plan)
        if counted is not None:
            return counted
    return session.exec(
        select(func.count()).select_from(Ticket).where(*conditions(resolved))
    ).one()


def _cursor_after(sort: str, row: TicketSummary) -> str:
    return encode_cursor(sort, sort_value(sort, row), row.number)


def _order(sort: str, *, reverse: bool = False) -> list[Any]:
    name, descending = parse_sort(sort)
    if reverse:
        descending = not descending
    keys = [SORT_KEYS[name]] if SORT_KEYS[name] is Ticket.id else [SORT_KEYS[name], Ticket.id]
    return [key.desc() if descending else key.asc() for key in keys]


def fetch_window(
    session: Session,
    query: QueueQuery | ResolvedQuery,
    *,
    me: str | None,
    start: int,
    count: int,
    total: int,
    anchor: TicketSummary | None = None,
) -> list[TicketSummary]:
    """Rows ``start`` to ``start + count`` of the query's order (``anchor`` = row ``start-1``)."""
    count = max(1, min(count, 1_000))
    query = _resolved(session, query, me)
    if query.sort == RELEVANCE:
        numbers = ranked_numbers(session, query, me=me)
        return rows_of(session, numbers[start:start + count])
    if anchor is not None:
        page = list_tickets(session, where=query, sort=query.sort, limit=count,
                            cursor=_cursor_after(query.sort, anchor), me=me)
        return list(page.items)
    reverse = start > total // 2
    offset = max(total - (start + count), 0) if reverse else start
    limit = min(count, total - start) if reverse else count
    if limit <= 0:
        return []
    numbers = ticket_numbers(session.exec(
        select(Ticket.id).where(*conditions(query))
        .order_by(*_order(query.sort, reverse=reverse))
        .offset(offset).limit(limit)
    ).all())
    if reverse:
        numbers = list(reversed(numbers))
    return rows_of(session, numbers)


def ranked_numbers(session: Session, query: QueueQuery | ResolvedQuery, *,
                   me: str | None) -> list[int]:
    """The matching tickets best match first (``sort:relevance``), or newest first when the
    filter's words are too common to rank (then a window is an index walk, as usual)."""
    resolved = _resolved(session, query, me)
    terms = [match.text for match in resolved.text if not match.negated]
    scores = search.relevance(session, terms) if terms else None
    where = conditions(resolved)
    if scores is None:
        ordered = select(Ticket.id).where(*where).order_by(*_order(FALLBACK_SORT))
    else:
        ordered = (select(Ticket.id).join(scores, scores.c.ticket_id == Ticket.id)
                   .where(*where).order_by(scores.c.score, col(Ticket.id)))
    return ticket_numbers(session.exec(ordered.limit(MAX_RANKED)).all())


MAX_RANKED = 100_000
"""Most tickets a relevance order lists (ranking stops well before: search.RANK_DOCUMENTS)."""
FALLBACK_SORT = "-updated"


def opening_window(session: Session, *, me: str, where: str, now: datetime,
                   count: int = 60) -> QueueStart:
    """The first built-in view's count and top rows: what the console opens on."""
    view = BUILTIN_VIEWS[0]
    resolved = resolve(session, view.query, me=me, now=now)
    total = count_matching(session, resolved, me=me)
    rows = fetch_window(session, resolved, me=me, start=0, count=count, total=total)
    return QueueStart(view.query, total, tuple(rows), resolved.sort, me, where)


MAX_SELECTION = 100_000


def matching_numbers(session: Session, query: QueueQuery | ResolvedQuery, *, me: str | None,
                     cap: int = MAX_SELECTION) -> tuple[list[int], bool]:
    """The numbers of the tickets matching ``query`` in its order (at most ``cap``)."""
    query = _resolved(session, query, me)
    if query.sort == RELEVANCE:
        numbers = ranked_numbers(session, query, me=me)[:cap + 1]
    else:
        numbers = ticket_numbers(session.exec(
            select(Ticket.id).where(*conditions(query))
            .order_by(*_order(query.sort)).limit(cap + 1)
        ).all())
    return numbers[:cap], len(numbers) > cap
