"""An article's Markdown as plain text a customer can read in a reply.

The article's body goes into a reply as text, not as Markdown: a customer's mail program shows
``**Settings**`` and ``[the portal](https://…)`` as they are typed. Parsed with markdown-it-py
(CommonMark, with tables and strikethrough: the parser Textual's ``Markdown`` widget uses, so
the reader and the reply agree on what the text says), then written out:

- headings, paragraphs and quotes as their text, one blank line between blocks; emphasis,
  strikethrough and code-span marks go, their text stays;
- list items as ``• item`` or ``1. item`` (an ordered list keeps its numbers), nested ones
  indented; a quote is indented by two spaces, a table is one line a row (``a | b``);
- code blocks kept exactly, indented by four spaces;
- a link as ``label (https://url)`` (just the address when the label is the address; the
  address of a ``mailto:`` link without its scheme); an image as its alt text and address.
  Only ``http``, ``https`` and ``mailto`` targets are written: a ``javascript:``, ``data:`` or
  ``file:`` link, or a relative one (which means nothing outside the help center), leaves only
  its label, so such a target never reaches a customer as an address;
- raw HTML is text (never interpreted), and escape sequences are removed
  (:mod:`deskterm.desk.safe_text`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from deskterm.desk.kb.render import is_safe_link
from deskterm.desk.safe_text import clean

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

BULLET = "•"
CODE_INDENT = "    "
QUOTE_INDENT = "  "
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.\-]*):")
_BLANK_RUNS = re.compile(r"\n{3,}")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # loaded when an article is first inserted

    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    # Every target is parsed as a link, so an unsafe one is dropped here by its label (the
    # parser's own check would leave ``[label](javascript:…)`` in the text, target and all).
    md.validateLink = lambda url: True  # type: ignore[method-assign]  # markdown-it's own hook
    return md


def reply_target(url: str) -> str | None:
    """The address a customer may be shown for a link target: http(s) as it is, a ``mailto:``
    address without its scheme; None for anything else (unsafe schemes, relative links)."""
    url = url.strip()
    scheme = _SCHEME.match(url)
    if scheme is None or not is_safe_link(url):
        return None
    if scheme.group(1).lower() == "mailto":
        address = url[scheme.end():].strip()
        return address or None
    return url


def _inline(children: list[Token]) -> str:
    """One inline run as text: marks dropped, links as ``label (url)``."""
    out: list[str] = []
    links: list[tuple[int, str | None]] = []  # where each open link's label starts, its target
    for token in children:
        kind = token.type
        if kind in ("text", "code_inline", "html_inline"):
            out.append(token.content)
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("\n")
        elif kind == "link_open":
            links.append((len(out), reply_target(str(token.attrs.get("href") or ""))))
        elif kind == "link_close" and links:
            start, target = links.pop()
            label = "".join(out[start:]).strip()
            if target is not None and target not in (label, f"mailto:{label}"):
                out.append(f" ({target})" if label else target)
        elif kind == "image":
            alt = "".join(child.content for child in token.children or ()) or token.content
            target = reply_target(str(token.attrs.get("src") or ""))
            shown = " ".join(part for part in (alt.strip(), f"({target})" if target else "")
                             if part)
            out.append(shown or "")
    return "".join(out)


def _indent(text: str, prefix: str, first: str | None = None) -> list[str]:
    lines = text.split("\n")
    lead = prefix if first is None else first
    return [lead + lines[0]] + [(prefix + line) if line else "" for line in lines[1:]]


class _Writer:
    """Walks the block tokens, writing lines; lists and quotes push their indentation."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.at = 0

    def blocks(self, closing: str | None = None) -> list[str]:
        """The blocks up to the token ``closing`` (or the end), as paragraphs of lines."""
        paragraphs: list[str] = []
        while self.at < len(self.tokens):
            token = self.tokens[self.at]
            self.at += 1
            kind = token.type
            if kind == closing:
                break
            if kind == "inline":
                paragraphs.append(_inline(token.children or []).strip())
            elif kind in ("fence", "code_block"):
                code = token.content.rstrip("\n")
                paragraphs.append("\n".join(_indent(code, CODE_INDENT)))
            elif kind in ("bullet_list_open", "ordered_list_open"):
                paragraphs.append(self.list(kind.replace("_open", "_close")))
            elif kind == "blockquote_open":
                inner = "\n\n".join(p for p in self.blocks("blockquote_close") if p)
                paragraphs.append("\n".join(_indent(inner, QUOTE_INDENT)))
            elif kind == "table_open":
                paragraphs.append(self.table())
        return paragraphs

    def list(self, closing: str) -> str:
        items: list[str] = []
        tight = True
        while self.at < len(self.tokens):
            token = self.tokens[self.at]
            self.at += 1
            if token.type == closing:
                break
            if token.type != "list_item_open":
                continue
            marker = f"{token.info}{token.markup}" if token.info else BULLET
            following = self.tokens[self.at] if self.at < len(self.tokens) else None
            # markdown-it hides the paragraphs of a tight list (no blank line between items)
            if following is not None and following.type == "paragraph_open":
                tight = tight and following.hidden
            inner = self.blocks("list_item_close")
            text = "\n".join(p for p in inner if p)
            items.append("\n".join(_indent(text, " " * (len(marker) + 1), f"{marker} ")))
        return ("\n" if tight else "\n\n").join(items)

    def table(self) -> str:
        rows: list[str] = []
        cells: list[str] = []
        while self.at < len(self.tokens):
            token = self.tokens[self.at]
            self.at += 1
            if token.type == "table_close":
                break
            if token.type == "inline":
                cells.append(" ".join(_inline(token.children or []).split()))
            elif token.type == "tr_close":
                rows.append(" | ".join(cells))
                cells = []
        return "\n".join(rows)


def plain_reply_text(markdown: str) -> str:
    """``markdown`` (an article's body) as plain text for a reply (see the module's docstring)."""
    tokens = _parser().parse(clean(markdown))
    paragraphs = [p for p in _Writer(tokens).blocks() if p.strip()]
    text = "\n\n".join(paragraphs)
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return clean(_BLANK_RUNS.sub("\n\n", text)).strip("\n")


__all__ = ["BULLET", "plain_reply_text", "reply_target"]
