"""Ticket numbers from a counter row, so customers see #1001, #1002 ... on both stores.

A transaction reserves numbers in blocks rather than one ``UPDATE`` a ticket: the first
block is as many as asked for (a transaction filing one ticket pays one statement, as
before), each later one twice the last (up to :data:`MAX_BLOCK`), and whatever is left of the
last block is given back just before the transaction commits. The counter's row is locked
by the first ``UPDATE`` until the commit either way, so no other writer can take a number
meanwhile, and the numbers handed out stay consecutive with no gap: a mail import filing a
hundred new tickets in one transaction (``deskterm.db.batch``) paid a hundred ``UPDATE``
statements for them, now eight. The reservation follows the transaction: a savepoint rolled
back takes back the numbers handed out in it (and the block reserved in it, which the
database rolled back too), a transaction rolled back forgets it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction, aliased
from sqlmodel import Session, col

from deskterm.db.models import Counter

_ALLOCATE = (update(Counter)
             .where(col(Counter.name) == "ticket_number")
             .values(value=col(Counter.value) + bindparam("count"))
             .returning(col(Counter.value)))
"""Built once (building it cost more than running it), the count bound per call."""
_OTHER = aliased(Counter)
_ALLOCATE_READING = (update(Counter)
                     .where(col(Counter.name) == "ticket_number")
                     .values(value=col(Counter.value) + bindparam("count"))
                     .returning(col(Counter.value), select(col(_OTHER.value))
                                .where(col(_OTHER.name) == bindparam("other"))
                                .scalar_subquery()))
"""The same, reading another counter's value (None: no such row) in the same statement."""
_GIVE_BACK = (update(Counter)
              .where(col(Counter.name) == "ticket_number", col(Counter.value) == bindparam("end"))
              .values(value=bindparam("next")))
"""The unused end of the last block, given back (only if nothing else moved the counter)."""

MAX_BLOCK = 64
"""The most numbers one reservation takes (the rest of the last one is given back)."""

_RESERVED = "deskterm.ticket_numbers"
_SAVED = "deskterm.ticket_numbers.saved"


@dataclass
class _Reserved:
    """Numbers this transaction took from the counter and has not handed out yet."""

    next: int
    """The next number to hand out."""
    end: int
    """The counter's value in this transaction: one past the last number reserved."""
    block: int
    """How many the last reservation took."""


def allocate_ticket_numbers(session: Session, count: int = 1, *, reading: str | None = None,
                            seen: Callable[[int | None], None] | None = None) -> range:
    """Reserve ``count`` consecutive ticket numbers inside the caller's write transaction.

    ``reading``: the name of another counter whose value is handed to ``seen`` (None: no such
    row) when a statement is sent for the numbers, read by that statement: a transaction
    filing one ticket asked for the rules' version in a round trip of its own."""
    held: _Reserved | None = session.info.get(_RESERVED)
    if held is not None and held.next + count <= held.end:
        first = held.next
        held.next += count
        return range(first, first + count)
    # The first block of a transaction: exactly what is asked; later ones grow.
    block = count if held is None else max(count - (held.end - held.next),
                                           min(2 * held.block, MAX_BLOCK))
    # On the session's connection, not through the ORM (its bulk-update path cost as much as
    # the rest of filing a ticket's rows).
    if reading is None or seen is None:
        end: int = session.connection().execute(_ALLOCATE, {"count": block}).scalar_one()
    else:
        row = session.connection().execute(_ALLOCATE_READING,
                                           {"count": block, "other": reading}).one()
        end = row[0]
        seen(row[1])
    if held is None or end != held.end + block:
        # A new transaction (or the counter moved by other SQL of this one): start afresh.
        held = session.info[_RESERVED] = _Reserved(next=end - block, end=end, block=block)
    else:
        held.end, held.block = end, block
    first = held.next
    held.next += count
    return range(first, first + count)


# The reservation kept in step with the transaction (listeners on every session; a session
# that never took a number pays a dictionary look-up).


@event.listens_for(OrmSession, "after_transaction_create")
def _savepoint_begun(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.nested:
        held = session.info.get(_RESERVED)
        if held is not None:
            session.info.setdefault(_SAVED, {})[transaction] = _Reserved(
                next=held.next, end=held.end, block=held.block)
    elif transaction.parent is None:
        session.info.pop(_RESERVED, None)
        session.info.pop(_SAVED, None)


@event.listens_for(OrmSession, "after_soft_rollback")
def _rolled_back(session: OrmSession, previous: SessionTransaction) -> None:
    if _RESERVED not in session.info and _SAVED not in session.info:
        return
    saved: dict[SessionTransaction, Any] = session.info.get(_SAVED, {})
    if previous.nested and previous in saved:
        # The database is back where it was when the savepoint began: so is the reservation.
        session.info[_RESERVED] = saved.pop(previous)
    else:
        # A savepoint that began before any reservation (its block is rolled back), or the
        # whole transaction.
        session.info.pop(_RESERVED, None)
        if not previous.nested:
            session.info.pop(_SAVED, None)


@event.listens_for(OrmSession, "before_commit")
def _give_back(session: OrmSession) -> None:
    held: _Reserved | None = session.info.get(_RESERVED)
    if held is None or session.in_nested_transaction():
        return
    session.info.pop(_RESERVED, None)
    session.info.pop(_SAVED, None)
    if held.next < held.end:
        session.connection().execute(_GIVE_BACK, {"end": held.end, "next": held.next})


@event.listens_for(OrmSession, "after_transaction_end")
def _ended(session: OrmSession, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_RESERVED, None)
        session.info.pop(_SAVED, None)
