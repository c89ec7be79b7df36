"""A big demo seed on SQLite has a helper process make half the desk (some tables and the whole
search index) in a scratch file that the load copies in: the same desk as seeding alone, no
scratch file left behind, and a helper that fails rolls the whole load back with one line that
says so. PostgreSQL seeds without one."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from deskterm.db import bulk, search_load
from deskterm.db.engine import Store
from deskterm.db.models import Customer, Ticket
from deskterm.demo import generator as demo
from deskterm.demo import helper as demo_worker
from deskterm.demo.generator import seed_demo

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
TICKETS = 300
TABLES = ("organizations", "customers", "agent_groups", "agent_group_members", "tags",
          "tickets", "messages", "events", "ticket_tags", "ticket_seen", "sla_outcomes",
          "satisfaction_ratings")


@pytest.fixture
def launched(monkeypatch):
    """Seeds of 100 tickets and more get a helper; the commands started are listed."""
    monkeypatch.setattr(demo, "HELPER_TICKETS", 100)
    commands: list[list[str]] = []
    command = demo_worker._helper_command
    monkeypatch.setattr(demo_worker, "_helper_command",
                        lambda: commands.append(command()) or commands[-1])
    return commands


def _rows(store, tables) -> dict[str, list[tuple]]:
    with sqlite3.connect(store.url.database) as connection:
        return {table: connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
                for table in tables}


def _shadow_tables(store) -> list[str]:
    with sqlite3.connect(store.url.database) as connection:
        return search_load._shadow_tables(connection)


def _leftovers(store) -> list[str]:
    return [p.name for p in Path(store.url.database).parent.glob(".deskterm-load-*")]


stores_sqlite = pytest.mark.parametrize("stores", ["sqlite"], indirect=True)


@stores_sqlite
def test_with_a_helper_the_desk_and_its_search_index_are_the_same(stores, monkeypatch):
    monkeypatch.setattr(demo, "CHUNK", 70)  # several chunks, the last one short
    alone = stores.store()
    monkeypatch.setattr(demo, "HELPER_TICKETS", 10**9)  # seeded without a helper
    seed_demo(alone, tickets=TICKETS, seed=3, admin="ada", now=NOW)
    monkeypatch.setattr(demo, "HELPER_TICKETS", 100)
    commands: list[list[str]] = []
    command = demo_worker._helper_command
    monkeypatch.setattr(demo_worker, "_helper_command",
                        lambda: commands.append(command()) or commands[-1])
    helped = stores.store()
    result = seed_demo(helped, tickets=TICKETS, seed=3, admin="ada", now=NOW)

    assert len(commands) == 1, "no helper process was started"
    assert result.tickets == TICKETS
    shadow = _shadow_tables(helped)
    assert set(shadow) == {f"{t}_{s}" for t in ("search_text", "search_cjk")
                           for s in ("config", "data", "docsize", "idx")} | {"search_cjk_content"}
    assert _rows(helped, (*TABLES, *shadow)) == _rows(alone, (*TABLES, *shadow))
    assert all(_rows(helped, ("sla_outcomes", "satisfaction_ratings")).values())
    assert sum(len(rows) for rows in _rows(helped, shadow).values()) > TICKETS * 3
    with helped.engine.begin() as connection:
        for table in search_load.TABLES:  # FTS5's own consistency check
            connection.execute(text(f"INSERT INTO {table}({table}, rank) "
                                    "VALUES ('integrity-check', 1)"))
        attached = connection.execute(text("PRAGMA database_list")).all()
        assert connection.execute(text(
            "SELECT count(*) FROM search_text WHERE search_text MATCH 'printer'")).scalar()
    assert [name for _seq, name, _file in attached] == ["main"]
    assert _leftovers(helped) == []


@stores_sqlite
def test_a_failing_helper_loads_nothing_and_leaves_no_file(store, monkeypatch):
    monkeypatch.setattr(demo, "HELPER_TICKETS", 100)
    monkeypatch.setattr(demo_worker, "_helper_command", lambda: [
        sys.executable, "-c", "import sys; sys.stdin.buffer.read(); sys.exit(5)"])
    with pytest.raises(demo_worker.DemoHelperFailed, match="exited with code 5"):
        seed_demo(store, tickets=TICKETS, seed=3, admin="ada", now=NOW)
    with store.read() as session:
        assert session.exec(select(func.count()).select_from(Ticket)).one() == 0
        assert session.exec(select(func.count()).select_from(Customer)).one() == 0
    assert _leftovers(store) == []
    monkeypatch.undo()  # ... and the same desk takes the seed once the helper works
    monkeypatch.setattr(demo, "HELPER_TICKETS", 100)
    assert seed_demo(store, tickets=TICKETS, seed=3, admin="ada", now=NOW).tickets == TICKETS


@stores_sqlite
def test_cli_says_in_one_line_that_the_helper_failed(cli, monkeypatch):
    monkeypatch.setattr(demo, "HELPER_TICKETS", 100)
    monkeypatch.setattr(demo_worker, "_helper_command", lambda: [
        sys.executable, "-c", "import sys; sys.exit(5)"])
    result = cli("demo", "--tickets", "300")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "deskterm: making half of the demo desk stopped (its helper process exited with code 5)"
        "; nothing was loaded"]


def test_small_seeds_and_postgresql_seed_without_a_helper(store, launched):
    seed_demo(store, tickets=99, seed=3, admin="ada", now=NOW)
    assert launched == []
    if not store.is_sqlite:
        other = Store(store.url.render_as_string(hide_password=False))
        with pytest.raises(ValueError, match="SQLite desks only"):
            bulk.load(other, [], side=bulk.SideLoad(path="x", tables=(), search=False,
                                                    wait=lambda: None))


def test_a_load_refuses_side_tables_in_its_own_batches(tmp_path):
    from deskterm.db import migrate

    store = Store(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    migrate.upgrade(store)
    side = bulk.SideLoad(path=str(tmp_path / "none.sqlite3"), tables=("ticket_tags",),
                         search=False, wait=lambda: None)
    with pytest.raises(ValueError, match="ticket_tags comes from the side load"):
        bulk.load(store, [("ticket_tags", [(1, 1)])], side=side)
    store.dispose()


def test_a_desk_without_a_file_is_indexed_in_the_loads_connection():
    connection = sqlite3.connect(":memory:", isolation_level=None)
    connection.execute("CREATE VIRTUAL TABLE search_text USING fts5(text, content='')")
    connection.execute("CREATE VIRTUAL TABLE search_cjk USING fts5(text, tokenize='trigram')")
    rows = [(n, 1 + n // 3, f"message {n} 打印机" if n % 2 else f"message {n}")
            for n in range(1, 60)]
    index = search_load.SqliteSearchLoad(connection)
    index.add("messages", ("id", "ticket_id", "body"), rows)
    index.finish()
    assert connection.execute(
        "SELECT count(*) FROM search_text WHERE search_text MATCH 'message'").fetchone() == (59,)
    assert connection.execute(
        "SELECT count(*) FROM search_cjk WHERE search_cjk MATCH '打印机'").fetchone() == (30,)


# --- scratch files of seeds killed with kill -9 ---------------------------------------------------


def _killed_seed_leaves_a_scratch_file(store) -> str:
    """A process that takes a scratch file beside the desk and is killed (SIGKILL) at once."""
    url = store.url.render_as_string(hide_password=False)
    process = subprocess.run([sys.executable, "-c", (
        "import os, signal, sys\n"
        "from deskterm.db import bulk\n"
        "from deskterm.db.engine import Store\n"
        f"print(bulk.side_file(Store({url!r})).path, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n")], capture_output=True, text=True, timeout=60)
    assert process.returncode == -signal.SIGKILL, process.stderr
    path = process.stdout.strip()
    assert Path(path).is_file()
    return Path(path).name


@pytest.fixture
def seed_killed_while_its_helper_runs(store, tmp_path):
    """A seed (with its helper) killed with SIGKILL while the helper still runs: the helper's
    pid is yielded; it is killed at the end."""
    url = store.url.render_as_string(hide_password=False)
    # (The helper's standard output is a pipe to the seed: it tells its pid through a file.)
    said = tmp_path / "helper.pid"
    helper = (f"import os, sys, time; sys.stdin.buffer.read(); "
              f"open({str(said) + '.new'!r}, 'w').write(str(os.getpid())); "
              f"os.rename({str(said) + '.new'!r}, {str(said)!r}); time.sleep(120)")
    seed = subprocess.Popen([sys.executable, "-c", (
        "import sys\n"
        "from deskterm.db.engine import Store\n"
        "from deskterm.demo import generator as demo, helper as demo_worker\n"
        "demo.HELPER_TICKETS = 1\n"
        f"demo_worker._helper_command = lambda: [sys.executable, '-c', {helper!r}]\n"
        f"demo.seed_demo(Store({url!r}), tickets=20, seed=1, admin='ada')\n")])
    deadline = time.monotonic() + 60
    while not said.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    helper_pid = int(said.read_text())
    seed.kill()
    seed.wait()
    yield helper_pid
    with contextlib.suppress(ProcessLookupError):
        os.kill(helper_pid, signal.SIGKILL)


def _swept_until_gone(store) -> None:
    deadline = time.monotonic() + 30
    while _leftovers(store) and time.monotonic() < deadline:
        bulk.remove_stale_side_files(store)
        time.sleep(0.05)


@stores_sqlite
def test_the_next_seed_removes_a_killed_seeds_scratch_file_and_keeps_a_running_ones(store):
    dead = _killed_seed_leaves_a_scratch_file(store)

    running = bulk.side_file(store)  # the next seed's start

    assert dead not in _leftovers(store)
    assert _leftovers(store) == [Path(running.path).name]
    assert bulk.remove_stale_side_files(store) == []  # a running seed's file stays
    assert _leftovers(store) == [Path(running.path).name]
    running.remove()
    assert _leftovers(store) == []


@stores_sqlite
def test_a_seed_killed_while_its_helper_runs_keeps_its_file_until_the_helper_ends(
        store, seed_killed_while_its_helper_runs):
    assert len(_leftovers(store)) == 1

    assert bulk.remove_stale_side_files(store) == []  # the helper still holds it

    assert len(_leftovers(store)) == 1
    os.kill(seed_killed_while_its_helper_runs, signal.SIGKILL)
    _swept_until_gone(store)
    assert _leftovers(store) == []


@stores_sqlite
@pytest.mark.parametrize("command", [("demo", "--tickets", "5"), ("init",)])
def test_cli_demo_and_init_remove_a_killed_seeds_scratch_file(cli, store, command):
    _killed_seed_leaves_a_scratch_file(store)

    result = cli(*command)

    assert result.exit_code == 0, result.stderr
    assert _leftovers(store) == []


@stores_sqlite
def test_a_scratch_file_name_that_is_a_link_is_never_followed_or_removed(store, tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = Path(store.url.database).parent / f"{bulk.SIDE_PREFIX}planted{bulk.SIDE_SUFFIX}"
    link.symlink_to(target)

    assert bulk.remove_stale_side_files(store) == []

    assert link.is_symlink()
    assert target.read_text() == "keep me"


@stores_sqlite
def test_a_helper_whose_seed_was_killed_stops_and_its_file_is_then_removed(store):
    url = store.url.render_as_string(hide_password=False)
    seed = subprocess.Popen([sys.executable, "-c", (
        "from deskterm.db.engine import Store\n"
        "from deskterm.demo import generator as demo\n"
        "demo.HELPER_TICKETS = 1\n"
        "demo.CHUNK = 50\n"
        f"demo.seed_demo(Store({url!r}), tickets=1_000_000, seed=1, admin='ada')\n")])
    try:
        deadline = time.monotonic() + 60
        while not _leftovers(store) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _leftovers(store), "the seed made no scratch file"
    finally:
        seed.kill()
        seed.wait()

    # Possible once the helper has noticed and stopped: within seconds, where making its half
    # of a million tickets would take it a minute and more.
    _swept_until_gone(store)

    assert _leftovers(store) == []


def _segments(store) -> list[int]:
    with sqlite3.connect(store.url.database) as connection:
        return [connection.execute(f"SELECT count(DISTINCT segid) FROM {table}_idx").fetchone()[0]
                for table in search_load.TABLES]


def _checked_printers(desk) -> int:
    """FTS5's integrity check of every search table (it raises if one fails), then how many
    documents match 'printer'."""
    with desk.engine.begin() as connection:
        for table in search_load.TABLES:
            connection.execute(text(f"INSERT INTO {table}({table}, rank) "
                                    "VALUES ('integrity-check', 1)"))
        return connection.execute(text(
            "SELECT count(*) FROM search_text WHERE search_text MATCH 'printer'")).scalar()


@stores_sqlite
def test_a_seed_leaves_one_index_segment_so_the_first_write_merges_nothing(stores, monkeypatch):
    """A build cuts a segment per 'hashsize' of terms (a 4 KiB hash here: a dozen and more,
    as the 1M demo's 128 MiB does); left so, a desk's first small write would merge them all
    inside it once FTS5's first level held 16. The load merges them: one segment per table,
    and a write after it adds one of its own and merges nothing."""
    monkeypatch.setattr(search_load, "BULK_HASH_BYTES", 4096)
    monkeypatch.setattr(demo, "HELPER_TICKETS", 10**9)
    desk = stores.store()
    seed_demo(desk, tickets=TICKETS, seed=3, admin="ada", now=NOW)
    assert _segments(desk) == [1, 1]
    with sqlite3.connect(desk.url.database) as connection:
        for table in search_load.TABLES:
            assert connection.execute(f"SELECT v FROM {table}_config WHERE k = 'hashsize'"
                                      ).fetchone() == (search_load.DEFAULT_HASH_BYTES,)
        connection.execute("INSERT INTO search_text(rowid, text) VALUES (?, 'printer jam')",
                           (10**6 << 32,))
        connection.execute("INSERT INTO search_cjk(rowid, text) VALUES (?, '打印机')",
                           (10**6 << 32,))
    assert _segments(desk) == [2, 2]
    assert _checked_printers(desk) > 1


@stores_sqlite
def test_the_seeds_index_segment_sits_on_the_level_of_its_size_and_later_writes_leave_it(
        stores, monkeypatch):
    """'optimize' leaves its one segment on level 1 (or 0), where FTS5 merges it with the
    desk's first dozen small writes, rewriting the whole index inside one of them (14 s in the
    first ``automate run`` after a 1M seed). The load lifts it to the level its size belongs
    on; a hundred one-document transactions after it merge among themselves, never with it
    (the small ``search_cjk`` one, 4 pages, sits on level 1 and may well be merged)."""
    monkeypatch.setattr(demo, "HELPER_TICKETS", 10**9)
    desk = stores.store()
    seed_demo(desk, tickets=TICKETS, seed=3, admin="ada", now=NOW)
    with sqlite3.connect(desk.url.database, isolation_level=None) as connection:
        lone = {}
        for table in search_load.TABLES:
            levels = search_load.structure(connection, table)
            (at, (segment, first, last)), = [(at, s) for at, level in enumerate(levels)
                                             for s in level]
            assert at == search_load.lone_segment_level(last - first + 1)
            lone[table] = segment
        assert len(search_load.structure(connection, "search_text")) - 1 >= 3
        for i in range(100):
            connection.execute("INSERT INTO search_text(rowid, text) VALUES (?, 'printer jam')",
                               ((10**6 + i) << 32,))
            connection.execute("INSERT INTO search_cjk(rowid, text) VALUES (?, '打印机')",
                               ((10**6 + i) << 32,))
        levels = search_load.structure(connection, "search_text")
        assert lone["search_text"] in [s[0] for s in levels[-1]], levels
        assert sum(map(len, levels)) > 1
    assert _checked_printers(desk) > 100


def test_a_structure_record_reads_back_as_written():
    record = search_load._encode(b"\x00\x00\x00\x07", 17_807,
                                 [[], [(5, 1, 117_198)], [(2, 1, 3), (300, 4, 20_000)]])
    assert search_load._decode(record) == (b"\x00\x00\x00\x07", 17_807,
                                           [[], [(5, 1, 117_198)], [(2, 1, 3), (300, 4, 20_000)]])
    assert [search_load.lone_segment_level(pages) for pages in (1, 4, 5, 117_198)] == [0, 1, 2, 9]
    with pytest.raises(ValueError):
        search_load._decode(b"\x00\x00\x00\x07\xff\x00\x00\x01\x00")
