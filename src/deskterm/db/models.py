"""The tables. Every timestamp is UTC; the ticket's ``id`` is its customer-facing number (#1001)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import class_mapper, deferred
from sqlmodel import Field, SQLModel

from deskterm.db.choices import CHANNELS as CHANNELS  # re-exported: the models name them
from deskterm.db.choices import PRIORITIES as PRIORITIES
from deskterm.db.choices import ROLES as ROLES
from deskterm.db.choices import STATUSES as STATUSES
from deskterm.db.choices import TICKET_TYPES as TICKET_TYPES
from deskterm.db.types import UTCDateTime, utcnow

FIRST_TICKET_NUMBER = 1001


class Stored(Protocol):
    """A table's row: its ``id`` is None until the session has inserted it."""

    id: int | None


Row = TypeVar("Row", bound=SQLModel)


def detached_row(model: type[Row], **values: Any) -> Row:
    """A row object of ``model`` with ``values`` (the others their defaults) that no session
    holds: written or read by plain SQL, only to read and to change in memory (a new ticket's
    requester, the ticket the ``created`` rules see before its row is written). Made without
    the model's ``__init__`` (each field set through the ORM's instrumentation: about 100 us
    for a ticket, 17 us this way; filing a ticket made two), with the same values and ORM
    state as one it makes. Nothing is validated: the caller passes the values of a row."""
    row = model.model_construct(**values)
    class_mapper(model).class_manager.setup_instance(row)
    return row


def key(row: Stored) -> int:
    """The id of a row the session has inserted or loaded (every row the desk works on)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: it was never flushed")
    return row.id

# Deterministic constraint names, so migrations can refer to them on both stores.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


PARTIAL_INDEXES: dict[str, dict[str, str]] = {
    "ix_tickets_merged": {"sqlite": "merged_into_id IS NOT NULL",
                          "postgresql": "merged_into_id IS NOT NULL"},
    "ix_messages_minutes": {"sqlite": "minutes IS NOT NULL",
                            "postgresql": "minutes IS NOT NULL"},
    "ix_messages_public_replies": {"sqlite": "public = 1 AND author_agent_id IS NOT NULL",
                                   "postgresql": "public AND author_agent_id IS NOT NULL"},
    "ix_tickets_sla_policy_due": {"sqlite": "sla_due_at IS NOT NULL",
                                  "postgresql": "sla_due_at IS NOT NULL"},
}
"""The conditions of the partial indexes of migrations 0018, 0023 and 0024, by dialect. Not
given to the ``Index`` objects (a PostgreSQL-only option loads that dialect, some 30 ms of every
command's start): whatever rebuilds an index from the models (bulk loads, imports) appends them
through :func:`create_index_sql`."""


def create_index_sql(index: Index, dialect: Any) -> str:
    """``CREATE INDEX`` for one of the models' indexes, partial ones with their condition."""
    from sqlalchemy.schema import CreateIndex

    sql = str(CreateIndex(index).compile(dialect=dialect))
    condition = PARTIAL_INDEXES.get(str(index.name), {}).get(dialect.name)
    return f"{sql} WHERE {condition}" if condition else sql


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Organization(SQLModel, table=True):
    __tablename__ = "organizations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    domain: str | None = Field(default=None, sa_column=Column(String(255), index=True))
    """The e-mail domain its people write from (acme.com), used to match new requesters."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Customer(SQLModel, table=True):
    """A requester: anyone who asks the desk for help, employee (internal) or not."""

    __tablename__ = "customers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False))
    email: str | None = Field(default=None, sa_column=Column(String(320), unique=True))
    """None for a requester known only by name (a phone call, a chat; migration 0012)."""
    organization_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("organizations.id"), index=True),
    )
    internal: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    tier: str = Field(default="standard", sa_column=Column(String(32), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Agent(SQLModel, table=True):
    """A member of the support team, mapped to an operating-system user name."""

    __tablename__ = "agents"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    display_name: str = Field(sa_column=Column(String(200), nullable=False))
    email: str | None = Field(default=None, sa_column=Column(String(320)))
    role: str = Field(default="agent", sa_column=Column(String(16), nullable=False))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    skills: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    away: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    """Away (holiday, off shift): automatic assignment skips them (migration 0015)."""
    capacity: int | None = Field(default=None, sa_column=Column(Integer))
    """The most open tickets automatic assignment gives them (None: no limit)."""


class Group(SQLModel, table=True):
    """A team queue (billing, network, level 2 ...)."""

    __tablename__ = "agent_groups"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    assignment: str = Field(default="manual", sa_column=Column(
        String(16), nullable=False))
    """How a ticket landing unassigned in the group gets an assignee: ``manual`` (it waits in
    the group's queue), ``round-robin``, ``least-loaded``, ``skills`` (migration 0015)."""
    last_assigned_id: int | None = Field(default=None, sa_column=Column(Integer))
    """Round-robin's place: the agent it assigned last (the next is the member after them)."""
    restricted: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    """Restricted to its members: other agents (not admins) neither see nor change its tickets;
    open (False) to every agent (migration 0019)."""


class GroupMember(SQLModel, table=True):
    __tablename__ = "agent_group_members"

    group_id: int = Field(
        sa_column=Column(Integer, ForeignKey("agent_groups.id", ondelete="CASCADE"),
                         primary_key=True)
    )
    agent_id: int = Field(
        sa_column=Column(Integer, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True,
                         index=True)
    )


class Tag(SQLModel, table=True):
    __tablename__ = "tags"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(64), nullable=False, unique=True))


