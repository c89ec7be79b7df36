"""Tickets: create, reply, note, change fields (with an audit event each), read and page.

Every change locks the ticket row (``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE``
already holds the write lock), so two agents never overwrite each other. A change may carry the
version the agent saw; if the ticket moved on since, :class:`StaleTicket` says who changed what.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from deskterm.db.errors import WriteConflict
from deskterm.db.models import (
    Agent,
    Customer,
    Event,
    Group,
    Message,
    Tag,
    Ticket,
    TicketSeen,
    TicketTag,
)
from deskterm.db.numbers import allocate_ticket_numbers
from deskterm.db.types import utcnow
from deskterm.db.upsert import upsert
from deskterm.desk import lifecycle
from deskterm.desk.errors import InvalidInput, NotFound, PermissionDenied, StaleTicket
from deskterm.desk.limits import INT_MAX, check_int, check_name, check_text, shown_number
from deskterm.desk.links import links_of, merged_from
from deskterm.desk.people.directory import (
    customer_read,
    find_agent,
    find_group,
    get_or_create_customer,
)
from deskterm.desk.reads import (
    AgentRead,
    EventRead,
    TicketDetail,
    TicketSummary,
    ref,
)
from deskterm.desk.thread import messages_after
from deskterm.desk.ticket_reads import count_tickets, summaries, summary

_TAG = re.compile(r"[\w][\w.:/+-]{0,63}")
_REF = re.compile(r"#?([0-9]+)")
MAX_SUBJECT = 500
MAX_BODY = 1_000_000


def parse_ref(text: str) -> int:
    """A ticket number from ``#1042`` or ``1042``: ASCII digits only, 1 to :data:`INT_MAX`.

    ``str.isdigit`` and ``int`` also take ``²`` and Arabic-Indic digits (``١٢`` is 12), which
    nobody means as a ticket number.
    """
    found = _REF.fullmatch(text.strip())
    if not found:
        raise InvalidInput(f"'{text[:40]}' is not a ticket reference like #1042")
    digits = found.group(1).lstrip("0") or "0"
    if len(digits) > len(str(INT_MAX)) or not 1 <= int(digits) <= INT_MAX:
        raise InvalidInput(f"'{text[:40]}' is not a ticket reference like #1042 (numbers run "
                           f"from 1 to {INT_MAX})")
    return int(digits)


def in_range(number: int) -> bool:
    """Whether ``number`` can be a ticket's number (the store's integers are 32-bit)."""
    return 1 <= number <= INT_MAX


def normalize_tags(tags: Iterable[str], *, where: str = "tags") -> tuple[str, ...]:
    """Lower-cased, de-duplicated, validated tag names, in sorted order."""
    cleaned = set()
    for raw in tags:
        tag = raw.strip().lower()
        if not tag:
            continue
        if not _TAG.fullmatch(tag):
            raise InvalidInput(
                f"{where}: '{raw}' is not a tag (letters, digits, '_', '-', '.', ':', '/', '+'; "
                "no spaces; at most 64)"
            )
        cleaned.add(tag)
    return tuple(sorted(cleaned))


def _check_subject(subject: str) -> str:
    subject = " ".join(check_text(subject, field="subject").split())
    if not subject:
        raise InvalidInput("subject: must not be empty")
    if len(subject) > MAX_SUBJECT:
        raise InvalidInput(f"subject: longer than {MAX_SUBJECT} characters")
    return subject


MAX_MINUTES = 24 * 60


def _check_minutes(minutes: int | None) -> int | None:
    if minutes is not None and not 0 < minutes <= MAX_MINUTES:
        raise InvalidInput(f"time spent {shown_number(minutes)} must be between 1 and "
                           f"{MAX_MINUTES} minutes")
    return minutes


def check_version(version: int | None) -> int | None:
    """A version a change was made against (``--version N``): 1 to :data:`INT_MAX`."""
    if version is not None:
        check_int(version, field="version")
    return version


def _check_body(body: str, *, where: str = "body") -> str:
    body = check_text(body, field=where)
    if not body.strip():
        raise InvalidInput(f"{where}: must not be empty")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"{where}: longer than {MAX_BODY:,} characters")
    return body


MAX_MESSAGE_ID = 998


def _check_message_id(message_id: str | None) -> str | None:
    """An e-mail Message-ID (RFC 5322 lines hold at most 998 characters)."""
    if message_id is None:
        return None
    return check_name(message_id, field="message id", max_length=MAX_MESSAGE_ID)


def _lock(session: Session, number: int) -> Ticket:
    if not in_range(number):
        raise NotFound(f"no ticket {ref(number)}")
    ticket = session.exec(
        select(Ticket)
        .where(Ticket.id == number)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if ticket is None:
        raise NotFound(f"no ticket {ref(number)}")
    return ticket


def _tag_ids(session: Session, names: Iterable[str]) -> dict[str, int]:
    names = list(names)
    if not names:
        return {}
    found = dict(session.exec(select(Tag.name, Tag.id).where(col(Tag.name).in_(names))).all())
    for name in names:
        if name not in found:
            tag = Tag(name=name)
            session.add(tag)
            try:
                session.flush()
            except IntegrityError as exc:
                # Another transaction added the same new tag first: run the whole write again.
                raise WriteConflict(f"tag {name} was created concurrently") from exc
            found[name] = tag.id
    return found


def _tags_of(session: Session, number: int) -> tuple[str, ...]:
    return tuple(
        session.exec(
            select(Tag.name)
            .join(TicketTag, col(TicketTag.tag_id) == col(Tag.id))
            .where(TicketTag.ticket_id == number)
            .order_by(Tag.name)
        ).all()
    )


def _set_tags(session: Session, number: int, old: tuple[str, ...], new: tuple[str, ...]) -> None:
    removed = set(old) - set(new)
    added = [tag for tag in new if tag not in old]
    if removed:
        removed_ids = list(_tag_ids(session, removed).values())
        for link in session.exec(
            select(TicketTag).where(TicketTag.ticket_id == number,
                                    col(TicketTag.tag_id).in_(removed_ids))
        ).all():
            session.delete(link)
    for tag_id in _tag_ids(session, added).values():
        session.add(TicketTag(ticket_id=number, tag_id=tag_id))
    session.flush()


def _as_text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


class _Change:
    """Collects one version's field changes on a locked ticket and writes their events."""

    def __init__(self, session: Session, ticket: Ticket, actor: AgentRead | None) -> None:
        self.session = session
        self.ticket = ticket
        self.actor = actor
        self.events: list[tuple[str, str | None, str | None]] = []
        self.now = utcnow()

    def record(self, field: str, old: object, new: object) -> None:
        self.events.append((field, _as_text(old), _as_text(new)))

    def set_status(self, new: str) -> None:
        ticket = self.ticket
        lifecycle.check_transition(ref(ticket.id), ticket.status, new)
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
        elif new == "closed":
            ticket.closed_at = self.now

    def set_assignee(self, agent_id: int | None, username: str | None) -> None:
        ticket = self.ticket
        if agent_id == ticket.assignee_id:
            return
        old = self.session.get(Agent, ticket.assignee_id).username if ticket.assignee_id else None
        self.record("assignee", old, username)
        ticket.assignee_id = agent_id

    def bump(self) -> list[dict]:
        """Make the changes one new version of the ticket; returns their event rows.

        Nothing is written yet (the ticket is in the session). No changes: no new version and
        no rows. Bulk changes insert the rows of thousands of tickets in one statement.
        """
        if not self.events:
            return []
        ticket = self.ticket
        ticket.version += 1
        ticket.updated_at = self.now
        self.session.add(ticket)
        actor_id = self.actor.id if self.actor else None
        return [
            {"ticket_id": ticket.id, "actor_agent_id": actor_id, "field": field, "old": old,
             "new": new, "version": ticket.version, "at": self.now}
            for field, old, new in self.events
        ]

    def finish(self) -> Ticket:
        """Write the changes as one new version with an event per changed field."""
        for row in self.bump():
            self.session.add(Event(**row))
        self.session.flush()
        return self.ticket


