"""Reading tickets: summaries, filtered lists with keyset paging, requester and company history."""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, and_, case, false, func, literal, not_, or_, tuple_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from deskterm.db import search
from deskterm.db.models import (
    CHANNELS,
    STATUSES,
    Agent,
    Customer,
    Group,
    Organization,
    Tag,
    Ticket,
    TicketSeen,
    TicketTag,
)
from deskterm.desk import lifecycle
from deskterm.desk.errors import InvalidInput
from deskterm.desk.limits import storable
from deskterm.desk.people.directory import (
    find_agent_any_case,
    find_customer,
    find_group_any_case,
    find_organization,
    find_organization_any_case,
)
from deskterm.desk.reads import Page, TicketSummary

MAX_PAGE = 1_000


def _name_of(column, table, key):
    """The name a ticket refers to (its requester's, assignee's, ...), ``''`` when none."""
    return func.coalesce(
        select(column).where(key == table.id).correlate(Ticket).scalar_subquery(), ""
    )


_STATUS_RANK = case({status: rank for rank, status in enumerate(STATUSES)},
                    value=Ticket.status)

SORT_KEYS = {
    "updated": Ticket.updated_at,
    "created": Ticket.created_at,
    "priority": Ticket.priority,
    "number": Ticket.id,
    "status": _STATUS_RANK,
    "subject": Ticket.subject,
    "requester": _name_of(Customer.name, Customer, Ticket.requester_id),
    "organization": func.coalesce(
        select(Organization.name)
        .join(Customer, col(Customer.organization_id) == col(Organization.id))
        .where(Customer.id == Ticket.requester_id).correlate(Ticket).scalar_subquery(),
        "",
    ),
    "assignee": _name_of(Agent.username, Agent, Ticket.assignee_id),
    "group": _name_of(Group.name, Group, Ticket.group_id),
}
"""Orders a list can take; each is made total by the ticket number as tie-breaker.

Status sorts in lifecycle order (new first). The timestamps, priority and number follow
indexes; the names (subject, requester, ...) sort the matching tickets, which costs a scan of
them: instant for a view of thousands, about a second for a million.
"""
_TEXT_SORTS = frozenset({"subject", "requester", "organization", "assignee", "group"})


def sort_value(sort: str, row: TicketSummary) -> object:
    """The value ``row`` has in the order ``sort`` (what a keyset cursor after it holds)."""
    name, _ = _parse_sort(sort)
    return {
        "updated": lambda: row.updated_at,
        "created": lambda: row.created_at,
        "priority": lambda: lifecycle.PRIORITY_RANK[row.priority],
        "number": lambda: row.number,
        "status": lambda: STATUSES.index(row.status),
        "subject": lambda: row.subject,
        "requester": lambda: row.requester_name,
        "organization": lambda: row.organization or "",
        "assignee": lambda: row.assignee or "",
        "group": lambda: row.group or "",
    }[name]()


@dataclass(frozen=True)
class TimeRange:
    """A span of time between two aware UTC datetimes; a missing bound leaves that side open.

    By default the start is included and the end is not (``start <= t < end``).
    """

    start: datetime | None = None
    end: datetime | None = None
    start_inclusive: bool = True
    end_inclusive: bool = False


ClauseValue = str | int | TimeRange


@dataclass(frozen=True)
class Clause:
    """One condition on one field of a ticket; a filter's clauses all have to hold.

    The ticket matches when its field matches any of ``values`` (a negated clause: none of them).
    Fields and their values:

    - ``status``, ``type``, ``channel``: names; ``priority``: names (low ... urgent); ``tier``: ints
    - ``assignee``: usernames, ``me`` (the acting agent) or ``none`` (unassigned)
    - ``group``: group names or ``none``; ``org``: organization names
    - ``tag``: tag names (carries any of them)
    - ``requester``: e-mail addresses, or domains (``acme.com``) for everyone writing from one
    - ``created``, ``updated``: :class:`TimeRange` values

    A negated clause on a field that may be empty (assignee, group) keeps the tickets where it is
    empty: ``-assignee:bert`` lists unassigned tickets too.
    """

    field: str
    values: tuple[ClauseValue, ...]
    negated: bool = False


