"""The ticket screen marks each e-mailed reply queued, sent or failed (with the reason), live; a
console with an [smtp] server sends the outbox in the background."""

from __future__ import annotations

from deskterm.app import DeskApp
from deskterm.desk.mail import sending
from deskterm.desk.mail import settings as mail_settings
from deskterm.desk.people.auth import resolve_actor
from deskterm.desk.tickets import ticket as tickets
from deskterm.screens.ticket import TicketScreen
from deskterm.widgets.thread import ThreadView

from ..smtp_server import nothing_listening, smtp_server
from .desks import NOW, open_desk
from .pilot import settle, until

SIZE = (140, 40)
LIVE = 3.0
"""Seconds a change by another process may take to show (CI is busy)."""


def _mail_on(store) -> None:
    store.write(lambda s: mail_settings.update_settings(s, from_address="help@desk.test",
                                                        from_name="Acme Help"))


def _reply_as_bert(store, number: int, body: str) -> None:
    with store.read() as session:
        bert = resolve_actor(session, username="bert")
    store.write(lambda s: tickets.add_reply(s, actor=bert, number=number, body=body))


def _title_of(thread: ThreadView, body: str) -> str:
    found = [m for m in thread.messages if m.body == body]
    return thread.lines_of(found[-1])[0] if found else ""


async def _open(pilot, number: int) -> TicketScreen:
    await settle(pilot)
    pilot.app.screen.go_to_ticket(number)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TicketScreen) and screen.number == number
    screen.heartbeat_timer.pause()
    return screen


async def test_a_reply_shows_queued_then_failed_with_the_reason_live(desk_store):
    store, number = desk_store, 1031
    _mail_on(store)
    app = DeskApp(open_desk(store, "ada"), clock=lambda: NOW)  # no [smtp]: sends nothing
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, number)
        thread = screen.query_one(ThreadView)
        _reply_as_bert(store, number, "Please restart the router.")
        await until(pilot, lambda: "✉ queued" in _title_of(thread, "Please restart the router."),
                    timeout=LIVE, what="the reply marked queued")
        with smtp_server(refuse_first=1, refuse_with="550 5.1.1 no such mailbox") as server:
            sending.drain(store, server.config())  # another process sends it
        await until(pilot, lambda: "✉ failed: 550 5.1.1 no such mailbox" in _title_of(
            thread, "Please restart the router."), timeout=LIVE, what="the failure's reason")
        notes_of_bert = [m for m in thread.messages if m.author == "Bert Baker" and not m.public]
        assert all(m.mail is None for m in notes_of_bert)


async def test_a_console_with_a_server_sends_a_reply_and_marks_it_sent(desk_store):
    store, number = desk_store, 1031
    _mail_on(store)
    with smtp_server() as server:
        app = DeskApp(open_desk(store, "ada"), clock=lambda: NOW, smtp=server.config())
        async with app.run_test(size=SIZE) as pilot:
            screen = await _open(pilot, number)
            thread = screen.query_one(ThreadView)
            await pilot.press("r")
            await settle(pilot)
            for key in "On it":
                await pilot.press("space" if key == " " else key)
            await pilot.press("ctrl+s")
            await settle(pilot)
            if screen.composer.display:  # "send as" asked: keep the status
                await pilot.press("enter")
                await settle(pilot)
            await until(pilot, lambda: "✉ sent" in _title_of(thread, "On it"), timeout=LIVE,
                        what="the reply marked sent")
            received = server.received
    assert len(received) == 1
    assert b"Subject: Re: [#1031]" in received[0].data


async def test_a_console_whose_server_is_down_says_so_once_and_keeps_the_mail(desk_store):
    store, number = desk_store, 1031
    _mail_on(store)
    app = DeskApp(open_desk(store, "ada"), clock=lambda: NOW, smtp=nothing_listening())
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, number)
        thread = screen.query_one(ThreadView)
        _reply_as_bert(store, number, "Is it better now?")
        await until(pilot, lambda: "Connection refused)" in _title_of(
            thread, "Is it better now?"), timeout=LIVE, what="the retry's reason")
        assert "✉ queued, will retry (127.0.0.1:" in _title_of(thread, "Is it better now?")
        said = [n.message for n in app._notifications if n.title == "Outbox"]
        assert len(said) == 1 and said[0].startswith("Mail not sent yet: ")
        assert "Connection refused" in said[0]
