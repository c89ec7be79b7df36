"""Per-agent database roles on PostgreSQL (``deskterm init --per-agent-roles``): the app works
for agents and admins connected as their own roles, and an agent's own SQL session is refused
every action the app would refuse them (SQLSTATE 42501), by the server.

Roles are the whole server's: each desk has its own (a unique prefix), dropped after. The tests
share one desk (making and dropping one with its roles costs ~5 s on a busy server).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.db import migrate, opening
from deskterm.db.engine import Store
from deskterm.db.errors import refused_value
from deskterm.desk import service
from deskterm.desk.errors import PermissionDenied
from deskterm.desk.people import directory as people
from deskterm.desk.service import Desk
from deskterm.desk.tickets.change import TicketChanges

from .mail_samples import mail

pytestmark = pytest.mark.postgres

RULES = """
[[rule]]
name = "Route invoices"
on = ["created"]
[rule.when]
text_any = ["invoice"]
[rule.then]
group = "Finance"
add_tags = ["billing"]
"""

SLA = """
[[policy]]
name = "Standard"
first_response = "1h"
resolution = "8h"
"""


@dataclass
class RoleDesk:
    """A desk with per-agent roles: ada (admin), bert and carl (agents), each a role."""

    name: str
    owner_url: str
    prefix: str
    group: str
    stores: list[Store]
    restricted: int = 0
    """A ticket in the restricted group Finance."""

    def url(self, username: str) -> str:
        return make_url(self.owner_url).set(username=self.prefix + username).render_as_string(
            hide_password=False)

    def desk(self, username: str, *, reported: str = "someone-else") -> Desk:
        """The desk connected as ``username``'s role, the client reporting another user name."""
        store = Store(self.url(username))
        self.stores.append(store)
        return Desk(store, username=reported)

    def sql(self, username: str) -> psycopg.Connection:
        """An agent's own psql-like session (autocommit)."""
        return psycopg.connect(self.url(username), autocommit=True)


@contextmanager
def role_desk(server) -> Iterator[RoleDesk]:
    """A new desk with per-agent roles; its roles dropped after, whatever happens."""
    server.require()
    name = server.create()
    tag = uuid.uuid4().hex[:8]
    desk = RoleDesk(name=name, owner_url=server.url(name), prefix=f"dtt{tag}_",
                    group=f"dtt{tag}_agents", stores=[])
    owner = Store(desk.owner_url)
    desk.stores.append(owner)
    try:
        service.make_first_admin(owner, username="ada")
        owner.write(lambda s: people.add_agent(s, username="bert"))
        owner.write(lambda s: people.add_agent(s, username="carl"))
        given = service.enable_per_agent_roles(owner, agents_role=desk.group,
                                               role_prefix=desk.prefix)
        assert sorted(given) == [(u, desk.prefix + u) for u in ("ada", "bert", "carl")]
        yield desk
    finally:
        for store in desk.stores:
            store.dispose()
        with psycopg.connect(desk.owner_url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            made = [r[0] for r in conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (f"dtt{tag}\\_%",))]
            for role in made:  # the grants in this database go first, then the roles
                conn.execute(f'DROP OWNED BY "{role}"')
            for role in made:
                conn.execute(f'DROP ROLE "{role}"')
        server.drop(name)


@pytest.fixture(scope="module")
def roles(postgres_server) -> Iterator[RoleDesk]:
    """One desk for the module (made and dropped with its roles: ~5 s each on a busy server),
    set up through the app by ada as her own role: ticket #1001 (no group) with a reply, an
    open group Network, a restricted group Finance (members: carl) holding a ticket with a
    reply, a rule routing invoices to Finance, an SLA policy, a macro, mail and automation
    settings. The tests add to it but change none of it."""
    with role_desk(postgres_server) as desk:
        ada = desk.desk("ada")
        ada.send(_ticket(ada), body="Have you tried turning it off and on?")
        ada.add_group("Network")
        ada.add_group("Finance", restricted=True)
        ada.add_member("Finance", "carl")
        desk.restricted = ada.create_ticket(requester_email="c@acme.test", subject="Refund",
                                            body="Card charged twice.", group="Finance").number
        ada.send(desk.restricted, body="Refund on its way.")
        ada.load_rules(RULES)
        ada.load_sla(SLA)
        ada.add_macro("adas", body="Hello")
        ada.set_automation_settings(close_solved_after_days=3)
        ada.set_mail_settings(from_address="help@desk.test")
        yield desk


