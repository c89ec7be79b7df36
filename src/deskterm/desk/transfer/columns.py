"""What a CSV column means: header names of deskterm's and other desks' exports, and the words
they use for status, priority, type and channel, and their dates.

Headers are compared folded (lower case, every run of punctuation or spaces one space), so
``Requester E-mail``, ``requester_email`` and ``REQUESTER EMAIL`` are one name. The lists below
are what Zendesk, Freshdesk, osTicket, Jira Service Management and Help Scout put in their CSV
exports, and what ``deskterm export csv`` writes (:data:`EXPORT_COLUMNS`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime

from deskterm.desk.errors import InvalidInput

FIELDS = ("external_id", "subject", "body", "status", "priority", "type", "channel",
          "requester_name", "requester_email", "organization", "assignee", "group", "tags",
          "created_at", "updated_at", "solved_at", "closed_at")
"""The ticket fields a column can fill (``--map column=field`` names one of these)."""

EXPORT_COLUMNS = ("id", "subject", "description", "status", "priority", "type", "channel",
                  "requester_name", "requester_email", "organization", "assignee", "group",
                  "tags", "created_at", "updated_at", "solved_at", "closed_at", "external_id")
"""The header of ``deskterm export csv``, in order (``id`` is the ticket's number)."""

_HEADERS: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "ticket id", "ticket", "ticket number", "ticket no", "number", "no",
                    "key", "issue key", "issue id", "conversation id", "conversation number",
                    "external id", "ticket key", "display id", "request id", "case number",
                    "case id"),
    "subject": ("subject", "title", "summary", "topic", "ticket subject", "issue summary"),
    "body": ("description", "body", "message", "content", "text", "comment", "first message",
             "details", "issue description", "ticket description", "question",
             "description text", "thread", "initial message"),
    "status": ("status", "state", "ticket status", "issue status", "resolution status",
               "current status"),
    "priority": ("priority", "urgency", "ticket priority", "severity"),
    "type": ("type", "ticket type", "issue type", "request type", "kind"),
    "channel": ("channel", "source", "via", "origin", "ticket source", "submitted via",
                "created via", "ticket channel"),
    "requester_name": ("requester", "requester name", "requester full name", "customer",
                       "customer name", "contact", "contact name", "from name", "reporter",
                       "reporter name", "full name", "name", "user", "user name",
                       "customer full name", "requested by", "from"),
    "requester_email": ("requester email", "requester e mail", "email", "e mail",
                        "email address", "customer email", "customer e mail", "contact email",
                        "from email", "reporter email", "user email", "customer email address",
                        "customer email addresses", "requester email address", "from address"),
    "organization": ("organization", "organisation", "company", "account",
                     "requester organization", "customer organization", "organization name",
                     "company name", "customer company", "org"),
    "assignee": ("assignee", "assigned to", "agent", "owner", "assignee name",
                 "assignee email", "responder", "assigned agent", "staff", "assigned",
                 "assigned user", "agent name", "agent assigned", "assigned agent name"),
    "group": ("group", "team", "queue", "department", "help topic", "assignment group",
              "group name", "assigned group", "mailbox", "team assigned"),
    "tags": ("tags", "labels", "tag", "label", "keywords"),
    "created_at": ("created", "created at", "created date", "date created", "created on",
                   "creation date", "opened", "open date", "submitted", "created time",
                   "date opened", "create date", "request date"),
    "updated_at": ("updated", "updated at", "last updated", "last modified", "modified",
                   "date updated", "last update", "last activity", "updated date",
                   "last modified date", "modified at", "last updated time", "updated time"),
    "solved_at": ("resolved", "resolved at", "resolution date", "solved", "solved at",
                  "resolved date", "date resolved", "resolved time", "resolution time",
                  "solved date"),
    "closed_at": ("closed", "closed at", "closed date", "date closed", "closed time",
                  "closed on"),
}
HEADERS: dict[str, str] = {name: field for field, names in _HEADERS.items() for name in names}
"""Folded header name -> field."""
HEADERS["description"] = "body"

_FOLD = re.compile(r"[^0-9a-z]+")


def fold(header: str) -> str:
    """A header as it is compared: lower case, punctuation and spaces one space."""
    return _FOLD.sub(" ", header.lower()).strip()


@dataclass(frozen=True)
class Mapping_:
    """Which column of the file fills which field (``columns[i]``: the field of column i)."""

    columns: tuple[str | None, ...]

    def position(self, field: str) -> int | None:
        return self.columns.index(field) if field in self.columns else None


