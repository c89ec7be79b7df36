"""HTML mail as readable plain text, by a real HTML parser (the standard library's).

Customers' mail clients send HTML only more and more often; the desk shows text. The parser
(:class:`html.parser.HTMLParser`, which never fails on broken markup) walks the tags: scripts,
styles and the head are dropped; paragraphs, headings, list items, table rows and ``<br>`` break
lines; a list item starts with ``- ``; a ``<blockquote>`` is quoted with ``> `` (so the quoted
history folds like a plain-text one); a link shows its address after its text when the two
differ; an image shows its ``alt`` text; ``<pre>`` keeps its spacing; every other run of
whitespace is one space, as a browser shows it. Entities are decoded. The text is never markup:
callers render it as plain text.
"""

from __future__ import annotations

from html.parser import HTMLParser

_DROPPED = frozenset({"script", "style", "head", "title", "template", "noscript", "svg"})
_BLOCKS = frozenset({
    "address", "article", "aside", "center", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "header", "hr", "main", "nav", "ol",
    "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul",
})
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed",
                   "source", "track", "wbr"})
MAX_DEPTH = 200
"""Tags nested deeper than this are read as text of their parent (no unbounded stack)."""


def _blank(line: str) -> bool:
    return not line.replace(">", "").strip()


class _TextMaker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.dropping = 0
        self.pre = 0
        self.quote = 0
        self.stack: list[str] = []
        self.links: list[str | None] = []
        self.link_text: list[str] = []

    # --- building lines ---
    def _prefix(self) -> str:
        return "> " * self.quote

    def _break(self, blank: bool = False) -> None:
        line = "".join(self.current)
        if self.pre == 0:
            line = " ".join(line.split())
        empty = self._prefix().rstrip()  # a blank line inside a quote stays quoted
        if line.strip() or (self.lines and not _blank(self.lines[-1])):
            self.lines.append((self._prefix() + line).rstrip() if line.strip() else empty)
        self.current = []
        if blank and self.lines and not _blank(self.lines[-1]):
            self.lines.append(empty)

    def _add(self, text: str) -> None:
        self.current.append(text)
        if self.links:
            self.link_text.append(text)

    # --- the parser's callbacks ---
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID:
            if len(self.stack) >= MAX_DEPTH:
                return
            self.stack.append(tag)
        if tag in _DROPPED:
            self.dropping += 1
            return
        if self.dropping:
            return
        found = dict(attrs)
        if tag == "br":
            self._break()
        elif tag in _PARAGRAPHS:
            self._break(blank=True)
            if tag == "pre":
                self.pre += 1
            elif tag == "blockquote":
                self.quote += 1
        elif tag == "li":
            self._break()
            self._add("- ")
        elif tag in _BLOCKS:
            self._break()
        elif tag in ("td", "th"):
            if "".join(self.current).strip():
                self._add(" | ")
        elif tag == "img":
            alt = (found.get("alt") or "").strip()
            if alt:
                self._add(f"[{alt}]")
        elif tag == "a":
            self.links.append(found.get("href"))
            self.link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or tag not in self.stack:
            return
        while self.stack:  # close what was left open inside it too (<p><b>text</p>)
            open_tag = self.stack.pop()
            self._close(open_tag)
            if open_tag == tag:
                break

    def _close(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropping -= 1
            return
        if self.dropping:
            return
        if tag in _PARAGRAPHS:
            self._break(blank=True)
            if tag == "pre":
                self.pre -= 1
            elif tag == "blockquote":
                self.quote -= 1
                if self.lines and _blank(self.lines[-1]):
                    self.lines[-1] = self._prefix().rstrip()
        elif tag in _BLOCKS or tag == "li":
            self._break()
        elif tag == "a" and self.links:
            href = (self.links.pop() or "").strip()
            shown = " ".join("".join(self.link_text).split())
            if (href.lower().startswith(("http://", "https://", "mailto:"))
                    and href.removeprefix("mailto:") != shown):
                self._add(f" ({href.removeprefix('mailto:')})")

    def handle_data(self, data: str) -> None:
        if self.dropping:
            return
        if self.pre:
            parts = data.split("\n")
            for at, part in enumerate(parts):
                if at:
                    self._break()
                self._add(part)
        else:
            self._add(data)

    def text(self) -> str:
        self._break()
        while self.lines and _blank(self.lines[-1]):
            self.lines.pop()
        return "\n".join(self.lines).strip("\n")


def html_to_text(html: str) -> str:
    """The readable text of an HTML document or fragment (see the module's docstring)."""
    maker = _TextMaker()
    maker.feed(html)
    maker.close()
    return maker.text()


__all__ = ["html_to_text"]
