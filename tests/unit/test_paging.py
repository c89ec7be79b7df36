"""Keyset paging of ticket lists over a desk of more than a thousand tickets with tied sort keys.

The big desk is built once per store kind (SQLite, PostgreSQL) for the whole module, in one write
transaction through the domain; timestamps, statuses and types are then set to a handful of shared
values with bulk ORM updates, so every sort key has large groups of ties. The tests only read it.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.db.models import (
    PRIORITIES,
    STATUSES,
    TICKET_TYPES,
    Agent,
    Customer,
    Group,
    Organization,
    Tag,
    Ticket,
    TicketTag,
)
from deskterm.desk import setup
from deskterm.desk.errors import InvalidInput
from deskterm.desk.filter.sql import NO_SLA_DUE, SORT_KEYS
from deskterm.desk.filter.ticket_filter import TicketFilter
from deskterm.desk.people import directory as people
from deskterm.desk.reads import TicketSummary
from deskterm.desk.tickets.reads import list_tickets
from deskterm.desk.tickets.ticket import create_ticket

# One test process builds the big desk (per store kind) and runs every test of this file, rather
# than each of the suite's processes building it (make test uses --dist loadgroup).
pytestmark = pytest.mark.xdist_group("paging")

TICKETS = 1_050
LIMIT = 37
ASSIGNEES = ("ada", "bert", None)
GROUPS = ("network", "billing", None, "network", None)
DOMAINS = ("acme.com", "globex.com", "notacme.com", "ex_ample.org", "exxample.org", "initech.io")
TAG_SETS = ((), ("vpn",), ("vpn", "billing"), ("billing",))
BASE = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
UPDATED = tuple(BASE + timedelta(hours=k, microseconds=123_457 * k) for k in range(5))
"""Five update times (one on a whole second) shared by all tickets: ties of ~210 each."""
CREATED = tuple(BASE - timedelta(days=k, microseconds=7 * k) for k in range(7))
PG_SERVER_URL = os.environ.get("DESKTERM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
"""The server conftest's ``postgres_server`` makes databases on (the same default and variable)."""
ALL_SORTS = [*SORT_KEYS, *(f"-{name}" for name in SORT_KEYS)]


@dataclass(frozen=True)
class Row:
    """What the database holds for one ticket, read without list_tickets."""

    number: int
    updated: datetime
    created: datetime
    priority: int
    status: str
    type: str
    assignee: str | None
    group: str | None
    email: str
    organization: str | None
    tags: frozenset[str]
    subject: str = ""
    requester: str = ""

    def key(self, sort: str):
        name = sort.lstrip("-")
        value = {"updated": self.updated, "created": self.created, "priority": self.priority,
                 "number": self.number, "status": STATUSES.index(self.status),
                 "subject": self.subject, "requester": self.requester,
                 "organization": self.organization or "", "assignee": self.assignee or "",
                 "group": self.group or "",
                 "sla": NO_SLA_DUE}[name]  # no SLA policy on this desk: none is due
        return (value, self.number)


def _seed(store: Store) -> None:
    def work(session: Session) -> None:
        admin = setup.ensure_first_admin(session, username="ada")
        people.add_agent(session, username="bert")
        people.add_group(session, name="network")
        people.add_group(session, name="billing")
        session.add(Organization(name="Acme Corp", domain="acme.com"))
        session.add(Organization(name="Globex", domain="globex.com"))
        session.flush()
        for i in range(TICKETS):
            create_ticket(
                session, actor=admin,
                requester_email=f"user{i % 37}@{DOMAINS[i % len(DOMAINS)]}",
                subject=f"Ticket {i}", body="Something is wrong",
                priority=PRIORITIES[i % len(PRIORITIES)],
                assignee=ASSIGNEES[i % len(ASSIGNEES)],
                group=GROUPS[i % len(GROUPS)],
                tags=TAG_SETS[i % len(TAG_SETS)] + (("vip",) if i % 7 == 0 else ()),
            )
        # A few shared values per sort key, so the keyset must break ties by number.
        for k, when in enumerate(UPDATED):
            session.exec(update(Ticket).where(Ticket.id % len(UPDATED) == k)
                         .values(updated_at=when))
        for k, when in enumerate(CREATED):
            session.exec(update(Ticket).where(Ticket.id % len(CREATED) == k)
                         .values(created_at=when))
        for k, status in enumerate(STATUSES):
            session.exec(update(Ticket).where(Ticket.id % len(STATUSES) == k)
                         .values(status=status))
        for k, ticket_type in enumerate(TICKET_TYPES):
            session.exec(update(Ticket).where(Ticket.id % 11 % len(TICKET_TYPES) == k)
                         .values(type=ticket_type))

    store.write(work)


