"""Group access: which tickets an agent sees and changes. The one place the rule lives.

A group is open to every agent (the default) or restricted to its members. An agent sees and
changes a ticket only when its group is open to them: the ticket has no group, its group is
open, or they are a member of it. Admins see and change every ticket. Automatic work (rules,
SLA escalation, timers, mail intake) acts as the system (no agent) and sees every ticket.

Every read of a list of tickets (queue, search, counts, reports, CLI lists, export, saved
views) runs its filter through :mod:`deskterm.desk.filter.sql`, which adds
:func:`visible_condition` for the hidden groups the filter was resolved with; every read or
change of one ticket named by number calls :func:`require_ticket_access` (the change kernel's
:class:`~deskterm.desk.tickets.change.Change` does it for every change), which words the
refusal without the ticket's subject.

Moving a ticket into a restricted group: an admin may; a member of that group may; any other
agent is refused (:func:`require_group_open`), as a professional desk does: handing a ticket
to a team you are not in is fine, but not into a queue you could then no longer see, where
you would have moved the ticket out of your own reach without the team's leave.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import Session

from deskterm.db import access
from deskterm.desk.errors import PermissionDenied
from deskterm.desk.reads import AgentRead, ref
from deskterm.desk.safe_text import clean_line

_HIDDEN = "deskterm.hidden_groups"
"""Where a session keeps the hidden groups it read, by agent id."""
_HIDDEN_BY_NAME = "deskterm.hidden_groups_by_name"


def hidden_groups(session: Session, actor: AgentRead | None) -> tuple[int, ...]:
    """The ids of the groups whose tickets ``actor`` may not see (none for an admin or for
    the system, ``actor`` None). Read once per session (one use case's transaction): a bulk
    change of thousands of tickets asks once, not once a ticket."""
    if actor is None or actor.is_admin:
        return ()
    known: dict[int, tuple[int, ...]] = session.info.setdefault(_HIDDEN, {})
    if actor.id not in known:
        known[actor.id] = access.hidden_group_ids(session, agent_id=actor.id)
    return known[actor.id]


def hidden_groups_for(session: Session, me: str | None) -> tuple[int, ...]:
    """:func:`hidden_groups` for the agent named ``me`` (a filter is resolved for a name;
    None is the system)."""
    if me is None:
        return ()
    known: dict[str, tuple[int, ...]] = session.info.setdefault(_HIDDEN_BY_NAME, {})
    if me not in known:  # the status bar's counts resolve eight filters in one read
        known[me] = access.hidden_group_ids_for(session, username=me)
    return known[me]


def visible_condition(hidden: tuple[int, ...]) -> ColumnElement[bool] | None:
    """The SQL condition for tickets outside the ``hidden`` groups; None when none is hidden."""
    return access.visible_condition(hidden)


def visible_conditions(session: Session, me: str | None) -> list[ColumnElement[bool]]:
    """The conditions (zero or one) keeping a statement on tickets to what ``me`` sees."""
    condition = visible_condition(hidden_groups_for(session, me))
    return [] if condition is None else [condition]


def searches_visible_condition(session: Session, me: str | None,
                               agent_id: ColumnElement[int | None]) -> list[ColumnElement[bool]]:
    """The conditions (zero or one) keeping rows written by agents (a search that found
    nothing, by ``agent_id``) to those ``me`` may see: words typed by an agent who sees a group
    hidden from ``me`` (a member of it, an admin) may name its tickets, so they are shown only
    to those who see it too. A row whose agent is gone is kept from a restricted agent."""
    condition = access.sees_no_more_condition(hidden_groups_for(session, me), agent_id)
    return [] if condition is None else [condition]


def refusal(number: int, group: str) -> PermissionDenied:
    """The one line an agent gets for a ticket they may not see: its group, never its subject."""
    return PermissionDenied(f"ticket {ref(number)} is in group {clean_line(group)}, restricted to "
                            "its members")


def require_ticket_access(session: Session, actor: AgentRead | None, number: int) -> None:
    """PermissionDenied when ticket ``number`` is in a group restricted from ``actor``."""
    hidden = hidden_groups(session, actor)
    group = access.hidden_group_of(session, number=number, hidden=hidden)
    if group is not None:
        raise refusal(number, group)


def visible_numbers(session: Session, actor: AgentRead | None,
                    numbers: list[int]) -> set[int]:
    """Those of ``numbers`` that ``actor`` may see (numbers of no ticket are kept)."""
    return access.visible_numbers(session, numbers, hidden_groups(session, actor))


def require_group_open(session: Session, actor: AgentRead | None, *, group_id: int,
                       group: str) -> None:
    """PermissionDenied when ``actor`` moves a ticket into ``group``, restricted to members
    they are not one of (admins and the system may)."""
    if group_id in hidden_groups(session, actor):
        raise PermissionDenied(f"group {clean_line(group)} is restricted to its members: only "
                               "they or an admin can move a ticket into it")


__all__ = ["hidden_groups", "hidden_groups_for", "refusal", "require_group_open",
           "require_ticket_access", "searches_visible_condition", "visible_condition",
           "visible_conditions", "visible_numbers"]
