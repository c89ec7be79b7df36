"""SLA policies and due times on both stores: matching, each target, pause and resume, outcomes,
``sla load`` (atomic, recomputing open tickets) and its commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from deskterm.db.models import Customer, Organization, SlaOutcome, Ticket
from deskterm.desk.sla import policies, recompute
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.ticket import add_customer_message, add_reply

from .helpers import change, new_ticket

POLICIES = """
[[calendar]]
name = "office"
timezone = "Europe/Berlin"
[calendar.hours]
mon = [["09:00", "17:00"]]
tue = [["09:00", "17:00"]]
wed = [["09:00", "17:00"]]
thu = [["09:00", "17:00"]]
fri = [["09:00", "17:00"]]

[[policy]]
name = "Urgent"
priority = "urgent"
first_response = "30m"
next_response = "1h"
resolution = "4h"
[policy.escalation]
within_minutes = 10
tier = 2

[[policy]]
name = "VIP"
customer_tier = "vip"
first_response = 60
resolution = "8h"

[[policy]]
name = "Acme"
organization = "Acme"
first_response = 90

[[policy]]
name = "Everyone"
first_response = "2h"
next_response = "4h"
resolution = "24h"
"""


def load(store, text: str = POLICIES):
    def loading(session):
        if session.exec(select(Organization).where(Organization.name == "Acme")).first() is None:
            session.add(Organization(name="Acme"))
            session.flush()
        policies.replace(session, text, policies.parse_sla_toml(text))
        return recompute.recompute_open(session)
    return store.write(loading)


def row(store, number: int) -> Ticket:
    with store.read() as session:
        found = session.get(Ticket, number)
        assert found is not None
        return found


def outcomes(store, number: int) -> list[tuple[str, str]]:
    with store.read() as session:
        return [(o.target, o.outcome) for o in session.exec(
            select(SlaOutcome).where(SlaOutcome.ticket_id == number)
            .order_by(SlaOutcome.id)).all()]


def set_columns(store, number: int, **values) -> None:
    """Put a ticket's SLA state back in time (the tests cannot wait hours)."""
    def write(session):
        ticket = session.get(Ticket, number)
        for name, value in values.items():
            setattr(ticket, name, value)
        session.add(ticket)
    store.write(write)


def test_a_desk_without_policies_leaves_tickets_without_due_times(store, admin):
    ticket = new_ticket(store, admin)
    stored = row(store, ticket.number)
    assert (stored.sla_policy_id, stored.sla_due_at, stored.first_response_due_at) == (
        None, None, None)


def test_policies_match_in_order_by_priority_tier_and_organization(store, admin):
    load(store)

    def vip_and_acme(session):
        org = session.exec(select(Organization).where(Organization.name == "Acme")).one()
        from deskterm.desk.people.directory import get_or_create_customer
        vip = get_or_create_customer(session, email="v@vip.test", name="V")
        vip.tier = "vip"
        acme = get_or_create_customer(session, email="a@acme.test", name="A")
        acme.organization_id = org.id
        session.add_all([vip, acme])
    store.write(vip_and_acme)

    urgent_vip = new_ticket(store, admin, requester_email="v@vip.test", priority="urgent")
    vip = new_ticket(store, admin, requester_email="v@vip.test")
    acme = new_ticket(store, admin, requester_email="a@acme.test")
    other = new_ticket(store, admin, requester_email="o@else.test")

    names = {p.id: p.name for p in _policy_rows(store)}
    assert [names[row(store, t.number).sla_policy_id] for t in (urgent_vip, vip, acme, other)] \
        == ["Urgent", "VIP", "Acme", "Everyone"]
    stored = row(store, urgent_vip.number)
    assert stored.first_response_due_at == stored.created_at + timedelta(minutes=30)
    assert stored.resolution_due_at == stored.created_at + timedelta(hours=4)
    assert stored.next_response_due_at is None
    assert stored.sla_due_at == stored.first_response_due_at
    assert row(store, acme.number).resolution_due_at is None  # Acme has no resolution target