class Ticket(SQLModel, table=True):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(f"priority BETWEEN 0 AND {len(PRIORITIES) - 1}",
                        name="priority"),
        CheckConstraint(_in("type", TICKET_TYPES), name="type"),
        CheckConstraint("tier BETWEEN 1 AND 3", name="tier"),
        # The queue's usual filters and orders: a status (or assignee / group and status) by the
        # last update, newest first, with the id as the keyset tie-breaker.
        Index("ix_tickets_status_updated", "status", "updated_at", "id"),
        Index("ix_tickets_assignee_status_updated", "assignee_id", "status", "updated_at", "id"),
        Index("ix_tickets_group_status_updated", "group_id", "status", "updated_at", "id"),
        Index("ix_tickets_requester_created", "requester_id", "created_at", "id"),
        Index("ix_tickets_updated", "updated_at", "id"),
        Index("ix_tickets_created", "created_at", "id"),
        Index("ix_tickets_priority", "priority", "id"),
        # status:pending priority:high, counted and paged in the queue without touching a row
        Index("ix_tickets_status_priority_updated", "status", "priority", "updated_at", "id"),
        # One ticket per id it had in the desk it was imported from (migration 0012).
        Index("ix_tickets_external_id", "external_id", unique=True),
        # sla:breached, sla:<1h, sort:sla (migration 0016).
        Index("ix_tickets_sla_due", "sla_due_at", "id"),
        # The SLA escalation's tickets due by a time under one policy, partial: running due
        # times only (migration 0023; the condition is in PARTIAL_INDEXES).
        Index("ix_tickets_sla_policy_due", "sla_policy_id", "sla_due_at", "id"),
        # Partial (migration 0018: merged tickets only; the condition is not repeated here, as
        # for uq_saved_views_shared_name below).
        Index("ix_tickets_merged", "closed_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True,
                                                          autoincrement=False))
    subject: str = Field(sa_column=Column(String(500), nullable=False))
    status: str = Field(default="new", sa_column=Column(String(16), nullable=False))
    priority: int = Field(default=1, sa_column=Column(SmallInteger, nullable=False))
    type: str = Field(default="question", sa_column=Column(String(16), nullable=False))
    channel: str = Field(default="email", sa_column=Column(String(16), nullable=False))
    requester_id: int = Field(sa_column=Column(Integer, ForeignKey("customers.id"),
                                               nullable=False))
    assignee_id: int | None = Field(default=None, sa_column=Column(Integer,
                                                                   ForeignKey("agents.id")))
    group_id: int | None = Field(default=None, sa_column=Column(Integer,
                                                                ForeignKey("agent_groups.id")))
    tier: int = Field(default=1, sa_column=Column(SmallInteger, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    first_response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    solved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopens: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    """Raised by every field change; a change made against an older version is refused."""
    merged_into_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("tickets.id", name="fk_tickets_merged_into_id_tickets")))
    """Set when this ticket was merged into another (it is closed, its messages moved there)."""
    customer_replied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the requester last wrote after opening the ticket (a follow-up, not the first mail)."""
    external_id: str | None = Field(default=None, sa_column=Column(String(200)))
    """Its id in the desk it was imported from, so a second import updates it (migration 0012)."""
    # --- SLA (migration 0016): kept current by ``deskterm.desk.sla.due.refresh`` ---------------
    sla_policy_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("sla_policies.id")))
    """The SLA policy that matched it (None: no policy applies)."""
    first_response_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """While the first public reply is owed (None: met, or no such target)."""
    next_response_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """While a reply to the requester's follow-up is owed."""
    resolution_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """While the ticket is not solved."""
    sla_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """The earliest due time of the targets still running (None: no policy, all met, paused)."""
    sla_paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the clock stopped (pending, on-hold); None while it runs."""
    sla_paused_minutes: int = Field(default=0, sa_column=Column(
        Integer, nullable=False, server_default="0"))
    """Business minutes the clock stood still since the ticket was filed (first response and
    resolution run that much later)."""
    next_response_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the follow-up that the next response answers came in (None: none owed)."""
    next_response_paused_minutes: int = Field(default=0, sa_column=Column(
        Integer, nullable=False, server_default="0"))
    """Business minutes paused since ``next_response_started_at``."""
    # --- Reports (migration 0022): written by ``deskterm.desk.sla.due.refresh`` ------------------
    first_response_business_minutes: int | None = Field(default=None, sa_column=Column(Integer))
    """Business minutes (its SLA policy's calendar) from filing to the first public reply; None
    where no calendar applies (the reports count the wall clock then)."""
    resolution_business_minutes: int | None = Field(default=None, sa_column=Column(Integer))
    """Business minutes from filing to the (last) solve; None where no calendar applies, and
    while a reopened ticket is unsolved."""
    first_response_sla_met: bool | None = Field(default=None, sa_column=Column(Boolean))
    """How the first-response target ended (as its :class:`SlaOutcome`): met in time or not;
    None while it runs or where no policy set one. The reports count SLA compliance from it
    by the tickets' own index (an outcome per ticket read through a join was 1.5 s a month
    on a 1M desk)."""
    resolution_sla_met: bool | None = Field(default=None, sa_column=Column(Boolean))
    """How the resolution target ended at the (last) solve; None while it runs."""


