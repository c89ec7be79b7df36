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


@pytest.fixture(autouse=True)
def _quick_idle_checks(monkeypatch):
    """Pilot waits twice after every key until the app looks idle, in slices of 20 ms
    (``textual._wait``): 40 ms a key at least, whatever the app does. 5 ms slices keep the same
    test of idleness (under a twentieth of the slice spent working) with a quarter of the floor.
    The tests wait for what they check with ``settle``/``until`` (tests/tui/pilot.py), not with
    these pauses. A private name of Textual's: if it moves, this fails loudly, not slowly."""
    import importlib

    waits = importlib.import_module("textual._wait")  # private to Textual: deliberate, see above
    monkeypatch.setattr(waits, "SLEEP_GRANULARITY", 0.005)
    monkeypatch.setattr(waits, "SLEEP_IDLE", 0.005 / 20)