def _truth(store: Store) -> list[Row]:
    """Every ticket as stored, read with plain queries (the oracle for list_tickets)."""
    with store.read() as session:
        tags: dict[int, set[str]] = defaultdict(set)
        for number, name in session.exec(
            select(TicketTag.ticket_id, Tag.name).join(Tag, col(Tag.id) == col(TicketTag.tag_id))
        ).all():
            tags[number].add(name)
        rows = session.exec(
            select(Ticket, Agent.username, Group.name, Customer.email, Organization.name,
                   Customer.name)
            .join(Customer, col(Customer.id) == col(Ticket.requester_id))
            .outerjoin(Organization, col(Organization.id) == col(Customer.organization_id))
            .outerjoin(Agent, col(Agent.id) == col(Ticket.assignee_id))
            .outerjoin(Group, col(Group.id) == col(Ticket.group_id))
        ).all()
        return [
            Row(number=t.id, updated=t.updated_at, created=t.created_at, priority=t.priority,
                status=t.status, type=t.type, assignee=assignee, group=group, email=email,
                organization=organization, tags=frozenset(tags[t.id]), subject=t.subject,
                requester=requester)
            for t, assignee, group, email, organization, requester in rows
        ]


@dataclass
class BigDesk:
    store: Store
    rows: list[Row]


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def big_desk(request, tmp_path_factory, postgres_server):
    """A desk of 1,050 tickets with tied sort keys, built once per store kind for this module."""
    database = None
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("paging") / f"desk-{uuid.uuid4().hex[:8]}.sqlite3"
        store = Store(f"sqlite:///{path}")
        migrate.upgrade(store)
    else:
        postgres_server.require()
        database = postgres_server.create(migrated=True)
        store = Store(PG_SERVER_URL.rsplit("/", 1)[0] + "/" + database)
    try:
        _seed(store)
        yield BigDesk(store=store, rows=_truth(store))
    finally:
        store.dispose()
        if database is not None:
            postgres_server.drop(database)


def page_through(store: Store, *, sort: str, where: TicketFilter = TicketFilter(),
                 me: str | None = None, limit: int = LIMIT) -> list[TicketSummary]:
    """Every ticket of a list, page by page; checks the shape of each page on the way."""
    seen: list[TicketSummary] = []
    cursor = None
    with store.read() as session:
        for _ in range(10_000):
            page = list_tickets(session, where=where, sort=sort, limit=limit, cursor=cursor,
                                me=me)
            seen.extend(page.items)
            if page.next_cursor is None:
                assert len(page.items) <= limit
                return seen
            assert len(page.items) == limit, "a page before the last one came back short"
            cursor = page.next_cursor
    raise AssertionError("paging never ended")


def expected(rows: list[Row], sort: str, keep: Callable[[Row], bool] = lambda row: True):
    chosen = sorted((row for row in rows if keep(row)), key=lambda row: row.key(sort))
    return [row.number for row in (reversed(chosen) if sort.startswith("-") else chosen)]


def test_big_desk_has_many_ties_in_every_sort_key(big_desk):
    rows = big_desk.rows
    assert len(rows) == TICKETS
    assert len({row.updated for row in rows}) == len(UPDATED)
    assert len({row.created for row in rows}) == len(CREATED)
    assert len({row.priority for row in rows}) == len(PRIORITIES)


@pytest.mark.parametrize("sort", ALL_SORTS)
def test_paging_visits_every_ticket_once_in_sort_order(big_desk, sort):
    listed = page_through(big_desk.store, sort=sort)

    numbers = [ticket.number for ticket in listed]
    assert len(numbers) == len(set(numbers)) == TICKETS
    assert numbers == expected(big_desk.rows, sort)