class TicketTag(SQLModel, table=True):
    __tablename__ = "ticket_tags"

    ticket_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    )
    tag_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True,
                         index=True)
    )


MESSAGE_ONE_AUTHOR = (
    "((author_agent_id IS NULL) <> (author_customer_id IS NULL)) OR "
    "(via IS NOT NULL AND author_agent_id IS NULL AND author_customer_id IS NULL)"
)
"""An agent or a customer wrote it, or (migration 0014) a rule did: no author, ``via`` names
the rule."""


class Message(SQLModel, table=True):
    """One entry of a ticket's thread: a public reply or an internal note."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(MESSAGE_ONE_AUTHOR, name="one_author"),
        Index("ix_messages_ticket", "ticket_id", "id"),
        UniqueConstraint("source_message_id"),
        # Partial (migration 0018: only messages with minutes; only agents' public replies).
        # The conditions are not repeated here, as for uq_saved_views_shared_name below.
        # ix_messages_minutes covers the reports' time logged (migration 0024).
        Index("ix_messages_minutes", "created_at", "author_agent_id", "minutes", "ticket_id"),
        Index("ix_messages_public_replies", "ticket_id", "public", "author_agent_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(sa_column=Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"),
                                            nullable=False))
    author_agent_id: int | None = Field(default=None, sa_column=Column(Integer,
                                                                       ForeignKey("agents.id")))
    author_customer_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("customers.id"))
    )
    public: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    source_message_id: str | None = Field(default=None, sa_column=Column(String(998)))
    """The e-mail Message-ID it came from, so a mail fetched twice is not filed twice."""
    minutes: int | None = Field(default=None, sa_column=Column(Integer))
    """Time the agent spent on this reply or note, when they said."""
    via: str | None = Field(default=None, sa_column=Column(String(120)))
    """What wrote it when no one did: ``rule:Route billing`` (migration 0014)."""


class Event(SQLModel, table=True):
    """The audit trail: who changed which field of a ticket, from what, to what, when."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_ticket", "ticket_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(sa_column=Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"),
                                            nullable=False))
    actor_agent_id: int | None = Field(default=None, sa_column=Column(Integer,
                                                                      ForeignKey("agents.id")))
    field: str = Field(sa_column=Column(String(32), nullable=False))
    old: str | None = Field(default=None, sa_column=Column(Text))
    new: str | None = Field(default=None, sa_column=Column(Text))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    """The ticket version this change produced, so a stale writer can be told what it missed."""
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    via: str | None = Field(default=None, sa_column=Column(String(120)))
    """What made an automatic change: ``rule:Route billing``, ``sla:Urgent``,
    ``automation:close-solved`` (None: the actor, or with no actor the customer's mail)."""


