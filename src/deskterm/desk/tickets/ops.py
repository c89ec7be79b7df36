"""Working across tiers and tickets: escalate, merge, link, and solve a problem with its incidents.

Every operation is a write taking a ``Session`` and the acting agent, made of the same pieces as
a single ticket's change (:mod:`deskterm.desk.tickets.change`): the ticket rows are locked (in
ticket number order when there are several, so two writers never deadlock), field changes become
one new version with an audit event each, and the caller's ``Store.write`` makes it one transaction.

- **Escalate**: the next tier (1 -> 2 -> 3), optionally another group and no assignee (so the
  next level's queue picks it up); the reason is kept as an internal note.
- **Merge** a source ticket into a target: the source's messages move to the target with their
  times (the thread is ordered by time, so they fall into place), the target takes the source's
  tags, and the source is closed with ``merged_into`` pointing at the target; an internal note
  on each names the other. The full-text index follows the messages (its triggers on SQLite
  fire on ``UPDATE OF ticket_id``; PostgreSQL indexes the ``messages`` rows themselves). The
  source's links, drafts and other history stay with it.
- **Link** two tickets as related (read from both sides), or one as an incident of a problem
  (the other must be of type ``problem``; an incident has one problem, and a problem is not
  itself an incident). Linking and unlinking are recorded as ``link`` events on both tickets.
  A closed ticket is read-only: a link with it is recorded (read from both sides, as any link)
  with its event on the other ticket only, so the closed one's version, updated time and
  history stay as they were; two closed tickets are not linked, nor an incident to a closed
  problem (it will never be solved again).
- **Solve a problem**: a reply solving it, and optionally the same reply solving each of its
  unsolved incidents, placeholders filled in per ticket (see :mod:`deskterm.desk.tickets.macros`).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from deskterm.db.models import LINK_KINDS, Group, Message, Ticket, TicketLink
from deskterm.db.types import utcnow
from deskterm.desk.errors import InvalidInput, NotFound, PermissionDenied
from deskterm.desk.reads import AgentRead, TicketLinks, TicketSummary, ref
from deskterm.desk.tickets import lifecycle
from deskterm.desk.tickets.change import (
    NONE,
    Change,
    TicketChanges,
    add_message,
    apply_changes,
    lock_ticket,
    record_seen,
    refuse_if_closed,
    refuse_if_stale,
    replace_ticket_tags,
    resolve_changes,
    ticket_tags,
)
from deskterm.desk.tickets.checks import check_body
from deskterm.desk.tickets.links import links_of
from deskterm.desk.tickets.macros import check_template, render
from deskterm.desk.tickets.reads import summary
from deskterm.desk.tickets.ticket import add_reply

MAX_TIER = 3


def _lock_in_order(session: Session, *numbers: int,
                   actor: AgentRead | None) -> dict[int, Ticket]:
    """Lock several tickets, lowest number first (no deadlocks between writers); each one
    ``actor`` may change (:func:`lock_ticket`)."""
    return {number: lock_ticket(session, number, actor=actor) for number in sorted(set(numbers))}


# --- Escalate -----------------------------------------------------------------------------------


def escalate(
    session: Session,
    *,
    actor: AgentRead,
    number: int,
    reason: str,
    group: str | None = None,
    unassign: bool = False,
    expected_version: int | None = None,
) -> TicketSummary:
    """Move ticket ``number`` to the next tier, optionally to ``group`` and unassigned.

    ``reason`` (required) is kept as an internal note: ``Escalated to tier 2 (Network): ...``.
    Refuses a ticket at tier 3 or closed, and (StaleTicket) one changed since
    ``expected_version``.
    """
    reason = check_body(reason.strip(), where="escalation reason")
    ticket = lock_ticket(session, number, actor=actor)
    refuse_if_closed(ticket, "escalate it")
    refuse_if_stale(session, ticket, expected_version)
    if ticket.tier >= MAX_TIER:
        raise InvalidInput(f"{ref(number)} is already at tier {MAX_TIER}, the last: it cannot "
                           "be escalated further")
    wanted = resolve_changes(session, TicketChanges(
        tier=ticket.tier + 1,
        group=group.strip() if group and group.strip() else None,
        assignee=NONE if unassign else None,
    ))
    change = Change(session, ticket, actor)
    apply_changes(change, wanted)
    group_row = session.get(Group, ticket.group_id) if ticket.group_id is not None else None
    where = f" ({group_row.name})" if group_row is not None else ""
    add_message(change, body=f"Escalated to tier {ticket.tier}{where}: {reason}", public=False)
    change.finish()
    record_seen(session, number, actor.id, change.now)
    return summary(session, ticket)


# --- Merge --------------------------------------------------------------------------------------


def merge(session: Session, *, actor: AgentRead, source: int, target: int) -> TicketSummary:
    """Merge ticket ``source`` into ticket ``target``; returns the target.

    Refuses merging a ticket into itself, a closed or already merged source, and a closed or
    merged target (for a merged one, the message names the ticket to merge into instead).
    """
    if source == target:
        raise InvalidInput(f"cannot merge {ref(source)} into itself")
    locked = _lock_in_order(session, source, target, actor=actor)
    src, dst = locked[source], locked[target]
    if src.merged_into_id is not None:
        raise InvalidInput(f"{ref(source)} was already merged into {ref(src.merged_into_id)}")
    refuse_if_closed(src, f"merge it into {ref(target)}")
    if dst.merged_into_id is not None:
        raise InvalidInput(f"{ref(target)} was merged into {ref(dst.merged_into_id)}: merge "
                           f"{ref(source)} into {ref(dst.merged_into_id)} instead")
    if dst.status == "closed":
        raise PermissionDenied(f"{ref(target)} is closed, and closed is final: cannot merge "
                               f"{ref(source)} into it")
    # The UPDATE runs before the notes below are added, so they stay on their own tickets.
    moved = session.execute(
        update(Message).where(col(Message.ticket_id) == source).values(ticket_id=target)
        .execution_options(synchronize_session="fetch")
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult: sqlmodel's execute() says Result

    now = utcnow()
    to_source = Change(session, src, actor)
    to_source.now = now
    to_source.record("merged_into", None, ref(target))
    to_source.record("status", src.status, "closed")
    src.status = "closed"
    src.closed_at = now
    src.merged_into_id = target
    add_message(to_source, body=f"Merged into {ref(target)}: {dst.subject}", public=False)

    to_target = Change(session, dst, actor)
    to_target.now = now
    to_target.record("merged_from", None, ref(source))
    old_tags = ticket_tags(session, target)
    new_tags = tuple(sorted(set(old_tags) | set(ticket_tags(session, source))))
    if new_tags != old_tags:
        to_target.record("tags", ",".join(old_tags), ",".join(new_tags))
        replace_ticket_tags(session, target, old_tags, new_tags)
    if src.customer_replied_at is not None and (
            dst.customer_replied_at is None or src.customer_replied_at > dst.customer_replied_at):
        dst.customer_replied_at = src.customer_replied_at
    messages = "1 message" if moved == 1 else f"{moved} messages"
    add_message(to_target, public=False,
                body=f"Merged {ref(source)} into this ticket ({messages} moved): {src.subject}")
    to_source.finish()
    to_target.finish()
    record_seen(session, source, actor.id, now)
    record_seen(session, target, actor.id, now)
    return summary(session, dst)


# --- Links --------------------------------------------------------------------------------------


def _link_rows(session: Session, number: int, other: int) -> list[TicketLink]:
    """Every link between the two tickets, in either direction."""
    return list(session.exec(select(TicketLink).where(
        ((col(TicketLink.ticket_id) == number) & (col(TicketLink.other_id) == other))
        | ((col(TicketLink.ticket_id) == other) & (col(TicketLink.other_id) == number))
    )).all())


def _describe(link: TicketLink, side: int) -> str:
    """How ``link`` reads from ticket ``side``: ``related #1043``, ``incident of #1050`` ..."""
    if link.kind == "related":
        return f"related {ref(link.other_id if side == link.ticket_id else link.ticket_id)}"
    if side == link.ticket_id:
        return f"incident of {ref(link.other_id)}"
    return f"incident {ref(link.ticket_id)}"


