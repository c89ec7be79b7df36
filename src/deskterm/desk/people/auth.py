"""Who acts: the agent is the operating-system user running deskterm (admins may act ``--as``).

What an agent may do is in :mod:`.permissions`.
"""

from __future__ import annotations

from sqlmodel import Session, select

from deskterm.db import pg_roles
from deskterm.db.models import Agent
from deskterm.desk.errors import IdentityError, PermissionDenied
from deskterm.desk.limits import storable
from deskterm.desk.people.directory import agent_read
from deskterm.desk.people.identity import os_username  # noqa: F401  (auth.os_username, as before)
from deskterm.desk.reads import AgentRead


def resolve_actor(session: Session, *, username: str, act_as: str | None = None) -> AgentRead:
    """The agent acting: ``username``'s agent, or with ``act_as`` (admins only) that agent.

    On a PostgreSQL desk with per-agent roles the connection's role decides, not ``username``:
    an agent connected as their own role is that agent whatever user name the client reports
    (:mod:`deskterm.db.pg_roles`)."""
    return _resolve(session, username=pg_roles.session_username(session) or username,
                    act_as=act_as)


def _resolve(session: Session, *, username: str, act_as: str | None) -> AgentRead:
    agent = (session.exec(select(Agent).where(Agent.username == username)).first()
             if storable(username) else None)
    if agent is None:
        if session.exec(select(Agent.id).limit(1)).first() is None:
            raise IdentityError("this desk has no agents yet: run `deskterm init`")
        raise IdentityError(
            f"'{username}' is not an agent of this desk: an admin can add you with "
            f"`deskterm agent add {username}`"
        )
    if not agent.active:
        raise IdentityError(
            f"agent '{username}' is deactivated: an admin can reactivate it with "
            f"`deskterm agent set {username} --active`"
        )
    actor = agent_read(session, agent)
    if act_as is None or act_as == username:
        return actor
    if not actor.is_admin:
        raise PermissionDenied(f"--as is for admins only, and '{username}' is an agent")
    return _resolve(session, username=act_as, act_as=None)
