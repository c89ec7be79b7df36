"""The mail a ticket sends its requester when it is solved: the solution, that a reply reopens
the ticket, and the 1-5 rating question (queued by the change kernel in the solving change's
own transaction, whoever or whatever solved it; nothing when the desk's mail is off).

Kept light (no :mod:`email`): the change kernel imports it.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from deskterm.db.models import Customer, Message, OutboxMail, Ticket, key
from deskterm.desk.mail import outbox
from deskterm.desk.reads import ref

MAX_SOLUTION = 4000
"""Characters of the solving reply quoted in the mail."""


def solution_text(session: Session, number: int) -> str | None:
    """The newest public reply of an agent on ticket ``number`` (the solution), if any."""
    return session.exec(
        select(Message.body)
        .where(Message.ticket_id == number, col(Message.public).is_(True),
               col(Message.author_agent_id).is_not(None))
        .order_by(col(Message.id).desc()).limit(1)).first()


def confirmation_body(*, number: int, subject: str, name: str, solution: str | None) -> str:
    """The text of the confirmation mail."""
    hello = f"Hello {name}," if name.strip() else "Hello,"
    parts = [hello, "",
             f"your request {ref(number)} \"{subject}\" is solved."]
    if solution:
        if len(solution) > MAX_SOLUTION:
            solution = solution[:MAX_SOLUTION - 1].rstrip() + "…"
        parts += ["", "The solution:", "", *("  " + line for line in solution.splitlines())]
    parts += [
        "",
        "If this does not solve your problem, just reply to this e-mail: the ticket opens "
        "again and we get back to you.",
        "",
        "How did we do? Reply with a number from 1 (poor) to 5 (excellent), for example",
        "\"Rating: 5 - thanks\". A reply that is only a rating does not reopen the ticket.",
    ]
    return "\n".join(parts)


def queue_confirmation(session: Session, ticket: Ticket) -> OutboxMail | None:
    """Queue the confirmation of ``ticket`` (just solved) to its requester, if the desk sends
    mail (a requester without a usable address gets a ``failed`` row saying why)."""
    if outbox.sending_settings(session) is None:
        return None
    requester = session.get(Customer, ticket.requester_id)
    if requester is None:
        return None
    number = key(ticket)
    body = confirmation_body(number=number, subject=ticket.subject, name=requester.name,
                             solution=solution_text(session, number))
    return outbox.queue_mail(
        session, number=number, kind="confirmation", to_address=requester.email,
        to_name=requester.name, subject=f"[{ref(number)}] Solved: {ticket.subject}",
        body=body, auto=True)
