"""The open tickets' SLA columns, read and written in bulk (``deskterm sla load`` recomputes
every open ticket's due times after a calendar or policy change: a million on a big desk).

Both go through the DBAPI connection of the session's transaction: reading a million rows
through the ORM, or even through SQLAlchemy's result processing, costs more than the business
arithmetic itself. The tickets are read in ranges of ids (one pass over the table, whatever the
share of open ones), their timestamps as microseconds since the epoch. Writing many rows drops
the due-time index first and builds it again after (one sort instead of a B-tree update per
row); the new values are staged in a temporary table and written by one ``UPDATE ... FROM``;
all inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Index
from sqlalchemy.schema import CreateIndex, DropIndex
from sqlmodel import Session

from deskterm.db.models import Ticket

OPEN_STATUSES = ("new", "open", "pending", "on_hold")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)

_READ = (
    "SELECT t.id, t.status, t.priority, t.created_at, t.first_response_at, "
    "t.next_response_started_at, t.sla_paused_minutes, t.next_response_paused_minutes, "
    "t.sla_paused_at, c.tier, c.organization_id, t.sla_policy_id, t.first_response_due_at, "
    "t.next_response_due_at, t.resolution_due_at, t.sla_due_at "
    "FROM tickets t JOIN customers c ON c.id = t.requester_id "
    "WHERE t.id >= {p} AND t.id < {p} AND t.status IN ('new', 'open', 'pending', 'on_hold')")

_STAGE = ("CREATE TEMPORARY TABLE sla_recomputed (policy INTEGER, first_due {t}, next_due {t}, "
          "resolution_due {t}, earliest {t}, paused {t}, id INTEGER PRIMARY KEY)")
_STAGE_ROW = "INSERT INTO sla_recomputed VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})"
_APPLY = ("UPDATE tickets SET sla_policy_id = n.policy, first_response_due_at = n.first_due, "
          "next_response_due_at = n.next_due, resolution_due_at = n.resolution_due, "
          "sla_due_at = n.earliest, sla_paused_at = n.paused FROM sla_recomputed AS n "
          "WHERE tickets.id = n.id")

DUE_INDEX = "ix_tickets_sla_due"
REBUILD_OVER = 50_000
"""Open tickets past which the due-time index is dropped and built again around the writes."""


class SlaColumns:
    """Reads the open tickets by ranges of ids and writes their SLA columns.

    A row is ``(id, status, priority, created, first_response_at is set, next response started,
    paused minutes, next paused minutes, paused at, tier, organization id, stored)`` with the
    instants as microseconds since the epoch (None when empty) and ``stored`` the six values
    :meth:`write` takes, as the store holds them (unchanged tickets are not written).
    """

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.session = session
        self.sqlite = connection.dialect.name == "sqlite"
        self.raw: Any = connection.connection.dbapi_connection
        mark = "?" if self.sqlite else "%s"
        self._read = _READ.format(p=mark)
        self._stage_row = _STAGE_ROW.format(p=mark)
        self._dropped = False
        self._staged = 0

    def us(self, value: Any) -> int | None:
        """A stored timestamp as microseconds since the epoch."""
        if value is None:
            return None
        if self.sqlite:
            return (datetime.fromisoformat(value) - _NAIVE_EPOCH) // _US
        result: int = (value - _EPOCH) // _US
        return result

    def stored(self, us: int | None) -> Any:
        """Microseconds since the epoch as this store keeps a timestamp."""
        if us is None:
            return None
        if self.sqlite:
            return (_NAIVE_EPOCH + timedelta(microseconds=us)).isoformat(
                sep=" ", timespec="microseconds")
        return _EPOCH + timedelta(microseconds=us)

    def _cursor_rows(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cursor = self.raw.cursor()
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def open_count(self) -> int:
        found = self._cursor_rows(
            "SELECT count(*) FROM tickets WHERE status IN ('new', 'open', 'pending', 'on_hold')",
            ())
        return int(found[0][0])

    def open_rows(self, page: int = 50_000) -> Iterator[list[tuple[Any, ...]]]:
        bounds = self._cursor_rows("SELECT min(id), max(id) FROM tickets", ())
        low, high = bounds[0]
        if low is None:
            return
        us = self.us
        while low <= high:
            rows = self._cursor_rows(self._read, (low, low + page))
            low += page
            if rows:
                yield [(r[0], r[1], r[2], us(r[3]), r[4] is not None, us(r[5]), r[6] or 0,
                        r[7] or 0, us(r[8]), r[9], r[10], (r[11], r[12], r[13], r[14], r[15],
                                                          r[8]))
                       for r in rows]

    def drop_due_index(self) -> None:
        """Before writing many rows: the index goes (built again by :meth:`finish`)."""
        self.session.connection().execute(DropIndex(_due_index()))
        self._dropped = True

    def write(self, values: Sequence[tuple[Any, ...]]) -> None:
        """``(policy, first, next, resolution, earliest, paused_at, id)`` per ticket, the
        timestamps from :meth:`stored`: staged in a temporary table, written to the tickets by
        :meth:`finish` in one statement."""
        if not values:
            return
        cursor = self.raw.cursor()
        try:
            if not self._staged:
                cursor.execute(_STAGE.format(t="TEXT" if self.sqlite else "TIMESTAMPTZ"))
            cursor.executemany(self._stage_row, values)
        finally:
            cursor.close()
        self._staged += len(values)

    def finish(self) -> None:
        """The staged values into the tickets; the due-time index built again if dropped."""
        if self._staged:
            cursor = self.raw.cursor()
            try:
                cursor.execute(_APPLY)
                cursor.execute("DROP TABLE sla_recomputed")
            finally:
                cursor.close()
            self._staged = 0
        if self._dropped:
            self.session.connection().execute(CreateIndex(_due_index()))
            self._dropped = False


def _due_index() -> Index:
    for index in Ticket.__table__.indexes:  # type: ignore[attr-defined]
        if index.name == DUE_INDEX:
            found: Index = index
            return found
    raise LookupError(DUE_INDEX)
