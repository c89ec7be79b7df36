"""The floor for bench/queue.py: the least a Textual app can do, one static line on screen.

    .venv/bin/python -P bench/floor_app.py

(``-P``: beside this file, bench/queue.py would pass for the standard library's ``queue``.)
"""

from textual.app import App, ComposeResult
from textual.widgets import Static

LINE = "floor: one static line"


class FloorApp(App[None]):
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Static(LINE)


if __name__ == "__main__":
    FloorApp().run()
