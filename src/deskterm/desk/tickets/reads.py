"""Reading tickets: summaries, filtered lists with keyset paging, requester and company history.

What a filter means in SQL is :mod:`deskterm.desk.filter.sql`."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, bindparam, case, func, literal, tuple_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from deskterm.db import search
from deskterm.db.models import (
    Customer,
    Tag,
    Ticket,
    TicketTag,
)
from deskterm.desk.errors import InvalidInput
from deskterm.desk.filter.cursors import encode_cursor
from deskterm.desk.filter.resolved import ResolvedQuery, resolve_filter, resolve_query
from deskterm.desk.filter.sql import (
    SORT_KEYS,
    conditions,
    cursor_sort,
    decode_cursor,
    decode_relevance_cursor,
    parse_sort,
    rows_query,
    sort_value,
)
from deskterm.desk.filter.ticket_filter import RELEVANCE, TicketFilter
from deskterm.desk.people import access
from deskterm.desk.people.directory import (
    find_customer,
    find_organization,
)
from deskterm.desk.reads import Page, TicketSummary
from deskterm.desk.tickets import lifecycle
from deskterm.desk.tickets.summary import SlaTimes

MAX_PAGE = 1_000


Row = tuple[Any, ...]
"""A row of :func:`~deskterm.desk.filter.sql.rows_query`: the ticket, then the names it refers
to and the unseen-reply marker."""


def ticket_numbers(found: Sequence[int | None]) -> list[int]:
    """Ticket numbers as read (the column is typed optional for a row not yet stored; a stored
    ticket always has its number)."""
    return [number for number in found if number is not None]


# Built once, the numbers bound per call: building the statement cost more than running it
# (a ticket's summary after each filed mail, bench/intake_mail.py).
_TAGS_OF = (select(TicketTag.ticket_id, Tag.name)
            .join(Tag, col(Tag.id) == col(TicketTag.tag_id))
            .where(col(TicketTag.ticket_id).in_(bindparam("numbers", expanding=True)))
            .order_by(col(Tag.name)))


def _tags_by_ticket(session: Session, numbers: Sequence[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = defaultdict(list)
    if numbers:
        for number, name in session.exec(_TAGS_OF, params={"numbers": list(numbers)}).all():
            found[number].append(name)
    return {number: tuple(names) for number, names in found.items()}


def _to_summary(row: Row, tags: tuple[str, ...]) -> TicketSummary:
    ticket, requester_name, requester_email, organization, assignee, group, unseen = row
    return TicketSummary(
        number=ticket.id,
        subject=ticket.subject,
        status=ticket.status,
        priority=lifecycle.priority_name(ticket.priority),
        type=ticket.type,
        channel=ticket.channel,
        tier=ticket.tier,
        requester_name=requester_name,
        requester_email=requester_email,
        organization=organization,
        assignee=assignee,
        group=group,
        tags=tags,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        first_response_at=ticket.first_response_at,
        solved_at=ticket.solved_at,
        reopens=ticket.reopens,
        version=ticket.version,
        customer_replied_at=ticket.customer_replied_at,
        unseen_reply=bool(unseen),
        sla=sla_times(ticket),
    )


def sla_times(ticket: Ticket) -> SlaTimes | None:
    """The SLA clock of ``ticket`` (None when no policy applies)."""
    if ticket.sla_policy_id is None:
        return None
    return SlaTimes(policy_id=ticket.sla_policy_id, due_at=ticket.sla_due_at,
                    first_response_due_at=ticket.first_response_due_at,
                    next_response_due_at=ticket.next_response_due_at,
                    resolution_due_at=ticket.resolution_due_at, paused_at=ticket.sla_paused_at)


def rows_of(session: Session, numbers: Sequence[int]) -> list[TicketSummary]:
    """The summaries of tickets ``numbers``, in that order (missing ones left out)."""
    if not numbers:
        return []
    found = session.exec(rows_query().where(col(Ticket.id).in_(list(numbers)))).all()
    by_number = {row[0].id: row for row in found}
    return summaries(session, [by_number[n] for n in numbers if n in by_number])


def summaries(session: Session, rows: Sequence[Row]) -> list[TicketSummary]:
    tags = _tags_by_ticket(session, [row[0].id for row in rows])
    return [_to_summary(row, tags.get(row[0].id, ())) for row in rows]


@functools.cache
def _one_row() -> Select[*tuple[Any, ...]]:
    """:func:`rows_query` of one ticket, its number bound per call (built once)."""
    return rows_query().where(col(Ticket.id) == bindparam("number"))


def summary(session: Session, ticket: Ticket) -> TicketSummary:
    """The summary of one ticket as it stands in this session."""
    session.flush()
    row = session.exec(_one_row(), params={"number": ticket.id}).one()
    return summaries(session, [row])[0]


def list_tickets(
    session: Session,
    *,
    where: TicketFilter | ResolvedQuery = TicketFilter(),
    sort: str = "-updated",
    limit: int = 50,
    cursor: str | None = None,
    me: str | None = None,
) -> Page:
    """One page of tickets matching ``where``, in ``sort`` order, after ``cursor``.

    Keyset paging: the order is (sort key, ticket number), so pages never skip or repeat a
    ticket even when many share a sort key, and deep pages cost as little as the first.
    ``sort`` may also be :data:`RELEVANCE`: the best matches of the filter's words first.
    A :class:`TicketFilter` is resolved first (its names looked up, for ``me``); a
    :class:`ResolvedQuery` is run as it is, nothing looked up again.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit {limit} must be between 1 and {MAX_PAGE}")
    if isinstance(where, TicketFilter):
        where = resolve_filter(session, where, me=me, sort=sort)
    if sort == RELEVANCE:
        return _list_by_relevance(session, where, limit, cursor)
    name, descending = parse_sort(sort)
    key = SORT_KEYS[name]
    # The page's numbers first, from the tickets table alone (an index walk in the sort's
    # order), then their rows: joining names onto every matching ticket before the LIMIT
    # costs seconds when a million match.
    query = select(Ticket.id).where(*conditions(where))
    if cursor:
        value, number = decode_cursor(cursor, sort)
        bound = tuple_(literal(value, key.type), literal(number))
        pair = tuple_(key, Ticket.id)
        query = query.where(pair < bound if descending else pair > bound)
    if key is Ticket.id:
        order = [col(Ticket.id).desc() if descending else col(Ticket.id).asc()]
    else:
        order = [key.desc(), col(Ticket.id).desc()] if descending else [key.asc(),
                                                                         col(Ticket.id).asc()]
    numbers = session.exec(query.order_by(*order).limit(limit + 1)).all()
    items = rows_of(session, ticket_numbers(numbers[:limit]))
    rows = numbers
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor(sort, sort_value(sort, last), last.number)
    return Page(items=tuple(items), next_cursor=next_cursor)


