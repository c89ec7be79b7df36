"""Presence: which teammates have a ticket open, and who is writing on it.

Each console sends a heartbeat every few seconds while a ticket is open; a teammate whose last
heartbeat is older than :data:`PRESENCE_TIMEOUT` is gone (a crashed console drops out too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from deskterm.db.models import PRESENCE_ACTIVITIES, Agent, Presence
from deskterm.db.types import utcnow
from deskterm.db.upsert import upsert
from deskterm.desk.errors import InvalidInput
from deskterm.desk.reads import AgentRead

HEARTBEAT_SECONDS = 10
PRESENCE_TIMEOUT = timedelta(seconds=25)
"""Less than 30 s: someone who left is gone within 30 s even between two heartbeats."""


@dataclass(frozen=True)
class Present:
    username: str
    display_name: str
    activity: str
    """``viewing`` or ``writing``."""


def heartbeat(session: Session, *, actor: AgentRead, number: int, activity: str = "viewing",
              now: datetime | None = None) -> None:
    """``actor`` has ticket ``number`` open (and is writing, with ``activity="writing"``)."""
    if activity not in PRESENCE_ACTIVITIES:
        raise InvalidInput(f"activity '{activity}' is not one of: {', '.join(PRESENCE_ACTIVITIES)}")
    upsert(session, Presence, {"ticket_id": number, "agent_id": actor.id, "activity": activity,
                               "seen_at": now or utcnow()},
           keys=("ticket_id", "agent_id"), update=("activity", "seen_at"))


def leave(session: Session, *, actor: AgentRead, number: int) -> None:
    """``actor`` closed ticket ``number``."""
    session.execute(delete(Presence).where(col(Presence.ticket_id) == number,
                                           col(Presence.agent_id) == actor.id))


def present(session: Session, *, number: int, me: AgentRead | None = None,
            now: datetime | None = None) -> list[Present]:
    """Who else has ticket ``number`` open now, writers first."""
    since = (now or utcnow()) - PRESENCE_TIMEOUT
    query = (
        select(Agent.username, Agent.display_name, Presence.activity)
        .join(Agent, col(Agent.id) == col(Presence.agent_id))
        .where(Presence.ticket_id == number, col(Presence.seen_at) >= since)
    )
    if me is not None:
        query = query.where(col(Presence.agent_id) != me.id)
    rows = session.exec(query).all()
    people = [Present(username, display_name, activity) for username, display_name, activity
              in rows]
    return sorted(people, key=lambda p: (p.activity != "writing", p.username))
