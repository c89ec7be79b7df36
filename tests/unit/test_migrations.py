"""Schema migrations on both stores: from empty to head, back to base and up again, and the one-line
refusals for a database that is new, behind, or from a newer deskterm.

A database *behind* the code is one migrated only to ``0001``; a database *ahead* of the code is
one whose ``alembic_version`` holds a revision id this deskterm does not know.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

import deskterm.db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.db.errors import SchemaNotReady, StoreUnavailable
from deskterm.db.models import Counter
from deskterm.db.pg_roles import is_db_role_object
from deskterm.db.search import is_search_object
from deskterm.desk import setup
from deskterm.desk.reads import AgentRead
from deskterm.desk.tickets.ticket import create_ticket

HEAD = migrate.head_revision()


@pytest.fixture
def empty_store(stores) -> Store:
    """A database with no tables at all."""
    store = Store(stores.url(migrated=False))
    yield store
    store.dispose()


@pytest.fixture
def head_store(stores) -> Store:
    """A database at the head revision: a copy of the one the tests' template was migrated
    to from empty (a full upgrade costs ~1 s a test; the tests of the upgrade itself make
    their own from :func:`empty_store`)."""
    store = Store(stores.url())
    yield store
    store.dispose()


def _tables(store: Store) -> set[str]:
    with store.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _not_search(name, type_, parent_names) -> bool:
    """Search's FTS5 tables and GIN indexes (migration 0003) are not models: the comparison skips
    them, as ``alembic revision --autogenerate`` does (migrations/env.py); so are 0021's
    per-agent roles' tables and column on PostgreSQL."""
    return not is_search_object(name) and not is_db_role_object(name)


def _schema_differences(store: Store) -> list:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": _not_search})
        return compare_metadata(context, SQLModel.metadata)