def _record_seen(session: Session, number: int, agent_id: int, at: datetime) -> None:
    """Upsert: ``agent_id`` has seen ticket ``number`` at ``at`` (never moves backwards)."""
    upsert(session, TicketSeen, {"ticket_id": number, "agent_id": agent_id, "seen_at": at},
           keys=("ticket_id", "agent_id"), update=("seen_at",),
           where=lambda excluded: col(TicketSeen.seen_at) < excluded.seen_at)


def mark_seen(session: Session, *, agent: str, number: int, at: datetime | None = None) -> None:
    """Record that ``agent`` (a username) looked at ticket ``number`` now (or at ``at``).

    Clears the ticket's unseen-reply marker for that agent up to that moment. A later time
    than the recorded one replaces it; an earlier one is ignored.
    """
    if at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise InvalidInput(f"seen at {at.isoformat()} has no time zone: give it in UTC")
    if not in_range(number) or session.get(Ticket, number) is None:
        raise NotFound(f"no ticket {ref(number)}")
    _record_seen(session, number, find_agent(session, agent).id, at or utcnow())


def _refuse_if_closed(ticket: Ticket, doing: str) -> None:
    if ticket.status == "closed":
        raise PermissionDenied(
            f"{ref(ticket.id)} is closed, and closed is final: cannot {doing}"
        )


