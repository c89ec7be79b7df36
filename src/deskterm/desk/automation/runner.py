"""The desk's timers: one pass escalates tickets about to breach their SLA
(:mod:`.escalation`), reminds on tickets left pending, and closes solved tickets nobody wrote
back to — each through the ticket kernel, ``via`` naming what acted (``sla:POLICY``,
``automation:pending-reminder``, ``automation:close-solved``).

A pass runs only under the lease (:mod:`.lease`): a console's timer, ``automate run`` and
``automate run --watch`` may all be running, and exactly one of them acts at a time. Each kind
of work is one indexed query for its tickets (``sla_due_at``; ``status, updated_at``;
``status, solved_at``), so a pass over a big desk with nothing to do costs a few index probes;
the work found is done in transactions of :data:`CHUNK` tickets, each ticket locked and looked at
afresh (another agent may have answered it meanwhile), at most ``batch`` of each kind per pass
(the rest in the next pass).

Days are calendar days (24 h), from the ticket's ``solved_at`` (auto-close) and its last change
(``updated_at``: pending reminders, so a reminder — itself a change — comes again only after
another N days of silence).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import exists, func
from sqlmodel import Session, col, select

from deskterm.db.engine import Store
from deskterm.db.models import AutomationMark, Customer, Event, Message, Ticket, key
from deskterm.db.types import utcnow
from deskterm.db.upsert import upsert
from deskterm.desk.automation import escalation, lease, timers
from deskterm.desk.errors import DeskError
from deskterm.desk.mail import outbox
from deskterm.desk.reads import ref
from deskterm.desk.tickets.change import Change, add_message, lock_ticket

CHUNK = 20
"""Tickets changed in one write transaction."""
BUDGET = 4.0
"""Seconds a pass goes on taking new chunks of work; what is left waits for the next pass (a
desk that comes back after days of no runner catches up over several passes, each short)."""
CLOSE_VIA = "automation:close-solved"
REMIND_VIA = "automation:pending-reminder"
MAX_REMINDERS = 3
"""Reminders one pending spell gets at most (from the change that made the ticket pending):
a customer who did not answer three does not want a fourth; the ticket waits for its agent."""
CAPPED = ("reminder", "capped")
"""The mark (``automation_marks`` kind, target) of a ticket that had its reminders: its ``at``
is the reminder pass that found the cap reached; the ticket is not looked at again until it
changes (``updated_at`` past the mark)."""

T = TypeVar("T")


@dataclass
class PassReport:
    """What one pass did (``ran`` False: another runner holds the lease)."""

    ran: bool
    holder: str | None = None
    """Who holds the lease (this runner when it ran)."""
    escalated: list[int] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """One line per ticket that could not be handled (it is tried again next pass)."""
    seconds: float = 0.0

    @property
    def changed(self) -> int:
        return len(self.escalated) + len(self.reminded) + len(self.closed)


# --- selection: one indexed query per kind of work ---------------------------------------------

def solved_to_close(session: Session, *, now: datetime, days: int, limit: int) -> list[int]:
    """Solved tickets solved at least ``days`` days before ``now`` (oldest first)."""
    if days <= 0:
        return []
    cutoff = now - timedelta(days=days)
    return [n for n in session.exec(
        select(Ticket.id).where(Ticket.status == "solved", col(Ticket.solved_at) <= cutoff)
        .order_by(col(Ticket.solved_at), col(Ticket.id)).limit(limit)).all() if n is not None]


def pending_to_remind(session: Session, *, now: datetime, days: int, limit: int) -> list[int]:
    """Pending tickets unchanged for at least ``days`` days (oldest first)."""
    if days <= 0:
        return []
    cutoff = now - timedelta(days=days)
    capped = exists().where(
        col(AutomationMark.ticket_id) == col(Ticket.id), col(AutomationMark.kind) == CAPPED[0],
        col(AutomationMark.target) == CAPPED[1],
        col(AutomationMark.at) >= col(Ticket.updated_at))
    return [n for n in session.exec(
        select(Ticket.id).where(Ticket.status == "pending", col(Ticket.updated_at) <= cutoff,
                                ~capped)
        .order_by(col(Ticket.updated_at), col(Ticket.id)).limit(limit)).all() if n is not None]


def reminders_this_spell(session: Session, number: int) -> int:
    """Reminders ticket ``number`` had since it was last made pending."""
    began = session.exec(
        select(Event.at).where(Event.ticket_id == number, Event.field == "status",
                               Event.new == "pending")
        .order_by(col(Event.id).desc()).limit(1)).first()
    query = select(func.count()).select_from(Message).where(
        Message.ticket_id == number, Message.via == REMIND_VIA)
    if began is not None:
        query = query.where(col(Message.created_at) >= began)
    return int(session.exec(query).one())


# --- the work on one ticket --------------------------------------------------------------------

def close_solved(session: Session, number: int, *, now: datetime, days: int) -> bool:
    """Close ticket ``number`` if it is still solved since ``days`` days before ``now``."""
    ticket = lock_ticket(session, number, actor=None)
    if ticket.status != "solved" or ticket.solved_at is None or \
            ticket.solved_at > now - timedelta(days=days):
        return False
    change = Change(session, ticket, None, via=CLOSE_VIA)
    change.now = now
    change.set_status("closed")
    change.finish()
    return True


def reminder_body(number: int, subject: str, name: str) -> str:
    hello = f"Hello {name}," if name.strip() else "Hello,"
    return "\n".join([
        hello, "",
        f"we are still waiting for your answer on {ref(number)} \"{subject}\".",
        "Just reply to this e-mail and the ticket goes back to our team.",
    ])


def remind_pending(session: Session, number: int, *, now: datetime, days: int) -> bool:
    """Remind on ticket ``number`` if it is still pending and unchanged for ``days`` days: an
    internal note says so and the requester is e-mailed (when the desk sends mail and knows
    their address)."""
    ticket = lock_ticket(session, number, actor=None)
    if ticket.status != "pending" or ticket.updated_at > now - timedelta(days=days):
        return False
    if reminders_this_spell(session, number) >= MAX_REMINDERS:
        upsert(session, AutomationMark, {"ticket_id": number, "kind": CAPPED[0],
                                         "target": CAPPED[1], "at": now},
               keys=("ticket_id", "kind", "target"), update=("at",))
        return False
    requester = session.get(Customer, ticket.requester_id)
    mailed = None
    if requester is not None and requester.email and outbox.sending_settings(session):
        mailed = outbox.queue_mail(
            session, number=key(ticket), kind="reminder", to_address=requester.email,
            to_name=requester.name, subject=f"[{ref(key(ticket))}] Waiting for your answer: "
            f"{ticket.subject}",
            body=reminder_body(key(ticket), ticket.subject, requester.name), auto=True)
    change = Change(session, ticket, None, via=REMIND_VIA)
    change.now = now
    told = ("the requester was e-mailed a reminder" if mailed is not None and
            mailed.state != "failed" else "the requester was not e-mailed (the desk's mail is "
            "off or their address cannot be written to)")
    add_message(change, public=False,
                body=f"Pending for {days} days without an answer: {told}.")
    change.finish()
    return True


# --- a pass ------------------------------------------------------------------------------------

def _chunks(items: Sequence[T], size: int = CHUNK) -> list[Sequence[T]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _work(store: Store, items: Sequence[T], act: Callable[[Session, T], bool],
          describe: Callable[[T], int], done: list[int], problems: list[str],
          still_ours: Callable[[], bool], deadline: float) -> bool:
    """``act`` on each item, :data:`CHUNK` per transaction; a chunk that fails is done again one
    item per transaction, so one bad ticket does not hold back the others. True when every
    item was done (or found not to need it) without a problem."""
    complete = True
    for chunk in _chunks(items):
        if time.perf_counter() > deadline:
            return False
        if not still_ours():
            problems.append("the lease was lost: another runner goes on")
            return False
        try:
            done += store.write(lambda session, chunk=chunk: [  # type: ignore[misc]
                describe(item) for item in chunk if act(session, item)])
        except DeskError:
            for item in chunk:
                try:
                    if store.write(lambda session, item=item: act(session, item)):  # type: ignore[misc]
                        done.append(describe(item))
                except DeskError as error:
                    problems.append(f"{ref(describe(item))}: {error}")
                    complete = False
    return complete


def run_pass(store: Store, *, holder: str, now: datetime | None = None,
             seconds: int = lease.LEASE_SECONDS, budget: float = BUDGET) -> PassReport:
    """One pass of the timers as ``holder``, if it gets the lease (see the module)."""
    started = time.perf_counter()
    given = now
    now = now or utcnow()
    taken = store.write(lambda session: lease.take(session, holder=holder, now=now,
                                                   seconds=seconds), quiet=True)
    if not taken:
        with store.read() as session:
            current = lease.lease_of(session)
        return PassReport(ran=False, holder=current.holder,
                          seconds=time.perf_counter() - started)
    report = PassReport(ran=True, holder=holder)

    def still_ours() -> bool:
        return bool(store.write(lambda session: lease.take(
            session, holder=holder, now=given or utcnow(), seconds=seconds),
            quiet=True))

    deadline = started + budget
    with store.read() as session:
        settings = timers.read_settings(session)
        since = lease.escalations_seen(session)
        to_escalate = escalation.due(session, now=now, limit=settings.batch, since=since)
        to_remind = pending_to_remind(session, now=now, days=settings.remind_pending_after_days,
                                      limit=settings.batch)
        to_close = solved_to_close(session, now=now, days=settings.close_solved_after_days,
                                   limit=settings.batch)
    escalated_all = _work(store, to_escalate, lambda s, c: escalation.escalate(s, c, now=now),
                          lambda c: c.number, report.escalated, report.problems, still_ours,
                          deadline) and len(to_escalate) < settings.batch
    if escalated_all:
        store.write(lambda session: lease.saw_escalations(session, holder=holder, at=now),
                    quiet=True)
    if to_remind:
        _work(store, to_remind, lambda s, n: remind_pending(
            s, n, now=now, days=settings.remind_pending_after_days),
            lambda n: n, report.reminded, report.problems, still_ours, deadline)
    if to_close:
        _work(store, to_close, lambda s, n: close_solved(
            s, n, now=now, days=settings.close_solved_after_days),
            lambda n: n, report.closed, report.problems, still_ours, deadline)
    store.write(lambda session: lease.passed(session, holder=holder, now=utcnow()), quiet=True)
    report.seconds = time.perf_counter() - started
    return report


def release(store: Store, *, holder: str) -> None:
    """Give the lease up (a runner that stops: the next one need not wait for it to expire)."""
    store.write(lambda session: lease.release(session, holder=holder, now=utcnow()),
                quiet=True)
