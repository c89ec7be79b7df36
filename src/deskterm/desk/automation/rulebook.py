"""The rules file: reading it (every error with its line), and writing it back.

A rules file is TOML, one ``[[rule]]`` table per rule, run in the file's order::

    [[rule]]
    name = "Route invoices to billing"
    on = ["created", "customer_reply"]      # created | updated | customer_reply
    stop = false                            # true: no later rule runs once this one fired
    [rule.when]                             # every condition must hold
    text_any = ["invoice", "refund"]
    domain = ["acme.com"]
    [rule.unless]                           # none of these may hold
    tags_any = ["spam"]
    [rule.then]
    group = "billing"
    add_tags = ["billing"]
    assign = "@group"                       # by the group's strategy; or a username

Conditions and actions are listed in :data:`CONDITIONS` and :data:`ACTIONS`. Reading checks the
whole file and reports every problem (``line 12: rule 'X': ...``); :func:`rules_toml` writes a
set that reads back identically.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import regex

from deskterm.db.models import RULE_TRIGGERS
from deskterm.desk.errors import DeskError, InvalidInput
from deskterm.desk.limits import check_name
from deskterm.desk.safe_text import clean_line, message_line
from deskterm.desk.tickets import lifecycle
from deskterm.desk.tickets.checks import check_body, normalize_tags
from deskterm.desk.tickets.macros import check_template

MAX_RULES = 1_000
MAX_NAME = 100
MAX_WORDS = 200
MAX_PATTERN = 500

WORD_CONDITIONS = ("subject_any", "subject_all", "body_any", "body_all", "text_any", "text_all")
REGEX_CONDITIONS = ("subject_regex", "body_regex", "text_regex")
VALUE_CONDITIONS = ("requester", "domain", "organization", "customer_tier", "channel", "status",
                    "priority", "type", "group", "assignee")
TAG_CONDITIONS = ("tags_any", "tags_all")
HOURS_CONDITIONS = ("hours_since_created", "hours_since_updated")
CONDITIONS = WORD_CONDITIONS + REGEX_CONDITIONS + VALUE_CONDITIONS + TAG_CONDITIONS \
    + HOURS_CONDITIONS
"""Every condition a rule may test, in the order they are written back."""

ACTIONS = ("group", "type", "priority", "tier", "add_tags", "remove_tags", "assign", "macro",
           "note", "email_subject", "email_body")
"""Every action, in the order a rule makes them (the order they are written back)."""

_RULE_KEYS = ("name", "description", "on", "active", "stop", "when", "unless", "then")
_COMPARE = re.compile(r"\s*(<=|>=|<|>)\s*([0-9]+(?:\.[0-9]+)?)\s*")


@dataclass(frozen=True)
class RuleSpec:
    """One rule as written: conditions and actions as ``(key, value)`` pairs in canonical order."""

    name: str
    on: tuple[str, ...]
    then: tuple[tuple[str, Any], ...]
    when: tuple[tuple[str, Any], ...] = ()
    unless: tuple[tuple[str, Any], ...] = ()
    stop: bool = False
    active: bool = True
    description: str = ""

    def action(self, name: str) -> Any:
        return dict(self.then).get(name)


@dataclass
class RulesFileError(DeskError):
    """A rules file with problems: every one of them, each ``line N: ...`` where known."""

    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A problem may quote what the file holds (a value a check refused): one clean line.
        self.problems = [message_line(problem) for problem in self.problems]

    def __str__(self) -> str:
        count = len(self.problems)
        head = "1 problem" if count == 1 else f"{count} problems"
        return f"rules file: {head}, nothing changed:\n" + "\n".join(self.problems)


def _shown(text: object, limit: int = 40) -> str:
    line = clean_line(str(text))
    return line if len(line) <= limit else line[:limit - 1] + "…"


def parse_comparison(text: str) -> tuple[str, float]:
    """``">= 8"`` as ``(">=", 8.0)``; InvalidInput otherwise."""
    found = _COMPARE.fullmatch(text) if isinstance(text, str) else None
    if not found:
        raise InvalidInput(f"'{_shown(text)}' is not a comparison like \">= 8\" (<, <=, >, >= "
                           "and a number of business hours)")
    return found.group(1), float(found.group(2))


def _strings(value: Any, key: str) -> list[str]:
    """A string or a list of strings, as a list of non-empty, one-line strings."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise InvalidInput(f"{key}: give a text or a list of texts")
    if len(items) > MAX_WORDS:
        raise InvalidInput(f"{key}: more than {MAX_WORDS} values")
    out = []
    for item in items:
        text = " ".join(check_name(item, field=key, max_length=320).split())
        if not text:
            raise InvalidInput(f"{key}: an empty value")
        out.append(text)
    return out