def _set_revision(store: Store, revision: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def _file_ticket_in_old_schema(session, *, email: str, subject: str, body: str) -> None:
    """Ticket #1001 from ``email`` written in SQL: the models (and so ``create_ticket``) have
    the newest schema's columns, which an older revision's tables lack."""
    session.execute(text("INSERT INTO customers (name, email, internal, tier, created_at) "
                         "VALUES ('C', :email, false, 'standard', CURRENT_TIMESTAMP)"),
                    {"email": email})
    customer = session.execute(text("SELECT id FROM customers WHERE email = :email"),
                               {"email": email}).scalar()
    session.execute(text(
        "INSERT INTO tickets (id, subject, status, priority, type, channel, requester_id, tier, "
        "created_at, updated_at, reopens, version) VALUES (1001, :subject, 'new', 1, "
        "'question', 'cli', :customer, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0, 1)"),
        {"subject": subject, "customer": customer})
    session.execute(text(
        "INSERT INTO messages (ticket_id, author_customer_id, public, body, created_at) "
        "VALUES (1001, :customer, true, :body, CURRENT_TIMESTAMP)"),
        {"customer": customer, "body": body})
    session.execute(text("UPDATE counters SET value = 1002 WHERE name = 'ticket_number'"))


def _first_admin_in_sql(session) -> AgentRead:
    """Admin ``ada`` written in SQL: the Agent model has the newest schema's columns (0015's
    away and capacity), which an older revision's table lacks."""
    session.execute(text("INSERT INTO agents (username, display_name, role, active, skills, "
                         "created_at) VALUES ('ada', 'ada', 'admin', true, '[]', "
                         "CURRENT_TIMESTAMP)"))
    agent_id = session.execute(text("SELECT id FROM agents WHERE username = 'ada'")).scalar()
    return AgentRead(id=agent_id, username="ada", display_name="ada", email=None, role="admin",
                     active=True, skills=())


def test_the_head_constant_is_the_newest_migration():
    # The console checks a desk against migrate.HEAD without loading Alembic.
    assert migrate.HEAD == HEAD


def test_empty_database_has_no_schema_revision(empty_store):
    state = migrate.schema_state(empty_store)

    assert state.empty
    assert state.current is None
    assert state.head == HEAD
    assert not state.up_to_date


def test_empty_database_is_refused_naming_deskterm_init(empty_store):
    with pytest.raises(SchemaNotReady, match="`deskterm init`") as refused:
        migrate.require_current_schema(empty_store)

    assert "\n" not in str(refused.value)


def test_upgrade_takes_an_empty_database_to_head(empty_store):
    state = migrate.upgrade(empty_store)

    assert state.current == HEAD
    assert state.up_to_date
    migrate.require_current_schema(empty_store)  # no longer refused
    assert set(SQLModel.metadata.tables) <= _tables(empty_store)


def test_migrated_schema_matches_the_models(empty_store):
    migrate.upgrade(empty_store)

    # Tables, columns, types, nullability, indexes and unique constraints (alembic compares types
    # by default, and reports none here for UTCDateTime on either store). CHECK constraints are
    # outside what alembic's comparison covers.
    assert _schema_differences(empty_store) == []


def test_migrated_database_numbers_its_first_ticket_1001(head_store):

    def work(session):
        admin = setup.ensure_first_admin(session, username="ada")
        return create_ticket(session, actor=admin, requester_email="carol@acme.com",
                             subject="First", body="Hello").number

    assert head_store.write(work) == 1001


def test_upgrade_of_an_up_to_date_database_changes_nothing(empty_store):
    migrate.upgrade(empty_store)
    empty_store.write(lambda s: setup.ensure_first_admin(s, username="ada"))

    state = migrate.upgrade(empty_store)

    assert state.current == HEAD
    with empty_store.read() as session:
        assert session.exec(select(Counter.value)
                            .where(Counter.name == "ticket_number")).all() == [1001]
        assert setup.ensure_first_admin(session, username="someone") is None  # ada is still there


def test_downgrade_to_base_removes_every_table(head_store):

    migrate.downgrade(head_store, "base")

    assert _tables(head_store) <= {"alembic_version"}
    assert migrate.schema_state(head_store).empty


def test_upgrade_after_downgrade_to_base_rebuilds_the_schema(empty_store):
    migrate.upgrade(empty_store)
    migrate.downgrade(empty_store, "base")

    state = migrate.upgrade(empty_store)

    assert state.up_to_date
    assert _schema_differences(empty_store) == []
    with empty_store.read() as session:
        assert session.exec(select(Counter.value)
                            .where(Counter.name == "ticket_number")).all() == [1001]


def test_database_behind_the_code_is_refused_naming_db_upgrade(empty_store):
    migrate.upgrade(empty_store, "0001")

    assert not migrate.schema_state(empty_store).up_to_date
    with pytest.raises(SchemaNotReady, match="`deskterm db upgrade`") as refused:
        migrate.require_current_schema(empty_store)

    assert "schema 0001" in str(refused.value)
    assert HEAD in str(refused.value)


def test_upgrade_from_0001_backfills_customer_replies_and_seen(empty_store):
    """0002 fills ``customer_replied_at`` from follow-up customer messages (never the opening
    one) and ``ticket_seen`` from each agent's latest message or field change."""
    migrate.upgrade(empty_store, "0001")
    t = "2026-01-0{} 10:00:00"
    with empty_store.engine.begin() as connection:
        is_pg = connection.dialect.name == "postgresql"

        def at(day: int) -> str:
            return t.format(day) + ("+00" if is_pg else ".000000")

        run = connection.execute
        run(text("INSERT INTO agents (id, username, display_name, role, active, skills, "
                 "created_at) VALUES (1, 'ada', 'Ada', 'admin', true, '[]', :c), "
                 "(2, 'bert', 'Bert', 'agent', true, '[]', :c)"), {"c": at(1)})
        run(text("INSERT INTO customers (id, name, email, internal, tier, created_at) "
                 "VALUES (1, 'Carol', 'carol@acme.com', false, 'standard', :c)"), {"c": at(1)})
        for number in (1001, 1002, 1003):
            run(text("INSERT INTO tickets (id, subject, status, priority, type, channel, "
                     "requester_id, assignee_id, tier, created_at, updated_at, reopens, version) "
                     "VALUES (:n, 's', 'open', 1, 'question', 'email', 1, 2, 1, :c, :c, 0, 1)"),
                {"n": number, "c": at(1)})
        messages = [  # (ticket, agent, customer, day)
            (1001, None, 1, 1), (1001, 2, None, 2), (1001, None, 1, 3), (1001, None, 1, 4),
            (1002, None, 1, 1), (1002, 2, None, 2),  # no follow-up from the customer
            (1003, 2, None, 1), (1003, None, 1, 2),  # opened by an agent, the customer answers
        ]
        for i, (ticket, agent_id, customer_id, day) in enumerate(messages, start=1):
            run(text("INSERT INTO messages (id, ticket_id, author_agent_id, author_customer_id, "
                     "public, body, created_at) VALUES (:i, :t, :a, :c, true, 'b', :at)"),
                {"i": i, "t": ticket, "a": agent_id, "c": customer_id, "at": at(day)})
        run(text("INSERT INTO events (ticket_id, actor_agent_id, field, old, new, version, at) "
                 "VALUES (1002, 1, 'priority', 'normal', 'high', 2, :at)"), {"at": at(5)})

    migrate.upgrade(empty_store)

    with empty_store.engine.connect() as connection:
        replied = dict(connection.execute(text(
            "SELECT id, customer_replied_at FROM tickets ORDER BY id")).all())
        seen = connection.execute(text(
            "SELECT ticket_id, agent_id, seen_at FROM ticket_seen ORDER BY 1, 2")).all()
    assert replied[1002] is None
    assert str(replied[1001]).startswith("2026-01-04 10:00:00")
    assert str(replied[1003]).startswith("2026-01-02 10:00:00")
    assert [(ticket, agent_id, str(when)[:19]) for ticket, agent_id, when in seen] == [
        (1001, 2, "2026-01-02 10:00:00"),
        (1002, 1, "2026-01-05 10:00:00"),
        (1002, 2, "2026-01-02 10:00:00"),
        (1003, 2, "2026-01-01 10:00:00"),
    ]


def test_database_from_a_newer_deskterm_is_refused_naming_an_upgrade_of_deskterm(head_store):
    _set_revision(head_store, "9f3c2a1b7e55")  # a revision id this deskterm does not know

    with pytest.raises(SchemaNotReady, match="newer version") as refused:
        migrate.require_current_schema(head_store)

    assert "9f3c2a1b7e55" in str(refused.value)
    assert "upgrade deskterm" in str(refused.value)


def test_tables_without_a_revision_are_not_taken_for_an_empty_database(head_store):
    with head_store.engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))

    state = migrate.schema_state(head_store)

    assert not state.empty
    with pytest.raises(SchemaNotReady, match="no schema revision, so deskterm did not create it"):
        migrate.require_current_schema(head_store)


