"""``deskterm export jsonl|csv``: tickets out of the desk, one line (or row) a ticket.

JSONL is the desk's full-fidelity format (the README's "JSONL format"): each line is one ticket
with everything that belongs to it -- its fields, requester, assignee and group by name, tags,
links, merges, every message (with its author and its attachments, their bytes in base64) and
every event of its audit trail, in the order they happened. Internal row ids are left out;
people are written whole where they are named (an agent as username, display name, e-mail), so
a file stands on its own. The same desk always gives the same bytes: keys in a fixed order,
timestamps in UTC ISO 8601 with microseconds, messages and events by id. So export -> import
into an empty desk -> export gives the file back, byte for byte, on either store.

Tickets are read in chunks of :data:`CHUNK` by number, in one read transaction (a consistent
snapshot), and written as they are read.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from deskterm.db.models import (
    Agent,
    Attachment,
    Customer,
    Event,
    Group,
    Message,
    Organization,
    Tag,
    Ticket,
    TicketLink,
    TicketTag,
)
from deskterm.desk.filter.resolved import ResolvedQuery
from deskterm.desk.filter.sql import conditions
from deskterm.desk.tickets.lifecycle import priority_name
from deskterm.desk.transfer.columns import spreadsheet_safe

CHUNK = 500
FORMAT = "deskterm-ticket/1"
"""The value of every line's ``format`` key (a later format would say so)."""


def stamp(moment: datetime | None) -> str | None:
    """A timestamp as the file writes it: UTC, ISO 8601, always with microseconds."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def dumps(value: object) -> str:
    """One JSON line: compact, and ASCII only (every other character a ``\\uXXXX`` escape), so
    a file shown on a terminal can carry no escape sequence or bidi override, and is the same
    bytes whatever the platform."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def _in_chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


class _People:
    """The desk's agents, groups and organizations by id, read once."""

    def __init__(self, session: Session) -> None:
        self.agents = {a.id: a for a in session.exec(select(Agent)).all()}
        self.groups = {g.id: g.name for g in session.exec(select(Group)).all()}
        self.organizations = {o.id: o for o in session.exec(select(Organization)).all()}

    def agent(self, agent_id: int | None) -> dict[str, Any] | None:
        if agent_id is None:
            return None
        agent = self.agents[agent_id]
        return {"username": agent.username, "name": agent.display_name, "email": agent.email}

    def customer(self, customer: Customer) -> dict[str, Any]:
        organization = (self.organizations.get(customer.organization_id)
                        if customer.organization_id is not None else None)
        return {"name": customer.name, "email": customer.email,
                "organization": organization.name if organization else None,
                "organization_domain": organization.domain if organization else None,
                "internal": customer.internal, "tier": customer.tier}


def ticket_numbers(session: Session, query: ResolvedQuery | None) -> list[int]:
    """The numbers of the tickets to export, in order."""
    statement = select(Ticket.id)
    if query is not None:
        statement = statement.where(*conditions(query))
    return [number for number in session.exec(statement.order_by(col(Ticket.id))).all()
            if number is not None]


def _grouped(rows: Iterable[Any], key: str) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        found[getattr(row, key)].append(row)
    return found


