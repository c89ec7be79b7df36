"""The ticket screen driven with the keyboard: replies and notes, "send as", collisions with
what others wrote meanwhile, field pickers and stale versions."""

from __future__ import annotations

from deskterm.app import DeskApp
from deskterm.desk.people.auth import resolve_actor
from deskterm.desk.tickets import change as tickets_change
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.ticket import get_ticket
from deskterm.screens.dialogs import Confirm
from deskterm.screens.pickers import Picker
from deskterm.screens.queue import QueueScreen
from deskterm.screens.ticket import Composer, SendAs, TicketScreen
from deskterm.widgets.thread import ThreadView

from .desks import NOW, open_desk
from .pilot import settle, type_text, until

SIZE = (120, 40)


def make_app(store, username: str = "ada") -> DeskApp:
    return DeskApp(open_desk(store, username), clock=lambda: NOW, watch=False)


def detail(store, number: int):
    with store.read() as session:
        return get_ticket(session, number=number)


def as_agent(store, username: str):
    with store.read() as session:
        return resolve_actor(session, username=username)


async def open_first(pilot) -> TicketScreen:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TicketScreen)
    return screen


async def test_reply_sent_as_solved_with_the_one_key_choice(desk_store):
    store = desk_store
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        await pilot.press("r")
        assert screen.composer.display and screen.composer.kind == "reply"
        await type_text(pilot, "We refunded the second charge.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SendAs)
        await pilot.press("s")
        await settle(pilot)
        assert app.screen is screen and not screen.composer.display
        stored = detail(store, number)
        assert stored.ticket.status == "solved"
        last = stored.messages[-1]
        assert (last.body, last.public, last.author_kind) == (
            "We refunded the second charge.", True, "agent")
        thread = screen.query_one(ThreadView)
        assert thread.messages[-1].body == last.body
        assert thread.visible_items()[-1] == thread.messages[-1]


async def test_internal_note_is_labelled_and_never_asks_send_as(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        await pilot.press("n")
        await type_text(pilot, "Customer is on the old plan")
        await pilot.press("ctrl+s")
        await settle(pilot)
        last = detail(desk_store, screen.number).messages[-1]
        assert (last.body, last.public) == ("Customer is on the old plan", False)
        thread = screen.query_one(ThreadView)
        assert thread.messages[-1].body == "Customer is on the old plan"
        title, *body = thread.lines_of(thread.messages[-1])
        assert title.startswith("Ada Admin  internal note  ")
        assert body == ["Customer is on the old plan"]


async def test_escape_closes_the_composer_and_keeps_the_text(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        await pilot.press("r")
        await type_text(pilot, "Half written")
        await pilot.press("escape")
        assert not screen.composer.display and isinstance(app.screen, TicketScreen)
        await pilot.press("r")
        assert screen.query_one(Composer).text == "Half written"
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_r_on_an_unsent_internal_note_asks_before_its_text_becomes_a_reply(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        await pilot.press("n")
        await type_text(pilot, "Agents only: the refund is a goodwill exception")
        await pilot.press("escape", "r")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("enter")  # enter is on "Keep it a note"
        await settle(pilot)
        assert (screen.composer.display, screen.composer.kind) == (True, "note")
        await pilot.press("escape", "r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert (screen.composer.display, screen.composer.kind) == (True, "reply")
        assert screen.composer.text.startswith("Agents only")


async def test_a_message_that_arrived_meanwhile_is_shown_before_sending(any_desk_store):
    store = any_desk_store
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        before = len(detail(store, number).messages)
        requester = detail(store, number).requester.email
        store.write(lambda s: tickets.add_customer_message(
            s, number=number, email=requester, body="Never mind, it works now!"))
        await pilot.press("r")
        await type_text(pilot, "Try restarting")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert "1 new message" in app.screen.question
        await pilot.press("n")  # the agent reads it and does not send
        await settle(pilot)
        bodies = [m.body for m in screen.query_one(ThreadView).messages]
        assert "Never mind, it works now!" in bodies
        assert len(detail(store, number).messages) == before + 1
        assert screen.composer.text == "Try restarting"
        # Sending again now asks nothing: the agent has seen everything.
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert len(detail(store, number).messages) == before + 2


async def test_pickers_change_fields_with_an_event_each(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        for key, typed in (("p", "urgent"), ("a", "Bert"), ("g", "Network"), ("y", "incident"),
                           ("s", "on hold")):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, Picker), key
            await type_text(pilot, typed)
            await pilot.press("enter")
            await settle(pilot)
        await pilot.press("T")
        await settle(pilot)
        await type_text(pilot, "refund")
        await pilot.press("enter")
        await settle(pilot)
        stored = detail(desk_store, number)
        ticket = stored.ticket
        assert (ticket.priority, ticket.assignee, ticket.group, ticket.type, ticket.status) == (
            "urgent", "bert", "Network", "incident", "on_hold")
        assert "refund" in ticket.tags
        fields = [e.field for e in stored.events]
        for field in ("priority", "assignee", "group", "type", "status", "tags"):
            assert field in fields
        await pilot.press("t")
        await settle(pilot)
        assert detail(desk_store, number).ticket.assignee == "ada"
        assert screen.detail.ticket.assignee == "ada"  # reloaded after each change


async def test_a_stale_change_names_who_changed_what_and_reloads(any_desk_store):
    store = any_desk_store
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        bert = as_agent(store, "bert")
        theirs = "high" if screen.detail.ticket.priority != "high" else "normal"
        store.write(lambda s: tickets.update_ticket(
            s, actor=bert, number=number, changes=tickets_change.TicketChanges(priority=theirs)))
        await pilot.press("p")
        await settle(pilot)
        await type_text(pilot, "urgent")
        await pilot.press("enter")
        await settle(pilot)
        await until(pilot, lambda: screen.detail.ticket.priority == theirs,
                    what="the reload after the refusal")
        assert detail(store, number).ticket.priority == theirs
        shown = [n.message for n in app._notifications]
        assert any("bert" in message and "priority" in message for message in shown), shown


async def test_other_tickets_of_the_requester_open_from_the_sidebar(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        assert screen.history
        other = screen.history[0].number
        history = screen.query_one("#history")
        history.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.number == other
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_the_draft_is_stored_while_typing_and_comes_back(desk_store):
    from deskterm.desk.tickets.drafts import get_draft

    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        await pilot.press("n")
        await type_text(pilot, "Checked the logs")
        await until(pilot, lambda: _draft(desk_store, number) is not None,
                    what="the draft in the store")
        await settle(pilot)
    # The console is gone without sending (as when an SSH connection drops): a new one on
    # the same ticket shows the note again.
    with desk_store.read() as session:
        stored = get_draft(session, agent="ada", number=number)
    assert (stored.kind, stored.body) == ("note", "Checked the logs")
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        assert screen.composer.display and screen.composer.kind == "note"
        assert screen.composer.text == "Checked the logs"
        await type_text(pilot, ", nothing there.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert detail(desk_store, number).messages[-1].body == "Checked the logs, nothing there."
    assert _draft(desk_store, number) is None


def _draft(store, number):
    from deskterm.desk.tickets.drafts import get_draft

    with store.read() as session:
        return get_draft(session, agent="ada", number=number)


async def test_time_spent_is_kept_on_the_message_and_summed(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        for minutes in ("15", "50"):
            await pilot.press("n")
            await type_text(pilot, "Worked on it")
            screen.query_one("#composer-minutes").value = minutes
            await pilot.press("ctrl+s")
            await settle(pilot)
        stored = detail(desk_store, number)
        assert [m.minutes for m in stored.messages[-2:]] == [15, 50]
        assert stored.minutes_spent == 65
        assert "spent 1h 05m" in str(screen.query_one("#ticket-fields").render())


async def test_teammates_on_the_same_ticket_are_shown_and_leaving_is_written_at_once(
        desk_store):
    from deskterm.desk.tickets import presence

    store = desk_store
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        # The 10 s heartbeat is the test's to give: no timer races the checks below.
        screen.heartbeat_timer.pause()
        bert = as_agent(store, "bert")
        assert [p.username for p in _present(store, number, bert)] == ["ada"]
        store.write(lambda s: presence.heartbeat(s, actor=bert, number=number,
                                                 activity="writing"))
        screen.beat()
        await settle(pilot)
        line = screen.query_one("#ticket-presence")
        assert line.display and "Bert Baker is writing a reply" in str(line.render())
        # Back to the queue: gone at once, not when the heartbeat expires.
        await pilot.press("escape")
        await settle(pilot)
        assert _present(store, number, bert) == []
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.number == number
        assert [p.username for p in _present(store, number, bert)] == ["ada"]
    # Quitting with the ticket open: the leave is written before the console stops.
    assert _present(store, number, bert) == []


def _present(store, number, me):
    from deskterm.desk.tickets import presence

    with store.read() as session:
        return presence.present(session, number=number, me=me)


def _add_macro(store, admin_name: str = "ada") -> None:
    from deskterm.desk.tickets import macros

    actor = as_agent(store, admin_name)
    store.write(lambda s: macros.add_macro(
        s, actor=actor, name="Password reset",
        body="Hi {{requester.first_name}}, your password for {{ticket.ref}} is reset. "
             "{{agent.name}}",
        actions=macros.MacroActions(status="pending", add_tags=("password",))))


async def test_a_macro_fills_the_composer_and_its_actions_apply_on_send(desk_store):
    _add_macro(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        first = detail(desk_store, number).requester.name.split()[0]
        await pilot.press("m")
        await settle(pilot)
        await type_text(pilot, "Password")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.composer.display and screen.macro == "Password reset"
        assert screen.composer.text.startswith(f"Hi {first}, your password for #{number}")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")  # send as the preselected status
        await settle(pilot)
        stored = detail(desk_store, number)
        assert stored.messages[-1].body.endswith("is reset. Ada Admin")
        assert stored.ticket.status == "pending" and "password" in stored.ticket.tags


async def test_escalate_needs_a_reason_and_moves_up_a_tier(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        number = screen.number
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("enter")  # no reason: refused, the dialog stays
        await settle(pilot)
        assert type(app.screen).__name__ == "Escalate"
        await type_text(pilot, "needs a network engineer")
        await pilot.press("enter")
        await settle(pilot)
        stored = detail(desk_store, number)
        assert stored.ticket.tier == 2
        assert any("needs a network engineer" in m.body and not m.public
                   for m in stored.messages)


async def test_merge_and_link_from_the_ticket_screen(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        source = screen.number
        target = 1002 if source != 1002 else 1003
        await pilot.press("L")
        await settle(pilot)
        await type_text(pilot, f"#{target}")
        await pilot.press("enter")
        await settle(pilot)
        assert [t.number for t in detail(desk_store, source).links.related] == [target]
        assert f"Related:{target}" in [o.id for o in screen.query_one("#links").options]
        await pilot.press("M")
        await settle(pilot)
        await type_text(pilot, str(target))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("y")
        await settle(pilot)
        merged = detail(desk_store, source)
        assert merged.ticket.status == "closed" and merged.merged_into == target
        assert screen.number == target  # the screen follows to the target


async def test_ctrl_enter_sends_where_the_terminal_reports_it(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        await pilot.press("n")
        await type_text(pilot, "Sent with ctrl+enter")
        await pilot.press("ctrl+enter")  # a kitty-protocol terminal reports it as such
        await settle(pilot)
        assert not screen.composer.display
        last = detail(desk_store, screen.number).messages[-1]
        assert (last.body, last.public) == ("Sent with ctrl+enter", False)
        # A plain enter (what tmux and most SSH sessions send for ctrl+enter) is a new line.
        await pilot.press("r")
        await type_text(pilot, "one")
        await pilot.press("enter")
        await type_text(pilot, "two")
        assert screen.composer.text == "one\ntwo" and screen.composer.display


def _add_thread(store, number: int, count: int) -> None:
    from datetime import timedelta

    ada = as_agent(store, "ada")
    email = detail(store, number).requester.email

    def work(session):
        for index in range(count):
            if index % 4 == 3:
                tickets.add_note(session, actor=ada, number=number, body=f"Note {index}")
            else:
                tickets.add_customer_message(
                    session, number=number, email=email,
                    body=f"Message {index}: " + "it still fails after the update. " * 3)
        session.flush()
        # Fixed, increasing times (after the seed's own messages) so the order is the one
        # written.
        from sqlalchemy import update

        from deskterm.db.models import Message
        session.exec(update(Message).where(Message.ticket_id == number, Message.body.like(
            "Message %")).values(created_at=NOW - timedelta(hours=1)))
        session.exec(update(Message).where(Message.ticket_id == number, Message.body.like(
            "Note %")).values(created_at=NOW - timedelta(hours=1)))

    store.write(work)


async def test_a_500_message_thread_opens_at_the_end_and_scrolls_to_the_start_and_back(
        desk_store):
    number = 1118  # the first row of My open
    before = len(detail(desk_store, number).messages)
    _add_thread(desk_store, number, 500 - before)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        assert screen.number == number
        thread = screen.query_one(ThreadView)
        assert len(thread.messages) == 500 and app.focused is thread
        first, last = thread.messages[0], thread.messages[-1]
        assert thread.visible_items()[-1] == last  # opens on the newest message
        await pilot.press("home")
        await pilot.pause()
        assert thread.visible_items()[0] == first and last not in thread.visible_items()
        await pilot.press("pagedown", "pagedown")
        await pilot.pause()
        shown = thread.visible_items()
        assert first not in shown and last not in shown
        assert thread.messages.index(shown[0]) > 0
        await pilot.press("end")
        await pilot.pause()
        assert thread.visible_items()[-1] == last
        await pilot.press(*["up"] * 6, "j")  # up: a line (k is the knowledge base), j: three
        await pilot.pause()
        assert thread.scroll_offset.y == thread.max_scroll_y - 3
        # A field change reloads the ticket: the reader stays where they were.
        await pilot.press("home")
        await pilot.press("t")
        await settle(pilot)
        assert screen.detail.ticket.assignee == "ada"
        assert thread.visible_items()[0] == first


async def test_audit_events_toggle_inline_in_the_thread(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        thread = screen.query_one(ThreadView)
        count = len(thread.items)
        await pilot.press("p")
        await settle(pilot)
        await type_text(pilot, "urgent")
        await pilot.press("enter")
        await settle(pilot)
        assert len(thread.items) == count  # events hidden
        await pilot.press("E")
        await pilot.pause()
        events = [item for item in thread.items if item not in thread.messages]
        assert events and events[-1].field == "priority"
        assert "ada changed priority:" in thread.lines_of(events[-1])[0]
        assert "→ urgent" in thread.lines_of(events[-1])[0]
        await pilot.press("E")
        await pilot.pause()
        assert len(thread.items) == count


def _make_problem(store, problem: int, incidents: list[int]) -> None:
    from deskterm.desk.tickets import ops as ticket_ops

    ada = as_agent(store, "ada")

    def work(session):
        tickets.update_ticket(session, actor=ada, number=problem,
                              changes=tickets_change.TicketChanges(type="problem"))
        for incident in incidents:
            ticket_ops.link(session, actor=ada, number=incident, other=problem, kind="incident")

    store.write(work)


async def test_enter_on_a_problem_s_incident_or_a_linked_ticket_opens_it(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        problem = 1118
        _make_problem(desk_store, problem, [1005, 1007])
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert screen.number == problem
        links = screen.query_one("#links")
        assert links.display
        assert [o.id for o in links.options if o.id] == ["Incidents:1005", "Incidents:1007"]
        await pilot.press("tab")  # from the thread to the links
        assert app.focused is links
        await pilot.press("down", "enter")
        await settle(pilot)
        incident = app.screen
        assert isinstance(incident, TicketScreen) and incident.number == 1007
        # The incident names its problem; enter there goes back to it.
        assert [o.id for o in incident.query_one("#links").options if o.id] == [
            f"Problem:{problem}"]
        incident.query_one("#links").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.number == problem
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen is screen


async def test_link_as_an_incident_from_the_ticket_screen(desk_store):
    _make_problem(desk_store, 1002, [])
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        await pilot.press("L")
        await settle(pilot)
        await type_text(pilot, "incident #1002")
        await pilot.press("enter")
        await settle(pilot)
        assert detail(desk_store, screen.number).links.problem.number == 1002
        assert [o.id for o in screen.query_one("#links").options if o.id] == ["Problem:1002"]
        assert screen.number in [t.number for t in detail(desk_store, 1002).links.incidents]


async def test_solving_a_problem_offers_to_solve_its_incidents_with_the_same_reply(desk_store):
    _make_problem(desk_store, 1118, [1005, 1006])
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        assert screen.number == 1118
        await pilot.press("r")
        await type_text(pilot, "Fixed in firmware 2.2")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert "2 unsolved incidents" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen and not screen.composer.display
        for number in (1118, 1005, 1006):
            stored = detail(desk_store, number)
            assert stored.ticket.status == "solved", number
            assert stored.messages[-1].body == "Fixed in firmware 2.2"
            assert stored.messages[-1].public
        shown = [n.message for n in app._notifications]
        assert any("2 incidents" in m and "#1005" in m and "#1006" in m for m in shown), shown


async def test_the_assignee_picker_lists_the_group_s_agents_first_with_their_open_tickets(
        desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_first(pilot)
        await pilot.press("g")
        await settle(pilot)
        await type_text(pilot, "Network")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.detail.ticket.group == "Network"
        await pilot.press("a")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, Picker)
        keys = [c.key for c in picker.choices]
        assert keys[0] == ""  # "Unassigned" first, where it is seen
        assert keys[1] == "bert"  # the group's only member, before ada
        assert keys.index("ada") > 1
        assert "open" in picker.choices[1].detail and "Network" in picker.choices[1].detail
        await pilot.press("escape")


async def test_two_consoles_on_one_store_see_and_collide_with_each_other(any_desk_store):
    """ada and bert, each in their own console on the same store and ticket."""
    store = any_desk_store
    ada_app, bert_app = make_app(store, "ada"), make_app(store, "bert")
    async with ada_app.run_test(size=SIZE) as ada, bert_app.run_test(size=SIZE) as bert:
        ada_screen = await open_first(ada)
        number = ada_screen.number
        await settle(bert)
        bert_app.screen.go_to_ticket(number)
        await settle(bert)
        bert_screen = bert_app.screen
        assert isinstance(bert_screen, TicketScreen) and bert_screen.number == number
        for screen in (ada_screen, bert_screen):
            screen.heartbeat_timer.pause()
        # Presence: bert starts writing; ada's next heartbeat names him.
        await bert.press("r")
        await type_text(bert, "On it")
        await until(bert, lambda: "On it" in bert_screen.composer.text, what="bert's letters")
        bert_screen.beat()
        await settle(bert)
        ada_screen.beat()
        await settle(ada)
        line = ada_screen.query_one("#ticket-presence")
        assert "Bert Baker is writing a reply" in str(line.render())
        # bert sends first; ada's reply then shows his and asks before sending.
        await bert.press("ctrl+s")
        await settle(bert)
        await bert.press("o")
        await settle(bert)
        await ada.press("r")
        await type_text(ada, "Looking into it")
        await ada.press("ctrl+s")
        await settle(ada)
        await ada.press("o")
        await settle(ada)
        assert isinstance(ada_app.screen, Confirm)
        assert "from Bert Baker" in ada_app.screen.question
        await ada.press("y")
        await settle(ada)
        bodies = [m.body for m in detail(store, number).messages[-2:]]
        assert bodies == ["On it", "Looking into it"]
        # A field change on the version bert saw, after ada changed it: refused, reloaded.
        await ada.press("p")
        await settle(ada)
        await type_text(ada, "urgent")
        await ada.press("enter")
        await settle(ada)
        await bert.press("p")
        await settle(bert)
        await type_text(bert, "low")
        await bert.press("enter")
        await settle(bert)
        await until(bert, lambda: bert_screen.detail.ticket.priority == "urgent",
                    what="bert's screen reloaded")
        assert detail(store, number).ticket.priority == "urgent"
        shown = [n.message for n in bert_app._notifications]
        assert any("ada" in m and "priority" in m for m in shown), shown
