"""SLA files: the desk's business calendars and SLA policies, loaded from TOML as one set.

``deskterm sla load FILE`` replaces every calendar and policy with the file's (by name: a policy
that keeps its name keeps its id, so its past outcomes stay linked), in one transaction, then
recomputes the due times of every open ticket (:mod:`deskterm.desk.sla.recompute`). The format
(see examples/sla.toml)::

    [[calendar]]
    name = "default"                 # the desk's calendar (rules count business hours in it)
    timezone = "Europe/Berlin"
    holidays = { country = "DE", subdivision = "BY" }
    extra_holidays = ["2026-12-24"]
    [calendar.hours]
    mon = [["09:00", "12:30"], ["13:30", "18:00"]]

    [[policy]]
    name = "Urgent"
    priority = "urgent"              # optional matches: priority, customer_tier, organization
    calendar = "default"             # omitted: around the clock
    first_response = "1h"            # business time: minutes (90) or "1h 30m"
    next_response = "2h"
    resolution = "8h"
    [policy.escalation]              # optional; acted on by the automation runner
    within_minutes = 30
    tier = 2
    group = "Level 2"
    assignee = "@group"              # a username, or "@group": the group's assignment strategy
    note = "Escalated: the SLA is about to be breached."

Policies match in file order; the first that matches a ticket is its policy. Every problem is
reported, each with its line, and nothing is changed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from deskterm.db.models import (
    PRIORITIES,
    Agent,
    Group,
    Organization,
    SlaPolicy,
    Ticket,
)
from deskterm.db.models import BusinessCalendar as CalendarRow
from deskterm.db.types import utcnow
from deskterm.desk.errors import InvalidInput, NotFound
from deskterm.desk.sla import due as sla_due
from deskterm.desk.sla.calendar import BusinessCalendar, CalendarError

_FILE_KEYS = {"calendar", "policy"}
_CALENDAR_KEYS = {"name", "timezone", "hours", "holidays", "extra_holidays"}
_POLICY_KEYS = {"name", "active", "priority", "customer_tier", "organization", "calendar",
                "first_response", "next_response", "resolution", "escalation"}
_ESCALATION_KEYS = {"within_minutes", "tier", "group", "assignee", "note"}
TARGETS = ("first_response", "next_response", "resolution")
_DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$")
MAX_MINUTES = 366 * 24 * 60
GROUP_STRATEGY = "@group"
"""An escalation's ``assignee`` that asks the group's assignment strategy for someone."""
_TOML_AT = re.compile(r" \(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class CalendarSpec:
    name: str
    timezone: str
    hours: dict[str, list[list[str]]]
    holidays_country: str | None
    holidays_subdivision: str | None
    extra_holidays: list[str]


@dataclass(frozen=True)
class PolicySpec:
    name: str
    active: bool
    priority: int | None
    customer_tier: str | None
    organization: str | None
    calendar: str | None
    first_response: int | None
    next_response: int | None
    resolution: int | None
    escalation: dict[str, Any]


@dataclass(frozen=True)
class SlaFile:
    calendars: tuple[CalendarSpec, ...]
    policies: tuple[PolicySpec, ...]


@dataclass
class _Problems:
    text: str
    found: list[str] = field(default_factory=list)

    def add(self, table: str, index: int, key: str | None, message: str) -> None:
        line = _line_of(self.text, table, index, key)
        self.found.append(f"line {line}: {message}" if line else message)


def _line_of(text: str, table: str, index: int, key: str | None) -> int | None:
    """The line of ``key`` in the ``index``-th ``[[table]]`` (or of its header), 1-based."""
    seen = -1
    in_block = False
    header_line: int | None = None
    header = re.compile(r"^\s*\[\[\s*" + re.escape(table) + r"\s*\]\]")
    any_array = re.compile(r"^\s*\[\[")
    subtable = re.compile(r"^\s*\[\s*" + re.escape(table) + r"\.([A-Za-z_]+)\s*\]")
    key_re = re.compile(r"^\s*" + re.escape(key or "") + r"\s*=") if key else None
    sub_key = key.split(".", 1) if key and "." in key else None
    current_sub: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if header.match(line):
            seen += 1
            in_block = seen == index
            current_sub = None
            if in_block:
                header_line = number
            continue
        if any_array.match(line):
            in_block = False
            continue
        if not in_block:
            continue
        sub = subtable.match(line)
        if sub:
            current_sub = sub.group(1)
            if key == current_sub:
                return number
            continue
        if sub_key and current_sub == sub_key[0] and re.match(
                r"^\s*" + re.escape(sub_key[1]) + r"\s*=", line):
            return number
        if key_re and current_sub is None and key_re.match(line):
            return number
        if sub_key and current_sub is None and re.match(
                r"^\s*" + re.escape(sub_key[0]) + r"\s*=", line):
            return number  # an inline table: escalation = { ... }
    return header_line


def parse_minutes(value: object) -> int:
    """Business minutes from 90, "90m", "1h 30m" or "2h"; ValueError saying what is wrong."""
    if isinstance(value, bool):
        raise ValueError("expected minutes (90) or a duration (\"1h 30m\")")
    if isinstance(value, int):
        minutes = value
    elif isinstance(value, str) and value.strip() and (match := _DURATION.match(value)) \
            and (match.group(1) or match.group(2)):
        minutes = int(match.group(1) or 0) * 60 + int(match.group(2) or 0)
    else:
        raise ValueError(f"{str(value)[:40]!r} is not minutes (90) or a duration (\"1h 30m\")")
    if not 0 < minutes <= MAX_MINUTES:
        raise ValueError(f"{minutes} minutes: must be 1 to {MAX_MINUTES:,}")
    return minutes


def _text(value: object, where: str, problems: list[str], *, limit: int = 100) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: expected a non-empty text in quotes")
        return None
    if len(value) > limit:
        problems.append(f"{where}: longer than {limit} characters")
        return None
    return value.strip()


def parse_sla_toml(text: str) -> SlaFile:
    """The calendars and policies of an SLA file, checked on their own (names of groups, agents
    and organizations are checked against the desk by :func:`replace`). Raises
    :class:`InvalidInput` listing every problem, one a line, each with its line number."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _TOML_AT.search(message)
        if at:
            raise InvalidInput(f"line {at.group(1)}, column {at.group(2)}: not valid TOML: "
                               f"{_TOML_AT.sub('', message)}") from None
        raise InvalidInput(f"not valid TOML: {message}") from None
    except RecursionError:
        raise InvalidInput("not valid TOML: arrays or tables nested too deeply") from None
    problems = _Problems(text)
    for unknown in sorted(set(data) - _FILE_KEYS):
        problems.found.append(f"unknown key '{unknown[:40]}' (an SLA file has [[calendar]] and "
                              "[[policy]] tables)")
    calendars = _tables(data, "calendar", problems)
    policies = _tables(data, "policy", problems)
    calendar_specs = [spec for i, row in enumerate(calendars)
                      if (spec := _calendar(row, i, problems)) is not None]
    names = [spec.name for spec in calendar_specs]
    for name in {n for n in names if names.count(n) > 1}:
        problems.add("calendar", len(names) - 1 - names[::-1].index(name), "name",
                     f"calendar '{name}' is named twice")
    policy_specs = [policy for i, row in enumerate(policies)
                    if (policy := _policy(row, i, set(names), problems)) is not None]
    seen: set[str] = set()
    for i, policy in enumerate(policy_specs):
        if policy.name in seen:
            problems.add("policy", i, "name", f"policy '{policy.name}' is named twice")
        seen.add(policy.name)
    if problems.found:
        raise InvalidInput("\n".join(problems.found))
    return SlaFile(calendars=tuple(calendar_specs), policies=tuple(policy_specs))


