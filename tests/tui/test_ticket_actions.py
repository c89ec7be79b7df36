"""The ticket screen's smaller actions, as an agent uses them from the keyboard: the escalate
dialog's ``enter``, "send as" on hold, unassigning, the composer's ``tab``, link and merge
pickers, and the command palette."""

from __future__ import annotations

from deskterm.screens.dialogs import Escalate
from deskterm.screens.ticket import TicketScreen

from .pilot import settle, type_text, until
from .test_ticket import SIZE, detail, make_app, open_first


async def test_enter_on_the_group_list_escalates_as_the_hint_says(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, Escalate)
        await pilot.press("tab", "enter")  # on the group list, no reason yet: refused, said
        await settle(pilot)
        assert isinstance(app.screen, Escalate)
        assert not app.screen.query_one("#escalate-group").expanded
        assert any("Say why" in n.message for n in app._notifications)
        assert app.focused.id == "escalate-reason"  # back where the reason goes
        await type_text(pilot, "needs the network team")
        await pilot.press("tab", "space")  # space opens the list; enter chooses in it
        await until(pilot, lambda: app.screen.query_one("#escalate-group").expanded,
                    what="the group list")
        await pilot.press("down", "enter")
        await until(pilot, lambda: app.screen.query_one("#escalate-group").value == "Network",
                    what="the group chosen")
        assert isinstance(app.screen, Escalate)
        await pilot.press("enter")  # on the (closed) list: escalates
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        stored = detail(desk_store, number).ticket
        assert (stored.tier, stored.group) == (2, "Network")