RULE_TRIGGERS = ("created", "updated", "customer_reply")


class Rule(SQLModel, table=True):
    """A rule: when a ticket is created, updated or the customer replies, and it matches every
    condition, its actions are made (migration 0014). See desk/automation/."""

    __tablename__ = "rules"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    position: int = Field(sa_column=Column(Integer, nullable=False))
    """The order rules run in (the rules file's order)."""
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    triggers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    conditions: list[dict[str, Any]] = Field(default_factory=list,
                                             sa_column=Column(JSON, nullable=False))
    actions: list[dict[str, Any]] = Field(default_factory=list,
                                          sa_column=Column(JSON, nullable=False))
    stop: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    """Stop processing: no later rule runs on this change once this one fired."""
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Counter(SQLModel, table=True):
    """Named counters; ``ticket_number`` hands out ticket numbers from #1001 upwards."""

    __tablename__ = "counters"

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    value: int = Field(sa_column=Column(Integer, nullable=False))


class TicketSeen(SQLModel, table=True):
    """When an agent last looked at or worked on a ticket (for the unseen-reply marker)."""

    __tablename__ = "ticket_seen"

    ticket_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    )
    agent_id: int = Field(
        sa_column=Column(Integer, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    )
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SavedView(SQLModel, table=True):
    """A named queue filter: personal to its owner, or shared with the whole team."""

    __tablename__ = "saved_views"
    __table_args__ = (
        # One name per owner (personal or shared), and one name among the shared views.
        UniqueConstraint("owner_agent_id", "name", name="uq_saved_views_owner_name"),
        # Partial (``WHERE shared``): see migration 0002. The condition is not repeated here, as
        # the models never create a table and a PostgreSQL-only option would load that dialect
        # (some 30 ms of every command's start) on a SQLite desk too.
        Index("uq_saved_views_shared_name", "name", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(60), nullable=False))
    query: str = Field(default="", sa_column=Column(Text, nullable=False))
    """The filter-language text (see desk/filter/language.py)."""
    sort: str = Field(default="-updated", sa_column=Column(String(32), nullable=False))
    owner_agent_id: int = Field(sa_column=Column(Integer, ForeignKey("agents.id"),
                                                 nullable=False))
    shared: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


DRAFT_KINDS = ("reply", "note", "customer")
PRESENCE_ACTIVITIES = ("viewing", "writing")
LINK_KINDS = ("related", "incident")


class Draft(SQLModel, table=True):
    """What an agent is writing on a ticket, stored as they type so nothing is lost."""

    __tablename__ = "drafts"
    __table_args__ = (CheckConstraint(_in("kind", DRAFT_KINDS), name="kind"),)

    ticket_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    )
    agent_id: int = Field(
        sa_column=Column(Integer, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    )
    kind: str = Field(default="reply", sa_column=Column(String(8), nullable=False))
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    minutes: int | None = Field(default=None, sa_column=Column(Integer))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Presence(SQLModel, table=True):
    """Who has a ticket open, and whether they are writing; refreshed by a heartbeat."""

    __tablename__ = "presence"
    __table_args__ = (
        CheckConstraint(_in("activity", PRESENCE_ACTIVITIES), name="activity"),
        Index("ix_presence_seen", "seen_at"),
    )

    ticket_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    )
    agent_id: int = Field(
        sa_column=Column(Integer, ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    )
    activity: str = Field(default="viewing", sa_column=Column(String(8), nullable=False))
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Macro(SQLModel, table=True):
    """A canned answer: a body template and actions applied when it is sent."""

    __tablename__ = "macros"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    actions: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """``{"status": ..., "priority": ..., "group": ..., "assignee": ..., "add_tags": [...],
    "remove_tags": [...]}``; any subset."""
    created_by_id: int | None = Field(default=None, sa_column=Column(Integer,
                                                                     ForeignKey("agents.id")))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class TicketLink(SQLModel, table=True):
    """Two related tickets, or an incident (``ticket``) of a problem (``other``)."""

    __tablename__ = "ticket_links"
    __table_args__ = (
        CheckConstraint(_in("kind", LINK_KINDS), name="kind"),
        CheckConstraint("ticket_id <> other_id", name="not_self"),
        Index("ix_ticket_links_other", "other_id", "kind"),
    )

    ticket_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    )
    other_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    )
    kind: str = Field(default="related", sa_column=Column(String(16), nullable=False,
                                                          primary_key=True))
    created_by_id: int | None = Field(default=None, sa_column=Column(Integer,
                                                                     ForeignKey("agents.id")))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# --- Knowledge base -----------------------------------------------------------------------------

