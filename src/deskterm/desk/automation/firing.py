"""When rules run: inside the transaction of the change that triggered them, right after it.

The change kernel calls :func:`after_change` when a change is written (``updated``; a
customer's message is ``customer_reply``); filing a ticket calls :func:`before_filing` before
its row is written and :func:`after_filing` after (``created``). The rules then run in order on
the ticket as it is now; the actions of the rules that match in one pass are one change (one
new version of the ticket, each event naming its rule: ``via="rule:NAME"``; a later rule sees
what an earlier one set): one version bump and one write of the ticket per pass, however many
rules match. On a new ticket, when every rule that matches in the first pass only sets fields
(group, type, priority, tier, tags), that pass is made on the values before the row is
written: the row is written once as the rules left it (version 2, the rules' events at
version 2 after the ``created`` one, as if made after) and not read back, so two such rules
add only their tags' and events' statements (bench/automation_rules.py). A rule with
``stop = true`` ends the run: no later rule runs for this change. When the rules changed the
ticket, another pass runs (for the same trigger: a new ticket is still being created) over the
rules that have not fired yet, since an earlier rule may match now; no rule fires twice for
one triggering change, and at most :data:`MAX_PASSES` passes run, so rules cannot loop (two
rules undoing each other fire once each and stop).

A ticket that lands unassigned in a group (filed into it, or moved to it by anyone, a rule
included) is assigned by the group's strategy (:mod:`.assignment`) after the rules' pass, as a
change ``via="assignment:GROUP"``.

The compiled rules are cached per store and per version of the rule set (the ``rules``
counter, raised by every ``rules load``): a change on a desk without rules costs one small read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from deskterm.db.models import (
    Agent,
    Counter,
    Customer,
    Event,
    Group,
    Rule,
    Ticket,
    detached_row,
    key,
)
from deskterm.db.types import utcnow
from deskterm.desk.automation import actions
from deskterm.desk.automation.assignment import assign_by_strategy
from deskterm.desk.automation.clock import MinutesBetween, minutes_counter
from deskterm.desk.automation.conditions import CompiledRule, Facts, organization_name
from deskterm.desk.automation.rulebook import spec_from_row
from deskterm.desk.errors import DeskError
from deskterm.desk.reads import AgentRead
from deskterm.desk.tickets import lifecycle
from deskterm.desk.tickets.change import Change, apply_changes, resolve_changes

MAX_PASSES = 4
"""Passes of the rules over one triggering change (the first, and up to three for what the
rules' own changes set off)."""

RULES_COUNTER = "rules"
"""The counter raised by every change of the rule set (it keys the cache)."""

_BUSY = "deskterm.rules.running"
_VERSION = "deskterm.rules.version"
_CACHE: dict[str, tuple[int, tuple[CompiledRule, ...]]] = {}


def rules_version(session: Session) -> int:
    """The rule set's version, read once per session (a write transaction): a transaction
    filing many mails (deskterm.db.batch) asked for it once a mail, and a desk without rules
    has no counter row for the session's identity map to keep. A rule set replaced in the
    same session is seen at once (:func:`forget_version`); one replaced by another process
    takes effect with this process's next transaction."""
    version = session.info.get(_VERSION)
    if version is None:
        counter = session.get(Counter, RULES_COUNTER)
        version = session.info[_VERSION] = counter.value if counter is not None else 0
    return int(version)


def version_unread(session: Session) -> bool:
    """Whether this session has not read the rule set's version yet (a caller about to send a
    statement anyway reads it there: :func:`note_version`)."""
    return _VERSION not in session.info


def note_version(session: Session, value: int | None) -> None:
    """The rule set's version, read by the caller's own statement (None: no counter row, a
    desk that never had rules); :func:`rules_version` then asks nothing."""
    session.info[_VERSION] = value or 0


def forget_version(session: Session) -> None:
    """The rule set changed in this session: read its version again."""
    session.info.pop(_VERSION, None)


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
    """One triggering change's run of the rules on ticket ``number``."""

    session: Session
    number: int
    actor: AgentRead | None
    landed: bool
    """The ticket was filed into a group or moved to one: assign it by the group's strategy."""
    now: datetime
    fired: set[int] = field(default_factory=set)
    stopped: bool = False
    """A rule with ``stop = true`` fired: no more rules for this change."""
    _ticket: Ticket | None = None
    _facts: Facts | None = None
    upto: int = 1 << 30
    """The next pass looks at the rules before this one (the last that changed the ticket)."""
    passes: int = 0

    @property
    def ticket(self) -> Ticket:
        """The ticket, read when a rule first acts on it (a ticket just filed is not read when
        no rule matches it)."""
        if self._ticket is None:
            self._ticket = self.session.get(Ticket, self.number)
            assert self._ticket is not None  # locked or just written by the caller
        return self._ticket

    def minutes(self) -> Callable[[], MinutesBetween]:
        clock: list[MinutesBetween] = []

        def counter() -> MinutesBetween:
            if not clock:
                clock.append(minutes_counter(self.session))
            return clock[0]

        return counter

    def facts(self) -> Facts:
        """What the rules see, read once per run and kept up to date as rules change it."""
        if self._facts is None:
            self._facts = Facts.of(self.session, self.ticket, now=self.now,
                                   minutes=self.minutes())
        return self._facts

    def one_pass(self, rules: tuple[CompiledRule, ...], trigger: str) -> bool:
        """Every rule not fired yet, in order (after the first pass, only those before the
        last rule that changed the ticket: those after it saw it as it is); whether any
        changed the ticket. The matching rules' actions are one change (one new version; each
        event names its rule): two matching rules cost one write of the ticket, not two."""
        changed = False
        upto, self.upto = self.upto, 0
        later = self.passes > 0
        self.passes += 1
        change: Change | None = None
        skips: list[tuple[str, str]] = []
        for index, rule in enumerate(rules):
            if index >= upto:
                break
            if rule.id in self.fired or trigger not in rule.spec.on or (later and rule.fixed):
                continue  # (a fixed rule that did not match in the first pass cannot now)
            facts = self.facts()
            if facts.status == "closed":
                break
            if not rule.matches(facts):
                continue
            self.fired.add(rule.id)
            if change is None:
                change = Change(self.session, self.ticket, self.actor,
                                via=f"rule:{rule.spec.name}")
            events = actions.perform(self.session, self.ticket, rule.spec, self.actor,
                                     tags=facts.tags, change=change, skips=skips)
            if events:
                changed = True
                self.upto = index
                facts.changed(self.session, self.ticket, events)
                self.landed = self.landed or any(name == "group" for name, _, _ in events)
            if rule.spec.stop:
                self.stopped = True
                break
        if change is not None and (change.events or change.wrote_message):
            change.finish()
            if change.events:
                self.facts().updated_at = self.ticket.updated_at
        for via, reason in skips:
            actions.skipped(self.session, self.ticket, via, reason)
        return changed

    def assign(self) -> bool:
        if not self.landed:
            return False
        self.landed = False
        ticket = self.ticket
        if ticket.assignee_id is not None or ticket.group_id is None \
                or ticket.status not in lifecycle.UNSOLVED:
            return False
        group = self.session.get(Group, ticket.group_id)
        if group is None or group.assignment == "manual":
            return False
        change = Change(self.session, ticket, self.actor, via=f"assignment:{group.name}")
        if assign_by_strategy(change) is None:
            return False
        change.finish()
        if self._facts is not None:
            self._facts.changed(self.session, ticket, change.events)
        self.upto = 1 << 30  # every rule saw the ticket before it was assigned
        return True


def _run(run: Run, trigger: str, *, first: bool | None = None) -> bool:
    """Whether the rules or the assignment changed the ticket (``first``: whether the first
    pass, already made, changed it; None: make it)."""
    session = run.session
    if session.info.get(_BUSY):
        return False  # a rule's own change: the run that made it goes on with another pass
    rules = active_rules(session)
    if not rules and not run.landed:
        return False
    session.info[_BUSY] = True
    try:
        for number in range(MAX_PASSES):
            if number == 0 and first is not None:
                changed = first
            else:
                changed = run.one_pass(rules, trigger) if rules and not run.stopped else False
            changed = run.assign() or changed
            if not changed:
                break
        else:
            _note_depth(session, run.ticket)
    finally:
        session.info.pop(_BUSY, None)
    return bool(run.fired) or run._ticket is not None


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
    run = Run(change.session, key(change.ticket), change.actor,
              landed=any(field == "group" for field, _, _ in change.events), now=utcnow(),
              _ticket=change.ticket)
    _run(run, change.trigger)


@dataclass
class Filing:
    """A ticket about to be filed, as :func:`before_filing` leaves it: the values to write
    (the ``created`` rules' first pass made on them when it could be) and the run of the rules
    that goes on once the row is written (:func:`after_filing`)."""

    priority: int
    type: str
    group: Group | None
    tier: int
    tags: tuple[str, ...]
    events: list[tuple[str, str | None, str | None, str | None]] = field(default_factory=list)
    """The rules' changes made before the row was written: ``(field, old, new, via)``, one
    event each at version 2 (the rules' change after the ``created`` one, as when they are made
    on the written row)."""
    run: Run | None = None
    first_pass: bool | None = None
    """Whether the first pass (made before the row was written) changed the ticket; None when
    it runs on the written row."""

    @property
    def version(self) -> int:
        return 2 if self.events else 1


def before_filing(session: Session, number: int, actor: AgentRead | None, *,
                  requester: Customer, subject: str, body: str, channel: str, status: str,
                  priority: int, ticket_type: str, group: Group | None, assignee: Agent | None,
                  tags: tuple[str, ...], tier: int, at: datetime) -> Filing:
    """What ticket ``number`` is filed as, before its row is written.

    When every ``created`` rule that matches only sets fields (group, type, priority, tier,
    tags: :data:`~.actions.FIELD_ACTIONS`), the rules' first pass is made on the values to be
    written, so the row is written once as the rules left it: no second write of the ticket,
    no read back, but the same audit trail (the ``created`` event at version 1, each rule's
    change an event naming it at version 2) and the same ticket (version 2) as when the pass
    runs on the written row. A rule that matches and does more (assigns, applies a macro,
    writes, e-mails), or cannot act, leaves the whole pass to run on the written row as
    before. What the rules see is what was filed: nothing is read back."""
    filing = Filing(priority=priority, type=ticket_type, group=group, tier=tier, tags=tags)
    if session.info.get(_BUSY):
        return filing
    landed = group is not None and group.assignment != "manual"
    if rules_version(session) == 0 and not landed:
        return filing
    now = utcnow()

    def fresh_run() -> Run:
        run = Run(session, number, actor, landed=landed, now=now)
        email = (requester.email or "").lower()
        run._facts = Facts(
            subject=subject, body=body, requester=email,
            domain=email.rsplit("@", 1)[1] if "@" in email else "",
            organization_of=lambda: organization_name(session, requester),
            customer_tier=requester.tier.lower(), channel=channel, status=status,
            priority=lifecycle.priority_name(priority), type=ticket_type,
            group=group.name if group is not None else None,
            assignee=assignee.username if assignee is not None else None,
            tags=frozenset(tags), created_at=at, updated_at=at, now=now,
            minutes=run.minutes())
        return run

    def unwritten() -> Ticket:
        # (an object no session holds, made only when a rule matches: the row is written by
        # SQL with its values)
        return detached_row(
            Ticket, id=number, subject=subject, status=status, priority=priority,
            type=ticket_type, channel=channel, requester_id=key(requester),
            assignee_id=key(assignee) if assignee is not None else None,
            group_id=key(group) if group is not None else None, tier=tier, created_at=at,
            updated_at=at, version=1)

    rules = active_rules(session)
    run = fresh_run()
    if rules and _first_pass_before_writing(run, rules, filing, unwritten):
        filing.first_pass = bool(filing.events)
    else:
        run = fresh_run()  # (the attempt may have changed what the run sees: start again)
    filing.run = run
    return filing


def _first_pass_before_writing(run: Run, rules: tuple[CompiledRule, ...], filing: Filing,
                               unwritten: Callable[[], Ticket]) -> bool:
    """:meth:`Run.one_pass` on the values of a ticket not written yet (``filing``'s, changed
    in place); False, and nothing changed, when a rule that matches cannot be made on them."""
    session = run.session
    facts = run.facts()
    ticket: Ticket | None = None
    change: Change | None = None
    current = filing.tags

    def set_tags(_number: int, _old: tuple[str, ...], new: tuple[str, ...]) -> None:
        nonlocal current
        current = new

    fired: set[int] = set()
    upto = 1 << 30
    landed, stopped = run.landed, False
    for index, rule in enumerate(rules):
        if "created" not in rule.spec.on or not rule.matches(facts):
            continue
        if not actions.FIELD_ACTIONS.issuperset(name for name, _ in rule.spec.then):
            return False
        fired.add(rule.id)
        changes = actions.field_changes(rule.spec)
        if not changes.is_empty():
            try:
                wanted = resolve_changes(session, changes)
            except DeskError:
                return False  # (skipped with its reason in the trail by the pass after writing)
            if ticket is None or change is None:
                ticket = unwritten()
                change = Change(session, ticket, run.actor)
            change.via = f"rule:{rule.spec.name}"
            start = len(change.events)
            apply_changes(change, wanted, tags_of=lambda _number: current, set_tags=set_tags)
            events = change.events[start:]
            if events:
                upto = index
                facts.changed(session, ticket, events)
                landed = landed or any(name == "group" for name, _, _ in events)
        if rule.spec.stop:
            stopped = True
            break
    run.fired.update(fired)
    run.passes, run.upto, run.landed, run.stopped = 1, upto, landed, stopped
    if ticket is None or change is None:
        return True
    filing.events = [(name, old, new, via) for (name, old, new), via
                     in zip(change.events, change.event_vias, strict=True)]
    filing.priority, filing.type, filing.tier, filing.tags = (
        ticket.priority, ticket.type, ticket.tier, current)
    if ticket.group_id != (key(filing.group) if filing.group is not None else None):
        filing.group = session.get(Group, ticket.group_id) if ticket.group_id else None
    return True


def after_filing(session: Session, filing: Filing) -> bool:
    """Run the rest of the ``created`` rules on the ticket just filed (the first pass too,
    unless it was made before the row was written) and assign it if it landed in a group;
    whether they changed the written row (the caller reads it back)."""
    run = filing.run
    if run is None:
        return False
    _run(run, "created", first=filing.first_pass)
    return run._ticket is not None


def forget_cache() -> None:
    """Drop the compiled rules (tests that reuse a store's URL)."""
    _CACHE.clear()


