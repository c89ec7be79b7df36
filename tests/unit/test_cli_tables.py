"""Tables on a terminal never cut a ticket's ref, priority or status: the subject gives way first.

``deskterm ticket list`` runs on a real pseudo-terminal of 80 and of 120 columns (read through a
terminal emulator); the desk's tickets have long subjects and long requester names.
"""

from __future__ import annotations

import sys

import pytest
from typer.testing import CliRunner

from deskterm.cli import app

from ..tui.pty_term import PtyTerminal

SUBJECT = "The VPN client drops every connection after the latest update on the new laptops"
NAME = "Maximiliane Hohenzollern-Weiss"


@pytest.fixture(scope="module")
def desk(tmp_path_factory) -> str:
    """A SQLite desk whose admin is this OS user: an urgent, a pending and an on-hold ticket."""
    url = f"sqlite:///{tmp_path_factory.mktemp('tables') / 'desk.sqlite3'}"
    runner = CliRunner()
    assert runner.invoke(app, ["--db", url, "init"]).exit_code == 0
    for n, (priority, status) in enumerate((("urgent", "open"), ("normal", "pending"),
                                            ("high", "on_hold"))):
        created = runner.invoke(app, [
            "--db", url, "ticket", "create", "--subject", f"{SUBJECT} {n}", "--body", "b",
            "--requester", f"max{n}@example.com", "--requester-name", NAME,
            "--priority", priority])
        assert created.exit_code == 0, created.stderr
        changed = runner.invoke(app, ["--db", url, "ticket", "set", str(1001 + n),
                                      "--status", status])
        assert changed.exit_code == 0, changed.stderr
    return url


def _ticket_list(url: str, cols: int) -> list[str]:
    with PtyTerminal([sys.executable, "-m", "deskterm", "--db", url, "ticket", "list"],
                     cols=cols, rows=20) as term:
        assert term.wait_exit(timeout=60) == 0, term.text()
        return [line.rstrip() for line in term.lines() if line.strip()]


@pytest.mark.parametrize("cols", [80, 120])
def test_ticket_list_keeps_ref_priority_and_status_whole_and_cuts_the_subject(desk, cols):
    lines = _ticket_list(desk, cols)

    header, rows = lines[0], [line for line in lines if line.startswith("#")]
    assert header.split()[:5] == ["ref", "┃", "priority", "┃", "status"]
    shown = {tuple(cell.strip() for cell in row.split("│")[:3]) for row in rows}
    assert shown == {("#1001", "urgent", "open"), ("#1002", "normal", "pending"),
                     ("#1003", "high", "on_hold")}
    subjects = [row.split("│")[3].strip() for row in rows]
    assert all(s.endswith("…") and SUBJECT.startswith(s[:-1]) for s in subjects), subjects
    assert all(len(line) <= cols for line in lines)
    assert all(row.rstrip().endswith(row.split("│")[-1].strip()) and
               row.split("│")[-1].strip()[:4].isdigit() for row in rows), "updated is whole"


def test_at_120_columns_the_requester_is_whole_and_only_the_subject_gives_way(desk):
    rows = [line for line in _ticket_list(desk, 120) if line.startswith("#")]

    assert all(row.split("│")[4].strip() == NAME for row in rows)
    assert all(len(row.split("│")[3].strip()) > 10 for row in rows)