# --- through the CLI ---------------------------------------------------------------------------


def test_cli_on_an_empty_database_says_run_deskterm_init(cli, stores):
    result = cli("ticket", "list", db=stores.url(migrated=False))

    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "`deskterm init`" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""


def test_cli_db_current_reports_a_migrated_store_up_to_date(cli):
    result = cli("db", "current", "--json")

    assert result.exit_code == 0, result.stderr
    state = json.loads(result.stdout)
    assert state["current"] == state["head"] == HEAD
    assert state["status"] == "up to date"


def _empty_url(stores) -> str:
    """An empty database (on SQLite an existing, empty file: a missing one is no desk at all)."""
    url = stores.url(migrated=False)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).touch()
    return url


def test_cli_db_current_reports_an_empty_store_empty(cli, stores):
    result = cli("db", "current", "--json", db=_empty_url(stores))

    assert result.exit_code == 0, result.stderr
    state = json.loads(result.stdout)
    assert state["current"] is None
    assert state["status"] == "empty"


def test_cli_db_upgrade_on_an_up_to_date_store_says_so(cli):
    result = cli("db", "upgrade")

    assert result.exit_code == 0, result.stderr
    assert "up to date" in result.stdout
    assert HEAD in result.stdout


def test_cli_db_upgrade_on_an_empty_store_is_one_line_naming_deskterm_init(cli, stores):
    result = cli("db", "upgrade", db=stores.url(migrated=False))

    assert "Traceback" not in result.stderr + result.stdout
    assert "`deskterm init`" in result.stderr
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1


def _one_line_refusal(result) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def newer_url(stores) -> str:
    """A desk whose schema revision comes from a newer deskterm."""
    url = stores.url()
    store = Store(url)
    _set_revision(store, "0099")
    store.dispose()
    return url


@pytest.fixture
def unstamped_url(stores) -> str:
    """deskterm's tables without an alembic_version row: not made by ``deskterm init``."""
    url = stores.url()
    store = Store(url)
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    store.dispose()
    return url


def _revision(url: str) -> str | None:
    store = Store(url, create=False)
    try:
        return migrate.schema_state(store).current
    finally:
        store.dispose()


def test_cli_init_on_a_newer_desk_says_to_upgrade_deskterm_not_the_desk(cli, newer_url):
    line = _one_line_refusal(cli("init", db=newer_url))

    assert "schema 0099" in line
    assert "upgrade deskterm" in line
    assert "db upgrade" not in line


def test_cli_db_current_calls_a_newer_desk_newer_not_needs_upgrade(cli, newer_url):
    as_json = cli("db", "current", "--json", db=newer_url)
    plain = cli("db", "current", db=newer_url)

    assert as_json.exit_code == plain.exit_code == 0, as_json.stderr
    assert json.loads(as_json.stdout)["status"] == "newer"
    assert "needs upgrade" not in plain.stdout
    assert "made by a newer deskterm" in plain.stdout


def test_cli_db_current_says_a_desk_behind_needs_db_upgrade(cli, stores):
    url = _empty_url(stores)
    store = Store(url)
    migrate.upgrade(store, "0001")
    store.dispose()

    result = cli("db", "current", db=url)

    assert result.exit_code == 0, result.stderr
    assert "needs upgrade, run `deskterm db upgrade`" in result.stdout


def test_cli_db_upgrade_on_a_newer_desk_is_one_line_and_changes_nothing(cli, newer_url):
    line = _one_line_refusal(cli("db", "upgrade", db=newer_url))

    assert "newer version" in line and "upgrade deskterm" in line
    assert _revision(newer_url) == "0099"


def test_cli_db_upgrade_on_an_unstamped_desk_is_one_line_and_changes_nothing(cli, unstamped_url):
    line = _one_line_refusal(cli("db", "upgrade", db=unstamped_url))

    assert "no schema revision" in line
    store = Store(unstamped_url, create=False)
    assert "alembic_version" not in _tables(store)
    store.dispose()


def test_cli_init_on_an_unstamped_desk_is_one_line(cli, unstamped_url):
    assert "no schema revision" in _one_line_refusal(cli("init", db=unstamped_url))


# --- SQLite files: only init and demo make one; never a directory or a device ----------------


sqlite_only = pytest.mark.parametrize("stores", ["sqlite"], indirect=True)


@sqlite_only
@pytest.mark.parametrize("command", [("ticket", "list"), ("db", "current"), ("db", "upgrade"),
                                     ("kb", "list"), ("agent", "list")])
def test_a_read_command_on_a_mistyped_path_creates_no_folder_and_no_file(cli, tmp_path,
                                                                            command):
    missing = tmp_path / "typo" / "desk.sqlite3"

    line = _one_line_refusal(cli(*command, db=f"sqlite:///{missing}"))

    assert "has no deskterm desk yet" in line and "run `deskterm init`" in line
    assert not (tmp_path / "typo").exists()


@sqlite_only
@pytest.mark.parametrize("form", ["file:{path}?mode=rwc&uri=true", "file://{path}?uri=true",
                                  "file://localhost{path}?uri=1", "file:{path}"])
