"""``deskterm doctor``: what stands between this user and a working desk, and what fixes it.

Each check is one line: the desk's files (who may read and write them: a private desk is a
0700 folder of 0600 files, a shared one a setgid 2770 folder of 0660 files), the schema's
revision, SQLite's write-ahead log, whether this operating-system user is an active agent, and
whether each active agent is a user of this host (and, on a shared desk, of its group). Nothing
is changed: every finding says the command that fixes it.
"""

from __future__ import annotations

import grp
import pwd
from dataclasses import dataclass
from pathlib import Path

from deskterm.db import desk_files, migrate, pg_roles
from deskterm.db.engine import Store, sqlite_desk_path
from deskterm.db.errors import SchemaNotReady, StoreError
from deskterm.desk.people import directory
from deskterm.desk.reads import AgentRead


@dataclass(frozen=True)
class Check:
    """One line of the diagnosis."""

    check: str
    ok: bool
    detail: str
    fix: str | None = None


_SCHEMA_FIX = {
    "empty": "run `deskterm init`",
    "needs upgrade": "run `deskterm db upgrade` (after `deskterm db backup FILE`)",
    "newer": "upgrade deskterm: the desk was made by a newer one",
    "unstamped": "the desk was not made by `deskterm init`: make a new one and import",
    "foreign": "point --db at a deskterm desk: this database holds other tables",
}


def diagnose(url: str, *, username: str) -> tuple[str, list[Check]]:
    """The desk's display URL and the checks, in order (nothing is written)."""
    path = sqlite_desk_path(url)
    checks: list[Check] = []
    if path is not None:
        checks += _file_checks(path)
        header_wal = desk_files.wal_mode(path)
    try:
        store = Store(url, create=False)
    except StoreError as refused:
        shown = url if path is None else f"sqlite:///{path}"
        if isinstance(refused, desk_files.DeskAccessError) and not everything_ok(checks):
            return shown, checks  # the files' lines say it, with their fixes
        return shown, [*checks, Check("desk", False, str(refused), _store_fix(refused))]
    try:
        checks += _store_checks(store, username=username, path=path,
                                header_wal=header_wal if path is not None else None)
    except StoreError as refused:
        checks.append(Check("desk", False, str(refused), _store_fix(refused)))
    finally:
        store.dispose()
    return store.display_url, checks


def _store_fix(refused: StoreError) -> str | None:
    if isinstance(refused, SchemaNotReady) or "deskterm doctor" in str(refused):
        return None  # the refusal says what to run; the files' lines say what to change
    return "check --db (or DESKTERM_DATABASE_URL) and that the desk's server is up"


def _file_checks(path: Path) -> list[Check]:
    if not path.exists():
        return []  # the store's refusal says there is no desk
    findings = desk_files.inspect_files(path)
    if findings:
        return [Check("files", False, found.what, found.fix) for found in findings]
    folder = path.parent
    if desk_files.is_shared_folder(folder):
        group = desk_files.group_name(folder.stat().st_gid)
        detail = f"shared with group {group}: folder setgid 2770, files 0660"
    else:
        detail = "private: folder not open to others, files 0600"
    return [Check("files", True, detail)]


def _store_checks(store: Store, *, username: str, path: Path | None,
                  header_wal: bool | None) -> list[Check]:
    checks: list[Check] = []
    state = migrate.schema_state(store)
    status = state.status
    if status == "up to date":
        checks.append(Check("schema", True, f"schema {state.head} (current)"))
    else:
        checks.append(Check("schema", False,
                            f"schema {state.current or '(none)'}, this deskterm needs "
                            f"{state.head} ({status})", _SCHEMA_FIX.get(status)))
    if store.is_sqlite:
        checks.append(_wal_check(store, header_wal))
    if status != "up to date":
        return checks
    with store.read() as session:
        agents = directory.list_agents(session, include_inactive=False)
        # per-agent roles (PostgreSQL): the connection's role is who you are
        username = pg_roles.session_username(session) or username
        roles = pg_roles.settings(session.connection())
        without_role = [agent.username for agent in agents
                        if roles is not None and pg_roles.role_of(session, agent.id) is None]
    checks.append(_me_check(agents, username))
    if roles is not None:
        checks.append(_roles_check(roles, without_role))
    group_id = None
    if path is not None and desk_files.is_shared_folder(path.parent):
        group_id = path.parent.stat().st_gid
    checks += _mapping_checks(agents, group_id=group_id, strict=store.is_sqlite)
    return checks