@dataclass(frozen=True)
class TextMatch:
    """A word or phrase the ticket's subject or messages must contain (negated: must not)."""

    text: str
    negated: bool = False


@dataclass(frozen=True)
class TicketFilter:
    """Which tickets to list. Every given field must match; values within a field are ORed.

    The single fields are the CLI's options; ``clauses`` and ``text`` carry the filter language's
    terms (see :mod:`deskterm.desk.query`), which may repeat a field and negate it.
    """

    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    """Usernames; ``me`` is the acting agent and ``none`` means unassigned."""
    groups: tuple[str, ...] = ()
    """Group names; ``none`` means in no group."""
    requester: str | None = None
    """An e-mail address, or a domain (``acme.com``) for everyone writing from it."""
    organization: str | None = None
    tags: tuple[str, ...] = ()
    """Tickets carrying all of these tags."""
    without_tags: tuple[str, ...] = ()
    clauses: tuple[Clause, ...] = ()
    """Further conditions, all of which must hold."""
    text: tuple[TextMatch, ...] = ()
    """Words and phrases searched in subjects and messages; all must hold."""


# The requester wrote after the assignee last saw the ticket (or the assignee never saw it).
_UNSEEN_REPLY = and_(
    col(Ticket.assignee_id).is_not(None),
    col(Ticket.customer_replied_at).is_not(None),
    or_(col(TicketSeen.seen_at).is_(None),
        col(TicketSeen.seen_at) < col(Ticket.customer_replied_at)),
)


def _rows_query():
    """Tickets with the names they refer to and the unseen-reply marker, one row each.

    The marker is a LEFT JOIN on ``ticket_seen``'s primary key (ticket, assignee): one index
    probe per row, so a window of rows costs what it did without it.
    """
    assignee = aliased(Agent)
    query = (
        select(Ticket, Customer.name, Customer.email, Organization.name, assignee.username,
               Group.name, case((_UNSEEN_REPLY, True), else_=False))
        .join(Customer, col(Customer.id) == col(Ticket.requester_id))
        .outerjoin(Organization, col(Organization.id) == col(Customer.organization_id))
        .outerjoin(assignee, col(assignee.id) == col(Ticket.assignee_id))
        .outerjoin(Group, col(Group.id) == col(Ticket.group_id))
        .outerjoin(TicketSeen, and_(col(TicketSeen.ticket_id) == col(Ticket.id),
                                    col(TicketSeen.agent_id) == col(Ticket.assignee_id)))
    )
    return query


