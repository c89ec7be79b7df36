"""The ticket lifecycle: new -> open -> pending / on hold -> solved -> closed, and reopening."""

from __future__ import annotations

# Re-exported: the console names them from here (it never imports the store).
from deskterm.db.models import CHANNELS as CHANNELS
from deskterm.db.models import PRIORITIES as PRIORITIES
from deskterm.db.models import STATUSES as STATUSES
from deskterm.db.models import TICKET_TYPES as TICKET_TYPES
from deskterm.desk.errors import InvalidInput, TransitionRefused

WAITING = frozenset({"pending", "on_hold"})
"""Waiting on the customer (pending) or on a third party (on hold): the desk's clock stops."""

UNSOLVED = frozenset({"new", "open", "pending", "on_hold"})

ALLOWED: dict[str, frozenset[str]] = {
    "new": frozenset({"open", "pending", "on_hold", "solved"}),
    "open": frozenset({"pending", "on_hold", "solved"}),
    "pending": frozenset({"open", "on_hold", "solved"}),
    "on_hold": frozenset({"open", "pending", "solved"}),
    "solved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}
"""Which status each status may move to. ``new`` is only ever the first; ``closed`` is final."""

REPLY_STATUSES = ("open", "pending", "on_hold", "solved")
"""The statuses a public reply can be sent as ("send as"), in the order they are offered."""


def reply_statuses(current: str) -> tuple[str, ...]:
    """The statuses a reply to a ``current`` ticket can be sent as: where the lifecycle lets it
    go from ``current``, or ``current`` itself (a solved ticket: reopened, or kept solved)."""
    return tuple(status for status in REPLY_STATUSES
                 if status == current or status in ALLOWED[check_status(current)])


PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise InvalidInput(f"status '{status}' is not one of: {', '.join(STATUSES)}")
    return status


def check_priority(priority: str) -> int:
    """The stored rank of a priority name."""
    if priority not in PRIORITY_RANK:
        raise InvalidInput(f"priority '{priority}' is not one of: {', '.join(PRIORITIES)}")
    return PRIORITY_RANK[priority]


def priority_name(rank: int) -> str:
    return PRIORITIES[rank]


def check_type(ticket_type: str) -> str:
    if ticket_type not in TICKET_TYPES:
        raise InvalidInput(f"type '{ticket_type}' is not one of: {', '.join(TICKET_TYPES)}")
    return ticket_type


def check_channel(channel: str) -> str:
    """How a ticket came in, one of :data:`CHANNELS` (any case); stored lower-cased."""
    name = channel.strip().lower()
    if name not in CHANNELS:
        raise InvalidInput(f"channel: '{channel[:40]}' is not one of: {', '.join(CHANNELS)}")
    return name


def check_tier(tier: int) -> int:
    if tier not in (1, 2, 3):
        raise InvalidInput(f"tier {tier} is not 1, 2 or 3")
    return tier


def check_transition(ref: str, old: str, new: str) -> None:
    """Refuse a status change the lifecycle does not allow, saying why."""
    check_status(new)
    if old == new:
        return
    if old == "closed":
        raise TransitionRefused(f"{ref} is closed, and closed is final: open a follow-up ticket")
    if new not in ALLOWED[old]:
        if new == "new":
            raise TransitionRefused(f"{ref} cannot go back to new; set it to open instead")
        if new == "closed":
            raise TransitionRefused(f"{ref} is {old}: only a solved ticket can be closed")
        raise TransitionRefused(f"{ref} is solved: it can be reopened (open) or closed")
