"""Stored text put into an editor never drives the real terminal: the console runs in a
pseudo-terminal on a desk whose subjects, replies, articles, macros and drafts hold OSC 52, OSC 8,
CSI, DCS, RIS, C1, bidi controls and markup, and each way that text reaches an editor — ``K`` on a
solved ticket, ``e`` in the knowledge base, ``k`` into the reply, ``m`` (a macro), a draft opened
again — shows it cleaned, with none of its bytes in the output.

Textual itself writes some OSC sequences (OSC 22, the pointer shape); ``assert_inert`` allows
exactly those and nothing that carries the desk's text.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from deskterm.desk.people.auth import os_username

from .hostile_desk import SHOWN, HostileDesk, assert_inert
from .pty_term import PtyTerminal

MARKERS = ("<osc52></osc52>", "<dcs></dcs>", "<ris></ris>", "<bidi></bidi>",
           "[@click=app.quit]x[/]")
"""Parts of :data:`SHOWN` short enough never to be wrapped: the cleaned text is on screen."""


def _desk(tmp_path) -> HostileDesk:
    return HostileDesk(f"sqlite:///{tmp_path / 'desk.sqlite3'}", os_username())


@contextmanager
def _console(desk: HostileDesk) -> Iterator[PtyTerminal]:
    with PtyTerminal([sys.executable, "-m", "deskterm", "--db", desk.url]) as term:
        try:
            yield term
        except TimeoutError:
            assert_inert(bytes(term.raw))  # a leaked sequence may be why the screen is wrong
            raise


def _shows(*parts: str):
    return lambda term: all(part in term.text() for part in parts)


def _open_first_row(term: PtyTerminal, number: int, thread: str) -> None:
    term.wait_for(_shows(f"#{number}"), timeout=60, what="the queue row")
    term.settle(0.2, timeout=5)
    term.send("enter")
    term.wait_for(_shows(thread), timeout=30, what="the thread")


def _quit(term: PtyTerminal) -> bytes:
    term.send("ctrl+q")
    assert term.wait_exit(timeout=30) == 0
    return bytes(term.raw)


def _editor_shows_the_cleaned_text(term: PtyTerminal, start: str) -> None:
    term.wait_for(_shows(start, *MARKERS), what=f"“{start}” cleaned in the editor")


def _wait_for_draft(term: PtyTerminal, desk: HostileDesk, number: int, body: str) -> None:
    deadline = time.monotonic() + 20
    while desk.stored_draft(number) != body:  # stored a moment after the text changed
        assert time.monotonic() < deadline, f"the draft stored: {desk.stored_draft(number)!r}"
        term.pump(0.1)


def test_K_puts_the_subject_and_solution_into_the_article_editor_cleaned(tmp_path):
    desk = _desk(tmp_path)
    try:
        number = desk.ticket("Printer jam on floor 3")
        desk.solve(number, "Open tray 2 and pull the sheet.", "printer")
    finally:
        desk.close()

    with _console(desk) as term:
        term.wait_for(_shows("Recently solved"), timeout=60, what="the queue")
        term.send("v")  # the solved ticket is in the "Recently solved" view
        term.wait_for(_shows("type to narrow"), what="the views")
        term.send("solved")
        term.settle(0.3, timeout=5)
        term.send("enter")
        _open_first_row(term, number, "Open tray 2")
        term.send("K")
        term.wait_for(_shows(f"New article from #{number}"), what="the article editor")
        _editor_shows_the_cleaned_text(term, "Open tray 2 and pull the sheet.")
        screen = term.text()
        raw = _quit(term)

    assert_inert(raw)
    assert "printerN" in screen  # the tag, cleaned of what followed its name


def test_e_and_k_put_an_articles_title_tags_category_and_text_into_editors_cleaned(tmp_path):
    desk = _desk(tmp_path)
    try:
        number = desk.ticket("VPN drops")
        desk.article("Reset a VPN token", "1. Open settings.\n2. Reset.")
    finally:
        desk.close()

    with _console(desk) as term:
        _open_first_row(term, number, "Since the update.")
        term.send("k")  # the article's whole text into the reply
        term.wait_for(_shows("Insert a knowledge-base article"), what="the article picker")
        term.settle(0.3, timeout=5)
        term.send("VPN")  # a picker's enter takes only the choice typed or moved to
        term.send("enter")
        term.wait_for(_shows("its text, as plain text"), what="link or text")
        term.send("b")
        _editor_shows_the_cleaned_text(term, "2. Reset.")
        term.send("escape")
        term.settle(0.3, timeout=5)
        term.send("2")
        term.wait_for(_shows("All articles", "Reset a VPN token"), what="the knowledge base")
        term.settle(0.3, timeout=5)
        term.send("e")
        term.wait_for(_shows("Edit article"), what="the article editor")
        _editor_shows_the_cleaned_text(term, "1. Open settings.")
        term.wait_for(_shows("NetN", "vpnN"), what="category and tags, cleaned")
        term.send("escape")  # nothing changed: the editor closes without asking
        term.wait_for(lambda t: "Edit article" not in t.text(), what="the editor closed")
        raw = _quit(term)

    assert_inert(raw)


def test_m_puts_a_macros_text_into_the_reply_cleaned_and_keeps_it_so_as_a_draft(tmp_path):
    desk = _desk(tmp_path)
    try:
        number = desk.ticket("Refund please")
        desk.macro("Refund done", "Hi {{requester.first_name}}, the refund is on its way.")
    finally:
        desk.close()

    with _console(desk) as term:
        _open_first_row(term, number, "Since the update.")
        term.send("m")
        term.wait_for(_shows("Refund done"), what="the macro picker")
        term.settle(0.3, timeout=5)
        term.send("Refund")
        term.send("enter")
        _editor_shows_the_cleaned_text(term, "Hi Mallory, the refund is on its way.")
        _wait_for_draft(term, desk, number, f"Hi Mallory, the refund is on its way. {SHOWN}")
        raw = _quit(term)

    assert_inert(raw)


def test_a_stored_draft_holding_escapes_comes_back_cleaned(tmp_path):
    desk = _desk(tmp_path)
    try:
        number = desk.ticket("VPN drops")
        desk.draft(number, "Draft: try the new client")
    finally:
        desk.close()

    with _console(desk) as term:
        _open_first_row(term, number, "Since the update.")
        term.wait_for(_shows("Your draft reply is back"), what="the draft restored")
        _editor_shows_the_cleaned_text(term, "Draft: try the new client")
        # The draft is stored again as the editor holds it: cleaned.
        _wait_for_draft(term, desk, number, f"Draft: try the new client {SHOWN}")
        raw = _quit(term)

    assert_inert(raw)
