"""A new ticket's rows written as SQL statements built once, their values bound per call.

The ORM's unit of work (build an object, flush, read its key back) cost more than the
statements it sends: filing a mail paid for it three times (bench/intake_mail.py). These
are plain Core INSERTs on the session's own connection, so they run in the caller's
transaction like everything else; the rows are not in the session's identity map (a later
``session.get`` reads them from the database).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    BindParameter,
    Insert,
    Integer,
    bindparam,
    event,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col

from deskterm.db.models import (
    Customer,
    Event,
    Message,
    Organization,
    Tag,
    Ticket,
    TicketTag,
    detached_row,
)

_TICKET_COLUMNS = ("id", "subject", "status", "priority", "type", "channel", "requester_id",
                   "assignee_id", "group_id", "tier", "created_at", "updated_at", "version")
_INSERT_TICKET = insert(Ticket).values(
    {name: bindparam(name) for name in _TICKET_COLUMNS}
    | {"first_response_at": None, "solved_at": None, "closed_at": None, "reopens": 0,
       "merged_into_id": None, "customer_replied_at": None,
       "external_id": None})
_INSERT_MESSAGE = insert(Message).values(
    {name: bindparam(name) for name in ("ticket_id", "author_agent_id", "author_customer_id",
                                        "public", "body", "created_at", "source_message_id",
                                        "minutes")}).returning(col(Message.id))
_INSERT_TICKET_TAG = insert(TicketTag).values(
    {name: bindparam(name) for name in ("ticket_id", "tag_id")})
_TAG_IDS = select(col(Tag.name), col(Tag.id)).where(
    col(Tag.name).in_(bindparam("names", expanding=True)))
_LINK_TAGS = insert(TicketTag).from_select(
    ["ticket_id", "tag_id"],
    select(bindparam("number", type_=Integer), col(Tag.id))
    .where(col(Tag.name).in_(bindparam("names", expanding=True)))
).returning(col(TicketTag.tag_id))
_ORGANIZATION_NAME = select(col(Organization.name)).where(col(Organization.id) == bindparam("id"))
_ORGANIZATION_NAMES = "deskterm.organization_names"
_INSERT_EVENT = insert(Event).values(
    {name: bindparam(name) for name in ("ticket_id", "actor_agent_id", "field", "old", "new",
                                        "version", "at", "via")})
_CUSTOMER_BY_EMAIL = select(col(Customer.id), col(Customer.name), col(Customer.email),
                            col(Customer.organization_id), col(Customer.tier)).where(
    col(Customer.email) == bindparam("email"))
_CUSTOMERS_BY_EMAIL = select(col(Customer.id), col(Customer.name), col(Customer.email),
                             col(Customer.organization_id), col(Customer.tier)).where(
    col(Customer.email).in_(bindparam("emails", expanding=True)))
_KNOWN_CUSTOMERS = "deskterm.known_customers"
_CUSTOMER_VALUES = dict(
    name=bindparam("name"), email=bindparam("email"),
    organization_id=select(col(Organization.id)).where(
        col(Organization.domain) == bindparam("domain")).order_by(col(Organization.id))
    .limit(1).scalar_subquery(),
    internal=False, tier="standard", created_at=bindparam("created_at"))
_INSERT_CUSTOMER = insert(Customer).values(_CUSTOMER_VALUES).returning(
    col(Customer.id), col(Customer.organization_id))
_INSERT_NEW_CUSTOMER = postgresql.insert(Customer).values(_CUSTOMER_VALUES) \
    .on_conflict_do_nothing().returning(col(Customer.id), col(Customer.organization_id))
"""PostgreSQL: the same, inserting nothing (no row returned) when the address is taken: by
another writer since it was looked up, or looked up before this transaction made it."""
_EVENT_KEYS = ("ticket_id", "actor_agent_id", "field", "old", "new", "version", "at", "via")
_FILINGS: dict[tuple[int, bool], Insert] = {}


def _filing_statement(extra_events: int, tags: bool) -> Insert:
    """PostgreSQL: a new ticket's first message, its ``created`` event, ``extra_events`` more
    events (the ``created`` rules' change made before the row was written) and, with
    ``tags``, its links to the tags that exist, in one statement (a data-modifying ``WITH``;
    the ticket's row was written by the statement before, so the foreign keys and the
    row-level security of all of them see it). It returns the message's id and the ids of the
    tags linked. Built once for each shape (a few: the rules' events are one or two)."""
    shape = (extra_events, tags)
    statement = _FILINGS.get(shape)
    if statement is not None:
        return statement
    created: dict[str, object] = {
        "ticket_id": bindparam("ticket_id"), "actor_agent_id": bindparam("actor_agent_id"),
        "field": "created", "old": None, "new": bindparam("channel"), "version": 1,
        "at": bindparam("created_at"), "via": None}
    if not extra_events:
        events = insert(Event).values(created).cte("filed_events")
    else:
        # (INSERT ... SELECT ... UNION ALL, in this order: a multi-row VALUES is compiled
        # again at every call, SQLAlchemy keeping no cache of it)
        columns = Event.__table__.c  # type: ignore[attr-defined]
        rows = [select(*(bindparam(value.key, type_=columns[name].type) if isinstance(
            value, BindParameter) else literal(value, columns[name].type)
            for name, value in created.items()))]
        rows += [select(*(bindparam(f"{name}_{n}", type_=columns[name].type)
                          for name in _EVENT_KEYS)) for n in range(extra_events)]
        events = insert(Event).from_select(list(_EVENT_KEYS), union_all(*rows)).cte(
            "filed_events")
    linked = None
    if tags:
        linked = insert(TicketTag).from_select(
            ["ticket_id", "tag_id"],
            select(bindparam("ticket_id", type_=Integer), col(Tag.id))
            .where(col(Tag.name).in_(bindparam("tag_names", expanding=True)))
        ).returning(col(TicketTag.tag_id)).cte("linked_tags")
    statement = insert(Message).values(
        {name: bindparam(name) for name in ("ticket_id", "author_agent_id", "author_customer_id",
                                            "public", "body", "created_at", "source_message_id",
                                            "minutes")}).add_cte(events)
    returning: Insert
    if linked is None:
        returning = statement.returning(col(Message.id), null())
    else:
        returning = statement.add_cte(linked).returning(
            col(Message.id), select(func.array_agg(linked.c.tag_id)).scalar_subquery())
    _FILINGS[shape] = returning
    return returning


def insert_ticket(session: Session, *, number: int, subject: str, status: str, priority: int,
                  type: str, channel: str, requester_id: int, assignee_id: int | None,
                  group_id: int | None, tier: int, at: datetime, version: int = 1) -> None:
    """A new ticket row (nothing answered, solved or merged yet), at version 1 unless the
    rules' change is written with it (version 2)."""
    session.connection().execute(_INSERT_TICKET, {
        "id": number, "subject": subject, "status": status, "priority": priority,
        "type": type, "channel": channel, "requester_id": requester_id,
        "assignee_id": assignee_id, "group_id": group_id, "tier": tier, "created_at": at,
        "updated_at": at, "version": version})


def writes_together(session: Session) -> bool:
    """Whether the store takes several writes in one statement (PostgreSQL's data-modifying
    ``WITH``): each statement is a round trip to the server there. SQLite has no such
    ``WITH``, and its statements cost no round trip."""
    return session.connection().dialect.name == "postgresql"


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


def customer_rows(session: Session, emails: Sequence[str]) -> dict[str, Customer | None]:
    """The customers writing from ``emails`` (normalized), by address (None: no such
    customer), returned detached as :func:`customer_row` returns them, in one statement (the
    senders of the next mails to file: :func:`know_customers`)."""
    if not emails:
        return {}
    found: dict[str, Customer | None] = dict.fromkeys(emails)
    for row in session.connection().execute(_CUSTOMERS_BY_EMAIL, {"emails": list(emails)}):
        found[str(row[2])] = detached_row(Customer, id=row[0], name=row[1], email=row[2],
                                          organization_id=row[3], tier=row[4])
    return found


def know_customers(session: Session, known: dict[str, Customer | None]) -> None:
    """:func:`customer_row` answers from ``known`` (:func:`customer_rows`, in this transaction
    or one committed since) for its addresses, without asking; :func:`insert_customer` drops
    the address it makes. Any rollback in the session (a savepoint's too) empties ``known``:
    a customer found may have been made by what was rolled back."""
    session.info[_KNOWN_CUSTOMERS] = known


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_known_customers(session: OrmSession, _previous: SessionTransaction) -> None:
    known: dict[str, Customer | None] | None = session.info.get(_KNOWN_CUSTOMERS)
    if known:
        known.clear()


def customer_row(session: Session, email: str) -> Customer | None:
    """The customer writing from ``email`` (normalized), returned detached (not in the
    session: only to read; a new ticket's requester): one plain statement, without the ORM's
    loading (which cost a filed mail more than its writes), or none when the caller looked it
    up already (:func:`know_customers`)."""
    known: dict[str, Customer | None] | None = session.info.get(_KNOWN_CUSTOMERS)
    if known is not None and email in known:
        return known[email]  # (None: new, as far as the look-up knew: insert_customer)
    row = session.connection().execute(_CUSTOMER_BY_EMAIL, {"email": email}).first()
    if row is None:
        return None
    return detached_row(Customer, id=row[0], name=row[1], email=row[2], organization_id=row[3],
                        tier=row[4])


def insert_customer(session: Session, *, name: str, email: str,
                    at: datetime) -> Customer | None:
    """A new customer (``email`` normalized, ``name`` cleaned) in the organization whose
    domain is that of ``email`` (the lowest-numbered, if several), found in the same
    statement; returned detached (not in the session). An address already taken: on
    PostgreSQL None (nothing inserted, the transaction goes on), elsewhere
    :class:`~sqlalchemy.exc.IntegrityError`."""
    connection = session.connection()
    row = connection.execute(
        _INSERT_NEW_CUSTOMER if connection.dialect.name == "postgresql" else _INSERT_CUSTOMER,
        {"name": name, "email": email, "domain": email.rsplit("@", 1)[1],
         "created_at": at}).first()
    known: dict[str, Customer | None] | None = session.info.get(_KNOWN_CUSTOMERS)
    if known is not None:
        known.pop(email, None)  # (looked up before it was made: ask again)
    if row is None:
        return None
    return detached_row(Customer, id=row[0], name=name, email=email, organization_id=row[1],
                        internal=False, tier="standard", created_at=at)


def insert_first_message(session: Session, *, ticket_id: int, author_customer_id: int,
                         body: str, at: datetime, source_message_id: str | None,
                         actor_agent_id: int | None, channel: str,
                         events: Sequence[dict[str, object]] = (),
                         tags: Sequence[str] = ()) -> tuple[int, set[int] | None]:
    """A new ticket's first message (public, the requester's), its ``created`` event
    (version 1) and ``events`` (more of its events, each with :func:`insert_event`'s keys);
    with ``tags``, where :func:`writes_together`, its links to those of them that exist.
    Returns the message's id and the ids of the tags linked (None: none were, the caller
    links them: see :func:`link_existing_tags`). One statement where :func:`writes_together`,
    else two."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        message_id = insert_message(session, ticket_id=ticket_id, body=body, public=True,
                                    at=at, author_customer_id=author_customer_id,
                                    source_message_id=source_message_id)
        insert_events(session, [
            {"ticket_id": ticket_id, "actor_agent_id": actor_agent_id, "field": "created",
             "old": None, "new": channel, "version": 1, "at": at, "via": None}, *events])
        return message_id, None
    values: dict[str, object] = {
        "ticket_id": ticket_id, "author_agent_id": None,
        "author_customer_id": author_customer_id, "public": True, "body": body,
        "created_at": at, "source_message_id": source_message_id, "minutes": None,
        "actor_agent_id": actor_agent_id, "channel": channel}
    for n, event_row in enumerate(events):
        values |= {f"{name}_{n}": event_row[name] for name in _EVENT_KEYS}
    if tags:
        values["tag_names"] = list(tags)
    row = connection.execute(_filing_statement(len(events), bool(tags)), values).one()
    new_id: int | None = row[0]
    assert new_id is not None  # the database numbers every row it inserts
    return new_id, (set(row[1] or ()) if tags else None)


def known_tag_ids(session: Session, names: list[str]) -> dict[str, int]:
    """The ids of those of the tags ``names`` that exist (one statement built once: every
    change of a ticket's tags asks)."""
    return {name: tag_id for name, tag_id in
            session.connection().execute(_TAG_IDS, {"names": names}).all()
            if tag_id is not None}


def link_existing_tags(session: Session, number: int, names: list[str]) -> set[int]:
    """Link the new ticket ``number`` to those of the tags ``names`` that exist, in one
    statement; returns their ids (fewer than ``names``: some are new)."""
    return {tag_id for (tag_id,) in session.connection().execute(
        _LINK_TAGS, {"number": number, "names": names}).all()}


def insert_ticket_tags(session: Session, number: int, tag_ids: list[int]) -> None:
    """The tags ``tag_ids`` of the new ticket ``number``, in one statement."""
    if tag_ids:
        session.connection().execute(_INSERT_TICKET_TAG,
                                     [{"ticket_id": number, "tag_id": i} for i in tag_ids])


def insert_events(session: Session, rows: list[dict[str, object]]) -> None:
    """Audit events in one statement (each row has :func:`insert_event`'s keys)."""
    if rows:
        session.connection().execute(_INSERT_EVENT, rows)


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


__all__ = [
    "customer_row",
    "customer_rows",
    "insert_customer",
    "insert_event",
    "insert_events",
    "insert_first_message",
    "insert_message",
    "insert_ticket",
    "insert_ticket_tags",
    "know_customers",
    "known_tag_ids",
    "link_existing_tags",
    "organization_name",
    "writes_together",
]
