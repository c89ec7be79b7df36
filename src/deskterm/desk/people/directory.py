"""Agents, groups, customers and organizations."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import bindparam, case, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from deskterm.db.engine import lock_for_unique_names
from deskterm.db.errors import WriteConflict
from deskterm.db.models import ROLES, Agent, Customer, Group, GroupMember, Organization, key
from deskterm.db.ticket_rows import customer_row, insert_customer
from deskterm.db.types import utcnow
from deskterm.desk.errors import InvalidInput, NotFound
from deskterm.desk.limits import check_name, check_text, storable
from deskterm.desk.reads import AgentRead, CustomerRead, GroupRead
from deskterm.desk.safe_text import clean_line

# ASCII only: with IGNORECASE, [a-z] would also take the Kelvin sign and the long s.
_USERNAME = re.compile(r"[a-z_][a-z0-9_.-]{0,63}", re.IGNORECASE | re.ASCII)
_EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")
MAX_DISPLAY_NAME = 200
MAX_GROUP_NAME = 100
MAX_EMAIL = 320
MAX_SKILL = 64


def normalize_email(email: str, *, where: str = "email") -> str:
    """A lower-cased, validated e-mail address."""
    email = check_name(email, field=where, max_length=MAX_EMAIL).lower()
    if not _EMAIL.fullmatch(email) or not email.isprintable():
        raise InvalidInput(f"{where}: '{email[:80]}' is not an e-mail address")
    return email


def _clean_skills(skills: list[str] | tuple[str, ...]) -> list[str]:
    return sorted({check_name(skill, field="skill", max_length=MAX_SKILL).lower()
                   for skill in skills if skill.strip()})


def check_display_name(name: str) -> str:
    return check_name(name, field="display name", max_length=MAX_DISPLAY_NAME)


def _same_name_as(names: list[str], wanted: str) -> str | None:
    """The name among ``names`` that is ``wanted`` in another case (``Bob`` for ``bob``)."""
    folded = wanted.casefold()
    return next((name for name in names if name.casefold() == folded), None)


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"role '{role}' is not one of: {', '.join(ROLES)}")
    return role


def agent_read(session: Session, agent: Agent) -> AgentRead:
    groups = session.exec(
        select(Group.name)
        .join(GroupMember, col(GroupMember.group_id) == col(Group.id))
        .where(GroupMember.agent_id == agent.id)
        .order_by(Group.name)
    ).all()
    return AgentRead(
        id=key(agent),
        username=agent.username,
        display_name=agent.display_name,
        email=agent.email,
        role=agent.role,
        active=agent.active,
        skills=tuple(agent.skills or ()),
        groups=tuple(groups),
        away=agent.away,
        capacity=agent.capacity,
    )


def find_agent(session: Session, username: str) -> Agent:
    # A name no store can hold is looked up nowhere (PostgreSQL would refuse the query).
    agent = (session.exec(select(Agent).where(Agent.username == username)).first()
             if storable(username) else None)
    if agent is None:
        raise NotFound(f"no agent named '{username[:64]}' (see `deskterm agent list`)")
    return agent


def add_agent(
    session: Session,
    *,
    username: str,
    display_name: str | None = None,
    email: str | None = None,
    role: str = "agent",
    skills: list[str] | tuple[str, ...] = (),
) -> AgentRead:
    """Add an agent for the operating-system user ``username``.

    Usernames are unique whatever their case: ``Bob`` next to ``bob`` reads as the same person
    in every list, so the desk refuses it (the check runs in the write transaction).
    """
    if not _USERNAME.fullmatch(username):
        raise InvalidInput(
            f"username '{username[:64]}' must be an operating-system user name "
            "(letters, digits, '_', '.', '-'; at most 64)"
        )
    lock_for_unique_names(session, Agent.__tablename__)
    taken = _same_name_as(list(session.exec(select(Agent.username)).all()), username)
    if taken is not None:
        raise InvalidInput(
            f"agent '{taken}' already exists (change it with `deskterm agent set`)"
            if taken == username else
            f"username '{username}': agent '{taken}' already exists (names differing only in "
            "case are the same name)"
        )
    agent = Agent(
        username=username,
        display_name=check_display_name(display_name) if display_name else username,
        email=normalize_email(email) if email else None,
        role=_check_role(role),
        skills=_clean_skills(skills),
    )
    session.add(agent)
    session.flush()
    return agent_read(session, agent)


def list_agents(session: Session, *, include_inactive: bool = True) -> list[AgentRead]:
    query = select(Agent).order_by(Agent.username)
    if not include_inactive:
        query = query.where(col(Agent.active).is_(True))
    return [agent_read(session, agent) for agent in session.exec(query).all()]


def _active_admins(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(Agent).where(Agent.role == "admin",
                                                      col(Agent.active).is_(True))
    ).one()


def set_agent(
    session: Session,
    *,
    username: str,
    display_name: str | None = None,
    email: str | None = None,
    role: str | None = None,
    skills: list[str] | tuple[str, ...] | None = None,
    active: bool | None = None,
) -> AgentRead:
    """Change an agent's name, e-mail, role, skills or active flag; the last admin stays one."""
    agent = find_agent(session, username)
    was_admin = agent.role == "admin" and agent.active
    if display_name is not None:
        agent.display_name = check_display_name(display_name)
    if email is not None:
        agent.email = normalize_email(email) if email else None
    if role is not None:
        agent.role = _check_role(role)
    if skills is not None:
        agent.skills = _clean_skills(skills)
    if active is not None:
        agent.active = active
    session.add(agent)
    session.flush()
    if was_admin and not (agent.role == "admin" and agent.active) and _active_admins(session) == 0:
        raise InvalidInput(f"'{username}' is the last active admin: make another admin first")
    return agent_read(session, agent)