def test_a_read_command_on_a_missing_sqlite_uri_creates_nothing(cli, tmp_path, form):
    missing = tmp_path / "typo.sqlite3"

    line = _one_line_refusal(cli("ticket", "list",
                                 db="sqlite:///" + form.format(path=missing)))

    assert "has no deskterm desk yet" in line and "there is no such file" in line
    assert not missing.exists()
    assert not [name for name in os.listdir(tmp_path) if name.startswith(("typo", "file"))]


@sqlite_only
def test_a_sqlite_uri_naming_a_device_or_an_existing_desk_is_read_as_its_file(cli, tmp_path):
    assert "not a regular file" in _one_line_refusal(
        cli("ticket", "list", db="sqlite:///file:/dev/null?uri=true"))
    path = tmp_path / "desk.sqlite3"
    assert cli("init", db=f"sqlite:///{path}").exit_code == 0
    shown = cli("db", "current", db=f"sqlite:///file:{path}?mode=ro&uri=true")
    assert shown.exit_code == 0 and "up to date" in shown.stdout


def test_the_console_opens_no_desk_on_a_mistyped_path(tmp_path):
    from deskterm.desk.service import Desk

    missing = tmp_path / "typo" / "desk.sqlite3"
    with pytest.raises(SchemaNotReady, match=r"has no deskterm desk yet.*`deskterm init`"):
        Desk.open(f"sqlite:///{missing}", username="ada")
    assert not (tmp_path / "typo").exists()


@sqlite_only
def test_cli_init_makes_the_missing_folders_and_the_file(cli, tmp_path):
    path = tmp_path / "new" / "team" / "desk.sqlite3"

    result = cli("init", db=f"sqlite:///{path}")

    assert result.exit_code == 0, result.stderr
    assert path.is_file()


@sqlite_only
def test_a_path_starting_with_a_tilde_is_in_the_home_folder(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)

    made = cli("init", db="sqlite:///~/desks/desk.sqlite3")
    listed = cli("ticket", "list", db="sqlite:///~/desks/desk.sqlite3")

    assert made.exit_code == listed.exit_code == 0, made.stderr + listed.stderr
    assert (tmp_path / "home" / "desks" / "desk.sqlite3").is_file()
    assert not (tmp_path / "~").exists()


@sqlite_only
@pytest.mark.parametrize(("where", "says"), [
    ("/dev/null", "not a regular file"),
    ("{tmp}", "is a directory"),
    ("/proc/deskterm/desk.sqlite3", "cannot create /proc/deskterm"),
])
def test_cli_init_on_a_device_a_directory_or_an_unwritable_path_is_one_line(cli, tmp_path,
                                                                            where, says):
    line = _one_line_refusal(cli("init", db=f"sqlite:///{where.format(tmp=tmp_path)}"))

    assert says in line


@sqlite_only
@pytest.mark.parametrize("command", [("init",), ("ticket", "list")])
def test_a_file_that_is_not_a_database_is_one_line_and_left_alone(cli, tmp_path, command):
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a desk\n")

    line = _one_line_refusal(cli(*command, db=f"sqlite:///{notes}"))

    assert line.endswith("notes.txt: file is not a database")
    assert notes.read_text() == "my notes, not a desk\n"


def test_a_migration_that_cannot_write_is_one_line_naming_the_reason(tmp_path):
    path = tmp_path / "desk.sqlite3"
    sqlite3.connect(path).close()
    read_only = Store(f"sqlite:///file:{path}?mode=ro&uri=true")

    with pytest.raises(StoreUnavailable, match=r"cannot write to .*readonly") as refused:
        migrate.upgrade(read_only)

    assert "\n" not in str(refused.value)
    read_only.dispose()


# --- another program's database ------------------------------------------------------------------


@pytest.fixture
def foreign_url(stores) -> str:
    """A database holding another program's tables (and its own alembic_version)."""
    url = _empty_url(stores)
    store = Store(url)
    with store.engine.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)"))
        connection.execute(text("CREATE TABLE payments (id INTEGER PRIMARY KEY)"))
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('ae1027a6acf')"))
    store.dispose()
    return url


def test_cli_init_refuses_a_foreign_database_naming_its_tables_and_adds_nothing(cli,
                                                                                foreign_url):
    line = _one_line_refusal(cli("init", db=foreign_url))

    assert "is not a deskterm desk" in line
    assert "invoices, payments" in line
    store = Store(foreign_url, create=False)
    assert _tables(store) == {"invoices", "payments", "alembic_version"}
    store.dispose()


@pytest.mark.parametrize("command", [("demo", "--tickets", "5"), ("db", "upgrade"),
                                     ("ticket", "list")])
def test_other_commands_refuse_a_foreign_database_too(cli, foreign_url, command):
    assert "is not a deskterm desk" in _one_line_refusal(cli(*command, db=foreign_url))


def test_cli_db_current_calls_a_foreign_database_foreign(cli, foreign_url):
    result = cli("db", "current", "--json", db=foreign_url)

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "foreign"


# --- 0005: the knowledge base --------------------------------------------------------------------


def test_upgrade_from_0004_keeps_tickets_and_makes_articles_searchable(empty_store):
    from deskterm.desk.kb import articles as kb_articles
    from deskterm.desk.kb import search, suggestions

    migrate.upgrade(empty_store, "0004")

    def ticket(session):
        admin = _first_admin_in_sql(session)
        _file_ticket_in_old_schema(session, email="carol@acme.com", subject="VPN drops",
                                   body="every hour")
        return admin

    admin = empty_store.write(ticket)
    migrate.upgrade(empty_store)

    empty_store.write(lambda s: kb_articles.create_article(s, actor=admin,
                                                           title="VPN drops every hour",
                                                           body="Renew the lease.",
                                                           status="published"))
    with empty_store.read() as session:
        assert [h.title for h in search.search_articles(session, query="lease")] == [
            "VPN drops every hour"]
        assert [h.article.slug for h in suggestions.suggest_for_ticket(session, number=1001)] == [
            "vpn-drops-every-hour"]


