"""The SLA countdown the console shows: business time left until a ticket's next due time.

Pure (no store): the console loads the policies' calendars once (``Desk.sla_clock``) and counts
down from the rows it already holds, re-rendering the visible ones on a timer without asking the
desk again. ``2h 10m`` left, ``-35m`` past due; *warning* with under a quarter of the target's
time left, *breached* once due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from deskterm.desk.sla.calendar import BusinessCalendar, business_minutes
from deskterm.desk.tickets.summary import SlaTimes

WARNING_SHARE = 0.25
"""Under this share of a target's time left: the warning style (the "SLA at risk" view)."""

OK, WARNING, BREACHED, PAUSED, MET = "ok", "warning", "breached", "paused", "met"


@dataclass(frozen=True)
class PolicyClock:
    """A policy's calendar (None: around the clock) and targets in business minutes."""

    name: str
    calendar: BusinessCalendar | None
    first_response: int | None
    next_response: int | None
    resolution: int | None


@dataclass(frozen=True)
class SlaState:
    """What the SLA cell shows, and how."""

    text: str
    level: str
    minutes_left: int | None = None
    target: str | None = None
    """Which target is due first: first_response, next_response or resolution."""


@dataclass(frozen=True)
class SlaClock:
    """Every policy's clock by id."""

    policies: dict[int, PolicyClock] = field(default_factory=dict)

    def state(self, sla: SlaTimes | None, now: datetime) -> SlaState | None:
        """The countdown of a ticket's clock at ``now`` (None: no policy applies)."""
        if sla is None:
            return None
        if sla.paused_at is not None:
            return SlaState("paused", PAUSED)
        if sla.due_at is None:
            return SlaState("met", MET)
        policy = self.policies.get(sla.policy_id)
        calendar = policy.calendar if policy else None
        left = business_minutes(calendar, now, sla.due_at)
        target, minutes = _target(sla, policy)
        if now >= sla.due_at:
            return SlaState(describe_left(min(left, 0)), BREACHED,
                            left, target)
        level = WARNING if minutes and left < minutes * WARNING_SHARE else OK
        return SlaState(describe_left(left), level, left, target)

    def target_state(self, sla: SlaTimes, target: str, now: datetime) -> SlaState | None:
        """One target's countdown (the ticket screen lists each)."""
        due = getattr(sla, f"{target}_due_at")
        if due is None:
            return None
        if sla.paused_at is not None:
            return SlaState("paused", PAUSED, target=target)
        policy = self.policies.get(sla.policy_id)
        calendar = policy.calendar if policy else None
        left = business_minutes(calendar, now, due)
        if now >= due:
            return SlaState(describe_left(min(left, 0)), BREACHED,
                            left, target)
        minutes = getattr(policy, target) if policy else None
        level = WARNING if minutes and left < minutes * WARNING_SHARE else OK
        return SlaState(describe_left(left), level, left, target)


def _target(sla: SlaTimes, policy: PolicyClock | None) -> tuple[str | None, int | None]:
    for target in ("first_response", "next_response", "resolution"):
        if getattr(sla, f"{target}_due_at") == sla.due_at:
            return target, getattr(policy, target) if policy else None
    return None, None


def describe_left(minutes: int) -> str:
    """Business minutes as the SLA cell shows them: ``35m``, ``2h 10m``, ``41h``, ``-35m``;
    past 48 hours in days of 24 hours (``-13d 20h``, not ``-332h``: read at a glance, and as
    narrow as ``41h``)."""
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    if minutes < 60:
        return f"{sign}{minutes}m"
    hours, rest = divmod(minutes, 60)
    if hours > 48:
        days, hours = divmod(hours, 24)
        return f"{sign}{days}d {hours}h" if hours else f"{sign}{days}d"
    if hours >= 10 or not rest:
        return f"{sign}{hours}h"
    return f"{sign}{hours}h {rest}m"
