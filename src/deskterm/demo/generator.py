"""``deskterm demo``: a realistic, varied desk of any size, fast enough for a million tickets.

The desk gets organizations and customers (a fifth of them writing German, Polish, Russian,
Hebrew, Persian or Chinese), agents with skills in groups from first line to engineering, and
tickets over the past 90 days whose status, thread and audit trail tell one consistent story:
older tickets are mostly solved or closed, recent ones new or open; every agent reply, note,
assignment, escalation and status change is a message or an event at a plausible time, and the
ticket's timestamps and version agree with them. A few tickets carry hostile text (markup,
terminal escapes) so the demo shows that the console renders it inert. After the tickets come
a knowledge base about the same topics, in the same languages, and a dozen macros
(:mod:`deskterm.demo.kb`), so suggestions, ``k`` and ``m`` have something to show.

Speed: rows are plain tuples built from pre-made text pools and handed to
:func:`deskterm.db.bulk.load` in chunks, never ORM objects. Generating is a pure function of the
seed, the clock and the desk's starting ids, so the benchmark can generate the same rows again,
and on a big SQLite desk a helper process makes them too and writes some tables and the search
index while this one inserts the rest (:mod:`deskterm.demo.helper`): both cores work.
"""

from __future__ import annotations

import itertools
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random

from sqlalchemy import func
from sqlmodel import Session, select

from deskterm.db import bulk
from deskterm.db.engine import Store
from deskterm.db.models import (
    FIRST_TICKET_NUMBER,
    Agent,
    Counter,
    Customer,
    Event,
    Group,
    GroupMember,
    Message,
    Organization,
    SatisfactionRating,
    SlaOutcome,
    SlaPolicy,
    Tag,
    Ticket,
)
from deskterm.db.models import BusinessCalendar as CalendarRow
from deskterm.demo import helper as side_helper
from deskterm.demo import kb as demo_kb
from deskterm.demo import sla as demo_sla
from deskterm.demo import text
from deskterm.desk.audit import log as audit_log
from deskterm.desk.audit import snapshots
from deskterm.desk.automation.timers import TimerSettings
from deskterm.desk.errors import InvalidInput
from deskterm.desk.people.directory import add_agent, set_restricted

DAYS = 90
"""Tickets are spread over this many days up to now."""
HISTORY_DAYS = 3 * 365
"""Customers, companies and agents date back up to this many days before that."""
CHUNK = 20_000
"""Tickets per batch handed to the loader (and between progress reports)."""
HELPER_TICKETS = 50_000
"""From this many tickets on, a SQLite desk is seeded with a helper process's help
(:mod:`.helper`)."""
CUSTOMERS_PER_TICKET = 0.2
CUSTOMERS_PER_ORGANIZATION = 20
INTERNAL_SHARE = 0.05
NO_ORGANIZATION_SHARE = 0.30
VIP_ORGANIZATION_SHARE = 0.10
HOSTILE_EVERY = 10_000
"""One ticket in this many carries hostile text; a small desk still gets each sample once."""

_DAY = 86_400
_LOGGED = (2, 3, 5, 5, 5, 8, 10, 10, 12, 15, 15, 20, 25, 30, 45, 60)
"""Minutes an agent logs on a reply or a note (picked evenly)."""
RATED_SHARE = 0.3
"""Of the solved tickets, those whose requester rated them."""
_SCORES = (5,) * 62 + (4,) * 22 + (3,) * 8 + (2,) * 4 + (1,) * 4
_SCORES_LATE = (5,) * 30 + (4,) * 25 + (3,) * 18 + (2,) * 12 + (1,) * 15
"""Ratings (picked evenly): after a resolution in time, and after a late one."""
_UNMATCHED = demo_sla.DemoPolicy(0, "", None, None, None, None, None, None, None)
_NO_SLA = (None, None, None, None, None, None, 0, None, 0, None, None, None, None)
_SOLVED_OR_WAITING = frozenset({"pending", "on_hold", "solved"})


@dataclass(frozen=True)
class DemoResult:
    """What ``seed_demo`` put into the desk, and how long it took."""

    tickets: int
    messages: int
    customers: int
    organizations: int
    agents: int
    groups: int
    seconds: float
    articles: int = 0
    macros: int = 0


@dataclass(frozen=True)
class DemoStart:
    """What the desk holds before seeding: where ids continue, and names already taken."""

    first_ticket: int
    next_ids: dict[str, int]
    admin_id: int
    admin_username: str
    agents: dict[str, int]
    groups: dict[str, int]
    members: frozenset[tuple[int, int]]
    tags: dict[str, int]
    organizations: dict[str, int]
    emails: frozenset[str]
    policies: tuple[demo_sla.DemoPolicy, ...] = ()
    """The desk's active SLA policies in matching order (the demo's own, :data:`.sla.
    POLICIES`, on a desk that had none)."""



def _by_name(rows: Iterable[tuple[str, int | None]]) -> dict[str, int]:
    """``{name: id}`` of rows read from a table (a stored row's id is never None)."""
    return {name: row_id for name, row_id in rows if row_id is not None}

def _refuse_nonempty(store: Store, session: Session) -> None:
    count = session.exec(select(func.count()).select_from(Ticket)).one()
    if count:
        raise InvalidInput(
            f"{store.display_url} already has {count:,} tickets: demo seeds only an empty desk; "
            "point --db at a new file"
        )


