"""A shared host out of the box: two operating-system users of one Unix group, with their own
umasks (077 and 022), both write to one SQLite desk made by ``deskterm init --shared-group``, in
either order, the ``-wal`` and ``-shm`` files included; a desk one of them cannot write is
refused before SQLite leaves a read-only ``-shm`` behind.

Creating users needs root: the test is skipped (with the reason) otherwise, and fails in CI
(CI=true), where it must run. The users run in forked children of this process (setgroups,
setgid, setuid, umask), calling the CLI in-process: the interpreter may live where they cannot
read it (a pyenv under /root), so everything they need is imported before the fork.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pickle
import pwd
import select
import shutil
import signal
import stat
import subprocess
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.db.engine import Store

from ..conftest import IN_CI

_TOOLS = ("useradd", "userdel", "groupadd", "groupdel")
_WHY_NOT = None
if os.geteuid() != 0:
    _WHY_NOT = "creating operating-system users needs root"
elif not all(shutil.which(tool) for tool in _TOOLS):
    _WHY_NOT = "useradd/groupadd are not installed"

CHILD_SECONDS = 120

pytestmark = [
    pytest.mark.skipif(_WHY_NOT is not None and not IN_CI,
                       reason=f"two OS users sharing a desk: {_WHY_NOT}"),
]


@pytest.fixture(scope="module")
def team() -> Iterator[Team]:
    if _WHY_NOT is not None:  # in CI (CI=true) this test must run
        pytest.fail(f"two OS users sharing a desk cannot be tested: {_WHY_NOT}")
    suffix = f"{os.getpid() % 100_000}"
    made = Team(group=f"dtg{suffix}", other_group=f"dto{suffix}", admin=f"dta{suffix}",
                agent=f"dtb{suffix}")
    try:
        subprocess.run(["groupadd", made.group], check=True)
        subprocess.run(["groupadd", made.other_group], check=True)
        # the admin's own group is the desk's; the agent's is another, the desk's a second one
        subprocess.run(["useradd", "-M", "-N", "-g", made.group, made.admin], check=True)
        subprocess.run(["useradd", "-M", "-N", "-g", made.other_group, "-G", made.group,
                        made.agent], check=True)
        yield made
    finally:
        for user in (made.admin, made.agent):
            subprocess.run(["userdel", user], check=False, capture_output=True)
        for group in (made.group, made.other_group):
            subprocess.run(["groupdel", group], check=False, capture_output=True)


@dataclass
class Team:
    group: str
    other_group: str
    admin: str
    agent: str


@dataclass
class Ran:
    exit_code: int
    stdout: str
    stderr: str


def deskterm(url: str, *args: str) -> Ran:
    """``deskterm --db URL ARGS`` in this process (as whoever this process is)."""
    result = CliRunner().invoke(app, ["--db", url, *args], catch_exceptions=False)
    return Ran(result.exit_code, result.stdout, result.stderr)


class AsUser:
    """``work()`` run in a forked child as the operating-system user ``name`` with ``umask``;
    :meth:`result` waits for what it returned (or raises what it raised)."""

    def __init__(self, name: str, umask: int, work: Callable[[], object], home: Path) -> None:
        reading, writing = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover (the child)
            os.close(reading)
            signal.alarm(CHILD_SECONDS)  # a child never outlives a failed test for long
            try:
                user = pwd.getpwnam(name)
                os.setgroups(os.getgrouplist(name, user.pw_gid))
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)
                os.umask(umask)
                os.environ.update(DESKTERM_CONFIG_DIR=str(home / f"config-{name}"),
                                  DESKTERM_DATA_DIR=str(home / f"data-{name}"))
                outcome: tuple[str, object] = ("ok", work())
            except BaseException as exc:  # the parent raises it
                outcome = ("error", f"{exc!r}\n{traceback.format_exc()}")
            with os.fdopen(writing, "wb") as out:
                pickle.dump(outcome, out)
            os._exit(0)
        os.close(writing)
        self._reading = reading

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)

    def result(self):
        with os.fdopen(self._reading, "rb") as incoming:
            data = incoming.read()
        os.waitpid(self.pid, 0)
        if not data:
            raise AssertionError("the child died without an answer (killed after "
                                 f"{CHILD_SECONDS} s?)")
        kind, value = pickle.loads(data)
        if kind != "ok":
            raise AssertionError(f"in the child: {value}")
        return value


def as_user(name: str, umask: int, work: Callable[[], object], home: Path):
    return AsUser(name, umask, work, home).result()


class Gate:
    """A one-shot signal between processes (a pipe)."""

    def __init__(self) -> None:
        self._reading, self._writing = os.pipe()

    def open(self) -> None:
        os.write(self._writing, b"x")

    def wait(self, timeout: float = 30.0) -> None:
        ready, _, _ = select.select([self._reading], [], [], timeout)
        assert ready, "nobody opened the gate"
        assert os.read(self._reading, 1) == b"x"


@pytest.fixture
def home(team) -> Iterator[Path]:
    """A folder both users can enter, owned by the admin (who makes the desk in it)."""
    base = Path(tempfile.mkdtemp(prefix="deskterm-shared-", dir="/tmp"))
    base.chmod(0o711)
    os.chown(base, pwd.getpwnam(team.admin).pw_uid, -1)
    _warm_up(base, team)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _warm_up(base: Path, team: Team) -> None:
    """Every module the children use, imported here first (they may not be able to read it)."""
    url = f"sqlite:///{base / 'warm' / 'desk.sqlite3'}"
    deskterm(url, "ticket", "list")  # a refusal's path
    deskterm(url, "init", "--shared-group", team.group)
    deskterm(url, "agent", "add", "someone")
    deskterm(url, "ticket", "create", "--subject", "s", "--body", "b", "--requester",
             "carol@acme.test")
    deskterm(url, "ticket", "list")
    deskterm(url, "doctor")
    Store(url, create=False).dispose()
    shutil.rmtree(base / "warm")


def _desk_files(folder: Path) -> dict[str, os.stat_result]:
    return {path.name: path.stat() for path in folder.iterdir()}


def _assert_shared(folder: Path, group: str) -> None:
    gid = grp.getgrnam(group).gr_gid
    folder_stat = folder.stat()
    assert stat.S_IMODE(folder_stat.st_mode) == 0o2770 and folder_stat.st_gid == gid
    for name, found in _desk_files(folder).items():
        assert stat.S_IMODE(found.st_mode) == 0o660, (name, oct(found.st_mode))
        assert found.st_gid == gid, name


def _new_ticket(url: str, subject: str) -> Callable[[], object]:
    def work() -> object:
        made = deskterm(url, "ticket", "create", "--subject", subject, "--body", "b",
                        "--requester", "carol@acme.test")
        assert made.exit_code == 0, made.stderr
        return made.stdout

    return work


@pytest.mark.parametrize("first_is_admin", [True, False], ids=["admin-first", "agent-first"])
def test_two_os_users_of_one_group_both_write_one_sqlite_desk_in_either_order(team, home,
                                                                               first_is_admin):
    folder = home / "desk"
    url = f"sqlite:///{folder / 'desk.sqlite3'}"
    umasks = {team.admin: 0o022, team.agent: 0o077}

    def set_up() -> object:
        made = deskterm(url, "init", "--shared-group", team.group)
        added = deskterm(url, "agent", "add", team.agent)
        assert made.exit_code == 0 and added.exit_code == 0, made.stderr + added.stderr
        return None

    as_user(team.admin, umasks[team.admin], set_up, home)
    first, second = (team.admin, team.agent) if first_is_admin else (team.agent, team.admin)
    ready, release = Gate(), Gate()

    def hold_the_desk_open() -> object:
        store = Store(url, create=False)
        with store.read() as session:  # a pooled connection keeps -wal and -shm in place
            session.connection().exec_driver_sql("SELECT count(*) FROM tickets").scalar()
        _new_ticket(url, f"first by {first}")()
        ready.open()
        release.wait()
        _new_ticket(url, f"again by {first}")()
        store.dispose()
        return None

    holder = AsUser(first, umasks[first], hold_the_desk_open, home)
    try:
        ready.wait()
        _both_at_once(team, folder, url, first=first, second=second, umasks=umasks, home=home)
        release.open()
        holder.result()
    finally:
        holder.kill()
    _alone_in_turn(team, folder, url, first=first, second=second, umasks=umasks, home=home)


def _both_at_once(team: Team, folder: Path, url: str, *, first: str, second: str,
                  umasks: dict[str, int], home: Path) -> None:
    """The first user has the desk open (their -wal and -shm); the second writes and reads."""
    files = _desk_files(folder)
    first_uid = pwd.getpwnam(first).pw_uid
    assert files["desk.sqlite3-wal"].st_uid == first_uid  # made by the first user ...
    assert files["desk.sqlite3-shm"].st_uid == first_uid
    _assert_shared(folder, team.group)  # ... group read-write whatever their umask

    def write_and_read() -> object:
        _new_ticket(url, f"by {second} while {first} has it open")()
        listed = deskterm(url, "ticket", "list")
        assert listed.exit_code == 0, listed.stderr
        return listed.stdout

    listed = as_user(second, umasks[second], write_and_read, home)
    assert f"first by {first}" in listed


def _alone_in_turn(team: Team, folder: Path, url: str, *, first: str, second: str,
                   umasks: dict[str, int], home: Path) -> None:
    # Nobody has it open: the second user makes new -wal/-shm files; the first writes in them.
    def hold_briefly() -> object:
        store = Store(url, create=False)
        with store.read() as session:
            session.connection().exec_driver_sql("SELECT 1").scalar()
        _new_ticket(url, f"alone by {second}")()
        as_other = sorted(path.name for path in folder.iterdir())
        store.dispose()
        return as_other

    assert "desk.sqlite3-shm" in as_user(second, umasks[second], hold_briefly, home)
    as_user(first, umasks[first], _new_ticket(url, f"last by {first}"), home)

    _assert_shared(folder, team.group)
    store = Store(url, create=False)
    with store.read() as session:
        subjects = {row[0] for row in session.connection().exec_driver_sql(
            "SELECT subject FROM tickets")}
    store.dispose()
    assert subjects == {f"first by {first}", f"by {second} while {first} has it open",
                        f"again by {first}", f"alone by {second}", f"last by {first}"}


def test_a_desk_the_agent_cannot_write_is_refused_without_leaving_a_read_only_shm(team, home):
    folder = home / "desk"
    url = f"sqlite:///{folder / 'desk.sqlite3'}"

    def old_desk() -> object:  # as an older deskterm left it: the file 0644
        assert deskterm(url, "init", "--shared-group", team.group).exit_code == 0
        assert deskterm(url, "agent", "add", team.agent).exit_code == 0
        (folder / "desk.sqlite3").chmod(0o644)
        return None

    as_user(team.admin, 0o022, old_desk, home)

    refused = as_user(team.agent, 0o002, lambda: deskterm(url, "ticket", "list"), home)

    assert refused.exit_code == 1
    assert "cannot write" in refused.stderr and "mode 0644" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert sorted(path.name for path in folder.iterdir()) == ["desk.sqlite3"]  # no -shm left
    doctor = as_user(team.agent, 0o002, lambda: deskterm(url, "doctor"), home)
    assert doctor.exit_code == 1
    assert f"FIX files: {folder / 'desk.sqlite3'} has mode 0644, not 0660 (shared desk) -> " \
        f"chmod 660 {folder / 'desk.sqlite3'} (as {team.admin} or root)" in doctor.stdout
    assert f"FIX files: you ({team.agent}) cannot write" in doctor.stdout
    assert sorted(path.name for path in folder.iterdir()) == ["desk.sqlite3"]

    # the admin shares it again; the agent writes
    as_user(team.admin, 0o022,
            lambda: deskterm(url, "init", "--shared-group", team.group).exit_code, home)
    as_user(team.agent, 0o077, _new_ticket(url, "after the fix"), home)
    _assert_shared(folder, team.group)


def test_a_read_only_shm_left_by_another_user_is_named_with_its_fix(team, home):
    folder = home / "desk"
    url = f"sqlite:///{folder / 'desk.sqlite3'}"
    as_user(team.admin, 0o022, lambda: (deskterm(url, "init", "--shared-group", team.group),
                                        deskterm(url, "agent", "add", team.agent))[0].exit_code,
            home)
    shm = folder / "desk.sqlite3-shm"

    def leave_a_read_only_shm() -> object:  # as the sqlite3 shell on a 0644 desk would
        shm.write_bytes(b"")
        shm.chmod(0o644)
        return None

    as_user(team.agent, 0o022, leave_a_read_only_shm, home)

    refused = as_user(team.admin, 0o022, lambda: deskterm(url, "ticket", "list"), home)
    assert refused.exit_code == 1
    assert f"cannot write {shm} (owner {team.agent}, mode 0644" in refused.stderr
    assert f"chmod 660 {shm}" in refused.stderr
    # the agent's own next start mends it
    as_user(team.agent, 0o022, lambda: deskterm(url, "ticket", "list").exit_code, home)
    assert not shm.exists() or stat.S_IMODE(shm.stat().st_mode) == 0o660
    assert as_user(team.admin, 0o022, lambda: deskterm(url, "ticket", "list").exit_code,
                   home) == 0