ARTICLE_STATUSES = ("draft", "published")
ARTICLE_VISIBILITIES = ("internal", "public")


class KbCategory(SQLModel, table=True):
    """A folder of the knowledge base; categories form a tree (``parent_id`` None: a root)."""

    __tablename__ = "kb_categories"
    __table_args__ = (
        # One name per parent; NULLs never clash in a unique constraint, so roots get their own.
        UniqueConstraint("parent_id", "name", name="uq_kb_categories_parent_name"),
        # Partial (``WHERE parent_id IS NULL``): see migration 0005 (and the note above).
        Index("uq_kb_categories_root_name", "name", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("kb_categories.id")))
    name: str = Field(sa_column=Column(String(100), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Article(SQLModel, table=True):
    """A knowledge-base article: Markdown text, found by full-text search (migration 0005)."""

    __tablename__ = "kb_articles"
    __table_args__ = (
        CheckConstraint(_in("status", ARTICLE_STATUSES), name="status"),
        CheckConstraint(_in("visibility", ARTICLE_VISIBILITIES), name="visibility"),
        Index("ix_kb_articles_category_title", "category_id", "title"),
        Index("ix_kb_articles_updated", "updated_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(120), nullable=False, unique=True))
    """The article's name in URLs and files (``vpn-reset`` is ``vpn-reset.md``)."""
    title: str = Field(sa_column=Column(String(300), nullable=False))
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    """Markdown, untrusted: shown through ``desk.kb.render.safe_markdown``."""
    category_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("kb_categories.id")))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="draft", sa_column=Column(String(16), nullable=False))
    visibility: str = Field(default="internal", sa_column=Column(String(16), nullable=False))
    author_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("agents.id")))
    updated_by_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    """The agent who saved it last (an agent id; migration 0007)."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False))
    """Raised by every edit; an edit made against an older version is refused."""
    views: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    helpful_votes: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    insert_count: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    """How often its body was inserted into a reply."""
    link_count: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    """How often a link to it was inserted into a reply, or it was linked to a ticket."""


class ArticleTicket(SQLModel, table=True):
    """An article used on (or linked to) a ticket."""

    __tablename__ = "kb_article_tickets"
    __table_args__ = (Index("ix_kb_article_tickets_ticket", "ticket_id"),)

    article_id: int = Field(sa_column=Column(
        Integer, ForeignKey("kb_articles.id", ondelete="CASCADE"), primary_key=True))
    ticket_id: int = Field(sa_column=Column(
        Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True))
    linked_by_id: int | None = Field(default=None, sa_column=Column(Integer,
                                                                    ForeignKey("agents.id")))
    linked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# --- Mail ---------------------------------------------------------------------------------------


# SQLModel's Field cannot say "deferred": the mapper is given the column as a deferred property.
_ATTACHMENT_DATA = Column("data", LargeBinary, nullable=False)
_QUARANTINED_RAW = Column("raw", LargeBinary, nullable=False)


class Attachment(SQLModel, table=True):
    """A file that came with a customer's mail, kept whole (up to the intake's size caps)."""

    __tablename__ = "attachments"
    __mapper_args__ = {"properties": {"data": deferred(_ATTACHMENT_DATA)}}

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(sa_column=Column(
        Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False, index=True))
    filename: str = Field(sa_column=Column(String(255), nullable=False))
    """Cleaned: no folders, no control characters (see ``desk.mail.parse``)."""
    content_type: str = Field(sa_column=Column(String(127), nullable=False))
    size: int = Field(sa_column=Column(Integer, nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))
    data: bytes = Field(sa_column=_ATTACHMENT_DATA)
    """The bytes: deferred (loaded on first use), so listing a ticket's files reads none."""


