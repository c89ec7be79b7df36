"""Group access in the console: a ticket of a group restricted from the agent, named by its
ref in the palette, is refused in one line (never its subject) and the queue stays."""

from __future__ import annotations

from deskterm.desk.people import directory as people
from deskterm.screens.queue import QueueScreen

from .pilot import settle, type_text, until
from .test_ticket import SIZE, make_app


def hits(app) -> list[str]:
    """The palette's hits, each by its title."""
    return [str(option.prompt).partition("\n")[0]
            for option in app.screen.query("CommandList").first().options]


async def test_the_palette_refuses_a_restricted_ticket_by_ref_and_the_queue_stays(desk_store):
    def restrict(session) -> None:
        people.add_agent(session, username="cleo", display_name="Cleo")
        people.set_restricted(session, group="Network", restricted=True)

    desk_store.write(restrict)
    app = make_app(desk_store, "cleo")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "#1001")  # in Network (tests/tui/desks.py)
        await until(pilot, lambda: "Go to ticket #1001" in " ".join(hits(app)),
                    what="the go-to hit")
        await pilot.press("enter")
        await until(pilot, lambda: any(n.message.startswith("ticket #1001")
                                       for n in app._notifications), what="the refusal")
        assert isinstance(app.screen, QueueScreen)
        assert [n.message for n in app._notifications] == [
            "ticket #1001 is in group Network, restricted to its members"]