def check_pattern(pattern: Any, key: str) -> str:
    """A regular expression that compiles (Python's syntax, at most :data:`MAX_PATTERN`)."""
    if not isinstance(pattern, str) or not pattern:
        raise InvalidInput(f"{key}: give a regular expression in quotes")
    if len(pattern) > MAX_PATTERN:
        raise InvalidInput(f"{key}: longer than {MAX_PATTERN} characters")
    try:
        regex.compile(pattern, regex.IGNORECASE | regex.VERSION0)
    except regex.error as exc:
        raise InvalidInput(f"{key}: not a regular expression: {_shown(exc, 80)}") from None
    return pattern


def check_condition(key: str, value: Any) -> Any:
    """A condition's value in its canonical form (what is stored and written back)."""
    if key in WORD_CONDITIONS:
        return [word.casefold() for word in _strings(value, key)]
    if key in REGEX_CONDITIONS:
        return check_pattern(value, key)
    if key in TAG_CONDITIONS:
        return list(normalize_tags(_strings(value, key), where=key))
    if key in HOURS_CONDITIONS:
        op, hours = parse_comparison(value)
        return f"{op} {hours:g}"
    values = _strings(value, key)
    if key == "status":
        return [lifecycle.check_status(v.lower()) for v in values]
    if key == "priority":
        return [lifecycle.priority_name(lifecycle.check_priority(v.lower())) for v in values]
    if key == "type":
        return [lifecycle.check_type(v.lower()) for v in values]
    if key == "channel":
        return [lifecycle.check_channel(v.lower()) for v in values]
    if key in ("requester", "domain", "customer_tier"):
        return [v.lower() for v in values]
    return values  # group, assignee, organization: names, checked against the desk


def check_action(key: str, value: Any) -> Any:
    """An action's value in its canonical form."""
    if key == "tier":
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInput("tier: give 1, 2 or 3")
        return lifecycle.check_tier(value)
    if key in ("add_tags", "remove_tags"):
        return list(normalize_tags(_strings(value, key), where=key))
    if not isinstance(value, str):
        raise InvalidInput(f"{key}: give a text in quotes")
    if key == "priority":
        return lifecycle.priority_name(lifecycle.check_priority(value.strip().lower()))
    if key == "type":
        return lifecycle.check_type(value.strip().lower())
    if key in ("note", "email_body"):
        return check_template(check_body(value, where=key))
    if key == "email_subject":
        return check_template(check_name(value, field=key, max_length=200))
    return check_name(value, field=key, max_length=100).strip()  # group, assign, macro


def _table(value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"'{key}' must be a table ([rule.{key}])")
    return value


