"""The queue's ``Z``: an agent marks themselves away (automatic assignment skips them) or back,
and the status line says so."""

from __future__ import annotations

from deskterm.desk.people import directory as people

from .pilot import settle, until
from .test_queue import SIZE, make_app


def _away(store, username: str) -> bool:
    with store.read() as session:
        return people.find_agent(session, username).away


def _status(app) -> str:
    return str(app.screen.query_one("#queue-status").render())


async def test_z_marks_me_away_and_back_and_the_status_line_says_so(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "(away)" not in _status(app)
        await pilot.press("Z")
        await until(pilot, lambda: "ada (away) on" in _status(app))
        assert _away(desk_store, "ada") is True
        await pilot.press("Z")
        await until(pilot, lambda: "(away)" not in _status(app))
        assert _away(desk_store, "ada") is False
