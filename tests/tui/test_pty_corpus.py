"""The real console in a pseudo-terminal, on a desk whose tickets and articles hold the hostile
corpus (escape sequences, C1 controls, bidi overrides, Rich markup, a 10,000-character word,
zero-width, combining, CJK and emoji characters): the queue, five tickets and the knowledge base
(its list and two articles) are visited.

Two things are checked. Every escape sequence in the output is one of the kinds Textual itself
writes (SGR, cursor moves, its modes, its OSC 22), and none of the corpus's own reaches it (the
OSC 52 payload, the OSC 8 link, the DCS query, RIS, C1, bidi controls). And the columns stay
where they belong on a terminal that measures characters as ``wcwidth`` does (pyte, like xterm):
in the queue each column starts at its header's cell on every row; on a ticket the sidebar's
border, and in the knowledge base the panes' borders, are in one cell column on every line.
Zero-width characters and emoji joiners used to cut rows short and push the sidebar left (see
``safe_text.cell_line``).
"""

from __future__ import annotations

import re
import sys

from deskterm.desk.people.auth import os_username

from .hostile_corpus import seed
from .hostile_desk import assert_inert
from .pty_term import PtyTerminal

ALLOWED = re.compile(
    rb"\x1b\[[0-9;]*[mH]"                            # SGR, cursor position
    rb"|\x1b\[\?(?:1000|1003|1004|1006|1015|1049|2004|25|7|2026)[hl]"   # Textual's modes
    rb"|\x1b\[\?(?:2026|2048)\$p"                    # asks whether the terminal has a mode
    rb"|\x1b\[<u|\x1b\[>[0-9]+u"                     # the kitty keyboard protocol
    rb"|\x1b\]22;[a-z-]*\x07"                        # the pointer's shape
)
SEQUENCE = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|.)", re.DOTALL)


def _cells(term: PtyTerminal, y: int) -> list[str]:
    """Row ``y`` of the terminal, a string per cell ("" right of a wide character)."""
    line = term.screen.buffer[y]
    return [line[x].data for x in range(term.screen.columns)]


def _border_columns(term: PtyTerminal, border: str, rows: range) -> set[tuple[int, ...]]:
    """For each row of ``rows`` holding ``border``, the cells it is in."""
    found = set()
    for y in rows:
        where = tuple(x for x, data in enumerate(_cells(term, y)) if data == border)
        if where:
            found.add(where)
    return found


def _assert_queue_aligned(term: PtyTerminal, numbers: dict[str, int]) -> None:
    lines = term.lines()
    header = next(y for y, line in enumerate(lines) if "Requester" in line and "Ref" in line)
    starts = {title: lines[header].index(title)
              for title in ("Priority", "Status", "Subject", "Requester", "Assignee", "Updated")}
    rows = [y for y, line in enumerate(lines) if re.search(r"#10\d\d", line)]
    assert len(rows) == len(numbers), lines
    for y in rows:
        cells = _cells(term, y)
        for title, x in starts.items():
            assert cells[x - 1] == " " and cells[x] not in ("", " "), (title, lines[y])
        assert "".join(cells[starts["Status"]:starts["Status"] + 4]) == "open", lines[y]
        assert "".join(cells[starts["Updated"]:starts["Updated"] + 3]) == "now", lines[y]


def _assert_one_border(term: PtyTerminal, border: str) -> None:
    rows = range(1, term.screen.lines - 2)  # above the footer (which has one of its own)
    found = _border_columns(term, border, rows)
    assert len(found) == 1, (found, term.text())


def test_hostile_corpus_stays_inert_and_aligned_on_every_screen(tmp_path):
    url = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    numbers = seed(url, os_username())
    with PtyTerminal([sys.executable, "-m", "deskterm", "--db", url]) as term:
        try:
            term.wait_for(lambda t: len(re.findall(r"#10\d\d", t.text())) == len(numbers),
                          timeout=60, what="the queue's rows")
            term.settle(0.3, timeout=5)
            _assert_queue_aligned(term, numbers)
            assert "Smarkup [red]x[/] [@" in term.text()  # markup shown, not run

            # Newest first: emoji, cjk, combining, zerowidth, long, markup ...
            for moves, key in ((0, "emoji"), (1, "cjk"), (2, "zerowidth"), (1, "long"),
                               (1, "markup")):
                for _ in range(moves):
                    term.send("j")
                    term.settle(0.1, timeout=5)
                term.send("enter")
                term.wait_for(lambda t, key=key: f"#{numbers[key]} S{key}" in t.text()
                              and "Other tickets" in t.text(), timeout=30,
                              what=f"the {key} ticket")
                term.settle(0.3, timeout=5)
                _assert_one_border(term, "▏")
                term.send("escape")
                term.wait_for(lambda t: "Requester" in t.text(), timeout=30, what="the queue")
                term.settle(0.2, timeout=5)

            term.send("2")
            term.wait_for(lambda t: "All articles" in t.text() and "Azerowidth" in t.text(),
                          timeout=30, what="the knowledge base")
            term.send("enter")  # from the tree into the list
            term.settle(0.2, timeout=5)
            for moves, key in ((6, "emoji"), (1, "long")):
                for _ in range(moves):
                    term.send("down")
                term.send("enter")
                # its title twice: in the list and atop the reader
                term.wait_for(lambda t, key=key: t.text().count(f"A{key} ") >= 2, timeout=30,
                              what=f"the {key} article")
                term.settle(0.3, timeout=5)
                _assert_one_border(term, "▕")
            term.send("ctrl+q")
            assert term.wait_exit(timeout=30) == 0
        except (TimeoutError, AssertionError):
            assert_inert(bytes(term.raw))  # a leaked sequence may be why the screen is wrong
            raise
        raw = bytes(term.raw)

    assert_inert(raw)
    foreign = sorted({match.group() for match in SEQUENCE.finditer(raw)
                      if not ALLOWED.fullmatch(match.group())})
    assert not foreign, f"escape sequences Textual does not write: {foreign[:10]}"
    assert raw.count(b"\x1b[?1049l") == 1, "the alternate screen left more than once"
    assert b"\x1b[31mred" not in raw and b"\x1b[6n" not in raw