@pytest.mark.parametrize("sort", ["-updated", "created", "priority"])
def test_listed_sort_values_match_the_stored_ones(big_desk, sort):
    by_number = {row.number: row for row in big_desk.rows}
    listed = page_through(big_desk.store, sort=sort, limit=1_000)

    for ticket in listed:
        row = by_number[ticket.number]
        assert ticket.updated_at == row.updated
        assert ticket.created_at == row.created
        assert ticket.priority == PRIORITIES[row.priority]


def test_page_as_large_as_the_whole_list_has_no_next_cursor(big_desk):
    with big_desk.store.read() as session:
        first = list_tickets(session, sort="number", limit=1_000)
        rest = list_tickets(session, sort="number", limit=1_000, cursor=first.next_cursor)

    assert len(first.items) == 1_000
    assert first.next_cursor is not None
    assert [t.number for t in rest.items] == expected(big_desk.rows, "number")[1_000:]
    assert rest.next_cursor is None


FILTERS: list[tuple[str, TicketFilter, str | None, Callable[[Row], bool]]] = [
    ("statuses", TicketFilter(statuses=("open", "pending")), None,
     lambda r: r.status in ("open", "pending")),
    ("priorities", TicketFilter(priorities=("urgent", "low")), None,
     lambda r: PRIORITIES[r.priority] in ("urgent", "low")),
    ("types", TicketFilter(types=("incident",)), None, lambda r: r.type == "incident"),
    ("unassigned", TicketFilter(assignees=("none",)), None, lambda r: r.assignee is None),
    ("me-or-unassigned", TicketFilter(assignees=("me", "none")), "bert",
     lambda r: r.assignee in ("bert", None)),
    ("named-assignees", TicketFilter(assignees=("ada", "bert")), None,
     lambda r: r.assignee is not None),
    ("no-group", TicketFilter(groups=("none",)), None, lambda r: r.group is None),
    ("group-or-none", TicketFilter(groups=("network", "none")), None,
     lambda r: r.group in ("network", None)),
    ("all-tags", TicketFilter(tags=("vpn", "billing")), None,
     lambda r: {"vpn", "billing"} <= r.tags),
    ("without-tag", TicketFilter(without_tags=("vpn",)), None, lambda r: "vpn" not in r.tags),
    ("requester-domain", TicketFilter(requester="acme.com"), None,
     lambda r: r.email.endswith("@acme.com")),
    ("requester-domain-with-underscore", TicketFilter(requester="ex_ample.org"), None,
     lambda r: r.email.endswith("@ex_ample.org")),
    ("requester-address", TicketFilter(requester="User3@Globex.com"), None,
     lambda r: r.email == "user3@globex.com"),
    ("organization", TicketFilter(organization="Acme Corp"), None,
     lambda r: r.organization == "Acme Corp"),
    ("combined", TicketFilter(statuses=("new", "pending"), assignees=("me",),
                              groups=("network",), tags=("vpn",)), "ada",
     lambda r: r.status in ("new", "pending") and r.assignee == "ada"
     and r.group == "network" and "vpn" in r.tags),
]


@pytest.mark.parametrize("sort", ["-updated", "priority"])
@pytest.mark.parametrize(("where", "me", "keep"), [case[1:] for case in FILTERS],
                         ids=[case[0] for case in FILTERS])
def test_filtered_paging_lists_exactly_the_matching_tickets_in_order(big_desk, sort, where, me,
                                                                     keep):
    want = expected(big_desk.rows, sort, keep)
    assert 0 < len(want) < TICKETS, "the filter should pick some tickets, not none or all"

    listed = page_through(big_desk.store, sort=sort, where=where, me=me)

    assert [ticket.number for ticket in listed] == want


