"""The queue's filter language, parsed into a :class:`TicketFilter`: a pure parser.

Nothing here reads the desk or makes SQL: :func:`deskterm.desk.filter.resolved.resolve_query`
looks the names up once, and :mod:`deskterm.desk.filter.sql` runs the result as bound SQL.

An example::

    status:open,pending priority:>=high assignee:me -tag:spam org:"Acme Corp" created:<7d
    sort:-priority "printer jam" toner

Grammar (whitespace separates terms; a double-quoted section may hold whitespace)::

    query  = [ term { space term } ]
    term   = [ "-" ] ( field ":" values  |  text )
    field  = letter { letter | digit | "_" }          case-insensitive
    values = value { "," value }                       a comma means OR
    value  = [ op ] piece { piece }                    op = "<=" | ">=" | "<" | ">" | "="
    text   = piece { piece }
    piece  = bare | quoted
    bare   = characters other than space and '"' (and, inside values, ',')
    quoted = '"' { character | '\\"' | '\\\\' } '"'

Field terms AND together, also when a field repeats (``tag:vpn tag:wifi`` needs both). A leading
``-`` negates a term; ``-assignee:bert`` keeps unassigned tickets. Text terms (bare words and
quoted phrases) are searched in subjects and every message; they AND together too. A term that
looks like ``word:`` is always a field term: quote it (``"re:"``) to search for the text.

Fields:

- ``status`` (new, open, pending, on_hold, solved, closed), ``type``, ``channel``: names,
  case-insensitive (``on-hold`` and ``"on hold"`` mean ``on_hold``)
- ``priority`` (low < normal < high < urgent) and ``tier`` (1-3): a name or number, optionally
  compared: ``priority:>=high``, ``tier:<3``
- ``assignee``: usernames, ``me`` or ``none``; ``group``: group names or ``none``
- ``tag``: tags (any of them); ``requester``: e-mail addresses or domains (``acme.com``)
- ``org``: organization names (``organization`` also works)
- ``created``, ``updated``: an age (``7d``; units m, h, d, w) or a UTC date or time
  (``2026-01-01``, ``2026-01-01T09:00``, ``2026-01-01T09:00:30``), optionally compared.
  ``<7d`` is younger than 7 days, ``>7d`` older; a bare ``7d`` is between 7 and 8 days old. A date
  or time stands for its whole day, minute or second: ``>2026-01-01`` starts on the 2nd,
  ``<=2026-01-01`` ends with the 1st, a bare ``2026-01-01`` is that day. Years 1900-2999.
- ``sla``: ``breached`` (the next SLA due time has passed), ``at_risk`` (running, under a
  quarter of its target's time left), ``none`` (no target running: no policy, all met, or the
  clock paused), or business time left compared: ``sla:<1h`` (breached ones included),
  ``sla:>=4h``; units m and h, counted in each ticket's policy calendar
- ``solved``, ``closed``: when the ticket was last solved, or closed, as ``created``
  (``solved:<7d``, ``solved:>=2026-11-01``); the reports open the queue with them
- ``frt`` (time to the first public reply), ``resolution`` (time from creation to the last
  solve): a time taken (``4h``; units m, h, d, w), optionally compared: ``frt:>4h`` took more
  than 4 hours, ``frt:<=30m`` at most 30 minutes, a bare ``frt:4h`` between 4 and 5 hours;
  ``frt:none`` has no public reply yet
- ``bfrt``, ``bresolution`` (also ``frt_business``, ``resolution_business``): as ``frt`` and
  ``resolution``, in business time where the ticket's SLA policy has a calendar (the minutes
  the SLA kernel stored when the reply or the solve came), on the wall clock elsewhere:
  ``bfrt:>4h`` took more than 4 business hours (``1d`` is 24 of them); ``bfrt:none`` has no
  public reply yet
- ``sla_met``, ``sla_missed``: SLA targets (``first_response``, ``next_response``,
  ``resolution``; ``first-response`` works too) that ended met in time, or missed (late, or
  ended unmet): ``sla_missed:resolution``; for ``next_response`` (a ticket may have many),
  ``sla_missed`` is any one missed and ``sla_met`` every one that ended met. A target still
  running is neither (``sla:breached`` finds those late now)
- ``logged``: when time was logged on the ticket (a reply or note by an agent with minutes),
  as ``created``: ``logged:>=2026-11-01 logged:<2026-12-01`` had minutes logged in November
- ``missed``: when the ticket missed an SLA target, dated as the reports count it — the first
  response by the ticket's creation, the resolution by its last solve (still solved or
  closed), a next response by when it ended; ``nr_missed``: when a next response ended
  missed. The terms of each of ``logged``, ``missed`` and ``nr_missed`` (not negated) speak
  of one and the same reply or target: ``nr_missed:>=2026-11-01 nr_missed:<2026-12-01`` is a
  next response missed in November, not one before December and another after October
- ``csat``: the requester's rating (1-5), optionally compared (``csat:<3``, ``csat:5``);
  ``csat:none`` is not rated; ``rated``: ``yes`` or ``no``
- ``replies``: how many public replies agents wrote (``replies:1`` answered in one touch,
  ``replies:>=3``); ``reopened``, ``merged``: ``yes`` or ``no``
- ``sort``: one of updated, created, priority, number, status, subject, requester, organization,
  assignee, group, sla (the next SLA due time, none last); prefix ``-`` for descending; or
  ``relevance``: the best matches of the words first (bm25 / ts_rank; newest first instead
  when the words match too much of the desk to rank). At most one; the default is ``-updated``.

A query holds at most :data:`MAX_TERMS` terms in at most :data:`MAX_LENGTH` characters. A text
term without a letter or digit (``(``, ``...``, ``--``) is left out: the search finds words and
punctuation only separates them, here as inside a word (``(toner)`` is ``toner``). Such terms
were once looked for as substrings, each one a read of every message (16 ``(`` took 42 s on a
5,000-ticket PostgreSQL desk).

Every error is a :class:`QueryError` with the offset and length of the bad term or value, and a
message naming it; nothing else escapes :func:`parse_query` or :func:`to_filter`, whatever the
input. Values reach the database only as bound parameters.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar, cast

from deskterm.db.choices import CHANNELS, PRIORITIES, STATUSES, TICKET_TYPES
from deskterm.desk.errors import InvalidInput
from deskterm.desk.filter.ticket_filter import (
    RELEVANCE,
    SORT_NAMES,
    Clause,
    ClauseValue,
    NumberRange,
    SlaWithin,
    TextMatch,
    TicketFilter,
    TimeRange,
)

_T = TypeVar("_T")
DEFAULT_SORT = "-updated"
SLA_STATES = ("breached", "at_risk", "none")
SLA_TARGET_NAMES = ("first_response", "next_response", "resolution")
"""The targets ``sla_met:`` and ``sla_missed:`` name (as the SLA kernel does)."""
ONE_ROW_TIMES = ("logged", "missed", "nr_missed")
"""Time fields whose terms (those not negated) all speak of one row (a message with minutes, an
SLA target that ended): their ranges are intersected, not matched one by one."""
SCORES = (1, 2, 3, 4, 5)
YES_NO = ("yes", "no")
TIERS = (1, 2, 3)
MAX_AGE = timedelta(days=36_525)
"""Ages reach back at most a hundred years."""
YEARS = (1900, 2999)
_OPS = ("<=", ">=", "<", ">", "=")
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
            "=": operator.eq, "": operator.eq}
_FIELD_NAME = re.compile(r"([^\W\d_]\w*):")
# ASCII digits only: \d alone also takes Arabic-Indic and other digits that int() reads.
_AGE = re.compile(r"(\d{1,9})([mhdw])", re.IGNORECASE | re.ASCII)
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
          "w": timedelta(weeks=1)}
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2}))?)?", re.ASCII)
_SHOWN = 60
"""Longest a term is quoted in an error message."""
MAX_TERMS = 50
"""Most terms a filter or a KB search may hold. The built-in views hold 1-3 and a long typed
filter 10; each text term is one more join for the database to plan and run (100 rare words
on a 5,000-ticket PostgreSQL desk: 2.1-2.2 s, against 0.3-0.5 s for 50), and 3,000 negated
words once ran for minutes."""
MAX_LENGTH = 2_000
"""Most characters a filter or a KB search may hold: 25 full lines of an 80-column terminal,
far beyond anything typed; it also bounds comma lists (``tag:a,b,c,...``)."""


class QueryError(InvalidInput):
    """A query the language does not accept; ``position``/``length`` locate the bad part."""

    def __init__(self, message: str, *, position: int, length: int) -> None:
        super().__init__(message)
        self.position = position
        self.length = length

    def pointer(self, text: str) -> str:
        """Two lines for a monospaced display: the query, then carets under the bad part.

        Wide (CJK) characters count two columns and combining marks none; control characters
        and tabs show as a space, so the carets stay aligned.
        """
        shown = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
        start = min(max(self.position, 0), len(shown))
        end = min(start + max(self.length, 0), len(shown))
        indent = _width(shown[:start])
        carets = max(_width(shown[start:end]), 1)
        return f"{shown}\n{' ' * indent}{'^' * carets}"


def _width(text: str) -> int:
    """Terminal columns ``text`` takes."""
    total = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


# --- What a parse gives ------------------------------------------------------------------------


@dataclass(frozen=True)
class Age:
    """How long ago (``7d``): ``delta``, counted in steps of ``unit`` (a day for ``7d``)."""

    delta: timedelta
    unit: timedelta


@dataclass(frozen=True)
class Period:
    """A day, minute or second in UTC, from ``start`` for ``length``."""

    start: datetime
    length: timedelta


@dataclass(frozen=True)
class Value:
    """One value of a field term: the text as typed (quotes removed), its operator and meaning.

    ``meaning`` is the value made canonical: a status or priority name, a tier number, an
    :class:`Age` or :class:`Period`, a lower-cased tag, a name as typed.
    """

    text: str
    op: str
    meaning: object
    position: int
    length: int


@dataclass(frozen=True)
class FieldTerm:
    """``[-]field:value,value``: the field matches any value (negated: none)."""

    field: str
    values: tuple[Value, ...]
    negated: bool
    position: int
    length: int


@dataclass(frozen=True)
class TextTerm:
    """A bare word or quoted phrase to find in subjects and messages (negated: to be absent)."""

    text: str
    negated: bool
    phrase: bool
    position: int
    length: int


@dataclass(frozen=True)
class ParsedQuery:
    """A query taken apart, with where each term stands in ``text``."""

    text: str
    field_terms: tuple[FieldTerm, ...] = ()
    text_terms: tuple[TextTerm, ...] = ()
    sort: str = DEFAULT_SORT
    sort_term: FieldTerm | None = None


# --- Tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    """A bare run or a quoted section of a word; ``start``/``end`` include the quotes."""

    text: str
    quoted: bool
    start: int
    end: int


@dataclass(frozen=True)
class _Word:
    """A maximal run of text outside whitespace (quoted sections may hold whitespace)."""

    pieces: tuple[_Piece, ...]
    start: int
    end: int


def _check_characters(text: str) -> None:
    for index, ch in enumerate(text):
        category = unicodedata.category(ch)
        if (category == "Cc" and not ch.isspace()) or category == "Cs":
            raise QueryError(f"character U+{ord(ch):04X} at column {index + 1} cannot be "
                             "searched for: remove it", position=index, length=1)


def _quoted(text: str, start: int) -> _Piece:
    """The quoted section opening at ``start``; ``\\"`` and ``\\\\`` stand for ``"`` and ``\\``."""
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        ch = text[index]
        if ch == "\\" and text[index + 1:index + 2] in ('"', "\\"):
            chars.append(text[index + 1])
            index += 2
        elif ch == '"':
            return _Piece("".join(chars), True, start, index + 1)
        else:
            chars.append(ch)
            index += 1
    raise QueryError(f"unterminated quote at column {start + 1}: close it with \"",
                     position=start, length=len(text) - start)


def _bare(text: str, start: int) -> _Piece:
    index = start
    while index < len(text) and not text[index].isspace() and text[index] != '"':
        index += 1
    return _Piece(text[start:index], False, start, index)


def _words(text: str) -> list[_Word]:
    """Split ``text`` into words, keeping where each piece stands."""
    words = []
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        start, pieces = index, []
        while index < len(text) and not text[index].isspace():
            piece = _quoted(text, index) if text[index] == '"' else _bare(text, index)
            pieces.append(piece)
            index = piece.end
        words.append(_Word(tuple(pieces), start, index))
    return words


# --- Fields ------------------------------------------------------------------------------------


class _Bad(Exception):
    """A value a field refuses; says why (turned into a QueryError at the value)."""


def _shorten(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN - 1] + "…"


def _choice(field: str, choices: Sequence[str]) -> Callable[[str], str]:
    def read(text: str) -> str:
        name = re.sub(r"[\s-]+", "_", text.strip().lower())
        if name not in choices:
            raise _Bad(f"unknown {field} '{_shorten(text)}' ({', '.join(choices)})")
        return name

    return read


def _tier(text: str) -> int:
    if text.strip() not in ("1", "2", "3"):
        raise _Bad(f"tier '{_shorten(text)}' is not 1, 2 or 3")
    return int(text.strip())


def _name(text: str) -> str:
    """An agent or group name as typed; ``me`` and ``none`` in any case."""
    cleaned = text.strip()
    if not cleaned:
        raise _Bad("the name is empty")
    return cleaned.lower() if cleaned.lower() in ("me", "none") else cleaned


def _plain(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise _Bad("the value is empty")
    return cleaned


def _lower(text: str) -> str:
    return _plain(text).lower()


def _when(text: str) -> Age | Period:
    """An age (``7d``) or a UTC date or time (``2026-01-01``, ``2026-01-01T09:00``)."""
    bad = _Bad(f"bad date or age '{_shorten(text)}' (use 7d, 12h, 30m, 2w, 2026-01-01 or "
               "2026-01-01T09:00)")
    age = _AGE.fullmatch(text.strip())
    if age:
        unit = _UNITS[age.group(2).lower()]
        count = int(age.group(1))
        # Compared before multiplying: 999999999w is past what a timedelta can hold.
        if count > MAX_AGE // unit:
            raise _Bad(f"'{_shorten(text)}' reaches back more than a hundred years")
        return Age(count * unit, unit)
    date = _DATE.fullmatch(text.strip())
    if not date:
        raise bad
    year, month, day = (int(part) for part in date.groups()[:3])  # always there
    hour, minute, second = (int(part) if part else None for part in date.groups()[3:])
    if not YEARS[0] <= year <= YEARS[1]:
        raise _Bad(f"year {year} in '{_shorten(text)}' is outside {YEARS[0]}-{YEARS[1]}")
    try:
        start = datetime(year, month, day, hour or 0, minute or 0, second or 0, tzinfo=UTC)
    except ValueError:
        raise _Bad(f"'{_shorten(text)}' is not a real date or time") from None
    if hour is None:
        return Period(start, timedelta(days=1))
    return Period(start, timedelta(minutes=1) if second is None else timedelta(seconds=1))


def _sla(text: str) -> str | int:
    """An SLA state (breached, at_risk, none) or business minutes (``1h``, ``30m``)."""
    cleaned = text.strip().lower()
    name = re.sub(r"[\s-]+", "_", cleaned)
    if name in SLA_STATES:
        return name
    age = _AGE.fullmatch(cleaned)
    if age is None or age.group(2) not in ("m", "h"):
        raise _Bad(f"unknown sla '{_shorten(text)}' ({', '.join(SLA_STATES)}, or time left: "
                   "<1h, <30m)")
    minutes = int(age.group(1)) * (60 if age.group(2) == "h" else 1)
    if minutes > 366 * 24 * 60:
        raise _Bad(f"'{_shorten(text)}' is more than a year")
    return minutes
def _taken(text: str) -> Age:
    """A time taken: ``4h``, ``30m``, ``2d``, ``1w``."""
    age = _AGE.fullmatch(text.strip())
    if not age:
        raise _Bad(f"bad time '{_shorten(text)}' (use 30m, 4h, 2d or 1w)")
    unit = _UNITS[age.group(2).lower()]
    count = int(age.group(1))
    if count > MAX_AGE // unit:
        raise _Bad(f"'{_shorten(text)}' is more than a hundred years")
    return Age(count * unit, unit)


def _taken_or_none(text: str) -> Age | str:
    if text.strip().lower() == "none":
        return "none"
    return _taken(text)


def _count(text: str) -> int:
    cleaned = text.strip()
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 6:
        raise _Bad(f"bad count '{_shorten(text)}' (a number such as 1 or 3)")
    return int(cleaned)


def _score(text: str) -> int | str:
    """A CSAT rating 1-5, or ``none`` (not rated)."""
    cleaned = text.strip().lower()
    if cleaned == "none":
        return cleaned
    if cleaned not in ("1", "2", "3", "4", "5"):
        raise _Bad(f"csat '{_shorten(text)}' is not a rating 1-5 or none")
    return int(cleaned)


def _sort_order(text: str) -> str:
    cleaned = text.strip().lower()
    if cleaned == RELEVANCE:  # best match of the words first; it has no other direction
        return RELEVANCE
    name = cleaned.lstrip("-+")
    if name not in SORT_NAMES or len(cleaned) - len(name) > 1:
        raise _Bad(f"unknown sort '{_shorten(text)}' ({', '.join(SORT_NAMES)}, {RELEVANCE}; "
                   "prefix - for descending)")
    return f"-{name}" if cleaned.startswith("-") else name


@dataclass(frozen=True)
class _Field:
    read: Callable[[str], object]
    compares: bool = False


FIELDS: dict[str, _Field] = {
    "status": _Field(_choice("status", STATUSES)),
    "priority": _Field(_choice("priority", PRIORITIES), compares=True),
    "type": _Field(_choice("type", TICKET_TYPES)),
    "channel": _Field(_choice("channel", CHANNELS)),
    "tier": _Field(_tier, compares=True),
    "assignee": _Field(_name),
    "group": _Field(_name),
    "tag": _Field(_lower),
    "requester": _Field(_lower),
    "org": _Field(_plain),
    "created": _Field(_when, compares=True),
    "updated": _Field(_when, compares=True),
    "sla": _Field(_sla, compares=True),
    "solved": _Field(_when, compares=True),
    "closed": _Field(_when, compares=True),
    "logged": _Field(_when, compares=True),
    "missed": _Field(_when, compares=True),
    "nr_missed": _Field(_when, compares=True),
    "frt": _Field(_taken_or_none, compares=True),
    "resolution": _Field(_taken, compares=True),
    "bfrt": _Field(_taken_or_none, compares=True),
    "bresolution": _Field(_taken, compares=True),
    "sla_met": _Field(_choice("SLA target", SLA_TARGET_NAMES)),
    "sla_missed": _Field(_choice("SLA target", SLA_TARGET_NAMES)),
    "csat": _Field(_score, compares=True),
    "rated": _Field(_choice("rated", YES_NO)),
    "replies": _Field(_count, compares=True),
    "reopened": _Field(_choice("reopened", YES_NO)),
    "merged": _Field(_choice("merged", YES_NO)),
    "sort": _Field(_sort_order),
}
"""Every field the language knows and how its values are read."""
ALIASES = {"organization": "org", "organisation": "org", "frt_business": "bfrt",
           "resolution_business": "bresolution"}


# --- Parsing -----------------------------------------------------------------------------------


def term_error(text: str, start: int, end: int, why: str, *, at: tuple[int, int] | None = None
                ) -> QueryError:
    """``<term> — <why>``, pointing at ``at`` (a span) or else the whole term."""
    position, stop = at if at else (start, end)
    return QueryError(f"{_shorten(text[start:end])} — {why}", position=position,
                      length=stop - position)


def _split_values(pieces: Sequence[_Piece]) -> list[list[_Piece]]:
    """The pieces after ``field:``, grouped into values at unquoted commas."""
    values: list[list[_Piece]] = [[]]
    for piece in pieces:
        if piece.quoted:
            values[-1].append(piece)
            continue
        offset = piece.start
        for index, part in enumerate(piece.text.split(",")):
            if index:
                values.append([])
            if part:
                values[-1].append(_Piece(part, False, offset, offset + len(part)))
            offset += len(part) + 1
    return values


def _operator(pieces: list[_Piece]) -> tuple[str, list[_Piece]]:
    """A leading comparison operator (only outside quotes) and the pieces after it."""
    if pieces and not pieces[0].quoted:
        first = pieces[0]
        for op in _OPS:
            if first.text.startswith(op):
                rest = _Piece(first.text[len(op):], False, first.start + len(op), first.end)
                return op, ([rest] if rest.text else []) + pieces[1:]
    return "", pieces


_EXAMPLES = {
    "status": "status:open", "priority": "priority:>=high", "type": "type:incident",
    "channel": "channel:email", "tier": "tier:2", "assignee": "assignee:me",
    "group": "group:billing", "tag": "tag:vpn", "requester": "requester:acme.com",
    "org": 'org:"Acme Corp"', "created": "created:<7d", "updated": "updated:>2026-01-01",
    "sla": "sla:breached", "sort": "sort:-priority", "solved": "solved:<7d",
    "closed": "closed:<7d", "logged": "logged:<7d", "missed": "missed:<7d",
    "nr_missed": "nr_missed:<7d",
    "frt": "frt:>4h", "resolution": "resolution:<2d", "replies": "replies:1",
    "reopened": "reopened:yes", "merged": "merged:no", "bfrt": "bfrt:>4h",
    "bresolution": "bresolution:<2d", "sla_met": "sla_met:first_response",
    "sla_missed": "sla_missed:resolution", "csat": "csat:<3", "rated": "rated:yes",
}
"""What a missing value of each field could look like."""


def _value(text: str, word: _Word, field: str, pieces: list[_Piece]) -> Value:
    spec = FIELDS[field]
    if not pieces:
        raise term_error(text, word.start, word.end,
                          f"a value is missing (e.g. {_EXAMPLES[field]})")
    span = (pieces[0].start, pieces[-1].end)
    op, rest = _operator(pieces)
    typed = "".join(piece.text for piece in rest)
    if op and not spec.compares:
        raise term_error(text, word.start, word.end,
                          f"{field} takes no comparison '{op}' (write {field}:value)", at=span)
    if not typed.strip():
        raise term_error(text, word.start, word.end,
                          f"a value is missing after '{op}'" if op else "a value is empty",
                          at=span)
    try:
        meaning = spec.read(typed)
    except _Bad as bad:
        raise term_error(text, word.start, word.end, str(bad), at=span) from None
    return Value(typed, op, meaning, span[0], span[1] - span[0])



def _field_term(text: str, word: _Word, name: str, negated: bool,
                pieces: Sequence[_Piece]) -> FieldTerm:
    field = ALIASES.get(name.lower(), name.lower())
    if field not in FIELDS:
        shown = _shorten(text[word.start:word.end])
        raise term_error(
            text, word.start, word.end,
            f"unknown field '{_shorten(name)}' ({', '.join(FIELDS)}); to search for the text, "
            f"quote it: \"{shown.lstrip('-')}\"")
    values = tuple(_value(text, word, field, group) for group in _split_values(pieces))
    return FieldTerm(field, values, negated, word.start, word.end - word.start)


def _term(text: str, word: _Word) -> FieldTerm | TextTerm | None:
    """What one word says: a field term, a text term, or nothing (an empty phrase, or one with
    no letter or digit)."""
    pieces = list(word.pieces)
    negated = not pieces[0].quoted and pieces[0].text.startswith("-")
    if negated:
        first = pieces[0]
        rest = _Piece(first.text[1:], False, first.start + 1, first.end)
        pieces = ([rest] if rest.text else []) + pieces[1:]
        if not pieces:
            raise QueryError(f"'-' at column {word.start + 1} leaves nothing out: put a term "
                             "right after it (-tag:spam)", position=word.start, length=1)
    head = pieces[0]
    named = None if head.quoted else _FIELD_NAME.match(head.text)
    if named:
        after = head.start + named.end()
        value_pieces = pieces[1:]
        if head.end > after:
            value_pieces.insert(0, _Piece(head.text[named.end():], False, after, head.end))
        return _field_term(text, word, named.group(1), negated, value_pieces)
    words = " ".join("".join(piece.text for piece in pieces).split())
    if not any(ch.isalnum() for ch in words):  # punctuation only separates words (as
        # deskterm.db.search.searchable says), here as inside them
        return None
    return TextTerm(words, negated, any(piece.quoted for piece in pieces) or " " in words,
                    word.start, word.end - word.start)


def _sort_of(text: str, terms: Sequence[FieldTerm]) -> tuple[str, FieldTerm | None]:
    sorts = [term for term in terms if term.field == "sort"]
    if not sorts:
        return DEFAULT_SORT, None
    term = sorts[0]
    end = term.position + term.length
    if len(sorts) > 1:
        extra = sorts[1]
        raise term_error(text, extra.position, extra.position + extra.length,
                          "only one sort: term, please")
    if term.negated:
        raise term_error(text, term.position, end,
                          "sort cannot be negated; for descending order write sort:-name")
    if len(term.values) > 1:
        raise term_error(text, term.position, end, "sort takes one order, not a list")
    return str(term.values[0].meaning), term


def check_size(text: str, starts: Sequence[int], *, what: str = "filter") -> None:
    """Refuse ``text`` (a ``what``) past :data:`MAX_LENGTH` characters or with more than
    :data:`MAX_TERMS` terms (``starts``: where each term begins), pointing at the excess."""
    if len(text) > MAX_LENGTH:
        raise QueryError(f"the {what} is {len(text):,} characters; at most {MAX_LENGTH:,}",
                         position=MAX_LENGTH, length=len(text) - MAX_LENGTH)
    if len(starts) > MAX_TERMS:
        first = starts[MAX_TERMS]
        raise QueryError(f"the {what} has {len(starts):,} terms; at most {MAX_TERMS}",
                         position=first, length=len(text) - first)


def parse_query(text: str) -> ParsedQuery:
    """Take a query apart; raises :class:`QueryError` (and nothing else) for a malformed one."""
    if len(text) > MAX_LENGTH:  # before reading it: its characters could be anything
        check_size(text, ())
    _check_characters(text)
    words = _words(text)
    check_size(text, [word.start for word in words])
    field_terms: list[FieldTerm] = []
    text_terms: list[TextTerm] = []
    for word in words:
        term = _term(text, word)
        if isinstance(term, FieldTerm):
            field_terms.append(term)
        elif term is not None:
            text_terms.append(term)
    sort, sort_term = _sort_of(text, field_terms)
    return ParsedQuery(
        text=text,
        field_terms=tuple(term for term in field_terms if term.field != "sort"),
        text_terms=tuple(text_terms),
        sort=sort,
        sort_term=sort_term,
    )


# --- From terms to a filter --------------------------------------------------------------------


def _compared(choices: Sequence[_T], values: Sequence[Value]) -> tuple[_T, ...]:
    """The choices (in order) that any value's comparison admits: ``>=high`` is high, urgent."""
    rank = {choice: index for index, choice in enumerate(choices)}
    # A compared value's meaning is one of the choices (the parser made it so); it is typed object.
    return tuple(choice for choice in choices
                 if any(_COMPARE[value.op](rank[choice], rank[value.meaning])  # type: ignore[index]
                        for value in values))


