"""Who is acting: the operating-system user, mapped to an agent; ``--as`` for admins only."""

from __future__ import annotations

import threading

import pytest
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.desk.errors import IdentityError, InvalidInput, PermissionDenied
from deskterm.desk.people import auth
from deskterm.desk.people import directory as people


def test_the_os_user_is_the_agent(store, admin):
    with store.read() as session:
        actor = auth.resolve_actor(session, username="ada")
    assert (actor.username, actor.role) == ("ada", "admin")


def test_an_empty_desk_names_deskterm_init(store):
    with store.read() as session, pytest.raises(IdentityError, match="run `deskterm init`"):
        auth.resolve_actor(session, username="ada")


def test_an_unknown_user_is_told_the_command_that_adds_them(store, admin):
    with store.read() as session, pytest.raises(
        IdentityError, match="'mallory' is not an agent of this desk: an admin can add you with "
        "`deskterm agent add mallory`"
    ):
        auth.resolve_actor(session, username="mallory")


def test_a_deactivated_agent_cannot_act(store, admin, agent):
    store.write(lambda s: people.set_agent(s, username="bert", active=False))
    with store.read() as session, pytest.raises(IdentityError, match="deactivated"):
        auth.resolve_actor(session, username="bert")


def test_an_admin_may_act_as_another_agent(store, admin, agent):
    with store.read() as session:
        actor = auth.resolve_actor(session, username="ada", act_as="bert")
    assert actor.username == "bert"


def test_an_agent_may_not_act_as_anyone_else(store, admin, agent):
    with store.read() as session, pytest.raises(PermissionDenied, match="--as is for admins"):
        auth.resolve_actor(session, username="bert", act_as="ada")


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(store, admin):
    with pytest.raises(InvalidInput, match="last active admin"):
        store.write(lambda s: people.set_agent(s, username="ada", role="agent"))
    with pytest.raises(InvalidInput, match="last active admin"):
        store.write(lambda s: people.set_agent(s, username="ada", active=False))


def test_the_identity_comes_from_the_process_user_not_the_environment(monkeypatch):
    real = auth.os_username()
    monkeypatch.setenv("USER", "someone-else")
    monkeypatch.setenv("LOGNAME", "someone-else")
    assert auth.os_username() == real


@pytest.mark.parametrize("add", [
    lambda s, name: people.add_agent(s, username=name),
    lambda s, name: people.add_group(s, name=name),
], ids=["agent", "group"])
def test_one_name_added_in_two_cases_at_once_is_refused_the_second_time(store, admin, add):
    """Names are unique whatever their case, a check the database cannot make: a second
    transaction adding ``bob`` while the first has added ``Bob`` (not yet committed) waits for
    it, then is refused (on PostgreSQL both went in before the table was locked)."""
    added, release = threading.Event(), threading.Event()
    second: dict = {}

    def first_write(session):
        add(session, "Bob")
        added.set()
        assert release.wait(10)

    def second_write():
        try:
            store.write(lambda session: add(session, "bob"))
            second["result"] = "added"
        except InvalidInput as exc:
            second["result"] = str(exc)

    first = threading.Thread(target=store.write, args=(first_write,))
    first.start()
    assert added.wait(10)
    racer = threading.Thread(target=second_write)
    racer.start()
    racer.join(0.3)
    assert racer.is_alive(), "the second write did not wait for the first"
    release.set()
    first.join(10)
    racer.join(10)
    assert "differing only in case" in second["result"]


def test_per_agent_roles_on_sqlite_is_one_line_and_makes_no_file(tmp_path):
    path = tmp_path / "desk.sqlite3"
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{path}", "init", "--per-agent-roles"])
    assert result.exit_code == 1
    assert result.stderr.startswith("deskterm: --per-agent-roles needs a PostgreSQL desk")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not path.exists()
