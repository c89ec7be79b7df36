"""A customer's mail split into what they wrote now and the history their client quoted below.

The desk stores a mail's text whole; the thread view folds the history. :func:`split_quoted`
finds where the history starts, at the first of:

- an **attribution line** (``On Mon, 7 Dec 2026 at 09:00, Ada <ada@desk.test> wrote:``, also
  wrapped over two lines, and its usual forms in German, French, Spanish, Italian, Dutch,
  Portuguese, Polish, Swedish and Russian);
- an **Outlook separator** (``-----Original Message-----``, ``________________________________``
  followed by a ``From:`` line) or an Outlook header block (``From:`` then ``Sent:``/``Date:``
  and ``To:``/``Subject:`` within the next lines, in English or German);
- a **quoted tail**: a line starting with ``>`` after which every non-blank line is quoted too
  (a customer answering between quoted lines keeps all of it as new text).

When nothing but history would be left as new text (the whole mail is a quote), nothing is
split. Pure: no store, no terminal.
"""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(
    r"""^\s*(?:
        on\s.{1,300}\swrote\s*:              # On <date>, <name> wrote:
      | am\s.{1,300}\sschrieb\s.{0,200}:     # Am <date> schrieb <name>:
      | .{1,300}\sschrieb\s*:                # <name> schrieb:
      | le\s.{1,300}\sa\s+écrit\s*:          # Le <date>, <name> a écrit :
      | el\s.{1,300}\sescribió\s*:           # El <date>, <name> escribió:
      | il\s.{1,300}\sha\s+scritto\s*:       # Il <date>, <name> ha scritto:
      | op\s.{1,300}\sschreef\s.{0,200}:     # Op <date> schreef <name>:
      | em\s.{1,300}\sescreveu\s*:           # Em <date>, <name> escreveu:
      | w\s+dniu\s.{1,300}\spisze\s*:        # W dniu <date> <name> pisze:
      | den\s.{1,300}\sskrev\s.{0,200}:      # Den <date> skrev <name>:
      | .{1,300}\sпишет\s*:                  # <name> пишет:
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_SEPARATOR = re.compile(r"^\s*-{2,}\s*(?:original message|ursprüngliche nachricht|"
                        r"message d'origine|mensaje original)\s*-{2,}\s*$", re.IGNORECASE)
_UNDERLINE = re.compile(r"^\s*_{10,}\s*$")
_FROM = re.compile(r"^\s*\*?(?:from|von|de|da|od|от)\s*:\*?\s", re.IGNORECASE)
_OUTLOOK_FIELDS = re.compile(r"^\s*\*?(?:sent|date|gesendet|datum|envoyé|to|an|à|subject|"
                             r"betreff|objet|cc)\s*:", re.IGNORECASE)
_HEADER_LOOKAHEAD = 5


def _is_attribution(lines: list[str], at: int) -> bool:
    line = lines[at]
    if _ATTRIBUTION.match(line):
        return True
    # A client wrapped it: "On Mon, 7 Dec 2026 at 09:00, Ada Admin <" / "ada@desk.test> wrote:"
    return (at + 1 < len(lines) and bool(line.strip()) and len(line) < 300
            and bool(_ATTRIBUTION.match(f"{line.rstrip()} {lines[at + 1].strip()}")))


def _is_outlook_block(lines: list[str], at: int) -> bool:
    line = lines[at]
    if _SEPARATOR.match(line):
        return True
    if _UNDERLINE.match(line):
        return at + 1 < len(lines) and bool(_FROM.match(lines[at + 1]))
    if not _FROM.match(line):
        return False
    following = lines[at + 1:at + 1 + _HEADER_LOOKAHEAD]
    return sum(1 for other in following if _OUTLOOK_FIELDS.match(other)) >= 2


def _quoted_from(lines: list[str]) -> list[bool]:
    """For each line: whether it and every line after it is quoted (``>``) or blank."""
    tail = [False] * len(lines)
    quoted = True
    for at in range(len(lines) - 1, -1, -1):
        stripped = lines[at].lstrip()
        quoted = quoted and (stripped.startswith(">") or not stripped)
        tail[at] = quoted and stripped.startswith(">")
    return tail


def history_start(body: str) -> int | None:
    """The index (a character offset in ``body``) where the quoted history starts, or None."""
    lines = body.split("\n")
    quoted_tail = _quoted_from(lines)
    offset = 0
    for at, line in enumerate(lines):
        if quoted_tail[at] or _is_attribution(lines, at) or _is_outlook_block(lines, at):
            return offset if body[:offset].strip() else None
        offset += len(line) + 1
    return None


def split_quoted(body: str) -> tuple[str, str]:
    """``(new text, quoted history)`` of a mail's text; the history is ``""`` when there is
    none. The two joined give the text back (``new + history == body``, up to the blank
    lines between them, which stay with the new text)."""
    start = history_start(body)
    if start is None:
        return body, ""
    return body[:start], body[start:]


__all__ = ["history_start", "split_quoted"]
