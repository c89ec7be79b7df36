"""The audit trail (both stores): every change to the desk's setup writes its rows (who, field,
before -> after) in the change's own transaction; ``deskterm audit`` lists them with the
tickets' events, filtered; ``agent deactivate --reassign-to`` moves an agent's open tickets and
deactivates them all at once; a deactivated agent cannot act."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import col, select

from deskterm.db.models import Agent, AuditEntry
from deskterm.db.types import utcnow
from deskterm.desk.audit.trail import AuditQuery, parse_when
from deskterm.desk.errors import InvalidInput, NotFound, PermissionDenied
from deskterm.desk.people import directory as people
from deskterm.desk.service import Desk
from deskterm.desk.tickets.macros import MacroActions

from .helpers import change, detail, new_ticket
from .test_rules import rule, seed_team
from .test_sla import POLICIES


@pytest.fixture
def ada(store, admin) -> Desk:
    return Desk(store, admin)


def log(store, kind: str | None = None) -> list[tuple]:
    """(who, kind, object, field, old, new) of each row, in the order written."""
    with store.read() as session:
        query = (select(AuditEntry, Agent.username)
                 .outerjoin(Agent, col(Agent.id) == col(AuditEntry.actor_agent_id))
                 .order_by(col(AuditEntry.id)))
        if kind:
            query = query.where(AuditEntry.kind == kind)
        return [(who, e.kind, e.object, e.field, e.old, e.new)
                for e, who in session.exec(query).all()]


def changed(store, kind: str) -> list[tuple]:
    """(object, field, old, new) of the rows of ``kind`` that are not creations."""
    return [row[2:] for row in log(store, kind) if row[3] != "created"]


# --- each kind writes its rows ----------------------------------------------------------------


def test_agents_log_creation_and_each_changed_field_with_who_did_it(store, ada, agent):
    ada.add_agent("eve", display_name="Eve", skills=["vpn"])
    ada.change_agent("eve", role="admin", skills=["vpn", "sap"], email="eve@desk.test")
    Desk(store, agent).set_away("bert", True)
    ada.set_capacity("bert", 5)
    rows = log(store, "agent")
    who, _, name, field, old, new = rows[0]
    assert (who, name, field, old) == ("ada", "eve", "created", None)
    assert json.loads(new)["skills"] == ["vpn"]
    assert rows[1:] == [
        ("ada", "agent", "eve", "email", None, "eve@desk.test"),
        ("ada", "agent", "eve", "role", "agent", "admin"),
        ("ada", "agent", "eve", "skills", '["vpn"]', '["sap", "vpn"]'),
        ("bert", "agent", "bert", "away", "false", "true"),
        ("ada", "agent", "bert", "capacity", None, "5"),
    ]


def test_groups_log_members_and_settings(store, ada, agent):
    ada.add_group("Billing", description="Money")
    ada.add_member("Billing", "bert")
    ada.set_assignment("Billing", "round-robin")
    ada.remove_member("Billing", "bert")
    assert log(store, "group")[0][2:4] == ("Billing", "created")
    assert changed(store, "group") == [
        ("Billing", "members", "[]", '["bert"]'),
        ("Billing", "assignment", "manual", "round-robin"),
        ("Billing", "members", '["bert"]', "[]"),
    ]


def test_a_rules_file_logs_each_rule_added_changed_and_removed(store, ada):
    ada.load_rules(rule("Tag it") + rule("Gone"))
    ada.load_rules(rule("Tag it", then='add_tags = ["other"]') + rule("New"))
    rows = log(store, "rule")
    assert [(r[2], r[3]) for r in rows] == [
        ("Tag it", "created"), ("Gone", "created"),
        ("Gone", "deleted"), ("Tag it", "actions"), ("New", "created")]
    assert "hit" in rows[3][4] and "other" in rows[3][5]


def test_macros_log_creation_edits_a_rename_and_removal(store, ada):
    ada.add_macro("Reset", body="Reset it.")
    ada.edit_macro("Reset", new_name="Password reset", body="Reset it here.",
                   actions=MacroActions(status="pending"))
    ada.remove_macro("Password reset")
    rows = log(store, "macro")
    assert rows[0][2:4] == ("Reset", "created")
    assert rows[1:4] == [
        ("ada", "macro", "Password reset", "actions", "{}", '{"status": "pending"}'),
        ("ada", "macro", "Password reset", "body", "Reset it.", "Reset it here."),
        ("ada", "macro", "Password reset", "name", "Reset", "Password reset"),
    ]
    assert rows[4][2:5] == ("Password reset", "deleted", rows[4][4])
    assert json.loads(rows[4][4])["body"] == "Reset it here."


SLA = POLICIES.replace('[[policy]]\nname = "Acme"\norganization = "Acme"\nfirst_response = 90\n',
                       "")


def test_an_sla_file_logs_policies_and_calendars(store, ada):
    ada.load_sla(SLA)
    ada.load_sla(SLA.replace('first_response = "30m"', 'first_response = "45m"')
                 .replace('timezone = "Europe/Berlin"', 'timezone = "Europe/Paris"'))
    assert {(r[1], r[2]) for r in log(store) if r[3] == "created"} == {
        ("calendar", "office"), ("sla", "Urgent"), ("sla", "VIP"), ("sla", "Everyone")}
    assert changed(store, "sla") == [("Urgent", "first_response_minutes", "30", "45")]
    assert changed(store, "calendar") == [("office", "timezone", "Europe/Berlin", "Europe/Paris")]


def test_articles_and_categories_log_their_changes(store, ada):
    made = ada.save_article(title="VPN drops", body="Reconnect.", category="Network",
                            tags=["vpn"], visibility="internal")
    ada.save_article(made.id, title="VPN drops", body="Reconnect twice.", category="Network",
                     tags=["vpn"], visibility="public")
    ada.publish(made.id)
    category = next(c.id for c in ada.list_categories() if c.path == "Network")
    ada.rename_category(category, name="Networks")
    ada.delete_article(made.id)
    assert [(r[1], r[2], r[3]) for r in log(store) if r[3] == "created"] == [
        ("category", "Network", "created"), ("article", made.slug, "created")]
    assert changed(store, "article") == [
        (made.slug, "body", "Reconnect.", "Reconnect twice."),
        (made.slug, "visibility", "internal", "public"),
        (made.slug, "status", "draft", "published"),
        (made.slug, "deleted", changed(store, "article")[-1][2], None),
    ]
    assert changed(store, "category") == [("Networks", "name", "Network", "Networks")]


def test_automation_and_mail_settings_log_against_their_defaults(store, ada):
    ada.set_automation_settings(close_solved_after_days=7)
    ada.set_mail_settings(from_address="help@desk.test", enabled=True)
    assert changed(store, "automation") == [("settings", "close_solved_after_days", "4", "7")]
    assert changed(store, "mail") == [("settings", "enabled", "false", "true"),
                                      ("settings", "from_address", None, "help@desk.test")]


def test_saved_views_log_saving_a_change_and_deleting(store, ada, agent):
    bert = Desk(store, agent)
    bert.save_view("mine", query="status:open")
    bert.save_view("mine", query="status:open priority:high")
    ada.save_view("team", query="-assignee:*", shared=True)
    bert.delete_view("mine")
    with pytest.raises(PermissionDenied):
        bert.delete_view("team")  # refused: no row
    rows = log(store, "view")
    assert [(who, name, field) for who, _, name, field, _, _ in rows] == [
        ("bert", "bert/mine", "created"), ("bert", "bert/mine", "query"),
        ("ada", "ada/team", "created"), ("bert", "bert/mine", "deleted")]
    assert json.loads(rows[0][5]) == {"name": "mine", "owner": "bert", "query": "status:open",
                                      "shared": False, "sort": "-updated"}
    assert rows[1][4:] == ("status:open", "status:open priority:high")
    assert json.loads(rows[3][4])["query"] == "status:open priority:high"
    assert [c.object for c in ada.audit_trail(AuditQuery(kinds=("view",)))] == [
        "bert/mine", "ada/team", "bert/mine", "bert/mine"]


def test_a_refused_or_failed_change_writes_no_row(store, ada, agent):
    with pytest.raises(PermissionDenied):
        Desk(store, agent).add_agent("eve")
    with pytest.raises(InvalidInput, match="last active admin"):
        ada.change_agent("ada", active=False)
    assert log(store) == []


# --- reading the trail ------------------------------------------------------------------------


def test_the_trail_mixes_ticket_events_and_setup_newest_first_and_filters(store, ada, admin,
                                                                         agent):
    ticket = new_ticket(store, admin, assignee="bert")
    ada.add_group("Billing")
    Desk(store, agent).set_away("bert", True)
    everything = ada.audit_trail(AuditQuery())
    assert [(c.kind, c.field) for c in everything][:2] == [("agent", "away"), ("group", "created")]
    assert {c.object for c in everything if c.kind == "ticket"} == {ticket.ref}
    assert [c.field for c in ada.audit_trail(AuditQuery(actor="bert"))] == ["away"]
    assert {c.kind for c in ada.audit_trail(AuditQuery(kinds=("group", "agent")))} == {
        "group", "agent"}
    assert all(c.ticket == ticket.number
               for c in ada.audit_trail(AuditQuery(ticket=ticket.number)))
    assert len(ada.audit_trail(AuditQuery(limit=2))) == 2
    assert ada.audit_trail(AuditQuery(until=utcnow() - timedelta(hours=1))) == []
    assert len(ada.audit_trail(AuditQuery(since=utcnow() - timedelta(hours=1)))) == len(
        everything)
    with pytest.raises(PermissionDenied, match="read the audit trail"):
        Desk(store, agent).audit_trail(AuditQuery())
    with pytest.raises(NotFound, match="no ticket #9999"):
        ada.audit_trail(AuditQuery(ticket=9999))


def test_times_are_days_moments_or_ages_and_anything_else_is_one_line():
    now = utcnow().replace(microsecond=0)
    assert parse_when("7d", now=now) == now - timedelta(days=7)
    assert parse_when("2026-12-01", now=now, end=True).isoformat() == "2026-12-02T00:00:00+00:00"
    assert parse_when("2026-12-01T09:30", now=now).isoformat() == "2026-12-01T09:30:00+00:00"
    with pytest.raises(InvalidInput, match="is not a time"):
        parse_when("yesterday\x1b[2J", now=now)


def test_cli_audit_limit_is_checked_as_usage_and_kept_in_step_with_the_desk(cli, admin):
    from deskterm.cli.audit import MOST as CLI_MOST
    from deskterm.desk.audit.trail import MOST

    assert CLI_MOST == MOST
    refused = cli("audit", "--limit", "0")
    assert refused.exit_code == 2 and "--limit" in refused.stderr


def test_cli_audit_cleans_hostile_text_and_prints_json(cli, store, admin):
    Desk(store, admin).save_article(title="Evil", body="Hi\x1b]0;owned\x07\x1b[31m[red]x",
                                    category=None, tags=(), visibility="internal")
    shown = cli("audit", "--kind", "article")
    assert shown.exit_code == 0
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout and "[red]x" in shown.stdout
    listed = cli("audit", "--kind", "article", "--json")
    rows = json.loads(listed.stdout)
    assert (rows[0]["kind"], rows[0]["field"], rows[0]["actor"]) == ("article", "created", "ada")
    assert "\x1b]0;owned" in json.loads(rows[0]["new"])["body"]
    assert "\x1b" not in listed.stdout  # escaped as \u001b
    bad = cli("audit", "--since", "soon")
    assert (bad.exit_code, bad.stdout) == (1, "")
    assert bad.stderr.count("\n") == 1 and "is not a time" in bad.stderr


# --- deactivating ----------------------------------------------------------------------------


@pytest.fixture
def team(stores):
    return stores.store(seeded=seed_team)


@pytest.fixture
def team_cli(team, cli):
    """``deskterm --db <the team's desk> ARGS...``."""
    url = team.url.render_as_string(hide_password=False)
    return lambda *args: cli(*args, db=url)


