"""Agents, groups, customers and organizations."""

from __future__ import annotations

import re

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from deskterm.db.errors import WriteConflict
from deskterm.db.models import ROLES, Agent, Customer, Group, GroupMember, Organization
from deskterm.desk.errors import InvalidInput, NotFound
from deskterm.desk.reads import AgentRead, CustomerRead, GroupRead

_USERNAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,63}$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


def normalize_email(email: str, *, where: str = "email") -> str:
    """A lower-cased, validated e-mail address."""
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise InvalidInput(f"{where}: '{email}' is not an e-mail address")
    return email


def _clean_skills(skills: list[str] | tuple[str, ...]) -> list[str]:
    cleaned = sorted({skill.strip().lower() for skill in skills if skill.strip()})
    for skill in cleaned:
        if len(skill) > 64:
            raise InvalidInput(f"skill '{skill[:20]}…' is longer than 64 characters")
    return cleaned


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
        id=agent.id,
        username=agent.username,
        display_name=agent.display_name,
        email=agent.email,
        role=agent.role,
        active=agent.active,
        skills=tuple(agent.skills or ()),
        groups=tuple(groups),
    )


def find_agent(session: Session, username: str) -> Agent:
    agent = session.exec(select(Agent).where(Agent.username == username)).first()
    if agent is None:
        raise NotFound(f"no agent named '{username}' (see `deskterm agent list`)")
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
    """Add an agent for the operating-system user ``username``."""
    if not _USERNAME.match(username):
        raise InvalidInput(
            f"username '{username}' must be an operating-system user name "
            "(letters, digits, '_', '.', '-'; at most 64)"
        )
    if session.exec(select(Agent.id).where(Agent.username == username)).first() is not None:
        raise InvalidInput(
            f"agent '{username}' already exists (change it with `deskterm agent set`)"
        )
    agent = Agent(
        username=username,
        display_name=(display_name or username).strip() or username,
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
        if not display_name.strip():
            raise InvalidInput("display name: must not be empty")
        agent.display_name = display_name.strip()
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


def find_group(session: Session, name: str) -> Group:
    group = session.exec(select(Group).where(Group.name == name)).first()
    if group is None:
        raise NotFound(f"no group named '{name}' (see `deskterm group list`)")
    return group


def _group_read(session: Session, group: Group) -> GroupRead:
    members = session.exec(
        select(Agent.username)
        .join(GroupMember, col(GroupMember.agent_id) == col(Agent.id))
        .where(GroupMember.group_id == group.id)
        .order_by(Agent.username)
    ).all()
    return GroupRead(id=group.id, name=group.name, description=group.description,
                     members=tuple(members))


def add_group(session: Session, *, name: str, description: str = "") -> GroupRead:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("group name: must be 1 to 100 characters")
    if session.exec(select(Group.id).where(Group.name == name)).first() is not None:
        raise InvalidInput(f"group '{name}' already exists")
    group = Group(name=name, description=description.strip())
    session.add(group)
    session.flush()
    return _group_read(session, group)


def list_groups(session: Session) -> list[GroupRead]:
    groups = session.exec(select(Group).order_by(Group.name)).all()
    return [_group_read(session, group) for group in groups]


def add_member(session: Session, *, group: str, username: str) -> GroupRead:
    found = find_group(session, group)
    agent = find_agent(session, username)
    if session.get(GroupMember, (found.id, agent.id)) is None:
        session.add(GroupMember(group_id=found.id, agent_id=agent.id))
        session.flush()
    return _group_read(session, found)


def remove_member(session: Session, *, group: str, username: str) -> GroupRead:
    found = find_group(session, group)
    agent = find_agent(session, username)
    member = session.get(GroupMember, (found.id, agent.id))
    if member is None:
        raise NotFound(f"'{username}' is not a member of group '{group}'")
    session.delete(member)
    session.flush()
    return _group_read(session, found)


def customer_read(session: Session, customer: Customer) -> CustomerRead:
    organization = (
        session.get(Organization, customer.organization_id) if customer.organization_id else None
    )
    return CustomerRead(
        id=customer.id,
        name=customer.name,
        email=customer.email,
        organization=organization.name if organization else None,
        internal=customer.internal,
        tier=customer.tier,
    )


def find_customer(session: Session, email: str) -> Customer:
    customer = session.exec(
        select(Customer).where(Customer.email == normalize_email(email, where="requester"))
    ).first()
    if customer is None:
        raise NotFound(f"no customer with e-mail '{email}'")
    return customer


def find_organization(session: Session, name: str) -> Organization:
    organization = session.exec(select(Organization).where(Organization.name == name)).first()
    if organization is None:
        raise NotFound(f"no organization named '{name}'")
    return organization


def get_or_create_customer(session: Session, *, email: str, name: str | None = None) -> Customer:
    """The customer writing from ``email``; a new one joins the organization of its domain."""
    email = normalize_email(email, where="requester")
    customer = session.exec(select(Customer).where(Customer.email == email)).first()
    if customer is not None:
        return customer
    domain = email.rsplit("@", 1)[1]
    organization = session.exec(select(Organization).where(Organization.domain == domain)).first()
    display = (name or "").strip() or email.split("@", 1)[0]
    customer = Customer(
        name=display[:200],
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

