"""Alembic environment: migrates the connection deskterm hands it, or alembic.ini's URL."""

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import deskterm.db.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from deskterm.db.search import is_search_object
from deskterm.db.types import UTCDateTime

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_, obj, autogen_context):
    """Render deskterm's UTCDateTime as a plain timestamptz, so migrations need no app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def include_name(name, type_, parent_names) -> bool:
    """Leave search's FTS5 tables and GIN indexes (``search_*``, made by revision 0003 and not
    models) out of autogenerate's comparison, or it would offer to drop them."""
    return not is_search_object(name)


def run_migrations(connection) -> None:
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
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        run_migrations(conn)
