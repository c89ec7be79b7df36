"""The floor for bench/queue.py: the least a Textual app can do, one static line on screen.

    .venv/bin/python -P bench/floor_app.py
"""

# ruff: noqa: E402
import sys
from pathlib import Path

# Beside this file, bench/queue.py would pass for the standard library's ``queue`` (which
# Textual imports): keep this folder off the import path (``-P`` does the same).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from textual.app import App, ComposeResult
from textual.widgets import Static

LINE = "floor: one static line"


class FloorApp(App[None]):
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static(LINE)


if __name__ == "__main__":
    FloorApp().run()
