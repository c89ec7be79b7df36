"""The console runs the desk's timers in the background: a solved ticket past its days closes
while the console is open (as ``via automation:close-solved``), and the console gives the
lease back when it ends."""

from __future__ import annotations

import time
from datetime import timedelta

from deskterm import app as app_module
from deskterm.app import DeskApp
from deskterm.db.models import Ticket
from deskterm.db.types import utcnow
from deskterm.desk.automation import runner
from deskterm.desk.tickets.ticket import get_ticket

from .desks import NOW, open_desk
from .pilot import settle, until

SOLVED = 1007
"""A solved ticket of the console desk (tests/tui/desks.py)."""


def _status(store, number: int) -> str:
    with store.read() as session:
        return get_ticket(session, number=number).ticket.status


async def test_the_console_closes_an_old_solved_ticket_in_the_background(desk_store,
                                                                         monkeypatch):
    monkeypatch.setattr(app_module, "TIMERS_FIRST", 1.0)

    def aged(session):
        ticket = session.get(Ticket, SOLVED)
        ticket.solved_at = utcnow() - timedelta(days=30)
        session.add(ticket)

    desk_store.write(aged)
    app = DeskApp(open_desk(desk_store), clock=lambda: NOW, watch=False, timers=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: _status(desk_store, SOLVED) == "closed", timeout=15,
                    what="the background pass to close the solved ticket")
        with desk_store.read() as session:
            events = get_ticket(session, number=SOLVED).events
        assert events[-1].by == runner.CLOSE_VIA
        assert app.desk is not None and app.desk.automation_lease().holder is not None
    from deskterm.desk.automation import lease

    deadline = time.monotonic() + 10  # the worker's thread gives it back as it ends
    while time.monotonic() < deadline:
        with desk_store.read() as session:
            if lease.lease_of(session).holder is None:
                break
        time.sleep(0.1)
    with desk_store.read() as session:
        assert lease.lease_of(session).holder is None  # given back at exit


async def test_the_ticket_screen_shows_its_rating_and_the_requesters(desk_store):
    from textual.widgets import Static

    from deskterm.desk.service import Desk
    from deskterm.screens.ticket import TicketScreen

    from .desks import open_desk as opened

    desk: Desk = opened(desk_store)
    desk.record_rating(SOLVED, score=4, comment="quick and kind")
    app = DeskApp(desk, clock=lambda: NOW, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.go_to_ticket(SOLVED)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        fields = str(screen.query_one("#ticket-fields", Static).render())
        card = str(screen.query_one("#requester-card", Static).render())
    assert "CSAT ★4/5" in fields and "quick and kind" in fields
    assert "CSAT 4.0 over 1 rated ticket" in card