def _tables(data: Mapping[str, Any], name: str, problems: _Problems) -> list[Mapping[str, Any]]:
    found = data.get(name, [])
    if not isinstance(found, list) or not all(isinstance(row, Mapping) for row in found):
        problems.found.append(f"'{name}' must be tables written [[{name}]]")
        return []
    return found


def _calendar(row: Mapping[str, Any], index: int, problems: _Problems) -> CalendarSpec | None:
    local: list[str] = []
    for unknown in sorted(set(row) - _CALENDAR_KEYS):
        problems.add("calendar", index, unknown, f"calendar: unknown key '{unknown[:40]}'")
    name = _text(row.get("name"), "calendar name", local)
    if local:
        problems.add("calendar", index, "name", local[0])
        return None
    assert name is not None
    holidays = row.get("holidays", {})
    country = subdivision = None
    if not isinstance(holidays, Mapping) or set(holidays) - {"country", "subdivision"}:
        problems.add("calendar", index, "holidays", f"calendar '{name}': holidays must be "
                     "{ country = \"DE\", subdivision = \"BY\" }")
    else:
        country = holidays.get("country")
        subdivision = holidays.get("subdivision")
        for value, what in ((country, "country"), (subdivision, "subdivision")):
            if value is not None and (not isinstance(value, str) or not value.strip()):
                problems.add("calendar", index, "holidays",
                             f"calendar '{name}': holidays {what} must be a code in quotes")
                return None
    extra = row.get("extra_holidays", [])
    hours = row.get("hours")
    if hours is None:
        problems.add("calendar", index, None, f"calendar '{name}': no [calendar.hours] table")
        return None
    try:
        built = BusinessCalendar(timezone=row.get("timezone"),  # type: ignore[arg-type]
                                 hours=hours, holidays_country=country,
                                 holidays_subdivision=subdivision,
                                 extra_holidays=extra if isinstance(extra, list) else [extra],
                                 name=name)
    except CalendarError as exc:
        message = str(exc)
        key = message.split(":", 1)[0].split(" ", 1)[0]
        problems.add("calendar", index, key if key in _CALENDAR_KEYS or "." in key else None,
                     f"calendar '{name}': {message}")
        return None
    if not any(built.week):
        problems.add("calendar", index, "hours", f"calendar '{name}': no working hours at all")
        return None
    return CalendarSpec(name=name, timezone=built.timezone,
                        hours={day: [list(span) for span in hours.get(day, [])]
                               for day in hours},
                        holidays_country=built.holidays_country,
                        holidays_subdivision=built.holidays_subdivision,
                        extra_holidays=sorted(d.isoformat() for d in built.extra_holidays))


