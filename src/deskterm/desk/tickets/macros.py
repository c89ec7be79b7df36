"""Macros: canned answers with placeholders, and field actions applied when they are sent.

A macro has a unique name (case does not matter when it is looked up or when names clash), a
body template and actions (set the status, priority, group or assignee; add or remove tags).

Placeholders
------------
``{{requester.name}}``, ``{{requester.first_name}}``, ``{{ticket.ref}}``, ``{{ticket.subject}}``
and ``{{agent.name}}`` (the agent sending it); spaces inside the braces are allowed
(``{{ ticket.ref }}``). Any other ``{{...}}``, or a ``{{`` never closed, is refused when the
macro is saved, naming the placeholder and its line. There is no escape for a literal ``{{``.
Values are inserted as plain text in one pass: a customer's name that looks like a placeholder,
markup or an escape sequence stays exactly that text (the console sanitizes text on display).
``requester.first_name`` is the first word of the name (for ``Last, First`` the word after the
comma); a name written without spaces (Chinese, Japanese ...) is used whole; an empty name is
the e-mail address's local part, as for a new customer.

Who may manage them
-------------------
Macros are the team's shared scripts: any agent may add one, and use any. Changing or removing
a macro is for the agent who added it or an admin, so nobody rewrites a teammate's answer.

Applying
--------
:func:`apply_macro` posts the rendered body (or the agent's edited version) as a reply or an
internal note and makes the actions as one new version of the ticket, an audit event per changed
field, in the caller's transaction. The status the agent sends it as (``send_as``) wins over the
macro's status. :func:`apply_macro_bulk` does the same to many tickets (each body rendered with
its own ticket's values), skipping closed tickets and forbidden transitions like
:func:`~deskterm.desk.tickets.bulk.apply_bulk`; :func:`macro_change` is the actions alone as a
:class:`~deskterm.desk.tickets.bulk.BulkChange`, for changing a selection without a message.

File format
-----------
TOML (:func:`parse_macro_toml` reads it, :func:`macro_toml` writes it)::

    name = "Password reset"
    body = '''
    Hi {{requester.first_name}},

    I have reset the password of your account; ticket {{ticket.ref}}.
    {{agent.name}}'''

    [actions]            # optional, any subset
    status = "pending"   # open, pending, on_hold or solved
    priority = "normal"  # low, normal, high or urgent
    group = "Accounts"   # a group's name, or "none"
    assignee = "me"      # a username, "me" (the agent applying it) or "none"
    add_tags = ["password"]
    remove_tags = ["new-user"]
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from deskterm.db.errors import WriteConflict
from deskterm.db.models import Agent, Macro, Ticket
from deskterm.db.models import key as row_key
from deskterm.db.types import utcnow
from deskterm.desk.errors import InvalidInput, NotFound, PermissionDenied
from deskterm.desk.limits import storable
from deskterm.desk.people.directory import find_agent, find_group
from deskterm.desk.reads import AgentRead, TicketDetail, TicketSummary
from deskterm.desk.safe_text import clean_line
from deskterm.desk.tickets import lifecycle
from deskterm.desk.tickets.bulk import (
    BulkChange,
    BulkResult,
    as_ticket_changes,
    lock_tickets,
    restricted_from,
    unique_numbers,
    why_refused,
)
from deskterm.desk.tickets.change import (
    NONE,
    Change,
    Wanted,
    add_message,
    apply_changes,
    lock_ticket,
    record_seen,
    refuse_if_closed,
    refuse_if_stale,
    resolve_changes,
)
from deskterm.desk.tickets.checks import (
    check_body,
    check_minutes,
    normalize_tags,
)
from deskterm.desk.tickets.reads import summary

PLACEHOLDERS = (
    "requester.name",
    "requester.first_name",
    "ticket.ref",
    "ticket.subject",
    "agent.name",
)
"""What a body may hold between ``{{`` and ``}}``."""

MAX_NAME = 100
MACRO_STATUSES = ("open", "pending", "on_hold", "solved")
"""The statuses a macro may set (``new`` is only ever the first; only a solved ticket closes)."""

_Found = TypeVar("_Found")

_ACTION_KEYS = ("status", "priority", "group", "assignee", "add_tags", "remove_tags")
_FILE_KEYS = ("name", "body", "actions")


# --- Templates ----------------------------------------------------------------------------------


class TemplateError(InvalidInput):
    """A body with an unknown placeholder or an unclosed ``{{``; ``line`` counts from 1."""

    def __init__(self, problem: str, *, line: int, placeholder: str) -> None:
        super().__init__(f"macro body, line {line}: {problem}")
        self.problem = problem
        self.line = line
        self.placeholder = placeholder


def _known() -> str:
    return ", ".join("{{" + name + "}}" for name in PLACEHOLDERS)


def _shown(text: str, limit: int = 40) -> str:
    text = clean_line(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _scan(body: str) -> list[tuple[str, bool]]:
    """The body as (literal text, False) and (placeholder name, True) pieces, in order."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    while True:
        start = body.find("{{", at)
        if start < 0:
            pieces.append((body[at:], False))
            return pieces
        end = body.find("}}", start + 2)
        inner = body[start + 2:end] if end >= 0 else ""
        line = body.count("\n", 0, start) + 1
        if end < 0 or "{{" in inner:
            rest = body[start:].split("\n", 1)[0]
            raise TemplateError(f"'{{{{' is never closed: {_shown(rest)!r} (close it with }}}})",
                                line=line, placeholder=rest)
        name = inner.strip()
        if name not in PLACEHOLDERS:
            typed = body[start:end + 2]
            raise TemplateError(f"unknown placeholder {_shown(typed)} (use {_known()})",
                                line=line, placeholder=typed)
        pieces.append((body[at:start], False))
        pieces.append((name, True))
        at = end + 2


def check_template(body: str) -> str:
    """``body`` if every placeholder in it is known (else :class:`TemplateError`)."""
    _scan(body)
    return body


def first_name(name: str) -> str:
    """The first word of a name: ``Dana Cohen`` -> ``Dana``; ``Cohen, Dana`` -> ``Dana``."""
    words = " ".join(name.split())
    if "," in words:
        after = words.split(",", 1)[1].strip()
        if after:
            words = after
    first = words.split(" ", 1)[0] if words else ""
    return first.strip("\"'()<>[],") or first


def placeholder_values(*, ticket: TicketSummary | TicketDetail,
                       agent: AgentRead) -> dict[str, str]:
    """What each placeholder stands for on ``ticket`` sent by ``agent``."""
    summary_ = ticket.ticket if isinstance(ticket, TicketDetail) else ticket
    name = ticket.requester.name if isinstance(ticket, TicketDetail) else summary_.requester_name
    email = (ticket.requester.email if isinstance(ticket, TicketDetail)
             else summary_.requester_email)
    name = name.strip() or (email or "").split("@", 1)[0]
    return {
        "requester.name": name,
        "requester.first_name": first_name(name),
        "ticket.ref": summary_.ref,
        "ticket.subject": summary_.subject,
        "agent.name": agent.display_name,
    }


def render(macro: MacroRead | str, *, ticket: TicketSummary | TicketDetail,
           agent: AgentRead) -> str:
    """The body of ``macro`` (or a template string) with its placeholders filled in.

    The values are inserted as they are, never read as placeholders, markup or anything else.
    """
    body = macro.body if isinstance(macro, MacroRead) else macro
    return fill(body, placeholder_values(ticket=ticket, agent=agent))


def fill(template: str, values: dict[str, str]) -> str:
    """``template`` with each placeholder replaced by its value in ``values`` (every name of
    :data:`PLACEHOLDERS`), in one pass: a value is never read as a placeholder."""
    return "".join(values[text] if is_placeholder else text
                   for text, is_placeholder in _scan(template))


# --- Read models --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MacroActions:
    """What a macro changes on the ticket; ``None`` and empty tuples leave a field alone."""

    status: str | None = None
    priority: str | None = None
    group: str | None = None
    """A group's name, or ``"none"`` to take the ticket out of its group."""
    assignee: str | None = None
    """A username, ``"me"`` (the agent applying the macro) or ``"none"`` to unassign."""
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return self == MacroActions()

    def as_dict(self) -> dict[str, Any]:
        """The actions that are set, as stored (tags as lists)."""
        data: dict[str, Any] = {}
        for key in _ACTION_KEYS:
            value = getattr(self, key)
            if isinstance(value, tuple):
                if value:
                    data[key] = list(value)
            elif value is not None:
                data[key] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, *, where: str = "actions") -> MacroActions:
        """Actions from stored or file data; refuses unknown keys and values of the wrong kind
        (the values themselves are checked when a macro is saved)."""
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise InvalidInput(f"{where}: must be a table of actions ({', '.join(_ACTION_KEYS)})")
        unknown = [str(key) for key in data if key not in _ACTION_KEYS]
        if unknown:
            raise InvalidInput(f"{where}: unknown action '{_shown(unknown[0])}' "
                               f"(actions: {', '.join(_ACTION_KEYS)})")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in ("add_tags", "remove_tags"):
                if not isinstance(value, list | tuple) or not all(isinstance(v, str)
                                                                  for v in value):
                    raise InvalidInput(f"{where}.{key}: must be a list of tag names, "
                                       'like ["vpn", "billing"]')
                values[key] = tuple(value)
            elif not isinstance(value, str):
                raise InvalidInput(f"{where}.{key}: must be a text value, like \"pending\"")
            else:
                values[key] = value
        return cls(**values)

    def describe(self) -> str:
        """A short phrase: ``status pending, tagged password``."""
        if self.is_empty():
            return "no changes"
        return _bulk_change(self).describe().replace("taken", "assigned to the sender")


@dataclass(frozen=True)
class MacroRead:
    id: int
    name: str
    body: str
    actions: MacroActions
    created_by: str | None = None
    """The username of the agent who added it."""
    updated_at: datetime | None = None


def _read(macro: Macro, created_by: str | None) -> MacroRead:
    return MacroRead(id=row_key(macro), name=macro.name, body=macro.body,
                     actions=MacroActions.from_dict(macro.actions), created_by=created_by,
                     updated_at=macro.updated_at)


# --- Checks -------------------------------------------------------------------------------------


def _check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidInput("macro name: must not be empty")
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(f"macro name: longer than {MAX_NAME} characters")
    if not cleaned.isprintable():
        raise InvalidInput("macro name: must not hold control characters")
    return cleaned


def _check_macro_body(body: str) -> str:
    return check_template(check_body(body, where="macro body"))


def _is(value: str, word: str) -> bool:
    return value.strip().lower() == word


def _named(where: str, find: Callable[[Session, str], _Found], session: Session,
           name: str) -> _Found:
    """``find(session, name)``; a missing name is an invalid value of the macro's action."""
    try:
        return find(session, name)
    except NotFound as exc:
        raise InvalidInput(f"{where}: {exc}") from None


def _check_actions(session: Session, actions: MacroActions) -> MacroActions:
    """The actions with every value checked and names in their stored spelling."""
    status = priority = group = assignee = None
    if actions.status is not None:
        status = actions.status.strip().lower()
        lifecycle.check_status(status)
        if status not in MACRO_STATUSES:
            raise InvalidInput(f"actions.status: a macro cannot set status '{status}' "
                               f"(one of: {', '.join(MACRO_STATUSES)})")
    if actions.priority is not None:
        priority = actions.priority.strip().lower()
        lifecycle.check_priority(priority)
    if actions.group is not None:
        group = NONE if _is(actions.group, NONE) else _named(
            "actions.group", find_group, session, actions.group.strip()).name
    if actions.assignee is not None:
        if _is(actions.assignee, "me") or _is(actions.assignee, NONE):
            assignee = actions.assignee.strip().lower()
        else:
            agent = _named("actions.assignee", find_agent, session, actions.assignee.strip())
            if not agent.active:
                raise InvalidInput(f"actions.assignee: agent '{agent.username}' is deactivated "
                                   "and cannot be assigned tickets")
            assignee = agent.username
    add_tags = normalize_tags(actions.add_tags, where="actions.add_tags")
    remove_tags = normalize_tags(actions.remove_tags, where="actions.remove_tags")
    both = sorted(set(add_tags) & set(remove_tags))
    if both:
        raise InvalidInput(f"actions: tag '{both[0]}' is both added and removed")
    return MacroActions(status=status, priority=priority, group=group, assignee=assignee,
                        add_tags=add_tags, remove_tags=remove_tags)


# --- Managing macros ----------------------------------------------------------------------------


def _find(session: Session, name: str) -> Macro | None:
    """The macro named ``name``, exactly or else ignoring case."""
    cleaned = " ".join(name.split())
    if not storable(cleaned):
        return None
    exact = session.exec(select(Macro).where(Macro.name == cleaned)).first()
    if exact is not None:
        return exact
    wanted = cleaned.casefold()
    for macro_id, stored in session.exec(select(Macro.id, Macro.name)).all():
        if stored.casefold() == wanted:
            return session.get(Macro, macro_id)
    return None


def _get(session: Session, name: str) -> Macro:
    macro = _find(session, name)
    if macro is None:
        raise NotFound(f"no macro named '{_shown(' '.join(name.split()), 60)}' "
                       "(see `deskterm macro list`)")
    return macro


def _creator(session: Session, macro: Macro) -> str | None:
    if macro.created_by_id is None:
        return None
    agent = session.get(Agent, macro.created_by_id)
    return agent.username if agent else None


def _refuse_clash(session: Session, name: str, keep: Macro | None = None) -> None:
    other = _find(session, name)
    if other is not None and other is not keep:
        raise InvalidInput(f"a macro named '{other.name}' already exists "
                           "(change it with `deskterm macro edit`)")


def _flush(session: Session, name: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        # A teammate saved the same name at the same moment: the write runs again, and the
        # checks then explain the clash.
        raise WriteConflict(f"macro {name} was saved concurrently") from exc


def get_macro(session: Session, *, name: str) -> MacroRead:
    """The macro named ``name`` (case does not matter)."""
    macro = _get(session, name)
    return _read(macro, _creator(session, macro))


def list_macros(session: Session) -> list[MacroRead]:
    """Every macro, by name."""
    rows = session.exec(
        select(Macro, Agent.username).outerjoin(Agent, col(Agent.id) == col(Macro.created_by_id))
    ).all()
    return sorted((_read(macro, username) for macro, username in rows),
                  key=lambda m: (m.name.casefold(), m.name))


def add_macro(
    session: Session,
    *,
    actor: AgentRead,
    name: str,
    body: str,
    actions: MacroActions | None = None,
) -> MacroRead:
    """Add a macro (any agent). Refuses an empty or taken name, an empty body, an unknown
    placeholder (:class:`TemplateError`, with its line) and bad action values."""
    name = _check_name(name)
    body = _check_macro_body(body)
    checked = _check_actions(session, actions or MacroActions())
    _refuse_clash(session, name)
    now = utcnow()
    macro = Macro(name=name, body=body, actions=checked.as_dict(), created_by_id=actor.id,
                  created_at=now, updated_at=now)
    session.add(macro)
    _flush(session, name)
    return _read(macro, actor.username)


def _may_change(session: Session, actor: AgentRead, macro: Macro, doing: str) -> None:
    if actor.is_admin or macro.created_by_id == actor.id:
        return
    owner = _creator(session, macro)
    raise PermissionDenied(f"macro '{macro.name}' was added by {owner or 'someone else'}: only "
                           f"they or an admin can {doing} it")


def update_macro(
    session: Session,
    *,
    actor: AgentRead,
    name: str,
    new_name: str | None = None,
    body: str | None = None,
    actions: MacroActions | None = None,
) -> MacroRead:
    """Change the macro ``name`` (its creator or an admin); ``None`` keeps a part as it is,
    ``new_name`` renames it, ``actions`` replaces all its actions."""
    macro = _get(session, name)
    _may_change(session, actor, macro, "change")
    if new_name is not None:
        new_name = _check_name(new_name)
        _refuse_clash(session, new_name, keep=macro)
        macro.name = new_name
    if body is not None:
        macro.body = _check_macro_body(body)
    if actions is not None:
        macro.actions = _check_actions(session, actions).as_dict()
    macro.updated_at = utcnow()
    session.add(macro)
    _flush(session, macro.name)
    return _read(macro, _creator(session, macro))


def remove_macro(session: Session, *, actor: AgentRead, name: str) -> MacroRead:
    """Remove the macro ``name`` (its creator or an admin); returns what was removed."""
    macro = _get(session, name)
    _may_change(session, actor, macro, "remove")
    removed = _read(macro, _creator(session, macro))
    session.delete(macro)
    session.flush()
    return removed


# --- Applying macros ----------------------------------------------------------------------------


def _bulk_change(actions: MacroActions) -> BulkChange:
    me = actions.assignee is not None and _is(actions.assignee, "me")
    return BulkChange(
        take=me,
        assignee=None if me else actions.assignee,
        group=actions.group,
        status=actions.status,
        priority=actions.priority,
        add_tags=actions.add_tags,
        remove_tags=actions.remove_tags,
    )


def macro_change(macro: MacroRead) -> BulkChange:
    """The macro's actions as a bulk change (``assignee = "me"`` is a take). The body is not
    part of it: :func:`apply_macro_bulk` also sends the body to each ticket."""
    return _bulk_change(macro.actions)


def _wanted(session: Session, macro: MacroRead, actor: AgentRead,
            send_as: str | None) -> Wanted | None:
    """The macro's actions (with the status ``send_as``, if given) checked and resolved."""
    change = macro_change(macro)
    if send_as is not None:
        change = replace(change, status=lifecycle.check_status(send_as.strip().lower()))
    if change.is_empty():
        return None
    try:
        return resolve_changes(session, as_ticket_changes(change, actor))
    except (InvalidInput, NotFound) as exc:
        # A name the macro refers to went away (or was deactivated) since it was saved.
        raise type(exc)(f"macro '{macro.name}': {exc}") from None


def _send(change: Change, wanted: Wanted | None, *, body: str, public: bool,
          minutes: int | None) -> None:
    """The message and the actions as one new version of the locked ticket of ``change``."""
    add_message(change, body=body, public=public, minutes=minutes)
    if wanted is not None:
        apply_changes(change, wanted)
    if public and change.ticket.status == "new":
        change.set_status("open")
    change.finish()


def apply_macro(
    session: Session,
    *,
    actor: AgentRead,
    number: int,
    macro_name: str,
    body: str | None = None,
    send_as: str | None = None,
    public: bool = True,
    minutes: int | None = None,
    expected_version: int | None = None,
) -> TicketSummary:
    """Send macro ``macro_name`` on ticket ``number`` and make its actions, as one new version.

    ``body``: the text the agent edited from the rendered macro (default: the macro's body
    rendered for this ticket). ``public``: a reply (else an internal note). ``send_as``: the
    status to leave the ticket in, instead of the macro's. With ``expected_version``, refuse
    (StaleTicket) if the ticket changed since. Everything is checked before anything is written.
    """
    macro = get_macro(session, name=macro_name)
    minutes = check_minutes(minutes)
    wanted = _wanted(session, macro, actor, send_as)
    ticket = lock_ticket(session, number, actor=actor)
    refuse_if_closed(ticket, f"apply macro '{macro.name}'")
    refuse_if_stale(session, ticket, expected_version)
    if body is None:
        body = render(macro, ticket=summary(session, ticket), agent=actor)
    body = check_body(body, where="reply" if public else "note")
    change = Change(session, ticket, actor)
    _send(change, wanted, body=body, public=public, minutes=minutes)
    record_seen(session, number, actor.id, change.now)
    return summary(session, ticket)


def apply_macro_bulk(
    session: Session,
    *,
    actor: AgentRead,
    numbers: Sequence[int],
    macro_name: str,
    public: bool = True,
) -> BulkResult:
    """Send macro ``macro_name`` on every ticket in ``numbers``, in the caller's transaction.

    Each ticket gets the body rendered with its own requester and subject, and the actions, as
    one new version with an event per changed field. Closed, missing tickets and tickets whose
    status may not move to the macro's are skipped and reported (as
    :func:`~deskterm.desk.tickets.bulk.apply_bulk` does); every other ticket is ``changed``.
    Like bulk actions, it does not mark the tickets seen: nobody read them.
    """
    macro = get_macro(session, name=macro_name)
    wanted = _wanted(session, macro, actor, None)
    status = wanted.status if wanted is not None else None
    numbers = unique_numbers(numbers)
    tickets: dict[int, Ticket] = lock_tickets(session, numbers)
    restricted = restricted_from(session, actor, tickets)
    changed: list[int] = []
    skipped: list[tuple[int, str]] = []
    for number in numbers:
        ticket = tickets.get(number)
        if ticket is None:
            skipped.append((number, "not found"))
            continue
        reason = restricted.get(number) or why_refused(ticket, status)
        if reason is not None:
            skipped.append((number, reason))
            continue
        body = render(macro, ticket=summary(session, ticket), agent=actor)
        body = check_body(body, where="reply" if public else "note")
        _send(Change(session, ticket, actor), wanted, body=body, public=public, minutes=None)
        changed.append(number)
    kind = "reply" if public else "note"
    description = f"macro {macro.name}: {kind}"
    if not macro.actions.is_empty():
        description += f", {macro.actions.describe()}"
    return BulkResult(changed=tuple(changed), unchanged=(), skipped=tuple(skipped),
                      description=description)


# --- The file format ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MacroFile:
    """A macro as read from a file, not yet saved."""

    name: str
    body: str
    actions: MacroActions


_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_BODY_KEY = re.compile(r"""^\s*body\s*=\s*("{3}|'{3}|"|')(.*)$""")


def _body_file_line(text: str, error: TemplateError) -> int | None:
    """The file line of a body line, when the body is a string in the file as written."""
    lines = text.splitlines()
    starts = [(i, match) for i, line in enumerate(lines) if (match := _BODY_KEY.match(line))]
    if len(starts) != 1:
        return None
    index, match = starts[0]
    delimiter, rest = match.groups()
    # A multi-line string's first newline, right after its opening quotes, is not part of it.
    first = index + 1 if len(delimiter) == 3 and not rest else index
    candidate = first + error.line - 1
    needle = error.placeholder.split("\n", 1)[0]
    if candidate < len(lines) and needle and needle in lines[candidate]:
        return candidate + 1
    return None


def parse_macro_toml(text: str) -> MacroFile:
    """A macro from the TOML file format (see the module's documentation).

    Errors are :class:`InvalidInput` starting with the line (``line 4: ...``) when it is known,
    else naming the key.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _TOML_AT.search(message)
        if at:
            message = _TOML_AT.sub("", message)
            raise InvalidInput(f"line {at.group(1)}, column {at.group(2)}: not valid TOML: "
                               f"{message}") from None
        raise InvalidInput(f"not valid TOML: {message}") from None
    except RecursionError:
        raise InvalidInput("not valid TOML: arrays or tables nested too deeply") from None
    unknown = [key for key in data if key not in _FILE_KEYS]
    if unknown:
        raise InvalidInput(f"unknown key '{_shown(unknown[0])}' (a macro file has name, body "
                           "and an optional [actions] table)")
    for key in ("name", "body"):
        if key not in data:
            raise InvalidInput(f"no '{key}' (a macro file needs name = \"...\" and "
                               "body = '''...''')")
        if not isinstance(data[key], str):
            raise InvalidInput(f"'{key}' must be a text value in quotes")
    try:
        check_template(data["body"])
    except TemplateError as exc:
        line = _body_file_line(text, exc)
        if line is not None:
            raise InvalidInput(f"line {line}: {exc.problem}") from None
        raise
    return MacroFile(name=data["name"], body=data["body"],
                     actions=MacroActions.from_dict(data.get("actions")))


_LITERAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(text: str, *, multiline: bool) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\n" if multiline else "\\n")
        elif ch == "\t":
            out.append("\t" if multiline else "\\t")
        elif _LITERAL_UNSAFE.match(ch):
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return "".join(out)


def _toml_string(text: str) -> str:
    return f'"{_escape(text, multiline=False)}"'


def _toml_body(body: str) -> str:
    """A multi-line string: literal (as typed) when it can be, else escaped."""
    if "'''" not in body and not body.endswith("'") and not _LITERAL_UNSAFE.search(body):
        return f"'''\n{body}'''"
    return f'"""\n{_escape(body, multiline=True)}"""'


def macro_toml(macro: MacroRead | MacroFile) -> str:
    """The macro in the file format; :func:`parse_macro_toml` reads it back unchanged."""
    lines = [f"name = {_toml_string(macro.name)}", f"body = {_toml_body(macro.body)}"]
    actions = macro.actions.as_dict()
    if actions:
        lines.append("")
        lines.append("[actions]")
        for key, value in actions.items():
            if isinstance(value, list):
                lines.append(f"{key} = [{', '.join(_toml_string(v) for v in value)}]")
            else:
                lines.append(f"{key} = {_toml_string(value)}")
    return "\n".join(lines) + "\n"


__all__ = [
    "MACRO_STATUSES",
    "PLACEHOLDERS",
    "MacroActions",
    "MacroFile",
    "MacroRead",
    "TemplateError",
    "add_macro",
    "apply_macro",
    "apply_macro_bulk",
    "check_template",
    "fill",
    "first_name",
    "get_macro",
    "list_macros",
    "macro_change",
    "macro_toml",
    "parse_macro_toml",
    "placeholder_values",
    "remove_macro",
    "render",
    "update_macro",
]