def _refuse_if_both_closed(locked: dict[int, Ticket], doing: str) -> None:
    """A link needs one ticket that is not closed, to carry its event."""
    if all(ticket.status == "closed" for ticket in locked.values()):
        first, second = sorted(locked)
        raise PermissionDenied(f"{ref(first)} and {ref(second)} are both closed, and closed "
                               f"is final: cannot {doing} them")


def _record_links(session: Session, actor: AgentRead, locked: dict[int, Ticket],
                  link: TicketLink, *, added: bool) -> None:
    """A ``link`` event on each ticket but a closed one (read-only: it does not change)."""
    for number, ticket in locked.items():
        if ticket.status == "closed":
            continue
        change = Change(session, ticket, actor)
        text = _describe(link, number)
        change.record("link", None if added else text, text if added else None)
        change.finish()


def link(
    session: Session,
    *,
    actor: AgentRead,
    number: int,
    other: int,
    kind: str = "related",
) -> TicketLinks:
    """Link ticket ``number`` to ``other``: as related, or (``kind="incident"``) as an incident
    of the problem ``other``. Returns ``number``'s links. Linking again what is already linked
    that way changes nothing."""
    if kind not in LINK_KINDS:
        raise InvalidInput(f"link kind '{kind}' is not one of: {', '.join(LINK_KINDS)}")
    if number == other:
        raise InvalidInput(f"cannot link {ref(number)} to itself")
    locked = _lock_in_order(session, number, other, actor=actor)
    _refuse_if_both_closed(locked, "link")
    existing = _link_rows(session, number, other)
    if kind == "related":
        if any(row.kind == "related" for row in existing):
            return links_of(session, number)
        if existing:
            raise InvalidInput(f"{ref(number)} and {ref(other)} are already linked "
                               f"({_describe(existing[0], number)}): unlink them first")
    else:
        problem, incident = locked[other], locked[number]
        if problem.type != "problem":
            raise InvalidInput(
                f"{ref(other)} is a {problem.type}, not a problem: make it one first "
                f"(`deskterm ticket set {other} --type problem`)")
        if incident.type == "problem":
            raise InvalidInput(f"{ref(number)} is a problem itself: a problem cannot be an "
                               "incident of another")
        refuse_if_closed(problem, f"make {ref(number)} an incident of it")
        current = session.exec(select(TicketLink).where(
            TicketLink.ticket_id == number, TicketLink.kind == "incident")).first()
        if current is not None and current.other_id == other:
            return links_of(session, number)
        if current is not None:
            raise InvalidInput(f"{ref(number)} is already an incident of "
                               f"{ref(current.other_id)}: unlink it first")
        if existing:
            raise InvalidInput(f"{ref(number)} and {ref(other)} are already linked "
                               f"({_describe(existing[0], number)}): unlink them first")
    row = TicketLink(ticket_id=number, other_id=other, kind=kind, created_by_id=actor.id,
                     created_at=utcnow())
    session.add(row)
    session.flush()
    _record_links(session, actor, locked, row, added=True)
    return links_of(session, number)


