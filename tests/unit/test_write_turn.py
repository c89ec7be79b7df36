"""SQLite writers take turns at the desk's folder (deskterm.db.write_turn): a waiter is let in as
soon as the turn is given back, a turn dies with its process, a turn not had in time leaves
the writer to SQLite's own wait, and one thread never waits for itself."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from deskterm.db.engine import Store
from deskterm.db.write_turn import WriteTurns


def _hold_turn(path: str, holding, seconds: float) -> None:
    turns = WriteTurns(Path(path))
    info: dict = {}
    turns.take(info)
    holding.set()
    time.sleep(seconds)
    turns.give_back(info)


def _value(store: Store, name: str) -> int | None:
    with store.read() as session:
        return session.execute(text("SELECT value FROM counters WHERE name = :name"),
                               {"name": name}).scalar_one_or_none()


@pytest.fixture
def sqlite_store(tmp_path):
    """A SQLite desk in a file: the turns are SQLite's (PostgreSQL queues writers on its own
    row locks, and has no turns: the first test)."""
    store = Store(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    store.write(lambda s: s.execute(text("CREATE TABLE counters (name TEXT PRIMARY KEY, "
                                         "value INTEGER)")), quiet=True)
    yield store
    store.dispose()


def test_postgresql_has_no_turns_and_sqlite_in_a_file_has(stores) -> None:
    store = stores.store()
    if store.is_sqlite:
        assert store.write_turns is not None and store.write_turns.path == store.sqlite_path
    else:
        assert store.write_turns is None
    store.write(lambda s: s.execute(text("INSERT INTO counters (name, value) VALUES ('t', 1)")))
    assert _value(store, "t") == 1


def test_a_waiting_write_goes_in_as_soon_as_the_turn_is_given_back(sqlite_store) -> None:
    store = sqlite_store
    assert store.write_turns is not None
    holder: dict = {}
    store.write_turns.take(holder)
    done: list[float] = []

    def write() -> None:  # another thread: it must wait for the turn
        store.write(lambda s: s.execute(text("INSERT INTO counters (name, value) "
                                             "VALUES ('w', 1)")), quiet=True)
        done.append(time.perf_counter())

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.3)
    assert not done  # still waiting for the turn
    given_back = time.perf_counter()
    store.write_turns.give_back(holder)
    writer.join(10)
    assert done and done[0] - given_back < 0.25
    assert _value(store, "w") == 1


def test_a_turn_dies_with_its_process_and_a_late_turn_falls_back_to_sqlite(
        sqlite_store) -> None:
    store = sqlite_store
    assert store.sqlite_path is not None
    ctx = multiprocessing.get_context("spawn")
    holding = ctx.Event()
    proc = ctx.Process(target=_hold_turn, args=(str(store.sqlite_path), holding, 600))
    proc.start()
    try:
        assert holding.wait(60)
        # Held by another process for longer than the timeout: the writer stops waiting for
        # the turn and writes under SQLite's lock alone (nobody holds that one).
        turns = WriteTurns(store.sqlite_path, timeout=0.2)
        info: dict = {}
        started = time.perf_counter()
        turns.take(info)
        assert info == {} and 0.15 < time.perf_counter() - started < 5
        assert store.write_turns is not None
        store.write_turns.timeout = 0.2
        store.write(lambda s: s.execute(text("INSERT INTO counters (name, value) "
                                             "VALUES ('late', 1)")), quiet=True)
        assert _value(store, "late") == 1
        os.kill(proc.pid, signal.SIGKILL)  # type: ignore[arg-type]
        proc.join(30)
        turns.take(info)  # the kernel let go of the dead process's turn
        assert info
        turns.give_back(info)
        assert info == {}
    finally:
        if proc.is_alive():
            proc.kill()
            proc.join(30)


def test_one_thread_takes_one_turn_for_two_connections(sqlite_store) -> None:
    turns = sqlite_store.write_turns
    assert turns is not None
    first: dict = {}
    turns.take(first)
    second: dict = {}
    started = time.perf_counter()
    turns.take(second)  # no wait for itself
    assert first and second == {} and time.perf_counter() - started < 1
    turns.give_back(second)
    turns.give_back(first)
    other: dict = {}
    turns.take(other)  # given back: free again
    assert other
    turns.give_back(other)