def _policy_rows(store):
    from deskterm.db.models import SlaPolicy
    with store.read() as session:
        return session.exec(select(SlaPolicy)).all()


def test_a_priority_change_moves_the_ticket_to_the_matching_policy(store, admin):
    load(store)
    ticket = new_ticket(store, admin)
    change(store, admin, ticket.number, priority="urgent")
    stored = row(store, ticket.number)
    assert stored.first_response_due_at == stored.created_at + timedelta(minutes=30)


def test_the_first_public_reply_meets_the_first_response_and_a_note_does_not(store, admin):
    load(store)
    ticket = new_ticket(store, admin)
    store.write(lambda s: tickets.add_note(s, actor=admin, number=ticket.number, body="hm"))
    assert row(store, ticket.number).first_response_due_at is not None
    store.write(lambda s: add_reply(s, actor=admin, number=ticket.number, body="On it"))
    stored = row(store, ticket.number)
    assert stored.first_response_due_at is None
    assert stored.sla_due_at == stored.resolution_due_at
    assert outcomes(store, ticket.number) == [("first_response", "met")]


def test_a_late_first_response_is_recorded_breached(store, admin):
    load(store)
    ticket = new_ticket(store, admin)
    set_columns(store, ticket.number,
                first_response_due_at=datetime.now(UTC) - timedelta(minutes=5))
    store.write(lambda s: add_reply(s, actor=admin, number=ticket.number, body="Sorry"))
    assert outcomes(store, ticket.number) == [("first_response", "breached")]
    with store.read() as session:
        outcome = session.exec(select(SlaOutcome)).one()
        assert outcome.met_at is not None and outcome.met_at > outcome.due_at
        assert outcome.policy_name == "Everyone"
    assert row(store, ticket.number).first_response_sla_met is False  # for the reports


def test_a_follow_up_starts_the_next_response_and_the_reply_meets_it(store, admin):
    load(store)
    ticket = new_ticket(store, admin)
    # Before the first response, a follow-up starts nothing: the first response is owed.
    store.write(lambda s: add_customer_message(s, number=ticket.number, body="Any news?"))
    assert row(store, ticket.number).next_response_due_at is None
    store.write(lambda s: add_reply(s, actor=admin, number=ticket.number, body="Looking",
                                    status="pending"))
    store.write(lambda s: add_customer_message(s, number=ticket.number, body="Still broken"))
    stored = row(store, ticket.number)
    assert stored.status == "open"
    assert stored.next_response_started_at is not None
    assert stored.next_response_due_at == stored.next_response_started_at + timedelta(hours=4)
    store.write(lambda s: add_reply(s, actor=admin, number=ticket.number, body="Fixed?"))
    stored = row(store, ticket.number)
    assert (stored.next_response_due_at, stored.next_response_started_at) == (None, None)
    assert outcomes(store, ticket.number) == [("first_response", "met"),
                                              ("next_response", "met")]


def test_pending_stops_the_clock_and_resuming_pushes_the_due_times(store, admin):
    load(store)
    ticket = new_ticket(store, admin)
    before = row(store, ticket.number)
    change(store, admin, ticket.number, status="pending")
    paused = row(store, ticket.number)
    assert paused.sla_paused_at is not None and paused.sla_due_at is None
    assert paused.resolution_due_at == before.resolution_due_at
    # As if it had waited on the customer for two hours (around the clock: 120 minutes).
    set_columns(store, ticket.number, sla_paused_at=paused.sla_paused_at - timedelta(hours=2))
    change(store, admin, ticket.number, status="open")
    resumed = row(store, ticket.number)
    assert resumed.sla_paused_at is None
    assert resumed.sla_paused_minutes == 120
    assert resumed.resolution_due_at == before.resolution_due_at + timedelta(hours=2)
    assert resumed.first_response_due_at == before.first_response_due_at + timedelta(hours=2)
    assert resumed.sla_due_at == resumed.first_response_due_at