def map_header(header: Sequence[str], overrides: Mapping[str, str]) -> Mapping_:
    """The field of each column: ``overrides`` (column name -> field, or ``-`` to ignore it)
    first, then the names above; a field is filled by its first column only."""
    for column, wanted in overrides.items():
        if wanted != "-" and wanted not in FIELDS:
            raise InvalidInput(f"--map {column}={wanted}: no such field (fields: "
                               f"{', '.join(FIELDS)}; '-' ignores the column)")
        if fold(column) not in {fold(name) for name in header}:
            raise InvalidInput(f"--map {column}={wanted}: the file has no column '{column}'")
    folded_overrides = {fold(column): field for column, field in overrides.items()}
    taken: set[str] = set()
    columns: list[str | None] = []
    for name in header:
        key = fold(name)
        field: str | None = folded_overrides.get(key, HEADERS.get(key))
        if field == "-" or field in taken:
            field = None
        if field is not None:
            taken.add(field)
        columns.append(field)
    return Mapping_(tuple(columns))


def _synonyms(table: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {fold(word): value for value, words in table.items() for word in (value, *words)}


STATUS_WORDS = _synonyms({
    "new": ("unassigned", "submitted", "untriaged", "to do", "todo", "unopened", "received"),
    "open": ("opened", "in progress", "active", "assigned", "reopened", "re opened",
             "waiting for support", "work in progress", "ongoing", "working", "in review",
             "escalated", "investigating", "acknowledged", "triaged"),
    "pending": ("waiting", "waiting on customer", "waiting for customer", "awaiting customer",
                "awaiting reply", "awaiting response", "pending customer", "answered",
                "waiting on requester", "waiting for reply", "pending reply"),
    "on_hold": ("on hold", "hold", "onhold", "waiting on third party", "waiting on 3rd party",
                "waiting for third party", "blocked", "suspended", "deferred", "paused",
                "waiting for approval", "pending approval", "waiting for vendor"),
    "solved": ("resolved", "done", "fixed", "completed", "complete", "answered and solved",
               "solution provided"),
    "closed": ("archived", "cancelled", "canceled", "spam", "deleted", "rejected",
               "declined", "won't do", "wont do", "duplicate", "closed resolved"),
})
PRIORITY_WORDS = _synonyms({
    "low": ("lowest", "minor", "trivial", "p4", "p5", "4 low", "5 lowest", "not urgent"),
    "normal": ("medium", "default", "moderate", "p3", "3 medium", "3 normal", "standard",
               "none", "regular"),
    "high": ("major", "p2", "2 high", "important", "elevated"),
    "urgent": ("critical", "highest", "blocker", "emergency", "p1", "p0", "1 critical",
               "1 highest", "1 urgent", "immediate"),
})
TYPE_WORDS = _synonyms({
    "question": ("general", "inquiry", "enquiry", "how to", "how do i", "information",
                 "support", "help"),
    "incident": ("bug", "issue", "outage", "defect", "error", "fault", "report a bug"),
    "problem": ("root cause", "known error"),
    "task": ("service request", "request", "feature request", "change", "change request",
             "todo", "to do", "access request", "new feature", "improvement", "story"),
})
CHANNEL_WORDS = _synonyms({
    "email": ("e mail", "mail", "inbound email", "email ticket", "mailbox"),
    "web": ("web form", "webform", "portal", "form", "help center", "widget", "web widget",
            "customer portal", "website", "feedback widget", "help centre"),
    "phone": ("voice", "call", "telephone", "phone call", "sms", "text message"),
    "chat": ("live chat", "messaging", "whatsapp", "twitter", "facebook", "instagram", "social",
             "messenger", "slack", "teams", "x", "social media", "wechat", "line", "telegram"),
    "api": ("rest api", "integration", "automation"),
    "cli": ("command line",),
    "import": ("imported", "migration", "other", "unknown"),
})


def ticket_type(value: str) -> tuple[str, str | None]:
    """The type, and a channel, a ``Type`` cell stands for: Help Scout's ``Type`` is how the
    conversation came (``email``, ``chat``, ``phone``); another desk's type deskterm does not
    have (``Refund``, ``Change``) is a question, as a ticket without a type is."""
    key = fold(value)
    if key in TYPE_WORDS:
        return TYPE_WORDS[key], None
    return "question", CHANNEL_WORDS.get(key)


def word(value: str, words: Mapping[str, str], what: str, choices: Sequence[str]) -> str:
    """The deskterm name for ``value`` (``In Progress`` -> ``open``), or a refusal naming the
    accepted ones."""
    found = words.get(fold(value))
    if found is None:
        raise InvalidInput(f"'{value[:60]}' is not a {what} deskterm knows "
                           f"({', '.join(choices)}, or a usual synonym)")
    return found


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet opening a CSV file runs a cell starting with one of these as a formula."""


def spreadsheet_safe(cell: str) -> str:
    """A cell of ``export csv``: one a spreadsheet would run as a formula (a customer's subject
    ``=HYPERLINK(...)``) gets a leading ``'``, which spreadsheets show as text and
    :func:`from_spreadsheet_safe` takes off again on import."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def from_spreadsheet_safe(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


TAG_SEPARATORS = re.compile(r"[,;\s]+")
"""Tags are split on commas, semicolons and spaces (a tag holds none of them; Zendesk's
export separates its tags with spaces)."""


def split_tags(value: str) -> list[str]:
    return [tag for tag in TAG_SEPARATORS.split(value) if tag]


# --- Dates ---------------------------------------------------------------------------------------

DATE_ORDERS = ("ymd", "dmy", "mdy")

_TIME = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?\s*([ap]\.?m\.?)?)?"
_SLASHED = re.compile(r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})" + _TIME + r"\s*(.*)", re.I)
_ZONE = re.compile(r"(?:utc|gmt|z)?\s*(?:([+-])(\d{2}):?(\d{2})?)?", re.I)


