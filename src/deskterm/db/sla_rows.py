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

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Index
from sqlalchemy.schema import DropIndex
from sqlmodel import Session

from deskterm.db.models import Ticket, create_index_sql

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

DUE_INDEXES = ("ix_tickets_sla_due", "ix_tickets_sla_policy_due")
"""The indexes on the due times (the second partial: see :data:`~.models.PARTIAL_INDEXES`)."""
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
        self.progress = (0, 0)
        """How far :meth:`open_rows` is: (ids done, ids in all)."""

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

    def id_range(self) -> tuple[int, int] | None:
        """The lowest and highest ticket id (None: no tickets)."""
        bounds = self._cursor_rows("SELECT min(id), max(id) FROM tickets", ())
        low, high = bounds[0]
        return None if low is None else (int(low), int(high))

    def open_rows(self, page: int = 50_000) -> Iterator[list[tuple[Any, ...]]]:
        ids = self.id_range()
        if ids is None:
            return
        low, high = ids
        us = self.us
        first = low
        while low <= high:
            rows = self._cursor_rows(self._read, (low, low + page))
            low += page
            self.progress = (min(low, high + 1) - first, high + 1 - first)
            if rows:
                yield [(r[0], r[1], r[2], us(r[3]), r[4] is not None, us(r[5]), r[6] or 0,
                        r[7] or 0, us(r[8]), r[9], r[10], (r[11], r[12], r[13], r[14], r[15],
                                                          r[8]))
                       for r in rows]

    def drop_due_index(self) -> None:
        """Before writing many rows: the due-time indexes go (built again by :meth:`finish`)."""
        for index in _due_indexes():
            self.session.connection().execute(DropIndex(index))
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
            connection = self.session.connection()
            for index in _due_indexes():
                connection.exec_driver_sql(create_index_sql(index, connection.dialect))
            self._dropped = False


def _due_indexes() -> list[Index]:
    found: list[Index] = [index for index in Ticket.__table__.indexes  # type: ignore[attr-defined]
                          if index.name in DUE_INDEXES]
    if len(found) != len(DUE_INDEXES):
        raise LookupError(DUE_INDEXES)
    return found


@dataclass(frozen=True)
class PolicyTargets:
    """One SLA policy as the set-based recompute needs it: what it matches (None: any) and
    its targets in business minutes (None: no such target); ``add_us(start_us, minutes)`` is
    its calendar's business-time addition on microseconds since the epoch."""

    id: int
    priority: int | None
    customer_tier: str | None
    organization_id: int | None
    first_response: int | None
    next_response: int | None
    resolution: int | None
    add_us: Callable[[int, int], int]


_WAITING = "('pending', 'on_hold')"
_EARLIEST = ("CASE WHEN n.policy IS NULL OR tickets.status IN " + _WAITING + " THEN NULL ELSE "
             "nullif(min(coalesce(n.first_due, '~'), coalesce(n.next_due, '~'), "
             "coalesce(n.resolution_due, '~')), '~') END")
"""The earliest running due time (the stored instants are ISO text: they sort as text; ``~``
sorts after every digit)."""
_SET_STAGE = ("CREATE TEMPORARY TABLE sla_recomputed (id INTEGER PRIMARY KEY, policy INTEGER, "
              "first_due TEXT, next_due TEXT, resolution_due TEXT, paused TEXT)")
_SET_APPLY = (
    "UPDATE tickets SET sla_policy_id = n.policy, first_response_due_at = n.first_due, "
    "next_response_due_at = n.next_due, resolution_due_at = n.resolution_due, "
    f"sla_due_at = {_EARLIEST}, sla_paused_at = n.paused FROM sla_recomputed AS n "
    "WHERE tickets.id = n.id AND tickets.id >= :low AND tickets.id < :high "
    "AND (tickets.sla_policy_id IS NOT n.policy "
    "OR tickets.first_response_due_at IS NOT n.first_due "
    "OR tickets.next_response_due_at IS NOT n.next_due "
    "OR tickets.resolution_due_at IS NOT n.resolution_due "
    f"OR tickets.sla_due_at IS NOT {_EARLIEST} OR tickets.sla_paused_at IS NOT n.paused)")
_ADD = "deskterm_sla_add"


def _matches(policy: PolicyTargets) -> str:
    """The SQL condition of ``policy`` matching a ticket ``t`` of requester ``c`` (null-safe:
    a requester without a tier matches no tier)."""
    terms = ["1"]
    if policy.priority is not None:
        terms.append(f"t.priority = {int(policy.priority)}")
    if policy.customer_tier is not None:
        terms.append(f"c.tier IS :tier{policy.id}")
    if policy.organization_id is not None:
        terms.append(f"c.organization_id IS {int(policy.organization_id)}")
    return "(" + " AND ".join(terms) + ")"


