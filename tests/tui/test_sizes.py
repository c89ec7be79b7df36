"""Any terminal size: which queue columns show at 80, 120 and 200 columns and where the others
go, the knowledge base one pane at a time below 120 columns, the ticket screen's sidebar behind
a key below 100, and every screen laid out again when the terminal is resized."""

from __future__ import annotations

from deskterm.app import DeskApp
from deskterm.screens.kb import KbScreen
from deskterm.screens.kb_widgets import ArticleList
from deskterm.screens.ticket import TicketScreen
from deskterm.widgets.ticket_table import COLUMNS, column_layout

from .desks import NOW, add_conversation, open_desk
from .kb_articles import add_articles
from .pilot import settle, type_text, until

ALWAYS = ["number", "priority", "status", "sla", "subject", "updated"]


def make_app(store) -> DeskApp:
    return DeskApp(open_desk(store), clock=lambda: NOW, watch=False)


def shown(table) -> list[str]:
    return [column.key for column, _ in table.shown_columns]


def widths(table) -> dict[str, int]:
    return {column.key: width for column, width in table.shown_columns}


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


# --- the queue ----------------------------------------------------------------------------------


def test_columns_are_dropped_in_order_and_fill_the_width():
    every = [column.key for column in COLUMNS]
    for width in range(60, 260):
        layout = column_layout(width)
        keys = [column.key for column, _ in layout]
        assert [k for k in every if k in ALWAYS] == [k for k in keys if k in ALWAYS]
        assert keys == [k for k in every if k in keys]  # the order never changes
        # Dropped: the organization first, then the group, the assignee, the requester.
        for later, earlier in (("group", "organization"), ("assignee", "group"),
                               ("requester", "assignee")):
            assert earlier not in keys or later in keys
        used = sum(w for _, w in layout) + len(layout) - 1 + 2  # the gaps and the mark
        assert used == width
    assert [c.key for c, _ in column_layout(99)] == [
        "number", "priority", "status", "sla", "subject", "requester", "assignee", "updated"]


