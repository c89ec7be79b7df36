"""``deskterm import jsonl``: a ``deskterm export jsonl`` file back into a desk, whole.

Tickets keep their numbers (the counter continues after the highest), so the file is for
moving a desk, or part of one, into a desk that does not have those numbers yet: a number
already on the desk is a problem of its line. Agents, groups, organizations, requesters and tags
are matched by name (requesters by address, or by name when they have none) and created when
missing, with what the file says of them. Links and merges may point at tickets later in the
file or already on the desk; they are written last. Those pointing at a ticket that is neither
(a file of part of a desk) are left out, and counted.

Like the CSV import it is one transaction in batches (:class:`TicketLoad`), all or nothing,
every problem listed with its line; a dry run checks everything and writes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from deskterm.db.engine import Store
from deskterm.db.ticket_import import TicketLoad
from deskterm.db.types import utcnow
from deskterm.desk.audit import log as audit_log
from deskterm.desk.audit import snapshots
from deskterm.desk.errors import InvalidInput
from deskterm.desk.limits import INT_MAX, check_text
from deskterm.desk.safe_text import clean_line
from deskterm.desk.tickets.checks import MAX_BODY, MAX_SUBJECT, normalize_tags
from deskterm.desk.tickets.lifecycle import (
    CHANNELS,
    PRIORITY_RANK,
    STATUSES,
    TICKET_TYPES,
)
from deskterm.desk.transfer.csv_import import ImportRefused, ImportReport
from deskterm.desk.transfer.csv_in import Problem
from deskterm.desk.transfer.jsonl_out import FORMAT

BATCH = 500
AUDIT_VIA = "import jsonl"
"""The audit log's ``via`` of the agents and groups an import makes."""
MAX_LINE = 128 * 1024 * 1024
"""Most characters of one line (a ticket with its attachments in base64): a longer one is a
problem of its line, read past in pieces, never held whole."""


def _lines(handle: io.TextIOWrapper) -> Iterator[tuple[int, str | None]]:
    """Each line with its number; None for one longer than :data:`MAX_LINE`."""
    number = 0
    while True:
        text = handle.readline(MAX_LINE)
        if not text:
            return
        number += 1
        if len(text) == MAX_LINE and not text.endswith("\n"):
            while (rest := handle.readline(MAX_LINE)) and not rest.endswith("\n"):
                pass
            yield number, None
            continue
        yield number, text
_USERNAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
LINK_KINDS = ("related", "incident")


@dataclass
class JsonlReport(ImportReport):
    messages: int = 0
    events: int = 0
    attachments: int = 0
    left_out: int = 0
    """Links and merge pointers to tickets neither in the file nor on the desk."""
    numbers: list[int] = field(default_factory=list)


class _Bad(Exception):
    pass


