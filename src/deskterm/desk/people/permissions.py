"""What an agent may do: the checks every admin-only action of the desk makes, in one place."""

from __future__ import annotations

from deskterm.desk.errors import PermissionDenied
from deskterm.desk.reads import AgentRead


def require_admin(actor: AgentRead, doing: str) -> None:
    """Refuse an admin-only action by an agent, naming the action."""
    if not actor.is_admin:
        raise PermissionDenied(f"only an admin can {doing}; '{actor.username}' is an agent")
