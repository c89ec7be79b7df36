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

from collections.abc import Callable
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
        # What replay calls, a few million times in a big seed: one call deep, not two.
        self.add_us: Callable[[int, int], int] = self.add
        self.minutes_us: Callable[[int, int], int] = self.minutes
        if self.calendar is not None:
            self.add_us = self.calendar.add_business_us
            self.minutes_us = _minutes(self.calendar)

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


def _minutes(calendar: BusinessCalendar) -> Callable[[int, int], int]:
    """:meth:`Clock.minutes` of a business calendar, one call less deep."""
    between = calendar.business_minutes_us

    def minutes(start: int, end: int) -> int:
        return between(start, end) if end > start else 0

    return minutes


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
    """The SLA columns of a ticket filed at ``created`` whose later steps were ``steps``.

    A million tickets go through here, so it works on local variables, and the due times
    between steps are kept as what they depend on (the standing minutes so far; for the next
    response when its clock started), worked out only when a step ends a target or the last
    step leaves them running: a due time is a pure function of those (``due.compute``), so this
    gives what working each one out after every step would."""
    policy = clock.policy
    first_target = policy.first_response
    next_target = policy.next_response
    resolution_target = policy.resolution
    add, minutes = clock.add_us, clock.minutes_us
    business = clock.calendar is not None
    ended: list[Ended] = []
    append = ended.append
    first_response: int | None = None
    solved_at: int | None = None
    paused_at: int | None = None
    paused = 0
    next_started: int | None = None
    next_paused = 0
    first_business: int | None = None
    resolution_business: int | None = None
    first_met: bool | None = None
    resolution_met: bool | None = None
    # The due times the step before left, as the minutes each adds (None: not running).
    first_due: int | None = None if first_target is None else first_target
    next_due: int | None = None
    next_due_from = 0
    resolution_due: int | None = None if resolution_target is None else resolution_target
    for when, role, status in steps:
        waiting = status == "pending" or status == "on_hold"
        done = status == "solved" or status == "closed"
        if paused_at is not None and not waiting:
            paused += minutes(paused_at, when)
            if next_started is not None:
                next_paused += minutes(paused_at if paused_at > next_started else next_started,
                                       when)
            paused_at = None
        elif waiting and paused_at is None:
            paused_at = when
        public_reply = role == "A"
        if public_reply and first_response is None:
            first_response = when
        if status == "solved" and role != "C":
            solved_at = when
        if first_response is not None and first_due is not None:
            due = add(created, first_due)
            met = first_response <= due
            append(Ended("first_response", met, created, due, first_response, when))
            first_met = met
            first_due = None
        if public_reply and next_started is not None:
            if next_due is not None:
                due = add(next_due_from, next_due)
                append(Ended("next_response", when <= due, next_started, due, when, when))
            next_started, next_paused, next_due = None, 0, None
        if done:
            if resolution_due is not None:
                due = add(created, resolution_due)
                solve = solved_at if solved_at is not None else when
                met = solve <= due
                append(Ended("resolution", met, created, due, solve, when))
                resolution_met = met
            if first_due is not None:
                due = add(created, first_due)
                if due < when:
                    append(Ended("first_response", False, created, due, None, when))
                    first_met = False
            if next_due is not None and next_started is not None:
                due = add(next_due_from, next_due)
                if due < when:
                    append(Ended("next_response", False, next_started, due, None, when))
            next_started, next_paused, paused_at = None, 0, None
            if business and solved_at is not None and resolution_business is None:
                resolution_business = minutes(created, solved_at)
            first_due = next_due = resolution_due = None
        else:
            if role == "C" and first_response is not None and next_started is None:
                next_started, next_paused = when, 0
            resolution_business = None
            resolution_met = None
            first_due = first_target + paused \
                if first_target is not None and first_response is None else None
            if next_target is not None and next_started is not None and \
                    first_response is not None:
                next_due, next_due_from = next_target + next_paused, next_started
            else:
                next_due = None
            resolution_due = None if resolution_target is None else resolution_target + paused
        if business and first_response is not None and first_business is None:
            first_business = minutes(created, first_response)
    sla = TicketSla(policy=policy.id, paused_at=paused_at, paused_minutes=paused,
                    next_started=next_started, next_paused_minutes=next_paused,
                    first_business=first_business, resolution_business=resolution_business,
                    first_met=first_met, resolution_met=resolution_met, ended=ended)
    running = []
    if first_due is not None:
        sla.first_due = add(created, first_due)
        running.append(sla.first_due)
    if next_due is not None:
        sla.next_due = add(next_due_from, next_due)
        running.append(sla.next_due)
    if resolution_due is not None:
        sla.resolution_due = add(created, resolution_due)
        running.append(sla.resolution_due)
    sla.due = None if paused_at is not None or not running else min(running)
    return sla
