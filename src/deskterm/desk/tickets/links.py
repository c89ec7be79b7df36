"""Reading a ticket's links: related tickets, and incidents of a problem.

A ``ticket_links`` row ``(ticket, other, kind)`` is either two related tickets (stored once, in
the direction they were linked; read from both sides) or, with kind ``incident``, ``ticket`` an
incident of the problem ``other``. Linking and unlinking are in :mod:`deskterm.desk.tickets.ops`;
this module only reads, so :func:`deskterm.desk.tickets.ticket.get_ticket` can show links too.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from deskterm.db.models import Ticket, TicketLink
from deskterm.desk.errors import NotFound
from deskterm.desk.filter.sql import rows_query
from deskterm.desk.reads import TicketLinks, TicketSummary, ref
from deskterm.desk.tickets.reads import summaries


def _summaries_of(session: Session, numbers: list[int]) -> tuple[TicketSummary, ...]:
    if not numbers:
        return ()
    rows = session.exec(rows_query().where(col(Ticket.id).in_(numbers))
                        .order_by(col(Ticket.id))).all()
    return tuple(summaries(session, rows))


def links_of(session: Session, number: int) -> TicketLinks:
    """Ticket ``number``'s related tickets, its incidents (a problem) or its problem (an
    incident), each list by ticket number."""
    if session.get(Ticket, number) is None:
        raise NotFound(f"no ticket {ref(number)}")
    rows = session.exec(
        select(TicketLink.ticket_id, TicketLink.other_id, TicketLink.kind)
        .where((col(TicketLink.ticket_id) == number) | (col(TicketLink.other_id) == number))
    ).all()
    related = sorted({other if ticket == number else ticket
                      for ticket, other, kind in rows if kind == "related"})
    incidents = sorted(ticket for ticket, other, kind in rows
                       if kind == "incident" and other == number)
    problems = sorted(other for ticket, other, kind in rows
                      if kind == "incident" and ticket == number)
    found = {item.number: item
             for item in _summaries_of(session, sorted({*related, *incidents, *problems}))}
    return TicketLinks(
        related=tuple(found[n] for n in related),
        incidents=tuple(found[n] for n in incidents),
        problem=found[problems[0]] if problems else None,
    )


def merged_from(session: Session, number: int) -> tuple[int, ...]:
    """The tickets that were merged into ticket ``number``."""
    found = session.exec(
        select(Ticket.id).where(Ticket.merged_into_id == number).order_by(col(Ticket.id))
    ).all()
    return tuple(number for number in found if number is not None)  # (a stored id never is)


__all__ = ["links_of", "merged_from"]