def _age_range(age: Age, op: str, now: datetime) -> TimeRange:
    """``<7d``: since 7 days ago; ``>7d``: before then; ``7d``: between 8 and 7 days ago."""
    moment = now - age.delta
    if op == "<":
        return TimeRange(start=moment, start_inclusive=False)
    if op == "<=":
        return TimeRange(start=moment)
    if op == ">":
        return TimeRange(end=moment)
    if op == ">=":
        return TimeRange(end=moment, end_inclusive=True)
    return TimeRange(start=moment - age.unit, start_inclusive=False, end=moment,
                     end_inclusive=True)


def _period_range(period: Period, op: str) -> TimeRange:
    """``>D``: after that day; ``>=D``: from it; ``<D``: before it; ``<=D``: up to its end."""
    start, end = period.start, period.start + period.length
    if op == ">":
        return TimeRange(start=end)
    if op == ">=":
        return TimeRange(start=start)
    if op == "<":
        return TimeRange(end=start)
    if op == "<=":
        return TimeRange(end=end)
    return TimeRange(start=start, end=end)


def _time_range(value: Value, now: datetime) -> TimeRange:
    when = value.meaning
    if isinstance(when, Age):
        return _age_range(when, value.op, now)
    assert isinstance(when, Period)
    return _period_range(when, value.op)


