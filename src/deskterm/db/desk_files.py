"""Who may read and write a SQLite desk's files: private to one user, or shared by a Unix group.

A desk is a folder of files: the database, the ``-wal`` and ``-shm`` files SQLite keeps beside
it while it is open (and a ``-journal`` during a bulk load), the scratch files of bulk loads and
the backups ``deskterm db backup`` writes. They hold every customer's mail and every internal
note, so none of them is ever readable by the world.

- **Private** (the default): the folder 0700, every file 0600.
- **Shared** (``deskterm init --shared-group GROUP``): the folder setgid to ``GROUP`` and 2770,
  so every file made in it belongs to the group, whoever makes it; every file 0660.

SQLite makes the ``-wal``, ``-shm`` and ``-journal`` files with the database file's mode, whatever
the process's umask (it changes the mode of a new one after opening it), in the folder's group.
So getting the database file's mode right when it is made, and the folder's group, makes every
agent's files right, in either order, with any umask. What SQLite cannot get right is a file it
opens without being allowed to write the database: a ``-shm`` made by such a connection is
read-only for the others, and blocks every writer even after the database's mode is fixed. So
before any connection (:func:`check_access`) a desk that this user cannot read and write is
refused, with what to fix, and a ``-wal``/``-shm`` left with another mode is given the
database's mode again when it is this user's, or named (with its owner) when it is not.

Standard library only: the console's first window (``deskterm.db.opening``) checks too.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from deskterm.db.errors import StoreUnavailable

try:
    import grp
    import pwd
except ImportError:  # Windows: no Unix users, groups or modes to keep
    grp = pwd = None  # type: ignore[assignment]

SHARED_FOLDER_MODE = 0o2770
PRIVATE_FOLDER_MODE = 0o700
SHARED_FILE_MODE = 0o660
PRIVATE_FILE_MODE = 0o600
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside the database."""
SCRATCH_PREFIX = ".deskterm-"
"""Scratch files of bulk loads (``deskterm.db.bulk``) and backups being written start so."""


class DeskAccessError(StoreUnavailable):
    """A desk's files do not let this user work on it; the message says what to fix."""


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a desk's files, and the command (or step) that fixes it."""

    what: str
    fix: str


def describe_mode(mode: int) -> str:
    return f"{stat.S_IMODE(mode):04o}"


def _euid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else -1


def owner_name(uid: int) -> str:
    if pwd is None:
        return str(uid)
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid: int) -> str:
    if grp is None:
        return str(gid)
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def is_shared_folder(folder: Path) -> bool:
    """A folder set up by ``--shared-group``: setgid, the group may read, write and enter."""
    try:
        mode = folder.stat().st_mode
    except OSError:
        return False
    return bool(mode & stat.S_ISGID) and mode & 0o070 == 0o070


def file_mode_for(folder: Path) -> int:
    """The mode of a new file of the desk in ``folder``."""
    return SHARED_FILE_MODE if is_shared_folder(folder) else PRIVATE_FILE_MODE


def side_files(path: Path) -> list[Path]:
    """The ``-wal``, ``-shm`` and ``-journal`` files beside the database that exist now."""
    return [found for suffix in SIDE_SUFFIXES
            if (found := path.with_name(path.name + suffix)).exists()]


def _desk_entries(folder: Path, desk: Path) -> bool:
    """Whether ``folder`` holds nothing but ``desk``'s files (and deskterm's scratch files)."""
    ours = {desk.name, *(desk.name + suffix for suffix in SIDE_SUFFIXES)}
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return all(name in ours or name.startswith(SCRATCH_PREFIX) for name in names)


def lookup_group(name: str) -> int:
    if grp is None:
        raise DeskAccessError("--shared-group needs Unix groups: not on this system")
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise DeskAccessError(f"--shared-group: there is no group {name!r} on this host; "
                              f"create it (`groupadd {name}`) and add the agents "
                              f"(`usermod -aG {name} USER`)") from None


