"""A ticket's thread as the ticket screen follows it: what arrived since the agent looked."""

from __future__ import annotations

from sqlmodel import Session, col, select

from deskterm.db.models import Agent, Customer, Message
from deskterm.desk.reads import MessageRead


def messages_after(session: Session, *, number: int, after_id: int) -> list[MessageRead]:
    """Messages of ticket ``number`` added after message ``after_id`` (0: all), in thread order."""
    rows = session.exec(
        select(Message, Agent.display_name, Customer.name)
        .outerjoin(Agent, col(Agent.id) == col(Message.author_agent_id))
        .outerjoin(Customer, col(Customer.id) == col(Message.author_customer_id))
        .where(Message.ticket_id == number, col(Message.id) > after_id)
        .order_by(col(Message.created_at), col(Message.id))
    ).all()
    return [
        MessageRead(id=message.id, author=agent_name or customer_name or "",
                    author_kind="agent" if message.author_agent_id else "customer",
                    public=message.public, body=message.body, created_at=message.created_at,
                    minutes=message.minutes)
        for message, agent_name, customer_name in rows
    ]