def _zone(text: str) -> tzinfo | None:
    """A zone written after a date: ``UTC``, ``Z``, ``+02:00``, ``-0500``, ``GMT+1``; None if
    there is none; a refusal if it is something else."""
    text = text.strip()
    if not text:
        return None
    found = _ZONE.fullmatch(text)
    if found is None:
        raise InvalidInput(f"'{text[:20]}' is not a time zone offset (write +02:00 or UTC)")
    sign, hours, minutes = found.groups()
    if sign is None:
        return UTC
    offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
    from datetime import timezone

    return timezone(-offset if sign == "-" else offset)


def parse_date(value: str, *, zone: tzinfo, order: str | None) -> datetime:
    """A date of an export as an aware UTC datetime.

    Accepted: ISO 8601 (``2024-03-04``, ``2024-03-04T10:15:00Z``, with an offset), RFC 2822
    (``Mon, 04 Mar 2024 10:15:00 +0000``), Unix seconds, and day, month and year separated by
    ``/``, ``.`` or ``-`` with an optional time (24-hour or am/pm) and zone. ``04/03/2024`` is
    read by ``order`` (``dmy`` or ``mdy``; dotted dates are day first); without it, a date
    whose day and month could be swapped is refused rather than guessed. A date without a
    zone is in ``zone``.
    """
    text = value.strip()
    if zone is UTC and len(text) == 19 and text[10] in " T":
        # (The most common form, a UTC time without a zone, in one step: the general way
        # below, with its replace and astimezone, took four times as long.)
        try:
            quick = datetime.fromisoformat(text + "Z")
        except ValueError:
            pass
        else:
            if 1900 <= quick.year <= 2999:
                return quick
    elif len(text) == 20 and text[19] == "Z" and text[10] in " T":
        # (The other common form, an ISO time in UTC, ``2024-03-05T12:34:56Z``: its zone is
        # its own, and it needs none of the rewriting below.)
        try:
            quick = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if 1900 <= quick.year <= 2999:
                return quick
    if text.isdigit() and 9 <= len(text) <= 10:
        return datetime.fromtimestamp(int(text), UTC)
    try:
        parsed = datetime.fromisoformat(text.replace(" UTC", "Z").replace(" GMT", "Z"))
    except ValueError:
        parsed = None
    if parsed is None and "," in text:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        parsed = _slashed(text, order)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    if not 1900 <= parsed.year <= 2999:
        raise InvalidInput(f"'{text[:40]}': the year {parsed.year} is out of range")
    return parsed if parsed.tzinfo is UTC else parsed.astimezone(UTC)


def _slashed(text: str, order: str | None) -> datetime:
    found = _SLASHED.fullmatch(text)
    if found is None:
        raise InvalidInput(f"'{text[:40]}' is not a date (write 2024-03-04 10:15 or "
                           "2024-03-04T10:15:00Z)")
    first, second, third, hour, minute, sec, fraction, half, rest = found.groups()
    if order is None and text[len(first)] == ".":
        order = "dmy"  # 04.03.2024: dotted dates are written day first
    numbers = (int(first), int(second), int(third))
    if len(first) == 4:
        year, month, day = numbers
    elif len(third) in (2, 4):
        year = numbers[2] + (2000 if len(third) == 2 else 0)
        if order == "dmy" or (order is None and numbers[0] > 12 >= numbers[1]):
            day, month = numbers[0], numbers[1]
        elif order == "mdy" or (order is None and numbers[1] > 12 >= numbers[0]):
            month, day = numbers[0], numbers[1]
        elif numbers[0] == numbers[1]:
            day = month = numbers[0]
        else:
            raise InvalidInput(f"'{text[:40]}': day and month could be either way round; "
                               "say which with --dates dmy or --dates mdy")
    else:
        raise InvalidInput(f"'{text[:40]}' is not a date (write 2024-03-04 10:15)")
    hours = int(hour or 0)
    if half:
        if not 1 <= hours <= 12:
            raise InvalidInput(f"'{text[:40]}': hour {hours} with am/pm")
        hours = hours % 12 + (12 if half.lower().startswith("p") else 0)
    try:
        parsed = datetime(year, month, day, hours, int(minute or 0), int(sec or 0),
                          int((fraction or "0").ljust(6, "0")))
    except ValueError as exc:
        raise InvalidInput(f"'{text[:40]}' is not a date ({exc})") from None
    zone = _zone(rest)
    return parsed if zone is None else parsed.replace(tzinfo=zone)
