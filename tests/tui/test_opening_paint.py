"""While the console opens, the first rows reach the terminal before the store is loaded.

Loading the store (SQLAlchemy, SQLModel, the models) in the worker holds the interpreter's
lock about half the time: started as soon as the rows were read, it slowed their painting.
"""

from __future__ import annotations

from textual.app import App

from deskterm import app as app_module
from deskterm.app import DeskApp
from deskterm.desk.opening import plain_first_view
from deskterm.desk.service import Desk
from deskterm.screens.queue_layout import OpeningScreen

from .desks import NOW
from .pilot import until


class _Opening:
    """What ``deskterm.launch.Opening`` does, in this process, noting what the opening screen
    had painted when the store began to load."""

    def __init__(self, url: str, painted: list[bool]) -> None:
        self.url = url
        self.painted = painted
        self.painted_when_loading: list[bool] | None = None
        self.desk: Desk | None = None

    def first(self):
        return plain_first_view(self.url, username="ada", act_as=None)

    def ready(self):
        return None  # as when the opening process has not answered yet: the worker waits

    def open(self) -> Desk:
        self.painted_when_loading = list(self.painted)
        self.desk = Desk.open(self.url, username="ada")
        return self.desk

    def opened(self) -> None:
        pass


async def test_the_first_rows_are_painted_before_the_store_loads(desk_store, monkeypatch):
    painted: list[bool] = []  # one entry per frame of the opening screen: rows in it or not
    refresh = OpeningScreen._compositor_refresh

    def noted(screen: OpeningScreen) -> None:
        refresh(screen)
        painted.append(screen.table.row_at(0) is not None)

    monkeypatch.setattr(OpeningScreen, "_compositor_refresh", noted)
    # The console stops waiting for the paint after START_PAINT_WAIT (2 s) and loads all the
    # same; on a machine loaded flat out the paint can take longer. What is checked here is
    # the order when the paint comes in time.
    monkeypatch.setattr(app_module, "START_PAINT_WAIT", 60.0)
    opening = _Opening(desk_store.url.render_as_string(hide_password=False), painted)
    app = DeskApp(opening=opening, clock=lambda: NOW, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: opening.desk is not None
                    and not isinstance(app.screen, OpeningScreen), what="the queue")
    assert opening.painted_when_loading, "the store began loading before any frame"
    assert opening.painted_when_loading[-1], "the store began loading before the rows' frame"


async def test_rows_read_before_the_opening_screen_is_mounted_are_drawn_as_it_mounts(
        desk_store):
    # The opening process can answer before the screen has mounted: its bars and rows must
    # not be drawn over by the empty ones it mounts with.
    start = plain_first_view(desk_store.url.render_as_string(hide_password=False),
                             username="ada", act_as=None)
    painted: list[bool] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            screen = OpeningScreen(clock=lambda: NOW)
            self.push_screen(screen)
            screen.show_start(start, lambda: painted.append(True))  # not mounted yet

    app = Host()
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: painted, what="the rows painted")
        screen = app.screen
        assert f"My open {start.total}" in str(screen.query_one("#views").render())
        assert f"My open: {start.total} tickets" in str(
            screen.query_one("#queue-status").render())
        assert screen.table.row_at(0) == start.rows[0]