def _number_range(low: float, unit: float, op: str) -> NumberRange:
    """``>4h``: more than 4 hours; ``<=4h``: at most; a bare ``4h``: from 4 to 5 hours."""
    if op == ">":
        return NumberRange(start=low, start_inclusive=False)
    if op == ">=":
        return NumberRange(start=low)
    if op == "<":
        return NumberRange(end=low)
    if op == "<=":
        return NumberRange(end=low, end_inclusive=True)
    return NumberRange(start=low, end=low + unit)


def _taken_range(value: Value) -> NumberRange | str:
    taken = value.meaning
    if isinstance(taken, str):  # "none": no first response yet
        return taken
    assert isinstance(taken, Age)
    return _number_range(taken.delta.total_seconds(), taken.unit.total_seconds(), value.op)


def _scores(parsed: ParsedQuery, term: FieldTerm) -> tuple[ClauseValue, ...]:
    """The ratings ``csat:`` admits, in order (``<3``: 1, 2), and ``none`` (not rated)."""
    found: list[ClauseValue] = []
    for value in term.values:
        if value.meaning == "none":
            if value.op:
                raise term_error(parsed.text, term.position, term.position + term.length,
                                 f"csat:none takes no comparison '{value.op}'",
                                 at=(value.position, value.position + value.length))
            found.append("none")
        else:
            found.extend(score for score in SCORES
                         if _COMPARE[value.op](score, cast(int, value.meaning))
                         and score not in found)
    return tuple(found)


