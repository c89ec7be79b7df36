"""Schema migrations (Alembic), run by ``deskterm init`` and ``deskterm db upgrade``."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from deskterm.db.engine import Store
from deskterm.db.errors import SchemaNotReady, StoreUnavailable

if TYPE_CHECKING:
    from alembic.config import Config

HEAD = "0008"
"""The newest revision in migrations/versions (a test keeps the two equal). Checking a desk
against it needs no Alembic, which keeps the console's start quick."""

UNSTAMPED = "unstamped"
"""The revision reported for a database with deskterm's tables but no alembic_version row."""


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

    @property
    def empty(self) -> bool:
        return self.current is None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def known(self) -> bool:
        """Whether this deskterm knows the database's revision (it is not from a newer one)."""
        if self.current is None or self.current == self.head:
            return True
        from alembic.script import ScriptDirectory

        try:
            return ScriptDirectory.from_config(_config()).get_revision(self.current) is not None
        except Exception:  # alembic raises for ids it cannot resolve
            return False


def schema_state(store: Store) -> SchemaState:
    """Which revision the database is at, and which this deskterm expects."""
    try:
        with store.engine.connect() as connection:
            current = None
            if inspect(connection).has_table("alembic_version"):
                current = connection.execute(
                    text("SELECT version_num FROM alembic_version")).scalar()
            if current is None and inspect(connection).has_table("tickets"):
                current = UNSTAMPED
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0]
        raise StoreUnavailable(f"cannot open {store.display_url}: {reason}") from None
    except Exception as exc:
        if exc.__class__.__module__.startswith(("sqlalchemy", "psycopg")):
            raise StoreUnavailable(f"cannot open {store.display_url}: {exc}") from None
        raise
    return SchemaState(current=current, head=HEAD)


def require_current_schema(store: Store) -> None:
    """Refuse a database that is new, behind, or from a newer deskterm, naming the fix."""
    state = schema_state(store)
    if state.empty:
        raise SchemaNotReady(
            f"{store.display_url} has no deskterm desk yet: run `deskterm init` to create one"
        )
    if state.current == UNSTAMPED:
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


def upgrade(store: Store, revision: str = "head") -> SchemaState:
    """Migrate the database to ``revision`` (the newest by default)."""
    from alembic import command

    config = _config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return schema_state(store)


def downgrade(store: Store, revision: str) -> None:
    from alembic import command

    config = _config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