def test_deactivate_reassigns_open_tickets_through_the_kernel_in_one_go(team, team_cli,
                                                                       as_user):
    with team.read() as session:
        ada = people.agent_read(session, people.find_agent(session, "ada"))
    moving = [new_ticket(team, ada, assignee="ann") for _ in range(2)]
    solved = new_ticket(team, ada, assignee="ann")
    change(team, ada, solved.number, status="solved")
    done = team_cli("agent", "deactivate", "ann", "--reassign-to", "bob")
    assert done.exit_code == 0, done.stderr
    assert "2 unsolved tickets reassigned to bob" in done.stdout
    for ticket in moving:
        last = detail(team, ticket.number).events[-1]
        assert (last.field, last.old, last.new, last.actor) == ("assignee", "ann", "bob", "ada")
    assert detail(team, solved.number).ticket.assignee == "ann"
    assert changed(team, "agent") == [("ann", "active", "true", "false")]
    as_user("ann")
    refused = team_cli("ticket", "list")
    assert refused.exit_code == 1
    assert refused.stderr == ("deskterm: agent 'ann' is deactivated: an admin can reactivate it "
                              "with `deskterm agent set ann --active`\n")


def test_deactivate_to_a_missing_or_deactivated_agent_changes_nothing(team, team_cli):
    with team.read() as session:
        ada = people.agent_read(session, people.find_agent(session, "ada"))
    ticket = new_ticket(team, ada, assignee="ann")
    team.write(lambda s: people.set_agent(s, username="dan", active=False))
    for heir, says in (("dan", "deactivated"), ("nobody", "no agent named"), ("ann", "itself")):
        refused = team_cli("agent", "deactivate", "ann", "--reassign-to", heir)
        assert refused.exit_code == 1 and says in refused.stderr
    assert detail(team, ticket.number).ticket.assignee == "ann"
    assert [a.active for a in Desk(team, ada).list_agents() if a.username == "ann"] == [True]
    assert log(team, "agent") == []


