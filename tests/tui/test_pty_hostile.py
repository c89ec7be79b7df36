"""Customer text never drives the real terminal: the console runs in a pseudo-terminal, tickets
carry escape sequences, control characters and markup, and none of it reaches the output bytes.

Textual itself writes some OSC sequences (OSC 22, the pointer shape, ends with BEL; OSC 8 for
its own links); the assertions allow exactly those and nothing that carries the customers' text.
"""

from __future__ import annotations

import re
import sys

from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.desk import setup
from deskterm.desk.people.auth import os_username
from deskterm.desk.tickets import ticket as tickets

from .hostile_desk import assert_inert
from .pty_term import PtyTerminal

ESC = "\x1b"
MARKUP_SUBJECT = "Re: invoice [/] overdue [@click=app.quit]x[/]"
MARKUP_NAME = "Mallory [@click=app.quit]O'Hara[/]"
HOSTILE = {
    "osc52": f"{ESC}]52;c;SGVsbG8=\x07",
    "osc8": f"{ESC}]8;;http://evil{ESC}\\click{ESC}]8;;{ESC}\\",
    "csi8": "\u009b31m",
    "rlo": "\u202e",
    "clear": f"{ESC}[2J",
    "dcs": f"{ESC}P+q544e{ESC}\\",
    "c1dcs": "\x90",
    "bel": "\x07",
}
"""What customers wrote; each lands in a subject, a requester's name and a message body."""

ROW = re.compile(r"#\d{4,}")


def _seed(url: str, username: str) -> None:
    store = Store(url)
    try:
        migrate.upgrade(store)
        admin = store.write(lambda s: setup.ensure_first_admin(s, username=username))
        assert admin is not None

        def file(subject: str, body: str, name: str, email: str) -> None:
            store.write(lambda s: tickets.create_ticket(
                s, actor=admin, requester_email=email, requester_name=name, subject=subject,
                body=body, assignee=username))

        for index, (key, payload) in enumerate(HOSTILE.items()):
            file(f"{key} before{payload}after {key}", f"Body {key}: {payload} end",
                 f"Name{payload}{index}", f"user{index}@hostile.example")
        file(MARKUP_SUBJECT, "[bold red]loud[/] " + "".join(HOSTILE.values()), MARKUP_NAME,
             "mallory@hostile.example")
    finally:
        store.dispose()


def _painted(term: PtyTerminal) -> bool:
    text = term.text()
    return "Re: invoice" in text and len(ROW.findall(text)) > len(HOSTILE)


def _cell(row: str, start: str) -> str:
    """The table cell in ``row`` that begins with ``start``, without its ellipsis or padding."""
    return row[row.index(start):].split("…")[0].split("  ")[0]


def test_hostile_text_never_reaches_the_terminal(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    _seed(url, os_username())

    with PtyTerminal([sys.executable, "-m", "deskterm", "--db", url]) as term:
        try:
            term.wait_for(_painted, timeout=60, what="the ticket rows")
        except TimeoutError:
            assert_inert(bytes(term.raw))  # a leaked sequence may be why nothing shows
            raise
        for key in ("j", "j", "G", "k", "g"):
            term.send(key)
            term.settle(0.1, timeout=5)
        screen = term.lines()
        # The new-ticket form's requester picker lists the hostile names (n, then a search).
        term.send("n")
        term.wait_for(lambda t: "Requester: type a name" in t.text(), timeout=30,
                      what="the requester picker")
        term.send("hostile")
        term.wait_for(lambda t: "user0@hostile.example" in t.text(), timeout=30,
                      what="the hostile requesters in the picker")
        picker = term.lines()
        for key in ("escape", "escape"):  # the picker, then the empty form
            term.send(key)
            term.settle(0.1, timeout=5)
        term.send("ctrl+q")
        assert term.wait_exit(timeout=30) == 0
        raw = bytes(term.raw)

    assert_inert(raw)
    # The markup is shown as the words it is, never run: the subject and the requester's name
    # literally (or their start, cut with an ellipsis to the column's width).
    row = next(line for line in screen if "Re: invoice" in line)
    subject, name = _cell(row, "Re: invoice"), _cell(row, "Mallory")
    assert len(subject) >= 20 and MARKUP_SUBJECT.startswith(subject), row
    assert len(name) >= 10 and MARKUP_NAME.startswith(name), row
    assert any(MARKUP_NAME in line for line in picker), picker
