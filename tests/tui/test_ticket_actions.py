"""The ticket screen's smaller actions, as an agent uses them from the keyboard: the escalate
dialog's ``enter``, "send as" on hold, unassigning, the composer's ``tab``, link and merge
pickers, and the command palette."""

from __future__ import annotations

from textual.widgets import Static

from deskterm.screens.dialogs import Confirm, Escalate, SendAs
from deskterm.screens.pickers import Picker, TicketPicker
from deskterm.screens.ticket import TicketScreen

from .desks import HOSTILE_SUBJECT
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


async def test_a_reply_is_sent_as_on_hold_with_h(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        assert screen.detail.ticket.status in ("new", "open", "pending")
        await pilot.press("r")
        await type_text(pilot, "Waiting on the carrier")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SendAs)
        assert "on hold" in str(app.screen.query(Static)[1].render())
        await pilot.press("h")
        await settle(pilot)
        assert app.screen is screen and not screen.composer.display
        stored = detail(desk_store, number)
        assert stored.ticket.status == "on_hold"
        assert stored.messages[-1].body == "Waiting on the carrier"


async def test_send_as_on_a_solved_ticket_offers_reopen_or_solved_and_says_why_not_hold(
        desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        await pilot.press("s")
        await settle(pilot)
        await type_text(pilot, "solved")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.detail.ticket.status == "solved"
        await pilot.press("r")
        await type_text(pilot, "One more thing")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SendAs) and app.screen.allowed == ("open", "solved")
        await pilot.press("h")  # refused, said, the choice stays open
        await settle(pilot)
        assert isinstance(app.screen, SendAs)
        assert any(f"#{number} is solved: it can be reopened (open) or closed" in n.message
                   for n in app._notifications)
        await pilot.press("o")
        await settle(pilot)
        assert detail(desk_store, number).ticket.status == "open"


async def test_tab_goes_from_the_reply_text_to_time_spent_and_back(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        await pilot.press("n")
        await type_text(pilot, "Checked the logs")
        await pilot.press("tab")
        assert app.focused.id == "composer-minutes"
        await type_text(pilot, "25")
        await pilot.press("shift+tab")
        assert app.focused.id == "composer-text"
        await type_text(pilot, " twice")
        await pilot.press("tab", "tab")  # from the field, tab comes back to the text
        assert app.focused.id == "composer-text"
        await pilot.press("shift+tab")
        assert app.focused.id == "composer-minutes"
        assert screen.composer.text == "Checked the logs twice"  # no tab character went in
        await pilot.press("ctrl+s")
        await settle(pilot)
        last = detail(desk_store, number).messages[-1]
        assert (last.body, last.minutes) == ("Checked the logs twice", 25)


async def test_the_assignee_picker_unassigns_with_an_audit_event(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        assert screen.detail.ticket.assignee == "ada"
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, Picker)
        assert app.screen.choices[0].label == "Unassigned"  # on top, seen without scrolling
        await type_text(pilot, "none")  # what an agent types for nobody
        await pilot.press("enter")
        await settle(pilot)
        stored = detail(desk_store, number)
        assert stored.ticket.assignee is None
        event = stored.events[-1]
        assert (event.field, event.old, event.new, event.actor) == ("assignee", "ada", None,
                                                                    "ada")
        assert "assignee —" in str(screen.query_one("#ticket-fields").render())


async def test_the_queue_unassigns_a_selection(desk_store):
    from deskterm.screens.queue import QueueScreen

    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        numbers = [queue.table.row_at(0).number, queue.table.row_at(1).number]
        await pilot.press("x", "x", "a")
        await settle(pilot)
        await type_text(pilot, "nobody")
        await pilot.press("enter")
        await settle(pilot)
        for number in numbers:
            stored = detail(desk_store, number)
            assert stored.ticket.assignee is None
            assert (stored.events[-1].field, stored.events[-1].new) == ("assignee", None)
        assert any("unassigned" in n.message for n in app._notifications)


async def test_link_offers_the_requester_s_other_tickets_found_by_subject(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        others = {t.number: t.subject for t in screen.history}
        unsolved = sorted((t.number for t in screen.history
                           if t.status not in ("solved", "closed")), reverse=True)
        await pilot.press("L")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, TicketPicker)
        offered = [c.key for c in picker.choices]
        assert unsolved and offered[:len(unsolved)] == [f"related:{n}" for n in unsolved]
        assert {f"related:{n}" for n in others} <= set(offered)
        target = sorted(others)[0]
        word = others[target].split()[0]
        await type_text(pilot, word)
        options = picker.query_one("#picker-options")
        shown = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert f"related:{target}" in shown and len(shown) < len(offered)
        while options.get_option_at_index(options.highlighted).id != f"related:{target}":
            await pilot.press("down")
        await pilot.press("enter")
        await settle(pilot)
        assert [t.number for t in detail(desk_store, number).links.related] == [target]


async def test_the_merge_question_shows_the_target_s_subject_and_requester_inert(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        source = screen.number
        await pilot.press("M")
        await settle(pilot)
        assert isinstance(app.screen, TicketPicker)
        await type_text(pilot, "#1003")  # any ticket by its number, offered or not
        await pilot.press("enter")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, Confirm)
        assert confirm.question.startswith(
            f"Merge #{source} into #1003 “{HOSTILE_SUBJECT}” from יעל כהן (")
        shown = str(confirm.query_one(".dialog-title", Static).render())
        assert HOSTILE_SUBJECT in shown  # the brackets as typed: never markup
        await pilot.press("y")
        await settle(pilot)
        assert detail(desk_store, source).merged_into == 1003
        assert screen.number == 1003


def _hits(app) -> list[str]:
    """The palette's hits, each by its title (its help is on a second line)."""
    return [str(option.prompt).partition("\n")[0]
            for option in app.screen.query("CommandList").first().options]


async def test_the_ticket_palette_opens_another_ticket_by_ref_and_runs_actions(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        other = 1005 if number != 1005 else 1006
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, f"#{other}")
        await until(pilot, lambda: f"Go to ticket #{other}" in " ".join(_hits(app)),
                    what="the go-to hit")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.number == other
        await pilot.press("escape")  # back to the ticket it was opened from
        await settle(pilot)
        assert app.screen is screen and screen.number == number
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "priority")
        await until(pilot, lambda: "Set priority…" in _hits(app), what="the action's hit")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, Picker) and app.screen.title_text == "Priority"
        await type_text(pilot, "urgent")
        await pilot.press("enter")
        await settle(pilot)
        assert detail(desk_store, number).ticket.priority == "urgent"
        await pilot.press("ctrl+p")
        await settle(pilot)
        await type_text(pilot, "#99999")
        await until(pilot, lambda: "Go to ticket #99999" in " ".join(_hits(app)),
                    what="the go-to hit")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert any(n.message == "No ticket #99999" for n in app._notifications)


async def test_the_ticket_palette_lists_the_ticket_s_actions_by_name(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_first(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await until(pilot, lambda: "Escalate…" in _hits(app), what="the discovered actions")
        hits = _hits(app)
        for title in ("Reply to the requester", "Add an internal note", "Set status…",
                      "Assign…", "Set group…", "Edit tags…", "Set type…", "Apply a macro…",
                      "Merge into another ticket…", "Link to another ticket…",
                      "Insert a knowledge-base article…"):
            assert title in hits, title