def test_on_hold_pauses_in_business_time_of_the_policy_calendar(store, admin):
    load(store, POLICIES.replace('name = "Everyone"\n',
                                 'name = "Everyone"\ncalendar = "office"\n'))
    ticket = new_ticket(store, admin)
    change(store, admin, ticket.number, status="on_hold")
    # Paused from Friday 16:00 to Monday 10:00 Berlin time: 2 business hours.
    set_columns(store, ticket.number,
                sla_paused_at=datetime(2026, 6, 12, 14, 0, tzinfo=UTC))
    before = row(store, ticket.number)

    def resume(session):
        from deskterm.desk.sla import due
        stored = session.get(Ticket, ticket.number)
        stored.status = "open"
        due.refresh(session, stored, datetime(2026, 6, 15, 8, 0, tzinfo=UTC))
    store.write(resume)
    after = row(store, ticket.number)
    assert after.sla_paused_minutes == before.sla_paused_minutes + 120


def test_solving_meets_the_resolution_and_stops_every_target(store, admin):
    load(store)
    ticket = new_ticket(store, admin)
    store.write(lambda s: add_reply(s, actor=admin, number=ticket.number, body="Done",
                                    status="solved"))
    stored = row(store, ticket.number)
    assert (stored.sla_due_at, stored.resolution_due_at, stored.first_response_due_at) == (
        None, None, None)
    assert outcomes(store, ticket.number) == [("first_response", "met"), ("resolution", "met")]
    assert (stored.first_response_sla_met, stored.resolution_sla_met) == (True, True)
    # The requester writes back: reopened, the resolution runs again (against the same due).
    store.write(lambda s: add_customer_message(s, number=ticket.number, body="Not fixed"))
    reopened = row(store, ticket.number)
    assert (reopened.first_response_sla_met, reopened.resolution_sla_met) == (True, None)
    assert reopened.resolution_due_at == reopened.created_at + timedelta(hours=24)
    assert reopened.next_response_due_at is not None


def test_loading_recomputes_open_tickets_filed_before_and_a_new_file_replaces(store, admin):
    first = new_ticket(store, admin)
    done = load(store)
    assert (done.open_tickets, done.with_policy, done.changed) == (1, 1, 1)
    stored = row(store, first.number)
    assert stored.first_response_due_at == stored.created_at + timedelta(hours=2)
    assert load(store).changed == 0  # the same file again: nothing to write

    only_urgent = POLICIES[:POLICIES.index('[[policy]]\nname = "VIP"')]
    done = load(store, only_urgent)
    assert done.with_policy == 0
    stored = row(store, first.number)
    assert (stored.sla_policy_id, stored.sla_due_at) == (None, None)
    assert [p.name for p in _policy_rows(store)] == ["Urgent"]


def test_a_file_naming_a_missing_group_changes_nothing(store, admin):
    load(store)
    bad = POLICIES.replace("tier = 2", "tier = 2\ngroup = \"Nobody\"")
    with pytest.raises(Exception, match="line 21: policy 'Urgent': no group 'Nobody'"):
        load(store, bad)
    assert len(_policy_rows(store)) == 4


def test_every_problem_of_a_file_is_named_with_its_line():
    bad = POLICIES.replace('timezone = "Europe/Berlin"', 'timezone = "Nowhere/Town"') \
        .replace('first_response = 60', 'first_response = "an hour"') \
        .replace('priority = "urgent"', 'priority = "asap"')
    with pytest.raises(Exception) as caught:
        policies.parse_sla_toml(bad)
    lines = str(caught.value).splitlines()
    assert lines == [
        "line 4: calendar 'office': timezone: unknown time zone 'Nowhere/Town'",
        "line 14: policy 'Urgent': priority 'asap' is not one of: low, normal, high, urgent",
        "line 25: policy 'VIP': first_response: 'an hour' is not minutes (90) or a duration "
        "(\"1h 30m\")",
    ]


