"""The desk's use cases on its timers and on customer satisfaction: run a pass of the timers,
see and change their settings, record and read CSAT ratings (:class:`AutomationCases`, part of
:class:`deskterm.desk.service.Desk`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from deskterm import lazy
from deskterm.db.types import utcnow
from deskterm.desk.errors import NotFound
from deskterm.desk.reads import ref
from deskterm.desk.service_core import DeskCore

if TYPE_CHECKING:
    from deskterm.desk.audit import snapshots
    from deskterm.desk.automation import lease, runner, timers
    from deskterm.desk.csat import ratings
    from deskterm.desk.tickets import change
else:  # loaded on a use case's first call
    lease = lazy.module("deskterm.desk.automation.lease")
    snapshots = lazy.module("deskterm.desk.audit.snapshots")
    runner = lazy.module("deskterm.desk.automation.runner")
    timers = lazy.module("deskterm.desk.automation.timers")
    ratings = lazy.module("deskterm.desk.csat.ratings")
    change = lazy.module("deskterm.desk.tickets.change")


class AutomationCases(DeskCore):
    """The timers (escalation, pending reminders, auto-close) and CSAT."""

    def run_automation(self, *, holder: str, now: datetime | None = None) -> runner.PassReport:
        """One pass of the timers as ``holder`` (any agent's console or command may run it:
        the lease lets one act at a time, and what it does is the desk's own policy)."""
        self.actor  # noqa: B018  (a stranger is refused before the lease is taken)
        return runner.run_pass(self.store, holder=holder, now=now)

    @staticmethod
    def runner_name(kind: str) -> str:
        """The lease holder's name for a runner of ``kind`` in this process
        (``console:ada@host:1234``)."""
        return lease.holder_name(kind)

    def stop_automation(self, *, holder: str) -> None:
        """Give up the lease ``holder`` has (a runner stopping)."""
        runner.release(self.store, holder=holder)

    def automation_lease(self) -> lease.LeaseRead:
        with self._reading() as session:
            return lease.lease_of(session)

    def automation_settings(self) -> timers.TimerSettings:
        with self._reading() as session:
            return timers.read_settings(session)

    def set_automation_settings(self, *, close_solved_after_days: int | None = None,
                                remind_pending_after_days: int | None = None,
                                every_seconds: int | None = None,
                                batch: int | None = None) -> timers.TimerSettings:
        """Change the timers' settings (admins only)."""
        return self._audited(snapshots.automation, lambda session, _actor: timers.update_settings(
            session, close_solved_after_days=close_solved_after_days,
            remind_pending_after_days=remind_pending_after_days, every_seconds=every_seconds,
            batch=batch), admin="change the automation settings")

    def record_rating(self, number: int, *, score: int,
                      comment: str = "") -> ratings.RatingRead:
        """Write down the requester's rating of ticket ``number`` (phone feedback), replacing
        an earlier one."""
        ratings.check_score(score)

        def recording(session, actor) -> ratings.RatingRead:  # type: ignore[no-untyped-def]
            ticket = change.lock_ticket(session, number, actor=actor)
            return ratings.record_rating(session, ticket=ticket, score=score, comment=comment,
                                         agent=actor, at=utcnow())

        return self._writing(recording)

    def rating(self, number: int) -> ratings.RatingRead | None:
        """Ticket ``number``'s rating (None: not rated)."""
        with self._reading() as session:
            from deskterm.db.models import Ticket

            self._may_see(session, number)

            if session.get(Ticket, number) is None:
                raise NotFound(f"no ticket {ref(number)}")
            return ratings.rating_of(session, number)


__all__ = ["AutomationCases"]
