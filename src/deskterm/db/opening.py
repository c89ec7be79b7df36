"""The console's first window in plain SQL: the standard library's ``sqlite3`` (or psycopg), no
SQLAlchemy, no models.

The console opens on one view (its first built-in one, ``deskterm.desk.opening``). Read through
the store, that costs loading SQLAlchemy, SQLModel and the models first: about 0.6 s on the
2-core machine, against some 40 ms for the queries themselves on a 1,000,000-ticket desk. This
module runs the very statements the store's path runs for that view (the schema's revision, the
agent, the count, the ids of the first window, their rows and their tags) on a connection of its
own, so the rows can be on screen while the store is still loading.

It answers only what it surely answers the same way. Anything else raises :class:`NotCovered`
and the caller takes the store's path, which also words every refusal: a URL this module does
not read exactly as SQLAlchemy does (a query string, percent-escapes, another driver), a file
that is missing or not a regular file, a schema other than :data:`SCHEMA_HEAD` (behind, newer,
none), an agent that is unknown, deactivated or not allowed ``--as``, and any error of the
database (locked past the busy timeout, unreachable server, a read past its time).

Nothing heavy is imported here (a test checks): ``sqlite3`` is part of the interpreter, psycopg
is loaded only for a PostgreSQL URL (about 0.15 s, a quarter of the store).
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from deskterm import db_password
from deskterm.db import desk_files
from deskterm.redact import mask_url

SCHEMA_HEAD = "0025"
"""The newest revision in migrations/versions (``deskterm.db.migrate.HEAD``; a test keeps it
equal to Alembic's head, so a new migration cannot leave it behind)."""

BUSY_TIMEOUT_MS = 5_000
"""As the store's SQLite connections (``deskterm.db.engine``)."""
READ_TIMEOUT_SECONDS = 10.0
"""As the store's reads: past it the statement is stopped (and the store's path says why)."""
PROGRESS_STEPS = 10_000
CONNECT_TIMEOUT_SECONDS = 5
"""A PostgreSQL server that does not answer: given up after this, and the store's path tries
(and words the refusal) as it always has."""
CLIENT_CHECK_MS = 2_000

_SQLITE = "sqlite:///"
_POSTGRES = re.compile(r"postgresql(?:\+psycopg)?://")
_POSTGRES_REST = re.compile(
    r"(?:[A-Za-z0-9._~\-]+(?::[^@/?#\[\]]*)?@)?"   # user[:password]@ (no second '@')
    r"[A-Za-z0-9.\-]*(?::\d+)?"                     # host[:port] (empty: the local socket)
    r"/[A-Za-z0-9._\-]+"                            # /database
)
"""The PostgreSQL URLs read here: the common form only, so that libpq reads it exactly as
SQLAlchemy's parser does (a query string, IPv6 brackets or several hosts: the store's path)."""


class NotCovered(Exception):
    """This path cannot answer for this desk; the store's path must (its message says why, for
    tests and debugging: it is never shown to a user)."""


@dataclass(frozen=True)
class TicketRow:
    """One row of the window, with the same values the store's ``TicketSummary`` is made of."""

    number: int
    subject: str
    status: str
    priority: int
    type: str
    channel: str
    tier: int
    requester_name: str
    requester_email: str | None
    organization: str | None
    assignee: str | None
    group: str | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    reopens: int
    version: int
    customer_replied_at: datetime | None
    unseen_reply: bool
    sla_policy_id: int | None = None
    sla_due_at: datetime | None = None
    first_response_due_at: datetime | None = None
    next_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    sla_paused_at: datetime | None = None


@dataclass(frozen=True)
class FirstWindow:
    me: str
    """The acting agent's username."""
    total: int
    rows: tuple[TicketRow, ...]
    tags: dict[int, tuple[str, ...]]
    """Each row's tags by ticket number, sorted by name as the store sorts them."""


def display_url(url: str) -> str:
    """The URL as the console and the messages show it: the password hidden, ``postgresql``
    whatever the driver named (the store's ``display_url`` is this)."""
    shown = mask_url(url)
    if shown.startswith("postgresql+psycopg"):
        return "postgresql" + shown[len("postgresql+psycopg"):]
    return shown


# --- the statements (as the store's query builder writes them) -----------------------------

_MINE = "tickets.assignee_id IS NOT NULL AND tickets.assignee_id IN ({me}) " \
        "AND tickets.status IN ({statuses})"
_ROW_COLUMNS = (
    "tickets.id, tickets.subject, tickets.status, tickets.priority, tickets.type, "
    "tickets.channel, tickets.tier, customers.name, customers.email, organizations.name, "
    "agents_1.username, agent_groups.name, tickets.created_at, tickets.updated_at, "
    "tickets.first_response_at, tickets.solved_at, tickets.reopens, tickets.version, "
    "tickets.customer_replied_at, tickets.sla_policy_id, tickets.sla_due_at, "
    "tickets.first_response_due_at, tickets.next_response_due_at, tickets.resolution_due_at, "
    "tickets.sla_paused_at"
)
_ROWS = (
    f"SELECT {_ROW_COLUMNS}, CASE WHEN (tickets.assignee_id IS NOT NULL "
    "AND tickets.customer_replied_at IS NOT NULL AND (ticket_seen.seen_at IS NULL "
    "OR ticket_seen.seen_at < tickets.customer_replied_at)) THEN {true} ELSE {false} END "
    "FROM tickets JOIN customers ON customers.id = tickets.requester_id "
    "LEFT OUTER JOIN organizations ON organizations.id = customers.organization_id "
    "LEFT OUTER JOIN agents AS agents_1 ON agents_1.id = tickets.assignee_id "
    "LEFT OUTER JOIN agent_groups ON agent_groups.id = tickets.group_id "
    "LEFT OUTER JOIN ticket_seen ON ticket_seen.ticket_id = tickets.id "
    "AND ticket_seen.agent_id = tickets.assignee_id "
    "WHERE tickets.id IN ({numbers})"
)
_TAGS = ("SELECT ticket_tags.ticket_id, tags.name FROM ticket_tags "
         "JOIN tags ON tags.id = ticket_tags.tag_id "
         "WHERE ticket_tags.ticket_id IN ({numbers}) ORDER BY tags.name")


class Reader:
    """One read transaction on either store, ``?`` in every statement for a parameter."""

    def __init__(self, run: Callable[[str, Sequence[Any]], list[tuple[Any, ...]]], *,
                 sqlite: bool) -> None:
        self._run = run
        self.sqlite = sqlite

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._run(sql, params)

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        found = self._run(sql, params)
        return found[0] if found else None


def _marks(count: int) -> str:
    return ", ".join("?" * count)


def required_timestamp(value: Any) -> datetime:
    """A timestamp no row leaves empty (created, updated), as :func:`read_timestamp` reads it."""
    found = read_timestamp(value)
    if found is None:
        raise NotCovered("a row without its creation or update time")
    return found


def read_timestamp(value: Any) -> datetime | None:
    """A stored timestamp as the store reads it back: aware, in UTC."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite keeps the UTC time as text
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise NotCovered(f"a timestamp this path does not read: {value[:40]!r}") from None
    if not isinstance(value, datetime):
        raise NotCovered(f"a timestamp of type {type(value).__name__}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(values: tuple[Any, ...]) -> TicketRow:
    (number, subject, status, priority, kind, channel, tier, requester_name, requester_email,
     organization, assignee, group, created_at, updated_at, first_response_at, solved_at,
     reopens, version, customer_replied_at, sla_policy_id, sla_due_at, first_response_due_at,
     next_response_due_at, resolution_due_at, sla_paused_at, unseen) = values
    return TicketRow(
        number=number, subject=subject, status=status, priority=priority, type=kind,
        channel=channel, tier=tier, requester_name=requester_name,
        requester_email=requester_email, organization=organization, assignee=assignee,
        group=group, created_at=required_timestamp(created_at),
        updated_at=required_timestamp(updated_at),
        first_response_at=read_timestamp(first_response_at),
        solved_at=read_timestamp(solved_at), reopens=reopens, version=version,
        customer_replied_at=read_timestamp(customer_replied_at),
        unseen_reply=bool(unseen), sla_policy_id=sla_policy_id,
        sla_due_at=read_timestamp(sla_due_at),
        first_response_due_at=read_timestamp(first_response_due_at),
        next_response_due_at=read_timestamp(next_response_due_at),
        resolution_due_at=read_timestamp(resolution_due_at),
        sla_paused_at=read_timestamp(sla_paused_at),
    )


def _agent(reader: Reader, username: str) -> tuple[int, str, str] | None:
    """(id, username, role) of the active agent ``username``; None when there is none."""
    found = reader.one("SELECT agents.id, agents.username, agents.role, agents.active "
                       "FROM agents WHERE agents.username = ?", (username,))
    if found is None or not found[3]:
        return None
    return found[0], found[1], found[2]


def _storable(text: str) -> bool:
    return "\x00" not in text and not any("\ud800" <= ch <= "\udfff" for ch in text)


def acting_agent(reader: Reader, *, username: str, act_as: str | None) -> tuple[int, str]:
    """(id, username) of the agent acting, the schema's revision and the agent checked as the
    store's path checks them (``migrate.require_current_schema``, ``auth.resolve_actor``);
    :class:`NotCovered` wherever that path would refuse."""
    revision = reader.one("SELECT alembic_version.version_num FROM alembic_version")
    if revision is None or revision[0] != SCHEMA_HEAD:
        raise NotCovered(f"schema {revision and revision[0]!r}, not {SCHEMA_HEAD}")
    if not reader.sqlite:  # per-agent roles (deskterm.db.pg_roles): the role decides
        mapped = reader.one("SELECT deskterm_session_username()", ())
        username = mapped[0] if mapped is not None and mapped[0] is not None else username
    if not all(_storable(name) for name in (username, act_as or "")):
        raise NotCovered("a user name the store refuses")
    agent = _agent(reader, username)
    if agent is None:
        raise NotCovered(f"no active agent {username!r}")
    if act_as is not None and act_as != username:
        if agent[2] != "admin":
            raise NotCovered("--as by an agent who is not an admin")
        agent = _agent(reader, act_as)
        if agent is None:
            raise NotCovered(f"no active agent {act_as!r}")
    return agent[0], agent[1]


def hidden_group_ids(reader: Reader, agent_id: int) -> tuple[int, ...]:
    """The restricted groups agent ``agent_id`` is not a member of (none for an admin), as
    ``deskterm.db.access.hidden_group_ids`` reads them for the store's path."""
    return tuple(found[0] for found in reader.rows(
        "SELECT agent_groups.id FROM agent_groups WHERE agent_groups.restricted = ? "
        "AND NOT EXISTS (SELECT 1 FROM agent_group_members WHERE "
        "agent_group_members.group_id = agent_groups.id AND agent_group_members.agent_id = ?) "
        "AND NOT EXISTS (SELECT 1 FROM agents WHERE agents.id = ? AND agents.role = 'admin') "
        "ORDER BY agent_groups.id", (True, agent_id, agent_id)))


def ticket_rows(reader: Reader, numbers: Sequence[int]
                ) -> tuple[dict[int, TicketRow], dict[int, tuple[str, ...]]]:
    """The rows of tickets ``numbers`` by number (missing ones left out) and their tags, sorted
    by name, as the store's ``ticket_reads.rows_of`` reads them."""
    if not numbers:
        return {}, {}
    truth = ("1", "0") if reader.sqlite else ("true", "false")
    found = reader.rows(_ROWS.format(true=truth[0], false=truth[1],
                                     numbers=_marks(len(numbers))), numbers)
    tags: dict[int, list[str]] = {}
    for number, name in reader.rows(_TAGS.format(numbers=_marks(len(numbers))), numbers):
        tags.setdefault(number, []).append(name)
    return ({values[0]: _row(values) for values in found},
            {number: tuple(names) for number, names in tags.items()})


def read_first_window(reader: Reader, *, username: str, act_as: str | None,
                      statuses: Sequence[str], count: int) -> FirstWindow:
    """The agent's tickets in ``statuses``, newest change first: the count and the first
    ``count`` rows, as ``queue.opening_window`` reads them through the store."""
    me_id, me = acting_agent(reader, username=username, act_as=act_as)
    mine = _MINE.format(me="?", statuses=_marks(len(statuses)))
    params: tuple[Any, ...] = (me_id, *statuses)
    hidden = hidden_group_ids(reader, me_id)
    if hidden:  # group access (deskterm.desk.people.access): as the store's condition
        mine += (" AND (tickets.group_id IS NULL OR (tickets.group_id NOT IN "
                 f"({_marks(len(hidden))})))")
        params = (*params, *hidden)
    counted = reader.one(f"SELECT count(*) FROM tickets WHERE {mine}", params)
    assert counted is not None  # count(*) is one row
    total = counted[0]
    limit = max(1, min(count, 1_000))
    numbers = [found[0] for found in reader.rows(
        f"SELECT tickets.id FROM tickets WHERE {mine} "
        "ORDER BY tickets.updated_at DESC, tickets.id DESC LIMIT ? OFFSET ?",
        (*params, limit, 0))]
    by_number, tags = ticket_rows(reader, numbers)
    return FirstWindow(me, total, tuple(by_number[n] for n in numbers if n in by_number), tags)


# --- the connections ---------------------------------------------------------------------


@contextmanager
def reading(url: str) -> Iterator[Reader]:
    """One read transaction on the desk at ``url``, rolled back at the end."""
    if url.startswith(_SQLITE):
        with _sqlite(url) as reader:
            yield reader
    elif (scheme := _POSTGRES.match(url)) and _POSTGRES_REST.fullmatch(url[scheme.end():]):
        with _postgres("postgresql://" + url[scheme.end():]) as reader:
            yield reader
    else:
        raise NotCovered("a URL the store's parser reads")


def _sqlite_path(url: str) -> Path:
    database = url[len(_SQLITE):]
    if not database or database == ":memory:" or database.startswith("file:") \
            or any(ch in database for ch in "?#%\x00"):
        raise NotCovered("a SQLite URL the store's parser reads")
    path = Path(database).expanduser() if database.startswith("~") else Path(database)
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        raise NotCovered("no such file (the store's path says so)") from None
    if not stat.S_ISREG(mode):
        raise NotCovered("not a regular file")
    try:  # a desk this user cannot write is the store's to refuse, before any -shm is made
        desk_files.check_access(path)
    except desk_files.DeskAccessError as refused:
        raise NotCovered(str(refused)) from None
    return path


@contextmanager
def _sqlite(url: str) -> Iterator[Reader]:
    import sqlite3

    path = _sqlite_path(url)
    try:
        # mode=rw: never create a file (a path that vanished meanwhile is the store's to refuse)
        connection = sqlite3.connect(f"file:{quote(os.fspath(path))}?mode=rw", uri=True,
                                     isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise NotCovered(f"sqlite3: {error}") from None
    deadline = time.monotonic() + READ_TIMEOUT_SECONDS
    connection.set_progress_handler(lambda: time.monotonic() > deadline, PROGRESS_STEPS)

    def run(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        return connection.execute(sql, tuple(params)).fetchall()

    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("BEGIN")
        yield Reader(run, sqlite=True)
    except sqlite3.Error as error:
        raise NotCovered(f"sqlite3: {error}") from None
    finally:
        connection.close()  # rolls the read back


def _has_password(conninfo: str) -> bool:
    """Whether a ``postgresql://`` URL holds ``USER:PASSWORD@``."""
    credentials, at, _ = conninfo.partition("://")[2].partition("/")[0].rpartition("@")
    return bool(at) and ":" in credentials


@contextmanager
def _postgres(conninfo: str) -> Iterator[Reader]:
    try:
        import psycopg
    except ImportError:
        raise NotCovered("psycopg is not installed") from None
    options: dict[str, Any] = {} if "connect_timeout" in conninfo else {"connect_timeout":
                                                        CONNECT_TIMEOUT_SECONDS}
    try:
        password = db_password.database_password()
    except db_password.PasswordFileError as error:
        raise NotCovered(str(error)) from None
    if password and "password=" not in conninfo.lower() and not _has_password(conninfo):
        options["password"] = password
    try:
        connection = psycopg.connect(conninfo, autocommit=True, **options)
    except psycopg.Error as error:
        raise NotCovered(f"psycopg: {error}") from None
    try:
        # As the store's connections (deskterm.db.engine): a killed client's query stops.
        connection.execute(
            "SELECT set_config('client_connection_check_interval', %s, false) "
            "WHERE current_setting('server_version_num')::int >= 140000",
            (str(CLIENT_CHECK_MS),))
        with connection.transaction(force_rollback=True):
            connection.execute(
                f"SET LOCAL statement_timeout = {round(READ_TIMEOUT_SECONDS * 1000)}")

            def run(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
                return connection.execute(sql.replace("?", "%s"), tuple(params)).fetchall()

            yield Reader(run, sqlite=False)
    except psycopg.Error as error:
        raise NotCovered(f"psycopg: {error}") from None
    finally:
        connection.close()
