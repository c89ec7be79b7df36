"""Setting a desk up: the first admin."""

from __future__ import annotations

from sqlmodel import Session, select

from deskterm.db.models import Agent
from deskterm.desk.people import add_agent
from deskterm.desk.reads import AgentRead


def ensure_first_admin(
    session: Session, *, username: str, display_name: str | None = None, email: str | None = None
) -> AgentRead | None:
    """Make ``username`` the admin of a desk that has no agents; ``None`` if it has some."""
    if session.exec(select(Agent.id).limit(1)).first() is not None:
        return None
    return add_agent(session, username=username, display_name=display_name, email=email,
                     role="admin")
