"""One ticket: create it, reply, note, a customer's message, change fields, mark seen, read it.

Every change goes through the change kernel (:mod:`.change`): the ticket row is locked, the
version the agent saw is checked, and each changed field is one audit event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, TypedDict

from sqlmodel import Session, col, select

from deskterm import lazy
from deskterm.db.models import (
    Agent,
    Customer,
    Event,
    Group,
    Ticket,
    key,
)
from deskterm.db.numbers import allocate_ticket_numbers
from deskterm.db.ticket_rows import (
    customer_row,
    insert_first_message,
    insert_message,
    insert_ticket,
    organization_name,
    writes_together,
)
from deskterm.db.types import utcnow
from deskterm.desk.csat.parse import parse_rating
from deskterm.desk.csat.ratings import (
    RATED_STATUSES,
    rating_of,
    ratings_of_customer,
    record_rating,
)
from deskterm.desk.errors import InvalidInput, NotFound
from deskterm.desk.people import access
from deskterm.desk.people.directory import (
    customer_read,
    find_agent,
    find_group,
    get_or_create_customer,
    new_customer_row,
    normalize_email,
)
from deskterm.desk.reads import (
    AgentRead,
    EventRead,
    TicketDetail,
    TicketSummary,
    ref,
)
from deskterm.desk.sla import due as sla_due
from deskterm.desk.tickets import lifecycle
from deskterm.desk.tickets.change import (
    Change,
    TicketChanges,
    active_agent,
    add_message,
    apply_changes,
    link_new_ticket_tags,
    lock_ticket,
    record_seen,
    refuse_if_closed,
    refuse_if_stale,
    resolve_changes,
    ticket_tags,
)
from deskterm.desk.tickets.checks import (
    check_body,
    check_message_id,
    check_minutes,
    check_subject,
    in_range,
    normalize_tags,
)
from deskterm.desk.tickets.links import links_of, merged_from
from deskterm.desk.tickets.reads import summary
from deskterm.desk.tickets.thread import messages_after

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from deskterm.desk.automation import firing
else:
    firing = lazy.module("deskterm.desk.automation.firing")  # it imports this package


def requester_row(session: Session, ticket: Ticket) -> Customer:
    """The customer who asked ``ticket`` (its foreign key keeps the row)."""
    customer = session.get(Customer, ticket.requester_id)
    if customer is None:
        raise NotFound(f"{ref(key(ticket))}: no requester {ticket.requester_id}")
    return customer


def group_name(session: Session, group_id: int | None) -> str | None:
    """The name of the group ``group_id`` (None for none)."""
    group = session.get(Group, group_id) if group_id else None
    return group.name if group is not None else None

def mark_seen(session: Session, *, agent: str, number: int, at: datetime | None = None) -> None:
    """Record that ``agent`` (a username) looked at ticket ``number`` now (or at ``at``).

    Clears the ticket's unseen-reply marker for that agent up to that moment. A later time
    than the recorded one replaces it; an earlier one is ignored.
    """
    if at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise InvalidInput(f"seen at {at.isoformat()} has no time zone: give it in UTC")
    if not in_range(number) or session.get(Ticket, number) is None:
        raise NotFound(f"no ticket {ref(number)}")
    record_seen(session, number, key(find_agent(session, agent)), at or utcnow())


class TicketFields(TypedDict, total=False):
    """What a new ticket may be given beyond its requester, subject and body (the defaults
    are :func:`_file`'s)."""

    requester_name: str | None
    channel: str
    priority: str
    ticket_type: str
    assignee: str | None
    group: str | None
    tags: Iterable[str]
    tier: int
    source_message_id: str | None
    requester_id: int | None


def create_ticket(session: Session, *, actor: AgentRead | None, requester_email: str | None,
                  subject: str, body: str, **fields: Unpack[TicketFields]) -> TicketSummary:
    """File a new ticket with the requester's first message; returns it with its number.

    The requester is the customer ``requester_id`` when given (someone known only by name),
    else the one writing from ``requester_email`` (created if new)."""
    return file_ticket(session, actor=actor, requester_email=requester_email, subject=subject,
                       body=body, **fields)[0]


def file_ticket(session: Session, *, actor: AgentRead | None, requester_email: str | None,
                subject: str, body: str,
                **fields: Unpack[TicketFields]) -> tuple[TicketSummary, int]:
    """:func:`create_ticket`, with the id of the ticket's first message.

    The rows are written by statements built once (the ticket, its first message, its
    ``created`` event) and the summary is made from what was written, not read back: for a
    ticket filed from mail, the ORM's flushes and read-backs had cost more than the writes."""
    _number, message_id, summarize = _file(
        session, actor=actor, requester_email=requester_email, subject=subject, body=body,
        **fields)
    return summarize(), message_id


def file_mail_ticket(session: Session, *, requester_email: str, requester_name: str | None,
                     subject: str, body: str, source_message_id: str | None) -> tuple[int, int]:
    """:func:`file_ticket` for a customer's mail (channel ``email``, no acting agent), without
    the summary: the new ticket's number and its first message's id. Filing a mail needs no
    more, and the summary names the requester's organization (a read)."""
    number, message_id, _summarize = _file(
        session, actor=None, requester_email=requester_email, requester_name=requester_name,
        subject=subject, body=body, channel="email", source_message_id=source_message_id)
    return number, message_id


def _file(
    session: Session,
    *,
    actor: AgentRead | None,
    requester_email: str | None,
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
    requester_id: int | None = None,
) -> tuple[int, int, Callable[[], TicketSummary]]:
    """The new ticket's number, its first message's id, and how to make its summary."""
    subject = check_subject(subject)
    body = check_body(body)
    channel = lifecycle.check_channel(channel)
    source_message_id = check_message_id(source_message_id)
    rank = lifecycle.check_priority(priority)
    lifecycle.check_type(ticket_type)
    lifecycle.check_tier(tier)
    tag_names = normalize_tags(tags)
    assignee_agent = active_agent(session, assignee) if assignee else None
    group_row = find_group(session, group) if group else None
    if group_row is not None:
        access.require_group_open(session, actor, group_id=key(group_row), group=group_row.name)
    if requester_id is not None:
        requester = session.get(Customer, requester_id)
        if requester is None:
            raise NotFound(f"no customer {requester_id}")
    elif requester_email is None:
        raise InvalidInput("requester: give an e-mail address")
    else:
        requester = None
        email = normalize_email(requester_email, where="requester")
    now = utcnow()
    # (the rule set's version read by the same statement, when this session has not yet)
    (number,) = allocate_ticket_numbers(
        session, 1, reading=firing.RULES_COUNTER if firing.version_unread(session) else None,
        seen=lambda value: firing.note_version(session, value))
    # A ticket someone already owns is being worked on.
    status = "open" if assignee_agent else "new"
    assignee_id = assignee_agent.id if assignee_agent else None
    if requester is None:
        # The rules below see the requester before the ticket is written: found (or made, in
        # one statement on PostgreSQL) first.
        requester = get_or_create_customer(session, email=email, name=requester_name) \
            if not writes_together(session) else (
                customer_row(session, email) or new_customer_row(
                    session, email=email, name=requester_name))
    # The ``created`` rules that only set fields are made on the values before they are
    # written (see firing.before_filing): the row is written once, as they left it.
    filing = firing.before_filing(
        session, number, actor, requester=requester, subject=subject, body=body,
        channel=channel, status=status, priority=rank, ticket_type=ticket_type,
        group=group_row, assignee=assignee_agent, tags=tag_names, tier=tier, at=now)
    insert_ticket(session, number=number, subject=subject, status=status,
                  priority=filing.priority, type=filing.type, channel=channel,
                  requester_id=key(requester), assignee_id=assignee_id,
                  group_id=key(filing.group) if filing.group else None, tier=filing.tier,
                  at=now, version=filing.version)
    sla = sla_due.start(session, number=number, priority=filing.priority, requester=requester,
                        created_at=now)
    actor_id = actor.id if actor else None
    # Its first message, its ``created`` event, the rules' events made before it was written
    # and its links to the tags that exist: one statement on PostgreSQL.
    message_id, linked = insert_first_message(
        session, ticket_id=number, author_customer_id=key(requester), body=body, at=now,
        source_message_id=source_message_id, actor_agent_id=actor_id, channel=channel,
        events=[{"ticket_id": number, "actor_agent_id": actor_id, "field": name, "old": old,
                 "new": new, "version": filing.version, "at": now, "via": via}
                for name, old, new, via in filing.events],
        tags=filing.tags)
    link_new_ticket_tags(session, number, filing.tags, linked=linked)
    if actor is not None:
        record_seen(session, number, actor.id, now)
    if firing.after_filing(session, filing):
        # The rules changed the written row: read it back.
        def read_back() -> TicketSummary:
            ticket = session.get(Ticket, number)
            assert ticket is not None  # just written
            return summary(session, ticket)

        return number, message_id, read_back
    filed_requester = requester
    group_row = filing.group

    def made() -> TicketSummary:
        return TicketSummary(
            number=number, subject=subject, status=status,
            priority=lifecycle.priority_name(filing.priority), type=filing.type,
            channel=channel, tier=filing.tier, requester_name=filed_requester.name,
            requester_email=filed_requester.email,
            organization=organization_name(session, filed_requester.organization_id),
            assignee=assignee_agent.username if assignee_agent else None,
            group=group_row.name if group_row else None,
            # (in the database's order of names, as every read of a ticket gives them)
            tags=ticket_tags(session, number) if len(filing.tags) > 1 else filing.tags,
            created_at=now, updated_at=now, first_response_at=None, solved_at=None,
            reopens=0, version=filing.version, customer_replied_at=None, unseen_reply=False,
            sla=sla)

    return number, message_id, made


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
    body = check_body(body, where="reply")
    minutes = check_minutes(minutes)
    ticket = lock_ticket(session, number, actor=actor)
    refuse_if_closed(ticket, "reply")
    refuse_if_stale(session, ticket, expected_version)
    change = Change(session, ticket, actor)
    add_message(change, body=body, public=True, minutes=minutes)
    if status is not None:
        change.set_status(lifecycle.check_status(status))
    elif ticket.status == "new":
        change.set_status("open")
    change.finish()
    record_seen(session, number, actor.id, change.now)
    return summary(session, ticket)


def add_note(session: Session, *, actor: AgentRead, number: int, body: str,
             minutes: int | None = None) -> TicketSummary:
    """An internal note: seen by the team, never sent to the requester."""
    body = check_body(body, where="note")
    minutes = check_minutes(minutes)
    ticket = lock_ticket(session, number, actor=actor)
    refuse_if_closed(ticket, "add a note")
    change = Change(session, ticket, actor)
    add_message(change, body=body, public=False, minutes=minutes)
    change.finish()
    record_seen(session, number, actor.id, change.now)
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
    ``actor``) starts a follow-up ticket, which is returned instead. A message to a solved or
    closed ticket that is a rating (``5``, ``Rating: 4 - thanks``: see
    :mod:`deskterm.desk.csat.parse`) is added to the thread and recorded as the ticket's
    satisfaction rating; it does not reopen the ticket.

    ``actor``: the agent logging the customer's words (a phone call, an answer that came some
    other way). The message is still the customer's; the reopening is the agent's in the audit
    trail, the agent has seen it, and a closed ticket is refused: the agent files a new ticket
    knowingly rather than get one made behind their back.
    """
    follow_up, ticket, _message_id = _customer_message(
        session, number=number, body=body, email=email, name=name,
        source_message_id=source_message_id, channel=channel, actor=actor)
    return follow_up if follow_up is not None else summary(session, ticket)


def file_customer_message(
    session: Session,
    *,
    number: int,
    body: str,
    email: str | None = None,
    name: str | None = None,
    source_message_id: str | None = None,
    channel: str = "email",
    author_id: int | None = None,
) -> tuple[int, int]:
    """:func:`add_customer_message` from mail (no acting agent), without the summary: the
    number of the ticket the message went to (a follow-up's, for a closed ticket) and the
    message's id. Filing a mail needs no more, and reading the summary back (its tags, its
    row) cost three round trips a mail on PostgreSQL (bench/intake_mail.py). ``author_id``:
    the ticket's requester, known (by the caller's own look-up, in this transaction) to
    write from ``email``: not looked up again while the ticket's requester is still them."""
    follow_up, ticket, message_id = _customer_message(
        session, number=number, body=body, email=email, name=name,
        source_message_id=source_message_id, channel=channel, actor=None, author_id=author_id)
    return (follow_up.number if follow_up is not None else key(ticket)), message_id


