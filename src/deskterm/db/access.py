"""Group access in SQL: which restricted groups hide their tickets from an agent, and the
condition that keeps a statement to the tickets an agent may see.

The rule itself (who sees what, what is refused and how it is worded) is
:mod:`deskterm.desk.people.access`'s; this module only reads and builds SQL for it.

A restricted group's tickets are hidden from every agent outside it; admins are handled by the
caller (they hide nothing). The hidden groups are read once per filter or use case: a desk has a
handful of groups, and with none restricted (the common case) the list is empty and no
condition is added to any statement at all.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_
from sqlmodel import Session, col, select

from deskterm.db.models import Agent, Group, GroupMember, Ticket


def hidden_group_ids(session: Session, *, agent_id: int) -> tuple[int, ...]:
    """The restricted groups agent ``agent_id`` is not a member of, by id (in id order)."""
    member = exists().where(col(GroupMember.group_id) == col(Group.id),
                            col(GroupMember.agent_id) == agent_id)
    return tuple(session.exec(
        select(Group.id).where(col(Group.restricted), ~member).order_by(col(Group.id))
    ).all())  # type: ignore[arg-type]  # ids of stored rows are never None


def hidden_group_ids_for(session: Session, *, username: str) -> tuple[int, ...]:
    """As :func:`hidden_group_ids` for the agent named ``username`` (every restricted group
    for a name that is no agent); none for an admin. One statement: a filter resolved by name
    pays one small read."""
    me = select(Agent.id).where(col(Agent.username) == username).scalar_subquery()
    admin = exists().where(col(Agent.username) == username, col(Agent.role) == "admin")
    member = exists().where(col(GroupMember.group_id) == col(Group.id),
                            col(GroupMember.agent_id) == me)
    return tuple(session.exec(
        select(Group.id).where(col(Group.restricted), ~member, ~admin).order_by(col(Group.id))
    ).all())  # type: ignore[arg-type]


def visible_condition(hidden: tuple[int, ...]) -> ColumnElement[bool] | None:
    """Tickets in none of the ``hidden`` groups (a ticket with no group is everyone's); None
    when nothing is hidden, so the statement stays as it was."""
    if not hidden:
        return None
    return or_(col(Ticket.group_id).is_(None), col(Ticket.group_id).not_in(hidden))


def hidden_group_of(session: Session, *, number: int,
                    hidden: tuple[int, ...]) -> str | None:
    """The name of the hidden group ticket ``number`` is in (None: the ticket is visible, or
    there is no such ticket)."""
    if not hidden:
        return None
    return session.exec(
        select(Group.name).join(Ticket, col(Ticket.group_id) == col(Group.id))
        .where(and_(col(Ticket.id) == number, col(Group.id).in_(hidden)))
    ).first()


def visible_numbers(session: Session, numbers: list[int],
                    hidden: tuple[int, ...]) -> set[int]:
    """Those of ``numbers`` that are visible (or do not exist: the caller says so)."""
    condition = visible_condition(hidden)
    if condition is None or not numbers:
        return set(numbers)
    hidden_numbers = set(session.exec(
        select(Ticket.id).where(col(Ticket.id).in_(numbers), ~condition)
    ).all())
    return {number for number in numbers if number not in hidden_numbers}


def sees_no_more_condition(hidden: tuple[int, ...],
                           agent_id: ColumnElement[int | None]) -> ColumnElement[bool] | None:
    """Rows by an agent (``agent_id``) who may see none of the ``hidden`` groups either: not an
    admin and a member of none of them. None when nothing is hidden."""
    if not hidden:
        return None
    member = exists().where(col(GroupMember.agent_id) == col(Agent.id),
                            col(GroupMember.group_id).in_(hidden))
    return agent_id.in_(select(Agent.id).where(col(Agent.role) != "admin", ~member))


def is_restricted_for(session: Session, *, group_id: int, agent_id: int) -> bool:
    """Whether group ``group_id`` is restricted and agent ``agent_id`` is not its member."""
    return group_id in hidden_group_ids(session, agent_id=agent_id)