def unlink(session: Session, *, actor: AgentRead, number: int, other: int) -> TicketLinks:
    """Remove the link between tickets ``number`` and ``other`` (whichever kind and direction);
    returns ``number``'s links."""
    locked = _lock_in_order(session, number, other, actor=actor)
    rows = _link_rows(session, number, other)
    if not rows:
        raise NotFound(f"{ref(number)} and {ref(other)} are not linked")
    _refuse_if_both_closed(locked, "unlink")
    for row in rows:
        _record_links(session, actor, locked, row, added=False)
        session.delete(row)
    session.flush()
    return links_of(session, number)


# --- Problems -----------------------------------------------------------------------------------


def solve_problem(
    session: Session,
    *,
    actor: AgentRead,
    number: int,
    body: str,
    solve_incidents: bool,
) -> list[int]:
    """Solve the problem ``number`` with a reply, and with ``solve_incidents`` each of its
    unsolved incidents with the same reply (placeholders such as ``{{requester.first_name}}``
    filled in per ticket). Returns the numbers solved, the problem first."""
    check_template(check_body(body, where="reply"))
    problem = lock_ticket(session, number, actor=actor)
    if problem.type != "problem":
        raise InvalidInput(f"{ref(number)} is a {problem.type}, not a problem")
    refuse_if_closed(problem, "solve it")
    incidents: list[int] = []
    if solve_incidents:
        found = session.exec(
            select(Ticket.id)
            .join(TicketLink, col(TicketLink.ticket_id) == col(Ticket.id))
            .where(TicketLink.other_id == number, TicketLink.kind == "incident",
                   col(Ticket.status).in_(sorted(lifecycle.UNSOLVED)))
            .order_by(col(Ticket.id))
        ).all()
        incidents = [incident for incident in found if incident is not None]  # (never None)
    _lock_in_order(session, number, *incidents, actor=actor)
    solved = []
    for ticket_number in [number, *incidents]:
        ticket = session.get(Ticket, ticket_number)
        if ticket is None:  # locked above: it is there
            raise NotFound(f"no ticket {ref(ticket_number)}")
        text = render(body, ticket=summary(session, ticket), agent=actor)
        add_reply(session, actor=actor, number=ticket_number, body=text, status="solved")
        solved.append(ticket_number)
    return solved


__all__ = ["escalate", "link", "links_of", "merge", "solve_problem", "unlink"]