def tickets_as_json(session: Session, numbers: Sequence[int]) -> Iterable[dict[str, Any]]:
    """Each ticket of ``numbers`` as the dictionary one JSONL line holds."""
    people = _People(session)
    for chunk in _in_chunks(numbers):
        tickets = session.exec(select(Ticket).where(col(Ticket.id).in_(chunk))
                               .order_by(col(Ticket.id))).all()
        messages = _grouped(session.exec(select(Message).where(col(Message.ticket_id).in_(chunk))
                                         .order_by(col(Message.id))).all(), "ticket_id")
        message_ids = [m.id for ms in messages.values() for m in ms]
        attachments: dict[int, list[Attachment]] = defaultdict(list)
        for ids in _in_chunks([i for i in message_ids if i is not None]):
            for attachment in session.exec(select(Attachment).where(
                    col(Attachment.message_id).in_(ids)).order_by(col(Attachment.id))).all():
                attachments[attachment.message_id].append(attachment)
        events = _grouped(session.exec(select(Event).where(col(Event.ticket_id).in_(chunk))
                                       .order_by(col(Event.id))).all(), "ticket_id")
        tags: dict[int, list[str]] = defaultdict(list)
        for tagged, name in session.exec(
                select(TicketTag.ticket_id, Tag.name).join(Tag, col(Tag.id) == TicketTag.tag_id)
                .where(col(TicketTag.ticket_id).in_(chunk)).order_by(col(Tag.name))).all():
            tags[tagged].append(name)
        links = _grouped(session.exec(select(TicketLink).where(
            col(TicketLink.ticket_id).in_(chunk)).order_by(
            col(TicketLink.other_id), col(TicketLink.kind))).all(), "ticket_id")
        customer_ids = {t.requester_id for t in tickets} | {
            m.author_customer_id for ms in messages.values() for m in ms
            if m.author_customer_id is not None}
        customers = {c.id: c for c in session.exec(select(Customer).where(
            col(Customer.id).in_(customer_ids))).all()}
        for ticket in tickets:
            assert ticket.id is not None
            number = ticket.id
            yield {
                "format": FORMAT,
                "number": number,
                "external_id": ticket.external_id,
                "subject": ticket.subject,
                "status": ticket.status,
                "priority": priority_name(ticket.priority),
                "type": ticket.type,
                "channel": ticket.channel,
                "tier": ticket.tier,
                "requester": people.customer(customers[ticket.requester_id]),
                "assignee": people.agent(ticket.assignee_id),
                "group": people.groups.get(ticket.group_id) if ticket.group_id else None,
                "tags": tags.get(number, []),
                "created_at": stamp(ticket.created_at),
                "updated_at": stamp(ticket.updated_at),
                "first_response_at": stamp(ticket.first_response_at),
                "solved_at": stamp(ticket.solved_at),
                "closed_at": stamp(ticket.closed_at),
                "customer_replied_at": stamp(ticket.customer_replied_at),
                "reopens": ticket.reopens,
                "version": ticket.version,
                "merged_into": ticket.merged_into_id,
                "links": [{"other": link.other_id, "kind": link.kind,
                           "by": people.agent(link.created_by_id),
                           "at": stamp(link.created_at)} for link in links.get(number, [])],
                "messages": [{
                    "agent": people.agent(message.author_agent_id),
                    "customer": (people.customer(customers[message.author_customer_id])
                                 if message.author_customer_id is not None else None),
                    "public": message.public,
                    "body": message.body,
                    "created_at": stamp(message.created_at),
                    "source_message_id": message.source_message_id,
                    "minutes": message.minutes,
                    **({"via": message.via} if message.via is not None else {}),
                    "attachments": [{
                        "filename": a.filename, "content_type": a.content_type,
                        "size": a.size, "sha256": a.sha256,
                        "data": base64.b64encode(a.data).decode("ascii"),
                    } for a in attachments.get(message.id or 0, [])],
                } for message in messages.get(number, [])],
                "events": [{
                    "by": people.agent(event.actor_agent_id), "field": event.field,
                    "old": event.old, "new": event.new, "version": event.version,
                    "at": stamp(event.at), "via": event.via,
                } for event in events.get(number, [])],
            }


def export_jsonl(session: Session, *, query: ResolvedQuery | None,
                 write: Callable[[str], object],
                 progress: Callable[[int], None] | None = None) -> int:
    """Write every ticket ``query`` holds (all without one) as JSONL lines; their count."""
    numbers = ticket_numbers(session, query)
    for done, ticket in enumerate(tickets_as_json(session, numbers), start=1):
        write(dumps(ticket) + "\n")
        if progress is not None and done % CHUNK == 0:
            progress(done)
    return len(numbers)


def csv_rows(session: Session, *, query: ResolvedQuery | None,
             progress: Callable[[int], None] | None = None) -> Iterable[list[str]]:
    """The rows of ``deskterm export csv`` (after the header,
    :data:`deskterm.desk.transfer.columns.EXPORT_COLUMNS`): one a ticket, its first message as
    its description, a cell a spreadsheet would run as a formula quoted
    (:func:`~deskterm.desk.transfer.columns.spreadsheet_safe`)."""
    numbers = ticket_numbers(session, query)
    for done, ticket in enumerate(tickets_as_json(session, numbers), start=1):
        requester = ticket["requester"]
        first = ticket["messages"][0]["body"] if ticket["messages"] else ""
        yield [spreadsheet_safe(cell) for cell in (
            str(ticket["number"]), ticket["subject"], first, ticket["status"],
            ticket["priority"], ticket["type"], ticket["channel"], requester["name"],
            requester["email"] or "", requester["organization"] or "",
            ticket["assignee"]["username"] if ticket["assignee"] else "",
            ticket["group"] or "", ",".join(ticket["tags"]), ticket["created_at"],
            ticket["updated_at"], ticket["solved_at"] or "", ticket["closed_at"] or "",
            ticket["external_id"] or "")]
        if progress is not None and done % CHUNK == 0:
            progress(done)
