"""The CLI's two reads in plain SQL: one ticket whole (``deskterm ticket show``) and a page of
the newest tickets (``deskterm ticket list`` without a filter).

As :mod:`deskterm.db.opening` (whose connections, reader, timestamps and checks of the schema
and the agent these statements share): the statements the store's path runs for the same
answer, on the standard library's ``sqlite3`` or psycopg, with no SQLAlchemy, SQLModel or models
loaded. The rows come back as the database holds them (timestamps read back aware, in UTC); the
domain's values are made of them in :mod:`deskterm.desk.plain_reads`, which also decides what
is covered. Whatever this cannot read exactly as the store does raises :class:`NotCovered`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from deskterm.db.opening import (
    NotCovered,
    Reader,
    TicketRow,
    read_timestamp,
    required_timestamp,
    ticket_rows,
)

__all__ = ["LinkRow", "NotCovered", "TicketRecord", "read_newest", "read_ticket"]


@dataclass(frozen=True)
class CustomerRow:
    id: int
    name: str
    email: str | None
    organization: str | None
    internal: bool
    tier: str


@dataclass(frozen=True)
class MessageRow:
    id: int
    agent_id: int | None
    agent_name: str | None
    customer_name: str | None
    public: bool
    body: str
    created_at: datetime
    minutes: int | None
    mail: tuple[str, int, str | None, datetime | None] | None = None
    """A reply e-mailed to the requester: its outbox state, attempts, last error, sent at."""
    via: str | None = None
    """The rule that wrote it (no agent or customer did; migration 0014)."""


@dataclass(frozen=True)
class EventRow:
    actor: str | None
    field: str
    old: str | None
    new: str | None
    version: int
    at: datetime
    via: str | None = None


@dataclass(frozen=True)
class LinkRow:
    ticket: int
    other: int
    kind: str


@dataclass(frozen=True)
class TicketRecord:
    """One ticket as ``deskterm ticket show`` shows it, row by row."""

    row: TicketRow
    tags: tuple[str, ...]
    requester: CustomerRow
    messages: tuple[MessageRow, ...]
    events: tuple[EventRow, ...]
    links: tuple[LinkRow, ...]
    linked: dict[int, TicketRow]
    """The rows of the tickets ``links`` name (this one among them)."""
    linked_tags: dict[int, tuple[str, ...]]
    merged_into: int | None
    merged_from: tuple[int, ...]
    rating: tuple[int, int, str, datetime, str | None] | None = None
    """Its satisfaction rating: ticket, score, comment, when, the agent who recorded it."""
    requester_ratings: tuple[tuple[int, int, str, datetime, str | None], ...] = ()


# --- the statements (as the store's query builder writes them) -----------------------------

_TICKET = "SELECT tickets.requester_id, tickets.merged_into_id FROM tickets WHERE tickets.id = ?"
_REQUESTER = (
    "SELECT customers.id, customers.name, customers.email, organizations.name, "
    "customers.internal, customers.tier FROM customers "
    "LEFT OUTER JOIN organizations ON organizations.id = customers.organization_id "
    "WHERE customers.id = ?"
)
_MESSAGES = (
    "SELECT messages.id, messages.author_agent_id, agents.display_name, customers.name, "
    "messages.public, messages.body, messages.created_at, messages.minutes, outbox.state, "
    "outbox.attempts, outbox.last_error, outbox.sent_at, messages.via FROM messages "
    "LEFT OUTER JOIN agents ON agents.id = messages.author_agent_id "
    "LEFT OUTER JOIN customers ON customers.id = messages.author_customer_id "
    "LEFT OUTER JOIN outbox ON outbox.message_id = messages.id "
    "WHERE messages.ticket_id = ? AND messages.id > ? "
    "ORDER BY messages.created_at, messages.id"
)
_EVENTS = (
    "SELECT agents.username, events.field, events.old, events.new, events.version, events.at, "
    "events.via "
    "FROM events LEFT OUTER JOIN agents ON agents.id = events.actor_agent_id "
    "WHERE events.ticket_id = ? ORDER BY events.id"
)
_LINKS = ("SELECT ticket_links.ticket_id, ticket_links.other_id, ticket_links.kind "
          "FROM ticket_links WHERE ticket_links.ticket_id = ? OR ticket_links.other_id = ?")
_RATINGS = (
    "SELECT satisfaction_ratings.ticket_id, satisfaction_ratings.score, "
    "satisfaction_ratings.comment, satisfaction_ratings.rated_at, agents.username "
    "FROM satisfaction_ratings LEFT OUTER JOIN agents "
    "ON agents.id = satisfaction_ratings.recorded_by_id "
    "WHERE {where} ORDER BY satisfaction_ratings.rated_at DESC LIMIT ?"
)
RATINGS_SHOWN = 50
"""The requester's ratings a ticket shows (``csat.ratings.ratings_of_customer``'s default)."""
_MERGED_FROM = "SELECT tickets.id FROM tickets WHERE tickets.merged_into_id = ? ORDER BY tickets.id"
_NEWEST = "SELECT tickets.id FROM tickets {after}" \
          "ORDER BY tickets.updated_at DESC, tickets.id DESC LIMIT ?"
_AFTER = "WHERE (tickets.updated_at, tickets.id) < (?, ?) "


def _flag(value: object) -> bool:
    """A boolean column: SQLite keeps 0 or 1, as SQLAlchemy's ``Boolean`` reads it back."""
    if value not in (0, 1):  # True and False are 1 and 0
        raise NotCovered(f"a boolean column holding {value!r}")
    return bool(value)


