"""Automatic assignment: who in a group gets a ticket, by the group's strategy.

- ``manual``: nobody; the ticket waits in the group's queue.
- ``round-robin``: the next available member after the one assigned last, by agent id. The
  place is the group row's ``last_assigned_id``, read and moved under a lock on the group row
  (``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` holds the whole store), so it is
  fair over time, across restarts and with several consoles or runners assigning at once.
- ``least-loaded``: the available member with the fewest unsolved tickets (new, open, pending,
  on hold); ties go to the one assigned longest ago in round-robin order.
- ``skills``: the members whose skills cover every tag of the ticket, then least-loaded.

Available: active, not away, and below their capacity (unsolved tickets) when they have one.
Nobody available: the ticket stays unassigned in the group's queue.
"""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from deskterm.db.models import Agent, Group, GroupMember, Ticket, key
from deskterm.desk.tickets import lifecycle
from deskterm.desk.tickets.change import Change, ticket_tags


def lock_group(session: Session, group_id: int) -> Group | None:
    """The group row, locked for this transaction and read afresh."""
    return session.exec(select(Group).where(Group.id == group_id).with_for_update()
                        .execution_options(populate_existing=True)).first()


def open_loads(session: Session, agent_ids: list[int]) -> dict[int, int]:
    """``{agent id: unsolved tickets assigned to them}``."""
    if not agent_ids:
        return {}
    rows = session.exec(
        select(Ticket.assignee_id, func.count())
        .where(col(Ticket.assignee_id).in_(agent_ids),
               col(Ticket.status).in_(sorted(lifecycle.UNSOLVED)))
        .group_by(col(Ticket.assignee_id))).all()
    loads = {agent_id: 0 for agent_id in agent_ids}
    loads.update({agent_id: count for agent_id, count in rows if agent_id is not None})
    return loads


def available_members(session: Session, group: Group) -> tuple[list[Agent], dict[int, int]]:
    """The group's members who may take a ticket now (by id), and their loads (counted only
    when the strategy or a capacity needs them: round-robin without capacities reads none)."""
    members = list(session.exec(
        select(Agent).join(GroupMember, col(GroupMember.agent_id) == col(Agent.id))
        .where(GroupMember.group_id == group.id, col(Agent.active), col(Agent.away).is_(False))
        .order_by(col(Agent.id))).all())
    if group.assignment == "round-robin" and all(a.capacity is None for a in members):
        return members, {}
    loads = open_loads(session, [key(agent) for agent in members])
    return [agent for agent in members
            if agent.capacity is None or loads[key(agent)] < agent.capacity], loads


def _after(agents: list[Agent], last: int | None) -> list[Agent]:
    """``agents`` (by id) in round-robin order: those after ``last`` first, then the rest."""
    if last is None:
        return agents
    return [a for a in agents if key(a) > last] + [a for a in agents if key(a) <= last]


def choose(session: Session, group: Group, ticket: Ticket) -> Agent | None:
    """Whom ``group``'s strategy gives ``ticket`` (None: nobody available, or manual)."""
    if group.assignment == "manual":
        return None
    candidates, loads = available_members(session, group)
    if group.assignment == "skills":
        tags = {tag.casefold() for tag in ticket_tags(session, key(ticket))}
        candidates = [a for a in candidates
                      if tags <= {skill.casefold() for skill in (a.skills or ())}]
    ordered = _after(candidates, group.last_assigned_id)
    if not ordered:
        return None
    if group.assignment == "round-robin":
        return ordered[0]
    # least-loaded (and skills): fewest unsolved tickets; a tie in round-robin order.
    return min(ordered, key=lambda agent: loads[key(agent)])


def assign_by_strategy(change: Change) -> str | None:
    """Assign the locked ticket of ``change`` by its group's strategy: the username, or None
    when the ticket has no group, the group assigns by hand, or nobody is available."""
    ticket = change.ticket
    if ticket.group_id is None:
        return None
    group = lock_group(change.session, ticket.group_id)
    if group is None:
        return None
    agent = choose(change.session, group, ticket)
    if agent is None:
        return None
    change.set_assignee(key(agent), agent.username)
    if ticket.status == "new":
        change.set_status("open")  # someone owns it now, as when an agent assigns it
    group.last_assigned_id = key(agent)
    change.session.add(group)
    return agent.username