class MailQuarantine(SQLModel, table=True):
    """A mail the intake could not file (unparsable, over a cap), kept whole with the reason."""

    __tablename__ = "mail_quarantine"
    __table_args__ = (Index("ix_mail_quarantine_received", "received_at", "id"),)
    __mapper_args__ = {"properties": {"raw": deferred(_QUARANTINED_RAW)}}

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    source: str = Field(sa_column=Column(String(200), nullable=False))
    """Where it came from: ``mbox:/path#12``, ``maildir:/path/cur/1733.M1P2.host``,
    ``imap:host/INBOX uid 7``."""
    reason: str = Field(sa_column=Column(Text, nullable=False))
    message_id: str | None = Field(default=None, sa_column=Column(String(998)))
    """Its Message-ID, when one could be read."""
    sha256: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    """Of ``raw``: the same bytes arriving again are not kept twice."""
    raw: bytes = Field(sa_column=_QUARANTINED_RAW)
    """The mail's bytes as they came: deferred, like an attachment's."""


OUTBOX_KINDS = ("reply", "acknowledgement", "rule", "confirmation", "reminder")
"""``rule``: a rule's mail (migration 0014); ``confirmation``: a solved ticket's solution and
rating question; ``reminder``: a pending ticket's nudge (migration 0017)."""
OUTBOX_STATES = ("queued", "sending", "sent", "failed")


class OutboxMail(SQLModel, table=True):
    """An e-mail the desk sends: a public reply or a new ticket's acknowledgement.

    Composed once, when queued (``raw``): a retry sends the same bytes with the same
    Message-ID. ``sending`` rows are claimed by one sender (``claimed_by``) until ``claimed_at``
    plus the lease.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_in("kind", OUTBOX_KINDS), name="kind"),
        CheckConstraint(_in("state", OUTBOX_STATES), name="state"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(sa_column=Column(
        Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True))
    message_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("messages.id", ondelete="CASCADE"), unique=True))
    """The reply it carries (None for an acknowledgement, which is no message of the thread)."""
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    to_address: str = Field(sa_column=Column(String(320), nullable=False))
    subject: str = Field(sa_column=Column(Text, nullable=False))
    rfc_message_id: str | None = Field(default=None, sa_column=Column(String(998)))
    """Its Message-ID header, without ``<>``."""
    raw: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    """The whole message as sent (None: it could not be composed; ``last_error`` says why)."""
    state: str = Field(default="queued", sa_column=Column(String(8), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime,
                                      nullable=False)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    claimed_by: str | None = Field(default=None, sa_column=Column(String(64)))
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MailSettings(SQLModel, table=True):
    """The desk's own mail settings (one row): who its mail is from, the acknowledgement.
    The server it sends through is the machine's (config.toml ``[smtp]``)."""

    __tablename__ = "mail_settings"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: int = Field(default=1, primary_key=True)
    enabled: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    """Public replies are e-mailed (and new e-mail tickets acknowledged)."""
    from_address: str | None = Field(default=None, sa_column=Column(String(320)))
    from_name: str = Field(default="", sa_column=Column(String(200), nullable=False))
    acknowledge: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    ack_subject: str = Field(default="", sa_column=Column(Text, nullable=False))
    """Empty: the default subject."""
    ack_body: str = Field(default="", sa_column=Column(Text, nullable=False))
    """Empty: the default body."""
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# --- SLAs (migration 0016) ----------------------------------------------------------------------

SLA_TARGETS = ("first_response", "next_response", "resolution")
SLA_OUTCOMES = ("met", "breached")