def prepare(store: Store, *, admin: str) -> DemoStart:
    """Check the desk is empty, make ``admin`` an admin agent if needed, read where ids go on."""
    with store.read() as session:
        _refuse_nonempty(store, session)

    def ensure_admin(session: Session) -> None:
        if session.exec(select(Agent.id).where(Agent.username == admin)).first() is None:
            add_agent(session, username=admin, role="admin")

    store.write(ensure_admin)
    store.write(_ensure_policies)
    with store.read() as session:
        def next_id(model) -> int:
            return (session.exec(select(func.max(model.id))).one() or 0) + 1

        counter = session.get(Counter, "ticket_number")
        agents = _by_name(session.exec(select(Agent.username, Agent.id)).all())
        return DemoStart(
            first_ticket=counter.value if counter else FIRST_TICKET_NUMBER,
            next_ids={
                "organizations": next_id(Organization),
                "customers": next_id(Customer),
                "agents": next_id(Agent),
                "agent_groups": next_id(Group),
                "tags": next_id(Tag),
                "messages": next_id(Message),
                "events": next_id(Event),
                "sla_outcomes": next_id(SlaOutcome),
                "satisfaction_ratings": next_id(SatisfactionRating),
            },
            admin_id=agents[admin],
            admin_username=admin,
            agents=agents,
            groups=_by_name(session.exec(select(Group.name, Group.id)).all()),
            members=frozenset(session.exec(select(GroupMember.group_id,
                                                  GroupMember.agent_id)).all()),
            tags=_by_name(session.exec(select(Tag.name, Tag.id)).all()),
            organizations=_by_name(session.exec(
                select(Organization.name, Organization.id)).all()),
            emails=frozenset(email for email in session.exec(select(Customer.email)).all()
                             if email is not None),
            policies=_policies(session),
        )


def _ensure_policies(session: Session) -> None:
    """The demo's calendar and SLA policies (:mod:`.sla`), on a desk that has no policy."""
    if session.exec(select(func.count()).select_from(SlaPolicy)).one():
        return
    calendar = session.exec(select(CalendarRow).where(
        CalendarRow.name == demo_sla.CALENDAR["name"])).first()
    if calendar is None:
        spec = demo_sla.CALENDAR
        calendar = CalendarRow(name=spec["name"], timezone=spec["timezone"],
                               hours=spec["hours"], holidays_country=spec["holidays_country"])
        session.add(calendar)
        session.flush()
    for position, (name, priority, tier, office, first, following, resolution) in enumerate(
            demo_sla.POLICIES):
        session.add(SlaPolicy(name=name, position=position, priority=priority,
                              customer_tier=tier, calendar_id=calendar.id if office else None,
                              first_response_minutes=first, next_response_minutes=following,
                              resolution_minutes=resolution))


def _policies(session: Session) -> tuple[demo_sla.DemoPolicy, ...]:
    """The active policies in matching order, as plain data (see ``due.load_policies``)."""
    calendars = {row.id: {"name": row.name, "timezone": row.timezone, "hours": row.hours,
                          "holidays_country": row.holidays_country,
                          "holidays_subdivision": row.holidays_subdivision,
                          "extra_holidays": list(row.extra_holidays or ())}
                 for row in session.exec(select(CalendarRow)).all()}
    rows = session.exec(select(SlaPolicy).where(SlaPolicy.active)
                        .order_by(SlaPolicy.position, SlaPolicy.id)).all()  # type: ignore[arg-type]
    return tuple(demo_sla.DemoPolicy(
        id=row.id, name=row.name, priority=row.priority, customer_tier=row.customer_tier,
        organization_id=row.organization_id,
        calendar=calendars.get(row.calendar_id) if row.calendar_id else None,
        first_response=row.first_response_minutes, next_response=row.next_response_minutes,
        resolution=row.resolution_minutes) for row in rows if row.id is not None)


def seed_demo(
    store: Store,
    *,
    tickets: int,
    seed: int = 1,
    admin: str,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> DemoResult:
    """Fill an empty, migrated desk with a realistic demo of ``tickets`` tickets.

    ``admin`` (the operating-system user) becomes an admin agent if not an agent yet.
    ``progress(done)`` is called after every chunk of tickets. The same seed and ``now`` give
    the same desk. Refuses (InvalidInput) a desk that already has tickets.
    """
    if tickets < 1:
        raise InvalidInput("demo: --tickets must be at least 1")
    started = time.perf_counter()
    with store.read() as session:  # who and which groups were there before the demo
        people_before = snapshots.people(session)
    start = prepare(store, admin=admin)
    now = now or datetime.now(UTC)
    generator = DemoGenerator(start, tickets=tickets, seed=seed, now=now,
                              sqlite=store.is_sqlite)
    counts = generator.counts
    helper = None
    if tickets >= HELPER_TICKETS and bulk.can_side_load(store):
        helper = side_helper.SideHelper(store, start, chunk=CHUNK, tickets=tickets, seed=seed,
                                        now=now)
        generator.sla_feed = helper.sla
    try:
        if helper is None:
            bulk.load(store, generator.batches(progress))
        else:
            bulk.load(store, ((table, rows) for table, rows in generator.batches(progress)
                              if table not in helper.side.tables), side=helper.side)
    except bulk.DeskNotEmpty:
        with store.read() as session:
            _refuse_nonempty(store, session)
        raise
    finally:
        if helper is not None:
            helper.close()
    # A few hundred rows: an ordinary transaction, whose triggers (SQLite) or generated column
    # (PostgreSQL) index the articles for search and suggestions.
    knowledge = store.write(lambda session: demo_kb.write_knowledge_base(
        session, seed=seed, now=now, admin=admin))
    store.write(lambda session: _restrict_groups(session, admin_id=start.admin_id,
                                                 before=people_before))
    return DemoResult(
        tickets=counts["tickets"],
        messages=counts["messages"],
        customers=counts["customers"],
        organizations=counts["organizations"],
        agents=len(start.agents) + counts["agents"],
        groups=len(start.groups) + counts["agent_groups"],
        seconds=time.perf_counter() - started,
        articles=knowledge.articles,
        macros=knowledge.macros,
    )


def _restrict_groups(session: Session, *, admin_id: int, before: audit_log.Snapshot) -> None:
    """Restrict the demo's confidential groups, and log the agents and groups the demo made
    (and changed) in the audit log, as the admin's, via ``demo``."""
    for name in text.RESTRICTED_GROUPS:
        set_restricted(session, group=name, restricted=True)
    session.flush()
    audit_log.record(session, actor_id=admin_id, before=before,
                     after=snapshots.people(session), via="demo")


# --- text helpers -----------------------------------------------------------------------------

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe",
                       "Ü": "Ue", "ł": "l", "Ł": "L", "ø": "o", "æ": "ae", "'": "", "’": ""})