def _tags_by_ticket(session: Session, numbers: Sequence[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = defaultdict(list)
    if numbers:
        for number, name in session.exec(
            select(TicketTag.ticket_id, Tag.name)
            .join(Tag, col(Tag.id) == col(TicketTag.tag_id))
            .where(col(TicketTag.ticket_id).in_(list(numbers)))
            .order_by(col(Tag.name))
        ).all():
            found[number].append(name)
    return {number: tuple(names) for number, names in found.items()}


def _to_summary(row, tags: tuple[str, ...]) -> TicketSummary:
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
    )


def rows_of(session: Session, numbers: Sequence[int]) -> list[TicketSummary]:
    """The summaries of tickets ``numbers``, in that order (missing ones left out)."""
    if not numbers:
        return []
    found = session.exec(_rows_query().where(col(Ticket.id).in_(list(numbers)))).all()
    by_number = {row[0].id: row for row in found}
    return summaries(session, [by_number[n] for n in numbers if n in by_number])


def summaries(session: Session, rows: Sequence) -> list[TicketSummary]:
    tags = _tags_by_ticket(session, [row[0].id for row in rows])
    return [_to_summary(row, tags.get(row[0].id, ())) for row in rows]


def summary(session: Session, ticket: Ticket) -> TicketSummary:
    """The summary of one ticket as it stands in this session."""
    session.flush()
    row = session.exec(_rows_query().where(Ticket.id == ticket.id)).one()
    return summaries(session, [row])[0]


def _parse_sort(sort: str) -> tuple[str, bool]:
    descending = sort.startswith("-")
    name = sort.lstrip("-+")
    if name not in SORT_KEYS:
        raise InvalidInput(f"sort '{sort}' is not one of: {', '.join(SORT_KEYS)} (prefix - for "
                           "descending)")
    return name, descending


def _encode_cursor(sort: str, value: object, number: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, number], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _is_int32(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31


def _decode_cursor(cursor: str, sort: str) -> tuple[object, int]:
    """The (sort value, ticket number) a cursor holds; anything not handed out is refused."""
    refused = InvalidInput(f"cursor '{cursor[:40]}' is not one this desk handed out")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, number = json.loads(raw)
    except (ValueError, TypeError):
        raise refused from None
    if not _is_int32(number):
        raise refused
    if cursor_sort != sort:
        raise InvalidInput(f"cursor belongs to sort '{cursor_sort}', not '{sort}'")
    name, _ = _parse_sort(sort)
    if name in ("updated", "created"):
        try:
            value = datetime.fromisoformat(value)
        except (ValueError, TypeError):
            raise refused from None
        if value.tzinfo is None:
            raise refused
    elif name in _TEXT_SORTS:
        if not isinstance(value, str) or len(value) > 1_000 or not storable(value):
            raise refused
    elif not _is_int32(value):
        raise refused
    return value, number


def _conditions(session: Session, flt: TicketFilter, me: str | None) -> list:
    conditions = []
    if flt.statuses:
        conditions.append(_status_in(session, flt.statuses, me))
    if flt.priorities:
        conditions.append(_priority_in(session, flt.priorities, me))
    if flt.types:
        conditions.append(_type_in(session, flt.types, me))
    if flt.assignees:
        conditions.append(_assignee_in(session, flt.assignees, me))
    if flt.groups:
        conditions.append(_group_in(session, flt.groups, me))
    if flt.requester:
        conditions.append(_requester_in(session, (flt.requester,), me))
    if flt.organization:
        conditions.append(_organization_in(session, (flt.organization,), me))
    _names((*flt.tags, *flt.without_tags), "tag")  # refuses NUL, which PostgreSQL would
    for tag in flt.tags:
        conditions.append(_has_tag(tag))
    for tag in flt.without_tags:
        conditions.append(~_has_tag(tag))
    conditions.extend(clause_condition(session, clause, me=me) for clause in flt.clauses)
    conditions.extend(_text_condition(session, match.text, match.negated) for match in flt.text)
    return conditions


def clause_condition(session: Session, clause: Clause, *, me: str | None = None):
    """The SQL condition of one clause (names are looked up: NotFound if one does not exist)."""
    build = _CLAUSE_BUILDERS.get(clause.field)
    if build is None:
        raise InvalidInput(f"cannot filter on '{clause.field}': use one of "
                           f"{', '.join(_CLAUSE_BUILDERS)}")
    condition = build(session, clause.values, me)
    return not_(condition) if clause.negated else condition


def _any(options: list):
    """Options ORed; no options at all match nothing."""
    return or_(*options) if options else false()


def _names(values: Sequence[ClauseValue], field: str) -> list[str]:
    if not all(isinstance(value, str) for value in values):
        raise InvalidInput(f"{field}: values must be names")
    if not all(storable(value) for value in values):
        raise InvalidInput(f"{field}: a name must not hold NUL (U+0000) or undecodable bytes")
    return list(values)


def _status_in(session: Session, values: Sequence[ClauseValue], me: str | None):
    return col(Ticket.status).in_([lifecycle.check_status(s) for s in _names(values, "status")])


def _priority_in(session: Session, values: Sequence[ClauseValue], me: str | None):
    ranks = [lifecycle.check_priority(p) for p in _names(values, "priority")]
    return col(Ticket.priority).in_(ranks)


def _type_in(session: Session, values: Sequence[ClauseValue], me: str | None):
    return col(Ticket.type).in_([lifecycle.check_type(t) for t in _names(values, "type")])


def _channel_in(session: Session, values: Sequence[ClauseValue], me: str | None):
    channels = _names(values, "channel")
    for channel in channels:
        if channel not in CHANNELS:
            raise InvalidInput(f"channel '{channel}' is not one of: {', '.join(CHANNELS)}")
    return col(Ticket.channel).in_(channels)


def _tier_in(session: Session, values: Sequence[ClauseValue], me: str | None):
    tiers = []
    for tier in values:
        if not isinstance(tier, int) or isinstance(tier, bool):
            raise InvalidInput(f"tier {tier!r} is not 1, 2 or 3")
        tiers.append(lifecycle.check_tier(tier))
    return col(Ticket.tier).in_(tiers)


def _set_and_in(column, ids: list[int]):
    """``column IN ids`` that is false, not NULL, on an empty column: its negation keeps those."""
    return and_(col(column).is_not(None), col(column).in_(ids))


def _assignee_in(session: Session, values: Sequence[ClauseValue], me: str | None):
    ids, unassigned = [], False
    for name in _names(values, "assignee"):
        if name == "none":
            unassigned = True
            continue
        if name == "me":
            if me is None:
                raise InvalidInput("assignee 'me' needs an acting agent")
            name = me
        ids.append(find_agent_any_case(session, name).id)
    options = [_set_and_in(Ticket.assignee_id, ids)] if ids else []
    if unassigned:
        options.append(col(Ticket.assignee_id).is_(None))
    return _any(options)


def _group_in(session: Session, values: Sequence[ClauseValue], me: str | None):
    names = _names(values, "group")
    ids = [find_group_any_case(session, name).id for name in names if name != "none"]
    options = [_set_and_in(Ticket.group_id, ids)] if ids else []
    if "none" in names:
        options.append(col(Ticket.group_id).is_(None))
    return _any(options)


def _requester_in(session: Session, values: Sequence[ClauseValue], me: str | None):
    options = []
    for value in _names(values, "requester"):
        requester = value.strip().lower()
        if "@" in requester.lstrip("@"):
            options.append(Ticket.requester_id == find_customer(session, requester).id)
            continue
        domain = requester.lstrip("@")
        if not domain:
            raise InvalidInput("requester: give an e-mail address or a domain like acme.com")
        domain_people = select(Customer.id).where(
            col(Customer.email).like(f"%@{_escape_like(domain)}", escape="\\")
        )
        options.append(col(Ticket.requester_id).in_(domain_people))
    return _any(options)


def _organization_in(session: Session, values: Sequence[ClauseValue], me: str | None):
    ids = [find_organization_any_case(session, name).id for name in _names(values, "org")]
    members = select(Customer.id).where(col(Customer.organization_id).in_(ids))
    return col(Ticket.requester_id).in_(members)


def _tag_in(session: Session, values: Sequence[ClauseValue], me: str | None):
    names = [name.strip().lower() for name in _names(values, "tag")]
    return (
        select(TicketTag.ticket_id)
        .join(Tag, col(Tag.id) == col(TicketTag.tag_id))
        .where(TicketTag.ticket_id == Ticket.id, col(Tag.name).in_(names))
        .exists()
    )


def _time_in(column):
    """A builder of conditions on one timestamp column: within any of the given ranges."""

    def build(session: Session, values: Sequence[ClauseValue], me: str | None):
        return _any([_within(column, value) for value in values])

    return build


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"time {moment.isoformat()} has no time zone: give it in UTC")
    return moment


def _within(column, span: ClauseValue):
    if not isinstance(span, TimeRange):
        raise InvalidInput(f"{column.key}: values must be time ranges")
    bounds = []
    if span.start is not None:
        start = _aware(span.start)
        bounds.append(col(column) >= start if span.start_inclusive else col(column) > start)
    if span.end is not None:
        end = _aware(span.end)
        bounds.append(col(column) <= end if span.end_inclusive else col(column) < end)
    return and_(*bounds) if bounds else col(column).is_not(None)


_CLAUSE_BUILDERS = {
    "status": _status_in,
    "priority": _priority_in,
    "type": _type_in,
    "channel": _channel_in,
    "tier": _tier_in,
    "assignee": _assignee_in,
    "group": _group_in,
    "tag": _tag_in,
    "requester": _requester_in,
    "org": _organization_in,
    "created": _time_in(Ticket.created_at),
    "updated": _time_in(Ticket.updated_at),
}
"""How each clause field becomes SQL; every value reaches the database as a bound parameter."""
CLAUSE_FIELDS = tuple(_CLAUSE_BUILDERS)


def _text_condition(session: Session, word_or_phrase: str, negated: bool):
    """Tickets whose subject or any message (reply or internal note) contains ``word_or_phrase``
    (``negated``: none of them does).

    Full-text search (:mod:`deskterm.db.search`): the term's words in that order, case-blind in
    every alphabet; text in scripts without spaces (Chinese ...) is matched as a substring, and
    so is a term without any letter or digit (``%``: that one reads every message). The condition
    is a plain SQL condition on ``tickets``: it composes with every other filter, order, keyset
    window and count.
    """
    return search.ticket_condition(session, word_or_phrase, negated=negated)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _has_tag(name: str):
    return (
        select(TicketTag.ticket_id)
        .join(Tag, col(Tag.id) == col(TicketTag.tag_id))
        .where(TicketTag.ticket_id == Ticket.id, Tag.name == name.strip().lower())
        .exists()
    )


def list_tickets(
    session: Session,
    *,
    where: TicketFilter = TicketFilter(),
    sort: str = "-updated",
    limit: int = 50,
    cursor: str | None = None,
    me: str | None = None,
) -> Page:
    """One page of tickets matching ``where``, in ``sort`` order, after ``cursor``.

    Keyset paging: the order is (sort key, ticket number), so pages never skip or repeat a
    ticket even when many share a sort key, and deep pages cost as little as the first.
    ``sort`` may also be :data:`RELEVANCE`: the best matches of the filter's words first.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit {limit} must be between 1 and {MAX_PAGE}")
    if sort == RELEVANCE:
        return _list_by_relevance(session, where, limit, cursor, me)
    name, descending = _parse_sort(sort)
    key = SORT_KEYS[name]
    # The page's numbers first, from the tickets table alone (an index walk in the sort's
    # order), then their rows: joining names onto every matching ticket before the LIMIT
    # costs seconds when a million match.
    query = select(Ticket.id).where(*_conditions(session, where, me))
    if cursor:
        value, number = _decode_cursor(cursor, sort)
        bound = tuple_(literal(value, key.type), literal(number))
        pair = tuple_(key, Ticket.id)
        query = query.where(pair < bound if descending else pair > bound)
    if key is Ticket.id:
        order = [col(Ticket.id).desc() if descending else col(Ticket.id).asc()]
    else:
        order = [key.desc(), col(Ticket.id).desc()] if descending else [key.asc(),
                                                                         col(Ticket.id).asc()]
    numbers = session.exec(query.order_by(*order).limit(limit + 1)).all()
    items = rows_of(session, numbers[:limit])
    rows = numbers
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = _encode_cursor(sort, sort_value(sort, last), last.number)
    return Page(items=tuple(items), next_cursor=next_cursor)


RELEVANCE = "relevance"
"""A further order for :func:`list_tickets`: the tickets best matching the filter's words first.

The score is the sum over a ticket's matching subject and messages of ``bm25`` (SQLite) or
``ts_rank`` (PostgreSQL), ties broken by ticket number. Ranking is only worth it for a selective
search: when the filter has no words, or its words match more than
:data:`deskterm.db.search.RANK_DOCUMENTS` documents, the list comes in ``-updated`` order instead,
and so do the pages after it (their cursors are ``-updated`` cursors, which this sort accepts).
"""
_FALLBACK = "-updated"


def _cursor_sort(cursor: str) -> object:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return json.loads(raw)[0]
    except (ValueError, TypeError, IndexError, KeyError):
        return None


def _decode_relevance_cursor(cursor: str) -> tuple[float, int]:
    refused = InvalidInput(f"cursor '{cursor[:40]}' is not one this desk handed out")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, number = json.loads(raw)
    except (ValueError, TypeError):
        raise refused from None
    if cursor_sort != RELEVANCE:
        raise InvalidInput(f"cursor belongs to sort '{cursor_sort}', not '{RELEVANCE}'")
    if (not _is_int32(number) or isinstance(value, bool)
            or not isinstance(value, int | float) or value != value):
        raise refused
    return float(value), number


def _list_by_relevance(session: Session, where: TicketFilter, limit: int, cursor: str | None,
                       me: str | None) -> Page:
    if cursor and _cursor_sort(cursor) == _FALLBACK:
        return list_tickets(session, where=where, sort=_FALLBACK, limit=limit, cursor=cursor,
                            me=me)
    terms = [match.text for match in where.text if not match.negated]
    scores = search.relevance(session, terms) if terms else None
    if scores is None:
        if cursor:
            _decode_relevance_cursor(cursor)  # refuses a cursor that was never handed out
        return list_tickets(session, where=where, sort=_FALLBACK, limit=limit, me=me)
    query = (_rows_query().add_columns(scores.c.score)
             .join(scores, scores.c.ticket_id == Ticket.id)
             .where(*_conditions(session, where, me)))
    if cursor:
        score, number = _decode_relevance_cursor(cursor)
        query = query.where(tuple_(scores.c.score, Ticket.id)
                            > tuple_(literal(score, Float), literal(number)))
    rows = session.exec(query.order_by(scores.c.score, col(Ticket.id)).limit(limit + 1)).all()
    items = summaries(session, [tuple(row)[:-1] for row in rows[:limit]])
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = _encode_cursor(RELEVANCE, float(last[-1]), last[0].id)
    return Page(items=tuple(items), next_cursor=next_cursor)


def _history(session: Session, condition, limit: int) -> list[TicketSummary]:
    unsolved_first = case(
        (col(Ticket.status).in_(sorted(lifecycle.UNSOLVED)), 0), else_=1
    )
    rows = session.exec(
        _rows_query()
        .where(condition)
        .order_by(unsolved_first, col(Ticket.updated_at).desc(), col(Ticket.id).desc())
        .limit(limit)
    ).all()
    return summaries(session, rows)


def requester_history(session: Session, *, email: str, limit: int = 200) -> list[TicketSummary]:
    """Every ticket of one requester: unsolved first, then the most recently updated."""
    customer = find_customer(session, email)
    return _history(session, Ticket.requester_id == customer.id, limit)


def organization_history(session: Session, *, name: str, limit: int = 200) -> list[TicketSummary]:
    """Every ticket from an organization's people: unsolved first, then most recently updated."""
    organization = find_organization(session, name)
    members = select(Customer.id).where(Customer.organization_id == organization.id)
    return _history(session, and_(col(Ticket.requester_id).in_(members)), limit)


def count_by_status(session: Session) -> dict[str, int]:
    """How many tickets are in each status."""
    rows = session.exec(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
    return dict(rows)


def count_tickets(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Ticket)).one()
