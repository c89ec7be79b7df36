"""A new ticket's rows written as SQL statements built once, their values bound per call.

The ORM's unit of work (build an object, flush, read its key back) cost more than the
statements it sends: filing a mail paid for it three times (bench/intake_mail.py). These
are plain Core INSERTs on the session's own connection, so they run in the caller's
transaction like everything else; the rows are not in the session's identity map (a later
``session.get`` reads them from the database).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, bindparam, insert, literal, select
from sqlmodel import Session, col

from deskterm.db.models import Customer, Event, Message, Organization, Ticket

_TICKET_COLUMNS = ("id", "subject", "status", "priority", "type", "channel", "requester_id",
                   "assignee_id", "group_id", "tier", "created_at", "updated_at")
_INSERT_TICKET = insert(Ticket).values(
    {name: bindparam(name) for name in _TICKET_COLUMNS}
    | {"first_response_at": None, "solved_at": None, "closed_at": None, "reopens": 0,
       "version": 1, "merged_into_id": None, "customer_replied_at": None,
       "external_id": None})
_INSERT_MESSAGE = insert(Message).values(
    {name: bindparam(name) for name in ("ticket_id", "author_agent_id", "author_customer_id",
                                        "public", "body", "created_at", "source_message_id",
                                        "minutes")}).returning(col(Message.id))
_ORGANIZATION_NAME = select(col(Organization.name)).where(col(Organization.id) == bindparam("id"))
_ORGANIZATION_NAMES = "deskterm.organization_names"
_INSERT_EVENT = insert(Event).values(
    {name: bindparam(name) for name in ("ticket_id", "actor_agent_id", "field", "old", "new",
                                        "version", "at", "via")})
_REQUESTER = select(col(Customer.id), col(Customer.name), col(Customer.email),
                    col(Customer.organization_id), col(Customer.tier)).where(
    col(Customer.email) == bindparam("email")).cte("requester")
_TICKETS: Table = Ticket.__table__  # type: ignore[attr-defined]
_INSERT_TICKET_OF = select(*_REQUESTER.c).add_cte(insert(Ticket).from_select(
    [*_TICKET_COLUMNS, "first_response_at", "solved_at", "closed_at", "reopens", "version",
     "merged_into_id", "customer_replied_at", "external_id"],
    select(*[_REQUESTER.c.id if name == "requester_id"
             else bindparam(name, type_=_TICKETS.c[name].type)
             for name in _TICKET_COLUMNS],
           *[literal(value, _TICKETS.c[name].type) for name, value in (
               ("first_response_at", None), ("solved_at", None), ("closed_at", None),
               ("reopens", 0), ("version", 1), ("merged_into_id", None),
               ("customer_replied_at", None), ("external_id", None))])
    .select_from(_REQUESTER)).cte("ticket"))
"""PostgreSQL: a new ticket's row for the customer writing from ``email``, found in the same
statement (a data-modifying ``WITH``), which returns that customer (no row, nothing
inserted: no customer has that address)."""
_INSERT_CUSTOMER = insert(Customer).values(
    name=bindparam("name"), email=bindparam("email"),
    organization_id=select(col(Organization.id)).where(
        col(Organization.domain) == bindparam("domain")).order_by(col(Organization.id))
    .limit(1).scalar_subquery(),
    internal=False, tier="standard", created_at=bindparam("created_at"),
).returning(col(Customer.id), col(Customer.organization_id))
_INSERT_FIRST_MESSAGE = _INSERT_MESSAGE.add_cte(insert(Event).values(
    {"ticket_id": bindparam("ticket_id"), "actor_agent_id": bindparam("actor_agent_id"),
     "field": "created", "old": None, "new": bindparam("channel"), "version": 1,
     "at": bindparam("created_at"), "via": None}).cte("created_event"))
"""PostgreSQL: a new ticket's first message and its ``created`` event in one statement (a
data-modifying ``WITH``; the ticket's row was written by the statement before, so the
foreign keys and the row-level security of both see it)."""


def insert_ticket(session: Session, *, number: int, subject: str, status: str, priority: int,
                  type: str, channel: str, requester_id: int, assignee_id: int | None,
                  group_id: int | None, tier: int, at: datetime) -> None:
    """A new ticket row at version 1 (nothing answered, solved or merged yet)."""
    session.connection().execute(_INSERT_TICKET, {
        "id": number, "subject": subject, "status": status, "priority": priority,
        "type": type, "channel": channel, "requester_id": requester_id,
        "assignee_id": assignee_id, "group_id": group_id, "tier": tier, "created_at": at,
        "updated_at": at})


def writes_together(session: Session) -> bool:
    """Whether the store takes several writes in one statement (PostgreSQL's data-modifying
    ``WITH``): each statement is a round trip to the server there. SQLite has no such
    ``WITH``, and its statements cost no round trip."""
    return session.connection().dialect.name == "postgresql"


def insert_ticket_of(session: Session, *, email: str, number: int, subject: str, status: str,
                     priority: int, type: str, channel: str, assignee_id: int | None,
                     group_id: int | None, tier: int, at: datetime) -> Customer | None:
    """:func:`insert_ticket` for the requester writing from ``email`` (normalized), found in
    the same statement (only where :func:`writes_together`); returns that customer (detached:
    not in the session) or None, and then nothing was written: no customer has that address."""
    row = session.connection().execute(_INSERT_TICKET_OF, {
        "email": email, "id": number, "subject": subject, "status": status,
        "priority": priority, "type": type, "channel": channel, "assignee_id": assignee_id,
        "group_id": group_id, "tier": tier, "created_at": at, "updated_at": at}).first()
    if row is None:
        return None
    return Customer(id=row[0], name=row[1], email=row[2], organization_id=row[3], tier=row[4])


def insert_message(session: Session, *, ticket_id: int, body: str, public: bool, at: datetime,
                   author_customer_id: int | None = None, author_agent_id: int | None = None,
                   source_message_id: str | None = None, minutes: int | None = None) -> int:
    """A message of ticket ``ticket_id``; returns its id."""
    new_id: int | None = session.connection().execute(_INSERT_MESSAGE, {
        "ticket_id": ticket_id, "author_agent_id": author_agent_id,
        "author_customer_id": author_customer_id, "public": public, "body": body,
        "created_at": at, "source_message_id": source_message_id,
        "minutes": minutes}).scalar_one()
    assert new_id is not None  # the database numbers every row it inserts
    return new_id


def insert_event(session: Session, *, ticket_id: int, actor_agent_id: int | None, field: str,
                 old: str | None, new: str | None, version: int, at: datetime,
                 via: str | None = None) -> None:
    """One audit event of ticket ``ticket_id`` (``via``: what made it, when automatic)."""
    session.connection().execute(_INSERT_EVENT, {
        "ticket_id": ticket_id, "actor_agent_id": actor_agent_id, "field": field, "old": old,
        "new": new, "version": version, "at": at, "via": via})


def insert_customer(session: Session, *, name: str, email: str, at: datetime) -> Customer:
    """A new customer (``email`` normalized, ``name`` cleaned) in the organization whose
    domain is that of ``email`` (the lowest-numbered, if several), found in the same
    statement; returned detached (not in the session). An address already taken raises
    :class:`~sqlalchemy.exc.IntegrityError`."""
    row = session.connection().execute(_INSERT_CUSTOMER, {
        "name": name, "email": email, "domain": email.rsplit("@", 1)[1],
        "created_at": at}).one()
    return Customer(id=row[0], name=name, email=email, organization_id=row[1], internal=False,
                    tier="standard", created_at=at)


def insert_first_message(session: Session, *, ticket_id: int, author_customer_id: int,
                         body: str, at: datetime, source_message_id: str | None,
                         actor_agent_id: int | None, channel: str) -> int:
    """A new ticket's first message (public, the requester's) and its ``created`` event
    (version 1); returns the message's id: one statement where :func:`writes_together`,
    else two."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        message_id = insert_message(session, ticket_id=ticket_id, body=body, public=True,
                                    at=at, author_customer_id=author_customer_id,
                                    source_message_id=source_message_id)
        insert_event(session, ticket_id=ticket_id, actor_agent_id=actor_agent_id,
                     field="created", old=None, new=channel, version=1, at=at)
        return message_id
    new_id: int | None = connection.execute(_INSERT_FIRST_MESSAGE, {
        "ticket_id": ticket_id, "author_agent_id": None,
        "author_customer_id": author_customer_id, "public": True, "body": body,
        "created_at": at, "source_message_id": source_message_id, "minutes": None,
        "actor_agent_id": actor_agent_id, "channel": channel}).scalar_one()
    assert new_id is not None  # the database numbers every row it inserts
    return new_id


def organization_name(session: Session, organization_id: int | None) -> str | None:
    """The name of organization ``organization_id`` (None for none), read once per session:
    a transaction filing many mails (deskterm.db.batch) names the same few organizations
    again and again."""
    if organization_id is None:
        return None
    names: dict[int, str | None] = session.info.setdefault(_ORGANIZATION_NAMES, {})
    if organization_id not in names:
        names[organization_id] = session.connection().execute(
            _ORGANIZATION_NAME, {"id": organization_id}).scalar()
    return names[organization_id]


__all__ = ["insert_customer", "insert_event", "insert_first_message", "insert_message",
           "insert_ticket", "insert_ticket_of", "organization_name", "writes_together"]