def _customer_message(
    session: Session, *, number: int, body: str, email: str | None, name: str | None,
    source_message_id: str | None, channel: str, actor: AgentRead | None,
    author_id: int | None = None,
) -> tuple[TicketSummary | None, Ticket, int]:
    """The follow-up ticket (or None), the ticket written to, the new message's id."""
    body = check_body(body)
    source_message_id = check_message_id(source_message_id)
    ticket = lock_ticket(session, number, actor=actor)
    if actor is not None:
        refuse_if_closed(ticket, "add the customer's message; file a new ticket for it")
    customer_id: int
    customer_email: str | None
    if email is None:
        customer = requester_row(session, ticket)
        customer_id, customer_email = key(customer), customer.email
    elif author_id is not None and author_id == ticket.requester_id:
        customer_id, customer_email = author_id, normalize_email(email, where="requester")
    else:
        customer = get_or_create_customer(session, email=email, name=name)
        customer_id, customer_email = key(customer), customer.email
    now = utcnow()
    rating = parse_rating(body) if ticket.status in RATED_STATUSES else None
    if ticket.status == "closed" and rating is None:
        follow_up, message_id = file_ticket(
            session, actor=None, requester_email=customer_email, requester_id=customer_id,
            subject=ticket.subject,
            body=f"(follow-up to {ref(key(ticket))})\n\n{body}", channel=channel,
            priority=lifecycle.priority_name(ticket.priority), ticket_type=ticket.type,
            group=group_name(session, ticket.group_id),
            tier=ticket.tier, source_message_id=source_message_id,
        )
        return follow_up, ticket, message_id
    message_id = insert_message(session, ticket_id=number, author_customer_id=customer_id,
                                public=True, body=body, at=now,
                                source_message_id=source_message_id)
    if rating is not None:
        # The answer to the solved mail's rating question: recorded, and the ticket stays
        # solved (or closed); anything else the customer writes reopens it.
        record_rating(session, ticket=ticket, score=rating.score, comment=rating.comment,
                      customer_id=customer_id, message_id=message_id, agent=actor, at=now)
        return None, ticket, message_id
    change = Change(session, ticket, actor)
    change.now = now
    change.trigger = "customer_reply"
    change.customer_message = True
    if ticket.status in lifecycle.WAITING or ticket.status == "solved":
        change.set_status("open")
    ticket.updated_at = now
    ticket.customer_replied_at = now
    session.add(ticket)
    change.finish()
    if actor is not None:
        record_seen(session, number, actor.id, now)
    return None, ticket, message_id


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
    wanted = resolve_changes(session, changes)
    ticket = lock_ticket(session, number, actor=actor)
    refuse_if_closed(ticket, "change it")
    refuse_if_stale(session, ticket, expected_version)
    change = Change(session, ticket, actor)
    apply_changes(change, wanted)
    change.finish()
    record_seen(session, number, actor.id, change.now)
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
        requester=customer_read(session, requester_row(session, ticket)),
        messages=tuple(messages_after(session, number=number, after_id=0)),
        events=tuple(
            EventRead(actor=username, field=event.field, old=event.old, new=event.new,
                      version=event.version, at=event.at, via=event.via)
            for event, username in events
        ),
        links=links_of(session, number),
        merged_into=ticket.merged_into_id,
        merged_from=merged_from(session, number),
        rating=rating_of(session, number),
        requester_ratings=tuple(ratings_of_customer(session, ticket.requester_id)),
    )
