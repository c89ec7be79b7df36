"""The desk's use cases on SLAs: load the calendars and policies, list and show them
(:class:`SlaCases`, part of :class:`deskterm.desk.service.Desk`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from deskterm import lazy
from deskterm.desk.service_core import DeskCore

if TYPE_CHECKING:
    from deskterm.desk.audit import snapshots
    from deskterm.desk.sla import clock, due, policies, recompute
else:  # loaded on a use case's first call: a CLI command pays only for its own
    snapshots = lazy.module("deskterm.desk.audit.snapshots")
    clock = lazy.module("deskterm.desk.sla.clock")
    due = lazy.module("deskterm.desk.sla.due")
    policies = lazy.module("deskterm.desk.sla.policies")
    recompute = lazy.module("deskterm.desk.sla.recompute")


@dataclass(frozen=True)
class SlaLoaded:
    """What ``sla load`` did."""

    calendars: int
    policies: int
    open_tickets: int
    changed: int
    with_policy: int


class SlaCases(DeskCore):
    """SLA policies and business calendars."""

    def load_sla(self, text: str, *,
                 progress: Callable[[int, int], None] | None = None) -> SlaLoaded:
        """Replace the calendars and policies with an SLA file's (admins only), then recompute
        every open ticket's due times: all in one transaction, or nothing. ``progress(done,
        total)`` as the recompute goes."""
        sla = policies.parse_sla_toml(text)

        def loading(session, _actor) -> SlaLoaded:  # type: ignore[no-untyped-def]
            policies.replace(session, text, sla)
            done = recompute.recompute_open(session, progress=progress)
            return SlaLoaded(calendars=len(sla.calendars), policies=len(sla.policies),
                             open_tickets=done.open_tickets, changed=done.changed,
                             with_policy=done.with_policy)

        return self._audited(snapshots.sla, loading, admin="load SLA policies")

    def sla_policies(self) -> list[policies.PolicyRead]:
        with self._reading() as session:
            return policies.list_policies(session)

    def sla_policy(self, name: str) -> policies.PolicyRead:
        with self._reading() as session:
            return policies.get_policy(session, name)

    def sla_clock(self) -> clock.SlaClock:
        """The active policies' calendars and targets, for counting down without the desk."""
        with self._reading() as session:
            found = due.load_policies(session)
        return clock.SlaClock({p.id: clock.PolicyClock(
            name=p.name, calendar=p.calendar, first_response=p.first_response,
            next_response=p.next_response, resolution=p.resolution) for p in found.ordered})

    def business_calendars(self) -> list[policies.CalendarRead]:
        with self._reading() as session:
            return policies.list_calendars(session)


__all__ = ["SlaCases", "SlaLoaded"]
