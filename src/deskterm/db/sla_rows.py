"""The open tickets' SLA columns, read and written in bulk (``deskterm sla load`` recomputes
every open ticket's due times after a calendar or policy change: a million on a big desk).

Both go through the DBAPI connection of the session's transaction: reading a million rows
through the ORM, or even through SQLAlchemy's result processing, costs more than the business
arithmetic itself. Timestamps travel as the store keeps them: on SQLite naive UTC text
(``YYYY-MM-DD HH:MM:SS.ffffff``, as :class:`~deskterm.db.types.UTCDateTime` writes it), on
PostgreSQL ``timestamptz``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

OPEN_STATUSES = ("new", "open", "pending", "on_hold")

_READ = (
    "SELECT t.id, t.status, t.priority, t.created_at, t.first_response_at, "
    "t.next_response_started_at, t.sla_paused_minutes, t.next_response_paused_minutes, "
    "t.sla_paused_at, c.tier, c.organization_id, t.sla_policy_id, t.first_response_due_at, "
    "t.next_response_due_at, t.resolution_due_at, t.sla_due_at "
    "FROM tickets t JOIN customers c ON c.id = t.requester_id "
    "WHERE t.status IN ('new', 'open', 'pending', 'on_hold') AND t.id > {mark} "
    "ORDER BY t.id LIMIT {limit}")

_WRITE = ("UPDATE tickets SET sla_policy_id = {p}, first_response_due_at = {p}, "
          "next_response_due_at = {p}, resolution_due_at = {p}, sla_due_at = {p}, "
          "sla_paused_at = {p} WHERE id = {p}")


@dataclass(frozen=True)
class OpenRow:
    """An open ticket as the recompute sees it (timestamps aware UTC)."""

    id: int
    status: str
    priority: int
    created_at: datetime
    first_response_at: datetime | None
    next_response_started_at: datetime | None
    paused_minutes: int
    next_paused_minutes: int
    paused_at: datetime | None
    tier: str | None
    organization_id: int | None
    policy_id: int | None
    stored: tuple[Any, ...]
    """(policy, first, next, resolution, earliest, paused_at) as stored: unchanged rows are
    not written."""


class SlaColumns:
    """Reads the open tickets in id order, page by page, and writes their SLA columns."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.sqlite = connection.dialect.name == "sqlite"
        self.raw: Any = connection.connection.dbapi_connection
        self._write = _WRITE.format(p="?" if self.sqlite else "%s")

    def _time(self, value: Any) -> datetime | None:
        if value is None:
            return None
        if self.sqlite:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        result: datetime = value
        return result

    def stored_time(self, value: datetime | None) -> Any:
        """A timestamp as this store keeps it (what :meth:`write` takes)."""
        if value is None or not self.sqlite:
            return value
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ",
                                                                      timespec="microseconds")

    def open_rows(self, page: int = 20_000) -> Iterator[list[OpenRow]]:
        mark = 0
        time = self._time
        while True:
            cursor = self.raw.cursor()
            try:
                cursor.execute(_READ.format(mark=int(mark), limit=int(page)))
                rows = cursor.fetchall()
            finally:
                cursor.close()
            if not rows:
                return
            yield [OpenRow(
                id=r[0], status=r[1], priority=r[2], created_at=time(r[3]),  # type: ignore[arg-type]
                first_response_at=time(r[4]), next_response_started_at=time(r[5]),
                paused_minutes=r[6] or 0, next_paused_minutes=r[7] or 0, paused_at=time(r[8]),
                tier=r[9], organization_id=r[10], policy_id=r[11],
                stored=(r[11], r[12], r[13], r[14], r[15], r[8])) for r in rows]
            mark = rows[-1][0]

    def write(self, values: Sequence[tuple[Any, ...]]) -> None:
        """``(policy, first, next, resolution, earliest, paused_at, id)`` per ticket, the
        timestamps from :meth:`stored_time`."""
        if not values:
            return
        cursor = self.raw.cursor()
        try:
            cursor.executemany(self._write, values)
        finally:
            cursor.close()
