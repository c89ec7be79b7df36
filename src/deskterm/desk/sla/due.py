"""Due times: which SLA policy a ticket falls under, and when each of its targets is due.

:func:`refresh` is called by the change kernel on every change of a ticket
(``Change.bump``, so ``finish`` and the bulk path alike), by :func:`start` when a ticket is
filed, and by anything else that changed a ticket behind the kernel's back. It works from the
ticket's own fields, so calling it twice changes nothing:

- **first response** runs from ``created_at`` until ``first_response_at`` (the first public
  reply);
- **next response** runs from a requester's message that came after the first response
  (``next_response_started_at``) until the next public reply;
- **resolution** runs from ``created_at`` until the ticket is solved (a reopened ticket's runs
  again, against the same due time).

Each is due ``minutes + paused`` business minutes (the policy's calendar; none: around the
clock) after its start, where ``paused`` is the business time the clock stood still since then:
pending and on-hold stop it (``sla_paused_at``), and leaving them adds the paused business
minutes to ``sla_paused_minutes`` (and ``next_response_paused_minutes``), which pushes every due
time by as much. ``sla_due_at`` is the earliest due time of the targets still running (None
while paused). A target that ends writes an :class:`~deskterm.db.models.SlaOutcome`: met when
it ended by its due time, breached otherwise. Where the policy counts in a calendar, the
first response and the resolution also leave their business minutes on the ticket (the reports'
times in business hours).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from deskterm.db.models import AutomationMark, Customer, SlaOutcome, SlaPolicy, Ticket, key
from deskterm.db.models import BusinessCalendar as CalendarRow
from deskterm.desk.sla.calendar import BusinessCalendar, add_business_minutes, business_minutes
from deskterm.desk.tickets.summary import SlaTimes

WAITING = frozenset({"pending", "on_hold"})
"""The statuses that stop the clock (as ``desk.tickets.lifecycle.WAITING``)."""
DONE = frozenset({"solved", "closed"})

_CACHE = "deskterm.sla.policies"


@dataclass(frozen=True)
class Policy:
    """An active ``sla_policies`` row with its calendar, as matching and due times need it."""

    id: int
    name: str
    priority: int | None
    customer_tier: str | None
    organization_id: int | None
    calendar: BusinessCalendar | None
    first_response: int | None
    next_response: int | None
    resolution: int | None

    def matches(self, priority: int, tier: str | None, organization_id: int | None) -> bool:
        return ((self.priority is None or self.priority == priority)
                and (self.customer_tier is None or self.customer_tier == tier)
                and (self.organization_id is None or self.organization_id == organization_id))


@dataclass(frozen=True)
class Policies:
    """The active policies in matching order (``position``, then id)."""

    ordered: tuple[Policy, ...]
    by_id: dict[int, Policy]

    @property
    def need_requester(self) -> bool:
        return any(p.customer_tier is not None or p.organization_id is not None
                   for p in self.ordered)

    def match(self, priority: int, tier: str | None, organization_id: int | None
              ) -> Policy | None:
        for policy in self.ordered:
            if policy.matches(priority, tier, organization_id):
                return policy
        return None


def load_policies(session: Session) -> Policies:
    """The active policies, read once per session (a write transaction)."""
    cached = session.info.get(_CACHE)
    if isinstance(cached, Policies):
        return cached
    rows = session.exec(select(SlaPolicy).where(col(SlaPolicy.active))
                        .order_by(col(SlaPolicy.position), col(SlaPolicy.id))).all()
    calendars: dict[int, BusinessCalendar] = {}
    if any(row.calendar_id is not None for row in rows):
        for calendar in session.exec(select(CalendarRow)).all():
            if calendar.id is not None:
                calendars[calendar.id] = BusinessCalendar.from_row(calendar)
    ordered = tuple(
        Policy(id=row.id, name=row.name, priority=row.priority,
               customer_tier=row.customer_tier, organization_id=row.organization_id,
               calendar=calendars.get(row.calendar_id) if row.calendar_id else None,
               first_response=row.first_response_minutes,
               next_response=row.next_response_minutes, resolution=row.resolution_minutes)
        for row in rows if row.id is not None)
    policies = Policies(ordered=ordered, by_id={p.id: p for p in ordered})
    session.info[_CACHE] = policies
    return policies


def forget_policies(session: Session) -> None:
    """Drop the session's cached policies (after they were replaced)."""
    session.info.pop(_CACHE, None)


