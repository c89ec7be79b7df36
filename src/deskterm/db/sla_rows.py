"""The open tickets' SLA columns recomputed in bulk, set-based (``deskterm sla load``
recomputes every open ticket's due times after a calendar or policy change: a million on a big
desk).

No ticket row comes into Python: per range of ids one ``INSERT ... SELECT`` stages each open
ticket's new values, computed by the database, and one ``UPDATE ... FROM`` writes those that
changed; many open tickets drop the due-time indexes first and build them again after (one sort
instead of a B-tree update per row); all inside the caller's transaction. The business-time
arithmetic is the policy calendar's own: on SQLite registered as a SQL function
(:func:`recompute_in_sql`), on PostgreSQL looked up in its interval table, copied into a
temporary table (:func:`recompute_in_postgres`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Index, text
from sqlalchemy.schema import DropIndex
from sqlmodel import Session

from deskterm.db.models import Ticket, create_index_sql

OPEN_STATUSES = ("new", "open", "pending", "on_hold")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)

DUE_INDEXES = ("ix_tickets_sla_due", "ix_tickets_sla_policy_due")
"""The indexes on the due times (the second partial: see :data:`~.models.PARTIAL_INDEXES`)."""
REBUILD_OVER = 50_000
"""Open tickets past which the due-time index is dropped and built again around the writes."""


class SlaColumns:
    """What both recomputes share: the open tickets counted, the range of ids, the due-time
    indexes dropped and built again, timestamps to and from microseconds since the epoch."""

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.session = session
        self.sqlite = connection.dialect.name == "sqlite"
        self.raw: Any = connection.connection.dbapi_connection
        self._dropped = False

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

    def drop_due_index(self) -> None:
        """Before writing many rows: the due-time indexes go (built again by :meth:`finish`)."""
        for index in _due_indexes():
            self.session.connection().execute(DropIndex(index))
        self._dropped = True

    def finish(self) -> None:
        """The due-time indexes built again if :meth:`drop_due_index` dropped them."""
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
    intervals: Callable[[int, int, int], Sequence[tuple[int, int, int]]] | None = None
    """``intervals(first_us, last_us, minutes)``: its calendar's business intervals ``(start,
    end, business time before)`` covering every addition of up to ``minutes`` to an instant
    between the two (None: around the clock); the PostgreSQL recompute looks them up."""


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


def _matches(policy: PolicyTargets, *, true: str = "1", equals: str = "IS") -> str:
    """The SQL condition of ``policy`` matching a ticket ``t`` of requester ``c`` (a requester
    without a tier matches no tier). SQLite's defaults; PostgreSQL's ``true`` and ``=``."""
    terms = [true]
    if policy.priority is not None:
        terms.append(f"t.priority = {int(policy.priority)}")
    if policy.customer_tier is not None:
        terms.append(f"c.tier {equals} :tier{int(policy.id)}")
    if policy.organization_id is not None:
        terms.append(f"c.organization_id {equals} {int(policy.organization_id)}")
    return "(" + " AND ".join(terms) + ")"


def _due_columns(policies: Sequence[PolicyTargets], *, row: str, created: str, started: str,
                 add: Callable[[PolicyTargets, str, int, str], str],
                 wrap: Callable[[str | None], str]) -> str:
    """The staged first-response, next-response and resolution due times (SQL, comma
    separated) of the rows ``row`` (with ``policy``, ``first_response_at`` and the columns
    ``created`` and ``started``, the next response's start): which target runs when is the
    same on both stores; ``add(policy, start, minutes, paused column)`` is each store's
    business-time addition, ``wrap`` turns the ``CASE`` over the policies (None: no policy has
    the target) into the column's value."""

    def per_policy(target: Callable[[PolicyTargets], str | None]) -> str:
        cases = " ".join(f"WHEN {int(p.id)} THEN {sql}" for p in policies
                         if (sql := target(p)))
        return wrap(f"CASE {row}.policy {cases} END" if cases else None)

    def first(p: PolicyTargets) -> str | None:
        if p.first_response is None:
            return None
        return (f"CASE WHEN {row}.first_response_at IS NULL THEN "
                f"{add(p, created, p.first_response, 'sla_paused_minutes')} END")

    def following(p: PolicyTargets) -> str | None:
        if p.next_response is None:
            return None
        due = add(p, started, p.next_response, "next_response_paused_minutes")
        return (f"CASE WHEN {row}.first_response_at IS NOT NULL AND {row}.{started} "
                f"IS NOT NULL THEN {due} END")

    def resolution(p: PolicyTargets) -> str | None:
        if p.resolution is None:
            return None
        return add(p, created, p.resolution, "sla_paused_minutes")

    return ", ".join(per_policy(target) for target in (first, following, resolution))


def _select_all(policies: Sequence[PolicyTargets]) -> str:
    """One statement staging the new values of the open tickets of a range of ids: the first
    policy that matches (``CASE``, in order), then its due times (the calendar arithmetic as
    :data:`_ADD`); a ticket no policy matches only if it still holds SLA values (to clear them).
    The ticket rows are read once, by the id range (``+t.status``: not through a status index,
    which would visit every open ticket of the desk for each range)."""

    def add(policy: PolicyTargets, start: str, minutes: int, paused: str) -> str:
        return f"{_ADD}({int(policy.id)}, s.{start}, {int(minutes)} + coalesce(s.{paused}, 0))"

    dues = _due_columns(policies, row="s", created="created_at",
                        started="next_response_started_at", add=add,
                        wrap=lambda case: case or "NULL")
    which = ("CASE " + " ".join(f"WHEN {_matches(p)} THEN {int(p.id)}" for p in policies)
             + " END") if policies else "NULL"
    return (
        f"INSERT INTO sla_recomputed SELECT s.id, s.policy, {dues}, CASE WHEN s.policy IS NOT NULL "
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


# --- PostgreSQL ---------------------------------------------------------------------------------

_PG_INTERVALS = ("CREATE TEMPORARY TABLE sla_intervals (policy INTEGER, start_us BIGINT, "
                 "end_us BIGINT, before_us BIGINT, through_us BIGINT, "
                 "PRIMARY KEY (policy, start_us))")
_PG_INTERVALS_THROUGH = "CREATE INDEX ON sla_intervals (policy, through_us)"
_PG_STAGE = ("CREATE TEMPORARY TABLE sla_recomputed (id INTEGER PRIMARY KEY, policy INTEGER, "
             "first_due TIMESTAMPTZ, next_due TIMESTAMPTZ, resolution_due TIMESTAMPTZ, "
             "paused TIMESTAMPTZ)")
_PG_EARLIEST = ("CASE WHEN n.policy IS NULL OR tickets.status IN " + _WAITING + " THEN NULL "
                "ELSE least(n.first_due, n.next_due, n.resolution_due) END")
_PG_APPLY = (
    "UPDATE tickets SET sla_policy_id = n.policy, first_response_due_at = n.first_due, "
    "next_response_due_at = n.next_due, resolution_due_at = n.resolution_due, "
    f"sla_due_at = {_PG_EARLIEST}, sla_paused_at = n.paused FROM sla_recomputed AS n "
    "WHERE tickets.id = n.id "
    "AND (tickets.sla_policy_id IS DISTINCT FROM n.policy "
    "OR tickets.first_response_due_at IS DISTINCT FROM n.first_due "
    "OR tickets.next_response_due_at IS DISTINCT FROM n.next_due "
    "OR tickets.resolution_due_at IS DISTINCT FROM n.resolution_due "
    f"OR tickets.sla_due_at IS DISTINCT FROM {_PG_EARLIEST} "
    "OR tickets.sla_paused_at IS DISTINCT FROM n.paused)")
_PG_SPAN = (
    "SELECT (extract(epoch FROM min(created_at)) * 1000000)::bigint, "
    "(extract(epoch FROM max(greatest(created_at, next_response_started_at))) * 1000000)::bigint, "
    "max(greatest(sla_paused_minutes, next_response_paused_minutes)) "
    "FROM tickets WHERE status IN ('new', 'open', 'pending', 'on_hold')")
_MINUTE = "60000000::bigint"


def _pg_us(column: str) -> str:
    return f"(extract(epoch FROM {column}) * 1000000)::bigint"


def _pg_select_all(policies: Sequence[PolicyTargets], calendared: set[int]) -> str:
    """:func:`_select_all` for PostgreSQL: the business-time addition looked up in the
    ``sla_intervals`` table (the policies' calendars' interval tables): the business time
    elapsed at the start (the interval it is in or after), then the first interval whose
    business time through its end reaches that plus the target, as
    :meth:`~deskterm.desk.sla.calendar.BusinessCalendar.add_business_us` bisects its own."""

    def elapsed(start: str) -> str:
        cases = " ".join(
            f"WHEN {int(p.id)} THEN coalesce((SELECT i.before_us + least(s.{start}, i.end_us) "
            f"- i.start_us FROM sla_intervals i WHERE i.policy = {int(p.id)} AND i.start_us <= "
            f"s.{start} ORDER BY i.start_us DESC LIMIT 1), 0)"
            for p in policies if p.id in calendared)
        return f"CASE s.policy {cases} END" if cases else "NULL"

    def add(p: PolicyTargets, start: str, minutes: int, paused: str) -> str:
        span = f"({int(minutes)} + coalesce(e.{paused}, 0)) * {_MINUTE}"
        if p.id not in calendared:
            return f"e.{start} + {span}"
        target = f"e.{start}_e + {span}"
        return (f"CASE WHEN {span} = 0 THEN e.{start} ELSE (SELECT i.start_us + {target} - "
                f"i.before_us FROM sla_intervals i WHERE i.policy = {int(p.id)} AND "
                f"i.through_us >= {target} ORDER BY i.through_us LIMIT 1) END")

    def microseconds(case: str | None) -> str:
        if case is None:
            return "NULL::timestamptz"
        return f"timestamptz 'epoch' + ({case}) * interval '1 microsecond'"

    dues = _due_columns(policies, row="e", created="created_us", started="next_us", add=add,
                        wrap=microseconds)
    which = ("CASE " + " ".join(f"WHEN {_matches(p, true='true', equals='=')} THEN {int(p.id)}"
                                for p in policies)
             + " END") if policies else "NULL::integer"
    # (OFFSET 0 keeps each layer's values computed once a ticket, not pulled up into every
    # expression that uses them)
    return (
        f"INSERT INTO sla_recomputed SELECT e.id, e.policy, {dues}, CASE WHEN e.policy IS NOT NULL "
        f"AND e.status IN {_WAITING} THEN coalesce(e.sla_paused_at, :now) END FROM ("
        f"SELECT s.*, {elapsed('created_us')} AS created_us_e, "
        f"CASE WHEN s.next_us IS NOT NULL THEN {elapsed('next_us')} END AS next_us_e FROM ("
        f"SELECT t.id, t.status, {_pg_us('t.created_at')} AS created_us, t.first_response_at, "
        f"{_pg_us('t.next_response_started_at')} AS next_us, t.sla_paused_minutes, "
        f"t.next_response_paused_minutes, t.sla_paused_at, {which} AS policy, "
        "t.sla_policy_id IS NOT NULL OR t.first_response_due_at IS NOT NULL "
        "OR t.next_response_due_at IS NOT NULL OR t.resolution_due_at IS NOT NULL "
        "OR t.sla_due_at IS NOT NULL OR t.sla_paused_at IS NOT NULL AS holds "
        "FROM tickets t JOIN customers c ON c.id = t.requester_id "
        "WHERE t.id >= :low AND t.id < :high "
        "AND t.status IN ('new', 'open', 'pending', 'on_hold') OFFSET 0) AS s "
        "WHERE s.policy IS NOT NULL OR s.holds OFFSET 0) AS e")


def recompute_in_postgres(session: Session, policies: Sequence[PolicyTargets], *,
                          now: datetime, chunk: int = 100_000,
                          progress: Callable[[int, int], None] | None = None) -> SetRecomputed:
    """PostgreSQL: :func:`recompute_in_sql`'s work, set-based, in the caller's transaction.

    The policies' calendars' interval tables (as far as the open tickets' instants and the
    longest target with its pauses reach) go into a temporary table; per range of ``chunk``
    ids one ``INSERT ... SELECT`` (:func:`_pg_select_all`) stages the new values, the
    business-time additions two index look-ups in it each, then one ``UPDATE ... FROM``
    writes the tickets whose values changed. No ticket row comes into Python."""
    columns = SlaColumns(session)
    assert not columns.sqlite, "recompute_in_postgres is PostgreSQL's"
    connection = session.connection()
    done = SetRecomputed(open_tickets=columns.open_count())
    if done.open_tickets > REBUILD_OVER:
        columns.drop_due_index()
    calendared: set[int] = set()
    connection.exec_driver_sql(_PG_INTERVALS)
    first_us, last_us, paused = connection.exec_driver_sql(_PG_SPAN).one()
    if first_us is not None:
        for policy in policies:
            if policy.intervals is None:
                continue
            longest = max(m for m in (policy.first_response, policy.next_response,
                                      policy.resolution, 0) if m is not None)
            rows = [{"policy": policy.id, "start_us": start, "end_us": end, "before_us": before,
                     "through_us": before + end - start}
                    for start, end, before in policy.intervals(
                        int(first_us), int(last_us), longest + int(paused or 0))]
            if rows:
                connection.execute(text(
                    "INSERT INTO sla_intervals VALUES (:policy, :start_us, :end_us, "
                    ":before_us, :through_us)"), rows)
            calendared.add(policy.id)
    connection.exec_driver_sql(_PG_INTERVALS_THROUGH)
    connection.exec_driver_sql("ANALYZE sla_intervals")
    connection.exec_driver_sql(_PG_STAGE)
    staging = text(_pg_select_all(policies, calendared))
    params: dict[str, Any] = {f"tier{p.id}": p.customer_tier for p in policies
                              if p.customer_tier is not None}
    low, high = columns.id_range() or (1, 0)
    start = low
    while start <= high:
        params.update(low=start, high=start + chunk, now=now)
        connection.execute(staging, params)
        done.with_policy += int(connection.exec_driver_sql(
            "SELECT count(*) FROM sla_recomputed WHERE policy IS NOT NULL").scalar_one())
        done.changed += max(connection.exec_driver_sql(_PG_APPLY).rowcount, 0)
        connection.exec_driver_sql("TRUNCATE sla_recomputed")
        start += chunk
        if progress is not None:
            progress(min(start, high + 1) - low, high + 1 - low)
    connection.exec_driver_sql("DROP TABLE sla_recomputed")
    connection.exec_driver_sql("DROP TABLE sla_intervals")
    columns.finish()
    return done
