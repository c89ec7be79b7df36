"""No lost work, for real: the console runs in a pseudo-terminal and the agent types a note
steadily, a word every 0.2 s without ever pausing, when the console is killed (SIGKILL), told
to end (SIGTERM) or loses its terminal (the terminal hangs up and the console gets SIGHUP, as
when an SSH connection drops). A new console on the same desk shows the note again."""

from __future__ import annotations

import signal
import sys
import time

import pytest

from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.desk import setup
from deskterm.desk.people.auth import os_username
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.drafts import get_draft

from .pty_term import PtyTerminal

WORD_EVERY = 0.2
"""Seconds between two words typed."""

LOST_AT_MOST = 1.0
"""Seconds of typing a killed console may lose (the README's promise)."""


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


def _type_steadily(term: PtyTerminal, count: int) -> list[tuple[str, float]]:
    """Type ``count`` words into the open editor, one every ``WORD_EVERY`` s; each word with
    the time (``perf_counter``) it showed on the screen. Returns right after the last one."""
    shown = []
    next_word = time.perf_counter()
    for index in range(count):
        while (wait := next_word - time.perf_counter()) > 0:
            term.pump(wait)
        word = f"word{index:02d}"
        term.send(word + " ")
        shown.append((word, term.wait_for(lambda t, w=word: w in t.text(), timeout=10,
                                          what=f"{word} on the screen")))
        next_word += WORD_EVERY
    return shown


def _start_note(url: str, number: int) -> PtyTerminal:
    term = PtyTerminal([sys.executable, "-m", "deskterm", "--db", url])
    _open_ticket(term, number)
    term.send("n")
    term.wait_for(lambda t: "Internal note" in t.text(), what="the note editor")
    return term


def test_steady_typing_killed_mid_flow_loses_at_most_the_last_second(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    me = os_username()
    number = _seed(url, me)

    with _start_note(url, number) as term:
        shown = _type_steadily(term, 20)  # 4 s, never a pause: a debounce alone stores nothing
        killed = time.perf_counter()
        term.process.kill()
        term.process.wait(10)

    stored = _draft(url, me, number)
    assert stored is not None, "nothing was stored in 4 s of typing"
    typed = " ".join(word for word, _ in shown) + " "
    older = " ".join(word for word, at in shown if at < killed - LOST_AT_MOST)
    assert stored.kind == "note" and typed.startswith(stored.body)
    assert stored.body.startswith(older), (stored.body, older)

    with PtyTerminal([sys.executable, "-m", "deskterm", "--db", url]) as term:
        _open_ticket(term, number)
        last = stored.body.split()[-1]
        term.wait_for(lambda t: last in t.text() and "Internal note" in t.text(),
                      what="the note back in the editor")
        term.send("ctrl+q")
        assert term.wait_exit(timeout=30) == 0


@pytest.mark.parametrize("ending", ["SIGTERM", "hang-up"])
def test_a_console_ended_mid_typing_stores_every_word_first(tmp_path, ending):
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    me = os_username()
    number = _seed(url, me)

    with _start_note(url, number) as term:
        shown = _type_steadily(term, 6)
        before = len(term.raw)
        if ending == "hang-up":  # a dropped SSH connection: SIGHUP, and no terminal any more
            term.hang_up()
            assert term.process.wait(15) == 128 + signal.SIGHUP
        else:
            term.process.send_signal(signal.SIGTERM)
            assert term.wait_exit(timeout=15) == 128 + signal.SIGTERM
            assert b"\x1b[?1049l" in term.raw[before:], "the terminal was not restored"

    stored = _draft(url, me, number)
    assert stored is not None and stored.body == " ".join(word for word, _ in shown) + " "
