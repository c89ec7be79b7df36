"""The desk's rule set: load a rules file (all checked, then the whole set replaced in one
transaction), list, show, export, and test which rules would fire on a ticket."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, delete, select

from deskterm.db.models import Counter, Rule, Ticket
from deskterm.db.types import utcnow
from deskterm.db.upsert import upsert
from deskterm.desk.automation import rulebook
from deskterm.desk.automation.actions import BY_GROUP, plan
from deskterm.desk.automation.clock import minutes_counter
from deskterm.desk.automation.conditions import CompiledRule, Facts
from deskterm.desk.automation.firing import RULES_COUNTER, forget_version
from deskterm.desk.automation.rulebook import RuleSpec
from deskterm.desk.errors import DeskError, NotFound
from deskterm.desk.people.directory import (
    find_agent,
    find_group_any_case,
    find_organization_any_case,
)
from deskterm.desk.reads import AgentRead, ref
from deskterm.desk.tickets import macros
from deskterm.desk.tickets.change import means_none
from deskterm.desk.tickets.checks import in_range


@dataclass(frozen=True)
class RuleRead:
    """A stored rule."""

    name: str
    position: int
    spec: RuleSpec

    @property
    def summary(self) -> str:
        """``when text_any invoice; then group billing``."""
        when = "; ".join(f"{k} {_shown(v)}" for k, v in self.spec.when) or "always"
        unless = "; ".join(f"{k} {_shown(v)}" for k, v in self.spec.unless)
        then = "; ".join(f"{k} {_shown(v)}" for k, v in self.spec.then)
        return f"when {when}" + (f" unless {unless}" if unless else "") + f" → {then}"


def _shown(value: Any) -> str:
    text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:59] + "…"


def name_checker(session: Session) -> rulebook.NameCheck:
    """Checks that the groups, agents, organizations and macros a rule names exist."""

    def exists(find: Callable[[Session, str], object], value: str) -> str | None:
        try:
            find(session, value)
        except NotFound as exc:
            return str(exc)
        return None

    def check(spec: RuleSpec) -> list[tuple[str, str, str]]:
        problems: list[tuple[str, str, str]] = []
        for part, pairs in (("when", spec.when), ("unless", spec.unless)):
            for key, value in pairs:
                finder = {"group": find_group_any_case, "assignee": find_agent,
                          "organization": find_organization_any_case}.get(key)
                if finder is None:
                    continue
                for item in value:
                    if key != "organization" and means_none(item):
                        continue
                    problem = exists(finder, item)
                    if problem:
                        problems.append((part, key, problem))
        for key, value in spec.then:
            problem = None
            if key == "group" and not means_none(value):
                problem = exists(find_group_any_case, value)
            elif key == "assign" and value != BY_GROUP and not means_none(value):
                agent = None
                try:
                    agent = find_agent(session, value)
                except NotFound as exc:
                    problem = str(exc)
                if agent is not None and not agent.active:
                    problem = f"agent '{value}' is deactivated and cannot be assigned tickets"
            elif key == "macro":
                problem = exists(lambda s, name: macros.get_macro(s, name=name), value)
            if problem:
                problems.append(("then", key, problem))
        return problems

    return check


def check_file(session: Session, text: str) -> list[RuleSpec]:
    """The rules of the file ``text``, checked against this desk; RulesFileError lists every
    problem with its line."""
    return rulebook.parse_rules(text, check_names=name_checker(session))


def replace_rules(session: Session, specs: list[RuleSpec]) -> list[RuleRead]:
    """Make ``specs`` the desk's rule set (in this order), in the caller's transaction."""
    session.exec(delete(Rule))
    session.flush()
    now = utcnow()
    for position, spec in enumerate(specs, start=1):
        session.add(Rule(position=position, created_at=now, **rulebook.row_fields(spec)))
    session.flush()
    counter = session.get(Counter, RULES_COUNTER)
    upsert(session, Counter, {"name": RULES_COUNTER,
                              "value": (counter.value if counter is not None else 0) + 1},
           keys=("name",), update=("value",))
    forget_version(session)
    session.expire_all()
    return list_rules(session)


def list_rules(session: Session) -> list[RuleRead]:
    """Every rule (active or not), in the order they run."""
    return [_read(row) for row in session.exec(select(Rule).order_by(col(Rule.position))).all()]


def _read(row: Rule) -> RuleRead:
    return RuleRead(name=row.name, position=row.position, spec=rulebook.spec_from_row(
        name=row.name, triggers=row.triggers, conditions=row.conditions, actions=row.actions,
        stop=row.stop, active=row.active, description=row.description))


def get_rule(session: Session, name: str) -> RuleRead:
    """The rule called ``name`` (any case)."""
    for rule in list_rules(session):
        if rule.name.casefold() == name.strip().casefold():
            return rule
    raise NotFound(f"no rule named '{name[:100]}' (see `deskterm rules list`)")


def export_rules(session: Session) -> str:
    """The rule set as a rules file (``rules load`` reads it back identically)."""
    return rulebook.rules_toml([rule.spec for rule in list_rules(session)])


@dataclass(frozen=True)
class RuleTest:
    """What one rule would do on a ticket, and why."""

    name: str
    on: tuple[str, ...]
    active: bool
    verdicts: tuple[tuple[str, bool, str], ...]
    """Each condition: (what it tests, whether it holds, what it saw)."""
    fires: bool
    outcome: str
    """``fires``, ``no: ...``, ``not reached: rule X stops processing``, ``inactive``, or
    ``fires, but skipped: ...`` (an action cannot be made)."""


def test_rules(session: Session, *, number: int, trigger: str,
               actor: AgentRead | None = None) -> list[RuleTest]:
    """Which rules would fire on ticket ``number`` for a ``trigger`` change now, and why;
    changes nothing. (What the rules' own changes would set off is not followed.)"""
    ticket = session.get(Ticket, number) if in_range(number) else None
    if ticket is None:
        raise NotFound(f"no ticket {ref(number)}")
    facts = Facts.of(session, ticket, now=utcnow(), minutes=lambda: minutes_counter(session))
    out: list[RuleTest] = []
    stopped_by: str | None = None
    for rule in list_rules(session):
        compiled = CompiledRule.of(0, rule.position, rule.spec)
        verdicts = tuple((v.condition, v.holds, v.saw) for v in compiled.explain(facts))
        fires = False
        if not rule.spec.active:
            outcome = "inactive"
        elif trigger not in rule.spec.on:
            outcome = f"no: runs on {', '.join(rule.spec.on)}, not {trigger}"
        elif stopped_by is not None:
            outcome = f"not reached: rule '{stopped_by}' stops processing"
        elif all(holds for _, holds, _ in verdicts):
            fires = True
            outcome = "fires"
            try:
                planned = plan(session, ticket, rule.spec, actor)
                if planned.email_refused:
                    outcome = f"fires; {planned.email_refused}"
            except DeskError as exc:
                outcome = f"fires, but is skipped: {exc}"
            if rule.spec.stop:
                stopped_by = rule.name
        else:
            failed = [label for label, holds, _ in verdicts if not holds]
            outcome = f"no: {'; '.join(failed)}"
        out.append(RuleTest(name=rule.name, on=rule.spec.on, active=rule.spec.active,
                            verdicts=verdicts, fires=fires, outcome=outcome))
    return out
