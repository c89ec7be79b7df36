"""No lost work, for real: the console runs in a pseudo-terminal, the agent types a note, the
process is killed (SIGKILL, as when an SSH connection drops and the session is torn down), and a
new console on the same desk shows the note again."""

from __future__ import annotations

import sys
import time

from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.desk import setup, tickets
from deskterm.desk.auth import os_username
from deskterm.desk.drafts import get_draft

from .pty_term import PtyTerminal

NOTE = "Checked the VPN logs, nothing since Monday"


def _seed(url: str, username: str) -> int:
    store = Store(url)
    try:
        migrate.upgrade(store)
        admin = store.write(lambda s: setup.ensure_first_admin(s, username=username))
        ticket = store.write(lambda s: tickets.create_ticket(
            s, actor=admin, requester_email="carol@acme.test", requester_name="Carol Diaz",
            subject="VPN drops every 10 minutes", body="Since the update.", assignee=username))
        return ticket.number
    finally:
        store.dispose()


def _draft(url: str, username: str, number: int):
    store = Store(url)
    try:
        with store.read() as session:
            return get_draft(session, agent=username, number=number)
    finally:
        store.dispose()


def _open_ticket(term: PtyTerminal, number: int) -> None:
    term.wait_for(lambda t: f"#{number}" in t.text(), timeout=60, what="the queue row")
    term.settle(0.2, timeout=5)
    term.send("enter")
    term.wait_for(lambda t: "Since the update." in t.text(), timeout=30, what="the thread")


def test_a_note_typed_before_the_console_was_killed_is_back_in_the_next_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    me = os_username()
    number = _seed(url, me)
    argv = [sys.executable, "-m", "deskterm", "--db", url]

    with PtyTerminal(argv) as term:
        _open_ticket(term, number)
        term.send("n")
        term.wait_for(lambda t: "Internal note" in t.text(), what="the note editor")
        term.send(NOTE)
        deadline = time.monotonic() + 20
        while _draft(url, me, number) is None:  # stored half a second after the last key
            assert time.monotonic() < deadline, "the draft was never stored"
            term.pump(0.1)
        term.process.kill()
        term.process.wait(10)

    stored = _draft(url, me, number)
    assert (stored.kind, stored.body) == ("note", NOTE)

    with PtyTerminal(argv) as term:
        _open_ticket(term, number)
        term.wait_for(lambda t: NOTE in t.text() and "Internal note" in t.text(),
                      what="the note back in the editor")
        term.send("ctrl+q")
        assert term.wait_exit(timeout=30) == 0
