"""SLAs in the console (Pilot): the queue's SLA column counts down in business time and is
re-rendered by a timer without asking the desk again; warning and breach styles; the views and
sort; the ticket screen lists each target with its due time."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from deskterm.app import DeskApp
from deskterm.db.models import Ticket
from deskterm.desk.sla import policies, recompute
from deskterm.widgets import ticket_table
from deskterm.widgets.ticket_table import TicketTable

from .desks import NOW, open_desk
from .pilot import settle, type_text, until

POLICIES = """
[[policy]]
name = "Everyone"
first_response = "2h"
resolution = "24h"
"""


def _with_sla(store) -> list[int]:
    """Every open ticket under a 24x7 policy; three of ada's due 35 minutes ago, in 20 minutes
    (under a quarter of 2 hours left) and in 2 h 10 min, the others' clocks cleared. Returns
    those three, in that order."""
    def work(session):
        policies.replace(session, POLICIES, policies.parse_sla_toml(POLICIES))
        recompute.recompute_open(session, now=NOW)
        numbers = session.exec(select(Ticket.id).where(
            Ticket.status == "open", Ticket.first_response_at.is_(None))  # type: ignore[union-attr]
            .order_by(Ticket.id).limit(3)).all()
        for other in session.exec(select(Ticket).where(Ticket.id.not_in(numbers))).all():
            other.sla_policy_id = other.sla_due_at = other.sla_paused_at = None
            other.first_response_due_at = other.resolution_due_at = None
            session.add(other)
        for number, offset in zip(numbers, (-35, 20, 130), strict=True):
            ticket = session.get(Ticket, number)
            ticket.first_response_due_at = ticket.sla_due_at = NOW + timedelta(minutes=offset)
            ticket.resolution_due_at = NOW + timedelta(days=2)
            session.add(ticket)
        return list(numbers)
    return store.write(work)


async def _filter(pilot, text: str) -> None:
    await pilot.press("slash")
    pilot.app.screen.query_one("#filter").value = ""
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


async def test_the_sla_column_counts_down_without_asking_the_desk_again(desk_store, monkeypatch):
    late, soon, later = _with_sla(desk_store)
    monkeypatch.setattr(ticket_table, "SLA_TICK_SECONDS", 0.05)
    now = [NOW]
    desk = open_desk(desk_store, "ada")
    app = DeskApp(desk, clock=lambda: now[0], watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await _filter(pilot, "sla:<3h sort:sla")
        table = app.screen.query_one(TicketTable)
        await until(pilot, lambda: table.total >= 3 and table.row_at(0) is not None,
                    what="the rows")
        rows = [table.row_at(i) for i in range(3)]
        assert [row.number for row in rows] == [late, soon, later]
        states = [table.sla_state(row, NOW) for row in rows]
        assert [(s.text, s.level) for s in states] == [
            ("-35m", "breached"), ("20m", "warning"), ("2h 10m", "ok")]
        header = table.render_line(0).text
        assert "SLA" in header
        assert "2h 10m" in table.render_line(3).text and "-35m" in table.render_line(1).text

        reads: list[str] = []
        for name in ("queue_window", "queue_rows"):
            original = getattr(desk, name)
            monkeypatch.setattr(desk, name, lambda *a, _o=original, _n=name, **k: (
                reads.append(_n), _o(*a, **k))[1])
        now[0] = NOW + timedelta(minutes=10)
        await until(pilot, lambda: "2h" in table.render_line(3).text
                    and "2h 10m" not in table.render_line(3).text, what="the countdown")
        assert "-45m" in table.render_line(1).text
        assert reads == []  # the timer re-rendered the rows it had


async def test_the_sla_views_and_the_ticket_screen(desk_store):
    late, soon, _later = _with_sla(desk_store)
    app = DeskApp(open_desk(desk_store, "ada"), clock=lambda: NOW, watch=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        screen.show_view("breached")
        await settle(pilot)
        table = screen.query_one(TicketTable)
        await until(pilot, lambda: table.row_at(0) is not None, what="the breached rows")
        assert table.row_at(0).number == late
        screen.show_view("sla-at-risk")
        await settle(pilot)
        await until(pilot, lambda: table.total == 1 and table.row_at(0) is not None,
                    what="the at-risk row")
        assert table.row_at(0).number == soon
        await pilot.press("enter")
        await settle(pilot)
        fields = str(app.screen.query_one("#ticket-fields").render())
        assert "first response 20m left (due" in fields
        assert "resolution 48h left" in fields