def _acme(store) -> None:
    store.write(lambda session: session.add(Organization(name="Acme")))


def test_sla_commands_load_list_and_show(cli, store, admin, tmp_path):
    _acme(store)
    path = tmp_path / "sla.toml"
    path.write_text(POLICIES)
    loaded = cli("sla", "load", str(path))
    assert loaded.exit_code == 0, loaded.stderr
    assert "loaded 4 SLA policies and 1 calendars" in loaded.stdout
    listed = cli("sla", "list")
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == [
        "Urgent", "VIP", "Acme", "Everyone"]
    shown = cli("sla", "show", "Urgent")
    assert "first response: 30m" in shown.stdout
    assert "escalation: within 10m of the breach, tier 2" in shown.stdout


def test_sla_commands_refuse_bad_input_in_one_line(cli, admin, tmp_path):
    missing = cli("sla", "load", str(tmp_path / "none.toml"))
    assert (missing.exit_code, missing.stderr.count("\n")) == (1, 1)
    assert "no such file" in missing.stderr
    wrong = cli("sla", "load", "--colour", "x")
    assert wrong.exit_code == 2 and "No such option" in wrong.stderr
    assert cli("sla", "show", "Ghost").stderr == "deskterm: no SLA policy 'Ghost'\n"
    assert cli("sla", "load", "--help").exit_code == 0
    bad = tmp_path / "bad.toml"
    bad.write_text('[[policy]]\nname = "A"\npriority = "x"\nfirst_response = "1y"\n')
    refused = cli("sla", "load", str(bad))
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1].endswith("2 problems; nothing was changed")
    assert "line 3: policy 'A': priority 'x'" in refused.stderr


def test_an_agent_cannot_load_policies(cli, store, tmp_path, agent, as_user):
    _acme(store)
    path = tmp_path / "sla.toml"
    path.write_text(POLICIES)
    as_user("bert")
    refused = cli("sla", "load", str(path))
    assert refused.exit_code == 1 and "admin" in refused.stderr
    assert _policy_rows_empty(cli)


def _policy_rows_empty(cli) -> bool:
    return cli("sla", "list").stdout.strip() == ""


# --- the queue's sla: filters and sort:sla -----------------------------------------------------


def _queue(store, admin, text: str, now: datetime) -> list[int]:
    from deskterm.desk.service import Desk
    window = Desk(store, admin).queue_window(text, start=0, count=50, now=now)
    assert window.total == len(window.rows)
    return [row.number for row in window.rows]


def test_sla_filters_and_sort_on_business_time(store, admin):
    load(store, POLICIES.replace('name = "Everyone"\n', 'name = "Everyone"\ncalendar = "office"\n'))
    late, soon, later, plain, paused = (new_ticket(store, admin).number for _ in range(5))
    change(store, admin, paused, status="pending")
    # Monday 15 June 2026, 10:00 Berlin (08:00 UTC); "Everyone": 2h first response, 24h
    # resolution, in office hours (09:00-17:00).
    now = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
    for number, due in ((late, now - timedelta(minutes=5)), (soon, now + timedelta(minutes=20)),
                        (later, now + timedelta(days=1))):
        set_columns(store, number, first_response_due_at=due, sla_due_at=due)
    set_columns(store, plain, sla_policy_id=None, first_response_due_at=None,
                resolution_due_at=None, sla_due_at=None)

    assert _queue(store, admin, "sla:breached", now) == [late]
    assert _queue(store, admin, "sla:<1h sort:sla", now) == [late, soon]
    assert _queue(store, admin, "sla:at_risk", now) == [soon]  # 20 of 120 minutes left
    assert set(_queue(store, admin, "sla:none", now)) == {plain, paused}
    assert set(_queue(store, admin, "-sla:breached", now)) == {soon, later, plain, paused}
    assert _queue(store, admin, "sla:>=2h", now) == [later]
    assert _queue(store, admin, "sort:sla", now)[:3] == [late, soon, later]
    assert _queue(store, admin, "sort:-sla", now)[-3:] == [later, soon, late]
    # Friday 16:50 Berlin: a due time Monday 09:20 is 30 business minutes away, not 64 hours.
    friday = datetime(2026, 6, 19, 14, 50, tzinfo=UTC)
    set_columns(store, later, first_response_due_at=datetime(2026, 6, 22, 7, 20, tzinfo=UTC),
                sla_due_at=datetime(2026, 6, 22, 7, 20, tzinfo=UTC))
    assert later in _queue(store, admin, "sla:<1h", friday)