def test_downgrade_to_0004_removes_the_knowledge_base_and_keeps_ticket_search(empty_store):
    from deskterm.desk.filter.ticket_filter import TextMatch, TicketFilter
    from deskterm.desk.tickets.reads import list_tickets

    migrate.upgrade(empty_store)
    empty_store.write(lambda s: create_ticket(
        s, actor=_first_admin_in_sql(s), requester_email="c@acme.com",
        subject="Printer jams", body="tray"))

    migrate.downgrade(empty_store, "0004")

    tables = _tables(empty_store)
    assert not {t for t in tables if t.startswith(("kb_", "search_kb"))}
    # Read back at head: the models hold columns (0012's) that revision 0004 lacks; the
    # ticket's search documents lived through the downgrade and the upgrade.
    migrate.upgrade(empty_store)
    with empty_store.read() as session:
        where = TicketFilter(text=(TextMatch("printer"),))
        assert [t.number for t in list_tickets(session, where=where).items] == [1001]
    assert _schema_differences(empty_store) == []


# --- 0008: PostgreSQL's title vector and CJK column ----------------------------------------------


def _article_columns(store: Store) -> set[str]:
    with store.engine.connect() as connection:
        return {c["name"] for c in inspect(connection).get_columns("kb_articles")}


def test_upgrade_from_0007_keeps_articles_searchable_and_marks_the_cjk_ones(empty_store):
    from deskterm.desk.kb import articles as kb_articles
    from deskterm.desk.kb import search

    migrate.upgrade(empty_store, "0007")

    def articles(session):
        admin = _first_admin_in_sql(session)
        for title, body in (("VPN drops every hour", "Renew the lease."),
                            ("打印机无法连接", "请检查网络设置。"),
                            ("Printer jams", "Open the tray.")):
            kb_articles.create_article(session, actor=admin, title=title, body=body,
                                       status="published")

    empty_store.write(articles)
    migrate.upgrade(empty_store)

    assert migrate.schema_state(empty_store).current == HEAD
    with empty_store.read() as session:
        assert [h.title for h in search.search_articles(session, query="lease")] == [
            "VPN drops every hour"]
        assert [h.title for h in search.search_articles(session, query="打印")] == [
            "打印机无法连接"]
        if not empty_store.is_sqlite:
            marked = session.execute(text(
                "SELECT search_cjk_text FROM kb_articles WHERE search_cjk_text IS NOT NULL "
                "ORDER BY id")).scalars().all()
            assert marked == ["打印机无法连接 请检查网络设置。"]
            titles = session.execute(text(
                "SELECT title FROM kb_articles WHERE search_title @@ "
                "to_tsquery('simple', 'printer') ORDER BY id")).scalars().all()
            assert titles == ["Printer jams"]
    if not empty_store.is_sqlite:
        assert {"search_title", "search_cjk_text"} <= _article_columns(empty_store)


def test_downgrade_to_0007_drops_the_new_columns_and_keeps_the_cjk_indexes(head_store):

    migrate.downgrade(head_store, "0007")

    if not head_store.is_sqlite:
        assert not {"search_title", "search_cjk_text"} & _article_columns(head_store)
        with head_store.engine.connect() as connection:
            indexes = {i["name"] for i in inspect(connection).get_indexes("kb_articles")}
        assert {"search_kb_articles_cjk_rows", "search_kb_articles_text"} <= indexes
    migrate.upgrade(head_store)
    assert _schema_differences(head_store) == []


# --- 0009: customer-message drafts -------------------------------------------------------------


def test_upgrade_from_0008_keeps_drafts_and_takes_customer_message_drafts(empty_store):
    from deskterm.desk.tickets.drafts import get_draft, save_draft

    migrate.upgrade(empty_store, "0008")

    def ticket_with_a_draft(session):
        admin = _first_admin_in_sql(session)
        _file_ticket_in_old_schema(session, email="c@acme.test", subject="VPN", body="It drops.")
        save_draft(session, actor=admin, number=1001, kind="note", body="half a note")
        return admin

    admin = empty_store.write(ticket_with_a_draft)
    migrate.upgrade(empty_store)

    with empty_store.read() as session:
        assert get_draft(session, agent="ada", number=1001).body == "half a note"
    empty_store.write(lambda s: save_draft(s, actor=admin, number=1001, kind="customer",
                                           body="She says it drops at 9"))
    with empty_store.read() as session:
        assert get_draft(session, agent="ada", number=1001).kind == "customer"
    assert _schema_differences(empty_store) == []