async def test_the_queue_keeps_ref_priority_status_sla_subject_and_updated_at_80_columns_and_shows_the_rest_under_the_table(desk_store):  # noqa: E501
    app = make_app(desk_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.table
        assert shown(table) == ALWAYS
        assert widths(table)["subject"] >= 32  # 40 before the SLA column (7 and a gap)
        header = screen_text(app).splitlines()[2]
        assert "Updated" in header and "Requester" not in header
        detail = screen.query_one("#ticket-detail")
        assert detail.display
        row = table.cursor_row
        line = str(detail.render())
        assert row.requester_name in line and f"assignee {row.assignee}" in line
        assert f"group {row.group or '—'}" in line
        await pilot.press("j")
        await pilot.press("j")
        await settle(pilot)
        row = table.cursor_row
        line = str(detail.render())
        assert row.requester_name in line and f"assignee {row.assignee}" in line


async def test_sorted_by_a_column_the_narrow_queue_shows_it(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("o")
        await settle(pilot)
        await type_text(pilot, "Requester")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.table.sort == "requester"
        assert shown(screen.table) == [*ALWAYS[:5], "requester", "updated"]
        assert "Requester ▲" in screen_text(app).splitlines()[2]
        line = str(screen.query_one("#ticket-detail").render())
        assert screen.table.cursor_row.requester_name not in line
        assert f"assignee {screen.table.cursor_row.assignee}" in line


async def test_the_queue_shows_every_column_at_120_and_gives_200_to_subjects_and_names(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.table
        every = [column.key for column in COLUMNS]
        assert shown(table) == every
        assert not screen.query_one("#ticket-detail").display
        at_120 = widths(table)

        await pilot.resize_terminal(200, 50)
        await settle(pilot)
        assert shown(table) == every
        at_200 = widths(table)
        assert at_200["subject"] > at_120["subject"] + 40
        for name in ("requester", "organization", "assignee", "group"):
            assert at_200[name] > at_120[name]
        assert "Organization" in screen_text(app).splitlines()[2]

        await pilot.resize_terminal(80, 24)  # resized back: the detail line comes back
        await settle(pilot)
        assert shown(table) == ALWAYS
        assert screen.query_one("#ticket-detail").display
        assert table.cursor_row.requester_name in str(screen.query_one("#ticket-detail").render())


async def test_a_resize_behind_the_ticket_screen_lays_the_queue_out_on_return(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        queue = app.screen
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is queue
        await until(pilot, lambda: shown(queue.table) == ALWAYS, what="the queue at 80")
        assert queue.query_one("#ticket-detail").display


# --- the knowledge base -------------------------------------------------------------------------


def displayed(screen, selector: str) -> bool:
    widget = screen.query_one(selector)
    return widget.display and widget.region.width > 0


async def open_first_article(pilot) -> KbScreen:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, KbScreen)
    await pilot.press("enter")  # from the tree into the list
    await until(pilot, lambda: screen.query_one(ArticleList).option_count > 1, what="a list")
    await pilot.press("enter")
    await settle(pilot)
    assert screen.article is not None
    return screen


async def test_the_knowledge_base_at_80x24_shows_one_pane_at_a_time(desk_store):
    add_articles(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        assert displayed(screen, "#kb-tree") and displayed(screen, "#kb-list-pane")
        assert not displayed(screen, "#kb-reader-pane")
        assert screen.query_one("#kb-list-pane").region.width >= 50

        screen = await open_first_article(pilot)
        # The article takes the screen: the reader has nearly all 80 columns.
        assert displayed(screen, "#kb-reader-pane")
        assert not displayed(screen, "#kb-tree") and not displayed(screen, "#kb-list-pane")
        assert screen.query_one("#kb-reader").region.width >= 74
        assert "\\ Articles" in screen_text(app).splitlines()[-1]

        await pilot.press("escape")  # back to the list, on the same article
        await pilot.pause()
        assert not displayed(screen, "#kb-reader-pane")
        assert screen.query_one(ArticleList).has_focus
        assert "\\ Reader" in screen_text(app).splitlines()[-1]

        await pilot.press("backslash")  # the reader again, without opening it again
        await pilot.pause()
        assert displayed(screen, "#kb-reader-pane") and not displayed(screen, "#kb-list-pane")
        await pilot.press("backslash")
        await pilot.pause()
        assert displayed(screen, "#kb-list-pane") and not displayed(screen, "#kb-reader-pane")

        await pilot.press("backslash", "slash")  # searching from the reader: the list shows
        await pilot.pause()
        assert screen.query_one("#kb-search").has_focus and displayed(screen, "#kb-list-pane")


async def test_the_knowledge_base_gives_the_reader_the_width_from_120_columns(desk_store):
    add_articles(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_first_article(pilot)
        assert not displayed(screen, "#kb-list-pane")

        await pilot.resize_terminal(120, 40)  # wider while reading: every pane shows
        await settle(pilot)
        for pane in ("#kb-tree", "#kb-list-pane", "#kb-reader-pane"):
            assert displayed(screen, pane)
        assert screen.query_one("#kb-list-pane").region.width >= 40
        reader_at_120 = screen.query_one("#kb-reader-pane").region.width

        await pilot.resize_terminal(200, 50)
        await settle(pilot)
        assert screen.query_one("#kb-list-pane").region.width >= 60
        assert screen.query_one("#kb-reader-pane").region.width >= reader_at_120 + 40

        await pilot.press("backslash")  # the reader alone, at any width
        await pilot.pause()
        assert not displayed(screen, "#kb-list-pane")
        assert screen.query_one("#kb-reader-pane").region.width == 200
        await pilot.press("escape")
        await pilot.pause()
        assert displayed(screen, "#kb-list-pane")
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, KbScreen)


async def test_a_resize_under_the_article_editor_lays_the_knowledge_base_out_on_return(
        desk_store):
    add_articles(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_first_article(pilot)
        assert displayed(screen, "#kb-list-pane")
        await pilot.press("e")
        await settle(pilot)
        assert app.screen is not screen
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        await until(pilot, lambda: screen.narrow, what="the knowledge base narrow")
        await settle(pilot)
        # one side at a time: the article just left in the editor, read again from the store
        assert displayed(screen, "#kb-reader-pane")
        assert not displayed(screen, "#kb-list-pane")


# --- the ticket screen --------------------------------------------------------------------------


async def open_ticket(pilot, number: int) -> TicketScreen:
    await settle(pilot)
    pilot.app.screen.go_to_ticket(number)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TicketScreen)
    return screen


async def test_the_ticket_screen_at_80x24_gives_the_thread_the_width_and_the_sidebar_a_key(
        desk_store):
    add_conversation(desk_store, 1118)
    app = make_app(desk_store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, 1118)
        assert not displayed(screen, "#requester")
        assert screen.query_one("#thread").region.width == 80
        requester = str(screen.query_one("#ticket-requester").render())
        assert "mallory@evil.test" in requester
        assert "\\ Sidebar" in screen_text(app).splitlines()[-1]

        await pilot.press("backslash")
        await pilot.pause()
        assert displayed(screen, "#requester") and not displayed(screen, "#thread")
        assert screen.query_one("#links").has_focus  # the problem link, enter opens it
        assert "#1002" in screen_text(app)
        await pilot.press("escape")  # the thread again, not the queue
        await pilot.pause()
        assert app.screen is screen
        assert displayed(screen, "#thread") and not displayed(screen, "#requester")

        await pilot.press("r")  # the reply editor leaves the thread lines to read
        await until(pilot, lambda: screen.query_one("#composer").region.height == 10,
                    what="the reply editor")
        assert screen.query_one("#thread").region.height >= 8

        # The newest message stays in sight above the editor (once the thread has scrolled to
        # the end of its new height: a frame or two after the editor took its place).
        def newest() -> str:
            return screen.query_one("#thread").visible_items()[-1].body

        await until(pilot, lambda: newest() == "It is the T14, bought last year.",
                    what="the newest message above the editor")


async def test_the_ticket_screen_widens_its_sidebar_with_the_terminal(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_ticket(pilot, 1118)
        await pilot.press("backslash")
        await pilot.pause()
        await pilot.resize_terminal(120, 40)  # wide enough: side by side
        await settle(pilot)
        assert displayed(screen, "#thread") and displayed(screen, "#requester")
        assert not screen.query_one("#ticket-requester").display
        assert screen.query_one("#requester").region.width == 36
        assert "\\ Sidebar" not in screen_text(app).splitlines()[-1]
        await pilot.resize_terminal(200, 50)
        await settle(pilot)
        assert screen.query_one("#requester").region.width == 50
        assert screen.query_one("#composer").styles.height.value == 14
