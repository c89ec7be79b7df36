"""Console fixtures: a seeded desk and a running app with a frozen clock."""

from __future__ import annotations

import shutil

import pytest

from deskterm.db.engine import Store

from ..conftest import sqlite_template
from .desks import seed


@pytest.fixture
def desk_store(tmp_path) -> Store:
    """The fixed console desk in a SQLite file of this test (a copy of one seeded per process)."""
    path = tmp_path / "desk.sqlite3"
    shutil.copyfile(sqlite_template(seeded=seed), path)
    store = Store(f"sqlite:///{path}")
    yield store
    store.dispose()


@pytest.fixture
def any_desk_store(stores) -> Store:
    """The fixed console desk on SQLite, then on PostgreSQL (where the store matters)."""
    return stores.store(seeded=seed)