def test_downgrade_to_0008_keeps_a_customer_message_draft_as_a_note(empty_store):
    from deskterm.desk.tickets.drafts import get_draft, save_draft

    migrate.upgrade(empty_store)

    def ticket_with_a_draft(session):
        admin = _first_admin_in_sql(session)
        create_ticket(session, actor=admin, requester_email="c@acme.test", subject="VPN",
                      body="It drops.")
        save_draft(session, actor=admin, number=1001, kind="customer", body="She called back")

    empty_store.write(ticket_with_a_draft)
    migrate.downgrade(empty_store, "0008")

    # Read in SQL: the Agent model has columns (0015's) that revision 0008 lacks.
    with empty_store.engine.connect() as connection:
        draft = connection.execute(text("SELECT kind, body FROM drafts")).one()
    assert tuple(draft) == ("note", "She called back")
    with pytest.raises(IntegrityError), empty_store.engine.begin() as connection:
        connection.execute(text("UPDATE drafts SET kind = 'customer'"))
    migrate.upgrade(empty_store)
    with empty_store.read() as session:
        assert get_draft(session, agent="ada", number=1001).body == "She called back"


# --- 0010: mail intake -------------------------------------------------------------------------


def test_upgrade_from_0009_keeps_tickets_and_takes_attachments_and_quarantine(empty_store):
    from deskterm.db.models import Attachment, MailQuarantine, Message

    migrate.upgrade(empty_store, "0009")

    def a_ticket(session):
        _first_admin_in_sql(session)
        _file_ticket_in_old_schema(session, email="c@acme.test", subject="VPN", body="It drops.")

    empty_store.write(a_ticket)
    migrate.upgrade(empty_store)

    def files(session):
        message = session.exec(select(Message)).one()
        session.add(Attachment(message_id=message.id, filename="a.txt", content_type="text/plain",
                               size=1, sha256="0" * 64, data=b"a"))
        session.add(MailQuarantine(source="mbox:x#1", reason="r", sha256="1" * 64, raw=b"raw"))

    empty_store.write(files)
    with empty_store.read() as session:
        assert session.exec(select(Attachment)).one().data == b"a"
        assert session.exec(select(MailQuarantine)).one().raw == b"raw"
    assert _schema_differences(empty_store) == []


def test_downgrade_to_0009_drops_the_mail_tables_and_keeps_tickets(head_store):
    head_store.write(lambda s: create_ticket(
        s, actor=_first_admin_in_sql(s), requester_email="c@acme.test",
        subject="VPN", body="It drops."))
    migrate.downgrade(head_store, "0009")

    assert not {"attachments", "mail_quarantine"} & _tables(head_store)
    with head_store.read() as session:
        assert session.exec(select(Counter)).all()  # the desk is still there
    migrate.upgrade(head_store)
    assert migrate.schema_state(head_store).current == HEAD


# --- 0011: the outbox and the mail settings ----------------------------------------------------


def test_upgrade_from_0010_adds_the_outbox_and_a_reply_queues_its_mail(empty_store):
    from deskterm.desk.mail import settings as mail_settings
    from deskterm.desk.tickets.ticket import add_reply

    migrate.upgrade(empty_store, "0010")
    admin = empty_store.write(lambda s: _first_admin_in_sql(s))
    empty_store.write(lambda s: _file_ticket_in_old_schema(s, email="c@acme.test",
                                                           subject="VPN", body="It drops."))
    migrate.upgrade(empty_store)

    assert {"outbox", "mail_settings"} <= _tables(empty_store)
    assert _schema_differences(empty_store) == []
    empty_store.write(lambda s: mail_settings.update_settings(s, from_address="help@desk.test"))
    empty_store.write(lambda s: add_reply(s, actor=admin, number=1001, body="On it"))
    with empty_store.engine.connect() as connection:
        assert connection.execute(text("SELECT state, to_address FROM outbox")).all() == [
            ("queued", "c@acme.test")]


def test_downgrade_to_0010_drops_the_outbox_and_keeps_the_replies(empty_store):
    from deskterm.desk.mail import settings as mail_settings
    from deskterm.desk.tickets.ticket import add_reply

    migrate.upgrade(empty_store)
    admin = empty_store.write(lambda s: _first_admin_in_sql(s))
    empty_store.write(lambda s: create_ticket(s, actor=admin, requester_email="c@acme.test",
                                              subject="VPN", body="It drops."))
    empty_store.write(lambda s: mail_settings.update_settings(s, from_address="help@desk.test"))
    empty_store.write(lambda s: add_reply(s, actor=admin, number=1001, body="On it"))

    migrate.downgrade(empty_store, "0010")

    assert not {"outbox", "mail_settings"} & _tables(empty_store)
    with empty_store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM messages")).scalar() == 2
# --- 0012: external ids, requesters without an address ----------------------------------------


def test_upgrade_to_0012_takes_a_requester_without_an_address_and_external_ids(empty_store):
    from deskterm.desk.people.directory import add_customer_without_email

    migrate.upgrade(empty_store, "0009")

    def a_ticket(session):
        _first_admin_in_sql(session)
        _file_ticket_in_old_schema(session, email="c@acme.test", subject="VPN", body="It drops.")

    empty_store.write(a_ticket)
    migrate.upgrade(empty_store)
    assert _schema_differences(empty_store) == []

    def phone_caller(session):
        return add_customer_without_email(session, name="Caller on the phone").id

    caller = empty_store.write(phone_caller)
    with empty_store.engine.begin() as connection:
        connection.execute(text("UPDATE tickets SET external_id = 'zd-1' WHERE id = 1001"))
        assert connection.execute(
            text("SELECT email FROM customers WHERE id = :id"), {"id": caller}).scalar() is None
    with pytest.raises(IntegrityError), empty_store.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO tickets (id, subject, status, priority, type, channel, requester_id, "
            "tier, created_at, updated_at, reopens, version, external_id) SELECT 1002, subject, "
            "status, priority, type, channel, requester_id, tier, created_at, updated_at, "
            "reopens, version, 'zd-1' FROM tickets WHERE id = 1001"))


