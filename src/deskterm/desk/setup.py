"""Setting a desk up: the first admin."""

from __future__ import annotations

from sqlmodel import Session, select

from deskterm.db.models import Agent
from deskterm.desk.people.directory import add_agent, check_display_name, normalize_email
from deskterm.desk.reads import AgentRead


def ensure_first_admin(
    session: Session, *, username: str, display_name: str | None = None, email: str | None = None
) -> AgentRead | None:
    """Make ``username`` the admin of a desk that has no agents; ``None`` if it has some.

    The name and e-mail are checked first, so a bad one is refused on a desk that is already
    set up too (where they would not be used) rather than passed over in silence."""
    if display_name:
        check_display_name(display_name)
    if email:
        normalize_email(email)
    if session.exec(select(Agent.id).limit(1)).first() is not None:
        return None
    return add_agent(session, username=username, display_name=display_name, email=email,
                     role="admin")
