"""SLA escalation: a ticket whose running SLA target is breached, or will be within its policy's
``escalation.within_minutes`` (business minutes of the policy's calendar), is escalated once
per target: tier raised, moved to a group, reassigned (a username, or ``@group``: the group's
assignment strategy), an internal note — as the policy's ``[policy.escalation]`` says
(``deskterm sla load``). The change is ``via="sla:POLICY"`` through the ticket kernel; the
escalation is marked (``automation_marks``: ticket, ``escalation``, target) in the same
transaction, so it is never done twice for the same target of the same ticket, even by two
runners.

Selection is indexed queries per policy that escalates, with the marks anti-joined: after a
pass that escalated everything due, the next one reads only the tickets that came due since
(``tickets.sla_due_at`` between the two passes' limits) or changed since (``updated_at``), so
the breached tickets of the desk's history are not read again at every pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, literal
from sqlmodel import Session, col, select

from deskterm.db.models import SLA_TARGETS, AutomationMark, SlaPolicy, Ticket, key
from deskterm.desk.automation.assignment import assign_by_strategy
from deskterm.desk.errors import DeskError
from deskterm.desk.sla.calendar import BusinessCalendar, add_business_minutes
from deskterm.desk.sla.policies import GROUP_STRATEGY
from deskterm.desk.tickets.change import (
    NONE,
    Change,
    TicketChanges,
    add_message,
    apply_changes,
    lock_ticket,
    resolve_changes,
)
from deskterm.desk.tickets.lifecycle import check_tier

KIND = "escalation"
OPEN_STATUSES = ("new", "open", "pending", "on_hold")
TARGET_NAMES = {"first_response": "first response", "next_response": "next response",
                "resolution": "resolution"}


@dataclass(frozen=True)
class Candidate:
    number: int
    policy_id: int
    target: str
    due_at: datetime


def _target_of_due() -> Any:
    """The name of the target a ticket's ``sla_due_at`` is (the earliest running one)."""
    return case(
        (col(Ticket.sla_due_at) == col(Ticket.first_response_due_at),
         literal("first_response")),
        (col(Ticket.sla_due_at) == col(Ticket.next_response_due_at), literal("next_response")),
        else_=literal("resolution"))


def target_of(ticket: Ticket) -> str | None:
    """Which running target ``ticket``'s ``sla_due_at`` is (None: no target running)."""
    if ticket.sla_due_at is None:
        return None
    for target in SLA_TARGETS:
        if getattr(ticket, f"{target}_due_at") == ticket.sla_due_at:
            return target
    return "resolution"


def escalating_policies(session: Session) -> list[tuple[SlaPolicy, BusinessCalendar | None]]:
    """The active policies that say how to escalate, with their calendars."""
    from deskterm.db.models import BusinessCalendar as CalendarRow

    found = []
    for policy in session.exec(select(SlaPolicy).where(col(SlaPolicy.active))
                               .order_by(col(SlaPolicy.position), col(SlaPolicy.id))).all():
        if not policy.escalation:
            continue
        row = session.get(CalendarRow, policy.calendar_id) if policy.calendar_id else None
        found.append((policy, BusinessCalendar.from_row(row) if row is not None else None))
    return found


def policies_changed_at(session: Session) -> datetime | None:
    """When the SLA policies or calendars were last loaded (due times may have moved then)."""
    from deskterm.db.models import BusinessCalendar as CalendarRow

    latest = [session.exec(select(func.max(SlaPolicy.updated_at))).one(),
              session.exec(select(func.max(CalendarRow.updated_at))).one()]
    found = [moment for moment in latest if moment is not None]
    return max(found) if found else None


