"""The CLI, the desk and the store stay free of Textual, so `deskterm ticket list` starts fast."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_imports_neither_textual_nor_the_console():
    code = (
        "import sys, deskterm.cli, deskterm.desk.tickets, deskterm.desk.ticket_reads;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
