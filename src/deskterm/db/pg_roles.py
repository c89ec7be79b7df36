"""Per-agent database roles on PostgreSQL: each agent connects as a role of their own, and the
server keeps them to what the app lets them do.

Migration 0021 made the name-free parts (the ``db_role_*`` tables, the ``deskterm_*`` functions
and triggers). The roles' names are cluster-wide and chosen at ``deskterm init
--per-agent-roles`` (two desks on one server need two group roles), so the grants to the group
role are made here, by the owner: at init and again after every ``db upgrade`` (a new table gets
its grants then). What needs the owner role: ``init`` (it creates the group role and needs
CREATEROLE), ``db upgrade``/migrations, ``demo`` and other bulk loads (``ANALYZE`` and sequence
resets), ``db backup``/``restore``. ``agent add`` by an admin creates the agent's role through
``deskterm_give_db_role`` (SECURITY DEFINER: the owner's CREATEROLE, for admins only).

The privileges of the group role (``AGENTS_ROLE``): read every table (row-level security hides
a restricted group's tickets, their messages and events from an agent outside it); insert,
update and delete in every table but those below (the admin-only ones, ``agents``,
``messages`` and ``macros`` are guarded by 0021's triggers); insert only into ``events`` and
``audit_log`` (append-only: no agent, admin or not, alters or deletes one); no delete from
tickets, messages, customers, organizations and attachments (deskterm never deletes them);
nothing but read in ``alembic_version`` and the ``db_role_*`` tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

PREFIX = "db_role"
"""The start of every table and column that 0021 made and no model holds."""

AGENTS_ROLE = "deskterm_agents"
ROLE_PREFIX = "dt_"
APPEND_ONLY = ("events", "audit_log")
"""Tables agents may insert into but never change or delete from."""
READ_ONLY = ("alembic_version", "db_role_agents", "db_role_settings")
NEVER_DELETED = ("tickets", "messages", "customers", "organizations", "attachments")
"""Tables deskterm never deletes from (a merge closes a ticket; nothing removes a message)."""
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,39}")


def is_db_role_object(name: str | None) -> bool:
    """Whether a table or column is 0021's (not a model's): the schema comparison skips it."""
    return bool(name) and str(name).startswith(PREFIX)


@dataclass(frozen=True)
class RoleSettings:
    agents_role: str
    role_prefix: str


def check_role_name(name: str, *, what: str) -> str:
    """A role name or prefix deskterm writes unquoted: lower-case letters, digits and '_'."""
    if not _ROLE_NAME.fullmatch(name):
        raise ValueError(f"{what} '{name[:40]}' must be lower-case letters, digits and '_' "
                         "(at most 40, not starting with a digit)")
    return name


def _postgres(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def settings(connection: Connection) -> RoleSettings | None:
    """The desk's role names; None on SQLite or a desk without per-agent roles (or migrated
    only as far as a revision before 0021)."""
    if not _postgres(connection) or connection.execute(
            text("SELECT to_regclass('db_role_settings')")).scalar() is None:
        return None
    row = connection.execute(text(
        "SELECT agents_role, role_prefix FROM db_role_settings WHERE id = 1")).first()
    return None if row is None else RoleSettings(row[0], row[1])


def can_create_roles(connection: Connection) -> bool:
    """Whether the connection's role may create roles (CREATEROLE, or a superuser)."""
    return bool(connection.execute(text(
        "SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user")).scalar())


def enable(connection: Connection, *, agents_role: str, role_prefix: str) -> RoleSettings:
    """Turn per-agent roles on (the owner, in one transaction): the group role, the settings,
    the grants. A desk that has them already keeps its names; others are refused."""
    check_role_name(agents_role, what="--agents-role")
    check_role_name(role_prefix, what="--role-prefix")
    current = settings(connection)
    if current is not None and current != RoleSettings(agents_role, role_prefix):
        raise ValueError(f"this desk's agents already have roles: group role "
                         f"{current.agents_role}, prefix {current.role_prefix}")
    # (made again when missing: a desk restored on another server)
    exists = connection.execute(text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r"),
                                {"r": agents_role}).first()
    if exists is None:
        connection.execute(text(f'CREATE ROLE "{agents_role}" NOLOGIN'))
    elif exists[0]:
        raise ValueError(f"role {agents_role} exists and can log in: the agents' group "
                         "role must be one of its own (give --agents-role another name)")
    if current is None:
        connection.execute(text("INSERT INTO db_role_settings (id, agents_role, role_prefix) "
                                "VALUES (1, :g, :p)"), {"g": agents_role, "p": role_prefix})
    apply_grants(connection)
    return RoleSettings(agents_role, role_prefix)


def apply_grants(connection: Connection) -> None:
    """(Re)grant the group role its privileges on every table of the desk (after init and after
    every upgrade); nothing on a desk without per-agent roles."""
    found = settings(connection)
    if found is None or connection.execute(text(
            "SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": found.agents_role}).first() is None:
        return  # (no group role: a desk restored on another server, until init makes it)
    group = f'"{found.agents_role}"'
    schema = connection.execute(text("SELECT quote_ident(current_schema())")).scalar()
    tables = connection.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars().all()
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {group}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {group}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {group}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {group}",
        f"GRANT EXECUTE ON FUNCTION deskterm_give_db_role(integer) TO {group}",
    ]
    for table in sorted(tables):
        if table in APPEND_ONLY:
            statements.append(f'GRANT INSERT ON "{table}" TO {group}')
        elif table in NEVER_DELETED:
            statements.append(f'GRANT INSERT, UPDATE ON "{table}" TO {group}')
        elif table not in READ_ONLY:
            statements.append(f'GRANT INSERT, UPDATE, DELETE ON "{table}" TO {group}')
    for statement in statements:
        connection.execute(text(statement))


def give_role(session: Session, agent_id: int) -> str | None:
    """The database role of agent ``agent_id``, made now if it has none; None on a desk
    without per-agent roles (and on SQLite). ValueError (one line) when it cannot be made."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    try:
        role = session.execute(text("SELECT deskterm_give_db_role(:a)"),
                               {"a": agent_id}).scalar()
    except DBAPIError as exc:
        # a name too long for a role, or another program's role of that name: the caller
        # refuses the whole change in one line
        if getattr(exc.orig, "sqlstate", None) in ("42622", "42710"):
            raise ValueError(str(exc.orig).strip().splitlines()[0]) from None
        raise
    return None if role is None else str(role)


def role_of(session: Session, agent_id: int) -> str | None:
    """The database role of agent ``agent_id`` (None: none, or SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    found: Any = session.execute(text(
        "SELECT role_name FROM db_role_agents WHERE agent_id = :a"), {"a": agent_id}).scalar()
    return None if found is None else str(found)


def session_username(session: Session) -> str | None:
    """The agent the connection's ``session_user`` is (per-agent roles); None for a role that is
    no agent's (the owner, a shared URL) and on SQLite: then the OS user name tells."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    found: Any = session.execute(text("SELECT deskterm_session_username()")).scalar()
    return None if found is None else str(found)


__all__ = ["AGENTS_ROLE", "ROLE_PREFIX", "RoleSettings", "apply_grants", "can_create_roles",
           "check_role_name",
           "enable", "give_role", "is_db_role_object", "role_of", "session_username",
           "settings"]