def _ticket(desk: Desk, subject: str = "Printer jam") -> int:
    return desk.create_ticket(requester_email="c@acme.test", subject=subject,
                              body="It jams.").number


# --- the app works for agents and admins, as their roles ------------------------------------


def test_identity_is_the_database_role_not_the_user_name_the_client_reports(roles):
    assert roles.desk("bert", reported="ada").actor.username == "bert"
    with opening.reading(roles.url("bert")) as reader:  # the console's first window
        assert opening.acting_agent(reader, username="ada", act_as=None)[1] == "bert"


def test_an_admins_role_acts_as_another_agent_and_an_agents_role_may_not(roles):
    ada = Desk(roles.desk("ada").store, username="nobody", act_as="bert")
    assert ada.actor.username == "bert"
    with pytest.raises(PermissionDenied, match="--as is for admins only"):
        Desk(roles.desk("bert").store, username="ada", act_as="carl").actor  # noqa: B018


def test_an_agent_files_replies_changes_merges_and_marks_themselves_away(roles):
    bert = roles.desk("bert")
    first, second = _ticket(bert), _ticket(bert, "Printer jam again")
    bert.send(first, body="Try turning it off and on.", status="pending")
    bert.send(first, body="Internal: known model.", kind="note")
    bert.change(first, TicketChanges(priority="high", assignee="carl", add_tags=("printer",)))
    bert.merge(second, into=first)
    bert.add_macro("thanks", body="Thanks!")
    bert.save_view("mine", query="assignee:me")
    assert bert.set_away("bert", True).away is True
    bert.set_away("bert", False)
    page = bert.open_ticket(first)
    assert page.ticket.priority == "high" and page.ticket.assignee == "carl"
    with roles.sql("ada") as conn:  # every event names bert's role, whoever reads it
        written = {r[0] for r in conn.execute(
            "SELECT db_role FROM events WHERE ticket_id IN (%s, %s)", (first, second))}
    assert written == {roles.prefix + "bert"}


def test_an_admin_adds_an_agent_who_gets_a_role_and_connects_as_it(roles):
    ada = roles.desk("ada")
    ada.add_agent("dora", role="agent")
    assert ada.database_role("dora") == roles.prefix + "dora"
    assert roles.desk("dora").actor.username == "dora"
    ada.change_agent("dora", role="admin")
    assert roles.desk("dora").actor.is_admin


def test_an_admin_changes_groups_rules_sla_and_settings_and_runs_automation(roles):
    ada = roles.desk("ada")
    ada.add_group("Hardware")
    ada.add_member("Hardware", "bert")
    ada.load_rules(RULES)
    ada.load_sla(SLA)
    ada.set_automation_settings(close_solved_after_days=4)
    ada.run_automation(holder="test")
    # a rule fires in the agent's own transaction (its events have no actor)
    carl = roles.desk("carl")
    number = _ticket(carl, "Invoice is wrong")
    assert carl.open_ticket(number).ticket.group == "Finance"


def test_an_agent_role_files_customer_mail(roles):
    filed = roles.desk("carl").ingest_mail(mail(), source="test#1")
    assert filed.outcome == "created" and filed.ticket_number is not None
    with roles.sql("carl") as conn:
        assert conn.execute("SELECT db_role FROM events WHERE ticket_id = %s",
                            (filed.ticket_number,)).fetchone()[0] == roles.prefix + "carl"


def test_a_deactivated_agents_role_can_no_longer_log_in(roles):
    roles.desk("ada").add_agent("fred")
    roles.desk("ada").deactivate_agent("fred")
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        roles.sql("fred")
    roles.desk("ada").change_agent("fred", active=True)
    roles.sql("fred").close()