def _requester(session: Session, requester_id: int) -> tuple[str | None, int | None]:
    customer = session.get(Customer, requester_id)
    return (customer.tier, customer.organization_id) if customer is not None else (None, None)


@dataclass(frozen=True)
class Due:
    """A ticket's due times (what :func:`compute` gives)."""

    first_response: datetime | None
    next_response: datetime | None
    resolution: datetime | None
    paused: bool

    @property
    def earliest(self) -> datetime | None:
        if self.paused:
            return None
        running = [d for d in (self.first_response, self.next_response, self.resolution) if d]
        return min(running) if running else None


NOTHING_DUE = Due(None, None, None, paused=False)


def compute(policy: Policy | None, *, status: str, created_at: datetime,
            first_response_at: datetime | None, next_response_started_at: datetime | None,
            paused_minutes: int, next_paused_minutes: int, paused: bool) -> Due:
    """The due times of a ticket in these states under ``policy`` (pure: the recompute after a
    calendar change calls it for every open ticket)."""
    if policy is None or status in DONE:
        return NOTHING_DUE
    calendar = policy.calendar
    first = (add_business_minutes(calendar, created_at, policy.first_response + paused_minutes)
             if policy.first_response is not None and first_response_at is None else None)
    following = (add_business_minutes(calendar, next_response_started_at,
                                      policy.next_response + next_paused_minutes)
                 if policy.next_response is not None and next_response_started_at is not None
                 and first_response_at is not None else None)
    resolution = (add_business_minutes(calendar, created_at, policy.resolution + paused_minutes)
                  if policy.resolution is not None else None)
    return Due(first, following, resolution, paused=paused)


def _outcome(session: Session, ticket: Ticket, policy_id: int | None, target: str,
             started_at: datetime, due_at: datetime, met_at: datetime | None,
             now: datetime) -> None:
    policy = session.get(SlaPolicy, policy_id) if policy_id is not None else None
    met = met_at is not None and met_at <= due_at
    if target == "first_response":
        ticket.first_response_sla_met = met
    elif target == "resolution":
        ticket.resolution_sla_met = met
    session.add(SlaOutcome(
        ticket_id=key(ticket), policy_id=policy.id if policy else None,
        policy_name=policy.name if policy else "", target=target,
        outcome="met" if met else "breached", started_at=started_at, due_at=due_at,
        met_at=met_at, ended_at=now))


def _business_times(ticket: Ticket, policy: Policy | None) -> None:
    """The reports' first-response and resolution times in business minutes, where the
    ticket's policy counts in a calendar: written once when the reply or the solve happens (a
    reopen forgets the resolution's; the next solve writes it again)."""
    calendar = policy.calendar if policy is not None else None
    if ticket.status not in DONE:
        ticket.resolution_business_minutes = None
        ticket.resolution_sla_met = None
    if calendar is None:
        return
    if ticket.first_response_at is not None and ticket.first_response_business_minutes is None:
        ticket.first_response_business_minutes = max(0, business_minutes(
            calendar, ticket.created_at, ticket.first_response_at))
    if (ticket.status in DONE and ticket.solved_at is not None
            and ticket.resolution_business_minutes is None):
        ticket.resolution_business_minutes = max(0, business_minutes(
            calendar, ticket.created_at, ticket.solved_at))