def prepare_folder(desk: Path, *, group: str | None) -> None:
    """Make (or set) the desk's folder before its database exists or is shared.

    ``group``: the folder becomes setgid to it and 2770, and the desk's existing files are
    shared (:func:`share_files`). Without it a folder deskterm makes is 0700; an existing folder
    is made 0700 only when it holds nothing but the desk (the files are 0600 anyway)."""
    folder = desk.parent
    gid = None if group is None else lookup_group(group)
    made = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DeskAccessError(f"cannot create {folder}: {exc.strerror}") from None
    if group is None:
        if (made or _desk_entries(folder, desk)) and not is_shared_folder(folder) \
                and folder.stat().st_uid == _euid():
            os.chmod(folder, PRIVATE_FOLDER_MODE)
        return
    assert gid is not None
    if not made and not _desk_entries(folder, desk):
        raise DeskAccessError(
            f"--shared-group: {folder} holds other files than the desk's; give the desk a "
            f"folder of its own (for example --db sqlite:////srv/deskterm/desk.sqlite3)")
    try:
        os.chown(folder, -1, gid)
        os.chmod(folder, SHARED_FOLDER_MODE)
    except PermissionError:
        if made:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise DeskAccessError(
            f"--shared-group: cannot give {folder} to group {group!r}: you must own the folder "
            f"and be a member of the group (`id` lists your groups; after `usermod -aG "
            f"{group} $USER` log in again)") from None
    share_files([desk, *side_files(desk)], gid=gid)


def share_files(paths: Iterable[Path], *, gid: int) -> None:
    """Give existing files of the desk to the group, 0660 (files of others are refused)."""
    for path in paths:
        try:
            if not path.exists():
                continue
            os.chown(path, -1, gid)
            os.chmod(path, SHARED_FILE_MODE)
        except PermissionError:
            owner = owner_name(path.stat().st_uid)
            raise DeskAccessError(
                f"--shared-group: cannot share {path}: it belongs to {owner}; ask {owner} or "
                f"root to run `chgrp {group_name(gid)} {path} && chmod 660 {path}`") from None


def create_database_file(desk: Path) -> None:
    """Make the empty database file with the desk's mode before SQLite opens it (SQLite would
    make it 0644 less the umask: readable by everyone, not writable by the group)."""
    mode = file_mode_for(desk.parent)
    try:
        fd = os.open(desk, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     mode)
    except FileExistsError:
        return
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)  # the umask took bits away; put back the group's
    finally:
        os.close(fd)


def give_desk_mode(new_file: Path, desk: Path) -> None:
    """Give a file deskterm made for the desk (a scratch file, a backup) the database's mode
    and group: what the agents may do with the desk, they may do with it; nobody else."""
    try:
        desk_stat = desk.stat()
    except OSError:
        os.chmod(new_file, file_mode_for(desk.parent))
        return
    mode = stat.S_IMODE(desk_stat.st_mode) & 0o660 | 0o600
    if new_file.stat().st_gid != desk_stat.st_gid:
        try:
            os.chown(new_file, -1, desk_stat.st_gid)
        except PermissionError:  # not a member of the desk's group: for this user alone
            mode = 0o600
    os.chmod(new_file, mode)


def _as_owner(uid: int) -> str:
    if uid == _euid():
        return ""
    return " (as root)" if uid == 0 else f" (as {owner_name(uid)} or root)"


def _fix_line(path: Path, mode: int) -> str:
    return f"chmod {describe_mode(mode)[1:]} {path}"


def check_access(desk: Path, *, write: bool = True) -> None:
    """Refuse a desk this user cannot read and write before SQLite opens it (and leaves a
    read-only ``-shm`` behind); give a ``-wal``/``-shm`` of this user's the database's mode."""
    wanted = os.R_OK | (os.W_OK if write else 0)
    try:
        desk_stat = desk.stat()
    except OSError:
        return  # missing: the caller's to refuse or create
    shared = is_shared_folder(desk.parent)
    if shared and desk_stat.st_uid == _euid() \
            and stat.S_IMODE(desk_stat.st_mode) != SHARED_FILE_MODE:
        with contextlib.suppress(OSError):  # the folder says shared: the owner mends it
            os.chmod(desk, SHARED_FILE_MODE)
            desk_stat = desk.stat()
    shown_mode = describe_mode(desk_stat.st_mode)
    owner, group = owner_name(desk_stat.st_uid), group_name(desk_stat.st_gid)
    if not os.access(desk, wanted):
        raise DeskAccessError(
            f"cannot {'write' if write else 'read'} {desk} (owner {owner}, group {group}, mode "
            f"{shown_mode}): a shared desk is 0660 in a setgid folder of the agents' group "
            f"(`deskterm init --shared-group GROUP` sets it up); run `deskterm doctor`")
    if write and not os.access(desk.parent, os.W_OK | os.X_OK):
        raise DeskAccessError(
            f"cannot write in {desk.parent}: SQLite keeps {desk.name}-wal and -shm there "
            f"(a shared desk's folder is 2770, setgid to the agents' group); run "
            f"`deskterm doctor`")
    desk_mode = SHARED_FILE_MODE if shared else stat.S_IMODE(desk_stat.st_mode) & 0o666
    for side in side_files(desk):
        try:
            side_stat = side.stat()
        except FileNotFoundError:
            continue  # the last connection closed meanwhile and removed it
        if side_stat.st_uid == _euid() and stat.S_IMODE(side_stat.st_mode) != desk_mode:
            with contextlib.suppress(OSError):
                os.chmod(side, desk_mode)
        if write and not os.access(side, os.R_OK | os.W_OK):
            side_owner = owner_name(side_stat.st_uid)
            raise DeskAccessError(
                f"cannot write {side} (owner {side_owner}, mode "
                f"{describe_mode(side_stat.st_mode)}; left by a connection that could not write "
                f"the desk): {side_owner} or root must run "
                f"`{_fix_line(side, file_mode_for(desk.parent))}`")


