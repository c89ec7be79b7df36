"""A bracketed paste stays one paste: an ESC or a control character inside it never turns into
keystrokes (Textual's parser alone re-issues what follows a pasted ESC as keys, ``^S`` and ``^Q``
included), however the terminal's input is split into reads."""

from __future__ import annotations

import sys

from textual import events
from textual._xterm_parser import XTermParser  # noqa: PLC2701 (Textual's own key parser)

from deskterm.desk.people.auth import os_username
from deskterm.paste_guard import PasteGuardParser

from .hostile_desk import HostileDesk
from .pty_term import PtyTerminal

PASTED = "hello \x1b]52;c;SGVsbG8=\x07 world\x1b\x11\x13\ttab\r\nnext\x1b[2J end"
"""Copied from a customer's mail: OSC 52, ESC ^Q ^S, a tab, a line break, a clear screen."""
INPUT = f"a\x1b[200~{PASTED}\x1b[201~b\x1b[A"
"""Typed ``a``, the paste, then typed ``b`` and the up arrow."""


def _events(parser, data: str, size: int) -> list:
    found = []
    for start in range(0, len(data), size):
        found.extend(parser.feed(data[start:start + size]))
    found.extend(parser.tick())
    return found


def _shown(found: list) -> list[str]:
    return [f"paste:{e.text}" if isinstance(e, events.Paste) else f"key:{e.key}" for e in found]


def test_textuals_own_parser_turns_a_pasted_escape_into_keystrokes():
    # Why the guard exists: if this ever stops holding, Textual has fixed it upstream.
    keys = _shown(_events(XTermParser(), INPUT, len(INPUT)))
    assert "key:ctrl+q" in keys and "key:ctrl+s" in keys


def test_a_paste_is_one_paste_without_controls_whatever_the_reads():
    for size in range(1, len(INPUT) + 1):
        found = _shown(_events(PasteGuardParser(), INPUT, size))
        assert found == ["key:a", "paste:hello ]52;c;SGVsbG8= world\ttab\r\nnext[2J end",
                         "key:b", "key:up"], size


def test_input_outside_a_paste_is_parsed_as_before():
    typed = "jk\x1b[B\x1b[1;5Aq\rx"
    for size in (1, 2, 3, len(typed)):
        assert (_shown(_events(PasteGuardParser(), typed, size))
                == _shown(_events(XTermParser(), typed, size))), size


def test_a_pasted_escape_neither_sends_the_reply_nor_quits_the_console(tmp_path):
    desk = HostileDesk(f"sqlite:///{tmp_path / 'desk.sqlite3'}", os_username())
    try:
        number = desk.ticket("VPN drops")
    finally:
        desk.close()

    with PtyTerminal([sys.executable, "-m", "deskterm", "--db", desk.url]) as term:
        term.wait_for(lambda t: f"#{number}" in t.text(), timeout=60, what="the queue row")
        term.settle(0.2, timeout=5)
        term.send("enter")
        term.wait_for(lambda t: "Since the update." in t.text(), what="the thread")
        term.send("r")
        term.wait_for(lambda t: "Reply to the requester" in t.text(), what="the reply editor")
        term.send(f"\x1b[200~{PASTED}\x1b[201~")
        term.wait_for(lambda t: "next[2J end" in t.text(), what="the pasted text")
        term.settle(0.5, timeout=5)
        assert term.process.poll() is None, "the console quit"
        assert "Send as" not in term.text(), "ctrl+s reached the ticket screen"
        assert "hello ]52;c;SGVsbG8= world" in term.text()
        term.send("ctrl+q")
        assert term.wait_exit(timeout=30) == 0