def _clause(parsed: ParsedQuery, term: FieldTerm, now: datetime) -> Clause:
    values: tuple[ClauseValue, ...]
    if term.field == "sla":
        sla: list[ClauseValue] = []
        for value in term.values:
            if isinstance(value.meaning, str):
                if value.op:
                    raise term_error(parsed.text, term.position, term.position + term.length,
                                     f"sla:{value.meaning} takes no comparison '{value.op}'",
                                     at=(value.position, value.position + value.length))
                sla.append(value.meaning)
            else:
                sla.append(SlaWithin(cast(int, value.meaning), value.op or "<="))
        return Clause(term.field, tuple(sla), term.negated)
    if term.field == "priority":
        values = _compared(PRIORITIES, term.values)
    elif term.field == "tier":
        values = _compared(TIERS, term.values)
    elif term.field in ("created", "updated", "solved", "closed", *ONE_ROW_TIMES):
        values = tuple(_time_range(value, now) for value in term.values)
    elif term.field in ("frt", "resolution", "bfrt", "bresolution"):
        values = tuple(_taken_range(value) for value in term.values)
    elif term.field == "csat":
        values = _scores(parsed, term)
    elif term.field == "replies":
        values = tuple(_number_range(cast(int, value.meaning), 1, value.op)
                       for value in term.values)
    else:
        values = tuple(cast(ClauseValue, value.meaning) for value in term.values)
    return Clause(term.field, values, term.negated)


