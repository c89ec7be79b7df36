"""The console's first view read in plain SQL (deskterm.desk.opening, deskterm.db.opening) is the
store's first view, row for row, or it is left to the store."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from deskterm import launch
from deskterm.db import migrate
from deskterm.db import opening as plain_sql
from deskterm.db.engine import Store
from deskterm.desk import opening
from deskterm.desk.people import auth
from deskterm.desk.people import directory as people
from deskterm.desk.queue import windows as queue
from deskterm.desk.service import Desk
from deskterm.desk.tickets import ticket as tickets

from ..conftest import sqlite_template
from ..tui.desks import NOW, seed


def seed_with_ties(store: Store) -> None:
    """The console tests' desk (ada holds 40 tickets, some unsolved, some with an unseen reply,
    a group, a tag), plus ties: ada's tickets share their update time three by three, and one
    ticket carries tags whose order is the store's to choose."""
    seed(store)

    def work(session) -> None:
        ada = auth.resolve_actor(session, username="ada")
        tickets.create_ticket(session, actor=ada, requester_email="carol@acme.test",
                              subject="Three tags", body="Hello", assignee="ada",
                              tags=["zeta", "alpha", "mid-one"])
        session.flush()
        mine = session.execute(text(
            "SELECT tickets.id FROM tickets JOIN agents ON agents.id = tickets.assignee_id "
            "WHERE agents.username = 'ada' ORDER BY tickets.id")).scalars().all()
        for index, number in enumerate(mine):
            when = NOW - timedelta(hours=index // 3)
            session.execute(text("UPDATE tickets SET updated_at = :when WHERE id = :number"),
                            {"when": when.replace(tzinfo=None) if store.is_sqlite else when,
                             "number": number})
            if index % 2:  # ada has not looked since the requester wrote: marked unseen
                session.execute(text("DELETE FROM ticket_seen WHERE ticket_id = :number"),
                                {"number": number})

    store.write(work)


def _store_view(url: str, *, username: str, act_as: str | None = None, count: int = 60):
    desk = Desk.open(url, username=username, act_as=act_as)
    try:
        return desk.opening_window(now=datetime.now(UTC), count=count)
    finally:
        desk.close()


def _timestamps(start) -> list:
    return [(row.created_at.tzinfo, row.updated_at.tzinfo) for row in start.rows]


@pytest.mark.parametrize("window", [60, 7])
def test_the_plain_first_view_is_the_stores_row_for_row_ties_included(stores, monkeypatch,
                                                                        window):
    url = stores.url(seeded=seed_with_ties)
    monkeypatch.setattr(opening, "WINDOW", window)
    plain = opening.plain_first_view(url, username="ada", act_as=None)
    stored = _store_view(url, username="ada", count=window)
    assert plain == stored
    assert _timestamps(plain) == _timestamps(stored)  # the same zone, not only the same instant
    # What makes the comparison worth something: a full window of rows, ties in the order
    # (and, with 7 rows, a tie cut by the window's end), unseen replies, groups, tags.
    assert len(plain.rows) == min(window, plain.total) and plain.total > window // 2
    updated = [row.updated_at for row in plain.rows]
    assert len(set(updated)) < len(updated)
    assert plain.rows[-1].updated_at == stored.rows[-1].updated_at
    if window == 60:
        assert any(row.unseen_reply for row in plain.rows)
        assert any(row.group for row in plain.rows) and any(row.tags for row in plain.rows)


def test_an_admin_acting_as_an_agent_opens_on_that_agents_tickets(stores):
    url = stores.url(seeded=seed_with_ties)
    plain = opening.plain_first_view(url, username="ada", act_as="bert")
    assert plain.me == "bert" and plain.rows
    assert plain == _store_view(url, username="ada", act_as="bert")


def _behind(store: Store) -> None:
    store.write(lambda s: s.execute(text("UPDATE alembic_version SET version_num = '0007'")))


def _deactivate_bert(store: Store) -> None:
    store.write(lambda s: people.set_agent(s, username="bert", active=False))


@pytest.mark.parametrize(("username", "act_as", "change"), [
    ("nobody", None, None),            # an unknown agent
    ("bert", None, _deactivate_bert),  # a deactivated one
    ("bert", "ada", None),             # --as by an agent who is not an admin
    ("ada", "nobody", None),           # --as someone unknown
    ("ada", None, _behind),            # an out-of-date schema
])
def test_what_the_plain_path_does_not_open_is_the_stores_to_refuse(tmp_path, username, act_as,
                                                                   change):
    # The statements are the same on both stores (the row tests above run on both); SQLite
    # only, to keep the suite quick.
    path = tmp_path / "desk.sqlite3"
    shutil.copyfile(sqlite_template(seeded=seed_with_ties), path)
    url = f"sqlite:///{path}"
    if change is not None:
        store = Store(url)
        try:
            change(store)
        finally:
            store.dispose()
    with pytest.raises(opening.NotCovered):
        opening.plain_first_view(url, username=username, act_as=act_as)
    with pytest.raises(Exception) as by_store:
        Desk.open(url, username=username, act_as=act_as)
    with pytest.raises(type(by_store.value)) as at_start:  # the console's child: the same line
        launch.first_view(url, username=username, act_as=act_as)
    assert str(at_start.value) == str(by_store.value)


@pytest.mark.parametrize("url", [
    "sqlite:///{folder}/missing.sqlite3",
    "sqlite:///{folder}",                                  # a directory
    "sqlite:///{folder}/desk.sqlite3?mode=ro",             # a query string SQLAlchemy reads
    "sqlite:///{folder}/desk%2Esqlite3",                   # an escape it may decode
    "sqlite+pysqlite:///{folder}/desk.sqlite3",            # another driver's name
    "postgresql://user@[::1]:5432/desk",                  # forms left to SQLAlchemy's parser
    "postgresql://u@h/desk?sslmode=require",
    "postgresql+psycopg2://u@h/desk",
    "mysql://u@h/desk",
])
def test_a_url_the_plain_path_does_not_read_as_the_store_does_is_left_to_it(tmp_path, url):
    with pytest.raises(plain_sql.NotCovered):
        opening.plain_first_view(url.format(folder=tmp_path), username="ada", act_as=None)
    assert not (tmp_path / "missing.sqlite3").exists()  # nothing was created


def test_the_opening_view_is_the_one_the_plain_path_reads():
    # Changing the console's first view must come here too: else every start would quietly
    # take the store's slow path.
    assert queue.BUILTIN_VIEWS[0].query == opening.COVERED_QUERY
    assert opening.STATUSES == ("new", "open", "pending", "on_hold")


def test_the_schema_head_the_console_checks_is_alembics():
    assert plain_sql.SCHEMA_HEAD == migrate.HEAD == migrate.head_revision()


@pytest.mark.parametrize("url", ["sqlite:////tmp/d.sqlite3", "sqlite:///rel/d.sqlite3",
                                 "postgresql+psycopg://u:S3cret@h:5432/d",
                                 "postgresql://u:p%40ss@h/d"])
def test_the_desk_is_named_as_the_store_names_it(url):
    assert plain_sql.display_url(url) == Store(url).display_url


def test_the_consoles_first_read_loads_no_store_code(tmp_path):
    path = tmp_path / "desk.sqlite3"
    shutil.copyfile(sqlite_template(seeded=seed), path)
    url = f"sqlite:///{path}"
    code = (
        "import sys; from deskterm import launch;"
        f"start = launch.first_view({url!r}, username='ada', act_as=None);"
        "print(len(start.rows), sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy',"
        " 'sqlmodel', 'pydantic', 'alembic', 'textual', 'typer', 'psycopg'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split(maxsplit=1) == ["34", "[]\n"], out.stderr


def test_an_unforeseen_failure_of_the_plain_path_falls_back_to_the_store(tmp_path, monkeypatch):
    path = tmp_path / "desk.sqlite3"
    shutil.copyfile(sqlite_template(seeded=seed), path)
    url = f"sqlite:///{path}"

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug in the plain path")

    monkeypatch.setattr(opening, "read_first_window", broken)
    assert launch.first_view(url, username="ada", act_as=None) == _store_view(url,
                                                                              username="ada")


def test_the_console_takes_the_first_view_without_waiting_once_it_has_been_read(tmp_path):
    path = tmp_path / "desk.sqlite3"
    shutil.copyfile(sqlite_template(seeded=seed), path)
    url = f"sqlite:///{path}"
    opening = launch.Opening(url, username="ada", act_as=None)  # forks the reading process
    try:
        deadline = time.monotonic() + 30
        while (early := opening.ready()) is None:  # None until that process has answered
            assert time.monotonic() < deadline, "the opening process never answered"
            time.sleep(0.01)
        assert early == opening.first() == _store_view(url, username="ada")
    finally:
        opening.close()
