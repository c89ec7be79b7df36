"""The desk's timers on both stores: the lease (two runners at once, one acts), SLA escalation
(once per target, through the kernel as sla:POLICY), pending reminders, auto-close at its
boundary, and the CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from deskterm.db.models import AutomationMark, Event, Message, OutboxMail, Ticket
from deskterm.db.types import utcnow
from deskterm.desk.automation import lease, runner
from deskterm.desk.errors import PermissionDenied
from deskterm.desk.mail import settings as mail_settings
from deskterm.desk.people import directory as people
from deskterm.desk.service import Desk

from .helpers import change, detail, new_ticket
from .test_concurrency import assert_no_errors, run_workers

SLA = """
[[policy]]
name = "Standard"
first_response = "1h"
resolution = "8h"
[policy.escalation]
within_minutes = 30
tier = 2
group = "Level 2"
note = "Escalated: the first response is late."
"""


@pytest.fixture
def desk(store, admin) -> Desk:
    return Desk(store, admin)


def _events(store, number: int, via: str) -> list[Event]:
    with store.read() as session:
        return list(session.exec(select(Event).where(Event.ticket_id == number,
                                                     Event.via == via)).all())


def _ticket(store, number: int) -> Ticket:
    with store.read() as session:
        found = session.get(Ticket, number)
        assert found is not None
        return found


def _age(store, number: int, **fields) -> None:
    """Set time columns of a ticket directly (the test's clock: tickets filed days ago)."""
    def aging(session):
        ticket = session.get(Ticket, number)
        for name, value in fields.items():
            setattr(ticket, name, value)
        session.add(ticket)
    store.write(aging)


# --- the lease ---------------------------------------------------------------------------------

def test_a_second_runner_does_not_act_while_the_first_holds_the_lease(store, desk):
    now = utcnow()
    assert store.write(lambda s: lease.take(s, holder="one", now=now))
    assert not store.write(lambda s: lease.take(s, holder="two", now=now))
    report = desk.run_automation(holder="two", now=now)
    assert not report.ran and report.holder == "one"
    # the holder renews; once it expires another takes it
    assert store.write(lambda s: lease.take(s, holder="one", now=now))
    later = now + timedelta(seconds=lease.LEASE_SECONDS + 1)
    assert store.write(lambda s: lease.take(s, holder="two", now=later))
    runner.release(store, holder="two")
    assert desk.automation_lease().holder is None


def _take_lease(store, index: int) -> bool:
    return bool(store.write(lambda s: lease.take(s, holder=f"runner-{index}", now=utcnow())))


def test_two_runners_at_once_exactly_one_takes_the_lease(store):
    url = store.url.render_as_string(hide_password=False)
    reports = run_workers(_take_lease, url, workers=2)
    assert_no_errors(reports)
    assert sorted(report["result"] for report in reports) == [False, True]


def _run_pass(store, index: int) -> list[int]:
    return runner.run_pass(store, holder=f"runner-{index}").closed


def test_two_passes_at_once_close_each_ticket_once(store, desk, admin):
    numbers = [new_ticket(store, admin).number for _ in range(3)]
    for number in numbers:
        change(store, admin, number, status="solved")
        _age(store, number, solved_at=utcnow() - timedelta(days=5))
    url = store.url.render_as_string(hide_password=False)
    reports = run_workers(_run_pass, url, workers=2)
    assert_no_errors(reports)
    closed = sorted(n for report in reports for n in report["result"])
    assert closed == numbers
    for number in numbers:
        assert _ticket(store, number).status == "closed"
        assert len(_events(store, number, runner.CLOSE_VIA)) == 1


# --- auto-close ----------------------------------------------------------------------------------

def test_a_solved_ticket_closes_after_exactly_the_set_days_not_a_second_before(store, desk,
                                                                                 admin):
    number = new_ticket(store, admin).number
    change(store, admin, number, status="solved")
    solved_at = _ticket(store, number).solved_at
    assert solved_at is not None
    early = desk.run_automation(holder="t", now=solved_at + timedelta(days=4, seconds=-1))
    assert early.closed == [] and _ticket(store, number).status == "solved"
    on_time = desk.run_automation(holder="t", now=solved_at + timedelta(days=4))
    assert on_time.closed == [number]
    ticket = _ticket(store, number)
    assert ticket.status == "closed"
    (event,) = _events(store, number, runner.CLOSE_VIA)
    assert (event.field, event.old, event.new, event.actor_agent_id) == (
        "status", "solved", "closed", None)
    assert [e.by for e in detail(store, number).events if e.field == "status"][-1] == \
        runner.CLOSE_VIA


def test_a_customer_reply_reopens_so_the_ticket_never_auto_closes(store, desk, admin):
    from deskterm.desk.tickets import ticket as tickets

    number = new_ticket(store, admin).number
    change(store, admin, number, status="solved")
    store.write(lambda s: tickets.add_customer_message(s, number=number, body="Still broken."))
    later = utcnow() + timedelta(days=30)
    assert desk.run_automation(holder="t", now=later).closed == []
    assert _ticket(store, number).status == "open"


def test_auto_close_off_and_the_days_set_by_an_admin(store, desk, admin, agent):
    settings = desk.set_automation_settings(close_solved_after_days=0)
    assert settings.close_solved_after_days == 0
    number = new_ticket(store, admin).number
    change(store, admin, number, status="solved")
    assert desk.run_automation(holder="t", now=utcnow() + timedelta(days=99)).closed == []
    with pytest.raises(PermissionDenied):
        Desk(store, agent).set_automation_settings(close_solved_after_days=2)


# --- pending reminders ---------------------------------------------------------------------------

def test_a_pending_ticket_gets_one_reminder_per_quiet_period(store, desk, admin):
    store.write(lambda s: mail_settings.update_settings(
        s, from_address="help@desk.test", from_name="Acme Help"))
    number = new_ticket(store, admin).number
    change(store, admin, number, status="pending")
    updated = _ticket(store, number).updated_at
    first = desk.run_automation(holder="t", now=updated + timedelta(days=3))
    assert first.reminded == [number]
    again = desk.run_automation(holder="t", now=updated + timedelta(days=3, hours=1))
    assert again.reminded == []
    with store.read() as session:
        notes = session.exec(select(Message).where(Message.ticket_id == number,
                                                   Message.via == runner.REMIND_VIA)).all()
        mails = session.exec(select(OutboxMail).where(OutboxMail.ticket_id == number,
                                                      OutboxMail.kind == "reminder")).all()
    assert len(notes) == 1 and not notes[0].public and notes[0].author_agent_id is None
    assert "e-mailed a reminder" in notes[0].body
    assert len(mails) == 1 and mails[0].to_address == "carol@acme.test"
    assert _ticket(store, number).status == "pending"
    third = desk.run_automation(holder="t", now=updated + timedelta(days=6, hours=2))
    assert third.reminded == [number]


def test_a_pending_spell_gets_at_most_three_reminders(store, desk, admin):
    number = new_ticket(store, admin).number
    change(store, admin, number, status="pending")
    start = _ticket(store, number).updated_at
    reminded = [desk.run_automation(holder="t", now=start + timedelta(days=3 * k, hours=k))
                .reminded for k in range(1, 6)]
    assert reminded == [[number]] * runner.MAX_REMINDERS + [[], []]
    with store.read() as session:
        assert runner.pending_to_remind(session, now=start + timedelta(days=30), days=3,
                                        limit=10) == []  # capped: not even looked at
    # back to the agent and pending again: a new spell, reminded again
    change(store, admin, number, status="open")
    change(store, admin, number, status="pending")
    again = start + timedelta(days=20)  # the test's clock: after the passes above

    def later(session):
        for event in session.exec(select(Event).where(Event.ticket_id == number,
                                                      Event.field == "status")
                                  .order_by(col(Event.id))).all()[-2:]:
            event.at = again
            session.add(event)
    store.write(later)
    _age(store, number, updated_at=again)
    assert desk.run_automation(holder="t", now=again + timedelta(days=3)).reminded == [number]


# --- SLA escalation ------------------------------------------------------------------------------

@pytest.fixture
def sla_desk(store, desk, admin):
    store.write(lambda s: people.add_group(s, name="Level 2"))
    desk.load_sla(SLA)
    return desk


def test_a_ticket_about_to_breach_is_escalated_once_per_target(store, sla_desk, admin):
    number = new_ticket(store, admin).number
    ticket = _ticket(store, number)
    assert ticket.first_response_due_at is not None
    due = ticket.first_response_due_at
    assert sla_desk.run_automation(holder="t", now=due - timedelta(minutes=31)).escalated == []
    report = sla_desk.run_automation(holder="t", now=due - timedelta(minutes=29))
    assert report.escalated == [number]
    ticket = _ticket(store, number)
    assert ticket.tier == 2
    shown = detail(store, number)
    assert shown.ticket.group == "Level 2"
    changed = {e.field: e for e in shown.events if e.by == "sla:Standard"}
    assert set(changed) >= {"tier", "group"}
    notes = [m for m in shown.messages if not m.public and "first response is late" in m.body]
    assert len(notes) == 1
    # breached now, and the pass after: nothing more for this target
    assert sla_desk.run_automation(holder="t", now=due + timedelta(hours=1)).escalated == []
    with store.read() as session:
        marks = session.exec(select(AutomationMark).where(
            AutomationMark.ticket_id == number)).all()
    assert [(m.kind, m.target) for m in marks] == [("escalation", "first_response")]


def test_an_answered_ticket_is_escalated_for_its_next_target_only(store, sla_desk, admin):
    from deskterm.desk.tickets import ticket as tickets

    number = new_ticket(store, admin).number
    store.write(lambda s: tickets.add_reply(s, actor=admin, number=number, body="On it."))
    ticket = _ticket(store, number)
    assert ticket.first_response_due_at is None and ticket.resolution_due_at is not None
    report = sla_desk.run_automation(holder="t", now=ticket.resolution_due_at)
    assert report.escalated == [number]
    with store.read() as session:
        targets = session.exec(select(AutomationMark.target).where(
            AutomationMark.ticket_id == number).order_by(col(AutomationMark.target))).all()
    assert list(targets) == ["resolution"]


def test_each_next_response_target_is_escalated_once(store, desk, admin):
    from deskterm.desk.tickets import ticket as tickets

    store.write(lambda s: people.add_group(s, name="Level 2"))
    desk.load_sla(SLA.replace('resolution = "8h"', 'next_response = "2h"'))
    number = new_ticket(store, admin).number
    store.write(lambda s: tickets.add_reply(s, actor=admin, number=number, body="On it."))
    escalated = []
    for round_ in range(2):
        store.write(lambda s: tickets.add_customer_message(s, number=number, body="Any news?"))
        due = _ticket(store, number).next_response_due_at
        assert due is not None, round_
        # the test's clock: each round hours after the last pass, the ticket changed since it
        now = due + timedelta(hours=3 * round_)
        _age(store, number, updated_at=now)
        escalated += desk.run_automation(holder="t", now=now).escalated
        assert desk.run_automation(holder="t", now=now + timedelta(hours=1)).escalated == []
        store.write(lambda s: tickets.add_reply(s, actor=admin, number=number, body="Soon."))
    assert escalated == [number, number]  # once for each of the two next responses


def test_a_pass_with_nothing_to_do_changes_nothing(store, sla_desk, admin):
    number = new_ticket(store, admin).number
    version = _ticket(store, number).version
    report = sla_desk.run_automation(holder="t")
    assert report.ran and report.changed == 0 and report.problems == []
    assert _ticket(store, number).version == version


# --- the CLI ---------------------------------------------------------------------------------

def test_cli_automate_run_settings_and_status(cli, store, admin):
    number = new_ticket(store, admin).number
    change(store, admin, number, status="solved")
    _age(store, number, solved_at=utcnow() - timedelta(days=10))
    result = cli("automate", "run")
    assert result.exit_code == 0, result.stderr
    assert f"closed 1 (#{number})" in result.stdout
    assert cli("automate", "settings", "--close-after", "7").exit_code == 0
    shown = cli("automate", "settings", "--json")
    assert '"close_solved_after_days": 7' in shown.stdout
    status = cli("automate", "status")
    assert "lease:     free" in status.stdout and "last pass: 20" in status.stdout


def test_cli_automate_bad_input_is_one_line(cli, admin):
    wrong = cli("automate", "settings", "--close-after", "9999")
    assert wrong.exit_code == 1
    assert wrong.stderr.strip().count("\n") == 0 and "between 0 and 365" in wrong.stderr
    flag = cli("automate", "run", "--nope")
    assert flag.exit_code == 2 and "No such option" in flag.stderr
    assert "Traceback" not in wrong.stderr + flag.stderr


TWO_POLICIES = """
[[policy]]
name = "Urgent"
priority = "urgent"
first_response = "30m"
[policy.escalation]
within_minutes = 10
tier = 3

[[policy]]
name = "Standard"
first_response = "1h"
"""


def test_a_ticket_made_urgent_after_a_pass_is_escalated_though_its_due_time_passed(store,
                                                                                   desk, admin):
    desk.load_sla(TWO_POLICIES)
    number = new_ticket(store, admin).number
    _age(store, number, created_at=utcnow() - timedelta(hours=2))
    assert desk.run_automation(holder="t").escalated == []  # Standard does not escalate
    change(store, admin, number, priority="urgent")  # now due 90 minutes ago, under Urgent
    ticket = _ticket(store, number)
    assert ticket.sla_due_at is not None and ticket.sla_due_at < utcnow()
    assert desk.run_automation(holder="t").escalated == [number]
    assert _ticket(store, number).tier == 3
