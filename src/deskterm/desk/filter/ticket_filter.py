"""What a filter is, as plain values: the CLI's options and the filter language's terms
(:mod:`deskterm.desk.filter.language`) both become a :class:`TicketFilter`; :mod:`.sql` turns it
into SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SORT_NAMES = ("updated", "created", "priority", "number", "status", "subject", "requester",
              "organization", "assignee", "group", "sla")
"""Orders a list can take (prefix ``-`` for descending); :mod:`.sql` says what each one is."""
RELEVANCE = "relevance"
"""A further order: the tickets best matching the filter's words first (see :mod:`.sql`)."""


@dataclass(frozen=True)
class TimeRange:
    """A span of time between two aware UTC datetimes; a missing bound leaves that side open.

    By default the start is included and the end is not (``start <= t < end``).
    """

    start: datetime | None = None
    end: datetime | None = None
    start_inclusive: bool = True
    end_inclusive: bool = False


@dataclass(frozen=True)
class SlaWithin:
    """``sla:<1h``: business time left to the next SLA due time compared (``op``) with
    ``minutes`` (counted in each ticket's policy calendar)."""

    minutes: int
    op: str = "<="


@dataclass(frozen=True)
class NumberRange:
    """Numbers between two bounds (a missing one leaves that side open): seconds for a time
    taken (``frt:>4h``), a count for ``replies:1``. The start is included, the end is not,
    unless said otherwise."""

    start: float | None = None
    end: float | None = None
    start_inclusive: bool = True
    end_inclusive: bool = False


ClauseValue = str | int | TimeRange | NumberRange | SlaWithin


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
    - ``created``, ``updated``, ``solved``, ``closed``: :class:`TimeRange` values; so are
      ``logged`` (time logged then), ``missed`` (an SLA target missed, dated as the reports
      count it) and ``nr_missed`` (a next response ended missed then), whose clauses that are
      not negated speak of one row together
    - ``sla``: ``breached``, ``at_risk``, ``none`` or :class:`SlaWithin` values
    - ``frt`` (first response), ``resolution``: :class:`NumberRange` values in seconds, and
      ``none`` (no first response yet); ``replies`` (public replies by agents): NumberRange
    - ``bfrt``, ``bresolution``: as ``frt`` and ``resolution``, in business time where a
      calendar applied (the wall clock elsewhere)
    - ``sla_met``, ``sla_missed``: SLA target names (first_response, next_response, resolution)
    - ``csat``: ratings (ints 1-5) and ``none`` (not rated)
    - ``reopened``, ``merged``, ``rated``: ``yes`` or ``no``

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
    terms (see :mod:`deskterm.desk.filter.language`), which may repeat a field and negate it.
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
