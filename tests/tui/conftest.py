"""Console fixtures: a seeded desk and a running app with a frozen clock."""

from __future__ import annotations

import pytest

from deskterm.db.engine import Store

from .desks import seed


@pytest.fixture
def desk_store(tmp_path) -> Store:
    """The fixed console desk in a SQLite file of this test."""
    store = Store(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    seed(store)
    yield store
    store.dispose()


@pytest.fixture
def any_desk_store(stores) -> Store:
    """The fixed console desk on SQLite, then on PostgreSQL (where the store matters)."""
    store = stores.store()
    seed(store)
    return store
