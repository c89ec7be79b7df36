"""When rules run: inside the transaction of the change that triggered them, right after it.

The change kernel calls :func:`after_change` when a change is written (``updated``; a
customer's message is ``customer_reply``) and :func:`after_filing` when a ticket is filed
(``created``). The rules then run in order on the ticket as it is now; each rule that matches
makes its actions as one change of its own (``via="rule:NAME"``). A rule with ``stop = true``
ends the run: no later rule runs for this change. When the rules changed the ticket, another
pass runs (for the same trigger: a new ticket is still being created) over the rules that have
not fired yet, since an earlier rule may match now; no rule fires twice for one triggering
change, and at most :data:`MAX_PASSES` passes run, so rules cannot loop (two rules undoing
each other fire once each and stop).

A ticket that lands unassigned in a group (filed into it, or moved to it by anyone, a rule
included) is assigned by the group's strategy (:mod:`.assignment`) after the rules' pass, as a
change ``via="assignment:GROUP"``.

The compiled rules are cached per store and per version of the rule set (the ``rules``
counter, raised by every ``rules load``): a change on a desk without rules costs one small read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from deskterm.db.models import Counter, Event, Group, Rule, Ticket, key
from deskterm.db.types import utcnow
from deskterm.desk.automation import actions
from deskterm.desk.automation.assignment import assign_by_strategy
from deskterm.desk.automation.clock import minutes_counter
from deskterm.desk.automation.conditions import CompiledRule, Facts
from deskterm.desk.automation.rulebook import spec_from_row
from deskterm.desk.reads import AgentRead
from deskterm.desk.tickets import lifecycle
from deskterm.desk.tickets.change import Change

MAX_PASSES = 4
"""Passes of the rules over one triggering change (the first, and up to three for what the
rules' own changes set off)."""

RULES_COUNTER = "rules"
"""The counter raised by every change of the rule set (it keys the cache)."""

_BUSY = "deskterm.rules.running"
_CACHE: dict[str, tuple[int, tuple[CompiledRule, ...]]] = {}


def rules_version(session: Session) -> int:
    counter = session.get(Counter, RULES_COUNTER)
    return counter.value if counter is not None else 0


def active_rules(session: Session) -> tuple[CompiledRule, ...]:
    """The active rules in order, compiled (cached until the rule set changes)."""
    version = rules_version(session)
    if version == 0:
        return ()
    where = str(session.get_bind().engine.url)
    cached = _CACHE.get(where)
    if cached is not None and cached[0] == version:
        return cached[1]
    compiled = tuple(CompiledRule.of(key(row), row.position, spec_from_row(
        name=row.name, triggers=row.triggers, conditions=row.conditions, actions=row.actions,
        stop=row.stop, active=row.active, description=row.description))
        for row in session.exec(select(Rule).where(col(Rule.active))
                                .order_by(col(Rule.position))).all())
    _CACHE[where] = (version, compiled)
    return compiled


@dataclass
class Run:
    """One triggering change's run of the rules."""

    session: Session
    ticket: Ticket
    actor: AgentRead | None
    landed: bool
    """The ticket was filed into a group or moved to one: assign it by the group's strategy."""
    fired: set[int]
    now: datetime
    stopped: bool = False
    """A rule with ``stop = true`` fired: no more rules for this change."""

    def facts(self) -> Facts:
        return Facts.of(self.session, self.ticket, now=self.now,
                        minutes=minutes_counter(self.session))

    def one_pass(self, rules: tuple[CompiledRule, ...], trigger: str) -> bool:
        """Every rule not fired yet, in order; whether any changed the ticket."""
        changed = False
        facts: Facts | None = None
        for rule in rules:
            if rule.id in self.fired or trigger not in rule.spec.on:
                continue
            if self.ticket.status == "closed":
                break
            facts = facts or self.facts()
            if not rule.matches(facts):
                continue
            self.fired.add(rule.id)
            events = actions.perform(self.session, self.ticket, rule.spec, self.actor)
            if events:
                changed = True
                facts = None
                self.landed = self.landed or "group" in events
            if rule.spec.stop:
                self.stopped = True
                break
        return changed

    def assign(self) -> bool:
        ticket = self.ticket
        if not self.landed or ticket.assignee_id is not None or ticket.group_id is None \
                or ticket.status not in lifecycle.UNSOLVED:
            return False
        self.landed = False
        group = self.session.get(Group, ticket.group_id)
        if group is None or group.assignment == "manual":
            return False
        change = Change(self.session, ticket, self.actor, via=f"assignment:{group.name}")
        if assign_by_strategy(change) is None:
            return False
        change.finish()
        return True


def _run(session: Session, ticket: Ticket, actor: AgentRead | None, trigger: str,
         *, landed: bool) -> bool:
    """Whether the rules or the assignment changed the ticket."""
    if session.info.get(_BUSY):
        return False  # a rule's own change: the run that made it goes on with another pass
    rules = active_rules(session)
    if not rules and not landed:
        return False
    session.info[_BUSY] = True
    version = ticket.version
    try:
        run = Run(session, ticket, actor, landed, set(), utcnow())
        for _ in range(MAX_PASSES):
            changed = run.one_pass(rules, trigger) if rules and not run.stopped else False
            changed = run.assign() or changed
            if not changed:
                break
        else:
            _note_depth(session, ticket)
    finally:
        session.info.pop(_BUSY, None)
    return ticket.version != version or bool(run.fired)


def _note_depth(session: Session, ticket: Ticket) -> None:
    """The audit trail says the rules were stopped (they kept changing the ticket)."""
    session.add(Event(ticket_id=key(ticket), actor_agent_id=None, field="rules",
                      new=f"stopped after {MAX_PASSES} passes", version=ticket.version,
                      at=utcnow(), via="rules"))
    session.flush()


def after_change(change: Change) -> None:
    """Run the rules after ``change`` was written (its ``trigger``: updated, customer_reply)."""
    if change.via is not None and change.via.startswith(("rule:", "assignment:")):
        return
    _run(change.session, change.ticket, change.actor, change.trigger,
         landed=any(field == "group" for field, _, _ in change.events))


def after_filing(session: Session, number: int, actor: AgentRead | None,
                 *, group_id: int | None) -> bool:
    """Run the ``created`` rules on the ticket just filed (and assign it if it landed in a
    group); whether they changed it."""
    if session.info.get(_BUSY):
        return False
    if rules_version(session) == 0 and (group_id is None or not _assigns(session, group_id)):
        return False
    ticket = session.get(Ticket, number)
    if ticket is None:
        return False
    return _run(session, ticket, actor, "created", landed=group_id is not None)


def _assigns(session: Session, group_id: int) -> bool:
    group = session.get(Group, group_id)
    return group is not None and group.assignment != "manual"


def forget_cache() -> None:
    """Drop the compiled rules (tests that reuse a store's URL)."""
    _CACHE.clear()


