"""Schema migrations (Alembic), run by ``deskterm init`` and ``deskterm db upgrade``."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from deskterm.db import pg_roles
from deskterm.db.engine import Store
from deskterm.db.errors import SchemaNotReady, StoreUnavailable
from deskterm.db.opening import SCHEMA_HEAD

if TYPE_CHECKING:
    from alembic.config import Config

HEAD = SCHEMA_HEAD
"""The newest revision in migrations/versions (a test keeps the two equal). Checking a desk
against it needs no Alembic, which keeps the console's start quick; it is kept in
``deskterm.db.opening``, which the console's first read imports without SQLAlchemy."""

UNSTAMPED = "unstamped"
"""The revision reported for a database with deskterm's tables but no alembic_version row."""

DESK_TABLE = "tickets"
"""A table every deskterm schema has had since the first revision: a database holding tables but
not this one is some other program's."""

_NAMED_TABLES = 3


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("deskterm.db") / "migrations"))
    return config


def head_revision() -> str:
    """The newest revision, as Alembic reads it from the migration scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str
    foreign_tables: tuple[str, ...] = ()
    """The tables of a database that is not a deskterm desk (empty for a desk)."""

    @property
    def empty(self) -> bool:
        """No tables at all: ``deskterm init`` may create a desk here."""
        return self.current is None and not self.foreign_tables

    @property
    def foreign(self) -> bool:
        """Tables, but not deskterm's: another program's database."""
        return bool(self.foreign_tables)

    @property
    def unstamped(self) -> bool:
        return self.current == UNSTAMPED

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def known(self) -> bool:
        """Whether this deskterm knows the database's revision (it is not from a newer one)."""
        if self.current in (None, UNSTAMPED, self.head):
            return True
        from alembic.script import ScriptDirectory

        try:
            return ScriptDirectory.from_config(_config()).get_revision(self.current) is not None
        except Exception:  # alembic raises for ids it cannot resolve
            return False

    @property
    def status(self) -> str:
        """One word or two for ``db current``: empty, up to date, needs upgrade, newer, unstamped
        or foreign."""
        if self.foreign:
            return "foreign"
        if self.empty:
            return "empty"
        if self.unstamped:
            return "unstamped"
        if self.up_to_date:
            return "up to date"
        return "needs upgrade" if self.known else "newer"


def _printable(name: str) -> str:
    # Table names are another program's text: only printable characters reach a message.
    return "".join(ch for ch in name if ch.isprintable())[:40]


def _foreign_tables(tables: list[str]) -> tuple[str, ...]:
    others = sorted(t for t in tables if t != "alembic_version" and not t.startswith("sqlite_"))
    if not others or DESK_TABLE in tables:
        return ()
    return tuple(others)


def schema_state(store: Store) -> SchemaState:
    """Which revision the database is at, and which this deskterm expects."""
    try:
        with store.engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            foreign = _foreign_tables(tables)
            current = None
            if foreign:
                pass  # whatever its alembic_version says, it is not a deskterm revision
            elif "alembic_version" in tables:
                current = connection.execute(
                    text("SELECT version_num FROM alembic_version")).scalar()
                current = None if current is None else _printable(str(current))
            if current is None and DESK_TABLE in tables:
                current = UNSTAMPED
    except DBAPIError as exc:  # unreachable, refused, not a database file ...
        reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        raise StoreUnavailable(f"cannot open {store.display_url}: {reason}") from None
    except Exception as exc:
        if exc.__class__.__module__.startswith(("sqlalchemy", "psycopg")):
            raise StoreUnavailable(f"cannot open {store.display_url}: {exc}") from None
        raise
    return SchemaState(current=current, head=HEAD, foreign_tables=foreign)


def no_desk_yet(where: str) -> SchemaNotReady:
    """The refusal for a database (or a SQLite file) that holds no desk yet."""
    return SchemaNotReady(f"{where} has no deskterm desk yet: run `deskterm init` to create one")


def refuse_foreign(store: Store, state: SchemaState) -> None:
    """Refuse another program's database, naming some of its tables (nothing is added to it)."""
    if not state.foreign:
        return
    names = ", ".join(_printable(t) for t in state.foreign_tables[:_NAMED_TABLES])
    more = len(state.foreign_tables) - _NAMED_TABLES
    if more > 0:
        names += f" and {more} more"
    raise SchemaNotReady(
        f"{store.display_url} is not a deskterm desk: it holds other tables ({names}); "
        "point --db at a new file or an empty database"
    )


def require_schema(store: Store, state: SchemaState) -> None:
    """Refuse ``state`` unless it is this deskterm's schema, with the line that names the fix."""
    refuse_foreign(store, state)
    if state.empty:
        raise no_desk_yet(store.display_url)
    if state.unstamped:
        raise SchemaNotReady(
            f"{store.display_url} has tickets tables but no schema revision, so deskterm did not "
            "create it: point --db at a database made by `deskterm init`"
        )
    if not state.known:
        raise SchemaNotReady(
            f"{store.display_url} is at schema {state.current}, which this deskterm does not know "
            "(it was made by a newer version): upgrade deskterm"
        )
    if not state.up_to_date:
        raise SchemaNotReady(
            f"{store.display_url} is at schema {state.current} but this deskterm needs "
            f"{state.head}: run `deskterm db upgrade`"
        )


def require_current_schema(store: Store) -> None:
    """Refuse a database that is new, behind, from a newer deskterm or another program's, naming
    the fix."""
    require_schema(store, schema_state(store))


def require_upgradable(store: Store) -> SchemaState:
    """The state of a desk ``db upgrade`` can migrate (behind or current); else the refusal."""
    state = schema_state(store)
    if not state.known or state.unstamped or state.foreign or state.empty:
        require_schema(store, state)
    return state


def upgrade(store: Store, revision: str = "head") -> SchemaState:
    """Migrate the database to ``revision`` (the newest by default)."""
    from alembic import command

    config = _config()
    try:
        with store.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            # per-agent roles (PostgreSQL): a new table gets the agents' grants in this same
            # transaction (the grants name roles chosen at init: see deskterm.db.pg_roles)
            pg_roles.apply_grants(connection)
    except DBAPIError as exc:
        # A read-only file or folder, a full disk, a user without CREATE rights, another init
        # that got there first.
        reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
        raise StoreUnavailable(f"cannot write to {store.display_url}: {reason}") from None
    return schema_state(store)


def downgrade(store: Store, revision: str) -> None:
    from alembic import command

    config = _config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
