"""A filter resolved once against the desk: the names it uses replaced by ids, its words'
index estimates made, ready to be run as often as pages are read.

The filter language (:mod:`.language`) only parses; the CLI's options are a
:class:`~deskterm.desk.filter.ticket_filter.TicketFilter`. Either becomes a
:class:`ResolvedQuery` in ONE step that looks each agent, group, organization, customer and tag
name up once (a name repeated in the filter is looked up once too) and, for each word or phrase,
asks the search index once how common it is. :mod:`.sql` then makes its SQL without reading
anything: the queue keeps the resolved query and every window, count and page reuses it (the
pages of one result also share its ``now``, so ``created:<7d`` does not move between them).

A name that does not exist is :class:`~deskterm.desk.errors.NotFound` (from a
:class:`TicketFilter`), or a :class:`~deskterm.desk.filter.language.QueryError` pointing at the
value (from the language), found while resolving: no SQL is built to find it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlmodel import Session, col, select

from deskterm.db import search
from deskterm.db.models import CHANNELS, Tag
from deskterm.db.types import utcnow
from deskterm.desk.errors import InvalidInput, NotFound
from deskterm.desk.filter.language import (
    FieldTerm,
    ParsedQuery,
    QueryError,
    parse_query,
    term_error,
    to_filter,
)
from deskterm.desk.filter.ticket_filter import (
    Clause,
    ClauseValue,
    NumberRange,
    SlaWithin,
    TicketFilter,
    TimeRange,
)
from deskterm.desk.limits import storable
from deskterm.desk.people import access
from deskterm.desk.people.directory import (
    find_agent_any_case,
    find_customer,
    find_group_any_case,
    find_organization_any_case,
)
from deskterm.desk.tickets import lifecycle

__all__ = ["QueryError", "ResolvedClause", "ResolvedQuery", "ResolvedText", "SlaCondition",
           "resolve_filter", "resolve_query"]

@dataclass(frozen=True)
class SlaCondition:
    """An ``sla:`` value made ready for SQL at ``now``: ``kind`` breached, none, at_risk or
    within (``op``); ``deadlines`` (policy id, target or None, due-by time) are each policy's
    business time from ``now`` worked out in its calendar, so the SQL compares timestamps."""

    kind: str
    now: datetime
    deadlines: tuple[tuple[int, str | None, datetime], ...] = ()
    op: str = "<="


ResolvedValue = str | int | TimeRange | NumberRange | SlaCondition | None
"""A status, type or channel name; a priority rank, tier, or the id of an agent, group,
organization, customer or tag; ``@domain`` for a requester's domain; a time range; None for
"none" (unassigned, in no group)."""


@dataclass(frozen=True)
class ResolvedClause:
    """One condition, its values checked and names replaced by ids (see :data:`ResolvedValue`)."""

    field: str
    values: tuple[ResolvedValue, ...]
    negated: bool = False


@dataclass(frozen=True)
class ResolvedText:
    """A word or phrase with how the search index will look for it (its estimate, made once)."""

    text: str
    negated: bool
    plan: search.TermPlan


@dataclass(frozen=True)
class ResolvedQuery:
    """A filter and order ready to run: no name left to look up, nothing left to estimate.

    ``where`` is the filter as given (the parsed clauses, names as typed); ``clauses`` and
    ``text`` are what runs. ``total``, once counted (:meth:`with_total`), is carried along with
    it. ``me`` is the acting agent the filter was resolved for and ``now`` the moment its ages
    count from.
    """

    where: TicketFilter
    clauses: tuple[ResolvedClause, ...] = ()
    text: tuple[ResolvedText, ...] = ()
    sort: str = "-updated"
    me: str | None = None
    now: datetime | None = None
    query_text: str | None = None
    total: int | None = field(default=None, compare=False)
    hidden_groups: tuple[int, ...] = ()
    """The groups whose tickets ``me`` may not see (:mod:`deskterm.desk.people.access`):
    every statement run for this query leaves them out."""

    def with_total(self, total: int) -> ResolvedQuery:
        """The same query, knowing how many tickets it matches."""
        return replace(self, total=total)

    def matches(self, text: str, *, me: str | None) -> bool:
        """Whether this is ``text`` resolved for ``me`` (what a page of it may reuse)."""
        return self.query_text == text and self.me == me


# --- Each field's values, checked and looked up ----------------------------------------------


def _names(values: Sequence[ClauseValue], field: str) -> list[str]:
    if not all(isinstance(value, str) for value in values):
        raise InvalidInput(f"{field}: values must be names")
    names = [str(value) for value in values]
    if not all(storable(value) for value in names):
        raise InvalidInput(f"{field}: a name must not hold NUL (U+0000) or undecodable bytes")
    return names


class _Resolver:
    """Looks names up in ``session``, each distinct one once (the ``lookups`` it made)."""

    def __init__(self, session: Session, me: str | None, now: datetime | None = None) -> None:
        self.session = session
        self.me = me
        self.now = now or utcnow()
        self._found: dict[tuple[str, str], ResolvedValue] = {}

    def _once(self, kind: str, name: str, find: Callable[[], ResolvedValue]) -> ResolvedValue:
        key = (kind, name)
        if key not in self._found:
            self._found[key] = find()
        return self._found[key]

    # What each kind of name is looked up by (called at most once per name, by _once).
    def _agent_id(self, name: str) -> Callable[[], ResolvedValue]:
        return lambda: find_agent_any_case(self.session, name).id

    def _group_id(self, name: str) -> Callable[[], ResolvedValue]:
        return lambda: find_group_any_case(self.session, name).id

    def _customer_id(self, email: str) -> Callable[[], ResolvedValue]:
        return lambda: find_customer(self.session, email).id

    def _organization_id(self, name: str) -> Callable[[], ResolvedValue]:
        return lambda: find_organization_any_case(self.session, name).id

    def values(self, field: str, values: Sequence[ClauseValue]) -> tuple[ResolvedValue, ...]:
        read = _FIELDS.get(field)
        if read is None:
            raise InvalidInput(f"cannot filter on '{field}': use one of {', '.join(_FIELDS)}")
        return read(self, values)

    def status(self, values: Sequence[ClauseValue]) -> tuple[ResolvedValue, ...]:
        return tuple(lifecycle.check_status(s) for s in _names(values, "status"))

    def priority(self, values: Sequence[ClauseValue]) -> tuple[ResolvedValue, ...]:
        return tuple(lifecycle.check_priority(p) for p in _names(values, "priority"))

    def type(self, values: Sequence[ClauseValue]) -> tuple[ResolvedValue, ...]:
        return tuple(lifecycle.check_type(t) for t in _names(values, "type"))

    def channel(self, values: Sequence[ClauseValue]) -> tuple[ResolvedValue, ...]:
        channels = _names(values, "channel")
        for channel in channels:
            if channel not in CHANNELS:
                raise InvalidInput(f"channel '{channel}' is not one of: {', '.join(CHANNELS)}")
        return tuple(channels)

    def tier(self, values: Sequence[ClauseValue]) -> tuple[ResolvedValue, ...]:
        tiers = []
        for tier in values:
            if not isinstance(tier, int) or isinstance(tier, bool):
                raise InvalidInput(f"tier {tier!r} is not 1, 2 or 3")
            tiers.append(lifecycle.check_tier(tier))
        return tuple(tiers)

    def assignee(self, values: Sequence[ClauseValue]) -> tuple[ResolvedValue, ...]:
        ids: list[ResolvedValue] = []
        for name in _names(values, "assignee"):
            if name == "none":
                ids.append(None)
                continue
            if name == "me":
                if self.me is None:
                    raise InvalidInput("assignee 'me' needs an acting agent")
                name = self.me
            ids.append(self._once("agent", name, self._agent_id(name)))
        return tuple(ids)

    def group(self, values: Sequence[ClauseValue]) -> tuple[ResolvedValue, ...]:
        return tuple(None if name == "none" else self._once("group", name, self._group_id(name))
                     for name in _names(values, "group"))

    def requester(self, values: Sequence[ClauseValue]) -> tuple[ResolvedValue, ...]:
        found: list[ResolvedValue] = []
        for value in _names(values, "requester"):
            requester = value.strip().lower()
            if "@" in requester.lstrip("@"):
                found.append(self._once("customer", requester, self._customer_id(requester)))
                continue
            domain = requester.lstrip("@")
            if not domain:
                raise InvalidInput("requester: give an e-mail address or a domain like acme.com")
            found.append(f"@{domain}")
        return tuple(found)

    def org(self, values: Sequence[ClauseValue]) -> tuple[ResolvedValue, ...]:
        return tuple(self._once("organization", name, self._organization_id(name))
                     for name in _names(values, "org"))

    def find_tags(self, clauses: Sequence[Clause]) -> None:
        """Look up every tag the clauses name, in one read (before resolving them)."""
        names = {value.strip().lower() for clause in clauses if clause.field == "tag"
                 for value in clause.values if isinstance(value, str) and storable(value)}
        missing = [name for name in sorted(names) if ("tag", name) not in self._found]
        if missing:
            known = dict(self.session.exec(
                select(Tag.name, Tag.id).where(col(Tag.name).in_(missing))).all())
            for name in missing:
                self._found[("tag", name)] = known.get(name)

    def tag(self, values: Sequence[ClauseValue]) -> tuple[ResolvedValue, ...]:
        """The ids of the tags the desk has (looked up by :meth:`find_tags`, or here); a tag it
        does not have is left out, as no ticket carries it."""
        names = list(dict.fromkeys(name.strip().lower() for name in _names(values, "tag")))
        self.find_tags([Clause("tag", tuple(names))])
        return tuple(tag for tag in (self._found[("tag", name)] for name in names)
                     if tag is not None)

    def times(self, values: Sequence[ClauseValue]) -> tuple[ResolvedValue, ...]:
        for span in values:
            if not isinstance(span, TimeRange):
                raise InvalidInput("created, updated: values must be time ranges")
            for moment in (span.start, span.end):
                if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
                    raise InvalidInput(f"time {moment.isoformat()} has no time zone: give it "
                                       "in UTC")
        return tuple(span for span in values if isinstance(span, TimeRange))

    def sla(self, values: Sequence[ClauseValue]) -> tuple[ResolvedValue, ...]:
        from deskterm.desk.sla.calendar import add_business_minutes
        from deskterm.desk.sla.clock import WARNING_SHARE
        from deskterm.desk.sla.due import load_policies

        policies = load_policies(self.session).ordered
        found: list[ResolvedValue] = []
        for value in values:
            if isinstance(value, SlaWithin):
                if value.op not in ("<", "<=", ">", ">="):
                    raise InvalidInput(f"sla: compare time left with <, <=, > or >=, not "
                                       f"{value.op!r}")
                found.append(SlaCondition("within", self.now, tuple(
                    (p.id, None, add_business_minutes(p.calendar, self.now, value.minutes))
                    for p in policies), value.op))
            elif value == "at_risk":
                found.append(SlaCondition("at_risk", self.now, tuple(
                    (p.id, target, add_business_minutes(
                        p.calendar, self.now, math.ceil(minutes * WARNING_SHARE)))
                    for p in policies
                    for target, minutes in (("first_response", p.first_response),
                                            ("next_response", p.next_response),
                                            ("resolution", p.resolution))
                    if minutes)))
            elif value in ("breached", "none"):
                found.append(SlaCondition(str(value), self.now))
            else:
                raise InvalidInput(f"sla '{value}' is not breached, at_risk, none or <TIME")
        return tuple(found)

    def as_given(self, values: Sequence[ClauseValue]) -> tuple[ResolvedValue, ...]:
        """Values the parser already checked and nothing names (yes/no, time taken, counts)."""
        return tuple(value for value in values if not isinstance(value, SlaWithin))

    def text(self, term: str, negated: bool) -> ResolvedText:
        return ResolvedText(term, negated, search.plan_term(self.session, term))


_FIELDS: dict[str, Callable[[_Resolver, Sequence[ClauseValue]], tuple[ResolvedValue, ...]]] = {
    "status": _Resolver.status,
    "priority": _Resolver.priority,
    "type": _Resolver.type,
    "channel": _Resolver.channel,
    "tier": _Resolver.tier,
    "assignee": _Resolver.assignee,
    "group": _Resolver.group,
    "tag": _Resolver.tag,
    "requester": _Resolver.requester,
    "org": _Resolver.org,
    "created": _Resolver.times,
    "updated": _Resolver.times,
    "sla": _Resolver.sla,
    "solved": _Resolver.times,
    "closed": _Resolver.times,
    "logged": _Resolver.times,
    "missed": _Resolver.times,
    "nr_missed": _Resolver.times,
    "frt": _Resolver.as_given,
    "resolution": _Resolver.as_given,
    "replies": _Resolver.as_given,
    "reopened": _Resolver.as_given,
    "merged": _Resolver.as_given,
    "bfrt": _Resolver.as_given,
    "bresolution": _Resolver.as_given,
    "sla_met": _Resolver.as_given,
    "sla_missed": _Resolver.as_given,
    "csat": _Resolver.as_given,
    "rated": _Resolver.as_given,
}


# --- Resolving ---------------------------------------------------------------------------------


def _option_clauses(flt: TicketFilter) -> list[Clause]:
    """The CLI's single fields as clauses, in the order they always applied."""
    clauses = []
    for name, values in (("status", flt.statuses), ("priority", flt.priorities),
                         ("type", flt.types), ("assignee", flt.assignees),
                         ("group", flt.groups)):
        if values:
            clauses.append(Clause(name, values))
    if flt.requester:
        clauses.append(Clause("requester", (flt.requester,)))
    if flt.organization:
        clauses.append(Clause("org", (flt.organization,)))
    clauses.extend(Clause("tag", (tag,)) for tag in flt.tags)  # every one of them
    clauses.extend(Clause("tag", (tag,), negated=True) for tag in flt.without_tags)
    return clauses


