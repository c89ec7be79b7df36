"""The ticket screen follows its ticket: others' changes show within a second without touching
the composer or the thread's place, a merge shows a banner, and the ages tick on time."""

from __future__ import annotations

from datetime import timedelta

from deskterm.app import DeskApp
from deskterm.desk.people.auth import resolve_actor
from deskterm.desk.tickets import change as tickets_change
from deskterm.desk.tickets import ops as ticket_ops
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.ticket import get_ticket
from deskterm.screens.dialogs import Confirm
from deskterm.screens.ticket import TicketScreen
from deskterm.screens.ticket_live import what_changed
from deskterm.timefmt import next_change
from deskterm.widgets.editors import SafeTextArea
from deskterm.widgets.thread import ThreadView

from .desks import NOW, add_conversation, open_desk
from .pilot import settle, type_text, until

SIZE = (120, 40)
LIVE = 2.0
"""Seconds a change by another process may take to show (it takes ~0.3 s; CI is busy)."""


def make_app(store, *, watch: bool = True, clock=None) -> DeskApp:
    return DeskApp(open_desk(store, "ada"), clock=clock or (lambda: NOW), watch=watch)


def actor(store, username: str = "bert"):
    with store.read() as session:
        return resolve_actor(session, username=username)


def detail(store, number: int):
    with store.read() as session:
        return get_ticket(session, number=number)


async def open_ticket(pilot, number: int) -> TicketScreen:
    await settle(pilot)
    pilot.app.screen.go_to_ticket(number)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TicketScreen) and screen.number == number
    screen.heartbeat_timer.pause()
    return screen


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


def add_messages(store, number: int, count: int) -> None:
    """``count`` customer messages at fixed times: a thread longer than the screen."""
    email = detail(store, number).requester.email

    def work(session):
        for index in range(count):
            tickets.add_customer_message(session, number=number, email=email,
                                         body=f"Message {index}: it still fails.\nLine two.")
    store.write(work)


async def test_a_teammate_s_change_and_message_show_live_keeping_the_text_and_the_place(
        any_desk_store):
    store, number = any_desk_store, 1031  # assigned to ada
    add_messages(store, number, 12)
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, number)
        thread = screen.query_one(ThreadView)
        await pilot.press("r")
        await type_text(pilot, "Half a reply")
        await pilot.pause()
        # Opening the composer shrank the thread: it still shows its end.
        assert thread.scroll_offset.y == thread.max_scroll_y > 0
        editor = screen.query_one("#composer-text", SafeTextArea)
        await pilot.press("left", "left")
        cursor = editor.cursor_location
        thread.scroll_lines(-8)  # the agent scrolled up to read
        await pilot.pause()
        place = thread.scroll_offset.y
        assert place < thread.max_scroll_y
        bert = actor(store)
        store.write(lambda s: tickets.update_ticket(
            s, actor=bert, number=number,
            changes=tickets_change.TicketChanges(priority="urgent", add_tags=("outage",))))
        await until(pilot, lambda: screen.detail.ticket.priority == "urgent", timeout=LIVE,
                    what="bert's priority on screen")
        fields = str(screen.query_one("#ticket-fields").render())
        assert "urgent" in fields and "outage" in fields
        assert any("Bert Baker set priority to urgent" in n and "+outage" in n
                   for n in notes(app)), notes(app)
        # A new message: in the thread, the reader who scrolled up stays where they were.
        count = len(thread.messages)
        store.write(lambda s: tickets.add_note(s, actor=bert, number=number,
                                               body="Checked the VPN logs"))
        await until(pilot, lambda: len(thread.messages) == count + 1, timeout=LIVE,
                    what="bert's note in the thread")
        await pilot.pause()
        assert thread.messages[-1].body == "Checked the VPN logs"
        assert thread.scroll_offset.y == place
        assert any("Bert Baker added an internal note" in n for n in notes(app))
        # The editor never noticed.
        assert screen.composer.display and screen.composer.text == "Half a reply"
        assert editor.cursor_location == cursor and app.focused is editor
        # A reader at the end sees the next message come in.
        thread.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        email = screen.detail.requester.email
        store.write(lambda s: tickets.add_customer_message(s, number=number, email=email,
                                                           body="Any news?"))
        await until(pilot, lambda: len(thread.messages) == count + 2, timeout=LIVE,
                    what="the customer's message")
        await until(pilot, lambda: thread.visible_items()[-1] == thread.messages[-1],
                    timeout=LIVE, what="the thread following its end")
        assert any("(customer) wrote" in n for n in notes(app))
        # ada has it on screen: the queue does not flag the customer's message as unseen.
        await until(pilot, lambda: not detail(store, number).ticket.unseen_reply,
                    timeout=LIVE, what="the new message marked seen")
        await pilot.press("space", "x")
        assert screen.composer.text == "Half a rep xly"
        # What came while the agent was writing is asked about before the reply goes.
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        assert "2 new messages from Bert Baker" in app.screen.question