def check_rule(data: dict[str, Any], problem: Any) -> tuple[RuleSpec, bool]:
    """The rule in ``data`` (what of it is right) and whether all of it is; each problem is
    reported as ``problem(key, text, part)`` (``part``: when, unless, then or None)."""
    ok = True

    def bad(key: str | None, text: str, part: str | None = None) -> None:
        nonlocal ok
        ok = False
        problem(key, text, part)

    for key in data:
        if key not in _RULE_KEYS:
            bad(key, f"unknown key '{_shown(key)}' (a rule has {', '.join(_RULE_KEYS)})")
    name = data.get("name")
    if not isinstance(name, str):
        bad(None, "no name = \"...\"")
        name = ""
    else:
        try:
            name = check_name(name, field="rule name", max_length=MAX_NAME).strip()
        except InvalidInput as exc:
            bad("name", str(exc))
    on = data.get("on")
    triggers: list[str] = []
    if on is None:
        bad(None, "no on = [...] (when it runs: created, updated, customer_reply)")
    else:
        items = [on] if isinstance(on, str) else on
        if not isinstance(items, list) or not items:
            bad("on", "on: give a list of created, updated, customer_reply")
        else:
            for item in items:
                if item not in RULE_TRIGGERS:
                    bad("on", f"on: '{_shown(item)}' is not one of {', '.join(RULE_TRIGGERS)}")
                elif item not in triggers:
                    triggers.append(item)
    flags = {}
    for key, default in (("active", True), ("stop", False)):
        value = data.get(key, default)
        if not isinstance(value, bool):
            bad(key, f"{key}: give true or false")
        flags[key] = bool(value)
    description = data.get("description", "")
    if not isinstance(description, str):
        bad("description", "description: give a text in quotes")
        description = ""
    parts: dict[str, list[tuple[str, Any]]] = {"when": [], "unless": [], "then": []}
    for part, known, check in (("when", CONDITIONS, check_condition),
                               ("unless", CONDITIONS, check_condition),
                               ("then", ACTIONS, check_action)):
        if part not in data:
            continue
        try:
            table = _table(data[part], part)
        except InvalidInput as exc:
            bad(part, str(exc))
            continue
        for key, value in table.items():
            if key not in known:
                bad(key, f"[rule.{part}]: unknown {'action' if part == 'then' else 'condition'}"
                         f" '{_shown(key)}' (one of {', '.join(known)})", part)
                continue
            try:
                parts[part].append((key, check(key, value)))
            except InvalidInput as exc:
                bad(key, str(exc), part)
    if not parts["then"] and "then" not in data:
        bad(None, "no [rule.then] table: a rule needs at least one action")
    elif not parts["then"] and ok:
        bad("then", "[rule.then] is empty: a rule needs at least one action")
    given = dict(parts["then"])
    if ("email_subject" in given) != ("email_body" in given):
        bad("email_body" if "email_subject" in given else "email_subject",
            "an e-mail to the requester needs both email_subject and email_body", "then")
    when_order = {key: i for i, key in enumerate(CONDITIONS)}
    then_order = {key: i for i, key in enumerate(ACTIONS)}
    return RuleSpec(
        name=name, on=tuple(triggers), stop=flags["stop"], active=flags["active"],
        description=description,
        when=tuple(sorted(parts["when"], key=lambda kv: when_order[kv[0]])),
        unless=tuple(sorted(parts["unless"], key=lambda kv: when_order[kv[0]])),
        then=tuple(sorted(parts["then"], key=lambda kv: then_order[kv[0]])),
    ), ok


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_HEADER = re.compile(r"^\s*\[\[\s*rule\s*\]\]\s*(#.*)?$")


@dataclass
class RuleLines:
    """Where each rule and each of its keys is in the file, found by scanning the text
    (``tomllib`` keeps no positions)."""

    lines: list[str]
    starts: list[int]

    @classmethod
    def of(cls, text: str) -> RuleLines:
        lines = text.splitlines()
        return cls(lines, [i for i, line in enumerate(lines) if _HEADER.match(line)])

    def line(self, index: int, key: str | None, part: str | None = None) -> int | None:
        """The 1-based line of rule ``index``'s ``key`` (in its table ``[rule.PART]``), else of
        its ``[[rule]]``."""
        if index >= len(self.starts):
            return None
        start = self.starts[index]
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.lines)
        if part is not None:
            header = re.compile(rf"^\s*\[\s*rule\.{re.escape(part)}\s*\]")
            for i in range(start, end):
                if header.match(self.lines[i]):
                    start = i + 1
                    following = [j for j in range(start, end)
                                 if self.lines[j].lstrip().startswith("[")]
                    end = following[0] if following else end
                    break
        if key is not None:
            name = re.escape(key)
            pattern = re.compile(rf"^\s*(\"?){name}\1\s*=|^\s*\[\s*rule\.{name}\s*\]")
            for i in range(start, end):
                if pattern.match(self.lines[i]):
                    return i + 1
        return start + 1


NameCheck = Callable[[RuleSpec], list[tuple[str, str, str]]]
"""Problems with the names a rule refers to: ``[(part, key, text)]``."""


