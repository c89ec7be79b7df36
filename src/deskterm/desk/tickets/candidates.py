"""The tickets an agent most likely means when linking or merging one: what the console's link
and merge pickers offer before anything is typed (any other ticket is reached by its number).

In this order, each ticket once: the requester's other unsolved tickets (a customer writing twice
about one thing is the usual merge), then for a link the desk's open problems (the usual incident
link), then the agent's own unsolved tickets, most recently updated first, then the requester's
solved and closed ones. A merge only offers tickets it can go into (not closed, so not merged
either). Every list is bounded and follows an
index (requester, assignee and status, the primary key), so a million-ticket desk answers as
fast as a small one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from deskterm.db.models import Agent, Ticket
from deskterm.desk.errors import NotFound
from deskterm.desk.people import access
from deskterm.desk.reads import TicketSummary, ref
from deskterm.desk.tickets import lifecycle
from deskterm.desk.tickets.reads import rows_of

Purpose = Literal["link", "merge"]

EACH = 25
"""Tickets taken from each source (the picker narrows them as the agent types)."""


@dataclass(frozen=True)
class Candidate:
    ticket: TicketSummary
    why: str
    """Why it is offered: ``same requester``, ``open problem`` or ``yours``."""


_Ids = SelectOfScalar[int] | SelectOfScalar[None]
"""A query of ticket ids, as sqlmodel types ``select(Ticket.id)`` (its id is optional)."""

def ticket_candidates(session: Session, *, number: int, agent: str,
                      purpose: Purpose, hidden: tuple[int, ...] = ()) -> list[Candidate]:
    """Tickets to offer for linking (``purpose="link"``) or merging ticket ``number`` into,
    for ``agent`` (a username); ``number`` itself is never among them, nor a ticket of the
    ``hidden`` groups (restricted from the agent)."""
    ticket = session.get(Ticket, number)
    if ticket is None:
        raise NotFound(f"no ticket {ref(number)}")
    unsolved = sorted(lifecycle.UNSOLVED)

    def requesters(*condition: ColumnElement[bool]) -> _Ids:
        return (select(Ticket.id)
                .where(Ticket.requester_id == ticket.requester_id, col(Ticket.id) != number,
                       *condition)
                .order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc()))

    sources: list[tuple[str, _Ids]] = [
        ("same requester", requesters(col(Ticket.status).in_(unsolved)))]
    if purpose == "link":
        sources.append(("open problem", select(Ticket.id).where(
            Ticket.type == "problem", col(Ticket.status).in_(unsolved), col(Ticket.id) != number)
            .order_by(col(Ticket.id).desc())))
    me = session.exec(select(Agent.id).where(Agent.username == agent)).first()
    if me is not None:
        sources.append(("yours", select(Ticket.id).where(
            Ticket.assignee_id == me, col(Ticket.status).in_(unsolved), col(Ticket.id) != number)
            .order_by(col(Ticket.updated_at).desc(), col(Ticket.id).desc())))
    # Then the requester's solved ones (a merge cannot go into a closed one; a link can).
    sources.append(("same requester", requesters(
        col(Ticket.status).not_in(unsolved) if purpose == "link"
        else col(Ticket.status) == "solved")))
    visible = access.visible_condition(hidden)
    why: dict[int, str] = {}
    for reason, query in sources:
        if visible is not None:
            query = query.where(visible)
        for found in session.exec(query.limit(EACH)).all():
            if found is not None:  # (a stored ticket's id never is)
                why.setdefault(found, reason)
    return [Candidate(summary, why[summary.number]) for summary in rows_of(session, list(why))]


__all__ = ["Candidate", "ticket_candidates"]