def _select_all(policies: Sequence[PolicyTargets]) -> str:
    """One statement staging the new values of the open tickets of a range of ids: the first
    policy that matches (``CASE``, in order), then its due times (the calendar arithmetic as
    :data:`_ADD`); a ticket no policy matches only if it still holds SLA values (to clear them).
    The ticket rows are read once, by the id range (``+t.status``: not through a status index,
    which would visit every open ticket of the desk for each range)."""

    def add(policy: PolicyTargets, start: str, minutes: int, paused: str) -> str:
        return f"{_ADD}({int(policy.id)}, {start}, {int(minutes)} + coalesce({paused}, 0))"

    def per_policy(target: Callable[[PolicyTargets], str | None]) -> str:
        branches = [(p.id, target(p)) for p in policies]
        cases = " ".join(f"WHEN {int(pid)} THEN {sql}" for pid, sql in branches if sql)
        return f"CASE s.policy {cases} END" if cases else "NULL"

    def first(p: PolicyTargets) -> str | None:
        if p.first_response is None:
            return None
        return (f"CASE WHEN s.first_response_at IS NULL THEN "
                f"{add(p, 's.created_at', p.first_response, 's.sla_paused_minutes')} END")

    def following(p: PolicyTargets) -> str | None:
        if p.next_response is None:
            return None
        due = add(p, "s.next_response_started_at", p.next_response,
                  "s.next_response_paused_minutes")
        return (f"CASE WHEN s.first_response_at IS NOT NULL AND s.next_response_started_at "
                f"IS NOT NULL THEN {due} END")

    def resolution(p: PolicyTargets) -> str | None:
        if p.resolution is None:
            return None
        return add(p, "s.created_at", p.resolution, "s.sla_paused_minutes")

    which = ("CASE " + " ".join(f"WHEN {_matches(p)} THEN {int(p.id)}" for p in policies)
             + " END") if policies else "NULL"
    return (
        f"INSERT INTO sla_recomputed SELECT s.id, s.policy, {per_policy(first)}, "
        f"{per_policy(following)}, {per_policy(resolution)}, CASE WHEN s.policy IS NOT NULL "
        f"AND s.status IN {_WAITING} THEN coalesce(s.sla_paused_at, :now) END FROM ("
        f"SELECT t.id, t.status, t.created_at, t.first_response_at, "
        f"t.next_response_started_at, t.sla_paused_minutes, t.next_response_paused_minutes, "
        f"t.sla_paused_at, {which} AS policy, t.sla_policy_id IS NOT NULL "
        "OR t.first_response_due_at IS NOT NULL OR t.next_response_due_at IS NOT NULL "
        "OR t.resolution_due_at IS NOT NULL OR t.sla_due_at IS NOT NULL "
        "OR t.sla_paused_at IS NOT NULL AS holds "
        "FROM tickets t JOIN customers c ON c.id = t.requester_id "
        "WHERE t.id >= :low AND t.id < :high "
        "AND +t.status IN ('new', 'open', 'pending', 'on_hold')) AS s "
        "WHERE s.policy IS NOT NULL OR s.holds")


@dataclass
class SetRecomputed:
    open_tickets: int = 0
    changed: int = 0
    with_policy: int = 0


def recompute_in_sql(session: Session, policies: Sequence[PolicyTargets], *, now: datetime,
                     chunk: int = 100_000,
                     progress: Callable[[int, int], None] | None = None) -> SetRecomputed:
    """SQLite: every open ticket's SLA policy and due times, set-based, in the caller's
    transaction.

    Per range of ``chunk`` ids, one ``INSERT ... SELECT`` (:func:`_select_all`) stages the new
    values, computed inside SQLite: the business-time addition is the policy calendar's own,
    registered as a SQL function, so no ticket row is read into Python; then one ``UPDATE ...
    FROM`` writes the tickets of the range whose values changed. The due-time indexes are
    dropped first and built again after when many tickets are open. ``progress(done, total)``
    after each range (ids).
    """
    columns = SlaColumns(session)
    assert columns.sqlite, "recompute_in_sql is SQLite's"
    raw = columns.raw
    by_id = {p.id: p for p in policies}
    failure: list[BaseException] = []
    to_text, from_text = columns.stored, columns.us

    def add(policy_id: int, start: str | None, minutes: int) -> str | None:
        if start is None or failure:
            return None
        try:
            start_us = from_text(start)
            assert start_us is not None
            return to_text(by_id[policy_id].add_us(start_us, minutes))  # type: ignore[no-any-return]
        except Exception as exc:  # re-raised below, after the statement: SQLite would hide it
            failure.append(exc)
            return None

    raw.create_function(_ADD, 3, add, deterministic=True)
    done = SetRecomputed(open_tickets=columns.open_count())
    if done.open_tickets > REBUILD_OVER:
        columns.drop_due_index()
    low, high = columns.id_range() or (1, 0)
    now_text = to_text(int((now - _EPOCH) // _US))
    params: dict[str, Any] = {f"tier{p.id}": p.customer_tier for p in policies
                              if p.customer_tier is not None}
    staging = _select_all(policies)
    cursor = raw.cursor()
    try:
        cursor.execute(_SET_STAGE)
        start = low
        while start <= high:
            params.update(low=start, high=start + chunk, now=now_text)
            cursor.execute(staging, params)
            if failure:
                raise failure[0]
            cursor.execute("SELECT count(*) FROM sla_recomputed WHERE policy IS NOT NULL")
            done.with_policy += int(cursor.fetchone()[0])
            cursor.execute(_SET_APPLY, params)
            done.changed += max(cursor.rowcount, 0)
            cursor.execute("DELETE FROM sla_recomputed")
            start += chunk
            if progress is not None:
                progress(min(start, high + 1) - low, high + 1 - low)
        cursor.execute("DROP TABLE sla_recomputed")
    finally:
        cursor.close()
        raw.create_function(_ADD, 3, None)
    columns.finish()
    return done
