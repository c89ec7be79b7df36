"""The CLI's two reads without loading the store: ``deskterm ticket show REF`` and ``deskterm
ticket list`` with no filter (see ``deskterm.cli.tickets``).

Loading SQLAlchemy, SQLModel and the models costs a command some 0.45 s on the 2-core machine,
two thirds of its run, for a read of a few milliseconds. These two reads are made of the plain
statements of :mod:`deskterm.db.plain_reads` (the standard library's ``sqlite3``, or psycopg)
into the very values the store's path makes: the :class:`TicketDetail` of
``tickets.ticket.get_ticket`` and the :class:`Page` of ``tickets.reads.list_tickets`` in the
order ``-updated`` (with its ``next_cursor``). Tests compare the two, and the CLI's output of
each, on both stores.

Everything else raises :class:`NotCovered` and the CLI takes the store's path, which is the
authority and words every refusal as it always has: a URL, a file or a schema the plain path
does not read (:mod:`deskterm.db.opening`), an agent who is unknown, deactivated or not allowed
``--as``, a ticket that does not exist, a cursor the store would refuse, any error of the
database. Nothing here imports SQLAlchemy, SQLModel or the models.
"""

from __future__ import annotations

from datetime import datetime

from deskterm.db.opening import NotCovered, Reader, acting_agent, hidden_group_ids, reading
from deskterm.db.plain_reads import LinkRow, TicketRecord, read_newest, read_ticket
from deskterm.desk.filter.cursors import encode_cursor, is_int32, unpack_cursor
from deskterm.desk.opening import ticket_summary
from deskterm.desk.reads import (
    CustomerRead,
    EventRead,
    MailMark,
    MessageRead,
    Page,
    RatingRead,
    TicketDetail,
    TicketLinks,
    TicketSummary,
)

__all__ = ["MAX_PAGE", "NEWEST", "NotCovered", "newest_tickets", "ticket_detail"]

NEWEST = "-updated"
"""The one order the plain list reads (the store's default for ``ticket list``)."""
MAX_PAGE = 1_000
"""As ``tickets.reads.MAX_PAGE`` (a test keeps them equal)."""


def ticket_detail(url: str, *, number: int, username: str, act_as: str | None) -> TicketDetail:
    """Ticket ``number`` at ``url`` as ``tickets.ticket.get_ticket`` reads it, the agent checked
    as the CLI's store path checks it; :class:`NotCovered` when only that path can tell."""
    with reading(url) as reader:
        _open_to_all(reader, username=username, act_as=act_as)
        record = read_ticket(reader, number)
    if record is None:
        raise NotCovered(f"no ticket {number} (the store's path says so)")
    return _detail(number, record)


def _open_to_all(reader: Reader, *, username: str, act_as: str | None) -> None:
    """The agent checked; :class:`NotCovered` when a group is restricted from them (the
    store's path leaves its tickets out, or words the refusal)."""
    agent_id, _ = acting_agent(reader, username=username, act_as=act_as)
    if hidden_group_ids(reader, agent_id):
        raise NotCovered("a group restricted from the agent (the store's path applies it)")


def _detail(number: int, record: TicketRecord) -> TicketDetail:
    requester = record.requester
    return TicketDetail(
        ticket=ticket_summary(record.row, record.tags),
        requester=CustomerRead(id=requester.id, name=requester.name, email=requester.email,
                               organization=requester.organization,
                               internal=requester.internal, tier=requester.tier),
        messages=tuple(
            MessageRead(id=message.id,
                        author=message.agent_name or message.customer_name or message.via
                        or "",
                        author_kind="agent" if message.agent_id else
                        "rule" if message.via and message.customer_name is None else "customer",
                        public=message.public, body=message.body,
                        created_at=message.created_at, minutes=message.minutes,
                        mail=MailMark(*message.mail) if message.mail is not None else None)
            for message in record.messages
        ),
        events=tuple(
            EventRead(actor=event.actor, field=event.field, old=event.old, new=event.new,
                      version=event.version, at=event.at, via=event.via)
            for event in record.events
        ),
        links=_links(number, record.links, {
            linked: ticket_summary(row, record.linked_tags.get(linked, ()))
            for linked, row in record.linked.items()
        }),
        merged_into=record.merged_into,
        merged_from=record.merged_from,
        rating=RatingRead(*record.rating) if record.rating is not None else None,
        requester_ratings=tuple(RatingRead(*values) for values in record.requester_ratings),
    )


def _links(number: int, links: tuple[LinkRow, ...],
           found: dict[int, TicketSummary]) -> TicketLinks:
    """As ``tickets.links.links_of``: related tickets from either side, a problem's incidents,
    an incident's problem, each by ticket number."""
    related = sorted({link.other if link.ticket == number else link.ticket
                      for link in links if link.kind == "related"})
    incidents = sorted(link.ticket for link in links
                       if link.kind == "incident" and link.other == number)
    problems = sorted(link.other for link in links
                      if link.kind == "incident" and link.ticket == number)
    return TicketLinks(
        related=tuple(found[n] for n in related),
        incidents=tuple(found[n] for n in incidents),
        problem=found[problems[0]] if problems else None,
    )


def newest_tickets(url: str, *, username: str, act_as: str | None, limit: int,
                   after: str | None) -> Page:
    """One page of every ticket, most recently updated first, after the cursor ``after``: the
    :class:`Page` ``desk.tickets.reads.list_tickets`` reads with no filter in the order
    ``-updated``; :class:`NotCovered` when only the store's path can tell."""
    if not 1 <= limit <= MAX_PAGE:
        raise NotCovered(f"limit {limit}: the store's path refuses it")
    bound = _after(after) if after else None  # an empty cursor is none, as for the store
    with reading(url) as reader:
        _open_to_all(reader, username=username, act_as=act_as)
        numbers, rows, tags = read_newest(reader, limit=limit, after=bound)
    items = tuple(ticket_summary(rows[n], tags.get(n, ())) for n in numbers[:limit] if n in rows)
    next_cursor = None
    if len(numbers) > limit:
        last = items[-1]
        next_cursor = encode_cursor(NEWEST, last.updated_at, last.number)
    return Page(items=items, next_cursor=next_cursor)


def _after(cursor: str) -> tuple[datetime, int]:
    """(update time, ticket number) of a ``-updated`` cursor the store accepts; any other is
    the store's to refuse (or to read: a cursor of another order)."""
    try:
        sort, value, number = unpack_cursor(cursor)
    except (ValueError, TypeError):
        raise NotCovered("a cursor the store refuses") from None
    if (sort != NEWEST or not isinstance(number, int) or not is_int32(number)
            or not isinstance(value, str)):
        raise NotCovered("a cursor of another order, or one the store refuses")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise NotCovered("a cursor the store refuses") from None
    if moment.tzinfo is None:
        raise NotCovered("a cursor the store refuses")
    return moment, number
