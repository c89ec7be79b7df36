"""An agent leaving the team: their open tickets go to a colleague, and they are deactivated,
in the caller's one transaction."""

from __future__ import annotations

from sqlmodel import Session, col, select

from deskterm.db.models import Ticket, key
from deskterm.desk.errors import InvalidInput
from deskterm.desk.people.directory import find_agent, set_agent
from deskterm.desk.reads import AgentRead
from deskterm.desk.tickets.change import TicketChanges, active_agent
from deskterm.desk.tickets.lifecycle import UNSOLVED
from deskterm.desk.tickets.ticket import update_ticket


def deactivate(session: Session, *, actor: AgentRead, username: str,
               reassign_to: str | None = None) -> tuple[AgentRead, list[int]]:
    """Deactivate ``username``; with ``reassign_to``, first give their unsolved tickets to
    that (active) agent, each through the change kernel (an event per ticket, as if ``actor``
    had reassigned it). The agent, and the numbers of the tickets moved."""
    leaving = find_agent(session, username)
    moved: list[int] = []
    if reassign_to is not None:
        heir = active_agent(session, reassign_to)
        if heir.id == leaving.id:
            raise InvalidInput(f"--reassign-to names '{username}' itself: name another agent")
        numbers = session.exec(select(Ticket.id).where(
            Ticket.assignee_id == key(leaving),
            col(Ticket.status).in_(sorted(UNSOLVED))).order_by(col(Ticket.id))).all()
        for number in numbers:
            assert number is not None
            update_ticket(session, actor=actor, number=number,
                          changes=TicketChanges(assignee=heir.username))
            moved.append(number)
    return set_agent(session, username=username, active=False), moved


__all__ = ["deactivate"]
