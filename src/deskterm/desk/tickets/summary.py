"""A ticket's line in a list: the one read model the console's first screen needs.

Kept apart from :mod:`deskterm.desk.reads` (which re-exports it) so that the console, drawing
its first rows, loads this one class rather than every read model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


def ref(number: int) -> str:
    """The form customers quote: ``#1042``."""
    return f"#{number}"


@dataclass(frozen=True)
class SlaTimes:
    """A ticket's SLA clock as stored (``deskterm.desk.sla.due`` keeps it current): the
    console counts down from it in business time (``deskterm.desk.sla.clock``)."""

    policy_id: int
    due_at: datetime | None
    """The earliest due time of the targets still running (None: none runs, or paused)."""
    first_response_due_at: datetime | None = None
    next_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    paused_at: datetime | None = None


@dataclass(frozen=True)
class TicketSummary:
    number: int
    subject: str
    status: str
    priority: str
    type: str
    channel: str
    tier: int
    requester_name: str
    requester_email: str | None
    organization: str | None
    assignee: str | None
    group: str | None
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    reopens: int
    version: int
    customer_replied_at: datetime | None = None
    """When the requester last wrote after opening the ticket."""
    unseen_reply: bool = False
    """The requester wrote after the assignee last looked at or worked on the ticket."""
    sla: SlaTimes | None = None
    """Its SLA clock (None: no policy applies)."""

    @property
    def ref(self) -> str:
        return ref(self.number)