def _cursor(*parts: object) -> str:
    raw = json.dumps(list(parts)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _a_cursor(store: Store, sort: str) -> str:
    with store.read() as session:
        cursor = list_tickets(session, sort=sort, limit=LIMIT).next_cursor
    assert cursor is not None
    return cursor


@pytest.mark.parametrize("cursor", [
    "not a cursor!",
    "bm90IGpzb24",  # base64 of "not json"
    _cursor("-updated", "2024-03-01T09:30:00+00:00"),  # too short
    _cursor("-updated", "2024-03-01T09:30:00+00:00", "1001"),  # number not an int
    _cursor("-updated", "yesterday", 1001),  # not a timestamp
    _cursor("-updated", 17, 1001),
    {"sort": "-updated"},  # replaced below by a JSON object
], ids=["garbage", "not-json", "too-short", "text-number", "bad-time", "int-time", "object"])
def test_malformed_cursor_is_invalid_input(big_desk, cursor):
    if isinstance(cursor, dict):
        cursor = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
    with big_desk.store.read() as session, pytest.raises(InvalidInput, match="cursor"):
        list_tickets(session, sort="-updated", cursor=cursor)


@pytest.mark.parametrize("value", ["high", 1.5, None], ids=["name", "float", "null"])
def test_priority_cursor_with_a_non_integer_value_is_invalid_input(big_desk, value):
    with big_desk.store.read() as session, pytest.raises(InvalidInput, match="cursor"):
        list_tickets(session, sort="priority", cursor=_cursor("priority", value, 1001))


def test_cursor_with_a_timestamp_without_zone_is_invalid_input(big_desk):
    with big_desk.store.read() as session, pytest.raises(InvalidInput, match="cursor"):
        list_tickets(session, sort="-updated", cursor=_cursor("-updated", "2024-03-01T09:30:00",
                                                              1001))


def test_cursor_with_an_out_of_range_number_is_invalid_input(big_desk):
    with big_desk.store.read() as session, pytest.raises(InvalidInput, match="cursor"):
        list_tickets(session, sort="number", cursor=_cursor("number", 2**70, 2**70))


@pytest.mark.parametrize(("made_for", "used_for"), [
    ("updated", "-updated"), ("-updated", "created"), ("priority", "number"),
    ("-number", "number"),
])
def test_cursor_from_another_sort_is_invalid_input(big_desk, made_for, used_for):
    cursor = _a_cursor(big_desk.store, made_for)
    with big_desk.store.read() as session, pytest.raises(InvalidInput, match="sort"):
        list_tickets(session, sort=used_for, cursor=cursor)


@pytest.mark.parametrize("limit", [0, -1, 1_001])
def test_limit_outside_one_to_a_thousand_is_invalid_input(big_desk, limit):
    with big_desk.store.read() as session, pytest.raises(InvalidInput, match="limit"):
        list_tickets(session, limit=limit)


def test_unknown_sort_is_invalid_input(big_desk):
    with big_desk.store.read() as session, pytest.raises(InvalidInput, match="sort"):
        list_tickets(session, sort="colour")


def test_assignee_me_without_an_acting_agent_is_invalid_input(big_desk):
    with big_desk.store.read() as session, pytest.raises(InvalidInput, match="me"):
        list_tickets(session, where=TicketFilter(assignees=("me",)))


@pytest.mark.parametrize("sort", ["-updated", "updated", "number", "-number", "-created"])
def test_ticket_created_between_pages_causes_no_repeat(store, admin, sort):
    def seed(session: Session) -> list[int]:
        return [create_ticket(session, actor=admin, requester_email=f"p{i % 3}@acme.com",
                              subject=f"Ticket {i}", body="help").number for i in range(100)]

    originals = store.write(seed)
    with store.read() as session:
        first = list_tickets(session, sort=sort, limit=LIMIT)
    newcomer = store.write(lambda s: create_ticket(s, actor=admin, requester_email="new@acme.com",
                                                   subject="Arrived mid-way", body="hi")).number
    seen = list(first.items)
    cursor = first.next_cursor
    with store.read() as session:
        while cursor is not None:
            page = list_tickets(session, sort=sort, limit=LIMIT, cursor=cursor)
            seen.extend(page.items)
            cursor = page.next_cursor

    numbers = [ticket.number for ticket in seen]
    assert len(numbers) == len(set(numbers))
    assert set(originals) <= set(numbers)
    # The newcomer sorts after every page already read when ascending, before them when not.
    if sort.startswith("-"):
        assert newcomer not in numbers
    else:
        assert numbers[-1] == newcomer
