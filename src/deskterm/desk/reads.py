"""Read models: plain frozen values handed to the CLI and the console, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, fields
from dataclasses import field as dataclass_field
from datetime import datetime
from typing import Any

from deskterm.desk.tickets.summary import TicketSummary as TicketSummary  # re-exported
from deskterm.desk.tickets.summary import ref as ref


def as_json(value: Any) -> Any:
    """A read model (or a list of them) as JSON-ready data: timestamps in ISO 8601."""
    if isinstance(value, list | tuple):
        return [as_json(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        data = {f.name: as_json(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, TicketSummary):
            data = {"ref": value.ref, **data}
        elif isinstance(value, TicketDetail):
            data["minutes_spent"] = value.minutes_spent
        return data
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class CustomerRead:
    id: int
    name: str
    email: str | None
    """None for a requester known only by name (a phone call, a chat, an import)."""
    organization: str | None
    internal: bool
    tier: str


@dataclass(frozen=True)
class AgentRead:
    id: int
    username: str
    display_name: str
    email: str | None
    role: str
    active: bool
    skills: tuple[str, ...]
    groups: tuple[str, ...] = ()
    away: bool = False
    """Automatic assignment skips them (holiday, off shift)."""
    capacity: int | None = None
    """The most unsolved tickets automatic assignment gives them (None: no limit)."""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class GroupRead:
    id: int
    name: str
    description: str
    members: tuple[str, ...]
    assignment: str = "manual"
    """manual, round-robin, least-loaded or skills."""
    restricted: bool = False
    """Its tickets are seen and changed by its members (and admins) only; else by everyone."""


@dataclass(frozen=True)
class MailMark:
    """How a public reply's e-mail is doing: ``queued`` (``reason``: why the last attempt
    failed, if one did), ``sending``, ``sent`` (``at``) or ``failed`` (with the reason)."""

    state: str
    attempts: int = 0
    reason: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class MessageRead:
    id: int
    author: str
    author_kind: str  # "agent", "customer" or "rule" (no one wrote it: ``author`` names the rule)
    public: bool
    body: str
    created_at: datetime
    minutes: int | None = None
    """Time the agent said they spent on it."""
    mail: MailMark | None = None
    """A public reply e-mailed to the requester: how its mail is doing (None: not e-mailed)."""


@dataclass(frozen=True)
class EventRead:
    actor: str | None
    field: str
    old: str | None
    new: str | None
    version: int
    at: datetime
    via: str | None = None
    """What made an automatic change (``rule:Route billing``), beside or instead of an actor."""

    @property
    def by(self) -> str:
        """Who made the change, as shown: the agent, what acted automatically, or both."""
        if self.actor and self.via:
            return f"{self.actor} via {self.via}"
        return self.actor or self.via or "system"


@dataclass(frozen=True)
class TicketLinks:
    """The tickets linked to one ticket."""

    related: tuple[TicketSummary, ...] = ()
    incidents: tuple[TicketSummary, ...] = ()
    """When the ticket is a problem: its incidents (recurrences of the same root cause)."""
    problem: TicketSummary | None = None
    """When the ticket is an incident: the problem it is linked to."""

    def is_empty(self) -> bool:
        return not (self.related or self.incidents or self.problem)


@dataclass(frozen=True)
class RatingRead:
    """A ticket's satisfaction rating (CSAT 1-5)."""

    ticket: int
    score: int
    comment: str
    rated_at: datetime
    recorded_by: str | None
    """The agent who wrote it down (None: the customer's own reply)."""


@dataclass(frozen=True)
class TicketDetail:
    ticket: TicketSummary
    requester: CustomerRead
    messages: tuple[MessageRead, ...]
    events: tuple[EventRead, ...]
    links: TicketLinks = dataclass_field(default_factory=TicketLinks)
    merged_into: int | None = None
    """The ticket this one was merged into (it is closed; its messages are there now)."""
    merged_from: tuple[int, ...] = ()
    """The tickets merged into this one."""
    rating: RatingRead | None = None
    """The requester's satisfaction rating of it, if rated."""
    requester_ratings: tuple[RatingRead, ...] = ()
    """The requester's ratings of all their tickets, newest first (their history)."""

    @property
    def minutes_spent(self) -> int:
        """Time spent on the ticket: the sum over its replies and notes."""
        return sum(message.minutes or 0 for message in self.messages)


@dataclass(frozen=True)
class Page:
    """One keyset page of tickets; pass ``next_cursor`` back to get the following page."""

    items: tuple[TicketSummary, ...]
    next_cursor: str | None
