"""The demo desk's SLA policies, and each demo ticket's SLA columns and ended targets worked out
as the SLA kernel (:func:`deskterm.desk.sla.due.refresh`) would have kept them had every step
of its thread happened through the desk.

The demo writes its rows in bulk (:mod:`deskterm.db.bulk`), never through the kernel, so this
replays a ticket's steps (the requester's messages, the agents' replies and notes, the status
each one set) on plain integers: microseconds since the epoch, the calendars' business-time
arithmetic on those (:meth:`~deskterm.desk.sla.calendar.BusinessCalendar.add_business_us`), a
few microseconds a ticket. The replay follows ``refresh`` step for step, including its order: a
target that ends is judged against the due time stored at the step before (time the clock stood
still just before a reply does not move that due time), the clock stops on pending and on hold
and its standing time pushes the due times once it runs again, a reopened ticket's resolution
runs again against the same due time, and a solve writes the resolution's outcome.
tests/unit/test_demo.py recomputes a small demo's columns with the kernel's own functions and
compares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deskterm.desk.sla.calendar import BusinessCalendar

MINUTE_US = 60_000_000
WAITING = ("pending", "on_hold")
DONE = ("solved", "closed")

CALENDAR: dict[str, Any] = {
    "name": "office",
    "timezone": "Europe/Amsterdam",
    "hours": {day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays_country": "NL",
}
"""The demo's business calendar: office hours in Amsterdam, Dutch public holidays off."""

POLICIES = (
    # name, priority (None: any), customer tier, calendar?, first response, next, resolution
    ("Urgent, around the clock", 3, None, False, 60, 120, 8 * 60),
    ("VIP customers", None, "vip", True, 60, 120, 2 * 600),
    ("High priority", 2, None, True, 2 * 60, 4 * 60, 3 * 600),
    ("Standard", None, None, True, 8 * 60, 8 * 60, 5 * 600),
)
"""The policies a demo desk without any gets, in matching order (targets in business minutes:
a business day of the calendar is 600)."""


@dataclass(frozen=True)
class DemoPolicy:
    """An SLA policy as the demo matches and times tickets by (plain data: it is pickled to
    the demo's helper process with the rest of :class:`~deskterm.demo.generator.DemoStart`)."""

    id: int
    name: str
    priority: int | None
    customer_tier: str | None
    organization_id: int | None
    calendar: dict[str, Any] | None
    """The ``business_calendars`` row's fields (None: around the clock)."""
    first_response: int | None
    next_response: int | None
    resolution: int | None


@dataclass(slots=True)
class Ended:
    """One target that ended (a ``sla_outcomes`` row)."""

    target: str
    met: bool
    started: int
    due: int
    met_at: int | None
    ended: int


@dataclass(slots=True)
class TicketSla:
    """A ticket's SLA columns after its last step (instants in microseconds since the epoch)."""

    policy: int | None = None
    first_due: int | None = None
    next_due: int | None = None
    resolution_due: int | None = None
    due: int | None = None
    paused_at: int | None = None
    paused_minutes: int = 0
    next_started: int | None = None
    next_paused_minutes: int = 0
    first_business: int | None = None
    resolution_business: int | None = None
    first_met: bool | None = None
    resolution_met: bool | None = None
    ended: list[Ended] = field(default_factory=list)
    memo: dict[tuple[object, ...], int] = field(default_factory=dict)
    """Due times worked out, by what they depend on."""


class Clock:
    """One policy's business-time arithmetic on microseconds."""

    def __init__(self, policy: DemoPolicy) -> None:
        self.policy = policy
        row = policy.calendar
        self.calendar = None if row is None else BusinessCalendar(
            timezone=row["timezone"], hours=row["hours"],
            holidays_country=row.get("holidays_country"),
            holidays_subdivision=row.get("holidays_subdivision"),
            extra_holidays=row.get("extra_holidays") or (), name=row.get("name", ""))

    def add(self, start: int, minutes: int) -> int:
        if self.calendar is None:
            return start + minutes * MINUTE_US
        return self.calendar.add_business_us(start, minutes)

    def minutes(self, start: int, end: int) -> int:
        """Whole business minutes from ``start`` to ``end`` (not before it)."""
        if end <= start:
            return 0
        if self.calendar is None:
            return (end - start) // MINUTE_US
        return self.calendar.business_minutes_us(start, end)