class BusinessCalendar(SQLModel, table=True):
    """When the desk works: weekly hours in a time zone, less holidays (``desk.sla.calendar``)."""

    __tablename__ = "business_calendars"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    timezone: str = Field(sa_column=Column(String(64), nullable=False))
    """An IANA zone (Europe/Berlin)."""
    hours: dict[str, list[list[str]]] = Field(default_factory=dict,
                                              sa_column=Column(JSON, nullable=False))
    """Weekday (mon..sun) -> spans ``[["09:00", "12:30"], ["13:30", "18:00"]]``, local time."""
    holidays_country: str | None = Field(default=None, sa_column=Column(String(8)))
    """ISO country code whose public holidays (the ``holidays`` package) are days off."""
    holidays_subdivision: str | None = Field(default=None, sa_column=Column(String(16)))
    extra_holidays: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """ISO dates (2026-12-24) off as well."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SlaPolicy(SQLModel, table=True):
    """Targets for the tickets it matches; the first active policy by ``position`` wins."""

    __tablename__ = "sla_policies"
    __table_args__ = (Index("ix_sla_policies_position", "position", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    priority: int | None = Field(default=None, sa_column=Column(SmallInteger))
    """Matches tickets of this priority (None: any)."""
    customer_tier: str | None = Field(default=None, sa_column=Column(String(32)))
    """Matches requesters of this tier (None: any)."""
    organization_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("organizations.id", ondelete="CASCADE")))
    """Matches requesters of this organization (None: any)."""
    calendar_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("business_calendars.id")))
    """The hours its minutes count in (None: around the clock)."""
    first_response_minutes: int | None = Field(default=None, sa_column=Column(Integer))
    next_response_minutes: int | None = Field(default=None, sa_column=Column(Integer))
    resolution_minutes: int | None = Field(default=None, sa_column=Column(Integer))
    escalation: dict[str, Any] = Field(default_factory=dict,
                                       sa_column=Column(JSON, nullable=False))
    """``{"within_minutes", "tier", "group", "assignee", "note"}``: validated when loaded,
    acted on by the automation runner."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SlaOutcome(SQLModel, table=True):
    """One target of one ticket that ended: met in time, or breached (met late or never).

    Written when the target stops running (the reply, the solve, the policy no longer applying),
    so compliance per target is ``met / (met + breached)`` over these rows; targets still running
    past their due time are in ``tickets`` (``sla_due_at < now``).
    """

    __tablename__ = "sla_outcomes"
    __table_args__ = (
        CheckConstraint(_in("target", SLA_TARGETS), name="target"),
        CheckConstraint(_in("outcome", SLA_OUTCOMES), name="outcome"),
        Index("ix_sla_outcomes_ticket", "ticket_id", "id"),
        Index("ix_sla_outcomes_target_ended", "target", "ended_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(sa_column=Column(
        Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False))
    policy_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("sla_policies.id", ondelete="SET NULL")))
    policy_name: str = Field(sa_column=Column(String(100), nullable=False))
    """As it was named then (the policy may be gone)."""
    target: str = Field(sa_column=Column(String(16), nullable=False))
    outcome: str = Field(sa_column=Column(String(8), nullable=False))
    started_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    """The due time it had when it ended (pauses included); breached at this time if late."""
    met_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When it was met (None: it ended unmet, e.g. solved without a public reply)."""
    ended_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# --- Automation and CSAT (migration 0017) -------------------------------------------------------

# Auto-close looks for solved tickets by when they were solved: without this index a pass over a
# 1M desk reads every solved ticket. The reports' "solved in a range" (status solved or closed)
# reads it too (migration 0022 dropped 0018's ix_tickets_solved, which it made redundant).
#
# Both report indexes (migration 0022) carry the columns the reports group and filter by, so a
# month of a 1M desk (a third of a million tickets) is counted from the index alone, without
# reading a ticket row (bench/reports.py). The id last: PostgreSQL's index-only scan needs it
# for the joins (tags, ratings, one-touch replies); SQLite keeps the rowid in every index anyway.
REPORT_COLUMNS = ("merged_into_id", "assignee_id", "group_id", "priority", "channel")
_TICKET_COLUMNS = Ticket.__table__.c  # type: ignore[attr-defined]
Index("ix_tickets_status_solved", *(_TICKET_COLUMNS[name] for name in (
    "status", "solved_at", *REPORT_COLUMNS, "created_at", "reopens",
    "resolution_business_minutes", "resolution_sla_met", "id")))
Index("ix_tickets_created_report", *(_TICKET_COLUMNS[name] for name in (
    "created_at", *REPORT_COLUMNS, "first_response_at", "first_response_business_minutes",
    "first_response_sla_met", "id")))


class AutomationLease(SQLModel, table=True):
    """Who runs the desk's timers now: one row per lease (``runner``), taken by a conditional
    UPDATE (free, expired, or already this holder's), so exactly one runner acts at a time."""

    __tablename__ = "automation_leases"

    name: str = Field(sa_column=Column(String(32), primary_key=True))
    holder: str | None = Field(default=None, sa_column=Column(String(200)))
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_pass_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When the last pass under this lease ended (``automate status``)."""
    escalations_seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """The start of the last pass that escalated everything due then (None: none yet): the
    next pass looks only at tickets coming due since, or changed since."""


class AutomationSettings(SQLModel, table=True):
    """The desk's timers (one row; ``deskterm automate settings``)."""

    __tablename__ = "automation_settings"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: int = Field(default=1, primary_key=True)
    close_solved_after_days: int = Field(default=4, sa_column=Column(
        Integer, nullable=False, server_default="4"))
    """Solved tickets close this many calendar days after they were solved (0: never)."""
    remind_pending_after_days: int = Field(default=3, sa_column=Column(
        Integer, nullable=False, server_default="3"))
    """A ticket pending this many days without a change gets a reminder (0: never)."""
    every_seconds: int = Field(default=60, sa_column=Column(
        Integer, nullable=False, server_default="60"))
    """Seconds between two passes of a console's timer and of ``automate run --watch``."""
    batch: int = Field(default=500, sa_column=Column(
        Integer, nullable=False, server_default="500"))
    """At most this many tickets of each kind of work in one pass (the rest in the next)."""
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class AutomationMark(SQLModel, table=True):
    """What the runner did once and must not do again: an escalation of a ticket per SLA
    target (``kind`` escalation, ``target`` first_response / next_response / resolution)."""

    __tablename__ = "automation_marks"

    ticket_id: int = Field(sa_column=Column(
        Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True))
    kind: str = Field(sa_column=Column(String(16), primary_key=True))
    target: str = Field(sa_column=Column(String(32), primary_key=True))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SatisfactionRating(SQLModel, table=True):
    """The requester's rating of a solved ticket (CSAT 1-5), one per ticket (the newest)."""

    __tablename__ = "satisfaction_ratings"
    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 5", name="score"),
        Index("ix_satisfaction_ratings_customer", "customer_id", "rated_at"),
        Index("ix_satisfaction_ratings_rated", "rated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(sa_column=Column(
        Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, unique=True))
    customer_id: int = Field(sa_column=Column(Integer, ForeignKey("customers.id"),
                                              nullable=False))
    score: int = Field(sa_column=Column(SmallInteger, nullable=False))
    comment: str = Field(default="", sa_column=Column(Text, nullable=False))
    message_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("messages.id", ondelete="SET NULL")))
    """The customer's mail that carried it (None: recorded by an agent)."""
    recorded_by_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("agents.id")))
    """The agent who wrote down phone feedback (None: the customer's own mail)."""
    rated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
