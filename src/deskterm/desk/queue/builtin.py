"""The queue's built-in views and what the console shows first, with no store in sight.

Plain values only: the console shows the first view while the store and SQLAlchemy are still
being loaded (see ``deskterm.launch``), so nothing here may import them.
"""

from __future__ import annotations

from dataclasses import dataclass

from deskterm.desk.tickets.summary import TicketSummary

UNSOLVED = "status:new,open,pending,on_hold"


@dataclass(frozen=True)
class View:
    """A named query: what a queue view shows."""

    key: str
    name: str
    query: str
    owner: str | None = None
    """Who saved it (None: built in)."""
    shared: bool = False


BUILTIN_VIEWS: tuple[View, ...] = (
    View("mine", "My open", f"assignee:me {UNSOLVED}"),
    View("unassigned", "Unassigned", f"assignee:none {UNSOLVED}"),
    View("all-open", "All open", UNSOLVED),
    View("pending", "Pending", "status:pending"),
    View("on-hold", "On hold", "status:on_hold"),
    View("solved", "Recently solved", "status:solved updated:<7d"),
    # SLAs (deskterm.desk.sla): under a quarter of a target's time left, and past due.
    View("sla-at-risk", "SLA at risk", "sla:at_risk sort:sla"),
    View("breached", "Breached", "sla:breached sort:sla"),
)


@dataclass(frozen=True)
class QueueStart:
    """The first view as the console opens on it: its rows from the top, and who is looking."""

    query_text: str
    total: int
    rows: tuple[TicketSummary, ...]
    sort: str
    me: str
    """The acting agent's username."""
    where: str
    """The desk's URL as the console shows it (no password)."""