def create_ticket(
    session: Session,
    *,
    actor: AgentRead | None,
    requester_email: str,
    subject: str,
    body: str,
    requester_name: str | None = None,
    channel: str = "cli",
    priority: str = "normal",
    ticket_type: str = "question",
    assignee: str | None = None,
    group: str | None = None,
    tags: Iterable[str] = (),
    tier: int = 1,
    source_message_id: str | None = None,
) -> TicketSummary:
    """File a new ticket with the requester's first message; returns it with its number."""
    subject = _check_subject(subject)
    body = _check_body(body)
    channel = lifecycle.check_channel(channel)
    source_message_id = _check_message_id(source_message_id)
    rank = lifecycle.check_priority(priority)
    lifecycle.check_type(ticket_type)
    lifecycle.check_tier(tier)
    tag_names = normalize_tags(tags)
    assignee_agent = _active_agent(session, assignee) if assignee else None
    group_row = find_group(session, group) if group else None
    requester = get_or_create_customer(session, email=requester_email, name=requester_name)
    now = utcnow()
    (number,) = allocate_ticket_numbers(session, 1)
    ticket = Ticket(
        id=number,
        subject=subject,
        # A ticket someone already owns is being worked on.
        status="open" if assignee_agent else "new",
        priority=rank,
        type=ticket_type,
        channel=channel,
        requester_id=requester.id,
        assignee_id=assignee_agent.id if assignee_agent else None,
        group_id=group_row.id if group_row else None,
        tier=tier,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    session.add(Message(ticket_id=number, author_customer_id=requester.id, public=True, body=body,
                        created_at=now, source_message_id=source_message_id))
    _set_tags(session, number, (), tag_names)
    session.add(Event(ticket_id=number, actor_agent_id=actor.id if actor else None,
                      field="created", old=None, new=channel, version=1, at=now))
    session.flush()
    if actor is not None:
        _record_seen(session, number, actor.id, now)
    return summary(session, ticket)


def _active_agent(session: Session, username: str) -> Agent:
    agent = find_agent(session, username)
    if not agent.active:
        raise InvalidInput(f"agent '{username}' is deactivated and cannot be assigned tickets")
    return agent


def _add_message(change: _Change, *, body: str, public: bool, minutes: int | None = None) -> None:
    """The acting agent's reply (``public``) or internal note on the locked ticket of ``change``.

    Written at ``change.now``; a reply is the first response if there was none. The caller
    checked the body and minutes, refused a closed ticket, sets the status (a reply to a new
    ticket opens it unless sent as another status) and calls ``change.finish()``.
    """
    session, ticket = change.session, change.ticket
    session.add(Message(ticket_id=ticket.id, author_agent_id=change.actor.id, public=public,
                        body=body, created_at=change.now, minutes=minutes))
    if public and ticket.first_response_at is None:
        ticket.first_response_at = change.now
    ticket.updated_at = change.now
    session.add(ticket)


def add_reply(
    session: Session,
    *,
    actor: AgentRead,
    number: int,
    body: str,
    status: str | None = None,
    expected_version: int | None = None,
    minutes: int | None = None,
) -> TicketSummary:
    """A public reply to the requester; optionally sets the status it is sent as.

    ``minutes``: time the agent spent on it (summed on the ticket).
    """
    body = _check_body(body, where="reply")
    minutes = _check_minutes(minutes)
    ticket = _lock(session, number)
    _refuse_if_closed(ticket, "reply")
    _check_version(session, ticket, expected_version)
    change = _Change(session, ticket, actor)
    _add_message(change, body=body, public=True, minutes=minutes)
    if status is not None:
        change.set_status(lifecycle.check_status(status))
    elif ticket.status == "new":
        change.set_status("open")
    change.finish()
    _record_seen(session, number, actor.id, change.now)
    return summary(session, ticket)


def add_note(session: Session, *, actor: AgentRead, number: int, body: str,
             minutes: int | None = None) -> TicketSummary:
    """An internal note: seen by the team, never sent to the requester."""
    body = _check_body(body, where="note")
    minutes = _check_minutes(minutes)
    ticket = _lock(session, number)
    _refuse_if_closed(ticket, "add a note")
    change = _Change(session, ticket, actor)
    _add_message(change, body=body, public=False, minutes=minutes)
    change.finish()
    _record_seen(session, number, actor.id, change.now)
    return summary(session, ticket)


def add_customer_message(
    session: Session,
    *,
    number: int,
    body: str,
    email: str | None = None,
    name: str | None = None,
    source_message_id: str | None = None,
    channel: str = "email",
    actor: AgentRead | None = None,
) -> TicketSummary:
    """The requester (or a CC'd customer) writes again; ``email`` defaults to the requester.

    A solved, pending or on-hold ticket goes back to open. On a closed one, mail (no
    ``actor``) starts a follow-up ticket, which is returned instead.

    ``actor``: the agent logging the customer's words (a phone call, an answer that came some
    other way). The message is still the customer's; the reopening is the agent's in the audit
    trail, the agent has seen it, and a closed ticket is refused: the agent files a new ticket
    knowingly rather than get one made behind their back.
    """
    body = _check_body(body)
    source_message_id = _check_message_id(source_message_id)
    ticket = _lock(session, number)
    if actor is not None:
        _refuse_if_closed(ticket, "add the customer's message; file a new ticket for it")
    if email is None:
        customer = session.get(Customer, ticket.requester_id)
    else:
        customer = get_or_create_customer(session, email=email, name=name)
    if ticket.status == "closed":
        return create_ticket(
            session, actor=None, requester_email=customer.email, subject=ticket.subject,
            body=f"(follow-up to {ref(ticket.id)})\n\n{body}", channel=channel,
            priority=lifecycle.priority_name(ticket.priority), ticket_type=ticket.type,
            group=session.get(Group, ticket.group_id).name if ticket.group_id else None,
            tier=ticket.tier, source_message_id=source_message_id,
        )
    now = utcnow()
    session.add(Message(ticket_id=number, author_customer_id=customer.id, public=True, body=body,
                        created_at=now, source_message_id=source_message_id))
    change = _Change(session, ticket, actor)
    change.now = now
    if ticket.status in lifecycle.WAITING or ticket.status == "solved":
        change.set_status("open")
    ticket.updated_at = now
    ticket.customer_replied_at = now
    session.add(ticket)
    change.finish()
    if actor is not None:
        _record_seen(session, number, actor.id, now)
    return summary(session, ticket)


@dataclass(frozen=True)
class TicketChanges:
    """Fields to change on a ticket; ``None`` leaves a field as it is."""

    status: str | None = None
    priority: str | None = None
    type: str | None = None
    assignee: str | None = None
    """A username, or ``""`` to unassign."""
    group: str | None = None
    """A group name, or ``""`` to take the ticket out of its group."""
    tier: int | None = None
    tags: tuple[str, ...] | None = None
    """Replace the tags with these."""
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return self == TicketChanges()


def _check_version(session: Session, ticket: Ticket, expected: int | None) -> None:
    check_version(expected)
    if expected is None or expected == ticket.version:
        return
    rows = session.exec(
        select(Event, Agent.username)
        .outerjoin(Agent, col(Agent.id) == col(Event.actor_agent_id))
        .where(Event.ticket_id == ticket.id, Event.version > expected)
        .order_by(col(Event.id))
    ).all()
    who = sorted({username or "the system" for _, username in rows}) or ["someone"]
    what = "; ".join(
        f"{event.field} {event.old or '-'} → {event.new or '-'}" for event, _ in rows
    ) or "its fields"
    raise StaleTicket(
        f"{ref(ticket.id)} was changed by {', '.join(who)} since you loaded it "
        f"(version {expected}, now {ticket.version}): {what}; reload and try again",
        number=ticket.id,
        current_version=ticket.version,
    )


@dataclass(frozen=True)
class _Wanted:
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


def _resolve(session: Session, changes: TicketChanges) -> _Wanted:
    """Validate every value and look up every name, so nothing is half-applied later."""
    if changes.is_empty():
        raise InvalidInput("nothing to change: give at least one field")
    return _Wanted(
        changes=changes,
        status=lifecycle.check_status(changes.status) if changes.status else None,
        rank=lifecycle.check_priority(changes.priority) if changes.priority else None,
        ticket_type=lifecycle.check_type(changes.type) if changes.type else None,
        tier=lifecycle.check_tier(changes.tier) if changes.tier is not None else None,
        replace_tags=normalize_tags(changes.tags) if changes.tags is not None else None,
        add_tags=normalize_tags(changes.add_tags),
        remove_tags=normalize_tags(changes.remove_tags),
        assignee=_active_agent(session, changes.assignee) if changes.assignee else None,
        group=find_group(session, changes.group) if changes.group else None,
    )


TagsOf = Callable[[int], tuple[str, ...]]
SetTags = Callable[[int, tuple[str, ...], tuple[str, ...]], None]


def _apply(
    change: _Change,
    wanted: _Wanted,
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
            old = session.get(Group, ticket.group_id).name if ticket.group_id else None
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
        number = ticket.id
        old_tags = (tags_of or (lambda n: _tags_of(session, n)))(number)
        base = wanted.replace_tags if wanted.replace_tags is not None else old_tags
        new_tags = tuple(sorted((set(base) | set(wanted.add_tags)) - set(wanted.remove_tags)))
        if new_tags != old_tags:
            change.record("tags", ",".join(old_tags), ",".join(new_tags))
            (set_tags or (lambda n, old, new: _set_tags(session, n, old, new)))(
                number, old_tags, new_tags)
    if wanted.status is not None:
        change.set_status(wanted.status)
    elif ticket.status == "new" and ticket.assignee_id is not None:
        # Someone owns it now: it is being worked on.
        change.set_status("open")


def update_ticket(
    session: Session,
    *,
    actor: AgentRead,
    number: int,
    changes: TicketChanges,
    expected_version: int | None = None,
) -> TicketSummary:
    """Change ticket fields as one new version, with one audit event per changed field.

    With ``expected_version``, refuse (StaleTicket) if someone changed the ticket since then.
    The acting agent has seen the ticket (its unseen-reply marker clears for them).
    """
    # Validate everything before touching the ticket, so nothing is half-applied.
    wanted = _resolve(session, changes)
    ticket = _lock(session, number)
    _refuse_if_closed(ticket, "change it")
    _check_version(session, ticket, expected_version)
    change = _Change(session, ticket, actor)
    _apply(change, wanted)
    change.finish()
    _record_seen(session, number, actor.id, change.now)
    return summary(session, ticket)


def get_ticket(session: Session, *, number: int) -> TicketDetail:
    """A ticket with its requester, whole thread, audit trail, links and merge pointers."""
    ticket = session.get(Ticket, number) if in_range(number) else None
    if ticket is None:
        raise NotFound(f"no ticket {ref(number)}")
    events = session.exec(
        select(Event, Agent.username)
        .outerjoin(Agent, col(Agent.id) == col(Event.actor_agent_id))
        .where(Event.ticket_id == number)
        .order_by(col(Event.id))
    ).all()
    return TicketDetail(
        ticket=summary(session, ticket),
        requester=customer_read(session, session.get(Customer, ticket.requester_id)),
        messages=tuple(messages_after(session, number=number, after_id=0)),
        events=tuple(
            EventRead(actor=username, field=event.field, old=event.old, new=event.new,
                      version=event.version, at=event.at)
            for event, username in events
        ),
        links=links_of(session, number),
        merged_into=ticket.merged_into_id,
        merged_from=merged_from(session, number),
    )


__all__ = [
    "TicketChanges",
    "add_customer_message",
    "add_note",
    "add_reply",
    "check_version",
    "count_tickets",
    "create_ticket",
    "get_ticket",
    "in_range",
    "mark_seen",
    "normalize_tags",
    "parse_ref",
    "summaries",
    "update_ticket",
]