def _policy(row: Mapping[str, Any], index: int, calendars: set[str],
            problems: _Problems) -> PolicySpec | None:
    before = len(problems.found)
    for unknown in sorted(set(row) - _POLICY_KEYS):
        problems.add("policy", index, unknown, f"policy: unknown key '{unknown[:40]}'")
    local: list[str] = []
    name = _text(row.get("name"), "policy name", local)
    if name is None:
        problems.add("policy", index, "name", local[0])
        return None
    where = f"policy '{name}'"
    active = row.get("active", True)
    if not isinstance(active, bool):
        problems.add("policy", index, "active", f"{where}: active must be true or false")
    priority = row.get("priority")
    rank: int | None = None
    if priority is not None:
        if priority not in PRIORITIES:
            problems.add("policy", index, "priority", f"{where}: priority {str(priority)[:20]!r} "
                         f"is not one of: {', '.join(PRIORITIES)}")
        else:
            rank = PRIORITIES.index(priority)
    texts: dict[str, str | None] = {}
    for key in ("customer_tier", "organization", "calendar"):
        value = row.get(key)
        texts[key] = None
        if value is not None:
            local = []
            texts[key] = _text(value, f"{where}: {key}", local, limit=200)
            if local:
                problems.add("policy", index, key, local[0])
    if texts["calendar"] is not None and texts["calendar"] not in calendars:
        problems.add("policy", index, "calendar",
                     f"{where}: no calendar '{texts['calendar']}' in this file")
    minutes: dict[str, int | None] = {}
    for target in TARGETS:
        value = row.get(target)
        minutes[target] = None
        if value is not None:
            try:
                minutes[target] = parse_minutes(value)
            except ValueError as exc:
                problems.add("policy", index, target, f"{where}: {target}: {exc}")
    if row.keys() & set(TARGETS) == set():
        problems.add("policy", index, None, f"{where}: no target (first_response, "
                     "next_response or resolution)")
    escalation = _escalation(row.get("escalation"), index, where, problems)
    if len(problems.found) > before:
        return None
    return PolicySpec(name=name, active=bool(active), priority=rank,
                      customer_tier=texts["customer_tier"], organization=texts["organization"],
                      calendar=texts["calendar"], first_response=minutes["first_response"],
                      next_response=minutes["next_response"], resolution=minutes["resolution"],
                      escalation=escalation)


