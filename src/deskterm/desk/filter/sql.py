"""How a filter becomes SQL (SQLAlchemy Core): the conditions of a :class:`TicketFilter`, the
orders a list can take, keyset cursors, and the statement a list of tickets is read by.

Nothing here reads the desk: the names of a filter (agents, groups, organizations, requesters,
tags) were looked up once, by :mod:`.resolved`, and its words' index estimates made there too;
this module turns that :class:`~deskterm.desk.filter.resolved.ResolvedQuery` into conditions as
often as a page is read. Values reach the database only as bound parameters.
"""

from __future__ import annotations

import base64
import functools
import json
import operator
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, false, func, literal, not_, or_
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.sql.expression import Select

from deskterm.db import search
from deskterm.db.durations import seconds_between
from deskterm.db.models import (
    STATUSES,
    Agent,
    Customer,
    Group,
    Message,
    Organization,
    SatisfactionRating,
    SlaOutcome,
    Ticket,
    TicketSeen,
    TicketTag,
)
from deskterm.db.types import UTCDateTime
from deskterm.desk.errors import InvalidInput
from deskterm.desk.filter.cursors import is_int32 as _is_int32
from deskterm.desk.filter.cursors import unpack_cursor
from deskterm.desk.filter.language import ONE_ROW_TIMES
from deskterm.desk.filter.resolved import (
    ResolvedClause,
    ResolvedQuery,
    ResolvedValue,
    SlaCondition,
)
from deskterm.desk.filter.ticket_filter import RELEVANCE, SORT_NAMES, NumberRange, TimeRange
from deskterm.desk.limits import storable
from deskterm.desk.people import access
from deskterm.desk.reads import TicketSummary
from deskterm.desk.tickets import lifecycle

NO_SLA_DUE = datetime(9999, 12, 31, tzinfo=UTC)
"""Where ``sort:sla`` puts the tickets with no SLA due time: after every real one."""


def _name_of(column: Any, table: Any, key: Any) -> ColumnElement[str]:
    """The name a ticket refers to (its requester's, assignee's, ...), ``''`` when none."""
    return func.coalesce(
        select(column).where(key == table.id).correlate(Ticket).scalar_subquery(), ""
    )


_STATUS_RANK = case({status: rank for rank, status in enumerate(STATUSES)},
                    value=Ticket.status)

SORT_KEYS: dict[str, Any] = {
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
    # The next SLA due time; none (no policy, all met, paused) after every due time.
    "sla": func.coalesce(col(Ticket.sla_due_at), literal(NO_SLA_DUE, UTCDateTime)),
}
"""Orders a list can take; each is made total by the ticket number as tie-breaker.

Status sorts in lifecycle order (new first). The timestamps, priority and number follow
indexes; the names (subject, requester, ...) sort the matching tickets, which costs a scan of
them: instant for a view of thousands, about a second for a million.
"""
assert tuple(SORT_KEYS) == SORT_NAMES  # the parser knows them by name (ticket_filter)
_TEXT_SORTS = frozenset({"subject", "requester", "organization", "assignee", "group"})


def sort_value(sort: str, row: TicketSummary) -> object:
    """The value ``row`` has in the order ``sort`` (what a keyset cursor after it holds)."""
    name, _ = parse_sort(sort)
    values: dict[str, Callable[[], object]] = {
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
        "sla": lambda: (row.sla.due_at if row.sla is not None and row.sla.due_at is not None
                        else NO_SLA_DUE),
    }
    return values[name]()


# The requester wrote after the assignee last saw the ticket (or the assignee never saw it).
_UNSEEN_REPLY = and_(
    col(Ticket.assignee_id).is_not(None),
    col(Ticket.customer_replied_at).is_not(None),
    or_(col(TicketSeen.seen_at).is_(None),
        col(TicketSeen.seen_at) < col(Ticket.customer_replied_at)),
)


ClauseBuilder = Callable[[Sequence[ResolvedValue]], ColumnElement[bool]]
"""How one kind of clause becomes SQL from its resolved values."""


