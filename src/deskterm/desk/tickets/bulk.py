"""Bulk actions: one change (take, assign, group, status, priority, tags) on many tickets at once.

The change goes through the same rules and audit trail as a single ticket's
(:func:`deskterm.desk.tickets.ticket.update_ticket`, through :mod:`deskterm.desk.tickets.change`):
every changed ticket gets a new version and one event per changed field. A ticket that cannot
take the change (closed, a status it may not move to, or in a group restricted from the
agent: :mod:`deskterm.desk.people.access`) is skipped and reported; the rest is
changed. Everything happens in the caller's one transaction (``Store.write``), so an unexpected
error leaves every ticket as it was.

Bulk actions apply to the tickets as they are now, so they carry no expected versions; they do
raise the versions, so an agent still editing one of the tickets from before is told it moved
on. They do not mark the tickets seen: nobody read them.

After the change, the ``updated`` rules run on every changed ticket and a ticket moved
unassigned into a group is assigned by its strategy, exactly as after one agent's change (a
help desk's triggers fire on bulk updates too: Zendesk's do); each is a change of its own,
naming the rule or the group. A desk without rules on ``updated`` pays nothing for it; with
some, each changed ticket's facts are read once (a few queries a ticket).

For speed the tickets are locked and read a thousand at a time, their tags read and written in
batches, and all events written in one flush: a few thousand tickets take a few seconds.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, tuple_
from sqlmodel import Session, col, select

from deskterm import lazy
from deskterm.db.models import Agent, Event, Group, Tag, Ticket, TicketTag, key
from deskterm.desk.errors import InvalidInput, TransitionRefused
from deskterm.desk.people import access
from deskterm.desk.reads import AgentRead, ref
from deskterm.desk.safe_text import clean_line
from deskterm.desk.tickets import lifecycle
from deskterm.desk.tickets.change import (
    NONE,
    Change,
    TicketChanges,
    apply_changes,
    means_none,
    resolve_changes,
    tag_ids,
)
from deskterm.desk.tickets.checks import normalize_tags

if TYPE_CHECKING:
    from deskterm.desk.automation import firing
else:
    firing = lazy.module("deskterm.desk.automation.firing")  # it imports this package

BULK_CONFIRM_OVER = 50
"""The console asks for confirmation before changing more tickets than this."""

_CHUNK = 1_000
"""Tickets locked and read per statement (well under SQLite's bound-parameter limit)."""


@dataclass(frozen=True)
class BulkChange:
    """What to do to every selected ticket; the defaults leave a field as it is."""

    take: bool = False
    """Assign the tickets to the acting agent."""
    assignee: str | None = None
    """A username, or :data:`~deskterm.desk.tickets.change.NONE` to unassign."""
    group: str | None = None
    """A group name, or :data:`~deskterm.desk.tickets.change.NONE` to take the tickets out of
    their group."""
    status: str | None = None
    priority: str | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return self == BulkChange()

    def describe(self) -> str:
        """A short phrase: ``assigned to bert, status pending``."""
        parts = []
        if self.take:
            parts.append("taken")
        if self.assignee is not None:
            parts.append("unassigned" if means_none(self.assignee)
                         else f"assigned to {self.assignee.strip()}")
        if self.group is not None:
            parts.append("removed from their group" if means_none(self.group)
                         else f"group {self.group.strip()}")
        if self.status is not None:
            parts.append(f"status {self.status.strip()}")
        if self.priority is not None:
            parts.append(f"priority {self.priority.strip()}")
        if self.add_tags:
            parts.append(f"tagged {', '.join(self.add_tags)}")
        if self.remove_tags:
            parts.append(f"untagged {', '.join(self.remove_tags)}")
        return ", ".join(parts) or "nothing"


@dataclass(frozen=True)
class BulkResult:
    """Which tickets changed, which already were so, and which were skipped and why."""

    changed: tuple[int, ...]
    unchanged: tuple[int, ...]
    """Tickets that already were as asked (no new version, no event)."""
    skipped: tuple[tuple[int, str], ...]
    """Tickets that could not take the change, each with the reason (``closed`` ...)."""
    description: str = ""
    """What was asked, as :meth:`BulkChange.describe` put it."""

    def summary(self) -> str:
        """One line: ``Changed 12 tickets (assigned to bert); skipped 2 closed``."""
        line = f"Changed {_tickets(len(self.changed))}"
        if self.description:
            line += f" ({self.description})"
        if self.unchanged:
            line += f"; {len(self.unchanged):,} already so"
        if self.skipped:
            reasons = Counter(reason for _, reason in self.skipped)
            line += "; skipped " + ", ".join(f"{count:,} {reason}"
                                             for reason, count in reasons.most_common())
        return line


def _tickets(count: int) -> str:
    if count == 0:
        return "no tickets"
    return "1 ticket" if count == 1 else f"{count:,} tickets"


def as_ticket_changes(change: BulkChange, actor: AgentRead) -> TicketChanges:
    """The single-ticket change doing the same (names checked there)."""
    if change.is_empty():
        raise InvalidInput("nothing to change: give at least one field")
    if change.take and change.assignee is not None:
        raise InvalidInput("take or assign, not both")
    assignee = change.assignee
    if change.take:
        assignee = actor.username
    elif assignee is not None:
        assignee = NONE if means_none(assignee) else assignee.strip()
    group = change.group
    if group is not None:
        group = NONE if means_none(group) else group.strip()
    return TicketChanges(
        status=change.status.strip() if change.status is not None else None,
        priority=change.priority.strip() if change.priority is not None else None,
        assignee=assignee,
        group=group,
        add_tags=normalize_tags(change.add_tags, where="add tags"),
        remove_tags=normalize_tags(change.remove_tags, where="remove tags"),
    )


def unique_numbers(numbers: Sequence[int]) -> list[int]:
    """``numbers`` without repeats, in their first order."""
    return list(dict.fromkeys(numbers))


def lock_tickets(session: Session, numbers: list[int]) -> dict[int, Ticket]:
    """Lock and load the tickets, a chunk at a time, in ticket-number order (no deadlocks)."""
    found: dict[int, Ticket] = {}
    ordered = sorted(numbers)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start:start + _CHUNK]
        for ticket in session.exec(
            select(Ticket)
            .where(col(Ticket.id).in_(chunk))
            .order_by(col(Ticket.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all():
            found[key(ticket)] = ticket
    return found


class _BatchedTags:
    """Every ticket's tags read up front; links to remove and add written at the end."""

    def __init__(self, session: Session, numbers: list[int]) -> None:
        self.session = session
        self.tags: dict[int, list[str]] = defaultdict(list)
        for start in range(0, len(numbers), _CHUNK):
            for number, name in session.exec(
                select(TicketTag.ticket_id, Tag.name)
                .join(Tag, col(Tag.id) == col(TicketTag.tag_id))
                .where(col(TicketTag.ticket_id).in_(numbers[start:start + _CHUNK]))
                .order_by(col(Tag.name))
            ).all():
                self.tags[number].append(name)
        self.removed: list[tuple[int, str]] = []
        self.added: list[tuple[int, str]] = []

    def tags_of(self, number: int) -> tuple[str, ...]:
        return tuple(self.tags.get(number, ()))

    def set_tags(self, number: int, old: tuple[str, ...], new: tuple[str, ...]) -> None:
        self.removed.extend((number, name) for name in old if name not in new)
        self.added.extend((number, name) for name in new if name not in old)

    def write(self) -> None:
        ids = tag_ids(self.session, sorted({name for _, name in self.removed + self.added}))
        removed = [(number, ids[name]) for number, name in self.removed]
        for start in range(0, len(removed), _CHUNK):
            self.session.execute(
                delete(TicketTag).where(
                    tuple_(col(TicketTag.ticket_id), col(TicketTag.tag_id))
                    .in_(removed[start:start + _CHUNK])
                ).execution_options(synchronize_session=False)
            )
        if self.added:
            self.session.execute(
                insert(TicketTag),
                [{"ticket_id": number, "tag_id": ids[name]} for number, name in self.added],
            )


def restricted_from(session: Session, actor: AgentRead | None,
                    tickets: dict[int, Ticket]) -> dict[int, str]:
    """The tickets (by number) in a group restricted from ``actor``, each with the reason it
    is skipped: its group, never its subject (as :func:`~deskterm.desk.people.access.refusal`)."""
    hidden = access.hidden_groups(session, actor)
    if not hidden:
        return {}
    names = {key(group): group.name for group in session.exec(
        select(Group).where(col(Group.id).in_(hidden))).all()}
    return {number: f"in group {clean_line(names.get(ticket.group_id, '?'))}, restricted to "
                    "its members"
            for number, ticket in tickets.items() if ticket.group_id in hidden}


def why_refused(ticket: Ticket, status: str | None) -> str | None:
    """Why ``ticket`` cannot take the change, or None if it can."""
    if ticket.status == "closed":
        return "closed"
    if status is not None:
        try:
            lifecycle.check_transition(ref(key(ticket)), ticket.status, status)
        except TransitionRefused:
            return f"{ticket.status.replace('_', ' ')} (cannot become {status.replace('_', ' ')})"
    return None


def apply_bulk(
    session: Session,
    *,
    actor: AgentRead,
    numbers: Sequence[int],
    change: BulkChange,
) -> BulkResult:
    """Make ``change`` on every ticket in ``numbers``, within the caller's transaction.

    Every value and name is checked before any ticket is touched (InvalidInput / NotFound for
    an unknown status, assignee, group ...). Closed tickets, missing tickets and tickets whose
    status may not move to the asked one are skipped and reported. Each changed ticket gets a
    new version with one audit event per changed field, as a single change would.
    """
    wanted = resolve_changes(session, as_ticket_changes(change, actor))
    numbers = unique_numbers(numbers)
    tickets = lock_tickets(session, numbers)
    # The names tickets refer to, held here so each lookup is a hit in the identity map
    # (which keeps only weak references), not a query (and an autoflush) per ticket.
    people = (session.exec(select(Agent)).all(), session.exec(select(Group)).all())
    tags = _BatchedTags(session, sorted(tickets)) if wanted.touches_tags else None
    restricted = restricted_from(session, actor, tickets)

    events: list[dict[str, Any]] = []
    made: list[Change] = []
    changed: list[int] = []
    unchanged: list[int] = []
    skipped: list[tuple[int, str]] = []
    for number in numbers:
        ticket = tickets.get(number)
        if ticket is None:
            skipped.append((number, "not found"))
            continue
        if number in restricted:
            skipped.append((number, restricted[number]))
            continue
        reason = why_refused(ticket, wanted.status)
        if reason is not None:
            skipped.append((number, reason))
            continue
        ticket_change = Change(session, ticket, actor)
        if tags is None:
            apply_changes(ticket_change, wanted)
        else:
            apply_changes(ticket_change, wanted, tags_of=tags.tags_of, set_tags=tags.set_tags)
        rows = ticket_change.bump()
        if rows:
            events.extend(rows)
            made.append(ticket_change)
            changed.append(number)
        else:
            unchanged.append(number)
    if tags is not None:
        tags.write()
    session.flush()  # the tickets' new versions
    if events:
        session.execute(insert(Event), events)
    # Then, as after any agent's change, the ``updated`` rules on each changed ticket, and the
    # group's strategy on one moved unassigned into a group (in ticket order; each its own
    # change naming the rule or the group, at the ticket's next version).
    for ticket_change in made:
        firing.after_change(ticket_change)
    del people
    return BulkResult(changed=tuple(changed), unchanged=tuple(unchanged),
                      skipped=tuple(skipped), description=change.describe())


__all__ = ["BULK_CONFIRM_OVER", "BulkChange", "BulkResult", "apply_bulk", "restricted_from"]
