"""A requester known only by name (a phone caller from an import) in the console: their ticket
opens with the card saying there is no address, and the new-ticket picker, which files by
address, passes them by without failing."""

from __future__ import annotations

from textual.widgets import OptionList, Static

from deskterm.desk.people import directory as people
from deskterm.desk.people.auth import resolve_actor
from deskterm.desk.tickets.ticket import create_ticket
from deskterm.screens.new_ticket import NEW, NewTicketForm, RequesterPicker

from .pilot import type_text, until
from .test_customer_side import SIZE, make_app, open_new_ticket_form, open_ticket, pick_requester


def _phone_ticket(store) -> int:
    def work(session):
        actor = resolve_actor(session, username="ada")
        caller = people.add_customer_without_email(session, name="Carol Phonecaller")
        return create_ticket(session, actor=actor, requester_email=None, requester_id=caller.id,
                             subject="Called about the invoice", body="Wants a copy",
                             channel="phone").number

    return store.write(work)


async def test_a_ticket_of_a_requester_without_an_address_opens_and_says_so(desk_store):
    number = _phone_ticket(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, number)
        card = str(screen.query_one("#requester-card", Static).render())
        assert "Carol Phonecaller" in card
        assert "no e-mail address" in card


async def test_the_requester_picker_passes_by_someone_without_an_address(desk_store):
    _phone_ticket(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_ticket_form(pilot, "N")
        assert isinstance(app.screen, RequesterPicker)
        await type_text(pilot, "phonecaller")
        await until(pilot, lambda: app.screen._found_for == "phonecaller", what="the search")
        options = app.screen.query_one("#picker-options", OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == [NEW]
        # someone with an address is still found and picked
        await pilot.press(*["backspace"] * len("phonecaller"))
        await pick_requester(pilot, "carol")
        form = app.screen
        assert isinstance(form, NewTicketForm)
        assert str(form.query_one("#new-requester").label) == "Carol Diaz <carol@acme.test>"