def _clauses(parsed: ParsedQuery, now: datetime) -> list[tuple[FieldTerm, Clause]]:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return [(term, _clause(parsed, term, now)) for term in parsed.field_terms]


def _filter(parsed: ParsedQuery, clauses: Sequence[tuple[FieldTerm, Clause]]) -> TicketFilter:
    return TicketFilter(
        clauses=tuple(clause for _, clause in clauses),
        text=tuple(TextMatch(term.text, term.negated) for term in parsed.text_terms),
    )


def to_filter(parsed: ParsedQuery, *, now: datetime) -> tuple[TicketFilter, str]:
    """The ticket filter and sort order a parsed query asks for, ages counted back from ``now``.

    Raises :class:`QueryError` for a term the desk cannot answer. Names of
    agents, groups and organizations are looked up later, once, by
    :func:`deskterm.desk.filter.resolved.resolve_query`.
    """
    return _filter(parsed, _clauses(parsed, now)), parsed.sort


def with_sort(text: str, sort: str) -> str:
    """``text`` ordered by ``sort`` instead: its ``sort:`` term replaced, added or dropped.

    The default order needs no term, so choosing it removes the one there was. ``text`` must
    parse (the queue only re-sorts a query it is showing).
    """
    parsed = parse_query(text)
    sort = _sort_order(sort)
    term = parsed.sort_term
    if term is not None:
        before, after = text[:term.position].rstrip(), text[term.position + term.length:].strip()
        text = f"{before} {after}".strip()
    if sort == DEFAULT_SORT:
        return text
    return f"{text} sort:{sort}".strip()
