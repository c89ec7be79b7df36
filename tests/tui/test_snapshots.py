"""What the console looks like at 120x40 with the fixed desk and a frozen clock, and the
queue, ticket and knowledge-base screens at 80x24 and 200x50 too.

Update after a deliberate change of layout: ``.venv/bin/pytest tests/tui/test_snapshots.py
--snapshot-update``, then look at the SVGs in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

import pytest

from deskterm.app import DeskApp

from .desks import NOW, add_conversation, open_desk
from .pilot import settle, type_text, until

SIZE = (120, 40)
OTHER_SIZES = pytest.mark.parametrize("size", [(80, 24), (200, 50)], ids=["80x24", "200x50"])
"""The smallest terminal every screen must work in, and a wide one (120x40: the tests above)."""


def make_app(store) -> DeskApp:
    return DeskApp(open_desk(store), clock=lambda: NOW, watch=False)


def test_queue_my_open(desk_store, snap_compare):
    async def ready(pilot):
        await settle(pilot)

    assert snap_compare(make_app(desk_store), terminal_size=SIZE, run_before=ready)


def test_queue_every_ticket_with_wide_and_right_to_left_text(desk_store, snap_compare):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("slash")
        pilot.app.screen.query_one("#filter").value = ""
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("j", "x", "j", "x", "j")
        await settle(pilot)

    assert snap_compare(make_app(desk_store), terminal_size=SIZE, run_before=ready)


def test_queue_filter_error_points_at_the_term(desk_store, snap_compare):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("slash")
        pilot.app.screen.query_one("#filter").value = ""
        await type_text(pilot, "status:open priority:>=hgih")
        await pilot.press("enter")
        await settle(pilot)
        pilot.app.screen.query_one("#filter").cursor_blink = False  # a steady picture
        await pilot.pause()

    assert snap_compare(make_app(desk_store), terminal_size=SIZE, run_before=ready)


def test_ticket_screen(desk_store, snap_compare):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(desk_store), terminal_size=SIZE, run_before=ready)


def test_ticket_screen_with_public_and_internal_messages(any_desk_store, snap_compare):
    """On both stores: the thread, the time spent and the links are read back from the store
    (timestamps, message order, the problem link), so the picture must not depend on it."""
    add_conversation(any_desk_store, 1118)

    async def ready(pilot):
        await settle(pilot)
        pilot.app.screen.go_to_ticket(1118)
        await settle(pilot)

    assert snap_compare(make_app(any_desk_store), terminal_size=SIZE, run_before=ready)


def test_knowledge_base_search_with_an_article_open(desk_store, snap_compare):
    """The tree, a search's hits with their matches marked, the reader on the best hit."""
    from .kb_articles import add_articles

    add_articles(desk_store)

    async def ready(pilot):
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "vpn")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(desk_store), terminal_size=SIZE, run_before=ready)


# --- other sizes: 80x24 (columns dropped, one pane at a time) and 200x50 (wider names) ------


@OTHER_SIZES
def test_queue_at_size(desk_store, snap_compare, size):
    """80: ref, priority, status, subject and updated, the rest of the highlighted ticket in
    the line under the table; 200: every column, the names wider."""
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)

    assert snap_compare(make_app(desk_store), terminal_size=size, run_before=ready)


@OTHER_SIZES
def test_ticket_screen_at_size(desk_store, snap_compare, size):
    """80: the thread has the width, the requester under the title, the sidebar behind \\;
    200: the sidebar a quarter of the width."""
    add_conversation(desk_store, 1118)

    async def ready(pilot):
        await settle(pilot)
        pilot.app.screen.go_to_ticket(1118)
        await settle(pilot)

    assert snap_compare(make_app(desk_store), terminal_size=size, run_before=ready)


def test_ticket_screen_writing_a_reply_at_80x24(desk_store, snap_compare):
    """A short terminal: the editor is lower, the thread keeps some lines above it."""
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("r")
        await type_text(pilot, "Thanks, ")
        pilot.app.screen.query_one("#composer-text").cursor_blink = False
        await settle(pilot)

    assert snap_compare(make_app(desk_store), terminal_size=(80, 24), run_before=ready)


@OTHER_SIZES
def test_knowledge_base_at_size(desk_store, snap_compare, size):
    """The search of the 120x40 picture: at 80 the article opened takes the screen alone; at
    200 the list and the reader share the width."""
    from .kb_articles import add_articles

    add_articles(desk_store)

    async def ready(pilot):
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("slash")
        await type_text(pilot, "vpn")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(make_app(desk_store), terminal_size=size, run_before=ready)


def test_reports_screen(desk_store, snap_compare):
    """``3``: the last 30 days up to the frozen clock, the headline, charts and tables."""
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("3")
        await until(pilot, lambda: getattr(pilot.app.screen, "report", None) is not None,
                    what="the whole report")
        await settle(pilot)

    assert snap_compare(make_app(desk_store), terminal_size=SIZE, run_before=ready)


@OTHER_SIZES
def test_reports_screen_at_size(desk_store, snap_compare, size):
    async def ready(pilot):
        await settle(pilot)
        await pilot.press("3")
        await until(pilot, lambda: getattr(pilot.app.screen, "report", None) is not None,
                    what="the whole report")
        await settle(pilot)

    assert snap_compare(make_app(desk_store), terminal_size=size, run_before=ready)
