"""Make untrusted text (customer mail, imports, names) inert before it reaches a terminal.

Removes escape sequences (CSI, OSC, DCS, APC, PM, SOS, and two-byte ESC sequences), C0 controls
except tab and newline, DEL, C1 controls (U+0080-U+009F, which some terminals obey as 8-bit
escapes) and bidirectional overrides and isolates that could make text display in a misleading
order. Nothing here parses or produces markup: callers render the result as plain text.

A string sequence (OSC, DCS ...) that is never terminated loses only its introducer: the text
after it stays, inert. Taking everything to the end (as a terminal would swallow it) cut the
rest of a message, and in an editor that loss would be saved: a Latin-1 mis-decoded quote
ends in U+009D, an 8-bit OSC introducer.
"""

from __future__ import annotations

import re

from deskterm.redact import mask_secrets

_ESCAPE_SEQUENCES = re.compile(
    r"""
    \x1b\[ [0-?]* [ -/]* [@-~]?                      # CSI ... final byte
    | (?: \x1b [P\]X^_] | [\x90\x9d\x98\x9e\x9f] )        # DCS, OSC, SOS, PM, APC (7 or 8 bit)
      [^\x07\x1b\x90\x98\x9c-\x9f]*+ (?: \x07 | \x1b\\ | \x9c )   # ... up to their terminator
    | \x9b [0-?]* [ -/]* [@-~]?                       # 8-bit CSI
    | \x1b [ -/]* [0-~]?                              # other ESC sequences (ESC c, ESC ( B ...)
    """,
    re.VERBOSE | re.DOTALL,
)
_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)


def clean(text: str) -> str:
    """``text`` without escape sequences, control characters or bidi overrides."""
    if not text:
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", _ESCAPE_SEQUENCES.sub("", text))


def clean_line(text: str) -> str:
    """:func:`clean`, then on one line: newlines and tabs become spaces (for lists and tables)."""
    return " ".join(clean(text).split())


_UNSURE_WIDTH = re.compile(
    "[\u00ad\u180e\u200b\u200d\u2060-\u2064\ufeff\ufe00-\ufe0f\U0001f3fb-\U0001f3ff]"
)
"""Characters whose width terminals disagree on: zero-width spaces and the joiner, the soft hyphen
(drawn as ``-`` by some), variation selectors (U+FE0F widens an emoji in some) and emoji skin-tone
modifiers (joined to the emoji, or drawn as a swatch of their own). A table measures its cells
as Rich does (each 0, or 2 for a modifier); a terminal drawing them otherwise shifts every
column after them. A ZWJ sequence such as a family emoji is one glyph in some terminals and its
parts in others; without the joiner it is its parts everywhere. The zero-width non-joiner
(U+200C) stays: Persian is spelt with it, and terminals agree it takes no cell."""


def cell_line(text: str) -> str:
    """:func:`clean_line` for a cell of a table or list, where the columns after it must line
    up on every terminal: without the characters of :data:`_UNSURE_WIDTH`. Display only: the
    text itself (and the thread, the editors, ``--json``) keeps them."""
    return _UNSURE_WIDTH.sub("", clean_line(text))


def display_text(text: str) -> str:
    """:func:`clean` for text drawn beside other columns (a thread next to the sidebar): without
    the characters of :data:`_UNSURE_WIDTH`, so the column after it stays where it is."""
    return _UNSURE_WIDTH.sub("", clean(text))


MAX_QUOTED = 80
"""Characters of a quoted value a message shows (``'...'`` or a backquoted command): the rest of
a longer one is cut with an ellipsis, so a 50,000-character argument is not echoed whole."""

_LONG_QUOTED = re.compile(rf"(['`])([^'`]{{{MAX_QUOTED + 1},}})\1")


def _shorten_quoted(match: re.Match[str]) -> str:
    quote, value = match.group(1), match.group(2)
    return f"{quote}{value[:MAX_QUOTED - 1]}…{quote}"


def message_line(text: str) -> str:
    """An error or refusal for the terminal: one line (a driver's lines joined with ``; ``),
    cleaned, with any database password hidden (see :mod:`deskterm.redact`) and each quoted
    value at most :data:`MAX_QUOTED` characters."""
    joined = "; ".join(line.strip() for line in text.splitlines() if line.strip())
    return _LONG_QUOTED.sub(_shorten_quoted, mask_secrets(clean_line(mask_secrets(joined))))
