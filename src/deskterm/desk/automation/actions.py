"""What a rule does to a ticket: its actions as one change through the kernel.

The actions run in a fixed order (:data:`~.rulebook.ACTIONS`): set the group, type, priority
and tier, add and remove tags, assign (to a person, ``none``, or ``@group``: by the group's
strategy), apply a macro (its actions, and its body as a public reply e-mailed like an agent's),
add an internal note, e-mail the requester. The change is ``via="rule:NAME"``, with the agent
whose action triggered the rule as its actor, if any; the rule's reply and note have no author
(the thread shows the rule).

Everything is checked before the ticket is touched: a rule whose action cannot be made (a group
or macro removed since the rules were loaded, an agent deactivated, a status the ticket cannot
take) changes nothing and leaves a ``rule`` event saying why it was skipped; the change that
triggered it goes through. An e-mail that cannot be sent (a requester without an address, a
desk that sends no mail) is left out with such an event; the rule's other actions are made.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from deskterm.db.models import Customer, Event, Ticket, key
from deskterm.db.types import utcnow
from deskterm.desk.automation.assignment import assign_by_strategy
from deskterm.desk.automation.rulebook import RuleSpec
from deskterm.desk.errors import DeskError
from deskterm.desk.mail import outbox
from deskterm.desk.reads import AgentRead, ref
from deskterm.desk.tickets import lifecycle, macros
from deskterm.desk.tickets.change import (
    Change,
    TicketChanges,
    Wanted,
    add_message,
    apply_changes,
    resolve_changes,
)
from deskterm.desk.tickets.reads import summary

BY_GROUP = "@group"
"""``assign = "@group"``: by the ticket's group's strategy."""

TEAM = AgentRead(id=0, username="", display_name="The support team", email=None, role="agent",
                 active=True, skills=())
"""Who ``{{agent.name}}`` is in what a rule writes when no agent triggered it."""


@dataclass(frozen=True)
class Plan:
    """A rule's actions, checked and resolved."""

    wanted: Wanted | None
    by_group: bool
    macro_wanted: Wanted | None
    macro_body: str | None
    note: str | None
    email: tuple[str, str] | None
    email_refused: str | None = None
    """Why the e-mail to the requester is not sent (the rule's other actions still are)."""


FIELD_ACTIONS = frozenset({"group", "type", "priority", "tier", "add_tags", "remove_tags"})
"""The actions that only set the ticket's fields (a rule with no other can be made on a new
ticket before its row is written: :func:`deskterm.desk.automation.firing.before_filing`)."""


def field_changes(spec: RuleSpec) -> TicketChanges:
    """The fields rule ``spec`` sets (its group, type, priority, tier, tags and assignee)."""
    tier = spec.action("tier")
    assign = spec.action("assign")
    return TicketChanges(
        group=spec.action("group"), type=spec.action("type"), priority=spec.action("priority"),
        tier=tier, assignee=None if assign is None or assign == BY_GROUP else assign,
        add_tags=tuple(spec.action("add_tags") or ()),
        remove_tags=tuple(spec.action("remove_tags") or ()))


def _macro_changes(macro: macros.MacroRead, actor: AgentRead | None) -> TicketChanges:
    acts = macro.actions
    assignee = acts.assignee
    if assignee is not None and assignee.strip().lower() == "me":
        assignee = actor.username if actor is not None else None  # no one to be "me"
    return TicketChanges(status=acts.status, priority=acts.priority, group=acts.group,
                         assignee=assignee, add_tags=acts.add_tags, remove_tags=acts.remove_tags)