def _slug(words: str, romanized: dict[str, str]) -> str:
    """An e-mail-safe ASCII spelling: ``Jürgen`` -> ``juergen``, ``Дмитрий`` -> ``dmitry``."""
    spelled = " ".join(romanized.get(word, word) for word in words.split())
    folded = unicodedata.normalize("NFKD", spelled.translate(_FOLD))
    ascii_only = folded.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-") or "x"


def _values(rng: Random, product: str) -> dict[str, object]:
    """One draw of the placeholders, shared by a subject and its message so they agree."""
    return {
        "p": product,
        "n": rng.randrange(10_000, 999_999),
        "f": rng.randrange(1, 10),
        "r": rng.randrange(101, 520),
        "a": f"AT-{rng.randrange(10_000, 99_999)}",
    }


def _fill(template: str, values: dict[str, object]) -> str:
    product = str(values["p"])
    if template.startswith("{p}") and product[:2].islower():
        # "My laptop does not turn on", but never "IPhone ...".
        return template.format_map({**values, "p": product[0].upper() + product[1:]})
    return template.format_map(values)


# --- ticket stories ---------------------------------------------------------------------------

# A story is the thread of one ticket: who writes, in order, and the status an agent's message
# sets (None: the natural one; a first agent reply opens a new ticket). A customer writing to a
# pending, on-hold or solved ticket reopens it. Weights shape the mix (about 2.5 messages each).
_STORIES: dict[str, tuple[tuple[int, str], ...]] = {
    "new": ((6, "C"), (1, "C C")),
    "open": ((3, "C"), (5, "C A"), (2, "C A C"), (2, "C N A"), (1, "C A:pending C"),
             (1, "C A:solved C"), (1, "C A C A C")),
    "pending": ((5, "C A:pending"), (2, "C N A:pending"), (1, "C A C A:pending")),
    "on_hold": ((3, "C A N:on_hold"), (2, "C N A:on_hold"), (1, "C A:pending C N:on_hold")),
    "solved": ((14, "C A:solved"), (2, "C A:pending C A:solved"), (2, "C N A:solved"),
               (2, "C A C A:solved"), (1, "C A:solved C A:solved"),
               (1, "C A N:on_hold A:solved")),
}

# Status mix by a ticket's age in days: recent tickets are mostly new or open, old ones closed.
_STATUS_BY_AGE = (
    # up to (days), weights for new, open, pending, on_hold, solved, closed
    (1, (33, 35, 12, 3, 17, 0)),
    (3, (12, 31, 20, 5, 32, 0)),
    (7, (4, 18, 14, 6, 43, 15)),
    (14, (1.5, 8, 7, 5, 27, 51.5)),
    (30, (0.6, 4, 3, 3, 8, 81.4)),
    (DAYS + 1, (0.2, 1.5, 1, 1.3, 2, 94)),
)
_STATUS_NAMES = ("new", "open", "pending", "on_hold", "solved", "closed")
_CLOSES_SOLVED = TimerSettings().close_solved_after_days * _DAY
"""Solved tickets close by themselves this long after (the automation's default)."""

_PRIORITY = (20, 57, 19, 4)  # low, normal, high, urgent
_VIP_PRIORITY = (5, 45, 38, 12)
_TYPES = (("question", 45), ("incident", 35), ("problem", 7), ("task", 13))
_CHANNELS = (("email", 55), ("web", 20), ("chat", 12), ("phone", 10), ("api", 3))
_TIERS = ((1, 85), (2, 11), (3, 4))
_TAG_COUNT = ((0, 25), (1, 37), (2, 25), (3, 13))
_HOUR_WEIGHTS = (2, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 9, 10, 11, 11, 10, 8, 6, 5, 4, 3, 3, 2)
"""Tickets per UTC hour of the day: Europe's and America's working days overlap."""
_WEEKDAY_WEIGHTS = (1.15, 1.05, 1.0, 1.0, 0.9, 0.35, 0.3)


def _table(weights, values, size: int = 1000) -> list:
    """A lookup list in which each value fills its share of ``size`` slots."""
    total = sum(weights)
    out: list = []
    for value, weight in zip(values, weights, strict=True):
        out.extend([value] * round(size * weight / total))
    return out or [values[0]]


@dataclass(frozen=True)
class _Story:
    roles: tuple[str, ...]
    sets: tuple[str | None, ...]
    has_agent: bool
    fractions: tuple[tuple[float, ...], ...]
    """Pre-drawn sorted positions of the messages within the ticket's active span."""