def _get(obj: Any, key: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise _Bad(f"'{key}' is missing")
    return obj[key]


def _text(obj: Any, key: str, *, optional: bool = False, limit: int = 10_000) -> str | None:
    """Text as it was stored (kept byte for byte: a hostile subject is shown cleaned, never
    changed); not valid UTF-8 or longer than ``limit`` is refused, and empty if required."""
    value = _get(obj, key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or (not optional and not value.strip()):
        raise _Bad(f"'{key}' is not text" if not isinstance(value, str) else f"'{key}' is empty")
    try:
        return check_text(value, field=key, max_length=limit)
    except InvalidInput as exc:
        raise _Bad(str(exc)) from None


def _int(obj: Any, key: str, *, optional: bool = False, low: int = 0,
         high: int = INT_MAX) -> int | None:
    value = _get(obj, key)
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _Bad(f"'{key}' is not a whole number from {low} to {high}")
    return value


def _bool(obj: Any, key: str) -> bool:
    value = _get(obj, key)
    if not isinstance(value, bool):
        raise _Bad(f"'{key}' is not true or false")
    return value


def _stamp(obj: Any, key: str, *, optional: bool = True) -> datetime | None:
    value = _get(obj, key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _Bad(f"'{key}' is not a timestamp")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(f"'{key}': '{value[:40]}' is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        raise _Bad(f"'{key}': '{value[:40]}' has no time zone")
    return moment


def _choice(obj: Any, key: str, choices: tuple[str, ...] | list[str]) -> str:
    value = _get(obj, key)
    if value not in choices:
        raise _Bad(f"'{key}' is not one of: {', '.join(choices)}")
    assert isinstance(value, str)
    return value


def _list(obj: Any, key: str) -> list[Any]:
    value = _get(obj, key)
    if not isinstance(value, list):
        raise _Bad(f"'{key}' is not a list")
    return value


@dataclass(frozen=True)
class _Agent:
    username: str
    name: str
    email: str | None


@dataclass(frozen=True)
class _Customer:
    name: str
    email: str | None
    organization: str | None
    domain: str | None
    internal: bool
    tier: str


def _agent(obj: Any, key: str) -> _Agent | None:
    value = _get(obj, key)
    if value is None:
        return None
    username = _text(value, "username", limit=64)
    assert username is not None
    if not _USERNAME.fullmatch(username):
        raise _Bad(f"'{key}': '{username[:64]}' is not a username")
    return _Agent(username, _text(value, "name", limit=200) or username,
                  _text(value, "email", optional=True, limit=320))


def _customer(obj: Any, key: str) -> _Customer | None:
    value = _get(obj, key)
    if value is None:
        return None
    email = _text(value, "email", optional=True, limit=320)
    return _Customer(name=_text(value, "name", limit=200) or "",
                     email=email.lower() if email else None,
                     organization=_text(value, "organization", optional=True, limit=200),
                     domain=_text(value, "organization_domain", optional=True, limit=255),
                     internal=_bool(value, "internal"),
                     tier=_text(value, "tier", limit=32) or "standard")


@dataclass
class _Ticket:
    line: int
    data: dict[str, Any]
    requester: _Customer
    assignee: _Agent | None
    messages: list[tuple[_Agent | None, _Customer | None, dict[str, Any],
                         list[tuple[dict[str, Any], bytes]]]]
    events: list[tuple[_Agent | None, dict[str, Any]]]
    links: list[tuple[int, str, _Agent | None, datetime | None]]
    tags: tuple[str, ...]


def parse_ticket(line: int, text: str) -> _Ticket:
    """One line of the file, checked (raises ``_Bad`` with what is wrong)."""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _Bad(f"not JSON ({str(exc)[:80]})") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise _Bad(f"not a deskterm ticket (its 'format' must be '{FORMAT}')")
    data: dict[str, Any] = {
        "number": _int(obj, "number", low=1),
        "external_id": _text(obj, "external_id", optional=True, limit=200),
        "subject": _text(obj, "subject", limit=MAX_SUBJECT),
        "status": _choice(obj, "status", STATUSES),
        "priority": PRIORITY_RANK[_choice(obj, "priority", list(PRIORITY_RANK))],
        "type": _choice(obj, "type", TICKET_TYPES),
        "channel": _choice(obj, "channel", CHANNELS),
        "tier": _int(obj, "tier", low=1, high=3),
        "group": _text(obj, "group", optional=True, limit=100),
        "created_at": _stamp(obj, "created_at", optional=False),
        "updated_at": _stamp(obj, "updated_at", optional=False),
        "first_response_at": _stamp(obj, "first_response_at"),
        "solved_at": _stamp(obj, "solved_at"),
        "closed_at": _stamp(obj, "closed_at"),
        "customer_replied_at": _stamp(obj, "customer_replied_at"),
        "reopens": _int(obj, "reopens"),
        "version": _int(obj, "version", low=1),
        "merged_into": _int(obj, "merged_into", optional=True, low=1),
    }
    requester = _customer(obj, "requester")
    if requester is None:
        raise _Bad("'requester' is missing")
    try:
        tags = normalize_tags([t if isinstance(t, str) else "" for t in _list(obj, "tags")])
    except InvalidInput as exc:
        raise _Bad(str(exc)) from None
    messages = []
    for position, message in enumerate(_list(obj, "messages"), start=1):
        try:
            agent, customer = _agent(message, "agent"), _customer(message, "customer")
            via = (_text(message, "via", optional=True, limit=120)
                   if isinstance(message, dict) and "via" in message else None)
            if (agent is None) == (customer is None) and not (
                    via and agent is None and customer is None):
                raise _Bad("a message has an agent or a customer as its author, not both "
                           "(or neither, and 'via' naming the rule that wrote it)")
            fields = {"public": _bool(message, "public"), "via": via,
                      "body": _text(message, "body", limit=MAX_BODY),
                      "created_at": _stamp(message, "created_at", optional=False),
                      "source_message_id": _text(message, "source_message_id", optional=True,
                                                 limit=998),
                      "minutes": _int(message, "minutes", optional=True)}
            files = []
            for item in _list(message, "attachments"):
                try:
                    content = base64.b64decode(_text(item, "data", limit=10**9) or "",
                                               validate=True)
                except (binascii.Error, ValueError):
                    raise _Bad("an attachment's 'data' is not base64") from None
                meta = {"filename": _text(item, "filename", limit=255),
                        "content_type": _text(item, "content_type", limit=127),
                        "size": _int(item, "size"), "sha256": _text(item, "sha256", limit=64)}
                if meta["size"] != len(content) or meta["sha256"] != hashlib.sha256(
                        content).hexdigest():
                    raise _Bad(f"attachment '{meta['filename']}': its size or sha256 does "
                               "not match its data")
                files.append((meta, content))
        except _Bad as exc:
            raise _Bad(f"message {position}: {exc}") from None
        messages.append((agent, customer, fields, files))
    events = []
    for position, event in enumerate(_list(obj, "events"), start=1):
        try:
            events.append((_agent(event, "by"), {
                "field": _text(event, "field", limit=32),
                "old": _text(event, "old", optional=True, limit=MAX_BODY),
                "new": _text(event, "new", optional=True, limit=MAX_BODY),
                "version": _int(event, "version", low=1),
                "at": _stamp(event, "at", optional=False),
                # Absent from the files of deskterm before 0.13's automation: no automatic change.
                "via": _text(event, "via", optional=True, limit=120)
                if isinstance(event, dict) and "via" in event else None}))
        except _Bad as exc:
            raise _Bad(f"event {position}: {exc}") from None
    links = []
    for link in _list(obj, "links"):
        links.append((_int(link, "other", low=1) or 0, _choice(link, "kind", LINK_KINDS),
                      _agent(link, "by"), _stamp(link, "at", optional=False)))
    return _Ticket(line, data, requester, _agent(obj, "assignee"), messages, events, links,
                   tags)


def _folded(name: str) -> str:
    return " ".join(name.casefold().split())


class _Desk:
    """Names on the desk and the ids they have (or get) in this import."""

    def __init__(self, load: TicketLoad, report: JsonlReport, now: datetime,
                 actor_id: int | None = None) -> None:
        self.load, self.report = load, report
        self.now = load.value(now)
        self.actor_id = actor_id
        """Who imports: the audit log's actor for the agents and groups the import makes."""
        self.organizations = {_folded(n): i for i, n, _d in load.organizations()}
        self.groups = {_folded(n): i for i, n in load.groups()}
        self.agents = {u.casefold(): i for i, u, _n, _e, _a in load.agents()}
        self.by_email: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.tags: dict[str, int] = {}

    def organization(self, customer: _Customer) -> int | None:
        if customer.organization is None:
            return None
        key = _folded(customer.organization)
        if key not in self.organizations:
            (number,) = self.load.new_ids("organizations", 1)
            self.load.insert("organizations", [(number, customer.organization, customer.domain,
                                                self.now)])
            self.organizations[key] = number
            self.report.organizations += 1
        return self.organizations[key]

    def customers(self, people: list[_Customer]) -> None:
        emails = {c.email for c in people if c.email} - set(self.by_email)
        self.by_email.update(self.load.customers_by_email(emails))
        names = {c.name for c in people if not c.email} - set(self.by_name)
        self.by_name.update(self.load.customers_without_email(names))
        new: dict[tuple[str | None, str], _Customer] = {}
        for person in people:
            if self.customer(person) is None:
                new.setdefault((person.email, person.name if not person.email else ""), person)
        ids = self.load.new_ids("customers", len(new))
        rows = []
        for number, person in zip(ids, new.values(), strict=True):
            rows.append((number, person.name, person.email, self.organization(person),
                         person.internal, person.tier, self.now))
            (self.by_email if person.email else self.by_name)[
                person.email or person.name] = number
        self.load.insert("customers", rows)
        self.report.customers += len(rows)

    def customer(self, person: _Customer) -> int | None:
        return (self.by_email.get(person.email) if person.email
                else self.by_name.get(person.name))

    def agent(self, agent: _Agent | None) -> int | None:
        if agent is None:
            return None
        key = agent.username.casefold()
        if key not in self.agents:
            (number,) = self.load.new_ids("agents", 1)
            self.load.insert("agents", [(number, agent.username, agent.name, agent.email,
                                         "agent", True, [], self.now)])
            self._audit(snapshots.new_agent(agent.username, agent.name, agent.email))
            self.agents[key] = number
            self.report.agents += 1
        return self.agents[key]

    def _audit(self, seen: audit_log.Seen) -> None:
        """The audit log's ``created`` row of an agent or group just inserted, in the
        import's transaction."""
        self.load.insert("audit_log", audit_log.created_rows(
            at=self.now, actor_id=self.actor_id, via=AUDIT_VIA, seen=[seen]))

    def group(self, name: str | None) -> int | None:
        if name is None:
            return None
        key = _folded(name)
        if key not in self.groups:
            (number,) = self.load.new_ids("agent_groups", 1)
            self.load.insert("agent_groups", [(number, name, "", self.now)])
            self._audit(snapshots.new_group(name))
            self.groups[key] = number
            self.report.groups += 1
        return self.groups[key]

    def tag_ids(self, names: set[str]) -> None:
        wanted = names - set(self.tags)
        self.tags.update(self.load.tags(wanted))
        new = sorted(wanted - set(self.tags))
        ids = self.load.new_ids("tags", len(new))
        self.load.insert("tags", list(zip(ids, new, strict=True)))
        self.tags.update(zip(new, ids, strict=True))
        self.report.tags += len(new)


def _write(desk: _Desk, batch: list[_Ticket]) -> None:
    load, v = desk.load, desk.load.value
    people = [t.requester for t in batch] + [c for t in batch for _a, c, _f, _x in t.messages
                                             if c is not None]
    desk.customers(people)
    desk.tag_ids({tag for t in batch for tag in t.tags})
    tickets: list[tuple[object, ...]] = []
    messages: list[tuple[object, ...]] = []
    attachments: list[tuple[object, ...]] = []
    events: list[tuple[object, ...]] = []
    tags: list[tuple[int, int]] = []
    message_ids = iter(load.new_ids("messages", sum(len(t.messages) for t in batch)))
    attachment_ids = iter(load.new_ids("attachments", sum(
        len(files) for t in batch for _a, _c, _f, files in t.messages)))
    event_ids = iter(load.new_ids("events", sum(len(t.events) for t in batch)))
    for ticket in batch:
        d = ticket.data
        number = d["number"]
        requester = desk.customer(ticket.requester)
        tickets.append((number, d["subject"], d["status"], d["priority"], d["type"],
                        d["channel"], requester, desk.agent(ticket.assignee),
                        desk.group(d["group"]), d["tier"], v(d["created_at"]),
                        v(d["updated_at"]), v(d["first_response_at"]), v(d["solved_at"]),
                        v(d["closed_at"]), d["reopens"], d["version"],
                        v(d["customer_replied_at"]), None, d["external_id"]))
        for agent, customer, fields, files in ticket.messages:
            message = next(message_ids)
            messages.append((message, number, desk.agent(agent),
                             desk.customer(customer) if customer else None, fields["public"],
                             fields["body"], v(fields["created_at"]),
                             fields["source_message_id"], fields["minutes"], fields["via"]))
            for meta, content in files:
                attachments.append((next(attachment_ids), message, meta["filename"],
                                    meta["content_type"], meta["size"], meta["sha256"],
                                    content))
        for actor, fields in ticket.events:
            events.append((next(event_ids), number, desk.agent(actor), fields["field"],
                           fields["old"], fields["new"], fields["version"], v(fields["at"]),
                           fields["via"]))
        tags.extend((number, desk.tags[tag]) for tag in ticket.tags)
    load.insert("tickets", tickets)
    load.insert("messages", messages)
    load.insert("attachments", attachments)
    load.insert("events", events)
    load.insert("ticket_tags", tags)
    desk.report.created += len(batch)
    desk.report.messages += len(messages)
    desk.report.events += len(events)
    desk.report.attachments += len(attachments)


def import_jsonl(store: Store, path: Path, *, dry_run: bool = False,
                 progress: Callable[[int], None] | None = None,
                 actor_id: int | None = None) -> JsonlReport:
    """Import the tickets of the JSONL file at ``path`` (see the module's docstring);
    ``actor_id``: who imports, the audit log's actor for the agents and groups it makes."""
    shown = clean_line(str(path))
    try:
        binary = open(path, "rb")  # noqa: SIM115  (closed with its text wrapper below)
    except OSError as exc:
        raise InvalidInput(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    handle = io.TextIOWrapper(binary, encoding="utf-8", errors="surrogateescape")
    report = JsonlReport()
    with handle, TicketLoad(store) as load:
        desk = _Desk(load, report, utcnow(), actor_id=actor_id)
        batch: list[_Ticket] = []
        lines_of: dict[int, int] = {}
        links: list[tuple[int, int, str, _Agent | None, datetime | None]] = []
        merges: list[tuple[int, int, int]] = []

        def flush() -> None:
            if batch and not report.problems:
                taken = load.existing_tickets([t.data["number"] for t in batch])
                for ticket in batch:
                    if ticket.data["number"] in taken:
                        report.problems.append(Problem(
                            ticket.line, None, f"ticket #{ticket.data['number']} is already "
                            "on this desk"))
                if not report.problems:
                    _write(desk, batch)
            batch.clear()
            if progress is not None:
                progress(binary.tell())

        for line, text in _lines(handle):
            if text is None:
                report.rows += 1
                report.problems.append(Problem(line, None, f"longer than {MAX_LINE:,} "
                                               "characters"))
                continue
            if not text.strip():
                continue
            report.rows += 1
            try:
                ticket = parse_ticket(line, text)
            except _Bad as exc:
                report.problems.append(Problem(line, None, str(exc)))
                continue
            number = ticket.data["number"]
            if number in lines_of:
                report.problems.append(Problem(line, None, f"ticket #{number} is also on line "
                                               f"{lines_of[number]}"))
                continue
            lines_of[number] = line
            links.extend((number, other, kind, by, at) for other, kind, by, at in ticket.links)
            if ticket.data["merged_into"] is not None:
                merges.append((line, number, ticket.data["merged_into"]))
            batch.append(ticket)
            if len(batch) >= BATCH:
                flush()
        flush()
        if report.problems:
            raise ImportRefused(report)
        # A part of a desk (export --query) may link to tickets it left out: those links and
        # merge pointers are left out here too, and counted.
        referred = {other for _n, other, _k, _b, _a in links} | {m for _l, _n, m in merges}
        known = set(lines_of) | load.existing_tickets(referred - set(lines_of))
        kept = [link for link in links if link[1] in known and link[1] != link[0]]
        kept_merges = [merge for merge in merges if merge[2] in known and merge[2] != merge[1]]
        report.left_out = len(links) - len(kept) + len(merges) - len(kept_merges)
        links, merges = kept, kept_merges
        load.insert("ticket_links", [(number, other, kind, desk.agent(by), load.value(at))
                                     for number, other, kind, by, at in links])
        load.set_merged([(into, number) for _line, number, into in merges])
        load.keep_numbers(list(lines_of))
        report.numbers = sorted(lines_of)
        if not dry_run:
            load.commit()
            report.committed = True
    return report
