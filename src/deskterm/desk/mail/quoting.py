"""Where a customer's new text ends and the quoted history of the conversation begins.

A reply by mail usually carries the whole conversation below (or between) the customer's new
lines. The thread view folds that history to one line (``z`` shows it). Three signs mark it:

- an attribution line, ``On <date>, <someone> wrote:`` (also broken over two lines, as mail
  programs wrap it): it and everything after it is history;
- ``-----Original Message-----`` (Outlook), or Outlook's header block ``From:`` followed by
  ``Sent:`` / ``Date:`` within the next lines: everything from there on is history;
- lines quoted with ``>``: each run of two or more (blank lines inside a run belong to it) is
  history of its own, so an answer written between quotes stays visible.

Plain text in, plain text out: nothing here is markup, nothing is parsed as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ATTRIBUTION = re.compile(r"^\s*On\s.{0,300}\bwrote:\s*$", re.IGNORECASE)
_ATTRIBUTION_START = re.compile(r"^\s*On\s.{4,300}$", re.IGNORECASE)
_WROTE_END = re.compile(r"^.{0,300}\bwrote:\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message)\s*-{2,}\s*$",
                       re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"^\s*\**From:\**\s", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(r"^\s*\**(Sent|Date):\**\s", re.IGNORECASE)
_QUOTED = re.compile(r"^\s*>")

MIN_QUOTED_RUN = 2
"""A single ``>`` line is shown as it is: folding it would save nothing."""


@dataclass(frozen=True)
class Part:
    """A run of lines of a message: the customer's own text, or quoted history."""

    quoted: bool
    lines: tuple[str, ...]


def _history_start(lines: list[str]) -> int | None:
    """The first line of the history that runs to the end, or None."""
    for index, line in enumerate(lines):
        if _ATTRIBUTION.match(line) or _ORIGINAL.match(line):
            return index
        if (_ATTRIBUTION_START.match(line) and index + 1 < len(lines)
                and _WROTE_END.match(lines[index + 1]) and not line.rstrip().endswith(".")):
            return index
        if _OUTLOOK_FROM.match(line) and any(
                _OUTLOOK_SENT.match(following) for following in lines[index + 1:index + 4]):
            return index
    return None


def split_quoted(body: str) -> list[Part]:
    """``body`` as parts in order; the quoted ones are what the thread folds."""
    lines = body.split("\n")
    start = _history_start(lines)
    own, history = (lines, []) if start is None else (lines[:start], lines[start:])
    parts: list[Part] = []
    run: list[str] = []  # the current run of own text

    def flush_text(chunk: list[str]) -> None:
        if chunk:
            if parts and not parts[-1].quoted:
                parts[-1] = Part(False, parts[-1].lines + tuple(chunk))
            else:
                parts.append(Part(False, tuple(chunk)))

    index = 0
    while index < len(own):
        if _QUOTED.match(own[index]):
            end = index
            last_quoted = index
            while end < len(own) and (_QUOTED.match(own[end]) or not own[end].strip()):
                if _QUOTED.match(own[end]):
                    last_quoted = end
                end += 1
            block = own[index:last_quoted + 1]
            if sum(1 for line in block if _QUOTED.match(line)) >= MIN_QUOTED_RUN:
                flush_text(run)
                run = []
                parts.append(Part(True, tuple(block)))
            else:
                run.extend(block)
            index = last_quoted + 1
            continue
        run.append(own[index])
        index += 1
    flush_text(run)
    while history and not history[-1].strip():
        history.pop()
    if history:
        parts.append(Part(True, tuple(history)))
    shown: list[Part] = []
    for place, part in enumerate(parts):
        if not part.quoted and place + 1 < len(parts):  # blank lines before a fold: dropped
            part = Part(False, _trim_end(part.lines))
        if part.lines:
            shown.append(part)
    return shown


def _trim_end(lines: tuple[str, ...]) -> tuple[str, ...]:
    end = len(lines)
    while end > 0 and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def quoted_lines(body: str) -> int:
    """How many lines of ``body`` are quoted history."""
    return sum(len(part.lines) for part in split_quoted(body) if part.quoted)
