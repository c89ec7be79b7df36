"""How a filter becomes SQL (SQLAlchemy Core): the conditions of a :class:`TicketFilter`, the
orders a list can take, keyset cursors, and the statement a list of tickets is read by.

Names in a filter (agents, groups, organizations, requesters) are looked up here; a name that
does not exist is :class:`~deskterm.desk.errors.NotFound`. Values reach the database only as
bound parameters.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, false, func, not_, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

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
from deskterm.desk.errors import InvalidInput
from deskterm.desk.filter.cursors import is_int32 as _is_int32
from deskterm.desk.filter.cursors import unpack_cursor
from deskterm.desk.filter.ticket_filter import Clause, ClauseValue, TicketFilter, TimeRange
from deskterm.desk.limits import storable
from deskterm.desk.people.directory import (
    find_agent_any_case,
    find_customer,
    find_group_any_case,
    find_organization_any_case,
)
from deskterm.desk.reads import TicketSummary
from deskterm.desk.tickets import lifecycle


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
    name, _ = parse_sort(sort)
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


# The requester wrote after the assignee last saw the ticket (or the assignee never saw it).
_UNSEEN_REPLY = and_(
    col(Ticket.assignee_id).is_not(None),
    col(Ticket.customer_replied_at).is_not(None),
    or_(col(TicketSeen.seen_at).is_(None),
        col(TicketSeen.seen_at) < col(Ticket.customer_replied_at)),
)


def rows_query() -> Select[*tuple[Any, ...]]:
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


def parse_sort(sort: str) -> tuple[str, bool]:
    """The column name and direction of ``sort`` (``-updated``: updated, descending); InvalidInput
    if it is none of :data:`SORT_KEYS`."""
    descending = sort.startswith("-")
    name = sort.lstrip("-+")
    if name not in SORT_KEYS:
        raise InvalidInput(f"sort '{sort}' is not one of: {', '.join(SORT_KEYS)} (prefix - for "
                           "descending)")
    return name, descending


def decode_cursor(cursor: str, sort: str) -> tuple[object, int]:
    """The (sort value, ticket number) a cursor holds; anything not handed out is refused."""
    refused = InvalidInput(f"cursor '{cursor[:40]}' is not one this desk handed out")
    try:
        cursor_sort, value, number = unpack_cursor(cursor)
    except (ValueError, TypeError):
        raise refused from None
    if not _is_int32(number):
        raise refused
    if cursor_sort != sort:
        raise InvalidInput(f"cursor belongs to sort '{cursor_sort}', not '{sort}'")
    name, _ = parse_sort(sort)
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


def filter_conditions(session: Session, flt: TicketFilter, me: str | None) -> list:
    """The SQL conditions of ``flt`` (all must hold), with its names looked up (``me``: the acting
    agent)."""
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


RELEVANCE = "relevance"
"""A further order for :func:`list_tickets`: the tickets best matching the filter's words first.

The score is the sum over a ticket's matching subject and messages of ``bm25`` (SQLite) or
``ts_rank`` (PostgreSQL), ties broken by ticket number. Ranking is only worth it for a selective
search: when the filter has no words, or its words match more than
:data:`deskterm.db.search.RANK_DOCUMENTS` documents, the list comes in ``-updated`` order instead,
and so do the pages after it (their cursors are ``-updated`` cursors, which this sort accepts).
"""


def cursor_sort(cursor: str) -> object:
    """The sort a cursor was handed out for, or None if it is no cursor of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return json.loads(raw)[0]
    except (ValueError, TypeError, IndexError, KeyError):
        return None


def decode_relevance_cursor(cursor: str) -> tuple[float, int]:
    """The (score, ticket number) a :data:`RELEVANCE` cursor holds; anything not handed out is
    refused."""
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