def parse_rules(text: str, *, check_names: NameCheck | None = None) -> list[RuleSpec]:
    """The rules of a rules file, checked; :class:`RulesFileError` lists every problem.

    ``check_names(rule)``: the problems with the names a rule refers to, checked against a
    desk."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _TOML_AT.search(message)
        if at:
            raise RulesFileError([f"line {at.group(1)}, column {at.group(2)}: not valid TOML: "
                                  f"{_TOML_AT.sub('', message)}"]) from None
        raise RulesFileError([f"not valid TOML: {message}"]) from None
    except RecursionError:
        raise RulesFileError(["not valid TOML: arrays or tables nested too deeply"]) from None
    problems: list[str] = []
    unknown = [key for key in data if key != "rule"]
    for key in unknown:
        problems.append(f"unknown top-level key '{_shown(key)}' (a rules file holds [[rule]] "
                        "tables only)")
    rules_data = data.get("rule", [])
    if not isinstance(rules_data, list):
        raise RulesFileError([*problems, "'rule' must be [[rule]] tables"])
    if len(rules_data) > MAX_RULES:
        raise RulesFileError([*problems, f"more than {MAX_RULES} rules"])
    where = RuleLines.of(text)
    rules: list[RuleSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(rules_data):
        label = f"rule {index + 1}"
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            label = f"rule '{_shown(item['name'])}'"

        def problem(key: str | None, message: str, part: str | None = None,
                    index: int = index, label: str = label) -> None:
            line = where.line(index, key, part)
            problems.append(f"{f'line {line}: ' if line else ''}{label}: {message}")

        if not isinstance(item, dict):
            problem(None, "not a table")
            continue
        spec, ok = check_rule(item, problem)
        named = check_names(spec) if check_names is not None else []
        for part, key, message in named:
            problem(key, message, part)
        if not ok or named:
            continue
        folded = spec.name.casefold()
        if folded in seen:
            problem("name", f"the name is used by rule {seen[folded] + 1} too (names differ "
                            "by more than case)")
            continue
        seen[folded] = index
        rules.append(spec)
    if problems:
        raise RulesFileError(problems)
    return rules


# --- Writing ------------------------------------------------------------------------------------

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (control and bidi characters escaped)."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif _UNSAFE.match(ch):
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return toml_string(str(value))


def rules_toml(rules: list[RuleSpec]) -> str:
    """The rules as a rules file; :func:`parse_rules` reads it back identically."""
    out: list[str] = ["# deskterm rules: run in this order (deskterm rules load FILE)"]
    for rule in rules:
        out += ["", "[[rule]]", f"name = {toml_string(rule.name)}"]
        if rule.description:
            out.append(f"description = {toml_string(rule.description)}")
        out.append(f"on = {_toml_value(list(rule.on))}")
        if not rule.active:
            out.append("active = false")
        if rule.stop:
            out.append("stop = true")
        for part, pairs in (("when", rule.when), ("unless", rule.unless), ("then", rule.then)):
            if pairs:
                out.append(f"[rule.{part}]")
                out += [f"{key} = {_toml_value(value)}" for key, value in pairs]
    return "\n".join(out) + "\n"


def spec_from_row(*, name: str, triggers: list[str], conditions: list[dict[str, Any]],
                  actions: list[dict[str, Any]], stop: bool, active: bool,
                  description: str) -> RuleSpec:
    """A stored rule as a :class:`RuleSpec`."""
    return RuleSpec(
        name=name, on=tuple(triggers), stop=stop, active=active, description=description,
        when=tuple((c["key"], c["value"]) for c in conditions if not c.get("unless")),
        unless=tuple((c["key"], c["value"]) for c in conditions if c.get("unless")),
        then=tuple((a["key"], a["value"]) for a in actions),
    )


def row_fields(spec: RuleSpec) -> dict[str, Any]:
    """The stored columns of ``spec`` (triggers, conditions, actions ...)."""
    return {
        "name": spec.name, "triggers": list(spec.on), "stop": spec.stop, "active": spec.active,
        "description": spec.description,
        "conditions": [{"key": k, "value": v} for k, v in spec.when]
        + [{"key": k, "value": v, "unless": True} for k, v in spec.unless],
        "actions": [{"key": k, "value": v} for k, v in spec.then],
    }
