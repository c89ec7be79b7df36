"""Small builders shared by the domain tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from deskterm.db.engine import Store
from deskterm.desk.reads import AgentRead, TicketSummary
from deskterm.desk.tickets import change as tickets_change
from deskterm.desk.tickets import ticket as tickets


def new_ticket(store: Store, actor: AgentRead, **fields) -> TicketSummary:
    """File a ticket from carol@acme.test (or ``requester_email=``)."""
    values = {"requester_email": "carol@acme.test", "subject": "Printer jams on page 2",
              "body": "Every second page jams."}
    values.update(fields)
    return store.write(lambda s: tickets.create_ticket(s, actor=actor, **values))


def change(store: Store, actor: AgentRead, number: int, expected_version: int | None = None,
           **fields) -> TicketSummary:
    """Apply ``TicketChanges(**fields)`` as ``actor``."""
    return store.write(
        lambda s: tickets.update_ticket(s, actor=actor, number=number,
                                        changes=tickets_change.TicketChanges(**fields),
                                        expected_version=expected_version)
    )


def detail(store: Store, number: int):
    with store.read() as session:
        return tickets.get_ticket(session, number=number)


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """Every statement the store runs inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
