"""The customer's side in the console: ``c`` on a ticket logs what the requester said, ``n`` /
``N`` on the queue files a ticket for a caller (a requester picked or new) and opens it."""

from __future__ import annotations

from sqlmodel import select
from textual import events

from deskterm.app import DeskApp
from deskterm.db.models import Customer, Ticket
from deskterm.desk.people.auth import resolve_actor
from deskterm.desk.tickets import change
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.ticket import get_ticket
from deskterm.screens.dialogs import Confirm
from deskterm.screens.new_ticket import NewTicketForm, RequesterPicker
from deskterm.screens.queue import QueueScreen
from deskterm.screens.ticket import SendAs, TicketScreen
from deskterm.widgets.editors import SafeInput, SafeSelect, SafeTextArea
from deskterm.widgets.thread import ThreadView

from .desks import NOW, REQUESTERS, open_desk
from .hostile_desk import HOSTILE, MARKUP
from .pilot import settle, type_text, until

SIZE = (120, 40)
PENDING, SOLVED = 1004, 1007
"""Tickets of the console desk in those states (tests/tui/desks.py)."""


def make_app(store) -> DeskApp:
    return DeskApp(open_desk(store), clock=lambda: NOW, watch=False)


def detail(store, number: int):
    with store.read() as session:
        return get_ticket(session, number=number)


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]  # Textual keeps no public list of them


async def open_ticket(pilot, number: int) -> TicketScreen:
    await settle(pilot)
    pilot.app.screen.go_to_ticket(number)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TicketScreen) and screen.number == number
    return screen


# --- c: the customer's message -----------------------------------------------------------------


async def test_c_adds_the_requesters_message_and_reopens_a_solved_ticket(desk_store):
    number, was = SOLVED, "solved"
    assert detail(desk_store, number).ticket.status == was
    requester = detail(desk_store, number).requester.name
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, number)
        await pilot.press("c")
        composer = screen.composer
        assert composer.display and composer.kind == "customer"
        title = str(composer.query_one("#composer-title").render())
        assert title.startswith(f"Customer message from {requester}")
        assert not composer.query_one("#composer-minutes").display  # their words: no time
        await type_text(pilot, "Works after a restart.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen  # no "send as": nothing is sent to anyone
        assert not composer.display and composer.text == ""
        stored = detail(desk_store, number)
        last = stored.messages[-1]
        assert (last.author, last.author_kind, last.public, last.body) == (
            requester, "customer", True, "Works after a restart.")
        assert stored.ticket.status == "open"
        assert stored.events[-1].actor == "ada"  # who logged it reopened it
        thread = screen.query_one(ThreadView)
        title, *body = thread.lines_of(thread.messages[-1])
        assert title.startswith(f"{requester}  customer  ")
        assert body == ["Works after a restart."]
        assert "status open" in str(screen.query_one("#ticket-fields").render())
        assert any("Customer message added" in n and "open" in n for n in notifications(app))


async def test_c_reopens_a_pending_ticket_on_both_stores(any_desk_store):
    store = any_desk_store
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await open_ticket(pilot, PENDING)
        await pilot.press("c")
        await type_text(pilot, "Still waiting")
        await pilot.press("ctrl+s")
        await settle(pilot)
        stored = detail(store, PENDING)
        assert (stored.messages[-1].author_kind, stored.messages[-1].body) == (
            "customer", "Still waiting")
        assert stored.ticket.status == "open"
        # Its requester's name holds markup: the editor's title shows it as characters.
        await pilot.press("c")
        title = str(app.screen.composer.query_one("#composer-title").render())
        assert title.startswith(f"Customer message from {stored.requester.name} · ")
        assert "[@click=app.quit]" in title and app.is_running


async def test_c_on_a_closed_ticket_is_refused_with_a_clear_line(desk_store):
    ada = desk_store.write(lambda s: resolve_actor(s, username="ada"))
    desk_store.write(lambda s: tickets.update_ticket(
        s, actor=ada, number=SOLVED, changes=change.TicketChanges(status="closed")))
    before = len(detail(desk_store, SOLVED).messages)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, SOLVED)
        await pilot.press("c")
        await settle(pilot)
        assert not screen.composer.display
        assert any("closed" in n and "new ticket" in n for n in notifications(app))
    assert len(detail(desk_store, SOLVED).messages) == before


