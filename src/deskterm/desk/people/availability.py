"""Who can take tickets now: agents away or back and their capacity; a group's assignment
strategy (used by :mod:`deskterm.desk.automation.assignment`)."""

from __future__ import annotations

from sqlmodel import Session

from deskterm.desk.errors import InvalidInput
from deskterm.desk.people.directory import agent_read, find_agent, find_group, group_read
from deskterm.desk.reads import AgentRead, GroupRead

STRATEGIES = ("manual", "round-robin", "least-loaded", "skills")
"""How a group assigns the tickets that land in it unassigned (see the assignment module)."""
MAX_CAPACITY = 10_000


def check_strategy(strategy: str) -> str:
    """One of :data:`STRATEGIES` (any case; ``round_robin`` too)."""
    cleaned = strategy.strip().lower().replace("_", "-")
    if cleaned not in STRATEGIES:
        raise InvalidInput(f"assignment '{strategy[:40]}' is not one of {', '.join(STRATEGIES)}")
    return cleaned


def set_assignment(session: Session, *, group: str, strategy: str) -> GroupRead:
    """Group ``group`` assigns by ``strategy`` from now on."""
    strategy = check_strategy(strategy)
    found = find_group(session, group)
    found.assignment = strategy
    session.add(found)
    session.flush()
    return group_read(session, found)


def set_away(session: Session, *, username: str, away: bool) -> AgentRead:
    """Agent ``username`` is away (automatic assignment skips them) or back."""
    agent = find_agent(session, username)
    agent.away = away
    session.add(agent)
    session.flush()
    return agent_read(session, agent)


def set_capacity(session: Session, *, username: str, capacity: int | None) -> AgentRead:
    """At most ``capacity`` unsolved tickets for ``username`` from automatic assignment
    (None: no limit)."""
    if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
        raise InvalidInput(f"capacity {capacity} must be between 0 and {MAX_CAPACITY:,} "
                           "(or none for no limit)")
    agent = find_agent(session, username)
    agent.capacity = capacity
    session.add(agent)
    session.flush()
    return agent_read(session, agent)