def due(session: Session, *, now: datetime, limit: int,
        since: datetime | None = None) -> list[Candidate]:
    """Tickets to escalate now, soonest due first, at most ``limit``.

    ``since``: the start of a pass that escalated everything due then. A ticket due now that
    was not due then came due since (its ``sla_due_at`` between the two limits), or changed
    since (a change recomputes its due times): the query reads those two index ranges only,
    not every breached ticket of the desk's history. None (or policies loaded since): the whole
    range up to now is looked at.
    """
    if since is not None:
        changed = policies_changed_at(session)
        if changed is not None and changed >= since:
            since = None
    found: list[Candidate] = []
    for policy, calendar in escalating_policies(session):
        within = int(policy.escalation.get("within_minutes") or 0)
        until = add_business_minutes(calendar, now, within) if within else now
        marked = exists().where(and_(
            col(AutomationMark.ticket_id) == col(Ticket.id), col(AutomationMark.kind) == KIND,
            col(AutomationMark.target) == _target_of_due()))
        base = (select(Ticket.id, Ticket.sla_due_at, _target_of_due())
                .where(col(Ticket.sla_due_at).is_not(None), col(Ticket.sla_due_at) <= until,
                       Ticket.sla_policy_id == policy.id,
                       # (as an expression: no status index is chosen over the due time's)
                       (col(Ticket.status) + literal("")).in_(OPEN_STATUSES), ~marked))
        by_due = (col(Ticket.sla_due_at), col(Ticket.id))
        if since is None:
            queries = [(base, by_due)]
        else:
            then = add_business_minutes(calendar, since, within) if within else since
            # The changed tickets through the update time's index (ordered by it, so SQLite
            # does not walk the due time's index over every breached ticket instead).
            queries = [(base.where(col(Ticket.sla_due_at) > then), by_due),
                       (base.where(col(Ticket.updated_at) >= since),
                        (col(Ticket.updated_at), col(Ticket.id)))]
        seen: set[int] = set()
        for query, order in queries:
            rows = session.exec(query.order_by(*order).limit(limit - len(found))).all()
            for number, due_at, target in rows:
                if number is not None and due_at is not None and number not in seen:
                    seen.add(number)
                    found.append(Candidate(number, key(policy), target, due_at))
            if len(found) >= limit:
                break
        if len(found) >= limit:
            break
    found.sort(key=lambda c: (c.due_at, c.number))
    return found[:limit]


def default_note(policy: str, target: str, due_at: datetime, now: datetime) -> str:
    when = due_at.strftime("%Y-%m-%d %H:%M UTC")
    state = f"was due at {when}" if due_at <= now else f"is due at {when}"
    return f"Escalated by SLA policy {policy}: the {TARGET_NAMES.get(target, target)} {state}."


def escalate(session: Session, candidate: Candidate, *, now: datetime) -> bool:
    """Escalate the ticket of ``candidate`` if it still needs it (it is locked and looked at
    afresh); False when it no longer does (answered, solved, already escalated meanwhile)."""
    ticket = lock_ticket(session, candidate.number, actor=None)
    policy = session.get(SlaPolicy, candidate.policy_id)
    if policy is None or not policy.escalation or ticket.status not in OPEN_STATUSES \
            or ticket.sla_policy_id != candidate.policy_id:
        return False
    target = target_of(ticket)
    if target is None or ticket.sla_due_at is None:
        return False
    if session.get(AutomationMark, (key(ticket), KIND, target)) is not None:
        return False
    spec: dict[str, Any] = policy.escalation
    via = f"sla:{policy.name}"
    change = Change(session, ticket, None, via=via)
    change.now = now
    tier = spec.get("tier")
    group = spec.get("group")
    assignee = spec.get("assignee")
    by_group = assignee == GROUP_STRATEGY
    wanted = TicketChanges(
        tier=max(check_tier(int(tier)), ticket.tier) if tier is not None else None,
        group=group,
        assignee=assignee if assignee is not None and not by_group else None)
    note = spec.get("note") or default_note(policy.name, target, ticket.sla_due_at, now)
    try:
        if not wanted.is_empty():
            apply_changes(change, resolve_changes(session, wanted))
        if by_group:
            old_group_assignee = ticket.assignee_id
            if assign_by_strategy(change) is None and group is not None \
                    and old_group_assignee is not None:
                # Nobody of the new group is free: it waits in the group's queue rather than
                # stay with someone of the old one.
                apply_changes(change, resolve_changes(session, TicketChanges(assignee=NONE)))
    except DeskError as refused:  # a group or agent gone since the policy was loaded
        note = f"{note}\n(Could not escalate as the policy says: {refused})"
    add_message(change, body=note, public=False)
    change.finish()
    session.add(AutomationMark(ticket_id=key(ticket), kind=KIND, target=target, at=now))
    session.flush()
    return True
