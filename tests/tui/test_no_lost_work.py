"""No lost work in the console: the ticket screen's draft is stored while the agent keeps
typing, and whatever is left when they leave the ticket, move to the next one or quit (the
timer is set long where a test shows another way of storing, so that only that way can have
stored the text); the article editor asks before ctrl+q throws its changes away."""

from __future__ import annotations

import asyncio
import functools

import pytest

from deskterm.desk.tickets.draft_saving import DraftTimer
from deskterm.desk.tickets.drafts import get_draft
from deskterm.screens.dialogs import Confirm
from deskterm.screens.kb_editor import ArticleEditor
from deskterm.screens.queue import QueueScreen
from deskterm.screens.ticket import TicketScreen

from .pilot import settle, type_text, until
from .test_kb import open_kb
from .test_ticket import SIZE, make_app, open_first


def _draft(store, number):
    with store.read() as session:
        return get_draft(session, agent="ada", number=number)


@pytest.fixture
def timer_never_fires(monkeypatch):
    monkeypatch.setattr("deskterm.screens.ticket.DraftTimer",
                        functools.partial(DraftTimer, pause=600, max_wait=600))


@pytest.fixture
def only_the_maximum_wait(monkeypatch):
    monkeypatch.setattr("deskterm.screens.ticket.DraftTimer",
                        functools.partial(DraftTimer, pause=600, max_wait=0.8))


async def test_typing_that_never_pauses_is_stored_while_it_goes_on(desk_store,
                                                                   only_the_maximum_wait):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        await pilot.press("n")
        stored = None
        for index in range(30):
            await type_text(pilot, f"word{index:02d} ")
            await asyncio.sleep(0.1)
            stored = _draft(desk_store, screen.number)
            if stored is not None:
                break
        # the pause is 10 minutes: only the maximum wait can have stored it
        assert stored is not None, "nothing stored while typing"
        # what was stored is what had been typed by then (on a busy machine the maximum wait
        # can fall in the middle of the first word)
        typed = "".join(f"word{i:02d} " for i in range(30))
        assert stored.body and typed.startswith(stored.body), stored.body
        await settle(pilot)


async def test_text_typed_just_before_leaving_the_ticket_is_stored(desk_store,
                                                                   timer_never_fires):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        await pilot.press("r")
        await type_text(pilot, "We refunded the charge")
        assert _draft(desk_store, number) is None
        await pilot.press("escape", "escape")  # close the editor, back to the queue
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await until(pilot, lambda: _draft(desk_store, number) is not None,
                    what="the draft in the store")
    stored = _draft(desk_store, number)
    assert (stored.kind, stored.body) == ("reply", "We refunded the charge")


async def test_text_typed_just_before_ctrl_q_is_stored(desk_store, timer_never_fires):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        await pilot.press("n")
        await type_text(pilot, "Checked the logs")
        await pilot.press("ctrl+q")
    stored = _draft(desk_store, number)
    assert (stored.kind, stored.body) == ("note", "Checked the logs")


async def test_moving_to_the_next_ticket_stores_the_draft_of_the_one_left(desk_store,
                                                                          timer_never_fires):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        first = screen.number
        await pilot.press("n")
        await type_text(pilot, "Asked for the logs")
        await pilot.press("escape", "right_square_bracket")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.number != first
        assert not app.screen.composer.text
        await until(pilot, lambda: _draft(desk_store, first) is not None,
                    what="the draft in the store")
        assert _draft(desk_store, first).body == "Asked for the logs"


async def test_ctrl_q_in_the_article_editor_with_changes_asks_before_quitting(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_kb(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "Half an article")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, Confirm) and app.is_running
        await pilot.press("n")
        assert isinstance(app.screen, ArticleEditor)
        assert app.screen.query_one("#kb-edit-title").value == "Half an article"
        await pilot.press("ctrl+q", "y")
        await pilot.pause()
        assert not app.is_running