def test_the_app_refuses_an_agent_in_one_line_before_the_server_does(roles):
    runner = CliRunner()
    result = runner.invoke(app, ["--db", roles.url("bert"), "agent", "set", "bert", "--role",
                                 "admin"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "deskterm: only an admin can change agents; 'bert' is an agent"


def test_agent_add_names_the_new_agents_role(roles):
    result = CliRunner().invoke(app, ["--db", roles.url("ada"), "agent", "add", "erin"])
    assert result.exit_code == 0, result.stderr
    assert f"database role {roles.prefix}erin" in result.stdout


# --- an agent's own SQL session is refused what the app refuses -----------------------------

FORBIDDEN = {
    "make themselves admin": "UPDATE agents SET role = 'admin' WHERE username = 'bert'",
    "add an agent": "INSERT INTO agents (username, display_name, role, active, skills, "
                    "created_at, away) VALUES ('mallory', 'm', 'admin', true, '[]', now(), false)",
    "change another agent": "UPDATE agents SET away = true WHERE username = 'carl'",
    "reactivate or rename themselves": "UPDATE agents SET display_name = 'Boss' "
                                       "WHERE username = 'bert'",
    "map their role to the admin": "UPDATE db_role_agents SET agent_id = 1",
    "make a role for an agent": "SELECT deskterm_give_db_role(1)",
    "write an event as someone else": "INSERT INTO events (ticket_id, actor_agent_id, field, "
                                      "version, at) VALUES (1001, 1, 'status', 1, now())",
    "delete events": "DELETE FROM events",
    "alter events": "UPDATE events SET new = 'nothing happened'",
    "write a message as someone else": "INSERT INTO messages (ticket_id, author_agent_id, "
                                       "public, body, created_at) "
                                       "VALUES (1001, 1, true, 'x', now())",
    "rewrite a message": "UPDATE messages SET body = 'something else'",
    "delete a message": "DELETE FROM messages",
    "delete a ticket": "DELETE FROM tickets",
    "add a group": "INSERT INTO agent_groups (name, description, created_at) "
                   "VALUES ('x', '', now())",
    "join a group": "INSERT INTO agent_group_members (group_id, agent_id) "
                    "SELECT id, 2 FROM agent_groups",
    "change rules": "DELETE FROM rules",
    "change SLA policies": "UPDATE sla_policies SET name = 'x'",
    "change mail settings": "UPDATE mail_settings SET id = id",
    "change automation settings": "UPDATE automation_settings SET id = id",
    "change another's macro": "UPDATE macros SET body = 'x'",
    "become the owner": "SET ROLE postgres",
}


@pytest.mark.parametrize("sql", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_an_agents_own_session_is_refused(roles, sql):
    with roles.sql("bert") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(sql)


def test_even_an_admins_session_cannot_alter_or_delete_events(roles):
    with roles.sql("ada") as conn:
        for sql in ("DELETE FROM events", "UPDATE events SET actor_agent_id = NULL"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)



def test_an_admin_imports_tickets_as_their_role(roles, tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text("Id,Subject,Description,Status,Requester email,Group,Created at\n"
                    "101,Imported A,It drops.,Open,ann@acme.test,Network,2024-03-04T10:15:00Z\n"
                    "102,Imported B,Out of toner.,Solved,bob@acme.test,,2024-03-05T10:15:00Z\n",
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["--db", roles.url("ada"), "import", "csv", str(path)])
    assert result.exit_code == 0, result.stderr
    subjects = {t.subject for t in roles.desk("bert").list_tickets(limit=500).items}
    assert {"Imported A", "Imported B"} <= subjects


def test_a_refusal_by_the_server_is_one_line_for_the_cli(roles):
    with roles.sql("bert") as conn, pytest.raises(psycopg.Error) as refused:
        conn.execute("DELETE FROM events")
    assert refused_value(refused.value) == ("the database refused: permission denied for "
                                            "table events")


def test_db_upgrade_gives_the_agents_a_new_tables_grants(roles):
    with psycopg.connect(roles.owner_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE later_feature (id serial PRIMARY KEY, note text)")
    owner = Store(roles.owner_url)
    roles.stores.append(owner)
    migrate.upgrade(owner)
    with roles.sql("bert") as conn:
        conn.execute("INSERT INTO later_feature (note) VALUES ('works')")
    with psycopg.connect(roles.owner_url, autocommit=True) as conn:
        conn.execute("DROP TABLE later_feature")


def test_init_again_with_other_role_names_is_refused_in_one_line(roles):
    result = CliRunner().invoke(app, ["--db", roles.owner_url, "init", "--per-agent-roles",
                                      "--agents-role", "other_agents"])
    assert result.exit_code == 1
    assert result.stderr == (f"deskterm: this desk's agents already have roles: group role "
                             f"{roles.group}, prefix {roles.prefix}\n")


# --- group access (0019) held by the server: row-level security --------------------------------

@pytest.mark.parametrize("table", ["tickets", "messages", "events"])
def test_a_restricted_groups_ticket_is_invisible_to_an_outsiders_session(roles, table):
    number = roles.restricted
    column = "id" if table == "tickets" else "ticket_id"
    counts = {}
    for who in ("bert", "carl", "ada"):
        with roles.sql(who) as conn:
            counts[who] = conn.execute(f"SELECT count(*) FROM {table} WHERE {column} = %s",
                                       (number,)).fetchone()[0]
    assert counts["bert"] == 0 and counts["carl"] > 0 and counts["ada"] == counts["carl"]


@pytest.fixture(scope="module")
def restricted_contents(roles) -> dict[str, str]:
    """Everything else that belongs to the restricted ticket (0025), one row or more in each
    table, written by its member carl and the owner (a rating is for a solved ticket; this one
    stays open): {table: the WHERE that finds its rows}."""
    number, carl = roles.restricted, roles.desk("carl")
    other = carl.create_ticket(requester_email="c@acme.test", subject="Refund 2",
                               body="Again.", group="Finance").number
    carl.change(number, TicketChanges(add_tags=("refund",)))
    carl.link(number, other)
    carl.save_draft(number, kind="reply", body="Dear customer, your card ...")
    carl.mark_seen(number)
    carl.heartbeat(number)
    with psycopg.connect(roles.owner_url, autocommit=True) as conn:
        message = conn.execute("SELECT min(id) FROM messages WHERE ticket_id = %s",
                               (number,)).fetchone()[0]
        conn.execute("INSERT INTO attachments (message_id, filename, content_type, size, sha256,"
                     " data) VALUES (%s, 'card.png', 'image/png', 1, 'x', '\\x00')", (message,))
        conn.execute("INSERT INTO satisfaction_ratings (ticket_id, customer_id, score, comment,"
                     " rated_at) SELECT id, requester_id, 2, 'Slow, my card number is in here', "
                     "now() FROM tickets WHERE id = %s", (number,))
        conn.execute("INSERT INTO outbox (ticket_id, kind, to_address, subject, state, attempts,"
                     " next_attempt_at, created_at) VALUES (%s, 'reply', 'c@acme.test', "
                     "'Re: Refund', 'queued', 0, now(), now())", (number,))
        conn.execute("INSERT INTO sla_outcomes (ticket_id, policy_name, target, outcome, "
                     "started_at, due_at, ended_at) VALUES (%s, 'Standard', 'first_response', "
                     "'met', now(), now(), now())", (number,))
        conn.execute("INSERT INTO automation_marks (ticket_id, kind, target, at) "
                     "VALUES (%s, 'escalation', 'resolution', now())", (number,))
        article = conn.execute("SELECT min(id) FROM kb_articles").fetchone()[0]
        if article is None:
            article = roles.desk("ada").save_article(
                title="Refunds", body="How to refund.", category=None, tags=(),
                visibility="internal").id
        conn.execute("INSERT INTO kb_article_tickets (article_id, ticket_id, linked_at) "
                     "VALUES (%s, %s, now())", (article, number))
    of_ticket = f"ticket_id = {number}"
    return {"ticket_tags": of_ticket, "ticket_links": of_ticket,
            "satisfaction_ratings": of_ticket, "drafts": of_ticket, "ticket_seen": of_ticket,
            "presence": of_ticket, "outbox": of_ticket, "sla_outcomes": of_ticket,
            "automation_marks": of_ticket, "kb_article_tickets": of_ticket,
            "attachments": f"message_id IN (SELECT id FROM messages WHERE {of_ticket})"}


@pytest.mark.parametrize("table", ["ticket_tags", "ticket_links", "satisfaction_ratings",
                                   "drafts", "ticket_seen", "presence", "outbox", "sla_outcomes",
                                   "automation_marks", "kb_article_tickets", "attachments"])
def test_what_belongs_to_a_restricted_ticket_is_invisible_to_an_outsiders_session(
        roles, restricted_contents, table):
    where = restricted_contents[table]
    counts = {}
    for who in ("bert", "carl", "ada"):
        with roles.sql(who) as conn:
            counts[who] = conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]
            if who == "bert" and table != "attachments":  # (never deleted: no grant)
                assert conn.execute(f"DELETE FROM {table} WHERE {where}").rowcount == 0
    assert counts["bert"] == 0 and counts["carl"] > 0 and counts["ada"] == counts["carl"]


def test_an_outsider_cannot_tag_link_or_rate_a_restricted_ticket(roles, restricted_contents):
    number = roles.restricted
    with roles.sql("bert") as conn:
        for sql in ("INSERT INTO ticket_tags (ticket_id, tag_id) SELECT %s, min(id) FROM tags",
                    "INSERT INTO ticket_links (ticket_id, other_id, kind, created_at) "
                    "VALUES (1001, %s, 'related', now())",
                    "INSERT INTO satisfaction_ratings (ticket_id, customer_id, score, comment, "
                    "rated_at) VALUES (%s, 1, 5, 'forged', now())"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql, (number,))


def test_an_outsiders_session_cannot_write_to_a_restricted_ticket(roles):
    number = roles.restricted
    with roles.sql("bert") as conn:
        assert conn.execute("UPDATE tickets SET subject = 'mine' WHERE id = %s",
                            (number,)).rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO messages (ticket_id, author_agent_id, public, body, "
                         "created_at) VALUES (%s, 2, false, 'peek', now())", (number,))
    with roles.sql("ada") as conn:
        assert conn.execute("SELECT subject FROM tickets WHERE id = %s",
                            (number,)).fetchone()[0] == "Refund"


def test_an_agents_new_ticket_a_rule_routes_into_a_group_they_cannot_see_is_filed(roles):
    filed = roles.desk("bert").create_ticket(requester_email="d@acme.test",
                                             subject="Invoice 7 is wrong", body="Please fix.")
    with roles.sql("carl") as conn:  # the member sees it in Billing
        assert conn.execute("SELECT g.name FROM tickets t JOIN agent_groups g "
                            "ON g.id = t.group_id WHERE t.id = %s",
                            (filed.number,)).fetchone()[0] == "Finance"
    with roles.sql("bert") as conn:
        assert conn.execute("SELECT count(*) FROM tickets WHERE id = %s",
                            (filed.number,)).fetchone()[0] == 0


def test_the_audit_log_is_append_only_and_its_actor_checked(roles):
    with roles.sql("bert") as conn:
        for sql in ("UPDATE audit_log SET new = 'x'", "DELETE FROM audit_log",
                    "INSERT INTO audit_log (at, actor_agent_id, kind, object, field) "
                    "VALUES (now(), 1, 'group', 'Network', 'name')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
    with roles.sql("ada") as conn:
        assert {r[0] for r in conn.execute(  # the fixture's setup, through ada's role
            "SELECT db_role FROM audit_log WHERE object = 'Finance'")} == {roles.prefix + "ada"}


def test_init_with_a_role_name_deskterm_does_not_write_is_refused_before_anything(roles):
    result = CliRunner().invoke(app, ["--db", roles.owner_url, "init", "--per-agent-roles",
                                      "--agents-role", "Bad Name"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("deskterm: --agents-role 'Bad Name' must be lower-case")


def test_doctor_names_the_agent_of_the_role_and_checks_every_agent_has_one(roles):
    result = CliRunner().invoke(app, ["--db", roles.url("carl"), "doctor"])
    assert "ok  agent: you (carl) are agent carl (agent)" in result.stdout
    assert f"ok  roles: per-agent database roles (group role {roles.group}" in result.stdout


def test_a_backup_restored_into_a_new_database_keeps_the_agents_roles(roles, postgres_server,
                                                                      tmp_path):
    backup = tmp_path / "desk.dump"
    runner = CliRunner()
    assert runner.invoke(app, ["--db", roles.owner_url, "db", "backup", str(backup)]).exit_code == 0
    name = postgres_server.create(migrated=False)
    try:
        url = postgres_server.url(name)
        result = runner.invoke(app, ["--db", url, "db", "restore", str(backup)])
        assert result.exit_code == 0, result.stderr
        bert_url = make_url(url).set(username=roles.prefix + "bert").render_as_string(
            hide_password=False)
        store = Store(bert_url)
        roles.stores.append(store)
        desk = Desk(store, username="ada")
        assert desk.actor.username == "bert"
        assert _ticket(desk, "After the restore") > 1001
        with psycopg.connect(bert_url, autocommit=True) as conn, \
                pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM events")
    finally:
        for store in roles.stores[-1:]:
            store.dispose()
        postgres_server.drop(name)


def test_an_agent_whose_role_name_is_too_long_is_not_added(roles):
    name = "a" * 60
    result = CliRunner().invoke(app, ["--db", roles.url("ada"), "agent", "add", name])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"deskterm: agent '{name}' not added: database role name")
    assert name not in {a.username for a in roles.desk("ada").list_agents()}