def read_ticket(reader: Reader, number: int) -> TicketRecord | None:
    """Ticket ``number`` with its requester, thread, audit trail, links and merges; None when
    there is no such ticket."""
    found = reader.one(_TICKET, (number,))
    if found is None:
        return None
    requester_id, merged_into = found
    rows, tags = ticket_rows(reader, [number])
    customer = reader.one(_REQUESTER, (requester_id,))
    if number not in rows or customer is None:
        raise NotCovered("a ticket whose rows do not join")  # the store's path says what
    customer_id, name, email, organization, internal, tier = customer
    messages = tuple(
        MessageRow(id=id_, agent_id=agent_id, agent_name=agent_name,
                   customer_name=customer_name, public=_flag(public), body=body,
                   created_at=required_timestamp(created_at), minutes=minutes,
                   mail=(state, attempts, error, read_timestamp(sent_at))
                   if state is not None else None, via=via)
        for (id_, agent_id, agent_name, customer_name, public, body, created_at, minutes,
             state, attempts, error, sent_at, via) in reader.rows(_MESSAGES, (number, 0))
    )
    events = tuple(
        EventRow(actor=actor, field=field, old=old, new=new, version=version,
                 at=required_timestamp(at), via=via)
        for actor, field, old, new, version, at, via in reader.rows(_EVENTS, (number,))
    )
    links = tuple(LinkRow(*values) for values in reader.rows(_LINKS, (number, number)))
    linked, linked_tags = ticket_rows(
        reader, sorted({link.ticket for link in links} | {link.other for link in links}))
    merged_from = tuple(values[0] for values in reader.rows(_MERGED_FROM, (number,)))
    rated = [(ticket, score, comment, required_timestamp(at), by) for ticket, score, comment, at, by
             in reader.rows(_RATINGS.format(where="satisfaction_ratings.ticket_id = ?"),
                            (number, 1))]
    history = tuple((ticket, score, comment, required_timestamp(at), by)
                    for ticket, score, comment, at, by in reader.rows(
                        _RATINGS.format(where="satisfaction_ratings.customer_id = ?"),
                        (customer_id, RATINGS_SHOWN)))
    return TicketRecord(
        row=rows[number], tags=tags.get(number, ()),
        requester=CustomerRow(id=customer_id, name=name, email=email, organization=organization,
                              internal=_flag(internal), tier=tier),
        messages=messages, events=events, links=links, linked=linked, linked_tags=linked_tags,
        merged_into=merged_into, merged_from=merged_from,
        rating=rated[0] if rated else None, requester_ratings=history,
    )


def read_newest(reader: Reader, *, limit: int, after: tuple[datetime, int] | None = None
                ) -> tuple[list[int], dict[int, TicketRow], dict[int, tuple[str, ...]]]:
    """The numbers of the ``limit + 1`` most recently updated tickets (the ticket number
    breaking ties, highest first), after ``after`` (an update time and a number) in that order;
    and the rows and tags of the first ``limit`` of them (one more only tells there are more),
    as the store's ``ticket_reads.list_tickets`` reads them."""
    params: list[object] = []
    if after is not None:
        params.extend((_bound_timestamp(reader, after[0]), after[1]))
    numbers = [values[0] for values in reader.rows(
        _NEWEST.format(after=_AFTER if after is not None else ""), (*params, limit + 1))]
    rows, tags = ticket_rows(reader, numbers[:limit])
    return numbers, rows, tags


def _bound_timestamp(reader: Reader, value: datetime) -> datetime | str:
    """A timestamp as the store binds it: SQLite compares the UTC time as the text it keeps
    (``YYYY-MM-DD HH:MM:SS.ffffff``); PostgreSQL takes the aware time."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise NotCovered("a timestamp without a zone")
    value = value.astimezone(UTC)
    return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if reader.sqlite \
        else value
