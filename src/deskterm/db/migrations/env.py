"""Alembic environment: migrates the connection deskterm hands it, or alembic.ini's URL."""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, create_engine
from sqlmodel import SQLModel

import deskterm.db.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from deskterm.db.pg_roles import is_db_role_object
from deskterm.db.search import is_search_object
from deskterm.db.types import UTCDateTime

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_: str, obj: Any, autogen_context: AutogenContext,
                ) -> str | Literal[False]:
    """Render deskterm's UTCDateTime as a plain timestamptz, so migrations need no app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave search's FTS5 tables and GIN indexes (``search_*``, made by revision 0003 and not
    models) out of autogenerate's comparison, or it would offer to drop them; and likewise the
    per-agent roles' tables and column (``db_role*``, revision 0021, PostgreSQL only)."""
    return not is_search_object(name) and not is_db_role_object(name)


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise SystemExit("alembic.ini names no sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as conn:
        run_migrations(conn)
