"""Ticket numbers from a counter row, so customers see #1001, #1002 ... on both stores."""

from __future__ import annotations

from sqlalchemy import bindparam, update
from sqlmodel import Session, col

from deskterm.db.models import Counter

_ALLOCATE = (update(Counter)
             .where(col(Counter.name) == "ticket_number")
             .values(value=col(Counter.value) + bindparam("count"))
             .returning(col(Counter.value)))
"""Built once (building it cost more than running it), the count bound per call."""


def allocate_ticket_numbers(session: Session, count: int = 1) -> range:
    """Reserve ``count`` consecutive ticket numbers inside the caller's write transaction."""
    # On the session's connection, not through the ORM (its bulk-update path cost as much as
    # the rest of filing a ticket's rows).
    new_value: int = session.connection().execute(_ALLOCATE, {"count": count}).scalar_one()
    return range(new_value - count, new_value)
