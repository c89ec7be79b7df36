"""The desk's use cases on rules and assignment (:class:`RulesCases`, part of
:class:`deskterm.desk.service.Desk`): load, list, show, export and test rules; a group's
assignment strategy; an agent away or back, and their capacity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from deskterm import lazy
from deskterm.desk.errors import PermissionDenied
from deskterm.desk.reads import AgentRead, GroupRead
from deskterm.desk.service_core import DeskCore

if TYPE_CHECKING:
    from deskterm.desk.audit import snapshots
    from deskterm.desk.automation import ruleset
    from deskterm.desk.people import availability
else:
    ruleset = lazy.module("deskterm.desk.automation.ruleset")
    availability = lazy.module("deskterm.desk.people.availability")
    snapshots = lazy.module("deskterm.desk.audit.snapshots")


class RulesCases(DeskCore):
    """Rules and automatic assignment."""

    def load_rules(self, text: str) -> list[ruleset.RuleRead]:
        """Check every rule of the rules file ``text`` and, if all are right, make them the
        desk's rule set in one transaction (admins only); RulesFileError lists every problem."""
        return self._audited(snapshots.rules, lambda session, _actor: ruleset.replace_rules(
            session, ruleset.check_file(session, text)), admin="load rules")

    def list_rules(self) -> list[ruleset.RuleRead]:
        """The rules in the order they run."""
        with self._reading() as session:
            return ruleset.list_rules(session)

    def get_rule(self, name: str) -> ruleset.RuleRead:
        """The rule called ``name``."""
        with self._reading() as session:
            return ruleset.get_rule(session, name)

    def export_rules(self) -> str:
        """The rule set as a rules file."""
        with self._reading() as session:
            return ruleset.export_rules(session)

    def test_rules(self, number: int, *, trigger: str = "updated") -> list[ruleset.RuleTest]:
        """Which rules would fire on ticket ``number`` for a ``trigger`` change, and why;
        changes nothing."""
        with self._reading() as session:
            self._may_see(session, number)
            return ruleset.test_rules(session, number=number, trigger=trigger,
                                      actor=self._acting(session))

    def set_assignment(self, group: str, strategy: str) -> GroupRead:
        """How tickets landing in ``group`` get an assignee (admins only)."""
        return self._audited(snapshots.groups, lambda session, _actor:
                             availability.set_assignment(session, group=group, strategy=strategy),
                             admin="change groups")

    def set_away(self, username: str, away: bool) -> AgentRead:
        """Mark an agent away (automatic assignment skips them) or back: an agent marks
        themselves, an admin anyone."""

        def work(session: Session, actor: AgentRead) -> AgentRead:
            if username != actor.username and not actor.is_admin:
                raise PermissionDenied(
                    f"only an admin can mark another agent {'away' if away else 'back'}")
            return availability.set_away(session, username=username, away=away)

        return self._audited(snapshots.agents, work)

    def set_capacity(self, username: str, capacity: int | None) -> AgentRead:
        """The most unsolved tickets automatic assignment gives an agent (None: no limit;
        admins only)."""
        return self._audited(snapshots.agents, lambda session, _actor:
                             availability.set_capacity(session, username=username,
                                                       capacity=capacity),
                             admin="change agents")


__all__ = ["RulesCases"]
