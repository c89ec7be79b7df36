"""``deskterm`` opens the console in two halves (deskterm.launch): what a person sees of that.

The console runs in a pseudo-terminal as an agent runs it; the child that reads the first view,
the opening screen and the queue that takes its place are all exercised.
"""

from __future__ import annotations

import sys

import pytest

from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.desk import setup
from deskterm.desk.people import directory as people
from deskterm.desk.people.auth import os_username
from deskterm.desk.tickets import ticket as tickets
from deskterm.launch import console_args

from .pty_term import PtyTerminal

SUBJECTS = [f"Ticket number {n}" for n in range(1, 6)]


def _seed(url: str) -> None:
    store = Store(url)
    try:
        migrate.upgrade(store)
        username = os_username()
        admin = store.write(lambda s: setup.ensure_first_admin(s, username=username))
        for index, subject in enumerate(SUBJECTS):
            store.write(lambda s, subject=subject, index=index: tickets.create_ticket(
                s, actor=admin, requester_email=f"c{index}@example.com", subject=subject,
                body="Hello", assignee=username))
    finally:
        store.dispose()


def _console(url: str, *extra: str) -> PtyTerminal:
    return PtyTerminal([sys.executable, "-m", "deskterm", "--db", url, *extra])


@pytest.mark.parametrize(("argv", "expected"), [
    ([], {"--db": None, "--as": None}),
    (["--db", "sqlite:///x"], {"--db": "sqlite:///x", "--as": None}),
    (["--db=sqlite:///x", "--as", "bert"], {"--db": "sqlite:///x", "--as": "bert"}),
    (["--as=bert"], {"--db": None, "--as": "bert"}),
    # as Click reads them: a value is the next argument whatever it starts with (the console
    # then refuses the URL or the agent, as the CLI did), and a last "--" ends the options
    (["--db", "-x"], {"--db": "-x", "--as": None}),
    (["--as", "-name"], {"--db": None, "--as": "-name"}),
    (["--as", "--db"], {"--db": None, "--as": "--db"}),
    (["--db", "sqlite:///x", "--"], {"--db": "sqlite:///x", "--as": None}),
    (["--"], {"--db": None, "--as": None}),
])
def test_only_global_options_open_the_console(argv, expected):
    assert console_args(argv) == expected


@pytest.mark.parametrize("argv", [
    ["ticket", "list"], ["--db", "sqlite:///x", "ticket"], ["--help"], ["--version"],
    ["--db"], ["--db", "--as", "x"], ["--bogus"], ["--db="], ["--as", ""], ["--as= "],
    ["--", "ticket"], ["--db", "x", "--", "ticket"],
])
def test_anything_else_goes_to_the_cli(argv):
    assert console_args(argv) is None


def test_keys_typed_while_the_console_opens_act_on_the_queue(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    _seed(url)
    with _console(url) as term:
        # As soon as the console shows anything (keys sent before it starts are the terminal's
        # to drop), while the desk may still be opening: down twice, then open that ticket.
        term.wait_for(lambda t: "Filter" in t.text(), timeout=60, what="the console")
        term.send("j")
        term.send("j")
        term.send("enter")
        term.wait_for(lambda t: "Hello" in t.text() and "Reply" in t.text(), timeout=60,
                      what="the ticket screen")
        # Newest first: the third row is the third-newest ticket.
        assert SUBJECTS[-3] in term.text()
        assert SUBJECTS[-1] not in term.text().split("Hello")[0].splitlines()[0]
        term.send("ctrl+q")
        assert term.wait_exit(timeout=30) == 0


def test_the_console_shows_the_first_view_and_its_count(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    _seed(url)
    with _console(url) as term:
        term.wait_for(lambda t: "My open: 5 tickets" in t.text(), timeout=60,
                      what="the status line")
        assert all(subject in term.text() for subject in SUBJECTS)
        assert "My open 5" in term.text()
        term.send("ctrl+q")
        assert term.wait_exit(timeout=30) == 0


@pytest.mark.parametrize(("extra", "says"), [
    (("--as", "nobody"), "deskterm: 'nobody' is not an agent of this desk"),
    ((), "has no deskterm desk yet: run `deskterm init`"),
    (("--as", "-name"), "deskterm: '-name' is not an agent of this desk"),
])
def test_a_desk_that_cannot_be_opened_is_one_line_and_exit_1(tmp_path, extra, says):
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    if extra:
        _seed(url)
    with _console(url, *extra) as term:
        code = term.wait_exit(timeout=60)
        term.pump(0.2)
        text = "".join(term.screen.display)  # a long line wraps at the terminal's edge
    assert code == 1
    assert says in text
    assert "Traceback" not in text
    assert extra or not (tmp_path / "desk.sqlite3").exists()  # a mistyped path makes no desk


def test_a_url_that_looks_like_an_option_is_refused_by_the_console_in_one_line(tmp_path):
    # `deskterm --db -x`: the launcher reads -x as the URL (as the CLI's parser would) and the
    # console refuses it; the CLI, which never opens the console, is not involved.
    with PtyTerminal([sys.executable, "-m", "deskterm", "--db", "-x"]) as term:
        code = term.wait_exit(timeout=60)
        term.pump(0.2)
        text = "".join(term.screen.display)
    assert code == 1
    assert "deskterm: not a database URL: -x (use sqlite:///FILE or postgresql://" in text
    assert "Traceback" not in text


def test_a_deactivated_agent_is_refused_by_the_console_in_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    _seed(url)
    store = Store(url)
    try:
        store.write(lambda s: people.add_agent(s, username="gone", display_name="Gone"))
        store.write(lambda s: people.set_agent(s, username="gone", active=False))
    finally:
        store.dispose()
    with _console(url, "--as", "gone") as term:
        code = term.wait_exit(timeout=60)
        term.pump(0.2)
        text = "".join(term.screen.display)
    assert code == 1
    assert ("deskterm: agent 'gone' is deactivated: an admin can reactivate it with "
            "`deskterm agent set gone --active`") in text
    assert "Traceback" not in text