def _stories(rng: Random) -> dict[str, list[_Story]]:
    found: dict[str, list[_Story]] = {}
    for status, options in _STORIES.items():
        stories = []
        for weight, script in options:
            steps = [step.partition(":") for step in script.split()]
            roles = tuple(role for role, _, _ in steps)
            sets = tuple(target or None for _, _, target in steps)
            count = len(roles)
            fractions = tuple(
                (0.0, *sorted(rng.random() for _ in range(count - 2)), 1.0) if count > 1
                else (0.0,)
                for _ in range(64)
            )
            story = _Story(roles, sets, any(role != "C" for role in roles), fractions)
            stories.extend([story] * weight)
        found[status] = stories
    found["closed"] = found["solved"]
    return found


class DemoGenerator:
    """Makes the demo desk's rows, batch by batch, as :func:`deskterm.db.bulk.load` takes them.

    Everything is drawn from one ``Random(seed)`` in a fixed order, so the same seed, ``now`` and
    starting ids give the same rows (the benchmark relies on that).
    """

    def __init__(self, start: DemoStart, *, tickets: int, seed: int = 1,
                 now: datetime | None = None, sqlite: bool) -> None:
        self.start = start
        self.tickets = tickets
        self.rng = Random(seed)
        now = (now or datetime.now(UTC)).astimezone(UTC)
        origin = datetime(now.year, now.month, now.day, tzinfo=UTC) - timedelta(
            days=HISTORY_DAYS + DAYS + 1
        )
        self.now_s = int((now - origin).total_seconds())
        self.window_s = self.now_s - DAYS * _DAY
        self.origin = origin
        self.stamp = bulk.timestamp_encoder(sqlite, origin, days=self.now_s // _DAY + 1)
        # Due times run past now: the instants' table reaches a year further.
        self.instant, self.stored = bulk.instant_encoder(sqlite, origin,
                                                         days=self.now_s // _DAY + 366)
        self.clocks = {policy.id: demo_sla.Clock(policy) for policy in start.policies}
        self.policy_of: dict[tuple[int, bool, int | None], demo_sla.DemoPolicy | None] = {}
        """The policy of each (priority, VIP, organization) met so far."""
        self.next_ids = {table: start.next_ids.get(table, 1)
                         for table in ("sla_outcomes", "satisfaction_ratings")}
        # The SLA clocks, ratings and logged time draw from their own generator, so the rest of
        # the desk is what the seed made before they were added.
        self.extra = Random(f"{seed}:reports")
        self.counts = dict.fromkeys(bulk.COLUMNS, 0)
        self.sla_feed: Callable[[int], tuple[Sequence[tuple], list[tuple]]] | None = None
        """Where the tickets' SLA columns and outcomes come from, chunk by chunk (given the
        chunk's first ticket's index: one tuple of :data:`bulk.TICKET_SLA_COLUMNS` values a
        ticket, and the chunk's ``sla_outcomes`` rows), instead of replaying the clocks here.
        The seed's helper process works them out (:class:`.helper.SideHelper`)."""

    # -- people ---------------------------------------------------------------------------------

    def _before_window(self) -> object:
        return self.stamp(self.rng.randrange(0, self.window_s))

    def _people(self) -> Iterator[bulk.Batch]:
        start = self.start
        ids = dict(start.next_ids)

        def new_id(table: str) -> int:
            ids[table] += 1
            return ids[table] - 1

        # Groups, then agents with their memberships; reuse what the desk already has.
        group_rows, self.group_ids = [], {}
        for name, description in text.GROUPS:
            if name in start.groups:
                self.group_ids[name] = start.groups[name]
                continue
            self.group_ids[name] = new_id("agent_groups")
            group_rows.append((self.group_ids[name], name, description, self._before_window()))
        agent_rows, member_rows = [], []
        self.agent_names = {start.admin_id: start.admin_username}
        self.agent_skills: dict[int, tuple[str, ...]] = {start.admin_id: ()}
        display = {start.admin_id: start.admin_username}
        memberships = [(group, start.admin_id) for group in text.ADMIN_GROUPS]
        for username, display_name, skills, groups in text.AGENTS:
            if username in start.agents:
                agent_id = start.agents[username]
            else:
                agent_id = new_id("agents")
                agent_rows.append((agent_id, username, display_name,
                                   f"{username}@{text.OWN_COMPANY[1]}", "agent", True,
                                   sorted(skills), self._before_window()))
            self.agent_names[agent_id] = username
            self.agent_skills[agent_id] = skills
            display[agent_id] = display_name
            memberships.extend((group, agent_id) for group in groups)
        self.members: dict[str, list[int]] = {name: [] for name, _ in text.GROUPS}
        for group, agent_id in memberships:
            self.members[group].append(agent_id)
            key = (self.group_ids[group], agent_id)
            if key not in start.members and key not in member_rows:
                member_rows.append(key)
        self.agent_signatures = {
            agent_id: f"\n\n{name}\n{text.OWN_COMPANY[0]} support"
            for agent_id, name in display.items()
        }

        tag_rows, self.tag_ids = [], {}
        for name in sorted({*itertools.chain(*text.TAGS.values()), *text.GENERAL_TAGS}):
            if name in start.tags:
                self.tag_ids[name] = start.tags[name]
            else:
                self.tag_ids[name] = new_id("tags")
                tag_rows.append((self.tag_ids[name], name))

        org_rows, customer_rows = self._customers(new_id)
        self.next_message, self.next_event = ids["messages"], ids["events"]
        yield "organizations", org_rows
        yield "customers", customer_rows
        yield "agent_groups", group_rows
        yield "agents", agent_rows
        yield "agent_group_members", member_rows
        yield "tags", tag_rows
        self.counts["agent_groups"] = len(group_rows)
        self.counts["agents"] = len(agent_rows)
        self.counts["tags"] = len(tag_rows)

    def _customers(self, new_id: Callable[[str], int]) -> tuple[list, list]:
        rng, start = self.rng, self.start
        total = max(24, round(self.tickets * CUSTOMERS_PER_TICKET))
        # Fixed quotas rather than coin flips: even a small desk has every language.
        quotas = [max(1, round(total * language.share)) for language in text.LANGUAGES[1:]]
        languages = [0] * (total - sum(quotas))
        for index, quota in enumerate(quotas, start=1):
            languages.extend([index] * quota)
        rng.shuffle(languages)

        org_rows: list[tuple] = []
        taken_names = set(start.organizations)
        taken_domains: set[str] = set()
        own_name, own_domain = text.OWN_COMPANY
        if own_name in start.organizations:
            own_id = start.organizations[own_name]
        else:
            own_id = new_id("organizations")
            org_rows.append((own_id, own_name, own_domain, self.stamp(0)))
        orgs_by_language: list[list[tuple[int, str, bool]]] = []
        for index, language in enumerate(text.LANGUAGES):
            people = languages.count(index)
            wanted = max(1, round(people * (1 - NO_ORGANIZATION_SHARE - INTERNAL_SHARE)
                                  / CUSTOMERS_PER_ORGANIZATION))
            pairs = list(itertools.product(language.org_names, language.org_sectors))
            rng.shuffle(pairs)
            found: list[tuple[int, str, bool]] = []
            # Plain names first; once they run out, branch offices in other cities.
            # (Should even those run out, on a huge desk, the companies there are grow bigger.)
            for city in (None, *language.cities):
                if len(found) == wanted:
                    break
                for name, sector in pairs:
                    if len(found) == wanted:
                        break
                    full = language.org_pattern.format(name=name, sector=sector,
                                                       form=rng.choice(language.org_forms))
                    slug = f"{_slug(name, language.romanized)}-{_slug(sector, language.romanized)}"
                    if city is not None:
                        full = language.org_branch.format(org=full, city=city)
                        slug = f"{slug}-{_slug(city, language.romanized)}"
                    if full in taken_names:
                        continue
                    taken_names.add(full)
                    domain, suffix = f"{slug}.example", 2
                    while domain in taken_domains:
                        domain, suffix = f"{slug}-{suffix}.example", suffix + 1
                    taken_domains.add(domain)
                    org_id = new_id("organizations")
                    org_rows.append((org_id, full, domain, self._before_window()))
                    found.append((org_id, domain, rng.random() < VIP_ORGANIZATION_SHARE))
            orgs_by_language.append(found)

        customer_rows: list[tuple] = []
        taken_emails = set(start.emails)
        self.customer_language: list[int] = []
        self.customer_vip: list[bool] = []
        self.customer_organization: list[int | None] = []
        self.customer_signatures: list[str] = []
        first_customer = self.start.next_ids["customers"]
        for number, index in enumerate(languages):
            language = text.LANGUAGES[index]
            female = rng.random() < 0.5
            given = rng.choice(language.female if female else language.male)
            family = rng.choice(language.surnames)
            if "/" in family:
                family = family.split("/")[1 if female else 0]
            if language.family_first:
                name = f"{family}{given}"
                local = f"{_slug(given, language.romanized)}.{_slug(family, language.romanized)}"
            else:
                name = f"{given} {family}"
                local = f"{_slug(given, language.romanized)}.{_slug(family, language.romanized)}"
            roll = rng.random()
            internal = roll < INTERNAL_SHARE
            vip = False
            if internal:
                organization, domain = own_id, own_domain
            elif roll < INTERNAL_SHARE + NO_ORGANIZATION_SHARE or not orgs_by_language[index]:
                organization, domain = None, rng.choice(language.mail_domains)
            else:
                organization, domain, vip = rng.choice(orgs_by_language[index])
            vip = vip or (not internal and rng.random() < 0.02)
            email, suffix = f"{local}@{domain}", 2
            while email in taken_emails:
                email, suffix = f"{local}{suffix}@{domain}", suffix + 1
            taken_emails.add(email)
            if number == 7 and total > 20:
                name = text.HOSTILE_NAME  # one requester whose name is markup
            customer_rows.append((first_customer + number, name, email, organization, internal,
                                  "vip" if vip else "standard", self._before_window()))
            self.customer_organization.append(organization)
            new_id("customers")
            self.customer_language.append(index)
            self.customer_vip.append(vip)
            signed = name if language.family_first else given
            self.customer_signatures.append(f"\n\n{rng.choice(language.closings)}\n{signed}")
        self.counts["organizations"] = len(org_rows)
        self.counts["customers"] = len(customer_rows)
        return org_rows, customer_rows

    # -- text pools -----------------------------------------------------------------------------

    def _pools(self) -> None:
        """Subjects, first messages, follow-ups, replies and notes, made once and then picked."""
        rng = self.rng
        self.openings, self.followups, self.replies = [], [], []
        for language in text.LANGUAGES:
            openings = []
            for topic in text.TOPICS:
                products = (text.ENGLISH_PRODUCTS if language is text.ENGLISH
                            else text.PRODUCTS)[topic]
                pool = []
                for _ in range(1_000 if language is text.ENGLISH else 100):
                    subjects, body = rng.choice(language.issues[topic])
                    values = _values(rng, rng.choice(products))
                    subject = _fill(rng.choice(subjects), values)
                    if rng.random() < 0.08:
                        subject = rng.choice(language.reply_prefixes) + subject
                    greeting = rng.choice(language.greetings)
                    pool.append((subject, f"{greeting}\n\n{_fill(body, values)}"))
                openings.append(pool)
            self.openings.append(openings)
            self.followups.append({context: list(options)
                                   for context, options in language.followups.items()})
            self.replies.append({status: list(options)
                                 for status, options in language.replies.items()})
        self.notes = [_fill(rng.choice(text.NOTES), _values(rng, "")) for _ in range(80)]
        self.tag_combos = []
        for topic in text.TOPICS:
            combos = []
            for _ in range(256):
                count = rng.choices([c for c, _ in _TAG_COUNT],
                                    weights=[w for _, w in _TAG_COUNT])[0]
                names = rng.sample(text.TAGS[topic], min(count, len(text.TAGS[topic])))
                if names and rng.random() < 0.25:
                    # A list, not a set: which tag gives way must not depend on string hashes,
                    # which differ from process to process (the rows may be made in a helper).
                    names[-1] = rng.choice(text.GENERAL_TAGS)
                combos.append(tuple(sorted({self.tag_ids[name] for name in names})))
            self.tag_combos.append(combos)

    def _created_times(self) -> list[int]:
        """Ticket creation times, ascending with the ticket number, busier in working hours."""
        rng = self.rng
        hours = DAYS * 24
        weights = []
        for hour in range(hours):
            at = self.origin + timedelta(seconds=self.window_s + hour * 3600)
            growth = 1 + 0.25 * hour / hours  # the desk gets busier over the quarter
            weights.append(_HOUR_WEIGHTS[at.hour] * _WEEKDAY_WEIGHTS[at.weekday()] * growth)
        total = sum(weights)
        exact = [self.tickets * weight / total for weight in weights]
        counts = [int(value) for value in exact]
        by_remainder = sorted(range(hours), key=lambda h: exact[h] - counts[h], reverse=True)
        for hour in by_remainder[: self.tickets - sum(counts)]:
            counts[hour] += 1
        times: list[int] = []
        rnd = rng.random
        for hour, count in enumerate(counts):
            if count:
                base = self.window_s + hour * 3600
                times.extend(sorted(base + int(rnd() * 3600) for _ in range(count)))
        return times

    # -- tickets --------------------------------------------------------------------------------

    def batches(self, progress: Callable[[int], None] | None = None) -> Iterator[bulk.Batch]:
        """Every row of the demo desk: people first, then tickets in chunks of :data:`CHUNK`."""
        yield from self._people()
        self._pools()
        created = self._created_times()
        rng = self.rng
        customers = len(self.customer_language)
        # A few customers write a lot, most write now and then.
        cum_weights = list(itertools.accumulate(1 / (rank + 3) ** 0.7
                                                for rank in range(customers)))
        requester_order = list(range(customers))
        rng.shuffle(requester_order)
        hostile_count = max(len(text.HOSTILE_SUBJECTS), self.tickets // HOSTILE_EVERY)
        hostile = dict(zip(rng.sample(range(self.tickets), min(hostile_count, self.tickets)),
                           itertools.count(), strict=False))
        stories = _stories(rng)
        self._lookups()
        for first in range(0, self.tickets, CHUNK):
            count = min(CHUNK, self.tickets - first)
            picks = rng.choices(requester_order, cum_weights=cum_weights, k=count)
            yield from self._chunk(first, count, created, picks, stories, hostile)
            if progress is not None:
                progress(first + count)

    def _lookups(self) -> None:
        """Tables the ticket loop indexes instead of drawing weighted choices per ticket."""
        self.status_by_day: list[list[str]] = []
        for upto, weights in _STATUS_BY_AGE:
            table = _table(weights, _STATUS_NAMES)
            while len(self.status_by_day) < upto:
                self.status_by_day.append(table)
        self.priorities = _table(_PRIORITY, range(4))
        self.vip_priorities = _table(_VIP_PRIORITY, range(4))
        # Customers writing in a language go to an agent who speaks it, when the group has one.
        self.agent_pools = {}
        for group, ids in self.members.items():
            for index, language in enumerate(text.LANGUAGES):
                speakers = [a for a in ids if language.skill in self.agent_skills[a]]
                self.agent_pools[group, index] = speakers * 2 + ids if speakers else ids

    def _chunk(self, first: int, count: int, created: list[int], picks: list[int],
               stories: dict[str, list[_Story]], hostile: dict[int, int]
               ) -> Iterator[bulk.Batch]:
        rng, start, stamp = self.rng, self.start, self.stamp
        rnd = rng.random
        now_s = self.now_s
        first_customer = start.next_ids["customers"]
        first_ticket = start.first_ticket
        status_by_day, agent_pools = self.status_by_day, self.agent_pools
        priorities, vip_priorities = self.priorities, self.vip_priorities
        types = rng.choices([v for v, _ in _TYPES], [w for _, w in _TYPES], k=count)
        channels = rng.choices([v for v, _ in _CHANNELS], [w for _, w in _CHANNELS], k=count)
        tiers = rng.choices([v for v, _ in _TIERS], [w for _, w in _TIERS], k=count)
        topics = rng.choices(range(len(text.TOPICS)), k=count)
        topic_groups = [text.TOPIC_GROUPS[topic] for topic in text.TOPICS]
        group_ids = self.group_ids
        agent_names, agent_signatures = self.agent_names, self.agent_signatures
        languages, vips = self.customer_language, self.customer_vip
        signatures = self.customer_signatures
        openings = self.openings
        followups, replies, notes = self.followups, self.replies, self.notes
        tag_combos = self.tag_combos
        message_id, event_id = self.next_message, self.next_event
        extra = self.extra.random
        logged = _LOGGED
        policies, clocks = self.start.policies, self.clocks
        instant, stored = self.instant, self.stored
        organizations = self.customer_organization
        policy_of = self.policy_of
        outcome_rows: list[tuple] = []
        rating_rows: list[tuple] = []
        outcome_id = self.next_ids["sla_outcomes"]
        rating_id = self.next_ids["satisfaction_ratings"]
        comments = [text.CSAT_COMMENTS[language.code] for language in text.LANGUAGES]
        given: Sequence[tuple] | None = None
        if self.sla_feed is not None:
            given, outcome_rows = self.sla_feed(first)
            outcome_id += len(outcome_rows)
        known: dict[int, object] = {}  # the current ticket's steps' stamps, by microsecond

        def at_us(us: int | None) -> object:
            """An instant of the current ticket as stored: its step's own stamp if it is one."""
            if us is None:
                return None
            found = known.get(us)
            return found if found is not None else stored(us)

        ticket_rows: list[tuple] = []
        message_rows: list[tuple] = []
        event_rows: list[tuple] = []
        tag_rows: list[tuple] = []
        seen_rows: list[tuple] = []
        add_ticket, add_message = ticket_rows.append, message_rows.append
        add_event, add_tag = event_rows.append, tag_rows.append
        add_seen = seen_rows.append

        for offset in range(count):
            index = first + offset
            number = first_ticket + index
            created_s = created[index]
            age = now_s - created_s
            status = status_by_day[age // _DAY][int(rnd() * 1000)]
            closing_delay = 0
            if status == "closed":
                # Solved tickets close by themselves three to five days later.
                closing_delay = 3 * _DAY + int(rnd() * 2 * _DAY)
                if age - closing_delay < 1_800:
                    status, closing_delay = "solved", 0
            customer = picks[offset]
            customer_id = first_customer + customer
            language = languages[customer]
            topic = topics[offset]
            story = stories[status][int(rnd() * len(stories[status]))]
            roles, sets = story.roles, story.sets
            steps = len(roles)
            tier = tiers[offset] if story.has_agent else 1
            channel = channels[offset]
            home_group = topic_groups[topic]
            if status == "new":
                group = home_group if rnd() < 0.6 else None  # routed by a rule, or not yet
                assignee = None
                preassigned = False
            else:
                group = home_group if tier == 1 else (
                    text.LEVEL_2 if tier == 2 else text.ENGINEERING)
                agents_there = agent_pools[group, language]
                assignee = agents_there[int(rnd() * len(agents_there))]
                # Routed straight to someone at creation, or taken later by the first agent
                # who answers (escalated tickets always are, by the level that took them).
                preassigned = tier == 1 and (not story.has_agent or rnd() < 0.5)

            if status == "new":
                span = int(age * rnd() * 0.6) if steps > 1 else 0
            elif status in ("solved", "closed"):
                # Resolution takes 20 minutes to a week; a young ticket's within its age.
                span = int(1_200 * 2 ** (rnd() * 9))
                if span > age - closing_delay:
                    span = int((age - closing_delay) * (0.2 + 0.8 * rnd()))
            else:
                span = int(age * (0.15 + 0.85 * rnd()))
            fractions = story.fractions[int(rnd() * 64)]

            created_at = stamp(created_s)
            version = 1
            add_event((event_id, number, assignee if channel == "phone" and preassigned
                       else None, "created", None, channel, 1, created_at))
            event_id += 1
            current = "open" if preassigned else "new"
            assigned = preassigned
            first_response = solved = None
            reopens = 0
            step_s = created_s
            # The customer's last follow-up, and when the assignee last worked on the ticket.
            replied_s = 0
            worked_s = created_s if channel == "phone" and preassigned else 0
            signature = signatures[customer]
            first_lines = openings[language][topic]
            subject, opening = first_lines[int(rnd() * len(first_lines))]
            timeline: list[tuple[int, str, str, object]] = []
            solved_s = 0
            hostile_k = hostile.get(index)
            if hostile_k is not None:
                subject = text.HOSTILE_SUBJECTS[hostile_k % len(text.HOSTILE_SUBJECTS)]
                opening = text.HOSTILE_BODIES[hostile_k % len(text.HOSTILE_BODIES)]
            for step in range(steps):
                role = roles[step]
                step_s = created_s + int(span * fractions[step])
                at = created_at if step == 0 else stamp(step_s)
                if role == "C":
                    if step == 0:
                        body = opening
                    else:
                        pool = followups[language][
                            "info" if current == "pending" else
                            "reopen" if current == "solved" else "nudge"
                        ]
                        body = pool[int(rnd() * len(pool))]
                    add_message((message_id, number, None, customer_id, True,
                                 body + signature, at, None))
                    message_id += 1
                    if step:
                        replied_s = step_s
                    if current in _SOLVED_OR_WAITING:
                        version += 1
                        if current == "solved":
                            reopens += 1
                        add_event((event_id, number, None, "status", current, "open",
                                   version, at))
                        event_id += 1
                        current = "open"
                    if step:
                        timeline.append((step_s, "C", current, at))
                    continue
                target = sets[step]
                changed = False
                worked_s = step_s
                assert assignee is not None  # an agent's step: the ticket has its agent
                if not assigned:
                    # The first agent to touch the ticket takes it (and escalates it if needed).
                    version += 1
                    changed = True
                    if tier > 1:
                        add_event((event_id, number, assignee, "tier", "1", str(tier),
                                   version, at))
                        add_event((event_id + 1, number, assignee, "group", home_group, group,
                                   version, at))
                        event_id += 2
                    add_event((event_id, number, assignee, "assignee", None,
                               agent_names[assignee], version, at))
                    event_id += 1
                    assigned = True
                if target is None and current == "new":
                    target = "open"
                if target is not None and target != current:
                    if not changed:
                        version += 1
                    add_event((event_id, number, assignee, "status", current, target,
                               version, at))
                    event_id += 1
                    current = target
                    if target == "solved":
                        solved, solved_s = at, step_s
                # Time logged: on most replies, on half the notes.
                minutes = (logged[int(extra() * len(logged))]
                           if extra() < (0.7 if role == "A" else 0.5) else None)
                if role == "A":
                    pool = replies[language][target or "open"]
                    add_message((message_id, number, assignee, None, True,
                                 pool[int(rnd() * len(pool))] + agent_signatures[assignee],
                                 at, minutes))
                    if first_response is None:
                        first_response = at
                else:
                    add_message((message_id, number, assignee, None, False,
                                 notes[int(rnd() * len(notes))], at, minutes))
                message_id += 1
                timeline.append((step_s, role, current, at))

            if current == "solved" and not closing_delay and now_s - step_s > _CLOSES_SOLVED:
                # Solved longer ago than the desk's automation waits: it closed the ticket
                # then (a console opening the demo would otherwise close them all at once).
                closing_delay = _CLOSES_SOLVED
            updated_at = created_at if step_s == created_s else stamp(step_s)
            closed_at = None
            if closing_delay:
                version += 1
                closed_at = updated_at = stamp(step_s + closing_delay)
                add_event((event_id, number, None, "status", "solved", "closed", version,
                           closed_at))
                event_id += 1
                current = "closed"
                timeline.append((step_s + closing_delay, "X", "closed", closed_at))
            priority = (vip_priorities if vips[customer] else priorities)[int(rnd() * 1000)]
            replied_at = stamp(replied_s) if replied_s else None
            if given is not None:  # worked out by the helper process
                clock_columns = given[offset]
                resolution_met = clock_columns[-1]
            else:
                matched = (priority, vips[customer], organizations[customer])
                policy = policy_of.get(matched, _UNMATCHED)
                if policy is _UNMATCHED:
                    policy = policy_of[matched] = demo_sla.match(
                        policies, priority, "vip" if vips[customer] else "standard",
                        organizations[customer])
                if policy is None:
                    clock_columns = _NO_SLA
                    resolution_met = None
                else:
                    created_us = instant(created_s)
                    # The steps' instants are stored as the steps' own stamps (made above).
                    known.clear()
                    known[created_us] = created_at
                    sla_steps = []
                    for when, who, after, value in timeline:
                        us = instant(when)
                        sla_steps.append((us, who, after))
                        known[us] = value
                    sla = demo_sla.replay(clocks[policy.id], created_us, sla_steps)
                    resolution_met = sla.resolution_met

                    clock_columns = (
                        policy.id, at_us(sla.first_due), at_us(sla.next_due),
                        at_us(sla.resolution_due), at_us(sla.due), at_us(sla.paused_at),
                        sla.paused_minutes, at_us(sla.next_started), sla.next_paused_minutes,
                        sla.first_business, sla.resolution_business, sla.first_met,
                        sla.resolution_met)
                    for ended in sla.ended:
                        outcome_rows.append((
                            outcome_id, number, policy.id, policy.name, ended.target,
                            "met" if ended.met else "breached", at_us(ended.started),
                            stored(ended.due), at_us(ended.met_at), at_us(ended.ended)))
                        outcome_id += 1
            add_ticket((number, subject, current, priority, types[offset], channel, customer_id,
                        assignee, group_ids[group] if group else None, tier, created_at,
                        updated_at, first_response, solved, closed_at, reopens, version,
                        replied_at, *clock_columns))
            if current in ("solved", "closed") and solved_s and extra() < RATED_SHARE:
                # The requester answered the rating question (a third do), a while after the
                # solve; happier when the resolution came in time.
                rated_s = min(solved_s + 600 + int(extra() * 2 * _DAY), now_s - 1)
                weights = _SCORES_LATE if resolution_met is False else _SCORES
                score = weights[int(extra() * len(weights))]
                comment = ""
                if extra() < 0.4:
                    said = comments[language]["good" if score >= 4 else
                                              "fair" if score == 3 else "bad"]
                    comment = said[int(extra() * len(said))]
                rating_rows.append((rating_id, number, customer_id, score, comment, None,
                                    assignee if channel == "phone" else None,
                                    stamp(max(rated_s, solved_s))))
                rating_id += 1
            if worked_s and assignee is not None:
                seen_s = worked_s
                if replied_s > worked_s:
                    # The customer wrote last. Often the assignee has read it since (more
                    # likely the older it is); otherwise the queue marks an unseen reply.
                    waited = now_s - replied_s
                    if waited > 1 and rnd() < (0.8 if waited > _DAY else 0.3):
                        seen_s = replied_s + 1 + int(rnd() * min(4 * 3_600, waited - 1))
                add_seen((number, assignee, stamp(seen_s)))
            combo = tag_combos[topic]
            for tag_id in combo[int(rnd() * len(combo))]:
                add_tag((number, tag_id))

        self.next_message, self.next_event = message_id, event_id
        self.next_ids["sla_outcomes"], self.next_ids["satisfaction_ratings"] = (
            outcome_id, rating_id)
        self.counts["sla_outcomes"] += len(outcome_rows)
        self.counts["satisfaction_ratings"] += len(rating_rows)
        self.counts["tickets"] += len(ticket_rows)
        self.counts["messages"] += len(message_rows)
        self.counts["events"] += len(event_rows)
        self.counts["ticket_tags"] += len(tag_rows)
        self.counts["ticket_seen"] += len(seen_rows)
        yield "tickets", ticket_rows
        yield "messages", message_rows
        yield "events", event_rows
        yield "ticket_tags", tag_rows
        yield "ticket_seen", seen_rows
        yield "sla_outcomes", outcome_rows
        yield "satisfaction_ratings", rating_rows
