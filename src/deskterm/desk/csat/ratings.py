"""Satisfaction ratings (CSAT 1-5): one per ticket, the newest wins.

A rating comes from the requester's reply to a solved (or closed) ticket that is a rating
(:mod:`.parse`: recorded by ``add_customer_message``, which then does not reopen the ticket), or
from an agent writing down phone feedback (``deskterm csat record``). Recording is not a field
change of the ticket (its version stays), but it is an audit event (``rating``) like one.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from deskterm.db.models import Agent, Event, SatisfactionRating, Ticket, key
from deskterm.db.upsert import upsert
from deskterm.desk.errors import InvalidInput
from deskterm.desk.reads import AgentRead, RatingRead, ref
from deskterm.desk.safe_text import clean

RATED_STATUSES = ("solved", "closed")
"""A ticket is rated once it is solved (or later, closed)."""
MAX_COMMENT = 2000


def check_score(score: int) -> int:
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise InvalidInput(f"rating: {score!r} is not a score from 1 to 5")
    return score


def record_rating(session: Session, *, ticket: Ticket, score: int, comment: str = "",
                  customer_id: int | None = None, message_id: int | None = None,
                  agent: AgentRead | None = None, at: datetime) -> RatingRead:
    """Record ``score`` (1-5) with ``comment`` for ``ticket`` (solved or closed), replacing an
    earlier rating; an audit event ``rating`` names it (and the agent who recorded it)."""
    number = key(ticket)
    check_score(score)
    if ticket.status not in RATED_STATUSES:
        raise InvalidInput(f"{ref(number)} is {ticket.status.replace('_', ' ')}: a rating is "
                           "for a solved or closed ticket")
    comment = clean(comment).strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"rating comment: {len(comment)} characters, at most {MAX_COMMENT}")
    old = session.exec(select(SatisfactionRating.score)
                       .where(SatisfactionRating.ticket_id == number)).first()
    values = {"ticket_id": number, "customer_id": customer_id or ticket.requester_id,
              "score": score, "comment": comment, "message_id": message_id,
              "recorded_by_id": agent.id if agent else None, "rated_at": at}
    upsert(session, SatisfactionRating, values, keys=("ticket_id",),
           update=("customer_id", "score", "comment", "message_id", "recorded_by_id",
                   "rated_at"))
    session.add(Event(ticket_id=number, actor_agent_id=agent.id if agent else None,
                      field="rating", old=None if old is None else str(old), new=str(score),
                      version=ticket.version, at=at))
    session.flush()
    return RatingRead(number, score, comment, at, agent.username if agent else None)


def _reads(session: Session, where: object, limit: int | None = None) -> list[RatingRead]:
    rows = session.exec(
        select(SatisfactionRating, Agent.username)
        .outerjoin(Agent, col(Agent.id) == col(SatisfactionRating.recorded_by_id))
        .where(where)  # type: ignore[arg-type]
        .order_by(col(SatisfactionRating.rated_at).desc()).limit(limit)).all()
    return [RatingRead(row.ticket_id, row.score, row.comment, row.rated_at, username)
            for row, username in rows]


def rating_of(session: Session, number: int) -> RatingRead | None:
    """Ticket ``number``'s rating, if it has one."""
    found = _reads(session, SatisfactionRating.ticket_id == number)
    return found[0] if found else None


def ratings_of_tickets(session: Session, numbers: list[int]) -> dict[int, RatingRead]:
    """``{ticket: rating}`` for those of ``numbers`` that are rated."""
    if not numbers:
        return {}
    return {read.ticket: read
            for read in _reads(session, col(SatisfactionRating.ticket_id).in_(numbers))}


def ratings_of_customer(session: Session, customer_id: int, *,
                        limit: int = 50) -> list[RatingRead]:
    """The customer's ratings, newest first (at most ``limit``)."""
    return _reads(session, SatisfactionRating.customer_id == customer_id, limit)


__all__ = ["RATED_STATUSES", "RatingRead", "check_score", "rating_of", "ratings_of_customer",
           "ratings_of_tickets", "record_rating"]