def test_the_builtin_sla_views_parse_and_run(store, admin):
    from deskterm.desk.queue.builtin import BUILTIN_VIEWS
    load(store)
    late = new_ticket(store, admin).number
    set_columns(store, late, first_response_due_at=datetime(2026, 1, 1, tzinfo=UTC),
                sla_due_at=datetime(2026, 1, 1, tzinfo=UTC))
    views = {view.key: view.query for view in BUILTIN_VIEWS}
    now = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
    assert _queue(store, admin, views["breached"], now) == [late]
    assert _queue(store, admin, views["sla-at-risk"], now) == []


def test_the_console_countdown_counts_business_time():
    from deskterm.desk.sla.calendar import BusinessCalendar
    from deskterm.desk.sla.clock import PolicyClock, SlaClock, describe_left
    from deskterm.desk.tickets.summary import SlaTimes

    office = BusinessCalendar(timezone="Europe/Berlin",
                              hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed",
                                                                        "thu", "fri")})
    clock = SlaClock({1: PolicyClock("Office", office, 240, None, None)})
    friday = datetime(2026, 6, 19, 14, 0, tzinfo=UTC)  # 16:00 Berlin
    due = datetime(2026, 6, 22, 8, 10, tzinfo=UTC)      # Monday 10:10 Berlin
    state = clock.state(SlaTimes(1, due, first_response_due_at=due), friday)
    assert (state.text, state.level) == ("2h 10m", "ok")
    monday = datetime(2026, 6, 22, 7, 30, tzinfo=UTC)  # 09:30 Berlin
    state = clock.state(SlaTimes(1, due, first_response_due_at=due), monday)
    assert (state.text, state.level) == ("40m", "warning")  # under 60 of 240 minutes left
    state = clock.state(SlaTimes(1, due, first_response_due_at=due),
                        due + timedelta(minutes=35))
    assert (state.text, state.level) == ("-35m", "breached")
    assert clock.state(SlaTimes(1, None, paused_at=friday), friday).text == "paused"
    assert clock.state(None, friday) is None
    assert [describe_left(m) for m in (0, 59, 60, 61, 600, -90)] == [
        "0m", "59m", "1h", "1h 1m", "10h", "-1h 30m"]
    # past 48 hours, days: "-13d 20h" rather than "-332h"
    assert [describe_left(m) for m in (48 * 60, 49 * 60, -332 * 60 - 5, 72 * 60)] == [
        "48h", "2d 1h", "-13d 20h", "3d"]


