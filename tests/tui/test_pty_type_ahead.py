"""Type-ahead in a real terminal: bursts written as ONE write (a paste, a laggy SSH link) act
on what the keys before them opened, never on the screen behind a picker or the filter."""

from __future__ import annotations

import sys

from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.desk import setup
from deskterm.desk.people.auth import os_username
from deskterm.desk.tickets import ticket as tickets

from .pty_term import PtyTerminal

SUBJECTS = [f"Printer {n} jams" for n in range(1, 4)]


def _seed(url: str) -> dict[str, int]:
    """The tickets' numbers by subject."""
    store = Store(url)
    try:
        migrate.upgrade(store)
        username = os_username()
        admin = store.write(lambda s: setup.ensure_first_admin(s, username=username))
        return {subject: store.write(lambda s, subject=subject, index=index: tickets.create_ticket(
            s, actor=admin, requester_email=f"c{index}@example.com", subject=subject,
            body="It jams again", assignee=username)).number
            for index, subject in enumerate(SUBJECTS)}
    finally:
        store.dispose()


def _priority(url: str, number: int) -> str:
    store = Store(url)
    try:
        with store.read() as session:
            return tickets.get_ticket(session, number=number).ticket.priority
    finally:
        store.dispose()


def test_bursts_act_on_what_the_keys_before_them_opened(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    numbers = _seed(url)
    with PtyTerminal([sys.executable, "-m", "deskterm", "--db", url]) as term:
        term.wait_for(lambda t: f"{len(SUBJECTS)} tickets" in t.text() and "on " in t.text(),
                      timeout=60, what="the queue")

        term.send(b"/status:open\r")
        term.wait_for(lambda t: "/ status:open" in t.text(),
                      timeout=30, what="the filter applied")
        term.settle(0.3)
        assert "type to narrow" not in term.text()  # its `p` opened no picker
        assert "status:open" in term.lines()[1]

        term.send(b"vAll open\r")
        term.wait_for(lambda t: "All open:" in t.text(), timeout=30, what="the All open view")
        term.settle(0.3)
        assert "type to narrow" not in term.text()

        term.send(b"\r")
        term.wait_for(lambda t: "It jams again" in t.text(), timeout=30, what="the ticket")
        subject = next(s for s in SUBJECTS if s in term.text())
        term.send(b"plow\r")
        term.wait_for(lambda t: "low" in t.text() and "type to narrow" not in t.text(),
                      timeout=30, what="the priority set")
        term.settle(0.3)
        screen = term.text()
        term.send("ctrl+q")
        assert term.wait_exit(timeout=30) == 0

    assert _priority(url, numbers[subject]) == "low"
    assert "urgent" not in screen


def test_the_palette_typed_while_the_console_opens_opens_the_ticket(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    numbers = _seed(url)
    number = numbers[SUBJECTS[0]]
    with PtyTerminal([sys.executable, "-m", "deskterm", "--db", url]) as term:
        term.wait_for(lambda t: "Filter" in t.text() or "tickets" in t.text(), timeout=60,
                      what="the console")
        term.send(f"\x10#{number}\r".encode())  # ctrl+p #ref enter, as the README suggests
        term.wait_for(lambda t: "It jams again" in t.text(), timeout=30, what="the ticket")
        assert f"#{number} {SUBJECTS[0]}" in term.text()
        term.send("ctrl+q")
        assert term.wait_exit(timeout=30) == 0