def find_agent_any_case(session: Session, username: str) -> Agent:
    """The agent named ``username`` in any case (``ADA`` finds ``ada``; Unicode case folding,
    the same on both stores), for filters. Usernames are unique whatever their case; of names
    made before that check that differ only in case, the one spelled as typed wins."""
    return _find_any_case(session, username, find_agent, Agent, Agent.username)


def find_group_any_case(session: Session, name: str) -> Group:
    """The group named ``name`` in any case (``billing`` finds ``Billing``), for filters: see
    :func:`find_agent_any_case`."""
    return _find_any_case(session, name, find_group, Group, Group.name)


def find_organization_any_case(session: Session, name: str) -> Organization:
    """The organization named ``name`` in any case (``acme corp`` finds ``Acme Corp``), for
    filters: see :func:`find_agent_any_case`."""
    return _find_any_case(session, name, find_organization, Organization, Organization.name)


_Named = TypeVar("_Named", Agent, Group, Organization)


def _find_any_case(session: Session, name: str, find: Callable[[Session, str], _Named],
                   model: type[_Named], column: Any) -> _Named:
    """``find(session, name)`` (the exact name), else the row named so in another case; else
    ``find``'s NotFound."""
    try:
        return find(session, name)
    except NotFound:
        found = _any_case(session, model, column, name)
        if found is None:
            raise
        return found


def _any_case(session: Session, model: type[_Named], column: Any, name: str) -> _Named | None:
    """The row whose ``column`` equals ``name`` under Unicode case folding. Compared here, not
    in SQL: SQLite's ``lower()`` folds ASCII only and PostgreSQL's depends on the collation;
    agents, groups and organizations are few next to tickets, and this runs only when the exact
    name is not found."""
    if not storable(name):
        return None
    folded = name.casefold()
    rows = session.exec(select(col(model.id), column)).all()
    match = min((row_id for row_id, value in rows
                 if row_id is not None and value.casefold() == folded), default=None)
    return session.get(model, match) if match is not None else None


def find_group(session: Session, name: str) -> Group:
    group = (session.exec(select(Group).where(Group.name == name)).first()
             if storable(name) else None)
    if group is None:
        raise NotFound(f"no group named '{name[:100]}' (see `deskterm group list`)")
    return group


