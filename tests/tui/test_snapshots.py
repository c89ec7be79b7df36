"""What the console looks like at 120x40 with the fixed desk and a frozen clock.

Update after a deliberate change of layout: ``.venv/bin/pytest tests/tui/test_snapshots.py
--snapshot-update``, then look at the SVGs in ``__snapshots__`` before committing them.
"""

from __future__ import annotations

from deskterm.app import DeskApp

from .desks import NOW, add_conversation, open_desk
from .pilot import settle, type_text

SIZE = (120, 40)


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