def inspect_files(desk: Path) -> list[Finding]:
    """What is wrong with the desk's folder and files for a private or a shared desk (the
    folder says which), each with its fix; empty when all is well (``deskterm doctor``)."""
    found: list[Finding] = []
    folder = desk.parent
    try:
        folder_stat = folder.stat()
        desk_stat = desk.stat()
    except OSError as exc:
        return [Finding(f"cannot look at {desk}: {exc.strerror}",
                        "point --db at the desk, or create one with `deskterm init`")]
    shared = is_shared_folder(folder)
    folder_mode = stat.S_IMODE(folder_stat.st_mode)
    if folder_mode & 0o007:
        found.append(Finding(
            f"{folder} is open to every user (mode {describe_mode(folder_stat.st_mode)})",
            f"chmod {'2770' if shared else '700'} {folder}"))
    elif not shared and folder_mode & 0o070 and _desk_entries(folder, desk):
        found.append(Finding(
            f"{folder} is open to group {group_name(folder_stat.st_gid)} but not setgid "
            f"(mode {describe_mode(folder_stat.st_mode)}): files the agents make get their own "
            "groups",
            f"chmod 2770 {folder} (shared) or chmod 700 {folder} (private)"))
    wanted = SHARED_FILE_MODE if shared else PRIVATE_FILE_MODE
    for path in (desk, *side_files(desk)):
        try:
            file_stat = path.stat()
        except FileNotFoundError:
            continue
        mode = stat.S_IMODE(file_stat.st_mode)
        if mode != wanted:
            found.append(Finding(
                f"{path} has mode {describe_mode(mode)}, not {describe_mode(wanted)} "
                f"({'shared' if shared else 'private'} desk)",
                f"{_fix_line(path, wanted)}{_as_owner(file_stat.st_uid)}"))
        if shared and file_stat.st_gid != folder_stat.st_gid:
            group = group_name(folder_stat.st_gid)
            found.append(Finding(
                f"{path} belongs to group {group_name(file_stat.st_gid)}, not {group}",
                f"chgrp {group} {path}{_as_owner(file_stat.st_uid)}"))
        if not shared and path != desk and file_stat.st_uid != desk_stat.st_uid:
            found.append(Finding(
                f"{path} belongs to {owner_name(file_stat.st_uid)}, not to the desk's owner "
                f"{owner_name(desk_stat.st_uid)}",
                "share the desk (`deskterm init --shared-group GROUP`) or remove the file "
                "while no deskterm runs"))
        if not os.access(path, os.R_OK | os.W_OK):
            me, group = owner_name(_euid()), group_name(folder_stat.st_gid)
            if shared:
                fix = (f"usermod -aG {group} {me} (then log in again), or "
                       f"chgrp {group} {path} && chmod 660 {path}{_as_owner(file_stat.st_uid)}")
            else:
                fix = (f"it is {owner_name(file_stat.st_uid)}'s private desk: to share it, "
                       f"{owner_name(file_stat.st_uid)} runs `deskterm init --shared-group "
                       "GROUP` with the agents' group")
            found.append(Finding(f"you ({me}) cannot write {path}", fix))
    return found


def wal_mode(desk: Path) -> bool | None:
    """Whether the database file's header says write-ahead log (bytes 18 and 19 are 2); None
    when it is not a SQLite database (read without opening it through SQLite: no -shm)."""
    try:
        with open(desk, "rb") as handle:
            header = handle.read(20)
    except OSError:
        return None
    if len(header) < 20 or not header.startswith(b"SQLite format 3\x00"):
        return None
    return header[18] == 2 and header[19] == 2
