"""The desk's use cases on people and macros: agents, groups, customers, canned answers
(:class:`PeopleCases`, part of :class:`deskterm.desk.service.Desk`).

What only an admin may do is refused here, once, with one line naming it: the console, the
CLI and a script all come through these methods. A macro's own rule (its creator or an admin
changes it) is the macro module's, where the macro is found.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlmodel import Session

from deskterm import lazy
from deskterm.db import pg_roles
from deskterm.db.models import key
from deskterm.desk.errors import InvalidInput
from deskterm.desk.people import directory as people
from deskterm.desk.reads import AgentRead, CustomerRead, GroupRead
from deskterm.desk.service_core import DeskCore

if TYPE_CHECKING:
    from deskterm.desk.audit import snapshots
    from deskterm.desk.people import leaving
    from deskterm.desk.tickets import macros
else:
    # Loaded on a use case's first call (deskterm.lazy): a CLI command pays only for its own.
    macros = lazy.module("deskterm.desk.tickets.macros")
    snapshots = lazy.module("deskterm.desk.audit.snapshots")
    leaving = lazy.module("deskterm.desk.people.leaving")


class PeopleCases(DeskCore):
    """The team, the customers and the macros."""

    # --- agents ------------------------------------------------------------------------------

    def list_agents(self, *, include_inactive: bool = True) -> list[AgentRead]:
        """The agents by username."""
        with self._reading() as session:
            return people.list_agents(session, include_inactive=include_inactive)

    def add_agent(self, username: str, *, display_name: str | None = None,
                  email: str | None = None, role: str = "agent",
                  skills: Sequence[str] = ()) -> AgentRead:
        """Add an agent for the operating-system user ``username`` (admins only). On a desk
        with per-agent database roles (PostgreSQL) the agent's role is made in the same
        transaction (:meth:`database_role` names it)."""

        def adding(session: Session, _actor: AgentRead) -> AgentRead:
            agent = people.add_agent(session, username=username, display_name=display_name,
                                     email=email, role=role, skills=tuple(skills))
            try:
                pg_roles.give_role(session, agent.id)
            except ValueError as exc:
                raise InvalidInput(f"agent '{username}' not added: {exc}") from None
            return agent

        return self._audited(snapshots.agents, adding, admin="add agents")

    def database_role(self, username: str) -> str | None:
        """The database role agent ``username`` connects as (per-agent roles on PostgreSQL);
        None when the desk has none for them."""
        with self._reading() as session:
            return pg_roles.role_of(session, key(people.find_agent(session, username)))

    def change_agent(self, username: str, *, display_name: str | None = None,
                     email: str | None = None, role: str | None = None,
                     skills: Sequence[str] | None = None,
                     active: bool | None = None) -> AgentRead:
        """Change an agent's name, e-mail, role, skills or active state (admins only)."""
        return self._audited(snapshots.agents, lambda session, _actor: people.set_agent(
            session, username=username, display_name=display_name, email=email, role=role,
            skills=tuple(skills) if skills is not None else None, active=active),
            admin="change agents")

    def deactivate_agent(self, username: str, *,
                         reassign_to: str | None = None) -> tuple[AgentRead, list[int]]:
        """The agent can no longer use the desk or be assigned (admins only). With
        ``reassign_to`` their unsolved tickets go to that agent first, each an event, all in
        the same transaction; without it they stay theirs until reassigned. The agent, and the
        numbers of the tickets moved."""
        return self._audited(snapshots.agents, lambda session, actor: leaving.deactivate(
            session, actor=actor, username=username, reassign_to=reassign_to),
            admin="deactivate agents")

    # --- groups ------------------------------------------------------------------------------

    def list_groups(self) -> list[GroupRead]:
        """The groups by name, with their members."""
        with self._reading() as session:
            return people.list_groups(session)

    def add_group(self, name: str, *, description: str = "",
                  restricted: bool = False) -> GroupRead:
        """A new group (admins only); ``restricted``: to its members (group access)."""
        return self._audited(snapshots.groups, lambda session, _actor: people.add_group(
            session, name=name, description=description, restricted=restricted),
            admin="add groups")

    def set_group_restricted(self, group: str, *, restricted: bool) -> GroupRead:
        """Restrict a group's tickets to its members, or open them to all (admins only)."""
        return self._audited(snapshots.groups, lambda session, _actor:
                             people.set_restricted(session, group=group,
                                                   restricted=restricted),
                             admin="change groups")

    def add_member(self, group: str, username: str) -> GroupRead:
        """Put an agent in a group (admins only)."""
        return self._audited(snapshots.groups, lambda session, _actor: people.add_member(
            session, group=group, username=username), admin="change groups")

    def remove_member(self, group: str, username: str) -> GroupRead:
        """Take an agent out of a group (admins only)."""
        return self._audited(snapshots.groups, lambda session, _actor: people.remove_member(
            session, group=group, username=username), admin="change groups")

    # --- customers ---------------------------------------------------------------------------

    def search_customers(self, text: str, *, limit: int = 50) -> list[CustomerRead]:
        """Customers whose name or e-mail holds the letters of ``text`` in order."""
        with self._reading() as session:
            return people.search_customers(session, text=text, limit=limit)

    # --- macros ------------------------------------------------------------------------------

    def list_macros(self) -> list[macros.MacroRead]:
        """The macros by name."""
        with self._reading() as session:
            return macros.list_macros(session)

    def get_macro(self, name: str) -> macros.MacroRead:
        """The macro called ``name``."""
        with self._reading() as session:
            return macros.get_macro(session, name=name)

    def add_macro(self, name: str, *, body: str,
                  actions: macros.MacroActions | None = None) -> macros.MacroRead:
        """A new macro (any agent), this agent its creator."""
        return self._audited(snapshots.macros, lambda session, actor: macros.add_macro(
            session, actor=actor, name=name, body=body, actions=actions))

    def edit_macro(self, name: str, *, new_name: str | None = None, body: str | None = None,
                   actions: macros.MacroActions | None = None) -> macros.MacroRead:
        """Change a macro (its creator or an admin)."""
        return self._audited(snapshots.macros, lambda session, actor: macros.update_macro(
            session, actor=actor, name=name, new_name=new_name, body=body, actions=actions))

    def remove_macro(self, name: str) -> macros.MacroRead:
        """Remove a macro (its creator or an admin)."""
        return self._audited(snapshots.macros, lambda session, actor: macros.remove_macro(
            session, actor=actor, name=name))


__all__ = ["PeopleCases"]