@functools.cache
def rows_query() -> Select[*tuple[Any, ...]]:
    """Tickets with the names they refer to and the unseen-reply marker, one row each.

    The marker is a LEFT JOIN on ``ticket_seen``'s primary key (ticket, assignee): one index
    probe per row, so a window of rows costs what it did without it. Built once (a Select is
    immutable: each caller's ``.where`` makes its own): building it took a third of filing a
    mail's ticket (bench/intake_mail.py).
    """
    assignee = aliased(Agent)
    query = (
        # sqlmodel's select() is typed for up to four entities; this is SQLAlchemy's Select
        select(Ticket, Customer.name, Customer.email,  # type: ignore[call-overload]
               Organization.name, assignee.username, Group.name,
               case((_UNSEEN_REPLY, True), else_=False))
        .join(Customer, col(Customer.id) == col(Ticket.requester_id))
        .outerjoin(Organization, col(Organization.id) == col(Customer.organization_id))
        .outerjoin(assignee, col(assignee.id) == col(Ticket.assignee_id))
        .outerjoin(Group, col(Group.id) == col(Ticket.group_id))
        .outerjoin(TicketSeen, and_(col(TicketSeen.ticket_id) == col(Ticket.id),
                                    col(TicketSeen.agent_id) == col(Ticket.assignee_id)))
    )
    return query  # type: ignore[no-any-return]  # select() of 7 entities: sqlmodel types it Any


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
    if name in ("updated", "created", "sla"):
        if not isinstance(value, str):
            raise refused
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise refused from None
        if moment.tzinfo is None:
            raise refused
        return moment, number
    elif name in _TEXT_SORTS:
        if not isinstance(value, str) or len(value) > 1_000 or not storable(value):
            raise refused
    elif not _is_int32(value):
        raise refused
    return value, number


def conditions(resolved: ResolvedQuery) -> list[ColumnElement[bool]]:
    """The SQL conditions of a resolved filter (all must hold); nothing is read to make them.
    The clauses of a field of :data:`ONE_ROW_TIMES` that are not negated speak of one row
    together (``logged:>=2026-11-01 logged:<2026-12-01``: one message logged in November):
    their ranges are intersected into one condition."""
    found: list[ColumnElement[bool]] = []
    together: dict[str, list[ResolvedClause]] = {}
    for clause in resolved.clauses:
        if clause.field in ONE_ROW_TIMES and not clause.negated:
            together.setdefault(clause.field, []).append(clause)
        else:
            found.append(clause_sql(clause))
    for field, clauses in together.items():
        found.append(_CLAUSE_SQL[field](_intersected([clause.values for clause in clauses])))
    found.extend(search.term_condition(term.plan, negated=term.negated) for term in resolved.text)
    visible = access.visible_condition(resolved.hidden_groups)
    if visible is not None:  # the groups restricted from the agent it was resolved for
        found.append(visible)
    return found


def clause_sql(clause: ResolvedClause) -> ColumnElement[bool]:
    """The SQL condition of one resolved clause."""
    condition = _CLAUSE_SQL[clause.field](clause.values)
    return not_(condition) if clause.negated else condition


