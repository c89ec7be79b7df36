"""Pieces of the knowledge-base screens that hold no store code: lines for articles and hits,
the article list, and the one-key "insert as" question of the ticket screen.

Article titles, snippets and category names are untrusted: they are drawn as ``Text`` built
from plain strings (cleaned by ``safe_text``), never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static

from deskterm.desk.safe_text import cell_line

if TYPE_CHECKING:
    from deskterm.desk.kb.articles import ArticleSummary
    from deskterm.desk.kb.categories import CategoryRead
    from deskterm.desk.kb.reply import InsertChoices
    from deskterm.desk.kb.search import SearchHit

MATCH_STYLE = "bold reverse"
"""How a search match is marked in titles and snippets."""


def highlighted(text: str, spans: Sequence[tuple[int, int]], *, style: str = "") -> Text:
    """``text`` (already safe, one line) with the ``spans`` marked as matches."""
    line = Text(text, style=style, no_wrap=True, overflow="ellipsis", end="")
    for start, end in spans:
        line.stylize(MATCH_STYLE, start, end)
    return line


def status_mark(article: ArticleSummary) -> Text:
    mark = Text(end="")
    if article.status != "published":
        mark.append(" draft", style="italic yellow")
    if article.visibility == "public":
        mark.append(" public", style="dim green")
    return mark


def article_line(article: ArticleSummary) -> Text:
    """One article in the list: its title and whether it is a draft or public."""
    line = Text(cell_line(article.title), no_wrap=True, overflow="ellipsis", end="")
    line.append_text(status_mark(article))
    return line


SNIPPET_CHARACTERS = 100
"""Of a hit's snippet in the list: about two lines of the list's width."""


def hit_lines(hit: SearchHit, *, room: int = SNIPPET_CHARACTERS, width: int | None = None) -> Text:
    """A search hit: the title with its matches marked, then the snippet around the first.
    ``width``: the list's, to which the title line is cut with an ellipsis (the snippet wraps
    under it)."""
    lines = highlighted(hit.title, hit.title_spans, style="bold")
    lines.append_text(status_mark(hit.article))
    if width is not None and width > 0:
        lines.truncate(width, overflow="ellipsis")
    lines.append("\n")
    text, spans = hit.snippet, hit.snippet_spans
    if len(text) > room:
        cut = text.rfind(" ", 0, room)
        cut = cut if cut > room // 2 else room
        text = text[:cut].rstrip() + " …"
        spans = tuple((start, min(end, cut)) for start, end in spans if start < cut)
    lines.append_text(highlighted(text, spans, style="dim"))
    return lines


def category_label(category: CategoryRead, articles: int) -> Text:
    """A category in the tree: its name and its articles (those below it included)."""
    label = Text(cell_line(category.name), end="")
    if articles:
        label.append(f" {articles}", style="dim")
    return label


class ArticleList(OptionList):
    """The articles of a category, or a search's hits; ``enter`` opens the highlighted one."""

    BINDINGS = [Binding("enter", "select", "Open", id="kb.open")]


class InsertAs(ModalScreen[str | None]):
    """How an article goes into the composer: ``l`` a link, ``b`` its text (plain text).

    What is offered is the domain's (:func:`deskterm.desk.kb.reply.insert_choices`): into a
    public reply an internal article is shown with a warning (its text then needs a
    confirmation, asked by the ticket screen), and when no link is offered the line says why
    and ``l`` only repeats it."""

    BINDINGS = [
        Binding("l", "choose('link')", "Link", id="insert-as.link"),
        Binding("b", "choose('body')", "Text", id="insert-as.body"),
        Binding("escape", "cancel", "Cancel", id="insert-as.cancel"),
    ]

    def __init__(self, title: str, choices: InsertChoices) -> None:
        super().__init__()
        self.article_title = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        choices = self.choices
        where = "the reply to the requester" if choices.public else "the internal note"
        with Vertical(classes="dialog"):
            yield Static(Text(f"Insert “{cell_line(self.article_title)}” into {where}"),
                         classes="dialog-title")
            if choices.needs_confirmation:
                yield Static(Text("⚠ Internal article: written for agents, not for customers. "
                                  "Its text goes into this reply only once you confirm it.",
                                  style="bold red"), id="insert-as-warning")
            line = Text()
            if choices.link is not None:
                line.append(" l ", style="bold reverse")
                line.append(" a link to its page   " if choices.public else " a kb: reference   ")
            line.append(" b ", style="bold reverse")
            line.append(" its text, as plain text" + ("…" if choices.needs_confirmation else ""))
            yield Static(line)
            detail = (Text(cell_line(choices.link)) if choices.link is not None
                      else Text(f"No link: {choices.no_link}", style="italic"))
            yield Static(detail, classes="dialog-detail", id="insert-as-link")
            yield Static("escape: insert nothing", classes="dialog-hint")

    def action_choose(self, how: str) -> None:
        if how == "link" and self.choices.link is None:
            self.notify(f"No link: {self.choices.no_link}", severity="warning", timeout=6)
            return
        self.dismiss(how)

    def action_cancel(self) -> None:
        self.dismiss(None)
