"""Drafts: what an agent is writing on a ticket, kept in the store as they type.

The console stores the text while the agent types (``desk.draft_saving``: a pause after the last
key, at the latest a maximum wait after the first one not stored), so a killed process loses at
most the last second of typing, and a dropped SSH connection (SIGHUP) or SIGTERM nothing;
opening the ticket again brings the text back. Sending the message discards the draft in the same
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, delete, select

from deskterm.db.models import DRAFT_KINDS, Draft
from deskterm.db.types import utcnow
from deskterm.db.upsert import upsert
from deskterm.desk.errors import InvalidInput
from deskterm.desk.limits import check_int, check_text
from deskterm.desk.people.directory import find_agent
from deskterm.desk.reads import AgentRead

MAX_DRAFT = 100_000
"""Characters a draft may hold (a message body's limit too)."""


@dataclass(frozen=True)
class DraftRead:
    number: int
    kind: str
    body: str
    minutes: int | None
    updated_at: datetime


def save_draft(session: Session, *, actor: AgentRead, number: int, kind: str, body: str,
               minutes: int | None = None) -> None:
    """Keep ``body`` as ``actor``'s draft on ticket ``number`` (an empty one is discarded)."""
    if kind not in DRAFT_KINDS:
        raise InvalidInput(f"draft kind '{kind}' is not one of: {', '.join(DRAFT_KINDS)}")
    body = check_text(body, field="draft")
    if minutes is not None:
        check_int(minutes, field="draft time spent", low=0)
    if len(body) > MAX_DRAFT:
        raise InvalidInput(f"a draft holds at most {MAX_DRAFT:,} characters")
    if not body.strip() and minutes is None:
        discard_draft(session, actor=actor, number=number)
        return
    upsert(session, Draft, {"ticket_id": number, "agent_id": actor.id, "kind": kind,
                            "body": body, "minutes": minutes, "updated_at": utcnow()},
           keys=("ticket_id", "agent_id"), update=("kind", "body", "minutes", "updated_at"))


def get_draft(session: Session, *, agent: str, number: int) -> DraftRead | None:
    """``agent``'s (a username) draft on ticket ``number``, if they left one."""
    agent_id = find_agent(session, agent).id
    draft = session.exec(select(Draft).where(Draft.ticket_id == number,
                                             Draft.agent_id == agent_id)).first()
    if draft is None:
        return None
    return DraftRead(number=number, kind=draft.kind, body=draft.body, minutes=draft.minutes,
                     updated_at=draft.updated_at)


def discard_draft(session: Session, *, actor: AgentRead, number: int) -> None:
    session.execute(delete(Draft).where(col(Draft.ticket_id) == number,
                                        col(Draft.agent_id) == actor.id))