def _wal_check(store: Store, header_wal: bool | None) -> Check:
    with store.engine.connect() as connection:  # every connection asks for WAL
        mode = str(connection.exec_driver_sql("PRAGMA journal_mode").scalar() or "")
    if mode.lower() != "wal":
        return Check("wal", False, f"SQLite could not use its write-ahead log (journal mode "
                     f"{mode}): readers would block writers",
                     "keep the desk on a local disk (WAL needs shared memory: not NFS or SMB)")
    if header_wal is False:
        return Check("wal", True, "write-ahead log (switched on now: the file was in "
                     "rollback-journal mode)")
    return Check("wal", True, "write-ahead log")


def _me_check(agents: list[AgentRead], username: str) -> Check:
    for agent in agents:
        if agent.username == username:
            return Check("agent", True, f"you ({username}) are agent {agent.username} "
                         f"({agent.role})")
    return Check("agent", False, f"you ({username}) are not an active agent of this desk",
                 f"an admin runs `deskterm agent add {username}` (or `deskterm agent set "
                 f"{username} --active`)")


def _roles_check(roles: pg_roles.RoleSettings, without_role: list[str]) -> Check:
    if without_role:
        return Check("roles", False, f"agents without a database role of their own: "
                     f"{', '.join(without_role)}",
                     "the owner runs `deskterm init --per-agent-roles` again (with the same "
                     "--agents-role and --role-prefix)")
    return Check("roles", True, f"per-agent database roles (group role {roles.agents_role}, "
                 f"{roles.role_prefix}<username>): every active agent has one")


def _os_user(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def _in_group(user: pwd.struct_passwd, gid: int) -> bool:
    if user.pw_gid == gid or user.pw_uid == 0:  # root reads and writes every file
        return True
    try:
        return user.pw_name in grp.getgrgid(gid).gr_mem
    except KeyError:
        return False


def _mapping_checks(agents: list[AgentRead], *, group_id: int | None,
                    strict: bool) -> list[Check]:
    """Each active agent is the operating-system user of the same name (and, on a shared
    desk, a member of its group). ``strict``: a SQLite desk, used on this host only; on
    PostgreSQL an agent may work from another host, so a missing user is only said."""
    checks: list[Check] = []
    mapped: list[str] = []
    group = None if group_id is None else desk_files.group_name(group_id)
    for agent in agents:
        user = _os_user(agent.username)
        if user is None:
            if strict:
                checks.append(Check(
                    "agents", False, f"agent {agent.username}: no user {agent.username} on "
                    "this host", f"create the user (`useradd {agent.username}`) or deactivate "
                    f"the agent (`deskterm agent deactivate {agent.username}`)"))
            else:
                mapped.append(f"{agent.username} (not a user of this host)")
            continue
        if group_id is not None and group is not None and not _in_group(user, group_id):
            checks.append(Check(
                "agents", False, f"agent {agent.username}: user {agent.username} is not in "
                f"the desk's group {group}", f"usermod -aG {group} {agent.username} (then "
                "log in again)"))
            continue
        mapped.append(f"{agent.username}={user.pw_name}")
    detail = "OS user = agent: " + (", ".join(mapped) if mapped else "(none)")
    return [Check("agents", True, detail), *checks] if mapped else checks


def everything_ok(checks: list[Check]) -> bool:
    return all(check.ok for check in checks)
