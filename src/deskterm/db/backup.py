"""``deskterm db backup`` and ``deskterm db restore``: a copy of the whole desk, taken while
agents work, and put back.

SQLite: SQLite's online backup API (:meth:`sqlite3.Connection.backup`), a few thousand pages a
step. The copy reads inside one read transaction held on the source for the whole backup, so it
is the desk as it was when the backup started (every ticket committed before it, none half
written), and in WAL mode that transaction blocks no writer: agents go on working. Without it
the API would start over whenever another connection wrote between two steps, and a busy desk
might never finish. The copy is written beside the target under a scratch name with the desk's
mode and group (0600, or 0660 for a shared desk: never readable by others), in rollback-journal
mode (one self-contained file), and renamed into place when complete.

A restore checks the file first (a SQLite database holding a deskterm schema no newer than this
deskterm's, ``PRAGMA quick_check``), refuses a desk that holds anything unless forced, and copies
it in with the same API: the destination stays locked for the copy and readers see the old desk
until it commits, then the new one.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore`` when they are on PATH (the password,
if the URL holds one, goes to them in ``PGPASSWORD``, never on a command line); else
:class:`ToolMissing` gives the exact command to run.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import URL

from deskterm.db import desk_files, migrate, pg_roles
from deskterm.db.engine import Store
from deskterm.db.errors import StoreError, StoreUnavailable
from deskterm.redact import mask_secrets

STEP_PAGES = 2_048
"""Pages copied a step (8 MB at SQLite's 4 KB pages): a progress bar that moves, few steps."""
SCRATCH_PREFIX = desk_files.SCRATCH_PREFIX + "backup-"
SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"

Progress = Callable[[int, int], None]
"""``progress(done, total)`` in pages."""


class BackupError(StoreError):
    """A backup or restore that cannot be done; the message says why and what to do."""


class ToolMissing(BackupError):
    """``pg_dump`` / ``pg_restore`` is not on PATH; the message holds the command to run."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    tickets: int | None
    """Tickets in the copy (None: a PostgreSQL dump, not read back)."""
    revision: str | None
    bytes: int


def backup(store: Store, target: Path, *, replace: bool = False,
           progress: Progress | None = None, step_pages: int = STEP_PAGES) -> BackupResult:
    """Copy the desk into ``target`` (refused when it exists, unless ``replace``)."""
    target = target.expanduser()
    if target.is_dir():
        raise BackupError(f"{target} is a directory: name the backup file")
    if target.exists() and not replace:
        raise BackupError(f"{target} exists: add --force to replace it")
    if not target.parent.is_dir():
        raise BackupError(f"cannot write {target}: there is no folder {target.parent}")
    if store.sqlite_path is not None and target.resolve() in _desk_files(store.sqlite_path):
        raise BackupError(f"{target} is the desk itself: name another file")
    with _scratch(target, store.sqlite_path) as scratch:
        if store.is_sqlite:
            if store.sqlite_path is None:
                raise BackupError("a desk in memory has no file to back up")
            tickets, revision = _backup_sqlite(store, scratch, progress, step_pages)
        else:
            _pg_dump(store, scratch, target)
            tickets, revision = None, None
        size = scratch.stat().st_size
        os.replace(scratch, target)
    return BackupResult(path=target, tickets=tickets, revision=revision, bytes=size)


def _desk_files(desk: Path) -> set[Path]:
    resolved = desk.resolve()
    return {resolved, *(resolved.with_name(resolved.name + s) for s in desk_files.SIDE_SUFFIXES)}


@contextlib.contextmanager
def _scratch(target: Path, desk: Path | None) -> Iterator[Path]:
    """An empty file beside ``target`` with the desk's mode, removed unless renamed."""
    try:
        handle, name = tempfile.mkstemp(prefix=SCRATCH_PREFIX, dir=target.parent)
    except OSError as exc:
        raise BackupError(f"cannot write in {target.parent}: {exc.strerror}") from None
    os.close(handle)
    scratch = Path(name)
    try:
        if desk is not None:
            desk_files.give_desk_mode(scratch, desk)  # 0600, or the shared desk's 0660
        yield scratch
    finally:
        for leftover in (scratch, *(Path(f"{scratch}{s}") for s in desk_files.SIDE_SUFFIXES)):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _raw(store: Store) -> Any:
    return store.engine.raw_connection()


def _backup_sqlite(store: Store, scratch: Path, progress: Progress | None,
                   step_pages: int) -> tuple[int, str | None]:
    raw = _raw(store)
    try:
        source: sqlite3.Connection = raw.driver_connection
        # One read transaction for the whole copy: a snapshot, and writers are not blocked.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        try:
            copy = sqlite3.connect(scratch, isolation_level=None)
            try:
                source.backup(copy, pages=step_pages, progress=_pages(progress))
                copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
                tickets, revision = _contents(copy)
            finally:
                copy.close()
        finally:
            source.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise BackupError(f"the backup failed: {exc}") from None
    finally:
        raw.close()
    return tickets, revision


def _pages(progress: Progress | None) -> Callable[[int, int, int], None] | None:
    if progress is None:
        return None

    def report(_status: int, remaining: int, total: int) -> None:
        progress(total - remaining, total)

    return report


def _contents(connection: sqlite3.Connection) -> tuple[int, str | None]:
    """(tickets, schema revision) of a desk file; a BackupError if it is not one."""
    try:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        tickets = connection.execute("SELECT count(*) FROM tickets").fetchone()[0]
    except sqlite3.Error:
        raise BackupError("not a deskterm backup: it holds no deskterm desk") from None
    return int(tickets), None if revision is None else str(revision[0])


# --- restore ---------------------------------------------------------------------------------


def restore(store: Store, source: Path, *, force: bool = False,
            progress: Progress | None = None, step_pages: int = STEP_PAGES) -> BackupResult:
    """Put the backup ``source`` in place of the desk (refused when the desk holds anything,
    unless ``force``)."""
    source = source.expanduser()
    try:
        with open(source, "rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BackupError(f"cannot read {source}: {exc.strerror}") from None
    state = migrate.schema_state(store)
    if not state.empty and not force:
        raise BackupError(f"{store.display_url} is not empty ({_holds(store, state)}); a "
                          "restore replaces everything in it: add --force")
    if store.is_sqlite:
        if not header.startswith(SQLITE_HEADER):
            raise BackupError(f"{source} is not a SQLite backup of a desk")
        tickets, revision = _restore_sqlite(store, source, progress, step_pages)
        store.write(lambda _session: None)  # open consoles: the desk changed, re-read it
        return BackupResult(path=source, tickets=tickets, revision=revision,
                            bytes=source.stat().st_size)
    if header.startswith(SQLITE_HEADER):
        raise BackupError(f"{source} is a SQLite desk: restore it into a SQLite desk "
                          "(--db sqlite:///FILE), or move it with `deskterm export`/`import`")
    _pg_restore(store, source, plain=not header.startswith(PG_DUMP_HEADER), clean=not state.empty)
    with store.engine.begin() as connection:  # a desk with per-agent roles: grants again
        pg_roles.apply_grants(connection)
    return BackupResult(path=source, tickets=None, revision=None, bytes=source.stat().st_size)


def _holds(store: Store, state: migrate.SchemaState) -> str:
    if state.foreign:
        return "another program's tables"
    try:
        with store.engine.connect() as connection:
            tickets = connection.exec_driver_sql("SELECT count(*) FROM tickets").scalar() or 0
            agents = connection.exec_driver_sql("SELECT count(*) FROM agents").scalar() or 0
    except Exception:  # a desk too old or odd to count: say only that it is one
        return f"a desk at schema {state.current}"
    return (f"{tickets:,} ticket{'' if tickets == 1 else 's'}, "
            f"{agents:,} agent{'' if agents == 1 else 's'}")


def _restore_sqlite(store: Store, source: Path, progress: Progress | None,
                    step_pages: int) -> tuple[int, str | None]:
    # immutable: the backup is read as it is, without a -shm or -journal made beside it
    uri = f"file:{quote(os.fspath(source.resolve()))}?mode=ro&immutable=1"
    try:
        backup_file = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open {source}: {exc}") from None
    try:
        tickets, revision = _contents(backup_file)
        head = migrate.head_revision()
        if revision is not None and revision > head:
            raise BackupError(f"{source} holds schema {revision}, newer than this deskterm's "
                              f"{head}: restore it with the deskterm that made it")
        checked = backup_file.execute("PRAGMA quick_check").fetchone()[0]
        if checked != "ok":
            raise BackupError(f"{source} is damaged (quick_check: {str(checked)[:80]}); "
                              "nothing was restored")
        raw = _raw(store)
        try:
            backup_file.backup(raw.driver_connection, pages=step_pages,
                               progress=_pages(progress))
        finally:
            raw.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the restore failed, the desk is as it was: {exc}") from None
    finally:
        backup_file.close()
    return tickets, revision


# --- PostgreSQL: pg_dump / pg_restore ---------------------------------------------------------


def _pg_target(store: Store) -> tuple[str, dict[str, str]]:
    """The URL for libpq without its password, and the environment that carries it."""
    given = store.url
    env = dict(os.environ)
    if given.password is not None:
        env["PGPASSWORD"] = str(given.password)
    url = URL.create("postgresql", username=given.username, host=given.host, port=given.port,
                     database=given.database, query=given.query)  # no password
    return url.render_as_string(hide_password=False), env


def _run(tool: str, arguments: list[str], store: Store, *, file: Path, shown_file: Path) -> None:
    """Run ``tool`` with ``arguments`` ({url} and {file} filled in), or say how to."""
    conninfo, env = _pg_target(store)

    def filled(for_file: Path) -> list[str]:
        return [part.replace("{url}", conninfo).replace("{file}", os.fspath(for_file))
                for part in [tool, *arguments]]

    shown = shlex.join(filled(shown_file))
    found = shutil.which(tool)
    if found is None:
        password = " (the password in PGPASSWORD or ~/.pgpass)" if store.url.password else ""
        raise ToolMissing(f"{tool} is not on PATH: install the PostgreSQL client tools (the "
                          f"server's version or newer) and run: {shown}{password}")
    command = filled(file)
    command[0] = found
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BackupError(f"cannot run {tool}: {exc.strerror}") from None
    if done.returncode != 0:
        reason = next((line for line in done.stderr.splitlines() if line.strip()), "")
        raise BackupError(f"{tool} failed ({mask_secrets(reason.strip())[:300]}); the command "
                          f"was: {shown}")


def _pg_dump(store: Store, scratch: Path, target: Path) -> None:
    # --no-privileges: per-agent roles' grants name roles of this server; a restore makes
    # them again (deskterm.db.pg_roles), so the backup restores on any server
    _run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--file={file}",
                     "--dbname={url}"],
         store, file=scratch, shown_file=target)
    if scratch.stat().st_size == 0:
        raise BackupError(f"pg_dump wrote nothing to {target}")


def _pg_restore(store: Store, source: Path, *, plain: bool, clean: bool) -> None:
    if plain:
        _run("psql", ["--quiet", "--set=ON_ERROR_STOP=1", "--single-transaction",
                      "--file={file}", "--dbname={url}"], store, file=source, shown_file=source)
        return
    options = ["--clean", "--if-exists"] if clean else []
    _run("pg_restore", ["--no-owner", "--single-transaction", "--exit-on-error", *options,
                        "--dbname={url}", "{file}"], store, file=source, shown_file=source)


def require_file(path: Path) -> None:
    """A backup named for a restore must be a regular file."""
    if not path.expanduser().is_file():
        raise StoreUnavailable(f"{path}: no such backup file")
