"""The change kernel: how a ticket changes. Everything that changes tickets goes through it
(the ticket's own actions, macros, ticket operations, bulk actions, e-mail; later rules and
SLAs).

Every change locks the ticket row (:func:`lock_ticket`: ``FOR UPDATE`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` already holds the write lock), so two agents never overwrite each other. A
change may carry the version the agent saw; if the ticket moved on since,
:func:`refuse_if_stale` raises :class:`~deskterm.desk.errors.StaleTicket` saying who changed what.

The steps: :func:`resolve_changes` checks a :class:`TicketChanges` and looks up its names before
any ticket is touched (a :class:`Wanted`); :func:`lock_ticket`, :func:`refuse_if_closed` and
:func:`refuse_if_stale` guard the ticket; a :class:`Change` collects the field changes
(:func:`apply_changes`, :func:`add_message`) and :meth:`Change.finish` writes them as one new
version with an event per field; :func:`record_seen` clears the acting agent's unseen marker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from deskterm import lazy
from deskterm.db.errors import WriteConflict
from deskterm.db.models import (
    Agent,
    Event,
    Group,
    Message,
    Tag,
    Ticket,
    TicketSeen,
    TicketTag,
    key,
)
from deskterm.db.ticket_rows import insert_ticket_tags, known_tag_ids, link_existing_tags
from deskterm.db.types import utcnow
from deskterm.db.upsert import upsert
from deskterm.desk.csat import confirm
from deskterm.desk.errors import InvalidInput, NotFound, PermissionDenied, StaleTicket
from deskterm.desk.mail import outbox
from deskterm.desk.people import access
from deskterm.desk.people.directory import (
    find_agent,
    find_group,
)
from deskterm.desk.reads import (
    AgentRead,
    ref,
)
from deskterm.desk.sla import due as sla_due
from deskterm.desk.tickets import lifecycle
from deskterm.desk.tickets.checks import check_version, in_range, normalize_tags

if TYPE_CHECKING:
    from deskterm.desk.automation import firing
else:
    # The rules are run after a change; they make their own changes with this module (loaded
    # on first use: the rules package imports the kernel).
    firing = lazy.module("deskterm.desk.automation.firing")


_LOCK_TICKET = (select(Ticket).where(col(Ticket.id) == bindparam("number")).with_for_update()
                .execution_options(populate_existing=True))
"""Built once (every customer's answer by mail locks its ticket: building the query cost
about a quarter of running it), the number bound per call."""


def lock_ticket(session: Session, number: int, *, actor: AgentRead | None) -> Ticket:
    """Ticket ``number``, locked for this transaction and read afresh; NotFound if there is none.

    ``actor`` (always named, so no new caller forgets it): the agent changing it, refused
    (PermissionDenied, before anything else about the ticket is said) when its group is
    restricted from them; None is the system (rules, SLAs, timers, mail), which may change
    every ticket.
    """
    if not in_range(number):
        raise NotFound(f"no ticket {ref(number)}")
    ticket = session.exec(_LOCK_TICKET, params={"number": number}).first()
    if ticket is None:
        raise NotFound(f"no ticket {ref(number)}")
    if actor is not None and ticket.group_id is not None:
        hidden = access.hidden_groups(session, actor)
        if ticket.group_id in hidden:
            group = session.get(Group, ticket.group_id)
            raise access.refusal(number, group.name if group is not None else "?")
    return ticket


def tag_ids(session: Session, names: Iterable[str]) -> dict[str, int]:
    """The ids of the tags ``names``, made where missing."""
    names = list(names)
    if not names:
        return {}
    found = known_tag_ids(session, names)
    for name in names:
        if name not in found:
            tag = Tag(name=name)
            session.add(tag)
            try:
                session.flush()
            except IntegrityError as exc:
                # Another transaction added the same new tag first: run the whole write again.
                raise WriteConflict(f"tag {name} was created concurrently") from exc
            found[name] = key(tag)
    return found


def link_new_ticket_tags(session: Session, number: int, names: tuple[str, ...], *,
                         linked: set[int] | None = None) -> None:
    """The tags ``names`` of ticket ``number``, just filed (made where missing): one
    statement when they all exist. ``linked``: the ids of those already linked (by the
    statement that wrote the ticket's first message, on PostgreSQL); nothing more is sent
    when that is all of them."""
    if not names:
        return
    if linked is None:
        linked = link_existing_tags(session, number, list(names))
    if len(linked) < len(names):
        insert_ticket_tags(session, number, [tag_id for tag_id in tag_ids(session, names).values()
                                             if tag_id not in linked])


def ticket_tags(session: Session, number: int) -> tuple[str, ...]:
    """Ticket ``number``'s tags, sorted."""
    return tuple(
        session.exec(
            select(Tag.name)
            .join(TicketTag, col(TicketTag.tag_id) == col(Tag.id))
            .where(TicketTag.ticket_id == number)
            .order_by(Tag.name)
        ).all()
    )


def replace_ticket_tags(session: Session, number: int, old: tuple[str, ...],
                        new: tuple[str, ...]) -> None:
    """Ticket ``number``'s tags go from ``old`` to ``new``."""
    removed = set(old) - set(new)
    added = [tag for tag in new if tag not in old]
    if not removed and not added:  # (a new ticket without tags: no flush to pay for)
        return
    if removed:
        removed_ids = list(tag_ids(session, removed).values())
        for link in session.exec(
            select(TicketTag).where(TicketTag.ticket_id == number,
                                    col(TicketTag.tag_id).in_(removed_ids))
        ).all():
            session.delete(link)
    for tag_id in tag_ids(session, added).values():
        session.add(TicketTag(ticket_id=number, tag_id=tag_id))
    session.flush()


def _as_text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


class Change:
    """Collects one version's field changes on a locked ticket and writes their events."""

    def __init__(self, session: Session, ticket: Ticket, actor: AgentRead | None,
                 *, via: str | None = None) -> None:
        self.session = session
        self.ticket = ticket
        self.actor = actor
        self.via = via
        """What made the change when it is automatic (``rule:NAME``, ``sla:NAME``): every event
        names it."""
        self.events: list[tuple[str, str | None, str | None]] = []
        self.event_vias: list[str | None] = []
        """The ``via`` of each event, as it was when the event was recorded: the rules' pass
        makes every matching rule's actions one change, each event naming its own rule."""
        self.now = utcnow()
        self.solved = False
        """The ticket became solved in this change: its requester is sent the confirmation
        (the solution, that a reply reopens it, the rating question) when it is written."""
        self.trigger = "updated"
        self.wrote_message = False
        """What the change is to the rules run after it (``updated``, ``customer_reply``)."""
        self.public_reply = False
        """A public reply was added (meets a running next-response SLA target)."""
        self.customer_message = False
        """The requester wrote (starts a next-response SLA target)."""

    def record(self, field: str, old: object, new: object) -> None:
        self.events.append((field, _as_text(old), _as_text(new)))
        self.event_vias.append(self.via)

    def set_status(self, new: str) -> None:
        ticket = self.ticket
        lifecycle.check_transition(ref(key(ticket)), ticket.status, new)
        if new == ticket.status:
            return
        if new == "solved" and ticket.assignee_id is None and self.actor is not None:
            # A solved ticket always has someone who solved it: the agent solving it.
            self.set_assignee(self.actor.id, self.actor.username)
        if ticket.status == "solved" and new == "open":
            ticket.reopens += 1
        self.record("status", ticket.status, new)
        ticket.status = new
        if new == "solved":
            ticket.solved_at = self.now
            self.solved = True
        elif new == "closed":
            ticket.closed_at = self.now

    def set_assignee(self, agent_id: int | None, username: str | None) -> None:
        ticket = self.ticket
        if agent_id == ticket.assignee_id:
            return
        old = _agent_name(self.session, ticket.assignee_id)
        self.record("assignee", old, username)
        ticket.assignee_id = agent_id

    def bump(self) -> list[dict[str, Any]]:
        """Make the changes one new version of the ticket; returns their event rows.

        Nothing is written yet (the ticket is in the session). No changes: no new version and
        no rows. Bulk changes insert the rows of thousands of tickets in one statement.
        Either way the ticket's SLA policy and due times are brought up to date
        (:func:`deskterm.desk.sla.due.refresh`): derived values, no version of their own.
        """
        sla_due.refresh(self.session, self.ticket, self.now, public_reply=self.public_reply,
                        customer_message=self.customer_message)
        if not self.events:
            return []
        ticket = self.ticket
        ticket.version += 1
        ticket.updated_at = self.now
        self.session.add(ticket)
        if self.solved and ticket.status == "solved":
            confirm.queue_confirmation(self.session, ticket)
        actor_id = self.actor.id if self.actor else None
        return [
            {"ticket_id": ticket.id, "actor_agent_id": actor_id, "field": field, "old": old,
             "new": new, "version": ticket.version, "at": self.now, "via": via}
            for (field, old, new), via in zip(self.events, self.event_vias, strict=True)
        ]

    def finish(self) -> Ticket:
        """Write the changes as one new version with an event per changed field, then run the
        rules on it (a change that changed nothing and added no message is not ``updated``; a
        customer's message is a ``customer_reply``)."""
        for row in self.bump():
            self.session.add(Event(**row))
        self.session.flush()
        if self.events or self.wrote_message or self.trigger != "updated":
            firing.after_change(self)
        return self.ticket


def record_seen(session: Session, number: int, agent_id: int, at: datetime) -> None:
    """Upsert: ``agent_id`` has seen ticket ``number`` at ``at`` (never moves backwards)."""
    upsert(session, TicketSeen, {"ticket_id": number, "agent_id": agent_id, "seen_at": at},
           keys=("ticket_id", "agent_id"), update=("seen_at",),
           where=lambda excluded: col(TicketSeen.seen_at) < excluded.seen_at)


def refuse_if_closed(ticket: Ticket, doing: str) -> None:
    """A closed ticket cannot be changed: PermissionDenied naming what was tried (``doing``)."""
    if ticket.status == "closed":
        raise PermissionDenied(
            f"{ref(key(ticket))} is closed, and closed is final: cannot {doing}"
        )


def _agent_name(session: Session, agent_id: int | None) -> str | None:
    """The username of the agent ``agent_id`` (None for none)."""
    agent = session.get(Agent, agent_id) if agent_id else None
    return agent.username if agent is not None else None


def active_agent(session: Session, username: str) -> Agent:
    """The agent ``username``, if active (a deactivated agent is not assigned tickets)."""
    agent = find_agent(session, username)
    if not agent.active:
        raise InvalidInput(f"agent '{username}' is deactivated and cannot be assigned tickets")
    return agent


SYSTEM_AUTHORS = ("rule:", "sla:", "automation:")
"""The ``via`` of a change whose messages have no author but it: a rule, an SLA policy's
escalation, the desk's timers (pending reminders)."""


def add_message(change: Change, *, body: str, public: bool, minutes: int | None = None) -> None:
    """The acting agent's reply (``public``) or internal note on the locked ticket of ``change``.
    A reply is queued in the outbox for the requester when the desk e-mails its replies.

    Written at ``change.now``; a reply is the first response if there was none. The caller
    checked the body and minutes, refused a closed ticket, sets the status (a reply to a new
    ticket opens it unless sent as another status) and calls ``change.finish()``.
    """
    session, ticket, actor = change.session, change.ticket, change.actor
    written_by = change.via if change.via is not None and \
        change.via.startswith(SYSTEM_AUTHORS) else None
    if actor is None and written_by is None:
        raise ValueError("add_message: a reply or note is an agent's or a rule's (this change "
                         "has neither)")
    # A rule's message has no author, even when an agent's change set the rule off: the agent
    # did not write it.
    message = Message(ticket_id=key(ticket),
                      author_agent_id=actor.id if actor is not None and written_by is None
                      else None,
                      public=public, body=body, created_at=change.now, minutes=minutes,
                      via=written_by)
    session.add(message)
    change.wrote_message = True
    if public:
        # E-mailed to the requester in this same transaction: the reply and its mail are
        # stored together or not at all (a note never leaves).
        outbox.queue_reply(session, ticket=ticket, message=message)
    if public and written_by is None:
        change.public_reply = True  # (a rule's automatic answer is not a person's response)
    if public and ticket.first_response_at is None and written_by is None:
        ticket.first_response_at = change.now
    ticket.updated_at = change.now
    session.add(ticket)


NONE = "none"
"""How every change says "nobody": an assignee or group of ``"none"`` unassigns the ticket or takes
it out of its group, in a :class:`TicketChanges`, a :class:`~deskterm.desk.tickets.bulk.BulkChange`
and a macro's actions alike (and in the filter language: ``assignee:none``)."""


def means_none(value: str) -> bool:
    """Whether ``value`` says :data:`NONE` (any case, blanks around it ignored). The empty string
    says it too: no username or group name is empty (the console's pickers use it as the key of
    "Unassigned" and "No group", so an agent named ``none`` can still be picked)."""
    return value.strip().lower() in (NONE, "")


@dataclass(frozen=True)
class TicketChanges:
    """Fields to change on a ticket; ``None`` leaves a field as it is."""

    status: str | None = None
    priority: str | None = None
    type: str | None = None
    assignee: str | None = None
    """A username, or :data:`NONE` to unassign."""
    group: str | None = None
    """A group name, or :data:`NONE` to take the ticket out of its group."""
    tier: int | None = None
    tags: tuple[str, ...] | None = None
    """Replace the tags with these."""
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return self == TicketChanges()


def refuse_if_stale(session: Session, ticket: Ticket, expected: int | None) -> None:
    """StaleTicket (who changed what since) if ``ticket`` is not at ``expected`` (None: any
    version)."""
    check_version(expected)
    if expected is None or expected == ticket.version:
        return
    rows = session.exec(
        select(Event, Agent.username)
        .outerjoin(Agent, col(Agent.id) == col(Event.actor_agent_id))
        .where(Event.ticket_id == ticket.id, Event.version > expected)
        .order_by(col(Event.id))
    ).all()
    who = sorted({username or event.via or "the system" for event, username in rows}) \
        or ["someone"]
    what = "; ".join(
        f"{event.field} {event.old or '-'} → {event.new or '-'}" for event, _ in rows
    ) or "its fields"
    raise StaleTicket(
        f"{ref(key(ticket))} was changed by {', '.join(who)} since you loaded it "
        f"(version {expected}, now {ticket.version}): {what}; reload and try again",
        number=key(ticket),
        current_version=ticket.version,
    )


@dataclass(frozen=True)
class Wanted:
    """A :class:`TicketChanges` checked and resolved to rows, before any ticket is touched."""

    changes: TicketChanges
    status: str | None
    rank: int | None
    ticket_type: str | None
    tier: int | None
    replace_tags: tuple[str, ...] | None
    add_tags: tuple[str, ...]
    remove_tags: tuple[str, ...]
    assignee: Agent | None
    group: Group | None

    @property
    def touches_tags(self) -> bool:
        return self.replace_tags is not None or bool(self.add_tags) or bool(self.remove_tags)


def resolve_changes(session: Session, changes: TicketChanges) -> Wanted:
    """Validate every value and look up every name, so nothing is half-applied later."""
    if changes.is_empty():
        raise InvalidInput("nothing to change: give at least one field")
    return Wanted(
        changes=changes,
        status=lifecycle.check_status(changes.status) if changes.status else None,
        rank=lifecycle.check_priority(changes.priority) if changes.priority else None,
        ticket_type=lifecycle.check_type(changes.type) if changes.type else None,
        tier=lifecycle.check_tier(changes.tier) if changes.tier is not None else None,
        replace_tags=normalize_tags(changes.tags) if changes.tags is not None else None,
        add_tags=normalize_tags(changes.add_tags),
        remove_tags=normalize_tags(changes.remove_tags),
        assignee=(active_agent(session, changes.assignee)
                  if changes.assignee is not None and not means_none(changes.assignee) else None),
        group=(find_group(session, changes.group)
               if changes.group is not None and not means_none(changes.group) else None),
    )


TagsOf = Callable[[int], tuple[str, ...]]
SetTags = Callable[[int, tuple[str, ...], tuple[str, ...]], None]


def apply_changes(
    change: Change,
    wanted: Wanted,
    *,
    tags_of: TagsOf | None = None,
    set_tags: SetTags | None = None,
) -> None:
    """Make ``wanted`` on the locked ticket of ``change``, recording an event per changed field.

    The ticket must not be closed. The status is set last, so a refused transition raises
    after the other fields changed: a caller that goes on after it (the bulk path) checks the
    transition first. ``tags_of``/``set_tags`` read and write the ticket's tags (by default one
    ticket at a time; the bulk path passes batched versions).
    """
    session, ticket, changes = change.session, change.ticket, wanted.changes
    if changes.assignee is not None:
        assignee = wanted.assignee
        change.set_assignee(assignee.id if assignee else None,
                            assignee.username if assignee else None)
    if changes.group is not None:
        group = wanted.group
        new_group = group.id if group else None
        if new_group != ticket.group_id:
            if group is not None and change.via is None:
                access.require_group_open(session, change.actor, group_id=key(group),
                                          group=group.name)
            old_group = session.get(Group, ticket.group_id) if ticket.group_id else None
            old = old_group.name if old_group is not None else None
            change.record("group", old, group.name if group else None)
            ticket.group_id = new_group
    if wanted.rank is not None and wanted.rank != ticket.priority:
        change.record("priority", lifecycle.priority_name(ticket.priority),
                      lifecycle.priority_name(wanted.rank))
        ticket.priority = wanted.rank
    if wanted.ticket_type is not None and wanted.ticket_type != ticket.type:
        change.record("type", ticket.type, wanted.ticket_type)
        ticket.type = wanted.ticket_type
    if wanted.tier is not None and wanted.tier != ticket.tier:
        change.record("tier", ticket.tier, wanted.tier)
        ticket.tier = wanted.tier
    if wanted.touches_tags:
        number = key(ticket)
        old_tags = (tags_of or (lambda n: ticket_tags(session, n)))(number)
        base = wanted.replace_tags if wanted.replace_tags is not None else old_tags
        new_tags = tuple(sorted((set(base) | set(wanted.add_tags)) - set(wanted.remove_tags)))
        if new_tags != old_tags:
            change.record("tags", ",".join(old_tags), ",".join(new_tags))
            (set_tags or (lambda n, old, new: replace_ticket_tags(session, n, old, new)))(
                number, old_tags, new_tags)
    if wanted.status is not None:
        change.set_status(wanted.status)
    elif ticket.status == "new" and ticket.assignee_id is not None:
        # Someone owns it now: it is being worked on.
        change.set_status("open")