def match(policies: tuple[DemoPolicy, ...], priority: int, tier: str | None,
          organization_id: int | None) -> DemoPolicy | None:
    """The first policy that matches, as ``Policies.match``."""
    for policy in policies:
        if ((policy.priority is None or policy.priority == priority)
                and (policy.customer_tier is None or policy.customer_tier == tier)
                and (policy.organization_id is None
                     or policy.organization_id == organization_id)):
            return policy
    return None


Step = tuple[int, str, str]
"""``(when, role, status after it)``: role ``C`` the requester wrote, ``A`` an agent's public
reply, ``N`` an internal note, ``X`` a change without a message (the automation closing it)."""


def replay(clock: Clock, created: int, steps: list[Step]) -> TicketSla:
    """The SLA columns of a ticket filed at ``created`` whose later steps were ``steps``."""
    policy = clock.policy
    sla = TicketSla(policy=policy.id)
    first_response: int | None = None
    solved_at: int | None = None
    _due(sla, clock, created, first_response, "new")
    for when, role, status in steps:
        waiting = status in WAITING
        if sla.paused_at is not None and not waiting:
            sla.paused_minutes += clock.minutes(sla.paused_at, when)
            if sla.next_started is not None:
                sla.next_paused_minutes += clock.minutes(max(sla.paused_at, sla.next_started),
                                                         when)
            sla.paused_at = None
        elif waiting and sla.paused_at is None:
            sla.paused_at = when
        public_reply = role == "A"
        if public_reply and first_response is None:
            first_response = when
        if status == "solved" and role != "C":
            solved_at = when
        if first_response is not None and sla.first_due is not None:
            met = first_response <= sla.first_due
            sla.ended.append(Ended("first_response", met, created, sla.first_due,
                                   first_response, when))
            sla.first_met = met
            sla.first_due = None
        if public_reply and sla.next_started is not None:
            if sla.next_due is not None:
                sla.ended.append(Ended("next_response", when <= sla.next_due, sla.next_started,
                                       sla.next_due, when, when))
            sla.next_started, sla.next_paused_minutes, sla.next_due = None, 0, None
        if status in DONE:
            if sla.resolution_due is not None:
                solve = solved_at if solved_at is not None else when
                met = solve <= sla.resolution_due
                sla.ended.append(Ended("resolution", met, created, sla.resolution_due, solve,
                                       when))
                sla.resolution_met = met
            for target, ended_due, started in (("first_response", sla.first_due, created),
                                               ("next_response", sla.next_due,
                                                sla.next_started)):
                if ended_due is not None and started is not None and ended_due < when:
                    sla.ended.append(Ended(target, False, started, ended_due, None, when))
                    if target == "first_response":
                        sla.first_met = False
            sla.next_started, sla.next_paused_minutes, sla.paused_at = None, 0, None
        elif role == "C" and first_response is not None and sla.next_started is None:
            sla.next_started, sla.next_paused_minutes = when, 0
        if status not in DONE:
            sla.resolution_business = None
            sla.resolution_met = None
        if clock.calendar is not None:
            if first_response is not None and sla.first_business is None:
                sla.first_business = clock.minutes(created, first_response)
            if status in DONE and solved_at is not None and sla.resolution_business is None:
                sla.resolution_business = clock.minutes(created, solved_at)
        _due(sla, clock, created, first_response, status)
    return sla


def _due(sla: TicketSla, clock: Clock, created: int, first_response: int | None,
         status: str) -> None:
    """The due times after a step, as ``due.compute`` (each worked out again only when what it
    depends on changed: most steps change none of them)."""
    policy = clock.policy
    if status in DONE:
        sla.first_due = sla.next_due = sla.resolution_due = sla.due = None
        return
    paused = sla.paused_minutes
    memo = sla.memo

    def added(key: tuple[object, ...], start: int, minutes: int) -> int:
        if key not in memo:
            memo[key] = clock.add(start, minutes)
        return memo[key]

    sla.first_due = added(("first", paused), created, policy.first_response + paused) \
        if policy.first_response is not None and first_response is None else None
    sla.next_due = added(("next", sla.next_started, sla.next_paused_minutes),
                         sla.next_started, policy.next_response + sla.next_paused_minutes) \
        if (policy.next_response is not None and sla.next_started is not None
            and first_response is not None) else None
    sla.resolution_due = added(("resolution", paused), created, policy.resolution + paused) \
        if policy.resolution is not None else None
    running = [d for d in (sla.first_due, sla.next_due, sla.resolution_due) if d is not None]
    sla.due = None if sla.paused_at is not None or not running else min(running)
