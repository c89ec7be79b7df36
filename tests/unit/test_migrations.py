"""Schema migrations on both stores: from empty to head, back to base and up again, and the one-line
refusals for a database that is new, behind, or from a newer deskterm.

There is only one revision so far, so a database *behind* the code cannot be made honestly by
migrating to an older revision. That case is shown by making the code's head look newer
(``migrate.head_revision`` patched to a revision after ``0001``); a database *ahead* of the code is
one whose ``alembic_version`` holds a revision id this deskterm does not know.
"""

from __future__ import annotations

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel, select

import deskterm.db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.db.errors import SchemaNotReady
from deskterm.db.models import Counter
from deskterm.desk import setup
from deskterm.desk.tickets import create_ticket

HEAD = migrate.head_revision()


@pytest.fixture
def empty_store(stores) -> Store:
    """A database with no tables at all."""
    store = Store(stores.url(migrated=False))
    yield store
    store.dispose()


def _tables(store: Store) -> set[str]:
    with store.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _schema_differences(store: Store) -> list:
    with store.engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)


def _set_revision(store: Store, revision: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


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


def test_migrated_database_numbers_its_first_ticket_1001(empty_store):
    migrate.upgrade(empty_store)

    def work(session):
        admin = setup.ensure_first_admin(session, username="ada")
        return create_ticket(session, actor=admin, requester_email="carol@acme.com",
                             subject="First", body="Hello").number

    assert empty_store.write(work) == 1001


def test_upgrade_of_an_up_to_date_database_changes_nothing(empty_store):
    migrate.upgrade(empty_store)
    empty_store.write(lambda s: setup.ensure_first_admin(s, username="ada"))

    state = migrate.upgrade(empty_store)

    assert state.current == HEAD
    with empty_store.read() as session:
        assert session.exec(select(Counter.value)).all() == [1001]
        assert setup.ensure_first_admin(session, username="someone") is None  # ada is still there


def test_downgrade_to_base_removes_every_table(empty_store):
    migrate.upgrade(empty_store)

    migrate.downgrade(empty_store, "base")

    assert _tables(empty_store) <= {"alembic_version"}
    assert migrate.schema_state(empty_store).empty


def test_upgrade_after_downgrade_to_base_rebuilds_the_schema(empty_store):
    migrate.upgrade(empty_store)
    migrate.downgrade(empty_store, "base")

    state = migrate.upgrade(empty_store)

    assert state.up_to_date
    assert _schema_differences(empty_store) == []
    with empty_store.read() as session:
        assert session.exec(select(Counter.value)).all() == [1001]


def test_database_behind_the_code_is_refused_naming_db_upgrade(empty_store, monkeypatch):
    migrate.upgrade(empty_store)
    monkeypatch.setattr(migrate, "head_revision", lambda: "0002")  # this code's head, pretended

    assert not migrate.schema_state(empty_store).up_to_date
    with pytest.raises(SchemaNotReady, match="`deskterm db upgrade`") as refused:
        migrate.require_current_schema(empty_store)

    assert f"schema {HEAD}" in str(refused.value)
    assert "0002" in str(refused.value)


def test_database_from_a_newer_deskterm_is_refused_naming_an_upgrade_of_deskterm(empty_store):
    migrate.upgrade(empty_store)
    _set_revision(empty_store, "9f3c2a1b7e55")  # a revision id this deskterm does not know

    with pytest.raises(SchemaNotReady, match="newer version") as refused:
        migrate.require_current_schema(empty_store)

    assert "9f3c2a1b7e55" in str(refused.value)
    assert "upgrade deskterm" in str(refused.value)


def test_tables_without_a_revision_are_not_taken_for_an_empty_database(empty_store):
    migrate.upgrade(empty_store)
    with empty_store.engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))

    state = migrate.schema_state(empty_store)

    assert not state.empty
    with pytest.raises(SchemaNotReady, match="no schema revision, so deskterm did not create it"):
        migrate.require_current_schema(empty_store)


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


def test_cli_db_current_reports_an_empty_store_empty(cli, stores):
    result = cli("db", "current", "--json", db=stores.url(migrated=False))

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
