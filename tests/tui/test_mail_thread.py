"""Mail on the ticket screen: quoted history folded to one dim line (``z`` shows it), hostile
mail text inert."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select, update

from deskterm.app import DeskApp
from deskterm.db.models import Message
from deskterm.desk.tickets import ticket as tickets
from deskterm.screens.ticket import TicketScreen
from deskterm.widgets.thread import ThreadView

from .desks import NOW, open_desk
from .pilot import settle, until

SIZE = (120, 40)

QUOTED_MAIL = (
    "It still drops, every [bold]ten[/bold] minutes \x1b]52;c;aGk=\x07since Monday.\n"
    "\n"
    "Bea\n"
    "\n"
    "On Fri, 20 Nov 2026 at 09:00, Help Desk <help@desk.example> wrote:\n"
    "> Hello, could you tell us which model it is?\n"
    "> [@click=app.quit]Thanks[/], \x1b[31mAda\n"
    ">\n"
    "> -- \n"
    "> Help Desk\n")


def add_mail_answer(store, number: int, body: str = QUOTED_MAIL) -> None:
    def work(session) -> None:
        tickets.add_customer_message(session, number=number, body=body,
                                     source_message_id=f"answer-{number}@example.com")
        session.flush()
        newest = session.exec(select(Message.id).where(Message.ticket_id == number)
                              .order_by(Message.id.desc())).first()
        session.exec(update(Message).where(Message.id == newest)
                     .values(created_at=NOW - timedelta(minutes=5)))

    store.write(work)


def make_app(store) -> DeskApp:
    return DeskApp(open_desk(store), clock=lambda: NOW, watch=False)


async def open_ticket(pilot, number: int) -> TicketScreen:
    await settle(pilot)
    pilot.app.screen.go_to_ticket(number)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TicketScreen)
    return screen


async def test_quoted_history_is_folded_and_z_shows_it(desk_store):
    add_mail_answer(desk_store, 1005)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, 1005)
        thread = screen.query_one(ThreadView)
        answer = thread.messages[-1]
        folded = thread.lines_of(answer)
        assert folded[1:] == [
            "It still drops, every [bold]ten[/bold] minutes since Monday.", "", "Bea",
            "… quoted text (6 lines) — z to show"]
        await pilot.press("z")
        await until(pilot, lambda: len(thread.lines_of(answer)) == 10, what="unfolded")
        shown = thread.lines_of(answer)
        assert shown[4:] == [
            "On Fri, 20 Nov 2026 at 09:00, Help Desk <help@desk.example> wrote:",
            "> Hello, could you tell us which model it is?",
            "> [@click=app.quit]Thanks[/], Ada", ">", "> -- ", "> Help Desk"]
        assert all("\x1b" not in line for line in shown)
        await pilot.press("z")
        await until(pilot, lambda: thread.lines_of(answer) == folded, what="folded again")
        assert app.is_running


async def test_z_on_a_thread_without_quotes_says_so(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, 1005)
        before = [screen.query_one(ThreadView).lines_of(m)
                  for m in screen.query_one(ThreadView).messages]
        await pilot.press("z")
        await settle(pilot)
        assert any("No quoted text" in n.message for n in app._notifications)
        assert [screen.query_one(ThreadView).lines_of(m)
                for m in screen.query_one(ThreadView).messages] == before
