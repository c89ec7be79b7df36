"""A desk's files out of the box: private (folder 0700, files 0600) or shared with a Unix group
(``init --shared-group``: folder setgid 2770, files 0660), never readable by others; and
``deskterm doctor``, which says what is wrong and what fixes it."""

from __future__ import annotations

import grp
import json
import os
import stat
from pathlib import Path

import pytest

from deskterm.db import bulk
from deskterm.db.engine import Store

sqlite_only = pytest.mark.parametrize("stores", ["sqlite"], indirect=True)
MY_GROUP = grp.getgrgid(os.getgid()).gr_name
"""A group this user may give files to without root: their own."""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _one_line(result) -> str:
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@sqlite_only
@pytest.mark.parametrize("command", [("init",), ("demo", "--tickets", "20")])
def test_init_and_demo_make_a_private_desk_folder_0700_files_0600(stores, cli, tmp_path,
                                                                   command):
    desk = tmp_path / "new" / "desk.sqlite3"
    previous = os.umask(0o022)  # a common umask: SQLite alone would make the files 0644
    try:
        result = cli(*command, db=f"sqlite:///{desk}")
    finally:
        os.umask(previous)

    assert result.exit_code == 0, result.stderr
    assert _mode(desk.parent) == 0o700
    assert _mode(desk) == 0o600
    store = Store(f"sqlite:///{desk}", create=False)
    with store.read() as session:  # open: -wal and -shm exist, made with the desk's mode
        session.connection().exec_driver_sql("SELECT count(*) FROM tickets").scalar()
        assert {p.name: _mode(p) for p in desk.parent.iterdir()} == {
            "desk.sqlite3": 0o600, "desk.sqlite3-wal": 0o600, "desk.sqlite3-shm": 0o600}
    store.dispose()


@sqlite_only
def test_init_shared_group_makes_the_folder_setgid_and_every_file_group_read_write(
        stores, cli, tmp_path):
    desk = tmp_path / "shared" / "desk.sqlite3"
    previous = os.umask(0o077)  # the strictest agent: still group read-write
    try:
        result = cli("init", "--shared-group", MY_GROUP, db=f"sqlite:///{desk}")
        store = Store(f"sqlite:///{desk}", create=False)
        with store.read() as session:
            session.connection().exec_driver_sql("SELECT 1").scalar()
            modes = {p.name: _mode(p) for p in desk.parent.iterdir()}
        scratch = bulk.side_file(store)  # a bulk load's scratch file: the desk's mode too
        scratch_mode = _mode(Path(scratch.path))
        scratch.remove()
        store.dispose()
    finally:
        os.umask(previous)

    assert result.exit_code == 0, result.stderr
    assert f"shared with group {MY_GROUP}" in result.stdout
    assert _mode(desk.parent) == 0o2770 and desk.parent.stat().st_gid == os.getgid()
    assert modes == {"desk.sqlite3": 0o660, "desk.sqlite3-wal": 0o660,
                     "desk.sqlite3-shm": 0o660}
    assert scratch_mode == 0o660


@sqlite_only
def test_shared_group_refuses_a_folder_holding_other_files_and_changes_nothing(stores, cli,
                                                                               tmp_path):
    (tmp_path / "home").mkdir(mode=0o755)
    (tmp_path / "home" / "notes.txt").write_text("mine")

    line = _one_line(cli("init", "--shared-group", MY_GROUP,
                         db=f"sqlite:///{tmp_path / 'home' / 'desk.sqlite3'}"))

    assert "holds other files than the desk's" in line
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == ["notes.txt"]
    assert _mode(tmp_path / "home") == 0o755


@sqlite_only
def test_shared_group_that_does_not_exist_is_one_line_and_makes_no_folder(stores, cli,
                                                                          tmp_path):
    line = _one_line(cli("init", "--shared-group", "no-such-group-here",
                         db=f"sqlite:///{tmp_path / 'desk' / 'desk.sqlite3'}"))

    assert "there is no group 'no-such-group-here'" in line and "groupadd" in line
    assert not (tmp_path / "desk").exists()