def group_read(session: Session, group: Group) -> GroupRead:
    members = session.exec(
        select(Agent.username)
        .join(GroupMember, col(GroupMember.agent_id) == col(Agent.id))
        .where(GroupMember.group_id == group.id)
        .order_by(Agent.username)
    ).all()
    return GroupRead(id=key(group), name=group.name, description=group.description,
                     members=tuple(members), assignment=group.assignment,
                     restricted=group.restricted)


def add_group(session: Session, *, name: str, description: str = "",
              restricted: bool = False) -> GroupRead:
    """A new group; its name is one line, unique whatever its case (``Network``/``network``);
    ``restricted``: its tickets are its members' (and admins') alone."""
    name = check_name(name, field="group name", max_length=MAX_GROUP_NAME)
    description = check_text(description, field="group description").strip()
    lock_for_unique_names(session, Group.__tablename__)
    taken = _same_name_as(list(session.exec(select(Group.name)).all()), name)
    if taken is not None:
        raise InvalidInput(f"group '{taken}' already exists" if taken == name else
                           f"group name '{name}': group '{taken}' already exists (names "
                           "differing only in case are the same name)")
    group = Group(name=name, description=description, restricted=restricted)
    session.add(group)
    session.flush()
    return group_read(session, group)


def set_restricted(session: Session, *, group: str, restricted: bool) -> GroupRead:
    """Restrict group ``group`` to its members, or open it to every agent."""
    found = find_group(session, group)
    found.restricted = restricted
    session.add(found)
    session.flush()
    return group_read(session, found)


def list_groups(session: Session) -> list[GroupRead]:
    groups = session.exec(select(Group).order_by(Group.name)).all()
    return [group_read(session, group) for group in groups]


def add_member(session: Session, *, group: str, username: str) -> GroupRead:
    found = find_group(session, group)
    agent = find_agent(session, username)
    if session.get(GroupMember, (found.id, agent.id)) is None:
        session.add(GroupMember(group_id=key(found), agent_id=key(agent)))
        session.flush()
    return group_read(session, found)


def remove_member(session: Session, *, group: str, username: str) -> GroupRead:
    found = find_group(session, group)
    agent = find_agent(session, username)
    member = session.get(GroupMember, (found.id, agent.id))
    if member is None:
        raise NotFound(f"'{username}' is not a member of group '{group}'")
    session.delete(member)
    session.flush()
    return group_read(session, found)


def customer_read(session: Session, customer: Customer) -> CustomerRead:
    organization = (
        session.get(Organization, customer.organization_id) if customer.organization_id else None
    )
    return CustomerRead(
        id=key(customer),
        name=customer.name,
        email=customer.email,
        organization=organization.name if organization else None,
        internal=customer.internal,
        tier=customer.tier,
    )


MAX_CUSTOMER_SEARCH = 60
"""Characters of a requester search that are used (a longer one finds nobody anyway)."""


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_customers(session: Session, *, text: str, limit: int = 50) -> list[CustomerRead]:
    """Customers whose name or e-mail holds the letters of ``text`` in order (``gwri`` finds
    Giulia Wright), the ones whose name or e-mail starts with it first; at most ``limit``.

    Text with an ``@`` is an address: only addresses holding it as it is match (letters in
    order would find ``ingrid.lopez@blue-yonder…`` for ``zoe@new.example``). The letters go
    into one parameterized ``LIKE`` (``%g%w%r%i%``), so a desk of a hundred thousand customers
    is searched in the store, not loaded into the console.
    """
    words = " ".join(check_text(text, field="requester search").lower().split())
    words = words[:MAX_CUSTOMER_SEARCH]
    typed = words.replace(" ", "")
    if not typed:
        return []
    if "@" in typed:
        searched = func.lower(col(Customer.email))
        pattern = "%" + _like_escaped(typed) + "%"
    else:
        # A requester known only by name has no address: NULL would blank out the whole text.
        searched = func.lower(col(Customer.name) + " " + func.coalesce(col(Customer.email), ""))
        pattern = "%" + "%".join(_like_escaped(letter) for letter in typed) + "%"
    starts = _like_escaped(words) + "%"
    first = case((func.lower(col(Customer.name)).like(starts, escape="\\"), 0),
                 (func.lower(col(Customer.email)).like(starts, escape="\\"), 1), else_=2)
    rows = session.exec(
        select(Customer, Organization.name)
        .outerjoin(Organization, col(Organization.id) == col(Customer.organization_id))
        .where(searched.like(pattern, escape="\\"))
        .order_by(first, func.lower(col(Customer.name)), col(Customer.id))
        .limit(limit)
    ).all()
    return [CustomerRead(id=key(c), name=c.name, email=c.email, organization=org,
                         internal=c.internal, tier=c.tier) for c, org in rows]


