"""What the desk accepts: names, free text and numbers, checked where a value enters.

The console, the CLI and imports all reach the store through the desk, so a value the store
would refuse is refused here first, with one line naming the field, and the same way on SQLite
and PostgreSQL:

- **Numbers** (ticket refs, versions, minutes, limits) fit PostgreSQL's 32-bit ``integer``
  (:data:`INT_MAX`); SQLite would take a bigger one and PostgreSQL fail on it.
- **Names** (usernames, display names, e-mail addresses, group, macro, view and category names,
  skills) are one line: no control characters at all (newline, tab, NUL, ESC, C1), no line or
  paragraph separators, no bidi overrides or isolates; each within its column's size.
- **Free text** (subjects, bodies, notes, descriptions, article and macro bodies) keeps its
  lines; NUL (U+0000) is removed, as the display removes the other control characters
  (:mod:`deskterm.desk.safe_text`), because PostgreSQL cannot store it in ``text`` and SQLite
  can, so keeping it would make the two stores differ.
- **Invalid UTF-8** never gets in: Python hands undecodable bytes (from a command line, a file
  name) over as lone surrogates, which neither store can encode; such text is refused.
"""

from __future__ import annotations

import re

from deskterm.desk.errors import InvalidInput

INT_MAX = 2**31 - 1
"""The largest PostgreSQL ``integer``: ticket numbers, versions and counts stay within it."""

MAX_READ = 4_000_000
"""Characters read from standard input (``--body -``), bytes read from a macro file: four times
the longest text (1,000,000 characters), so a text is never cut short, while more is refused
instead of read until memory runs out (``< /dev/zero``)."""

_SURROGATES = re.compile("[\ud800-\udfff]")
_NOT_IN_NAMES = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_SHOWN_DIGITS = 18


def storable(text: str) -> bool:
    """Whether ``text`` can be stored or looked up the same way on both stores."""
    return "\x00" not in text and not _SURROGATES.search(text)


def _refuse_invalid_utf8(text: str, field: str) -> None:
    found = _SURROGATES.search(text)
    if found:
        raise InvalidInput(f"{field}: not valid UTF-8 text (an undecodable byte at character "
                           f"{found.start() + 1})")


def check_name(value: str, *, field: str, max_length: int) -> str:
    """A one-line name, stripped: not empty, no control characters, at most ``max_length``."""
    _refuse_invalid_utf8(value, field)
    name = value.strip()
    if not name:
        raise InvalidInput(f"{field}: must not be empty")
    found = _NOT_IN_NAMES.search(name)
    if found:
        raise InvalidInput(f"{field}: must not hold control characters (U+{ord(found.group()):04X}"
                           f" at character {found.start() + 1})")
    if len(name) > max_length:
        raise InvalidInput(f"{field}: longer than {max_length:,} characters")
    return name


def check_text(value: str, *, field: str, max_length: int | None = None) -> str:
    """Free text with its lines: NUL removed, invalid UTF-8 refused, at most ``max_length``."""
    _refuse_invalid_utf8(value, field)
    text = value.replace("\x00", "")
    if max_length is not None and len(text) > max_length:
        raise InvalidInput(f"{field}: longer than {max_length:,} characters")
    return text


def shown_number(value: int) -> str:
    """``value`` for a message; a number of hundreds of digits is not echoed whole."""
    return str(value) if abs(value) < 10**_SHOWN_DIGITS else "a number that large"


def check_int(value: int, *, field: str, low: int = 1, high: int = INT_MAX) -> int:
    """``value`` if ``low <= value <= high``; else one line naming the field and the range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field}: {value!r} is not a whole number")
    if not low <= value <= high:
        raise InvalidInput(f"{field}: {shown_number(value)} is not between {low:,} and {high:,}")
    return value
