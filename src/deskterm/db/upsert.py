"""INSERT ... ON CONFLICT DO UPDATE on both stores (SQLite and PostgreSQL speak the same form)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any

from sqlmodel import Session


def upsert(session: Session, model: type, values: dict[str, Any], *, keys: Sequence[str],
           update: Sequence[str], where: Callable[[Any], Any] | None = None) -> None:
    """Insert ``values`` into ``model``'s table, or update the ``update`` columns of the row
    with the same ``keys``; ``where(excluded)`` limits which existing rows are updated."""
    # The store's own dialect only: a SQLite desk never loads PostgreSQL's (some 30 ms).
    name = "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"
    dialect = import_module(f"sqlalchemy.dialects.{name}")
    statement = dialect.insert(model).values(**values)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[getattr(model, key) for key in keys],
        set_={column: getattr(excluded, column) for column in update},
        where=where(excluded) if where is not None else None,
    )
    session.execute(statement)