def test_downgrade_from_0012_gives_a_requester_without_an_address_an_undeliverable_one(
        empty_store):
    from deskterm.desk.people.directory import add_customer_without_email

    migrate.upgrade(empty_store)
    caller = empty_store.write(
        lambda session: add_customer_without_email(session, name="Caller").id)
    migrate.downgrade(empty_store, "0009")

    with empty_store.engine.connect() as connection:
        email = connection.execute(
            text("SELECT email FROM customers WHERE id = :id"), {"id": caller}).scalar()
        columns = {c["name"] for c in inspect(connection).get_columns("tickets")}
    assert email == f"customer-{caller}@no-email.invalid"
    assert "external_id" not in columns
    migrate.upgrade(empty_store)
    assert _schema_differences(empty_store) == []


# --- 0016: SLAs ---------------------------------------------------------------------------------


def test_upgrade_from_0013_keeps_tickets_and_adds_the_sla_tables_and_columns(empty_store):
    migrate.upgrade(empty_store, "0013")

    def a_ticket(session):
        _first_admin_in_sql(session)
        _file_ticket_in_old_schema(session, email="c@acme.test", subject="VPN", body="It drops.")

    empty_store.write(a_ticket)
    migrate.upgrade(empty_store)

    assert {"business_calendars", "sla_policies", "sla_outcomes"} <= _tables(empty_store)
    assert _schema_differences(empty_store) == []
    with empty_store.engine.connect() as connection:
        assert connection.execute(text(
            "SELECT sla_policy_id, sla_due_at, sla_paused_minutes FROM tickets")).all() == [
            (None, None, 0)]


def test_downgrade_to_0013_drops_the_sla_tables_and_columns_and_keeps_tickets(head_store):
    admin = head_store.write(lambda s: setup.ensure_first_admin(s, username="ada"))
    head_store.write(lambda s: create_ticket(s, actor=admin, requester_email="c@acme.test",
                                              subject="VPN", body="It drops."))

    migrate.downgrade(head_store, "0013")

    assert not {"business_calendars", "sla_policies", "sla_outcomes"} & _tables(head_store)
    with head_store.engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("tickets")}
        assert "sla_due_at" not in columns and "sla_policy_id" not in columns
        assert connection.execute(text("SELECT count(*) FROM tickets")).scalar() == 1
    migrate.upgrade(head_store)
    assert _schema_differences(head_store) == []


# --- 0014 / 0015: rules, a rule's messages and mail; assignment ----------------------------------


def _rule_note(connection, *, via: str | None = "rule:Triage") -> None:
    connection.execute(text(
        "INSERT INTO messages (ticket_id, public, body, created_at, via) "
        "VALUES (1001, false, 'routed', CURRENT_TIMESTAMP, :via)"), {"via": via})


def test_upgrade_from_0013_lets_a_rule_write_a_note_and_mail_and_keeps_one_author(empty_store):
    migrate.upgrade(empty_store, "0013")

    def a_ticket(session):
        _first_admin_in_sql(session)
        _file_ticket_in_old_schema(session, email="c@acme.test", subject="VPN", body="It drops.")

    empty_store.write(a_ticket)
    migrate.upgrade(empty_store)

    assert "rules" in _tables(empty_store)
    assert _schema_differences(empty_store) == []
    with empty_store.engine.begin() as connection:
        _rule_note(connection)
        connection.execute(text(
            "INSERT INTO outbox (ticket_id, kind, to_address, subject, state, attempts, "
            "next_attempt_at, created_at) VALUES (1001, 'rule', 'c@acme.test', 'Hi', 'queued', "
            "0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        assert connection.execute(text("SELECT away, capacity FROM agents")).one() == (
            False, None)
        assert connection.execute(text("SELECT count(*) FROM messages")).scalar() == 2
    with pytest.raises(IntegrityError), empty_store.engine.begin() as connection:
        _rule_note(connection, via=None)  # no author and no rule: refused, as before


def test_downgrade_to_0013_drops_a_rule_s_messages_and_mail_and_restores_the_checks(head_store):
    head_store.write(lambda s: _file_ticket_in_old_schema(s, email="c@acme.test",
                                                           subject="VPN", body="It drops."))
    with head_store.engine.begin() as connection:
        _rule_note(connection)

    migrate.downgrade(head_store, "0013")

    assert "rules" not in _tables(head_store)
    with head_store.engine.connect() as connection:
        assert "via" not in {c["name"] for c in inspect(connection).get_columns("messages")}
        assert "away" not in {c["name"] for c in inspect(connection).get_columns("agents")}
        assert connection.execute(text("SELECT count(*) FROM messages")).scalar() == 1
    with pytest.raises(IntegrityError), head_store.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO messages (ticket_id, public, body, created_at) "
            "VALUES (1001, false, 'x', CURRENT_TIMESTAMP)"))
    with pytest.raises(IntegrityError), head_store.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO outbox (ticket_id, kind, to_address, subject, state, attempts, "
            "next_attempt_at, created_at) VALUES (1001, 'rule', 'c@acme.test', 'Hi', 'queued', "
            "0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
# --- 0018: the log of searches that found nothing, the index of solved tickets -------------------


def test_upgrade_to_0018_adds_the_search_log_and_keeps_tickets(empty_store):
    migrate.upgrade(empty_store, "0017")

    def a_ticket(session):
        _first_admin_in_sql(session)
        _file_ticket_in_old_schema(session, email="c@acme.test", subject="VPN", body="It drops.")

    empty_store.write(a_ticket)
    assert "missed_searches" not in _tables(empty_store)
    migrate.upgrade(empty_store, "0018")
    with empty_store.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO missed_searches (at, kind, query) VALUES (CURRENT_TIMESTAMP, 'kb', 'x')"))
        indexes = {index["name"] for index in inspect(connection).get_indexes("tickets")}
        assert connection.execute(text("SELECT count(*) FROM tickets")).scalar() == 1
    assert "ix_tickets_solved" in indexes
    with pytest.raises(IntegrityError), empty_store.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO missed_searches (at, kind, query) VALUES (CURRENT_TIMESTAMP, 'web', 'x')"))


def test_downgrade_from_0018_drops_the_search_log_and_the_index(empty_store):
    migrate.upgrade(empty_store, "0018")
    migrate.downgrade(empty_store, "0017")
    assert "missed_searches" not in _tables(empty_store)
    with empty_store.engine.connect() as connection:
        indexes = {index["name"] for index in inspect(connection).get_indexes("tickets")}
    assert "ix_tickets_solved" not in indexes
    migrate.upgrade(empty_store)
    assert _schema_differences(empty_store) == []


# --- 0019: groups open to all agents or restricted to their members ------------------------------


def test_upgrade_to_0019_leaves_existing_groups_open(empty_store):
    migrate.upgrade(empty_store, "0018")
    with empty_store.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO agent_groups (name, description, created_at) "
            "VALUES ('Billing', '', CURRENT_TIMESTAMP)"))
    migrate.upgrade(empty_store)
    assert _schema_differences(empty_store) == []
    with empty_store.engine.connect() as connection:
        assert connection.execute(text(
            "SELECT restricted FROM agent_groups WHERE name = 'Billing'")).scalar() in (False, 0)
    migrate.downgrade(empty_store, "0018")
    with empty_store.engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("agent_groups")}
        assert connection.execute(text("SELECT count(*) FROM agent_groups")).scalar() == 1
    assert "restricted" not in columns