async def test_a_ticket_closed_meanwhile_refuses_and_keeps_the_text(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, SOLVED)
        await pilot.press("c")
        await type_text(pilot, "Thanks, all good")
        ada = desk_store.write(lambda s: resolve_actor(s, username="ada"))
        desk_store.write(lambda s: tickets.update_ticket(
            s, actor=ada, number=SOLVED, changes=change.TicketChanges(status="closed")))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("closed, and closed is final" in n for n in notifications(app))
        assert screen.composer.display and screen.composer.text == "Thanks, all good"
    assert detail(desk_store, SOLVED).messages[-1].body != "Thanks, all good"


async def test_the_customer_message_draft_is_kept_and_comes_back_as_one(desk_store):
    from deskterm.desk.tickets.drafts import get_draft

    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_ticket(pilot, PENDING)
        await pilot.press("c")
        await type_text(pilot, "She says")
        await pilot.press("escape", "escape")  # close the editor, leave the ticket
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
    with desk_store.read() as session:
        stored = get_draft(session, agent="ada", number=PENDING)
    assert (stored.kind, stored.body) == ("customer", "She says")
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, PENDING)
        assert screen.composer.display and screen.composer.kind == "customer"
        assert screen.composer.text == "She says"
        assert any("draft customer message is back" in n for n in notifications(app))


async def test_turning_the_editors_text_into_another_kind_says_so(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, PENDING)
        await pilot.press("c")
        await type_text(pilot, "She says hi")
        await pilot.press("escape", "r")
        assert screen.composer.kind == "reply"
        assert any("was a customer message: it is now a reply" in n
                   for n in notifications(app))
        assert not isinstance(app.screen, SendAs)


# --- n / N: a new ticket -----------------------------------------------------------------------


async def open_new_ticket_form(pilot, key: str = "n") -> None:
    """The queue on screen, then ``key`` (``n`` or ``N``): the new-ticket form opens."""
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)


def form_of(app) -> NewTicketForm:
    form = next(s for s in app.screen_stack if isinstance(s, NewTicketForm))
    return form


async def pick_requester(pilot, typed: str) -> None:
    """In the requester picker: type, wait for the search, take the best match."""
    assert isinstance(pilot.app.screen, RequesterPicker)
    await type_text(pilot, typed)
    await pilot.press("enter")  # waits for the results of what was typed
    await settle(pilot)


def new_tickets(store, before: int) -> list[Ticket]:
    with store.read() as session:
        return list(session.exec(select(Ticket).where(Ticket.id > before)).all())


def newest(store) -> int:
    with store.read() as session:
        return max(session.exec(select(Ticket.id)).all())