def refresh(session: Session, ticket: Ticket, now: datetime, *, public_reply: bool = False,
            customer_message: bool = False) -> None:
    """Bring ``ticket``'s policy, clock and due times up to date as of ``now``, writing the
    outcome of every target that ended. The caller holds the ticket (locked) and flushes it.

    ``public_reply``: this change sent the requester a public reply (meets a next response);
    ``customer_message``: the requester wrote (starts one, once the first response is out).
    """
    policies = load_policies(session)
    if not policies.ordered and ticket.sla_policy_id is None:
        return  # no SLAs on this desk, and none ever applied to the ticket
    tier, organization = (_requester(session, ticket.requester_id)
                          if policies.need_requester else (None, None))
    policy = (policies.match(ticket.priority, tier, organization)
              if ticket.status not in DONE else policies.by_id.get(ticket.sla_policy_id or 0))
    old_policy = ticket.sla_policy_id
    calendar = policy.calendar if policy else None

    # The clock: stopped while waiting; the time it stood pushes the due times.
    waiting = ticket.status in WAITING
    if ticket.sla_paused_at is not None and not waiting:
        stood = max(0, business_minutes(calendar, ticket.sla_paused_at, now))
        ticket.sla_paused_minutes += stood
        if ticket.next_response_started_at is not None:
            since = max(ticket.sla_paused_at, ticket.next_response_started_at)
            ticket.next_response_paused_minutes += max(0, business_minutes(calendar, since, now))
        ticket.sla_paused_at = None
    elif waiting and ticket.sla_paused_at is None and policy is not None:
        ticket.sla_paused_at = now

    # Targets that ended in this change.
    if ticket.first_response_at is not None and ticket.first_response_due_at is not None:
        _outcome(session, ticket, old_policy, "first_response", ticket.created_at,
                 ticket.first_response_due_at, ticket.first_response_at, now)
        ticket.first_response_due_at = None
    if public_reply and ticket.next_response_started_at is not None:
        if ticket.next_response_due_at is not None:
            _outcome(session, ticket, old_policy, "next_response",
                     ticket.next_response_started_at, ticket.next_response_due_at, now, now)
        ticket.next_response_started_at = None
        ticket.next_response_paused_minutes = 0
        ticket.next_response_due_at = None
    if ticket.status in DONE:
        if ticket.resolution_due_at is not None:
            _outcome(session, ticket, old_policy, "resolution", ticket.created_at,
                     ticket.resolution_due_at, ticket.solved_at or now, now)
        for target, ended_due, started in (
                ("first_response", ticket.first_response_due_at, ticket.created_at),
                ("next_response", ticket.next_response_due_at,
                 ticket.next_response_started_at)):
            if ended_due is not None and started is not None and ended_due < now:
                _outcome(session, ticket, old_policy, target, started, ended_due, None, now)
        ticket.next_response_started_at = None
        ticket.next_response_paused_minutes = 0
        ticket.sla_paused_at = None
    elif (customer_message and ticket.first_response_at is not None
          and ticket.next_response_started_at is None):
        ticket.next_response_started_at = now
        ticket.next_response_paused_minutes = 0
        # A new next-response target: the runner may escalate it as it did the one before
        # (its mark is per target, kind "escalation": see desk.automation.escalation).
        session.execute(delete(AutomationMark).where(
            col(AutomationMark.ticket_id) == key(ticket), col(AutomationMark.kind) == "escalation",
            col(AutomationMark.target) == "next_response"))

    _business_times(ticket, policies.by_id.get(old_policy or 0) or policy)
    due = compute(policy, status=ticket.status, created_at=ticket.created_at,
                  first_response_at=ticket.first_response_at,
                  next_response_started_at=ticket.next_response_started_at,
                  paused_minutes=ticket.sla_paused_minutes,
                  next_paused_minutes=ticket.next_response_paused_minutes,
                  paused=ticket.sla_paused_at is not None)
    ticket.sla_policy_id = policy.id if policy else None
    ticket.first_response_due_at = due.first_response
    ticket.next_response_due_at = due.next_response
    ticket.resolution_due_at = due.resolution
    ticket.sla_due_at = due.earliest
    session.add(ticket)


def start(session: Session, *, number: int, priority: int, requester: Customer,
          created_at: datetime) -> SlaTimes | None:
    """The due times of ticket ``number``, just filed (its row written by SQL, not the ORM);
    returns its clock (None: no policy applies)."""
    policies = load_policies(session)
    if not policies.ordered:
        return None
    policy = policies.match(priority, requester.tier, requester.organization_id)
    if policy is None:
        return None
    due = compute(policy, status="new", created_at=created_at, first_response_at=None,
                  next_response_started_at=None, paused_minutes=0, next_paused_minutes=0,
                  paused=False)
    session.connection().execute(
        update(Ticket).where(col(Ticket.id) == number).values(
            sla_policy_id=policy.id, first_response_due_at=due.first_response,
            resolution_due_at=due.resolution, sla_due_at=due.earliest))
    return SlaTimes(policy_id=policy.id, due_at=due.earliest,
                    first_response_due_at=due.first_response, resolution_due_at=due.resolution)


def outcomes_of(session: Session, number: int) -> Sequence[SlaOutcome]:
    """Ticket ``number``'s ended targets, oldest first."""
    return session.exec(select(SlaOutcome).where(SlaOutcome.ticket_id == number)
                        .order_by(col(SlaOutcome.id))).all()