def _any(options: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    """Options ORed; no options at all match nothing."""
    return or_(*options) if options else false()


def _column_in(column: Any) -> ClauseBuilder:
    """A builder of ``column IN values`` (values checked and made canonical when resolved)."""
    def build(values: Sequence[ResolvedValue]) -> ColumnElement[bool]:
        return col(column).in_(list(values))

    return build


def _set_and_in(column: Any, ids: Sequence[ResolvedValue]) -> ColumnElement[bool]:
    """``column IN ids`` that is false, not NULL, on an empty column: its negation keeps those."""
    return and_(col(column).is_not(None), col(column).in_(list(ids)))


def _id_or_none(column: Any) -> ClauseBuilder:
    """A builder for a column that may be empty: ids, and None for "none" (empty)."""
    def build(values: Sequence[ResolvedValue]) -> ColumnElement[bool]:
        ids = [value for value in values if value is not None]
        options = [_set_and_in(column, ids)] if ids else []
        if None in values:
            options.append(col(column).is_(None))
        return _any(options)

    return build


def _requester_in(values: Sequence[ResolvedValue]) -> ColumnElement[bool]:
    """Customer ids (an e-mail address looked up) or ``@domain`` for everyone writing from it."""
    options: list[ColumnElement[bool]] = []
    for value in values:
        if isinstance(value, int):
            options.append(col(Ticket.requester_id) == value)
            continue
        domain = str(value).lstrip("@")
        domain_people = select(Customer.id).where(
            col(Customer.email).like(f"%@{_escape_like(domain)}", escape="\\")
        )
        options.append(col(Ticket.requester_id).in_(domain_people))
    return _any(options)


def _organization_in(values: Sequence[ResolvedValue]) -> ColumnElement[bool]:
    members = select(Customer.id).where(col(Customer.organization_id).in_(list(values)))
    return col(Ticket.requester_id).in_(members)


def _tag_in(values: Sequence[ResolvedValue]) -> ColumnElement[bool]:
    """Carries any of these tag ids (a tag the desk does not have was left out: no ticket
    carries it)."""
    if not values:
        return false()
    return (
        select(TicketTag.ticket_id)
        .where(col(TicketTag.ticket_id) == col(Ticket.id), col(TicketTag.tag_id).in_(list(values)))
        .exists()
    )


def _time_in(column: Any) -> ClauseBuilder:
    """A builder of conditions on one timestamp column: within any of the given ranges."""

    def build(values: Sequence[ResolvedValue]) -> ColumnElement[bool]:
        return _any([_within(column, value) for value in values])

    return build


def _within(column: Any, span: ResolvedValue) -> ColumnElement[bool]:
    assert isinstance(span, TimeRange)
    bounds: list[ColumnElement[bool]] = []
    if span.start is not None:
        bounds.append(col(column) >= span.start if span.start_inclusive
                      else col(column) > span.start)
    if span.end is not None:
        bounds.append(col(column) <= span.end if span.end_inclusive else col(column) < span.end)
    return and_(*bounds) if bounds else col(column).is_not(None)


def _between(value: Any, span: ResolvedValue) -> ColumnElement[bool]:
    assert isinstance(span, NumberRange)
    bounds: list[ColumnElement[bool]] = []
    if span.start is not None:
        bounds.append(value >= span.start if span.start_inclusive else value > span.start)
    if span.end is not None:
        bounds.append(value <= span.end if span.end_inclusive else value < span.end)
    return and_(*bounds) if bounds else value.is_not(None)


def _taken(value: Any, none: ColumnElement[bool] | None = None) -> ClauseBuilder:
    """Times taken (seconds) within any range; ``none`` (frt:none) where it is missing."""
    def build(values: Sequence[ResolvedValue]) -> ColumnElement[bool]:
        options = [none if span == "none" and none is not None else _between(value, span)
                   for span in values]
        return _any(options)

    return build


def _public_replies() -> Any:
    return (select(func.count()).select_from(Message)
            .where(col(Message.ticket_id) == col(Ticket.id), col(Message.public),
                   col(Message.author_agent_id).is_not(None))
            .correlate(Ticket).scalar_subquery())


def _replies(values: Sequence[ResolvedValue]) -> ColumnElement[bool]:
    count = _public_replies()
    return _any([_between(count, span) for span in values])


def _yes_no(yes: ColumnElement[bool], no: ColumnElement[bool]) -> ClauseBuilder:
    def build(values: Sequence[ResolvedValue]) -> ColumnElement[bool]:
        return _any([yes if value == "yes" else no for value in values])

    return build


def _business(later: Any, minutes: Any) -> Any:
    """The seconds from a ticket's creation to ``later`` in business time where the SLA kernel
    stored the business ``minutes`` (a calendar applied), on the wall clock elsewhere: what the
    reports' business-hours medians count (:func:`deskterm.db.reports.times_histogram`)."""
    wall = seconds_between(col(later), col(Ticket.created_at))
    return func.coalesce(sql_cast(col(minutes), Float) * 60, wall)


def _business_taken(later: Any, minutes: Any, *, none: bool = False) -> ClauseBuilder:
    taken = _taken(_business(later, minutes),
                   none=col(later).is_(None) if none else None)

    def build(values: Sequence[ResolvedValue]) -> ColumnElement[bool]:
        return and_(col(later).is_not(None), taken(values)) if "none" not in values \
            else taken(values)

    return build


def _next_responses(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    """The ticket has a next-response target that ended (``where``: how)."""
    return (select(SlaOutcome.id)
            .where(col(SlaOutcome.ticket_id) == col(Ticket.id),
                   col(SlaOutcome.target) == "next_response", *where)
            .correlate(Ticket).exists())


_SLA_ENDED = {
    # (met, missed) of each target: the first response and the resolution as the SLA kernel
    # keeps them on the ticket (IS TRUE / IS FALSE: never NULL, so a negation keeps the tickets
    # whose target has not ended); a ticket may have many next responses, read from the outcomes
    "first_response": (col(Ticket.first_response_sla_met).is_(True),
                       col(Ticket.first_response_sla_met).is_(False)),
    "resolution": (col(Ticket.resolution_sla_met).is_(True),
                   col(Ticket.resolution_sla_met).is_(False)),
    "next_response": (and_(_next_responses(), not_(_next_responses(
                          col(SlaOutcome.outcome) != "met"))),
                      _next_responses(col(SlaOutcome.outcome) != "met")),
}


def _sla_ended(missed: bool) -> ClauseBuilder:
    def build(values: Sequence[ResolvedValue]) -> ColumnElement[bool]:
        return _any([_SLA_ENDED[str(value)][1 if missed else 0] for value in values])

    return build


def _intersected(clauses: Sequence[Sequence[ResolvedValue]]) -> list[ResolvedValue]:
    """The time ranges every one of ``clauses`` admits (each clause: any of its ranges)."""
    found: list[TimeRange] = [TimeRange()]
    for values in clauses:
        found = [both for have in found for value in values
                 if isinstance(value, TimeRange) and (both := _both(have, value)) is not None]
    return list(found)


def _both(one: TimeRange, other: TimeRange) -> TimeRange | None:
    """The span of time within both ranges (None: none)."""
    start, start_in = one.start, one.start_inclusive
    if other.start is not None and (start is None or (other.start, not other.start_inclusive)
                                    > (start, not start_in)):
        start, start_in = other.start, other.start_inclusive
    end, end_in = one.end, one.end_inclusive
    if other.end is not None and (end is None or (other.end, other.end_inclusive)
                                  < (end, end_in)):
        end, end_in = other.end, other.end_inclusive
    if start is not None and end is not None and (
            start > end or (start == end and not (start_in and end_in))):
        return None
    return TimeRange(start, end, start_in, end_in)


def _logged(values: Sequence[ResolvedValue]) -> ColumnElement[bool]:
    """An agent logged minutes on a reply or note written within any of the ranges (what the
    reports' time logged sums, through ``ix_messages_minutes``)."""
    return _any([select(Message.id).where(
        col(Message.ticket_id) == col(Ticket.id), col(Message.minutes).is_not(None),
        col(Message.author_agent_id).is_not(None), _within(Message.created_at, span))
        .correlate(Ticket).exists() for span in values])


def _next_missed(span: ResolvedValue) -> ColumnElement[bool]:
    return _next_responses(col(SlaOutcome.outcome) != "met", _within(SlaOutcome.ended_at, span))


def _missed(values: Sequence[ResolvedValue]) -> ColumnElement[bool]:
    """An SLA target missed within any of the ranges, dated as the reports count it: the first
    response by the ticket's creation, the resolution by its last solve (still solved), a next
    response by its end."""
    return _any([or_(
        and_(_within(Ticket.created_at, span), col(Ticket.first_response_sla_met).is_(False)),
        and_(_within(Ticket.solved_at, span), col(Ticket.status).in_(("solved", "closed")),
             col(Ticket.resolution_sla_met).is_(False)),
        _next_missed(span)) for span in values])


def _rating(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    return (select(SatisfactionRating.id)
            .where(col(SatisfactionRating.ticket_id) == col(Ticket.id), *where)
            .correlate(Ticket).exists())


def _csat(values: Sequence[ResolvedValue]) -> ColumnElement[bool]:
    """Rated any of these scores, or (``none``) not rated."""
    scores = [value for value in values if isinstance(value, int)]
    options = [_rating(col(SatisfactionRating.score).in_(scores))] if scores else []
    if "none" in values:
        options.append(not_(_rating()))
    return _any(options)


_CLAUSE_SQL: dict[str, ClauseBuilder] = {
    "status": _column_in(Ticket.status),
    "priority": _column_in(Ticket.priority),
    "type": _column_in(Ticket.type),
    "channel": _column_in(Ticket.channel),
    "tier": _column_in(Ticket.tier),
    "assignee": _id_or_none(Ticket.assignee_id),
    "group": _id_or_none(Ticket.group_id),
    "tag": _tag_in,
    "requester": _requester_in,
    "org": _organization_in,
    "created": _time_in(Ticket.created_at),
    "updated": _time_in(Ticket.updated_at),
    "sla": lambda values: _any([_sla(value) for value in values]),
    "solved": _time_in(Ticket.solved_at),
    "closed": _time_in(Ticket.closed_at),
    "logged": _logged,
    "missed": _missed,
    "nr_missed": lambda values: _any([_next_missed(span) for span in values]),
    "frt": _taken(seconds_between(col(Ticket.first_response_at), col(Ticket.created_at)),
                  none=col(Ticket.first_response_at).is_(None)),
    "resolution": _taken(seconds_between(col(Ticket.solved_at), col(Ticket.created_at))),
    "replies": _replies,
    "reopened": _yes_no(col(Ticket.reopens) > 0, col(Ticket.reopens) == 0),
    "merged": _yes_no(col(Ticket.merged_into_id).is_not(None),
                      col(Ticket.merged_into_id).is_(None)),
    "bfrt": _business_taken(Ticket.first_response_at, Ticket.first_response_business_minutes,
                            none=True),
    "bresolution": _business_taken(Ticket.solved_at, Ticket.resolution_business_minutes),
    "sla_met": _sla_ended(missed=False),
    "sla_missed": _sla_ended(missed=True),
    "csat": _csat,
    "rated": _yes_no(_rating(), not_(_rating())),
}
"""How each resolved clause becomes SQL; every value reaches the database as a bound parameter."""


_TARGET_DUE = {"first_response": Ticket.first_response_due_at,
               "next_response": Ticket.next_response_due_at,
               "resolution": Ticket.resolution_due_at}


def _sla(value: ResolvedValue) -> ColumnElement[bool]:
    """One ``sla:`` value (:class:`SlaCondition`). Every condition but ``none`` needs a running
    target (``sla_due_at`` set), so a negated one keeps the tickets without."""
    assert isinstance(value, SlaCondition)
    due = col(Ticket.sla_due_at)
    if value.kind == "none":
        return due.is_(None)
    running = and_(due.is_not(None), col(Ticket.sla_policy_id).is_not(None))
    if value.kind == "breached":
        return and_(running, due <= value.now)
    compare = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
    options: list[ColumnElement[bool]] = []
    for policy_id, target, deadline in value.deadlines:
        mine = col(Ticket.sla_policy_id) == policy_id
        if value.kind == "at_risk":
            assert target is not None
            options.append(and_(mine, col(_TARGET_DUE[target]) == due, due > value.now,
                                due < deadline))
        else:
            options.append(and_(mine, compare[value.op](due, deadline)))
    return and_(running, _any(options))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# RELEVANCE (ticket_filter), an order of list_tickets: the best matches of the filter's words
# first.
# The score is the sum over a ticket's matching subject and messages of ``bm25`` (SQLite) or
# ``ts_rank`` (PostgreSQL), ties broken by ticket number. Ranking is only worth it for a selective
# search: when the filter has no words, or its words match more than
# :data:`deskterm.db.search.RANK_DOCUMENTS` documents, the list comes in ``-updated`` order instead,
# and so do the pages after it (their cursors are ``-updated`` cursors, which this sort accepts).


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