async def test_the_next_field_change_after_a_teammate_s_is_not_refused(any_desk_store):
    store, number = any_desk_store, 1030
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, number)
        seen = screen.detail.ticket.version
        bert = actor(store)
        store.write(lambda s: tickets.update_ticket(
            s, actor=bert, number=number, changes=tickets_change.TicketChanges(priority="low")))
        await until(pilot, lambda: screen.detail.ticket.version > seen, timeout=LIVE,
                    what="bert's change on screen")
        await pilot.press("s")
        await settle(pilot)
        await type_text(pilot, "pending")
        await pilot.press("enter")
        await settle(pilot)
        stored = detail(store, number).ticket
        assert (stored.status, stored.priority) == ("pending", "low")
        assert not [n for n in notes(app) if "reload" in n], notes(app)
        assert screen.detail.ticket.status == "pending"


async def test_a_link_and_a_merge_by_a_teammate_show_and_enter_opens_the_target(desk_store):
    store, number, target = desk_store, 1030, 1031
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, number)
        banner = screen.query_one("#ticket-banner")
        assert not banner.display
        history = screen.query_one("#history")
        history.focus()
        await pilot.press("down")
        assert history.highlighted == 1
        bert = actor(store)
        store.write(lambda s: ticket_ops.link(s, actor=bert, number=1040, other=number))
        await until(pilot, lambda: [t.number for t in screen.links.related] == [1040],
                    timeout=LIVE, what="bert's link in the sidebar")
        assert screen.query_one("#links").display
        # The sidebar was drawn again under the agent's cursor: it stays where it was.
        assert app.focused is history and history.highlighted == 1
        screen.query_one(ThreadView).focus()
        assert any("Bert Baker linked it (related #1040)" in n for n in notes(app)), notes(app)
        store.write(lambda s: ticket_ops.merge(s, actor=bert, source=number, target=target))
        await until(pilot, lambda: banner.display, timeout=LIVE, what="the merge banner")
        assert f"Merged into #{target}" in str(banner.render())
        assert "enter opens it" in str(banner.render())
        assert any(f"merged it into #{target}" in n for n in notes(app)), notes(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.number == target
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


class Clock:
    def __init__(self, now) -> None:
        self.now = now

    def __call__(self):
        return self.now


async def test_ages_tick_when_they_turn_without_reading_the_store(desk_store):
    number = 1030
    add_conversation(desk_store, number)  # messages 3 h, 2 h and 1 h before NOW
    # 0.3 s before the newest message turns "2h ago" (and the ticket's "updated" 2h).
    clock = Clock(NOW + timedelta(minutes=59, seconds=59.7))
    app = make_app(desk_store, watch=False, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, number)
        thread = screen.query_one(ThreadView)
        newest = thread.messages[-1]
        assert "1h ago" in thread.lines_of(newest)[0]
        assert "updated 1h" in str(screen.query_one("#ticket-fields").render())
        reads = []
        real_read = app.desk.store.read
        app.desk.store.read = lambda: reads.append("read") or real_read()
        clock.now = NOW + timedelta(hours=1, seconds=1)
        await until(pilot, lambda: "2h ago" in thread.lines_of(newest)[0], timeout=1.5,
                    what="the thread's age to tick")
        assert "updated 2h" in str(screen.query_one("#ticket-fields").render())
        assert reads == []


def test_ages_turn_at_the_minute_the_hour_and_the_day():
    assert next_change(NOW, NOW) == 60  # "just now" until a minute has passed
    assert next_change(NOW - timedelta(seconds=59.5), NOW) == 0.5
    assert next_change(NOW - timedelta(minutes=5, seconds=10), NOW) == 50
    assert next_change(NOW - timedelta(hours=2, minutes=59), NOW) == 60
    assert next_change(NOW - timedelta(days=2, hours=23), NOW) == 3600
    assert next_change(NOW + timedelta(seconds=5), NOW) == 65  # a clock a little behind


def test_what_changed_names_who_did_what_and_leaves_out_the_agent_s_own(desk_store):
    bert = actor(desk_store)
    ada = actor(desk_store, "ada")
    before = detail(desk_store, 1030)

    def work(session):
        tickets.update_ticket(session, actor=ada, number=1030,
                              changes=tickets_change.TicketChanges(type="incident"))
        tickets.update_ticket(session, actor=bert, number=1030,
                              changes=tickets_change.TicketChanges(
            status="pending", assignee="ada", group="Network", remove_tags=("vpn",)))
        tickets.add_reply(session, actor=bert, number=1030, body="On it")
        tickets.add_note(session, actor=ada, number=1030, body="mine")

    desk_store.write(work)
    lines = what_changed(before, detail(desk_store, 1030), me="ada", my_name="Ada Admin",
                         names={"bert": "Bert Baker"})
    assert lines == ["Bert Baker assigned it to you, moved it to group Network, "
                     "set status to pending, replied"]