async def test_N_files_a_phone_ticket_for_a_picked_requester_and_opens_it(desk_store):
    before = newest(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_ticket_form(pilot, "N")
        assert isinstance(app.screen, RequesterPicker)  # who is calling comes first
        await pick_requester(pilot, "carol")
        form = app.screen
        assert isinstance(form, NewTicketForm)
        assert str(form.query_one("#new-requester").label) == "Carol Diaz <carol@acme.test>"
        assert app.focused is form.query_one("#new-subject")
        await type_text(pilot, "Printer down")
        await pilot.press("tab")
        assert app.focused is form.query_one("#new-body")
        await type_text(pilot, "It says E-42.")
        form.query_one("#new-group", SafeSelect).value = "Network"
        form.query_one("#new-priority", SafeSelect).value = "high"
        await pilot.press("ctrl+s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        (created,) = new_tickets(desk_store, before)
        assert screen.number == created.id
        stored = detail(desk_store, created.id)
        ticket = stored.ticket
        assert (ticket.subject, ticket.channel, ticket.group, ticket.priority, ticket.status) == (
            "Printer down", "phone", "Network", "high", "new")
        assert (stored.requester.email, stored.requester.name) == ("carol@acme.test",
                                                                   "Carol Diaz")
        first = stored.messages[0]
        assert (first.author_kind, first.body) == ("customer", "It says E-42.")
        assert "Printer down" in str(screen.query_one("#ticket-title").render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_n_files_a_ticket_for_a_new_requester(desk_store):
    before = newest(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_ticket_form(pilot, "n")
        await type_text(pilot, "Nadia N")
        await pilot.press("ctrl+n")  # nobody of the desk: a new person
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewTicketForm)
        assert form.query_one("#new-person").display
        assert form.query_one("#new-name", SafeInput).value == "Nadia N"
        assert app.focused is form.query_one("#new-email")
        await type_text(pilot, "na@nv.example")
        await pilot.press("tab")
        await type_text(pilot, "Fan loud")
        await pilot.press("tab")
        await type_text(pilot, "Monday.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
    (created,) = new_tickets(desk_store, before)
    stored = detail(desk_store, created.id)
    assert (stored.requester.name, stored.requester.email) == ("Nadia N",
                                                               "na@nv.example")
    assert stored.ticket.channel == "phone"


async def test_refusals_are_shown_in_the_form_on_their_field_and_nothing_is_filed(desk_store):
    before = newest(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_ticket_form(pilot, "n")
        await pilot.press("escape")  # no requester yet
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewTicketForm)
        error = form.query_one("#new-ticket-error")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert error.display and "Choose the requester first" in str(error.render())
        assert app.focused is form.query_one("#new-requester")
        await pilot.press("enter")  # the requester button opens the picker again
        await settle(pilot)
        await pick_requester(pilot, "carol")
        await pilot.press("tab")  # no subject
        await type_text(pilot, "Words")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert str(error.render()) == "subject: must not be empty"
        assert app.focused is form.query_one("#new-subject")
        await type_text(pilot, "A subject")
        form.query_one("#new-body", SafeTextArea).text = "   "
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert str(error.render()) == "body: must not be empty"
        assert app.focused is form.query_one("#new-body")
        assert form.query_one("#new-subject", SafeInput).value == "A subject"  # nothing lost
    assert new_tickets(desk_store, before) == []


async def test_an_address_nobody_has_is_offered_as_new_and_a_bad_one_refused_on_its_field(
        desk_store):
    before = newest(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_ticket_form(pilot, "n")
        await type_text(pilot, "dan@example")
        await until(pilot, lambda: app.screen._found_for == "dan@example",
                    what="the search's results")
        options = app.screen.query_one("#picker-options")
        # Nobody's address holds it (Dmitri's "dmitri@example.ru" has its letters in order):
        # only the new requester, marked.
        assert options.option_count == 1 and options.highlighted == 0
        assert "New requester: dan@example" in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert form.query_one("#new-email", SafeInput).value == "dan@example"
        assert app.focused is form.query_one("#new-name")
        await type_text(pilot, "Dan")
        await pilot.press("tab", "tab")
        await type_text(pilot, "Subject")
        await pilot.press("tab")
        await type_text(pilot, "Body")
        await pilot.press("ctrl+s")
        await settle(pilot)
        error = str(form.query_one("#new-ticket-error").render())
        assert error == "requester: 'dan@example' is not an e-mail address"
        assert app.focused is form.query_one("#new-email")
    assert new_tickets(desk_store, before) == []


async def test_escape_with_typed_text_asks_before_throwing_it_away(desk_store):
    before = newest(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_ticket_form(pilot, "n")
        await pick_requester(pilot, "carol")
        await type_text(pilot, "Half")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, Confirm) and "Throw away" in app.screen.question
        await pilot.press("n")  # keep it
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewTicketForm)
        assert form.query_one("#new-subject", SafeInput).value == "Half"
        await pilot.press("ctrl+q")  # quitting asks too
        await settle(pilot)
        assert isinstance(app.screen, Confirm) and "not created yet" in app.screen.question
        await pilot.press("n")
        await pilot.press("ctrl+r")  # and over the requester picker opened again
        await settle(pilot)
        assert isinstance(app.screen, RequesterPicker)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, Confirm) and "not created yet" in app.screen.question
        await pilot.press("n", "escape")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
    assert new_tickets(desk_store, before) == []


async def test_the_palette_opens_the_form_and_escape_closes_an_empty_one_at_once(desk_store):
    from textual.command import CommandPalette

    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        await type_text(pilot, "new ticket")
        await until(pilot, lambda: "New ticket" in str(
            app.screen.query_one("CommandList").get_option_at_index(0).prompt),
            what="the command")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, RequesterPicker)
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_hostile_names_in_the_picker_and_the_form_stay_inert(desk_store):
    hostile_name = f"Eve {HOSTILE}"

    def poison(session):
        customer = session.exec(select(Customer).where(Customer.email == "yael@example.co.il")
                                ).one()
        customer.name = hostile_name
        session.add(customer)

    desk_store.write(poison)
    mallory = next(name for name, email in REQUESTERS if email == "mallory@evil.test")
    before = newest(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_ticket_form(pilot, "n")
        picker = app.screen
        await type_text(pilot, "e")
        await until(pilot, lambda: picker._found_for == "e", what="the search's results")
        options = picker.query_one("#picker-options")
        prompts = [options.get_option_at_index(i).prompt.plain
                   for i in range(options.option_count)]
        eve = next(p for p in prompts if p.startswith("Eve "))
        assert not any(ch in eve for ch in "\x1b\x07\x9b\x9d\u202e\u2066")
        assert any(p.startswith(mallory) for p in prompts)  # the markup as its characters
        await pilot.press("backspace")
        await pick_requester(pilot, "mallory")
        form = app.screen
        assert str(form.query_one("#new-requester").label) == f"{mallory} <mallory@evil.test>"
        form.query_one("#new-subject", SafeInput).insert_text_at_cursor(f"Invoice {MARKUP}")
        await pilot.press("tab")
        await type_text(pilot, "[b]x[/b]")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, TicketScreen)  # no [@click] ran
    (created,) = new_tickets(desk_store, before)
    assert created.subject == f"Invoice {MARKUP}"


def test_the_new_keys_have_ids_a_keymap_can_use():
    from deskterm.app import binding_ids

    assert {"ticket.customer-message", "queue.new-ticket", "new-ticket.create",
            "new-ticket.requester", "new-ticket.cancel", "requester-picker.new"} <= binding_ids()


async def test_a_burst_from_N_to_ctrl_s_lands_each_key_in_its_field(desk_store, monkeypatch):
    import time

    from deskterm.desk.service import Desk

    def slow_search(desk, text, **kwargs):  # a busy store: the keys must wait for it
        time.sleep(0.3)
        return search_customers(desk, text, **kwargs)

    search_customers = Desk.search_customers
    monkeypatch.setattr(Desk, "search_customers", slow_search)
    before = newest(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # One write from the terminal; ctrl+s acts as it arrives (a priority binding).
        for key in ("N", *"carol@ac", "enter", *"VPN", "tab", *"Drops", "ctrl+s"):
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await until(pilot, lambda: isinstance(app.screen, TicketScreen), what="the new ticket")
        await settle(pilot)
    (created,) = new_tickets(desk_store, before)
    stored = detail(desk_store, created.id)
    assert (stored.ticket.subject, stored.messages[0].body, stored.requester.email) == (
        "VPN", "Drops", "carol@acme.test")


def test_the_picker_ranks_names_starting_with_the_text_then_name_words_then_fuzzy():
    from deskterm.desk.reads import CustomerRead
    from deskterm.screens.new_ticket import ranked

    def person(number, name, email):
        return CustomerRead(id=number, name=name, email=email, organization=None,
                            internal=False, tier="standard")

    found = [person(1, "Aoife Martinez", "aoife@x.test"), person(2, "Imani Morris", "im@x.test"),
             person(3, "Kwame Martinez", "kw@x.test"), person(4, "Mary Novak", "mary@x.test"),
             person(5, "Bo Li", "mar.bo@x.test")]
    assert [p.id for p in ranked("mar", found)] == [4, 5, 1, 3, 2]


async def test_a_burst_of_c_text_and_ctrl_s_adds_the_whole_text(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, PENDING)
        # ctrl+s acts as it arrives (a priority binding): the letters before it come first.
        for key in ("c", *"She is fine", "ctrl+s"):  # one write from the terminal
            app.post_message(events.Key("space" if key == " " else key,
                                        key if len(key) == 1 else None))
        await until(pilot, lambda: detail(desk_store, PENDING).ticket.status == "open",
                    what="the message added")
        await settle(pilot)
        assert detail(desk_store, PENDING).messages[-1].body == "She is fine"
        assert not screen.composer.display