# --- 0020: the audit log of the desk's setup ---------------------------------------------------


def test_upgrade_to_0020_adds_the_audit_log_and_downgrade_drops_it(empty_store):
    migrate.upgrade(empty_store, "0018")
    assert "audit_log" not in _tables(empty_store)
    migrate.upgrade(empty_store)
    assert _schema_differences(empty_store) == []
    with empty_store.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO audit_log (at, kind, object, field, old, new) "
            "VALUES (CURRENT_TIMESTAMP, 'rule', 'Route billing', 'enabled', 'true', 'false')"))
        indexes = {index["name"] for index in inspect(connection).get_indexes("audit_log")}
    assert {"ix_audit_log_kind_at", "ix_audit_log_actor_at"} <= indexes
    migrate.downgrade(empty_store, "0018")
    assert "audit_log" not in _tables(empty_store)
# --- 0022: business minutes for the reports, their covering indexes, one index of solved ------


def _ticket_indexes(store) -> dict[str, list[str]]:
    with store.engine.connect() as connection:
        return {index["name"]: index["column_names"]
                for index in inspect(connection).get_indexes("tickets")}


def test_upgrade_to_0022_keeps_one_index_of_solved_tickets_and_the_tickets(empty_store):
    migrate.upgrade(empty_store, "0018")

    def a_ticket(session):
        _first_admin_in_sql(session)
        _file_ticket_in_old_schema(session, email="c@acme.test", subject="VPN", body="It drops.")

    empty_store.write(a_ticket)
    with empty_store.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO sla_outcomes (ticket_id, policy_name, target, outcome, started_at, "
            "due_at, ended_at) SELECT id, 'Std', 'first_response', 'breached', created_at, "
            "created_at, created_at FROM tickets"))
    migrate.upgrade(empty_store)
    assert _schema_differences(empty_store) == []
    with empty_store.engine.connect() as connection:  # how its target ended, from the outcome
        assert connection.execute(text(
            "SELECT first_response_sla_met, resolution_sla_met FROM tickets")).one() == (
            False, None)
    indexes = _ticket_indexes(empty_store)
    assert "ix_tickets_solved" not in indexes
    assert indexes["ix_tickets_status_solved"][:3] == ["status", "solved_at", "merged_into_id"]
    assert indexes["ix_tickets_created_report"][0] == "created_at"
    with empty_store.engine.connect() as connection:
        assert connection.execute(text(
            "SELECT count(*), count(first_response_business_minutes), "
            "count(resolution_business_minutes) FROM tickets")).one() == (1, 0, 0)


def test_downgrade_from_0022_gives_0018_its_indexes_back(head_store):
    migrate.downgrade(head_store, "0018")
    indexes = _ticket_indexes(head_store)
    assert indexes["ix_tickets_solved"] == ["solved_at", "id"]
    assert indexes["ix_tickets_status_solved"] == ["status", "solved_at"]
    assert "ix_tickets_created_report" not in indexes
    with head_store.engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("tickets")}
    assert "first_response_business_minutes" not in columns
    migrate.upgrade(head_store)
    assert _schema_differences(head_store) == []
