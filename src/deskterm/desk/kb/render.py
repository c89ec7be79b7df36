"""Showing article text safely: Markdown for the reader, highlights and snippets for results.

Article text comes from agents and from imports, so it is untrusted like customer mail.
:func:`safe_markdown` is what the knowledge-base screen hands to Textual's ``Markdown`` widget:
no terminal escapes (:mod:`deskterm.desk.safe_text`), and a link whose target is not ``http``,
``https``, ``mailto`` or a relative address (``javascript:``, ``data:``, ``vbscript:``, ``file:``
...) becomes plain text showing its label and target. Markdown is never Textual markup, so
``[@click=app.quit]`` stays text. The widget should still be made with ``open_links=False`` and
its ``LinkClicked`` checked with :func:`is_safe_link` before anything is opened.

Highlighting is done here, not by the database, so both stores give the same spans: a term
matches where the text holds it as a whole word (a prefix for a prefix term), ignoring case and
Latin accents; a term in a script written without spaces matches as a substring.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from deskterm.db.kb_search import Term
from deskterm.desk.safe_text import clean, clean_line, display_text

SAFE_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.DOTALL)
# [label](destination "title") and ![alt](...); the label may hold one level of brackets.
_INLINE_LINK = re.compile(
    r"(!?)\[((?:[^\[\]\\]|\\.|\[[^\[\]]*\])*)\]\(\s*(<[^>]*>|(?:[^()\s\\]|\\.|\([^()]*\))*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)")
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^<>\s]*)>")
_REFERENCE = re.compile(r"^( {0,3}\[(?:[^\[\]\\]|\\.)+\]:)[ \t]*(<[^>]*>|\S+)(.*)$")
_HTML_HREF = re.compile(r"<[A-Za-z][^<>]*\b(?:href|src)\s*=", re.IGNORECASE)
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~])")


def is_safe_link(target: str) -> bool:
    """Whether a link target may be followed: http(s), mailto, or no scheme (relative)."""
    unescaped = re.sub(r"\\(.)", r"\1", html.unescape(target.strip().strip("<>")))
    squeezed = "".join(ch for ch in unescaped if not ch.isspace() and ch.isprintable()).lower()
    scheme = _SCHEME.match(squeezed)
    return scheme is None or scheme.group(1) in SAFE_SCHEMES


def _literal(text: str) -> str:
    """Text that Markdown shows exactly as it is (its punctuation backslash-escaped)."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def _defuse_line(line: str) -> str:
    """One line outside code blocks, with its unsafe links turned into plain text."""
    if _HTML_HREF.search(line):
        line = line.replace("<", "&lt;")  # raw HTML is shown as text, never as a link
    reference = _REFERENCE.match(line)
    if reference and not is_safe_link(reference.group(2)):
        return _literal(line)
    pieces, at = [], 0
    for code in _CODE_SPAN.finditer(line):  # code spans are shown as they are
        pieces.append(_defuse_text(line[at:code.start()]))
        pieces.append(code.group(0))
        at = code.end()
    pieces.append(_defuse_text(line[at:]))
    return "".join(pieces)


def _unsafe_inline(match: re.Match[str]) -> str:
    bang, label, target = match.group(1), match.group(2), match.group(3)
    if is_safe_link(target):
        return match.group(0)
    return f"{_literal(label)} ({_literal(target)})" if not bang else _literal(
        f"[image: {label}] ({target})")


def _defuse_text(text: str) -> str:
    text = _INLINE_LINK.sub(_unsafe_inline, text)
    return _AUTOLINK.sub(lambda m: m.group(0) if is_safe_link(m.group(1))
                         else _literal(m.group(1)), text)