def test_the_first_reply_and_the_solve_leave_business_minutes_for_the_reports(store, admin):
    load(store, POLICIES.replace('name = "Everyone"\n', 'name = "Everyone"\ncalendar = "office"\n'))
    ticket = new_ticket(store, admin)

    def at(day: int, hour: int) -> datetime:
        return datetime(2026, 6, day, hour, 0, tzinfo=UTC)

    def step(status: str, now: datetime, **fields) -> Ticket:
        def write(session):
            from deskterm.desk.sla import due
            stored = session.get(Ticket, ticket.number)
            stored.status = status
            for name, value in fields.items():
                setattr(stored, name, value)
            due.refresh(session, stored, now)
        store.write(write)
        return row(store, ticket.number)

    # Filed Friday 16:00 in Berlin, answered Monday 10:00: 1 h on Friday, 1 h on Monday.
    answered = step("open", at(15, 8), created_at=at(12, 14), first_response_at=at(15, 8))
    assert (answered.first_response_business_minutes,
            answered.resolution_business_minutes) == (120, None)
    # Solved Tuesday 09:00 Berlin: Friday's hour and Monday's eight.
    solved = step("solved", at(16, 7), solved_at=at(16, 7))
    assert (solved.first_response_business_minutes, solved.resolution_business_minutes) == (
        120, 540)
    # Reopened, the resolution is forgotten until the next solve; the first reply stays.
    reopened = step("open", at(16, 8))
    assert (reopened.first_response_business_minutes,
            reopened.resolution_business_minutes) == (120, None)
    assert step("solved", at(17, 7), solved_at=at(17, 7)).resolution_business_minutes == 1020


def test_a_policy_without_a_calendar_leaves_the_reports_the_wall_clock(store, admin):
    load(store)
    ticket = new_ticket(store, admin)
    store.write(lambda s: add_reply(s, actor=admin, number=ticket.number, body="Done",
                                    status="solved"))
    stored = row(store, ticket.number)
    assert stored.first_response_at is not None and stored.solved_at is not None
    assert (stored.first_response_business_minutes, stored.resolution_business_minutes) == (
        None, None)



CALENDARED = POLICIES.replace('name = "VIP"\n', 'name = "VIP"\ncalendar = "office"\n') \
    .replace('name = "Everyone"\n', 'name = "Everyone"\ncalendar = "office"\n')


def test_a_calendar_change_recomputes_every_open_ticket_as_a_change_would(store, admin):
    """``sla load`` (set-based SQL on SQLite) writes what the ticket-by-ticket computation of
    a change gives: each state (new, answered with a next response running, paused, pending,
    on hold), each policy (tier, organization, priority) and a ticket no policy matches."""
    from deskterm.desk.people.directory import get_or_create_customer
    from deskterm.desk.sla import due as sla_due

    load(store)

    def customers(session):
        org = session.exec(select(Organization).where(Organization.name == "Acme")).one()
        get_or_create_customer(session, email="v@vip.test", name="V").tier = "vip"
        get_or_create_customer(session, email="a@acme.test", name="A").organization_id = org.id
    store.write(customers)
    made = [new_ticket(store, admin, requester_email=email, priority=priority)
            for email, priority in (("o@else.test", "normal"), ("a@acme.test", "normal"),
                                    ("o@else.test", "urgent"), ("o@else.test", "low"),
                                    ("v@vip.test", "high"), ("o@else.test", "normal"))]
    answered, pending, on_hold, paused = (t.number for t in made[:4])
    store.write(lambda s: add_reply(s, actor=admin, number=answered, body="Looking"))
    store.write(lambda s: add_customer_message(s, number=answered, body="Still broken"))
    change(store, admin, pending, status="pending")
    change(store, admin, on_hold, status="on_hold")
    set_columns(store, paused, sla_paused_minutes=95)

    only_vip_and_urgent = CALENDARED[:CALENDARED.index('[[policy]]\nname = "Acme"')]
    for text in (CALENDARED, only_vip_and_urgent):
        done = load(store, text)
        assert done.open_tickets == len(made)
        with store.read() as session:
            policies = sla_due.load_policies(session)
            for ticket in made:
                stored = session.get(Ticket, ticket.number)
                requester = session.get(Customer, stored.requester_id)
                policy = policies.match(stored.priority, requester.tier,
                                        requester.organization_id)
                want = sla_due.compute(
                    policy, status=stored.status, created_at=stored.created_at,
                    first_response_at=stored.first_response_at,
                    next_response_started_at=stored.next_response_started_at,
                    paused_minutes=stored.sla_paused_minutes,
                    next_paused_minutes=stored.next_response_paused_minutes,
                    paused=stored.sla_paused_at is not None)
                assert (stored.sla_policy_id, stored.first_response_due_at,
                        stored.next_response_due_at, stored.resolution_due_at,
                        stored.sla_due_at) == (
                    policy.id if policy else None, want.first_response, want.next_response,
                    want.resolution, want.earliest), (ticket.number, text[-40:])
                waiting = stored.status in ("pending", "on_hold") and policy is not None
                assert (stored.sla_paused_at is not None) == waiting
        assert load(store, text).changed == 0  # the same file again writes nothing
        running = row(store, answered).next_response_due_at is not None
        assert running == (text == CALENDARED)  # under "Everyone", then under no policy
    assert row(store, made[5].number).sla_policy_id is None


