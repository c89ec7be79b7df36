"""The CLI, the desk and the store stay free of Textual, so `deskterm ticket list` starts fast."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_imports_neither_textual_nor_the_console():
    code = (
        "import sys, deskterm.cli, deskterm.desk.tickets.ticket, deskterm.desk.tickets.reads;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_console_shows_its_first_screen_before_loading_the_store():
    # deskterm.launch forks the child that loads the store, then loads the console: neither
    # it nor the app, the opening screen or the table may pull in SQLAlchemy, SQLModel or
    # pydantic, or the first view waits for them (see deskterm/launch.py).
    code = (
        "import sys, deskterm.launch, deskterm.app, deskterm.screens.queue_layout;"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in"
        " ('sqlalchemy', 'sqlmodel', 'pydantic', 'typer') or m.startswith('deskterm.db')}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert "textual" in subprocess.run(
        [sys.executable, "-c", "import sys, deskterm.app; print(sorted(sys.modules))"],
        capture_output=True, text=True, check=True).stdout
