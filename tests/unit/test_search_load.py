"""A big SQLite bulk load builds its search index in a helper process: the same index as a build
in the load's own connection, no scratch file left behind, and a helper that fails rolls the
whole load back with one line that says so."""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from deskterm.db import search_load
from deskterm.db.engine import Store
from deskterm.db.models import Ticket
from deskterm.desk.demo import seed_demo

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
TICKETS = 300


@pytest.fixture
def sqlite_stores(tmp_path):
    made: list[Store] = []

    def make(name: str) -> Store:
        from deskterm.db import migrate

        store = Store(f"sqlite:///{tmp_path / name}")
        migrate.upgrade(store)
        made.append(store)
        return store

    yield make
    for store in made:
        store.dispose()


def _shadow_rows(store: Store) -> dict[str, list[tuple]]:
    path = store.url.database
    with sqlite3.connect(path) as connection:
        return {table: connection.execute(f"SELECT * FROM {table}").fetchall()
                for table in search_load._shadow_tables(connection)}


def _leftovers(store: Store) -> list[str]:
    from pathlib import Path

    return [p.name for p in Path(store.url.database).parent.glob(".deskterm-search-*")]


def test_the_helper_builds_the_same_index_as_the_load_itself(sqlite_stores, monkeypatch):
    serial = sqlite_stores("serial.sqlite3")
    seed_demo(serial, tickets=TICKETS, seed=3, admin="ada", now=NOW)

    started: list[bool] = []
    start = search_load.SqliteSearchLoad._start

    def spy(self):
        started.append(start(self))
        return started[-1]

    monkeypatch.setattr(search_load, "PARALLEL_DOCUMENTS", 100)
    monkeypatch.setattr(search_load.SqliteSearchLoad, "_start", spy)
    helped = sqlite_stores("helped.sqlite3")
    seed_demo(helped, tickets=TICKETS, seed=3, admin="ada", now=NOW)

    assert started == [True], "the helper process was not used"
    serial_rows, helped_rows = _shadow_rows(serial), _shadow_rows(helped)
    assert set(serial_rows) == {f"{t}_{s}" for t in ("search_text", "search_cjk")
                                for s in ("config", "data", "docsize", "idx")
                                } | {"search_cjk_content"}
    assert helped_rows == serial_rows
    assert sum(len(rows) for rows in helped_rows.values()) > TICKETS * 3
    with helped.engine.begin() as connection:
        for table in ("search_text", "search_cjk"):  # FTS5's own consistency check
            connection.execute(text(f"INSERT INTO {table}({table}, rank) "
                                    "VALUES ('integrity-check', 1)"))
        attached = connection.execute(text("PRAGMA database_list")).all()
    assert [name for _seq, name, _file in attached] == ["main"]
    assert _leftovers(helped) == []


def test_a_failing_helper_rolls_the_load_back(sqlite_stores, monkeypatch):
    monkeypatch.setattr(search_load, "PARALLEL_DOCUMENTS", 100)
    monkeypatch.setattr(search_load, "_helper_command", lambda: [
        sys.executable, "-c", "import sys; sys.stdin.buffer.read(10); sys.exit(5)"])
    store = sqlite_stores("failed.sqlite3")
    with pytest.raises(search_load.SearchBuildFailed, match="exited with code 5"):
        seed_demo(store, tickets=TICKETS, seed=3, admin="ada", now=NOW)
    with store.read() as session:
        assert session.exec(select(func.count()).select_from(Ticket)).one() == 0
    assert _leftovers(store) == []
    # ... and the desk takes the same load once the helper works.
    monkeypatch.undo()
    monkeypatch.setattr(search_load, "PARALLEL_DOCUMENTS", 100)
    assert seed_demo(store, tickets=TICKETS, seed=3, admin="ada", now=NOW).tickets == TICKETS


def test_a_small_load_needs_no_helper(sqlite_stores, monkeypatch):
    def refuse(self):
        raise AssertionError("no helper for a small load")

    monkeypatch.setattr(search_load.SqliteSearchLoad, "_start", refuse)
    store = sqlite_stores("small.sqlite3")
    seed_demo(store, tickets=TICKETS, seed=3, admin="ada", now=NOW)
    assert _leftovers(store) == []


def test_a_desk_without_a_file_is_indexed_in_the_loads_connection(monkeypatch):
    monkeypatch.setattr(search_load, "PARALLEL_DOCUMENTS", 10)
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("CREATE VIRTUAL TABLE search_text USING fts5(text, content='')")
    connection.execute("CREATE VIRTUAL TABLE search_cjk USING fts5(text, tokenize='trigram')")
    rows = [(n, 1 + n // 3, f"message {n} 打印机" if n % 2 else f"message {n}")
            for n in range(1, 60)]
    with search_load.SqliteSearchLoad(connection) as index:
        index.add("messages", ("id", "ticket_id", "body"), rows)
        assert index.process is None
        index.finish()
    assert connection.execute(
        "SELECT count(*) FROM search_text WHERE search_text MATCH 'message'").fetchone() == (59,)
    assert connection.execute(
        "SELECT count(*) FROM search_cjk WHERE search_cjk MATCH '打印机'").fetchone() == (30,)


def test_cli_says_in_one_line_that_the_search_build_failed(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from deskterm.cli import app

    monkeypatch.setattr(search_load, "PARALLEL_DOCUMENTS", 100)
    monkeypatch.setattr(search_load, "_helper_command", lambda: [
        sys.executable, "-c", "import sys; sys.exit(5)"])
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    result = CliRunner().invoke(app, ["--db", url, "demo", "--tickets", "300"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "deskterm: building the search index stopped (its helper process exited with code 5)"
        "; nothing was loaded"]
