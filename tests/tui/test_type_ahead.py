"""Keys typed faster than the console opens what they ask for (a paste, a laggy SSH link): each
acts on what the keys before it opened, never on the screen behind a picker, and a picker's
``enter`` takes only a choice the agent typed or moved to."""

from __future__ import annotations

import time

from textual import events

from deskterm.app import DeskApp
from deskterm.desk.tickets.ticket import get_ticket
from deskterm.screens.dialogs import Confirm
from deskterm.screens.pickers import Picker
from deskterm.screens.queue import QueueScreen
from deskterm.screens.ticket import TicketScreen
from deskterm.widgets.editors import SafeInput

from .desks import NOW, open_desk
from .pilot import settle, until

SIZE = (120, 40)


def make_app(store) -> DeskApp:
    return DeskApp(open_desk(store, "ada"), clock=lambda: NOW, watch=False)


def burst(app: DeskApp, *keys: str) -> None:
    """``keys`` as the terminal delivers one write: all queued before the first one acts."""
    for key in keys:
        character = {"space": " "}.get(key, key if len(key) == 1 else None)
        app.post_message(events.Key(key, character))


def priority(store, number: int) -> str:
    with store.read() as session:
        return get_ticket(session, number=number).ticket.priority


async def open_first(pilot) -> TicketScreen:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, TicketScreen)
    return pilot.app.screen


async def test_a_burst_into_the_priority_picker_sets_the_typed_priority(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        burst(app, "p", "l", "o", "w", "enter")
        await until(pilot, lambda: priority(desk_store, screen.number) == "low",
                    what="the priority set to low")
        await settle(pilot)
        assert app.screen is screen


async def test_enter_in_a_picker_before_any_key_chooses_nothing(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        before = priority(desk_store, screen.number)
        burst(app, "p", "enter")
        await settle(pilot)
        assert isinstance(app.screen, Picker)
        assert priority(desk_store, screen.number) == before
        await pilot.press("down", "enter")  # moved to: the first row, seen
        await settle(pilot)
        assert app.screen is screen
        assert priority(desk_store, screen.number) == "urgent"


async def test_a_burst_after_slash_is_the_filter_and_opens_no_picker(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        burst(app, "slash", *"priority:low", "enter")
        await until(pilot, lambda: queue.query_text == "priority:low", what="the filter applied")
        await settle(pilot)
        assert app.screen is queue


async def test_enter_after_a_filter_opens_a_ticket_of_the_new_result(desk_store, monkeypatch):
    app = make_app(desk_store)
    window = type(app.desk).queue_window

    def slow_window(desk, *args, **kwargs):  # a big desk: the new rows take a while
        time.sleep(0.3)
        return window(desk, *args, **kwargs)

    monkeypatch.setattr(type(app.desk), "queue_window", slow_window)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen) and queue.table.cursor_row is not None
        first = queue.table.cursor_row.number
        wanted = "high" if priority(desk_store, first) != "high" else "low"
        burst(app, "slash", *f"priority:{wanted}", "enter", "enter")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen), what="a ticket opened")
        await settle(pilot)
        assert app.screen.number != first
        assert priority(desk_store, app.screen.number) == wanted


async def test_slash_selects_the_old_filter_typing_replaces_it_and_ctrl_u_clears_it(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        field = queue.query_one("#filter", SafeInput)
        old = field.value
        assert old  # the first view's filter
        burst(app, "slash")
        await settle(pilot)
        assert field.has_focus and field.cursor_position == len(old)
        await pilot.press("x")
        assert field.value == "x"
        await pilot.press("escape", "slash", "end", "space", "x")
        assert field.value == f"{old} x"
        await pilot.press("ctrl+u")
        assert field.value == ""


async def test_a_burst_into_the_views_picker_opens_the_typed_view(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        burst(app, "v", *"All", "space", "open", "enter")
        await until(pilot, lambda: queue.view is not None and queue.view.name == "All open",
                    what="the All open view")
        assert app.screen is queue


async def test_a_burst_into_a_picker_that_loads_its_choices_first_picks_the_typed_one(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        burst(app, "a", *"Bert", "enter")  # the agents are read in a worker, then the picker
        await until(pilot, lambda: screen.detail.ticket.assignee == "bert",
                    what="the ticket assigned to Bert")
        await settle(pilot)
        assert app.screen is screen


async def test_a_burst_into_the_command_palette_opens_the_ticket_by_its_ref(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        number = app.screen.table.row_at(2).number
        burst(app, "ctrl+p", "number_sign", *str(number), "enter")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen),
                    what="the ticket screen")
        await settle(pilot)
        assert app.screen.number == number


async def test_keys_after_a_picker_closes_act_on_the_screen_it_leaves(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        before = priority(desk_store, screen.number)
        burst(app, "a", *"Bert", "enter", "T", *"vpn", "enter")
        await until(pilot, lambda: "vpn" in screen.detail.ticket.tags,
                    what="the ticket tagged vpn")
        await settle(pilot)
        assert app.screen is screen
        assert screen.detail.ticket.assignee == "bert"
        assert priority(desk_store, screen.number) == before  # no `p` of "vpn" reached it


async def test_an_enter_typed_before_a_question_was_shown_does_not_answer_it(desk_store):
    app = make_app(desk_store)
    answers: list[bool | None] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(Confirm("Close 40 tickets?"), answers.append)
        burst(app, "enter")
        await settle(pilot)
        assert isinstance(app.screen, Confirm) and answers == []
        await pilot.press("enter")  # typed with the question on screen
        await settle(pilot)
        assert answers == [True]


async def test_a_burst_of_reply_text_and_ctrl_s_sends_the_whole_text(desk_store):
    """The letters go straight into the editor; ctrl+s, which acts on what the editor holds,
    waits until they are in it (it ran first: "Nothing to send yet")."""
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        text = "Restarting the spooler fixed it"
        burst(app, "r", *[{" ": "space"}.get(c, c) for c in text], "ctrl+s")
        await until(pilot, lambda: app.screen.__class__.__name__ == "SendAs",
                    what="the send-as question")
        await settle(pilot)
        await pilot.press("o")
        await until(pilot, lambda: any(
            message.body == text for message in _messages(desk_store, screen.number)),
            what="the reply stored")


def _messages(store, number: int):
    with store.read() as session:
        return get_ticket(session, number=number).messages


async def test_escape_and_a_key_read_together_are_both_keys(desk_store):
    """``escape`` then ``3`` in one write reaches Textual as ``\\x1b3``, which it reads as one
    key, Option+3 (``£``); ``escape`` then ``j`` as ``alt+j`` (both seen in tmux). The agent
    meant both: back to the queue, then the reports (or the next row)."""
    from deskterm.screens.reports import ReportsScreen

    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_first(pilot)
        app.post_message(events.Key("pound_sign", "£"))
        await until(pilot, lambda: isinstance(app.screen, ReportsScreen), what="the reports")
        await pilot.press("1")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        first = queue.table.cursor_row.number
        await open_first(pilot)
        app.post_message(events.Key("alt+j", "j"))
        await until(pilot, lambda: app.screen is queue, what="the queue")
        await settle(pilot)
        assert queue.table.cursor_row.number != first


async def test_a_pound_sign_typed_into_the_filter_stays_a_pound_sign(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        app.post_message(events.Key("pound_sign", "£"))
        await settle(pilot)
        assert isinstance(app.focused, SafeInput)
        assert app.focused.value.endswith("£")
