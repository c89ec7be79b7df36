"""Bounded queries in the console: a capped or stopped filter or search is explained under its
line, and the table or list keeps the last good result."""

from __future__ import annotations

import pytest

from deskterm.app import DeskApp
from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.demo.generator import seed_demo
from deskterm.desk.filter.language import MAX_LENGTH, MAX_TERMS
from deskterm.screens.kb import KbScreen
from deskterm.screens.kb_widgets import ArticleList
from deskterm.widgets.ticket_table import TicketTable

from .desks import NOW, open_desk
from .kb_articles import add_articles
from .pilot import settle, type_text

SIZE = (120, 40)


def make_app(store) -> DeskApp:
    return DeskApp(open_desk(store, "ada"), clock=lambda: NOW, watch=False)


async def submit_filter(pilot, text: str) -> None:
    await pilot.press("slash")
    pilot.app.screen.query_one("#filter").value = text  # typing 2,000 keys is not the point
    await pilot.press("enter")
    await settle(pilot)


def shown_rows(app: DeskApp) -> tuple[int, list[int]]:
    table = app.screen.query_one(TicketTable)
    return table.total, [table.row_at(i).number for i in range(min(table.total, 20))]


async def test_a_filter_past_the_term_cap_is_explained_under_the_filter_line(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await submit_filter(pilot, "status:open")
        before = shown_rows(app)
        await submit_filter(pilot, " ".join(["vpn"] * 312))
        error = app.screen.query_one("#filter-error")
        assert error.display
        lines = str(error.render()).splitlines()
        assert lines[-1] == f"the filter has 312 terms; at most {MAX_TERMS}"
        assert lines[-2].index("^") == MAX_TERMS * 4  # under the first term past the cap
        assert shown_rows(app) == before


@pytest.fixture
def demo_store(tmp_path) -> Store:
    """A 2,000-ticket demo desk: enough rows that counting a negated tag takes many steps."""
    store = Store(f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    migrate.upgrade(store)
    seed_demo(store, tickets=2_000, admin="ada")
    yield store
    store.dispose()


async def test_a_filter_stopped_for_its_time_is_explained_and_the_table_kept(demo_store):
    app = make_app(demo_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await submit_filter(pilot, "status:open")
        before = shown_rows(app)
        # A deadline already passed: SQLite stops a statement at its first look at the clock
        # (every PROGRESS_STEPS steps), which counting 2,000 tickets' tags reaches.
        app.desk.store.read_timeout = 0.0
        await submit_filter(pilot, "-tag:vpn")
        error = app.screen.query_one("#filter-error")
        assert error.display
        assert str(error.render()) == ("the search took longer than 0 s and was stopped: "
                                       "narrow the filter")
        assert shown_rows(app) == before


async def test_a_kb_search_past_the_length_cap_is_explained_under_the_search_line(desk_store):
    add_articles(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, KbScreen)
        await pilot.press("slash")
        await type_text(pilot, "vpn")
        await pilot.press("enter")
        await settle(pilot)
        articles = screen.query_one(ArticleList)
        matches = articles.option_count
        assert matches > 0
        await pilot.press("slash")
        screen.query_one("#kb-search").value = "vpn " * 2_250
        await pilot.press("enter")
        await settle(pilot)
        title = str(screen.query_one("#kb-list-title").render())
        assert title == f"the search is 9,000 characters; at most {MAX_LENGTH:,}"
        assert articles.option_count == matches
