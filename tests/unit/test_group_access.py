"""Group access: a restricted group's tickets are seen and changed by its members and admins
only, everywhere an agent reads or changes tickets, on both stores; an agent naming one gets one
line naming its group, never its subject; the system (mail, rules, timers) sees every ticket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskterm.desk import opening
from deskterm.desk.errors import PermissionDenied
from deskterm.desk.people import directory as people
from deskterm.desk.reports.model import ReportRange
from deskterm.desk.service import Desk
from deskterm.desk.tickets import change as kernel
from deskterm.desk.tickets.bulk import BulkChange
from deskterm.desk.tickets.change import TicketChanges

SECRET = "Refund of invoice 4711"
"""The restricted ticket's subject: never shown to an agent outside its group."""


class Team:
    """ada (admin), bert (agent, in no group), cleo (agent, in Billing); Billing restricted,
    Network open; a ticket in each and one in no group, all from one requester."""

    def __init__(self, store, admin, agent) -> None:
        self.store = store
        self.ada, self.bert = Desk(store, admin), Desk(store, agent)
        store.write(lambda s: people.add_agent(s, username="cleo", display_name="Cleo"))
        self.cleo = Desk(store, username="cleo")
        self.ada.add_group("Billing", restricted=True)
        self.ada.add_member("Billing", "cleo")
        self.ada.add_group("Network")

        def filed(subject: str, group: str | None, assignee: str | None = None) -> int:
            return self.ada.create_ticket(requester_email="carol@acme.test", subject=subject,
                                          body="Hello", group=group, assignee=assignee).number

        # bert holds the billing ticket from before it was restricted to Billing's members
        self.billing = filed(SECRET, "Billing", assignee="bert")
        self.network = filed("VPN drops", "Network", assignee="bert")
        self.loose = filed("Printer jam", None)

    def refusal(self) -> str:
        return f"ticket #{self.billing} is in group Billing, restricted to its members"


@pytest.fixture
def team(store, admin, agent) -> Team:
    return Team(store, admin, agent)


def _numbers(desk: Desk, query: str = "") -> set[int]:
    return {row.number for row in desk.queue_window(query, start=0, count=100).rows}


def _refused(team: Team, attempt) -> None:
    with pytest.raises(PermissionDenied) as refused:
        attempt()
    assert str(refused.value) == team.refusal()
    assert SECRET not in str(refused.value)


# --- reads -----------------------------------------------------------------------------------


def test_the_queue_leaves_out_a_restricted_groups_tickets(team):
    assert _numbers(team.bert) == {team.network, team.loose}
    window = team.bert.queue_window("", start=0, count=100)
    assert window.total == 2
    assert SECRET not in repr(window.rows)


def test_members_and_admins_see_the_restricted_groups_tickets(team):
    everything = {team.billing, team.network, team.loose}
    assert _numbers(team.cleo) == everything
    assert _numbers(team.ada) == everything
    assert team.cleo.open_ticket(team.billing).ticket.subject == SECRET


def test_search_finds_nothing_in_a_restricted_group(team):
    assert _numbers(team.bert, "refund") == set()
    assert _numbers(team.bert, "group:Billing") == set()
    assert team.bert.query_tickets("invoice").items == ()
    assert _numbers(team.cleo, "refund") == {team.billing}


def test_counts_leave_out_a_restricted_group(team):
    views = {"all": "", "billing": "group:Billing", "word": "invoice", "mine": "assignee:me"}
    assert team.bert.count_views(views) == {"all": 2, "billing": 0, "word": 0, "mine": 1}
    assert team.cleo.count_views(views) == {"all": 3, "billing": 1, "word": 1, "mine": 0}


def test_the_opening_view_leaves_out_a_restricted_group_on_either_path(team):
    now = datetime.now(UTC)
    stored = team.bert.opening_window(now=now)
    assert [row.number for row in stored.rows] == [team.network] and stored.total == 1
    url = team.store.url.render_as_string(hide_password=False)
    plain = opening.plain_first_view(url, username="bert", act_as=None)
    assert [row.number for row in plain.rows] == [team.network] and plain.total == 1


def test_reports_count_only_the_tickets_an_agent_may_see(team):
    today = datetime.now(UTC).date()
    span = ReportRange.days(today - timedelta(days=1), today)
    assert team.bert.report(span).headline.created == 2
    assert team.bert.report_headline(span).created == 2
    assert team.ada.report_headline(span).created == 3
    assert "Billing" not in {row.name for row in team.bert.report(span).groups}


def test_opening_a_restricted_ticket_by_number_is_refused_naming_its_group(team):
    for attempt in (lambda: team.bert.open_ticket(team.billing),
                    lambda: team.bert.ticket_page(team.billing),
                    lambda: team.bert.messages_after(team.billing, 0),
                    lambda: team.bert.require_ticket_access(team.billing),
                    lambda: team.bert.ticket_attachments(team.billing)):
        _refused(team, attempt)


def test_picker_and_palette_data_leave_out_a_restricted_group(team):
    assert "Billing" not in {g.name for g in team.bert.group_choices()}
    assert "Billing" in {g.name for g in team.cleo.group_choices()}
    numbers = [team.billing, team.network]
    assert [t.number for t in team.bert.find_tickets(numbers)] == [team.network]
    offered = {c.ticket.number for c in team.bert.ticket_candidates(team.loose, purpose="link")}
    assert offered == {team.network}
    history = team.bert.ticket_page(team.network).history
    assert {t.number for t in history} == {team.loose}


def test_a_saved_view_shows_only_what_the_agent_may_see(team):
    team.ada.save_view("Money", query="group:Billing", shared=True)
    shared = next(v for v in team.bert.list_views() if v.name == "Money")
    assert _numbers(team.bert, shared.query) == set()
    assert _numbers(team.cleo, shared.query) == {team.billing}


