"""The queue driven with the keyboard (Pilot): navigation, filters, selection, bulk actions,
saved views, sorting, opening tickets, the palette, key remapping and live updates."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

from textual import events

from deskterm.app import DeskApp
from deskterm.desk.queue import views as desk_views
from deskterm.desk.queue import windows as desk_queue
from deskterm.desk.tickets.bulk import BULK_CONFIRM_OVER
from deskterm.desk.tickets.reads import list_tickets
from deskterm.desk.tickets.ticket import get_ticket
from deskterm.screens.dialogs import Confirm, EditTags, SaveView
from deskterm.screens.pickers import Picker
from deskterm.screens.queue import QueueScreen
from deskterm.screens.ticket import TicketScreen
from deskterm.widgets.ticket_table import TicketTable

from .desks import HOSTILE_SUBJECT, NOW, open_desk
from .pilot import settle, type_text, until

SIZE = (120, 40)


def make_app(store, *, username: str = "ada", watch: bool = False, keymap=None) -> DeskApp:
    return DeskApp(open_desk(store, username), clock=lambda: NOW, watch=watch, keymap=keymap)


def count(store, text: str, me: str = "ada") -> int:
    with store.read() as session:
        resolved = desk_queue.resolve(session, text, me=me, now=NOW)
        return desk_queue.count_matching(session, resolved, me=me)


def table(app: DeskApp) -> TicketTable:
    return app.screen.query_one(TicketTable)


def queue_screen(app: DeskApp) -> QueueScreen:
    screen = app.screen
    assert isinstance(screen, QueueScreen)
    return screen


async def apply_filter(pilot, text: str) -> None:
    await pilot.press("slash")
    field = pilot.app.screen.query_one("#filter")
    field.value = ""
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


async def test_opens_on_my_open_with_every_view_counted(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = queue_screen(app)
        assert screen.view.key == "mine"
        assert table(app).total == count(desk_store, screen.view.query) > 0
        for view in desk_queue.BUILTIN_VIEWS:
            assert screen.counts[view.key] == count(desk_store, view.query)
        first = table(app).row_at(0)
        assert first is not None and first.assignee == "ada"


async def test_keys_move_the_cursor_and_load_the_rows_they_reach(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await apply_filter(pilot, "")  # every ticket: 120 rows, more than a page
        grid = table(app)
        assert grid.total == 120
        await pilot.press("j", "j", "down")
        assert grid.cursor == 3
        await pilot.press("k", "up")
        assert grid.cursor == 1
        await pilot.press("G")
        await settle(pilot)
        assert grid.cursor == 119 and grid.cursor_row is not None
        assert grid.cursor_row.number == 1001  # the least recently updated
        await pilot.press("g")
        assert grid.cursor == 0
        await pilot.press("pagedown")
        await settle(pilot)
        assert grid.cursor == grid.page_size and grid.cursor_row is not None
        await pilot.press("pageup")
        assert grid.cursor == 0


async def test_pages_of_a_filter_reuse_its_resolved_query(desk_store, monkeypatch):
    """The filter is resolved once, by its load; the pages the keys then fetch reuse it."""
    resolved_texts: list[str] = []
    resolve = desk_queue.resolve

    def counting(session, text, **kwargs):
        resolved_texts.append(text)
        return resolve(session, text, **kwargs)

    monkeypatch.setattr(desk_queue, "resolve", counting)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await apply_filter(pilot, "-status:closed")
        grid = table(app)
        assert grid.total > grid.page_size * 2
        loads = resolved_texts.count("-status:closed")
        assert loads == 1
        await pilot.press("pagedown", "pagedown", "G")
        await settle(pilot)
        assert grid.cursor_row is not None and grid.cursor == grid.total - 1
        assert resolved_texts.count("-status:closed") == loads


async def test_filter_shows_matching_tickets_and_points_at_a_bad_term(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await apply_filter(pilot, "status:pending priority:>=high")
        assert table(app).total == count(desk_store, "status:pending priority:>=high") > 0
        assert all(table(app).row_at(i).status == "pending" for i in range(table(app).total))

        await apply_filter(pilot, "status:open assignee:nobody")
        error = app.screen.query_one("#filter-error")
        assert error.display
        shown = str(error.render())
        assert "nobody" in shown and "^" in shown
        # The table still shows the last good result.
        assert table(app).total == count(desk_store, "status:pending priority:>=high")
        await pilot.press("escape")
        assert not error.display


async def test_text_search_finds_words_in_any_language(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await apply_filter(pilot, "zamówienie")
        assert table(app).total == 10
        assert "Zamówienie" in table(app).row_at(0).subject


async def test_select_with_x_select_all_with_star_and_clear_with_escape(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = table(app)
        first, second = grid.row_at(0).number, grid.row_at(1).number
        await pilot.press("x", "x")
        assert grid.selected == {first, second}
        assert "2 selected" in str(app.screen.query_one("#queue-status").render())
        await pilot.press("asterisk")
        await settle(pilot)
        assert len(grid.selected) == grid.total
        await pilot.press("escape")
        assert not grid.selected


async def test_take_applies_to_the_selection_with_an_event_per_ticket(desk_store):
    desk_store = desk_store
    app = make_app(desk_store, username="bert")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await apply_filter(pilot, "assignee:none status:open")
        grid = table(app)
        numbers = [grid.row_at(0).number, grid.row_at(1).number]
        await pilot.press("x", "x", "t")
        await settle(pilot)
        with desk_store.read() as session:
            for number in numbers:
                detail = get_ticket(session, number=number)
                assert detail.ticket.assignee == "bert"
                assert [e.new for e in detail.events if e.field == "assignee"][-1] == "bert"
        assert not grid.selected
        assert grid.total == count(desk_store, "assignee:none status:open", me="bert")
        assert any("Changed 2 tickets" in n.message for n in app._notifications)


async def test_status_picker_changes_the_ticket_under_the_cursor(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        number = table(app).cursor_row.number
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, Picker)
        await type_text(pilot, "pending")
        await pilot.press("enter")
        await settle(pilot)
        with desk_store.read() as session:
            assert get_ticket(session, number=number).ticket.status == "pending"


async def test_a_bulk_change_above_fifty_tickets_asks_first(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await apply_filter(pilot, "-status:closed,solved")
        grid = table(app)
        assert grid.total > BULK_CONFIRM_OVER
        await pilot.press("asterisk")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        await type_text(pilot, "urgent")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await settle(pilot)
        assert count(desk_store, "priority:urgent -status:closed,solved") < grid.total
        await pilot.press("p")
        await settle(pilot)
        await type_text(pilot, "urgent")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot)
        total = count(desk_store, "-status:closed,solved")
        assert count(desk_store, "priority:urgent -status:closed,solved") == total


async def test_tags_and_assign_on_a_selection(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = table(app)
        numbers = [grid.row_at(0).number, grid.row_at(1).number]
        await pilot.press("x", "x", "T")
        await settle(pilot)
        assert isinstance(app.screen, EditTags)
        await type_text(pilot, "billing -vpn")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("x", "x")  # the selection was cleared; select the same rows again
        grid.select(set(numbers))
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "Bert")
        await pilot.press("enter")
        await settle(pilot)
        with desk_store.read() as session:
            for number in numbers:
                ticket = get_ticket(session, number=number).ticket
                assert "billing" in ticket.tags and "vpn" not in ticket.tags
                assert ticket.assignee == "bert"


async def test_sorting_by_a_column_with_the_picker_and_the_header(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        await type_text(pilot, "Subject")
        await pilot.press("enter")
        await settle(pilot)
        grid = table(app)
        assert grid.sort == "subject"
        assert "sort:subject" in queue_screen(app).query_text
        subjects = [grid.row_at(i).subject for i in range(grid.total)]
        assert subjects == sorted(subjects)
        # A click on the Ref title sorts by number; a second click reverses it.
        await pilot.click(TicketTable, offset=(3, 0))
        await settle(pilot)
        assert grid.sort == "number"
        await pilot.click(TicketTable, offset=(3, 0))
        await settle(pilot)
        assert grid.sort == "-number"
        numbers = [grid.row_at(i).number for i in range(grid.total)]
        assert numbers == sorted(numbers, reverse=True)


async def test_ctrl_s_saves_the_view_and_v_switches_to_it(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await apply_filter(pilot, "tag:vpn")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SaveView)
        await type_text(pilot, "VPN things")
        await pilot.press("enter")
        await settle(pilot)
        with desk_store.read() as session:
            saved = desk_views.list_views(session, me="ada")
        assert [(v.name, v.query, v.shared) for v in saved] == [("VPN things", "tag:vpn", False)]
        screen = queue_screen(app)
        assert any(v.name == "VPN things" for v in screen.views)
        await pilot.press("v")
        await settle(pilot)
        await type_text(pilot, "unassigned")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.view.key == "unassigned"
        await pilot.press("v")
        await settle(pilot)
        await type_text(pilot, "VPN things")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.view.name == "VPN things"
        assert table(app).total == count(desk_store, "tag:vpn")


async def test_enter_opens_the_ticket_and_escape_returns_to_the_same_row(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j")
        number = table(app).cursor_row.number
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.number == number
        await pilot.press("right_square_bracket")
        await settle(pilot)
        following = app.screen.number
        assert following != number
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert table(app).cursor_row.number == following


async def test_palette_goes_to_a_ticket_by_ref_and_switches_views(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "#1005")
        await until(pilot, lambda: "Go to ticket #1005" in str(
            [str(o.prompt) for o in app.screen.query("CommandList").first().options]),
            what="the go-to hit")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.number == 1005
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "View: Pending")
        await until(pilot, lambda: app.screen.query("CommandList").first().option_count > 0,
                    what="view hits")
        await pilot.press("enter")
        await settle(pilot)
        assert queue_screen(app).view.key == "pending"


async def test_bindings_can_be_remapped_by_id(desk_store):
    app = make_app(desk_store, keymap={"queue.take": "ctrl+t", "queue.down": "n"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await apply_filter(pilot, "assignee:none status:open")
        number = table(app).cursor_row.number
        await pilot.press("t")
        await settle(pilot)
        with desk_store.read() as session:
            assert get_ticket(session, number=number).ticket.assignee is None
        await pilot.press("ctrl+t")
        await settle(pilot)
        with desk_store.read() as session:
            assert get_ticket(session, number=number).ticket.assignee == "ada"


async def test_question_mark_lists_the_keys(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert app.screen.query("HelpPanel")


async def test_hostile_subject_is_shown_literally(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await apply_filter(pilot, "invoice overdue")
        grid = table(app)
        assert grid.total > 0
        line = "".join(segment.text for segment in grid.render_line(1))
        assert HOSTILE_SUBJECT[:20] in line  # the subject's 22 cells at 120 columns
        assert isinstance(app.screen, QueueScreen)  # [@click=app.quit] did nothing


async def test_a_change_by_another_process_shows_without_moving_the_cursor(any_desk_store):
    desk_store = any_desk_store
    app = make_app(desk_store, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await apply_filter(pilot, "")
        grid = table(app)
        await pilot.press("j", "j", "j", "x")
        cursor, under = grid.cursor, grid.cursor_row.number
        with desk_store.read() as session:
            last = list_tickets(session, sort="-updated", limit=1000).items[-1].number
        url = desk_store.url.render_as_string(hide_password=False)
        code = textwrap.dedent(f"""
            from deskterm.db.engine import Store
            from deskterm.desk.tickets import ticket as tickets
            from deskterm.desk.tickets import change as tickets_change
            from deskterm.desk.people.auth import resolve_actor
            store = Store({url!r})
            with store.read() as session:
                bert = resolve_actor(session, username="bert")
            store.write(lambda s: tickets.update_ticket(
                s, actor=bert, number={last},
                changes=tickets_change.TicketChanges(priority="urgent")))
        """)
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
        # Another process made ticket `last` the most recently updated: it moves to the top.
        await until(pilot, lambda: grid.row_at(0) is not None and grid.row_at(0).number == last,
                    timeout=10, what="the other process's change")
        await settle(pilot)
        assert grid.cursor_row.number == under
        assert grid.cursor == cursor + 1
        assert len(grid.selected) == 1



async def test_mouse_wheel_and_a_scrollbar_jump_load_the_rows_they_show(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await apply_filter(pilot, "")
        grid = table(app)
        for _ in range(5):  # the mouse wheel, over the table
            grid.post_message(events.MouseScrollDown(grid, 10, 10, 0, 1, 0, False, False, False))
            await pilot.pause()
        await settle(pilot)
        assert grid.scroll_offset.y > 0
        # A drag of the scrollbar to the end is a jump: the rows there are fetched.
        grid.scroll_to(y=grid.max_scroll_y, animate=False, immediate=True)
        await settle(pilot)
        top = round(grid.scroll_offset.y)
        assert top > 60
        assert all(grid.row_at(top + i) is not None for i in range(grid.page_size)
                   if top + i < grid.total)
        assert grid.row_at(grid.total - 1).number == 1001


async def test_m_sends_a_macro_to_each_selected_ticket(desk_store):
    from deskterm.desk.people.auth import resolve_actor
    from deskterm.desk.tickets import macros

    with desk_store.read() as session:
        ada = resolve_actor(session, username="ada")
    desk_store.write(lambda s: macros.add_macro(
        s, actor=ada, name="Known outage", body="Hi {{requester.first_name}}, a known outage.",
        actions=macros.MacroActions(add_tags=("outage",))))
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        grid = table(app)
        numbers = [grid.row_at(0).number, grid.row_at(1).number]
        await pilot.press("x", "x", "m")
        await settle(pilot)
        await type_text(pilot, "outage")
        await pilot.press("enter")
        await settle(pilot)
        with desk_store.read() as session:
            for number in numbers:
                stored = get_ticket(session, number=number)
                assert stored.messages[-1].body.endswith("a known outage.")
                assert "outage" in stored.ticket.tags


def test_every_documented_binding_id_exists():
    from deskterm.app import binding_ids

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("**Remapping keys.**"):readme.index("**Customer text is")]
    documented = set(re.findall(r"`([a-z-]+\.[a-z-]+)`", section)) - {"config.toml"}
    assert documented <= binding_ids()
    assert {"queue.take", "ticket.reply", "ticket.send"} <= documented


async def test_a_queue_worker_that_fails_is_one_notification_not_a_crash(desk_store,
                                                                        monkeypatch):
    def broken(_session, **_kwargs):
        raise RuntimeError("the tag list is broken")

    monkeypatch.setattr(desk_queue, "tag_names", broken)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("T")
        await settle(pilot)
        assert app.is_running
        assert any("the tag list is broken" in n.message for n in app._notifications)
