"""``deskterm db backup`` / ``db restore`` on both stores: a backup taken while another process
writes tickets holds every ticket committed before it started, and restores."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import text

from deskterm.db import backup as backups
from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.desk import setup

from .helpers import new_ticket

WRITER = """
import sys
from deskterm.db.engine import Store
from deskterm.desk.people import auth
from deskterm.desk.tickets import ticket as tickets

store = Store(sys.argv[1], create=False)
with store.read() as session:
    actor = auth.resolve_actor(session, username="ada")
while True:
    made = store.write(lambda s: tickets.create_ticket(
        s, actor=actor, requester_email="carol@acme.test", subject="written during a backup",
        body="one more"))
    print(made.number, flush=True)
"""


class Writer:
    """Another process filing tickets as fast as it can; ``committed`` grows as each commits."""

    def __init__(self, url: str) -> None:
        self.committed: list[int] = []
        self.process = subprocess.Popen([sys.executable, "-c", WRITER, url],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.committed.append(int(line))

    def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.committed) < count:
            if self.process.poll() is not None:
                raise AssertionError(f"the writer died: {self.process.stderr.read()[-2000:]}")
            assert time.monotonic() < deadline, "the writer committed nothing"
            time.sleep(0.01)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        self._thread.join(5)


def _numbers(store: Store) -> set[int]:
    with store.read() as session:
        return {row[0] for row in session.execute(text("SELECT id FROM tickets"))}


@pytest.fixture
def busy_desk(stores):
    store = stores.store()
    admin = store.write(lambda s: setup.ensure_first_admin(s, username="ada",
                                                          display_name="Ada Admin"))
    for _ in range(30):  # some pages to copy, a step at a time
        new_ticket(store, admin, body="words " * 400)
    url = store.url.render_as_string(hide_password=False)
    writer = Writer(url)
    yield stores, store, writer
    writer.stop()


def test_a_backup_taken_while_another_process_writes_restores_every_ticket_committed_before(
        busy_desk, tmp_path):
    stores, store, writer = busy_desk
    writer.wait_for(5)
    steps: list[int] = []

    def progress(done: int, total: int) -> None:
        # the writer commits a ticket between every two steps of the copy: a backup that
        # started over on each change (the API's way without a snapshot) would never end
        assert len(steps) < 500, "the backup keeps starting over"
        writer.wait_for(len(writer.committed) + 1)
        steps.append(done)

    committed_before = _numbers(store)  # the writer's included: all committed by now
    started = len(writer.committed)
    done = backups.backup(store, tmp_path / "desk.backup", progress=progress, step_pages=8)
    writer.wait_for(started + 3)
    writer.stop()

    target = stores.store(migrated=False)
    restored = backups.restore(target, tmp_path / "desk.backup")
    found = _numbers(target)
    assert committed_before <= found
    every = _numbers(store)
    assert {n for n in every if n <= max(found)} == found  # a snapshot: no ticket skipped
    assert len(every) > len(found)  # the writer went on during and after the copy
    if store.is_sqlite:
        assert len(steps) > 2 and done.tickets == restored.tickets == len(found)


def test_a_backup_file_is_the_desks_and_not_readable_by_others(stores, tmp_path):
    store = stores.store()
    if store.sqlite_path is not None:
        store.sqlite_path.chmod(0o600)  # as deskterm makes it (the test's copy is 0644)
    target = tmp_path / "desk.backup"

    backups.backup(store, target)

    mode = stat.S_IMODE(target.stat().st_mode)
    assert mode == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".deskterm-")] == []


@pytest.mark.parametrize("stores", ["sqlite"], indirect=True)
def test_a_shared_desks_backup_is_group_read_write_and_nothing_more(stores, tmp_path, cli):
    group = __import__("grp").getgrgid(os.getgid()).gr_name
    url = f"sqlite:///{tmp_path / 'shared' / 'desk.sqlite3'}"
    assert cli("init", "--shared-group", group, db=url).exit_code == 0

    result = cli("db", "backup", str(tmp_path / "shared" / "copy.sqlite3"), db=url)

    assert result.exit_code == 0, result.stderr
    copy = tmp_path / "shared" / "copy.sqlite3"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o660
    assert copy.stat().st_gid == os.getgid()


def _one_line(result) -> str:
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_restore_refuses_a_desk_that_is_not_empty_without_force(stores, cli, admin, store,
                                                                 tmp_path):
    new_ticket(store, admin)
    assert cli("db", "backup", str(tmp_path / "b")).exit_code == 0
    new_ticket(store, admin)

    line = _one_line(cli("db", "restore", str(tmp_path / "b")))

    assert "is not empty (2 tickets, 1 agent)" in line and "--force" in line
    assert len(_numbers(store)) == 2
    forced = cli("db", "restore", str(tmp_path / "b"), "--force")
    assert forced.exit_code == 0, forced.stderr
    assert len(_numbers(store)) == 1


def test_backup_refuses_an_existing_file_and_a_missing_folder(stores, cli, tmp_path):
    (tmp_path / "there").write_text("mine")

    assert "exists: add --force" in _one_line(cli("db", "backup", str(tmp_path / "there")))
    assert "no folder" in _one_line(cli("db", "backup", str(tmp_path / "no" / "b")))
    assert (tmp_path / "there").read_text() == "mine"


@pytest.mark.parametrize("stores", ["sqlite"], indirect=True)
def test_restore_of_a_file_that_is_not_a_backup_or_missing_is_one_line(stores, cli, tmp_path):
    (tmp_path / "notes.txt").write_text("not a desk")

    assert "not a SQLite backup" in _one_line(cli("db", "restore", str(tmp_path / "notes.txt"),
                                                  "--force"))
    assert "no such backup file" in _one_line(cli("db", "restore", str(tmp_path / "none")))


@pytest.mark.parametrize("stores", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_without_pg_dump_on_path_backup_prints_the_command_to_run(stores, cli, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))

    line = _one_line(cli("db", "backup", str(tmp_path / "b.dump")))

    assert "pg_dump is not on PATH" in line
    assert (f"pg_dump --format=custom --no-owner --no-privileges --file={tmp_path / 'b.dump'} "
            "--dbname=") in line
    assert not (tmp_path / "b.dump").exists()
    dump = tmp_path / "b.dump"
    dump.write_bytes(b"PGDMP" + bytes(100))
    assert "pg_restore is not on PATH" in _one_line(cli("db", "restore", str(dump), "--force"))


def test_a_desk_behind_is_backed_up_and_its_restore_names_the_upgrade(stores, cli, tmp_path):
    old = stores.store()
    migrate.downgrade(old, "0011")
    url = old.url.render_as_string(hide_password=False)
    old.dispose()

    taken = cli("db", "backup", str(tmp_path / "old.backup"), db=url)
    fresh = stores.url(migrated=False)
    empty = Store(fresh)  # SQLite: the empty file (PostgreSQL: the empty database)
    empty.engine.connect().close()
    empty.dispose()
    restored = cli("db", "restore", str(tmp_path / "old.backup"), db=fresh)

    assert taken.exit_code == 0, taken.stderr
    assert restored.exit_code == 0, restored.stderr
    assert "the backup's schema is 0011: run `deskterm db upgrade`" in restored.stdout