def plan(session: Session, ticket: Ticket, spec: RuleSpec, actor: AgentRead | None) -> Plan:
    """The rule's actions on ``ticket`` checked and resolved; DeskError if one cannot be made."""
    changes = field_changes(spec)
    wanted = None if changes.is_empty() else resolve_changes(session, changes)
    writes = any(spec.action(name) is not None for name in ("macro", "note", "email_subject"))
    # The placeholders' values only for a rule that writes something (they cost a read).
    values = (macros.placeholder_values(ticket=summary(session, ticket), agent=actor or TEAM)
              if writes else {})
    macro_wanted = macro_body = None
    if spec.action("macro") is not None:
        macro = macros.get_macro(session, name=spec.action("macro"))
        macro_changes = _macro_changes(macro, actor)
        if not macro_changes.is_empty():
            macro_wanted = resolve_changes(session, macro_changes)
            if macro_wanted.status is not None:
                for before in {ticket.status, "open"}:
                    lifecycle.check_transition(ref(key(ticket)), before, macro_wanted.status)
        macro_body = macros.fill(macro.body, values) if macro.body.strip() else None
    note = spec.action("note")
    email = refused = None
    if spec.action("email_subject") is not None:
        requester = session.get(Customer, ticket.requester_id)
        if requester is None or not requester.email:
            refused = "e-mail to the requester not sent: they have no e-mail address"
        elif outbox.sending_settings(session) is None:
            refused = ("e-mail to the requester not sent: the desk does not send mail "
                       "(see `deskterm mail settings`)")
        else:
            email = (macros.fill(spec.action("email_subject"), values),
                     macros.fill(spec.action("email_body"), values))
    return Plan(wanted=wanted, by_group=spec.action("assign") == BY_GROUP,
                macro_wanted=macro_wanted, macro_body=macro_body,
                note=macros.fill(note, values) if note is not None else None, email=email,
                email_refused=refused)


def skipped(session: Session, ticket: Ticket, via: str, reason: str) -> None:
    """Record in the audit trail that the rule ``via`` fired but could not act (or not all of
    it), and why."""
    session.add(Event(ticket_id=key(ticket), actor_agent_id=None, field="rule",
                      new=f"skipped: {reason}"[:500], version=ticket.version, at=utcnow(),
                      via=via))
    session.flush()


Events = list[tuple[str, str | None, str | None]]


def perform(session: Session, ticket: Ticket, spec: RuleSpec, actor: AgentRead | None,
            *, tags: frozenset[str] | None = None, change: Change | None = None,
            skips: list[tuple[str, str]] | None = None) -> Events:
    """Make rule ``spec``'s actions on the locked ``ticket``; the field changes it made
    (``tags``: the ticket's tags, when the caller knows them: not read again).

    With ``change`` (the rules' pass collecting its rules' actions) they are added to it, their
    events naming this rule, and the caller finishes it, then writes the ``skips`` (``(via,
    reason)``: what could not be done, recorded after the change so the trail reads in order);
    without, they are a change of their own.
    """
    via = f"rule:{spec.name}"

    def skip(reason: str) -> None:
        if skips is not None:
            skips.append((via, reason))
        else:
            skipped(session, ticket, via, reason)

    try:
        planned = plan(session, ticket, spec, actor)
    except DeskError as exc:
        skip(str(exc))
        return []
    own = change is None
    if change is None:
        change = Change(session, ticket, actor, via=via)
    else:
        change.via = via
    start = len(change.events)
    known = (lambda _number: tuple(sorted(tags))) if tags is not None else None
    if planned.wanted is not None:
        apply_changes(change, planned.wanted, tags_of=known)
    if planned.by_group and ticket.assignee_id is None:
        assign_by_strategy(change)
    if planned.macro_wanted is not None:
        apply_changes(change, planned.macro_wanted)  # (tags read afresh: the first may add)
    if planned.macro_body is not None:
        add_message(change, body=planned.macro_body, public=True)
    if planned.note is not None:
        add_message(change, body=planned.note, public=False)
    if planned.email is not None:
        subject, body = planned.email
        requester = session.get(Customer, ticket.requester_id)
        assert requester is not None and requester.email  # checked by plan()
        outbox.queue_mail(session, number=key(ticket), kind="rule", to_address=requester.email,
                          to_name=requester.name, subject=subject, body=body, auto=True)
        change.record("email", None, subject)
    if own:
        change.finish()
    if planned.email_refused is not None:
        skip(planned.email_refused)
    return change.events[start:]


__all__ = ["BY_GROUP", "FIELD_ACTIONS", "Plan", "field_changes", "perform", "plan", "skipped"]