def test_an_export_leaves_out_a_restricted_group(team):
    lines: list[str] = []
    assert team.bert.export_jsonl(query=None, write=lines.append) == 2
    assert not any(SECRET in line for line in lines)
    assert team.ada.export_jsonl(query=None, write=lines.append) == 3


# --- changes ---------------------------------------------------------------------------------


def _version(team: Team) -> int:
    return team.ada.open_ticket(team.billing).ticket.version


def test_changing_replying_and_escalating_a_restricted_ticket_are_refused(team):
    before = _version(team)
    for attempt in (lambda: team.bert.change(team.billing, TicketChanges(priority="high")),
                    lambda: team.bert.send(team.billing, body="Hi", kind="reply"),
                    lambda: team.bert.send(team.billing, body="Hi", kind="note"),
                    lambda: team.bert.escalate(team.billing, reason="stuck"),
                    lambda: team.bert.merge(team.network, into=team.billing),
                    lambda: team.bert.link(team.network, team.billing),
                    lambda: team.bert.save_draft(team.billing, kind="reply", body="x")):
        _refused(team, attempt)
    assert _version(team) == before
    assert team.cleo.change(team.billing, TicketChanges(priority="high")).priority == "high"


def test_a_bulk_change_skips_a_restricted_ticket_naming_its_group(team):
    result = team.bert.bulk([team.billing, team.network], BulkChange(priority="urgent"))
    assert result.changed == (team.network,)
    assert result.skipped == ((team.billing, "in group Billing, restricted to its members"),)
    assert team.ada.open_ticket(team.billing).ticket.priority == "normal"
    assert team.ada.bulk([team.billing], BulkChange(priority="urgent")).changed == (team.billing,)


def test_moving_a_ticket_into_a_restricted_group_is_for_its_members_and_admins(team):
    with pytest.raises(PermissionDenied) as refused:
        team.bert.change(team.network, TicketChanges(group="Billing"))
    assert str(refused.value) == ("group Billing is restricted to its members: only they or an "
                                  "admin can move a ticket into it")
    with pytest.raises(PermissionDenied):
        team.bert.create_ticket(requester_email="dan@acme.test", subject="x", body="y",
                                group="Billing")
    assert team.ada.open_ticket(team.network).ticket.group == "Network"
    assert team.cleo.change(team.network, TicketChanges(group="Billing")).group == "Billing"
    assert team.ada.change(team.network, TicketChanges(group="Network")).group == "Network"


def test_the_system_changes_every_ticket(team):
    """Mail intake, rules and timers act as no agent: nothing is hidden from them."""
    team.store.write(lambda session: kernel.lock_ticket(session, team.billing, actor=None))
    number = team.ada.send(team.billing, body="Thanks, it arrived", kind="customer").number
    assert number == team.billing


def test_opening_the_group_again_shows_its_tickets_to_everyone(team):
    team.ada.set_group_restricted("Billing", restricted=False)
    assert team.billing in _numbers(team.bert)


# --- the CLI ---------------------------------------------------------------------------------


def test_the_cli_refuses_show_and_set_with_one_line_and_no_subject(team, cli, as_user):
    as_user("bert")
    for args in (("ticket", "show", str(team.billing)),
                 ("ticket", "set", str(team.billing), "--priority", "high"),
                 ("ticket", "reply", str(team.billing), "--body", "Hi")):
        refused = cli(*args)
        assert refused.exit_code == 1
        assert refused.stderr == f"deskterm: {team.refusal()}\n"
        assert SECRET not in refused.stdout + refused.stderr
    listed = cli("ticket", "list")
    assert listed.exit_code == 0 and SECRET not in listed.stdout
    assert "VPN drops" in listed.stdout


def test_the_cli_adds_restricts_opens_and_lists_groups(team, cli):
    assert cli("group", "add", "Legal", "--restricted").stdout == (
        "added group Legal (restricted to its members)\n")
    assert cli("group", "set", "Network", "--restricted").stdout == (
        "Network is restricted to its members\n")
    assert cli("group", "set", "Billing", "--open").stdout == "Billing is open to every agent\n"
    rows = {line.split("\t")[0]: line.split("\t")[1] for line in
            cli("group", "list").stdout.splitlines()}
    assert rows == {"Billing": "open", "Legal": "restricted", "Network": "restricted"}
    nothing = cli("group", "set", "Network")
    assert nothing.exit_code == 2 and "--restricted or --open" in nothing.stderr


def test_a_visible_tickets_link_to_a_restricted_one_is_not_shown(team):
    team.ada.link(team.network, team.billing)
    assert team.bert.open_ticket(team.network).links.related == ()
    assert team.bert.ticket_page(team.network).detail.links.is_empty()
    assert [t.number for t in team.cleo.open_ticket(team.network).links.related] == [
        team.billing]


def test_searches_that_found_nothing_are_shown_only_to_who_sees_what_the_searcher_sees(team):
    """Words typed by a member of a restricted group (or an admin) may name its tickets: an
    agent outside it does not get them in the report's missed searches; members and admins
    get them all."""
    team.cleo.record_search_miss("queue", f"{SECRET} jane")
    team.ada.record_search_miss("kb", "payroll dispute")
    team.bert.record_search_miss("queue", "printer toner")
    today = datetime.now(UTC).date()
    span = ReportRange.days(today, today)

    def missed(desk: Desk) -> set[str]:
        return {row.query for row in desk.report(span).searches_without_results}

    assert missed(team.bert) == {"printer toner"}
    everything = {SECRET.lower() + " jane", "payroll dispute", "printer toner"}
    assert missed(team.cleo) == everything
    assert missed(team.ada) == everything