def test_a_recompute_across_dst_holidays_and_pauses_matches_each_ticket_s_own_computation(
        store, admin):
    """``sla load``'s set-based recompute (SQL on both stores: on PostgreSQL the calendar's
    intervals looked up in a table) gives what :func:`sla_due.compute` gives ticket by
    ticket, for tickets filed on every kind of moment: before, inside and after business
    hours, on weekends, around both DST changes, on public and extra holidays, with paused
    minutes and next responses running."""
    import random

    from deskterm.desk.sla import due as sla_due

    text = CALENDARED.replace(
        'timezone = "Europe/Berlin"\n',
        'timezone = "Europe/Berlin"\nholidays = { country = "DE", subdivision = "BY" }\n'
        'extra_holidays = ["2026-12-24"]\n')
    load(store)
    chance = random.Random(14)
    base = [datetime(2026, 3, 27, 7, tzinfo=UTC), datetime(2026, 10, 23, 15, tzinfo=UTC),
            datetime(2026, 12, 23, 16, 30, tzinfo=UTC), datetime(2026, 5, 29, 12, tzinfo=UTC)]
    made = []
    for i in range(24):
        ticket = new_ticket(store, admin, priority=("urgent", "normal", "high")[i % 3])
        created = base[i % 4] + timedelta(minutes=chance.randrange(0, 4 * 24 * 60))
        answered = created + timedelta(minutes=chance.randrange(1, 600)) if i % 2 else None
        set_columns(store, ticket.number, created_at=created, first_response_at=answered,
                    next_response_started_at=(answered + timedelta(minutes=30)
                                              if answered and i % 4 == 1 else None),
                    sla_paused_minutes=chance.choice((0, 0, 17, 600, 5000)),
                    next_response_paused_minutes=chance.choice((0, 45)))
        made.append(ticket.number)
    done = load(store, text)
    assert done.open_tickets == len(made) and done.with_policy == len(made)
    calendared: list[bool] = []
    with store.read() as session:
        known = sla_due.load_policies(session)
        for number in made:
            stored = session.get(Ticket, number)
            policy = known.match(stored.priority, None, None)
            want = sla_due.compute(
                policy, status=stored.status, created_at=stored.created_at,
                first_response_at=stored.first_response_at,
                next_response_started_at=stored.next_response_started_at,
                paused_minutes=stored.sla_paused_minutes,
                next_paused_minutes=stored.next_response_paused_minutes, paused=False)
            assert policy is not None
            calendared.append(policy.calendar is not None)
            assert (stored.sla_policy_id, stored.first_response_due_at,
                    stored.next_response_due_at, stored.resolution_due_at,
                    stored.sla_due_at) == (policy.id, want.first_response, want.next_response,
                                           want.resolution, want.earliest), number
    assert calendared.count(True) == 16  # normal and high in the office's hours, urgent 24x7
    assert load(store, text).changed == 0