def test_a_deactivated_agent_is_skipped_by_assignment_and_reactivated_with_set_active(
        team, team_cli):
    with team.read() as session:
        ada = people.agent_read(session, people.find_agent(session, "ada"))
    Desk(team, ada).set_assignment("billing", "round-robin")
    assert team_cli("agent", "deactivate", "ann").exit_code == 0
    assert {new_ticket(team, ada, group="billing").assignee for _ in range(3)} == {"bob", "cat"}
    assert team_cli("agent", "set", "ann", "--active").exit_code == 0
    assert changed(team, "agent")[-1] == ("ann", "active", "false", "true")


def test_a_desk_left_open_refuses_its_agent_once_deactivated(store, ada, agent, monkeypatch):
    from deskterm.desk import service_core
    from deskterm.desk.errors import IdentityError

    bert = Desk(store, agent)
    ada.deactivate_agent("bert")
    monkeypatch.setattr(service_core, "RECHECK_SECONDS", 0.0)
    with pytest.raises(IdentityError, match="'bert' is deactivated"):
        bert.set_away("bert", False)


def test_init_starts_the_trail_with_the_first_admin_made_by_themselves(store):
    from deskterm.desk.service import make_first_admin

    make_first_admin(store, username="ada")
    assert make_first_admin(store, username="eve") is None  # a desk with agents: nothing
    ((who, kind, name, field, old, new),) = log(store)
    assert (who, kind, name, field, old) == ("ada", "agent", "ada", "created", None)
    assert json.loads(new)["role"] == "admin"


def test_an_article_import_logs_each_article_however_many(store, ada, monkeypatch):
    from deskterm.desk.audit import snapshots
    from deskterm.desk.kb.articles import ArticleFields

    ada.import_articles([ArticleFields(slug="a", title="A", body="One.")])
    monkeypatch.setattr(snapshots, "MANY", 1)  # past it, the snapshot reads them all
    ada.import_articles([ArticleFields(slug="a", title="A", body="Two."),
                         ArticleFields(slug="b", title="B", body="New.")])
    assert [(r[2], r[3]) for r in log(store, "article")] == [
        ("a", "created"), ("a", "body"), ("b", "created")]