@pytest.mark.parametrize("stores", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_shared_group_on_postgresql_is_refused_in_one_line(stores, cli):
    line = _one_line(cli("init", "--shared-group", MY_GROUP))

    assert "--shared-group is for a SQLite desk" in line


@sqlite_only
def test_init_shared_group_on_an_existing_private_desk_shares_it(stores, cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'desk' / 'desk.sqlite3'}"
    assert cli("init", db=url).exit_code == 0

    again = cli("init", "--shared-group", MY_GROUP, db=url)

    assert again.exit_code == 0, again.stderr
    assert _mode(tmp_path / "desk") == 0o2770
    assert _mode(tmp_path / "desk" / "desk.sqlite3") == 0o660


# --- doctor ------------------------------------------------------------------------------------


def test_doctor_on_a_good_desk_says_all_good_and_exits_0(stores, cli, admin, as_user, tmp_path):
    as_user("root")  # an OS user of every host: the doctor looks them up
    if stores.kind == "sqlite":  # a desk of its own, made by init: private
        url = f"sqlite:///{tmp_path / 'desk' / 'desk.sqlite3'}"
        assert cli("init", db=url).exit_code == 0
        result = cli("doctor", db=url)
    else:
        as_user("ada")
        assert cli("agent", "add", "root", "--role", "admin").exit_code == 0
        as_user("root")
        result = cli("doctor")

    assert result.exit_code == 0, result.stdout
    lines = result.stdout.splitlines()
    assert lines[-1] == "all good"
    assert any(line.startswith("ok  schema: schema ") for line in lines)
    assert any(line.startswith("ok  agent: you (root) are agent root") for line in lines)
    if stores.kind == "sqlite":
        assert "ok  files: private" in result.stdout and "ok  wal: write-ahead log" in lines


@sqlite_only
def test_doctor_names_each_problem_with_its_fix_and_exits_1(stores, cli, tmp_path, as_user):
    desk = tmp_path / "desk" / "desk.sqlite3"
    url = f"sqlite:///{desk}"
    as_user("root")
    assert cli("init", db=url).exit_code == 0
    assert cli("agent", "add", "nobody-on-this-host-x", db=url).exit_code == 0
    desk.chmod(0o644)
    as_user("someone-else")

    result = cli("doctor", db=url)

    assert result.exit_code == 1
    fixes = [line for line in result.stdout.splitlines() if line.startswith("FIX")]
    assert f"FIX files: {desk} has mode 0644, not 0600 (private desk) -> chmod 600 {desk}" \
        in fixes
    assert any(line.startswith("FIX agent: you (someone-else) are not an active agent")
               and "deskterm agent add someone-else" in line for line in fixes)
    assert any("agent nobody-on-this-host-x: no user nobody-on-this-host-x on this host"
               in line for line in fixes)
    assert len(fixes) == 3


@sqlite_only
def test_doctor_json_and_a_missing_desk(stores, cli, tmp_path):
    result = cli("doctor", "--json", db=f"sqlite:///{tmp_path / 'none.sqlite3'}")

    assert result.exit_code == 1
    found = json.loads(result.stdout)
    assert found["ok"] is False
    assert [check["check"] for check in found["checks"]] == ["desk"]
    assert "no deskterm desk yet" in found["checks"][0]["detail"]
    assert not (tmp_path / "none.sqlite3").exists()


def test_doctor_reports_a_schema_behind_with_the_command(stores, cli):
    url = stores.url(migrated=False)
    _empty = Store(url)  # SQLite: an empty file (PostgreSQL: the empty database is there)
    _empty.engine.connect().close()
    _empty.dispose()

    result = cli("doctor", db=url)

    assert result.exit_code == 1
    assert "FIX schema: schema (none), this deskterm needs" in result.stdout
    assert "-> run `deskterm init`" in result.stdout


def test_doctor_help_and_a_wrong_flag(stores, cli):
    assert "exit code 0 when all is well" in cli("doctor", "--help").stdout
    wrong = cli("doctor", "--jsn")
    assert wrong.exit_code == 2 and len(wrong.stderr.strip().splitlines()) == 1