def safe_markdown(body: str) -> str:
    """``body`` ready for a Markdown widget: no escape sequences, no unsafe links, none of the
    characters terminals disagree on the width of (``safe_text.display_text``)."""
    out, fence = [], None
    for line in display_text(body).split("\n"):
        opener = _FENCE.match(line)
        if fence is not None:
            out.append(line)
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence = None
            continue
        if opener:
            fence = opener.group(1)
            out.append(line)
            continue
        out.append(line if line.startswith(("    ", "\t")) else _defuse_line(line))
    return "\n".join(out)


# --- Plain text, highlights, snippets -----------------------------------------------------------

SNIPPET_SOURCE = 4_000
"""How much of a body a snippet looks into for its first match (the rest: from the start)."""
_MD_LINK_TEXT = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(^|\s)(#{1,6}|>|[*+-]|\d+[.)])\s+|[*_`~]{1,3}")


def plain_text(markdown: str) -> str:
    """Markdown as one line of text for a snippet: links become their labels, marks go."""
    text = _MD_LINK_TEXT.sub(r"\1", clean(markdown))
    return clean_line(_MD_MARKS.sub(r"\1", text))


@lru_cache(maxsize=4096)
def _fold(ch: str) -> str:
    """How search compares a character: case folded, and Latin letters without accents."""
    folded = ch.casefold()
    if ch.isascii():
        return folded
    decomposed = unicodedata.normalize("NFD", folded)
    if decomposed and ord(decomposed[0]) < 0x0250:  # Latin: drop the combining marks
        return "".join(c for c in decomposed if not unicodedata.combining(c)) or folded
    return folded


def fold(text: str) -> str:
    """``text`` folded as search compares it (see :func:`_fold`)."""
    return text.lower() if text.isascii() else "".join(_fold(ch) for ch in text)


class _Same:
    """The index map of a text folded to the same length: position i is character i."""

    def __getitem__(self, i: int) -> int:
        return i


_ACCENTED = re.compile("[\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f]")


def _folded_with_map(text: str) -> tuple[str, list[int] | _Same]:
    if text.isascii():
        return text.lower(), _Same()
    if not _ACCENTED.search(text):  # no Latin accents to drop: folding keeps the length
        folded = text.casefold()
        if len(folded) == len(text):
            return folded, _Same()
    chars, where = [], []
    for i, ch in enumerate(text):
        for f in _fold(ch):
            chars.append(f)
            where.append(i)
    return "".join(chars), where


def _is_word(ch: str) -> bool:
    return ch.isalnum()


def highlight_spans(text: str, terms: Sequence[Term]) -> tuple[tuple[int, int], ...]:
    """(start, end) character ranges of ``text`` where a term matches, sorted, not overlapping."""
    if not text or not terms:
        return ()
    folded, where = _folded_with_map(text)
    spans = []
    for term in terms:
        needle = fold(" ".join(term.text.split()))
        if not needle:
            continue
        start = folded.find(needle)
        while start >= 0:
            end = start + len(needle)
            whole = term.cjk or (
                (start == 0 or not _is_word(folded[start - 1])) and
                (term.prefix or end == len(folded) or not _is_word(folded[end])))
            if whole:
                spans.append((where[start], where[end - 1] + 1))
            start = folded.find(needle, start + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def snippet(markdown: str, terms: Sequence[Term], *,
            width: int = 160) -> tuple[str, tuple[tuple[int, int], ...]]:
    """About ``width`` characters of the article's text around its first match (or its
    beginning), one line, with the matches' spans in it."""
    text = plain_text(markdown[:SNIPPET_SOURCE])
    spans = highlight_spans(text, terms)
    start = 0
    if spans and spans[0][1] > width - 20:
        start = max(0, spans[0][0] - width // 3)
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and start - space < 20 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start + width // 2, end)
        end = space if space > 0 else end
    shown = text[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    inside = tuple((max(a, start) + shift, min(b, end) + shift) for a, b in spans
                   if a < end and b > start)
    return prefix + shown + suffix, inside


__all__ = ["SAFE_SCHEMES", "fold", "highlight_spans", "is_safe_link", "plain_text",
           "safe_markdown", "snippet"]