# --- Reports ------------------------------------------------------------------------------------

SEARCH_MISS_KINDS = ("kb", "queue")


class SearchMiss(SQLModel, table=True):
    """A search that found nothing: a knowledge-base search or a queue filter's words
    (migration 0018). The reports list the most frequent ones."""

    __tablename__ = "missed_searches"
    __table_args__ = (
        CheckConstraint(_in("kind", SEARCH_MISS_KINDS), name="kind"),
        Index("ix_missed_searches_at", "at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    kind: str = Field(sa_column=Column(String(8), nullable=False))
    query: str = Field(sa_column=Column(String(200), nullable=False))
    """What was searched for, whitespace folded, at most 200 characters."""
    agent_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("agents.id", ondelete="SET NULL")))


# --- Audit --------------------------------------------------------------------------------------


class AuditEntry(SQLModel, table=True):
    """One changed field of the desk's setup (migration 0020): a rule, macro, SLA policy or
    calendar, article or category, agent, group, automation or mail settings. Ticket changes
    have their own trail in :class:`Event`; ``deskterm audit`` lists both. Never updated."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_kind_at", "kind", "at"),
        Index("ix_audit_log_actor_at", "actor_agent_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor_agent_id: int | None = Field(default=None, sa_column=Column(Integer,
                                                                      ForeignKey("agents.id")))
    """The agent who made the change (None: nobody did, e.g. an automatic one)."""
    via: str | None = Field(default=None, sa_column=Column(String(120)))
    """What made an automatic change (``automation:...``), as ``Event.via``."""
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    """What sort of thing changed: ``rule``, ``macro``, ``sla``, ``calendar``, ``article``,
    ``category``, ``agent``, ``group``, ``automation``, ``mail``."""
    object: str = Field(sa_column=Column(String(200), nullable=False))
    """Its name: the rule's, the macro's, the agent's user name ..."""
    field: str = Field(sa_column=Column(String(64), nullable=False))
    old: str | None = Field(default=None, sa_column=Column(Text))
    """The value before (None: there was none, as on a creation)."""
    new: str | None = Field(default=None, sa_column=Column(Text))
    """The value after (None: there is none, as on a deletion)."""
