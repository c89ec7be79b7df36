"""A ticket's thread as the ticket screen follows it: what arrived since the agent looked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from deskterm.db.models import Agent, Customer, Message, Ticket, key
from deskterm.desk.errors import NotFound
from deskterm.desk.mail import outbox
from deskterm.desk.reads import MessageRead, TicketDetail, ref


def messages_after(session: Session, *, number: int, after_id: int) -> list[MessageRead]:
    """Messages of ticket ``number`` added after message ``after_id`` (0: all), in thread order."""
    rows = session.exec(
        select(Message, Agent.display_name, Customer.name)
        .outerjoin(Agent, col(Agent.id) == col(Message.author_agent_id))
        .outerjoin(Customer, col(Customer.id) == col(Message.author_customer_id))
        .where(Message.ticket_id == number, col(Message.id) > after_id)
        .order_by(col(Message.created_at), col(Message.id))
    ).all()
    marks = outbox.marks_of(session, [key(message) for message, _, _ in rows
                                      if message.public and message.author_customer_id is None])
    return [
        MessageRead(id=key(message), author=agent_name or customer_name or message.via or "",
                    author_kind="agent" if message.author_agent_id else
                    "customer" if message.author_customer_id else "rule",
                    public=message.public, body=message.body, created_at=message.created_at,
                    minutes=message.minutes, mail=marks.get(key(message)))
        for message, agent_name, customer_name in rows
    ]


@dataclass(frozen=True, order=True)
class TicketStamp:
    """What says a ticket moved on: every field change, link and merge makes a new version;
    a message (a note, the customer's answer) may not, but it is a new, higher id; a reply's
    e-mail being sent or failing changes ``mail``."""

    version: int
    last_message: int
    mail: tuple[tuple[int, str, int], ...] = ()
    """``(message id, state, attempts)`` of each e-mailed reply."""


def stamp_of(detail: TicketDetail) -> TicketStamp:
    """The stamp of a ticket as read in full."""
    return TicketStamp(detail.ticket.version, max((m.id for m in detail.messages), default=0),
                       tuple((m.id, m.mail.state, m.mail.attempts)
                             for m in sorted(detail.messages, key=lambda m: m.id) if m.mail))


def ticket_stamp(session: Session, *, number: int) -> TicketStamp:
    """The stamp of ticket ``number`` now: one small read, to re-read the whole ticket only
    when it changed (an open ticket screen hears of every change to the desk)."""
    version = session.exec(select(Ticket.version).where(Ticket.id == number)).first()
    if version is None:
        raise NotFound(f"no ticket {ref(number)}")
    last = session.exec(select(func.max(Message.id)).where(Message.ticket_id == number)).one()
    return TicketStamp(version, last or 0, outbox.ticket_marks(session, number))


def display_names(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    """``{username: display name}`` of the agents named (the audit trail keeps usernames)."""
    wanted = sorted(set(usernames))
    if not wanted:
        return {}
    rows = session.exec(select(Agent.username, Agent.display_name)
                        .where(col(Agent.username).in_(wanted))).all()
    return dict(rows)