def query_tickets(
    session: Session,
    text: str,
    *,
    me: str | None = None,
    now: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """One page of the tickets a query in the filter language selects, in its order.

    Any problem with the query itself, including an agent, group, organization or requester it
    names that does not exist, is a :class:`~deskterm.desk.filter.language.QueryError` pointing
    at the term, found while resolving it (once). A bad ``limit`` or ``cursor`` stays the
    :class:`InvalidInput` that :func:`list_tickets` raises.
    """
    resolved = resolve_query(session, text, me=me, now=now)
    return list_tickets(session, where=resolved, sort=resolved.sort, limit=limit, cursor=cursor,
                        me=me)


_FALLBACK = "-updated"


def _list_by_relevance(session: Session, where: ResolvedQuery, limit: int,
                       cursor: str | None) -> Page:
    if cursor and cursor_sort(cursor) == _FALLBACK:
        return list_tickets(session, where=where, sort=_FALLBACK, limit=limit, cursor=cursor)
    terms = [match.text for match in where.text if not match.negated]
    scores = search.relevance(session, terms) if terms else None
    if scores is None:
        if cursor:
            decode_relevance_cursor(cursor)  # refuses a cursor that was never handed out
        return list_tickets(session, where=where, sort=_FALLBACK, limit=limit)
    query = (rows_query().add_columns(scores.c.score)
             .join(scores, scores.c.ticket_id == col(Ticket.id))
             .where(*conditions(where)))
    if cursor:
        score, number = decode_relevance_cursor(cursor)
        query = query.where(tuple_(scores.c.score, Ticket.id)
                            > tuple_(literal(score, Float), literal(number)))
    # sqlmodel's exec() is typed for its own Select only; add_columns() made SQLAlchemy's
    rows = session.exec(query.order_by(  # type: ignore[call-overload]
        scores.c.score, col(Ticket.id)).limit(limit + 1)).all()
    items = summaries(session, [tuple(row)[:-1] for row in rows[:limit]])
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(RELEVANCE, float(last[-1]), last[0].id)
    return Page(items=tuple(items), next_cursor=next_cursor)


def _history(session: Session, condition: ColumnElement[bool],
             limit: int, hidden: tuple[int, ...] = ()) -> list[TicketSummary]:
    unsolved_first = case(
        (col(Ticket.status).in_(sorted(lifecycle.UNSOLVED)), 0), else_=1
    )
    visible = access.visible_condition(hidden)
    rows = session.exec(
        rows_query()
        .where(condition, *([] if visible is None else [visible]))
        .order_by(unsolved_first, col(Ticket.updated_at).desc(), col(Ticket.id).desc())
        .limit(limit)
    ).all()
    return summaries(session, rows)


def requester_history(session: Session, *, email: str, limit: int = 200) -> list[TicketSummary]:
    """Every ticket of one requester: unsolved first, then the most recently updated."""
    customer = find_customer(session, email)
    return _history(session, col(Ticket.requester_id) == customer.id, limit)


def customer_history(session: Session, *, customer_id: int, limit: int = 200,
                     hidden: tuple[int, ...] = ()) -> list[TicketSummary]:
    """:func:`requester_history` by the customer's id (a requester may have no address),
    without the tickets of the ``hidden`` groups."""
    return _history(session, col(Ticket.requester_id) == customer_id, limit, hidden)


def organization_history(session: Session, *, name: str, limit: int = 200) -> list[TicketSummary]:
    """Every ticket from an organization's people: unsolved first, then most recently updated."""
    organization = find_organization(session, name)
    members = select(Customer.id).where(Customer.organization_id == organization.id)
    return _history(session, and_(col(Ticket.requester_id).in_(members)), limit)


def count_tickets(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Ticket)).one()