def resolve_filter(session: Session, flt: TicketFilter, *, me: str | None = None,
                   sort: str = "-updated") -> ResolvedQuery:
    """``flt`` resolved in ``session``: NotFound for a name the desk does not have,
    InvalidInput for a value no ticket can have."""
    resolver = _Resolver(session, me)
    given = (*_option_clauses(flt), *flt.clauses)
    resolver.find_tags(given)
    clauses = tuple(ResolvedClause(clause.field, resolver.values(clause.field, clause.values),
                                   clause.negated)
                    for clause in given)
    text = tuple(resolver.text(match.text, match.negated) for match in flt.text)
    return ResolvedQuery(where=flt, clauses=clauses, text=text, sort=sort, me=me,
                         hidden_groups=access.hidden_groups_for(session, me))


def _term_clause(resolver: _Resolver, parsed: ParsedQuery, term: FieldTerm,
                 clause: Clause) -> ResolvedClause:
    """One term's clause resolved; a failure is a QueryError at the value it came from (at the
    term when its values were merged, as ``priority:>=high`` is)."""
    end = term.position + term.length
    singles = len(term.values) == len(clause.values)
    values: list[ResolvedValue] = []
    batches = [(value,) for value in clause.values] if singles else [tuple(clause.values)]
    for index, batch in enumerate(batches):
        try:
            values.extend(resolver.values(clause.field, batch))
        except (NotFound, InvalidInput) as exc:
            typed = term.values[index]
            span = ((typed.position, typed.position + typed.length) if singles
                    else (term.position, end))
            raise term_error(parsed.text, term.position, end, str(exc), at=span) from None
    return ResolvedClause(clause.field, tuple(values), clause.negated)


def resolve_query(
    session: Session,
    text: str,
    *,
    me: str | None = None,
    now: datetime | None = None,
) -> ResolvedQuery:
    """``text`` in the filter language, parsed and resolved in one step: each name it uses is
    looked up once, each word's estimate made once.

    Any problem, an unknown group or agent included, is a :class:`QueryError` pointing at the
    term (at the value, when it can tell which).
    """
    now = now or utcnow()
    parsed = parse_query(text)
    flt, sort = to_filter(parsed, now=now)
    resolver = _Resolver(session, me, now)
    resolver.find_tags(flt.clauses)
    clauses = tuple(_term_clause(resolver, parsed, term, clause)
                    for term, clause in zip(parsed.field_terms, flt.clauses, strict=True))
    words = tuple(resolver.text(match.text, match.negated) for match in flt.text)
    return ResolvedQuery(where=flt, clauses=clauses, text=words, sort=sort, me=me, now=now,
                         query_text=text, hidden_groups=access.hidden_groups_for(session, me))