def _escalation(value: object, index: int, where: str, problems: _Problems) -> dict[str, Any]:
    """Contract 1's ``{"within_minutes", "tier", "group", "assignee", "note"}``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.add("policy", index, "escalation", f"{where}: escalation must be a table")
        return {}
    for unknown in sorted(set(value) - _ESCALATION_KEYS):
        problems.add("policy", index, f"escalation.{unknown}",
                     f"{where}: escalation: unknown key '{unknown[:40]}' (use "
                     f"{', '.join(sorted(_ESCALATION_KEYS))})")
    within = value.get("within_minutes")
    try:
        if within is None:
            raise ValueError("is required")
        if isinstance(within, int) and not isinstance(within, bool) and within == 0:
            within_minutes = 0
        else:
            within_minutes = parse_minutes(within)
    except ValueError as exc:
        problems.add("policy", index, "escalation.within_minutes",
                     f"{where}: escalation within_minutes {exc}")
        within_minutes = 0
    tier = value.get("tier")
    if tier is not None and (isinstance(tier, bool) or tier not in (1, 2, 3)):
        problems.add("policy", index, "escalation.tier",
                     f"{where}: escalation tier must be 1, 2 or 3")
    result: dict[str, Any] = {"within_minutes": within_minutes, "tier": tier}
    for key, limit in (("group", 100), ("assignee", 64), ("note", 4000)):
        raw = value.get(key)
        result[key] = None
        if raw is not None:
            local: list[str] = []
            result[key] = _text(raw, f"{where}: escalation {key}", local, limit=limit)
            if local:
                problems.add("policy", index, f"escalation.{key}", local[0])
    if tier is None and result["group"] is None and result["assignee"] is None \
            and result["note"] is None:
        problems.add("policy", index, "escalation", f"{where}: escalation does nothing (give "
                     "tier, group, assignee or note)")
    return result


# --- the desk's calendars and policies ---------------------------------------------------------


@dataclass(frozen=True)
class PolicyRead:
    """An SLA policy as ``sla list`` / ``sla show`` and the console show it."""

    name: str
    position: int
    active: bool
    priority: str | None
    customer_tier: str | None
    organization: str | None
    calendar: str | None
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    escalation: dict[str, Any]
    open_tickets: int


@dataclass(frozen=True)
class CalendarRead:
    name: str
    timezone: str
    hours: dict[str, list[list[str]]]
    holidays_country: str | None
    holidays_subdivision: str | None
    extra_holidays: list[str]


def _check_names(session: Session, text: str, sla: SlaFile) -> None:
    problems = _Problems(text)
    for i, spec in enumerate(sla.policies):
        where = f"policy '{spec.name}'"
        if spec.organization is not None and session.exec(select(Organization.id).where(
                Organization.name == spec.organization)).first() is None:
            problems.add("policy", i, "organization",
                         f"{where}: no organization '{spec.organization}'")
        group = spec.escalation.get("group")
        if group is not None and session.exec(
                select(Group.id).where(Group.name == group)).first() is None:
            problems.add("policy", i, "escalation.group", f"{where}: no group '{group}'")
        assignee = spec.escalation.get("assignee")
        if assignee is not None and assignee != GROUP_STRATEGY:
            agent = session.exec(select(Agent).where(Agent.username == assignee)).first()
            if agent is None or not agent.active:
                problems.add("policy", i, "escalation.assignee",
                             f"{where}: no active agent '{assignee}' (or \"{GROUP_STRATEGY}\")")
    if problems.found:
        raise InvalidInput("\n".join(problems.found))


def replace(session: Session, text: str, sla: SlaFile, *, now: datetime | None = None) -> None:
    """Make the desk's calendars and policies the file's (same names keep their rows), in the
    caller's transaction; the caller recomputes the open tickets' due times after."""
    _check_names(session, text, sla)
    now = now or utcnow()
    calendars = {row.name: row for row in session.exec(select(CalendarRow)).all()}
    policies = {row.name: row for row in session.exec(select(SlaPolicy)).all()}
    wanted_policies = {spec.name for spec in sla.policies}
    gone = [row.id for name, row in policies.items() if name not in wanted_policies]
    if gone:
        session.connection().execute(
            Ticket.__table__.update()  # type: ignore[attr-defined]
            .where(col(Ticket.sla_policy_id).in_(gone)).values(sla_policy_id=None))
        for name in [n for n in policies if n not in wanted_policies]:
            session.delete(policies.pop(name))
    for calendar in sla.calendars:
        row = calendars.pop(calendar.name, None) or CalendarRow(
            name=calendar.name, timezone="", created_at=now)
        row.timezone, row.hours = calendar.timezone, calendar.hours
        row.holidays_country, row.holidays_subdivision = (calendar.holidays_country,
                                                          calendar.holidays_subdivision)
        row.extra_holidays, row.updated_at = calendar.extra_holidays, now
        session.add(row)
    session.flush()
    ids = {row.name: row.id for row in session.exec(select(CalendarRow)).all()
           if row.name not in calendars}
    for position, spec in enumerate(sla.policies):
        policy = policies.get(spec.name) or SlaPolicy(name=spec.name, created_at=now)
        policy.position, policy.active = position, spec.active
        policy.priority, policy.customer_tier = spec.priority, spec.customer_tier
        policy.organization_id = (session.exec(select(Organization.id).where(
            Organization.name == spec.organization)).first() if spec.organization else None)
        policy.calendar_id = ids[spec.calendar] if spec.calendar else None
        policy.first_response_minutes = spec.first_response
        policy.next_response_minutes = spec.next_response
        policy.resolution_minutes = spec.resolution
        policy.escalation, policy.updated_at = spec.escalation, now
        session.add(policy)
    session.flush()
    for row in calendars.values():  # no longer in the file: no policy refers to it now
        session.delete(row)
    session.flush()
    sla_due.forget_policies(session)


def list_policies(session: Session) -> list[PolicyRead]:
    """Every policy in matching order, with how many open tickets it holds."""
    calendars = {row.id: row.name for row in session.exec(select(CalendarRow)).all()}
    organizations = dict(session.exec(select(Organization.id, Organization.name)).all())
    from sqlalchemy import func

    counts = dict(session.exec(
        select(Ticket.sla_policy_id, func.count())
        .where(col(Ticket.sla_policy_id).is_not(None),
               col(Ticket.status).in_(("new", "open", "pending", "on_hold")))
        .group_by(col(Ticket.sla_policy_id))).all())
    return [PolicyRead(
        name=row.name, position=row.position, active=row.active,
        priority=PRIORITIES[row.priority] if row.priority is not None else None,
        customer_tier=row.customer_tier,
        organization=organizations.get(row.organization_id) if row.organization_id else None,
        calendar=calendars.get(row.calendar_id) if row.calendar_id else None,
        first_response_minutes=row.first_response_minutes,
        next_response_minutes=row.next_response_minutes,
        resolution_minutes=row.resolution_minutes, escalation=dict(row.escalation),
        open_tickets=int(counts.get(row.id, 0)))
        for row in session.exec(select(SlaPolicy).order_by(
            col(SlaPolicy.position), col(SlaPolicy.id))).all()]


def get_policy(session: Session, name: str) -> PolicyRead:
    for policy in list_policies(session):
        if policy.name == name:
            return policy
    raise NotFound(f"no SLA policy '{name[:100]}'")


def list_calendars(session: Session) -> list[CalendarRead]:
    return [CalendarRead(name=row.name, timezone=row.timezone, hours=dict(row.hours),
                         holidays_country=row.holidays_country,
                         holidays_subdivision=row.holidays_subdivision,
                         extra_holidays=list(row.extra_holidays))
            for row in session.exec(select(CalendarRow).order_by(col(CalendarRow.name))).all()]


def describe_minutes(minutes: int | None) -> str:
    """90 -> "1h 30m" (business time), None -> "-"."""
    if minutes is None:
        return "-"
    hours, rest = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours}h" if hours else "", f"{rest}m" if rest else "")
                    if part) or "0m"


__all__: Sequence[str] = [
    "CalendarRead",
    "PolicyRead",
    "SlaFile",
    "describe_minutes",
    "get_policy",
    "list_calendars",
    "list_policies",
    "parse_minutes",
    "parse_sla_toml",
    "replace",
]
