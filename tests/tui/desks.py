"""A small fixed desk for the console tests: known tickets, fixed times, hostile and wide text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import select

from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.db.models import Event, Message, Ticket
from deskterm.desk import setup
from deskterm.desk.people import directory as people
from deskterm.desk.service import Desk
from deskterm.desk.tickets import change
from deskterm.desk.tickets import ticket as tickets

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
"""The frozen clock of every console test."""

HOSTILE_SUBJECT = "Re: invoice [/] overdue [@click=app.quit]x[/]"
SUBJECTS = [
    "VPN drops every 10 minutes",
    "Printer on floor 3 jams on page 2",
    HOSTILE_SUBJECT,
    "打印机无法连接到网络，请帮忙检查一下配置",
    "המדפסת לא מדפיסה מאז העדכון",
    "چاپگر بعد از به‌روزرسانی کار نمی‌کند",
    "Zamówienie nie dotarło — prośba o zwrot",
    "Не приходит письмо для сброса пароля",
    "Invoice 2291 charged twice",
    "Laptop will not wake from sleep",
    "Bitte Rechnung für Oktober erneut senden",
    "Wi-Fi password for the guest network",
]
REQUESTERS = [
    ("Carol Diaz", "carol@acme.test"),
    ("王小明", "wang@example.cn"),
    ("יעל כהן", "yael@example.co.il"),
    ("Mallory [@click=app.quit]O'Hara[/]", "mallory@evil.test"),
    ("Zofia Nowak", "zofia@example.pl"),
    ("Dmitri Ivanov", "dmitri@example.ru"),
]
STATUSES = ["new", "open", "open", "pending", "on_hold", "open", "solved"]
PRIORITIES = ["normal", "high", "low", "urgent", "normal"]
TICKETS = 120


def seed(store: Store) -> None:
    """``ada`` (admin) and ``bert`` in group Network; 120 tickets with fixed times."""
    migrate.upgrade(store)

    def work(session) -> None:
        ada = setup.ensure_first_admin(session, username="ada", display_name="Ada Admin")
        people.add_agent(session, username="bert", display_name="Bert Baker")
        people.add_group(session, name="Network")
        people.add_member(session, group="Network", username="bert")
        for i in range(TICKETS):
            name, email = REQUESTERS[i % len(REQUESTERS)]
            tickets.create_ticket(
                session, actor=ada, requester_email=email, requester_name=name,
                subject=SUBJECTS[i % len(SUBJECTS)],
                body=f"Details of case {i}. \x1b]52;c;SGVsbG8=\x07 \u202eevil",
                priority=PRIORITIES[i % len(PRIORITIES)],
                assignee=("ada", "bert", None)[i % 3],
                group="Network" if i % 4 == 0 else None,
                tags=("vpn",) if i % 5 == 0 else (),
            )
        session.flush()
        for i in range(0, TICKETS, 9):
            # The requester wrote again: the assignee has not seen it (the queue marks it).
            name, email = REQUESTERS[i % len(REQUESTERS)]
            tickets.add_customer_message(session, number=1001 + i, email=email,
                                         body="Any news? It happened again this morning.")
        for i in range(TICKETS):
            number = 1001 + i
            status = STATUSES[i % len(STATUSES)]
            when = NOW - timedelta(minutes=37 * (TICKETS - i))
            session.exec(update(Ticket).where(Ticket.id == number).values(
                status=status, created_at=when - timedelta(days=1), updated_at=when,
                solved_at=when if status == "solved" else None,
                customer_replied_at=when if i % 9 == 0 else None))
            session.exec(update(Message).where(Message.ticket_id == number)
                         .values(created_at=when - timedelta(days=1)))
            session.exec(update(Event).where(Event.ticket_id == number).values(at=when))

    store.write(work)


def open_desk(store: Store, username: str = "ada") -> Desk:
    desk = Desk.open(store.url.render_as_string(hide_password=False), username=username)
    desk.label = "test desk"
    return desk


def add_conversation(store: Store, number: int) -> int:
    """A reply, an internal note (with escape sequences) and the customer's answer on ticket
    ``number`` at fixed times, and the ticket an incident of a problem; returns the problem."""
    from deskterm.desk.people.auth import resolve_actor
    from deskterm.desk.tickets import ops as ticket_ops

    problem = 1002 if number != 1002 else 1003

    def work(session) -> None:
        ada = resolve_actor(session, username="ada")
        bert = resolve_actor(session, username="bert")
        tickets.update_ticket(session, actor=ada, number=problem,
                              changes=change.TicketChanges(type="problem"))
        ticket_ops.link(session, actor=ada, number=number, other=problem, kind="incident")
        tickets.add_reply(session, actor=ada, number=number, minutes=10,
                          body="Hello, could you tell us which model it is?\nThanks, Ada")
        tickets.add_note(session, actor=bert, number=number, minutes=5,
                         body="Same as #1002: firmware 2.1 \x1b[31mred\x1b[0m [b]not bold[/b]")
        requester = tickets.get_ticket(session, number=number).requester.email
        tickets.add_customer_message(session, number=number, email=requester,
                                     body="It is the T14, bought last year.")
        session.flush()
        ids = session.exec(select(Message.id).where(Message.ticket_id == number)
                           .order_by(Message.id)).all()
        for position, message_id in enumerate(ids[-3:]):
            session.exec(update(Message).where(Message.id == message_id).values(
                created_at=NOW - timedelta(hours=3 - position)))
        session.exec(update(Ticket).where(Ticket.id.in_((number, problem))).values(
            updated_at=NOW - timedelta(hours=1)))

    store.write(work)
    return problem