def find_customer(session: Session, email: str) -> Customer:
    """The customer writing from ``email`` (NotFound if none)."""
    customer = session.exec(
        select(Customer).where(Customer.email == normalize_email(email, where="requester"))
    ).first()
    if customer is None:
        raise NotFound(f"no customer with e-mail '{email}'")
    return customer


def find_organization(session: Session, name: str) -> Organization:
    organization = (session.exec(select(Organization).where(Organization.name == name)).first()
                    if storable(name) else None)
    if organization is None:
        raise NotFound(f"no organization named '{name}'")
    return organization


def add_customer_without_email(session: Session, *, name: str,
                               organization_id: int | None = None) -> Customer:
    """A new requester known only by name (a phone call, a chat, a social-media message)."""
    display = clean_line(check_text(name, field="requester name"))[:200]
    if not display:
        raise InvalidInput("requester: give an e-mail address or a name")
    customer = Customer(name=display, email=None, organization_id=organization_id)
    session.add(customer)
    session.flush()
    return customer


# Built once, the value bound per call: every filed mail and new ticket looks its requester up.
_CUSTOMER_BY_EMAIL = select(Customer).where(col(Customer.email) == bindparam("email"))
_ORGANIZATION_BY_DOMAIN = select(Organization).where(
    col(Organization.domain) == bindparam("domain"))


def get_or_create_customer(session: Session, *, email: str, name: str | None = None) -> Customer:
    """The customer writing from ``email``; a new one joins the organization of its domain."""
    email = normalize_email(email, where="requester")
    customer = session.exec(_CUSTOMER_BY_EMAIL, params={"email": email}).first()
    if customer is not None:
        return customer
    return new_customer(session, email=email, name=name)


def _display_name(email: str, name: str | None) -> str:
    # A customer's name comes from outside (a mail header, an import): its control characters
    # are removed rather than the whole request refused.
    display = clean_line(check_text(name or "", field="requester name")) or email.split("@", 1)[0]
    return display[:200]


def new_customer_row(session: Session, *, email: str, name: str | None = None) -> Customer:
    """:func:`new_customer` in one statement, returned detached (not in the session: only to
    read; a new ticket's requester). The ORM's unit of work and the organization's look-up
    had cost a filed mail from someone new two round trips and more than the rest of it."""
    try:
        made = insert_customer(session, name=_display_name(email, name), email=email,
                               at=utcnow())
    except IntegrityError as exc:
        raise WriteConflict(f"customer {email} was created concurrently") from exc
    if made is None:  # (PostgreSQL: made since it was looked up; the transaction goes on)
        made = customer_row(session, email)
        if made is None:
            raise WriteConflict(f"customer {email} was created concurrently")
    return made


def new_customer(session: Session, *, email: str, name: str | None = None) -> Customer:
    """A new customer writing from ``email`` (normalized; the caller found no customer with
    it in this transaction), in the organization of its domain."""
    domain = email.rsplit("@", 1)[1]
    organization = session.exec(_ORGANIZATION_BY_DOMAIN, params={"domain": domain}).first()
    customer = Customer(
        name=_display_name(email, name),
        email=email,
        organization_id=organization.id if organization else None,
    )
    session.add(customer)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another transaction filed the same new customer first: run the whole write again.
        raise WriteConflict(f"customer {email} was created concurrently") from exc
    return customer

