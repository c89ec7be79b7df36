"""The knowledge-base screen (``2``): the category tree, the article list, the reader.

``/`` searches every article (best match first, the matches marked in titles and snippets),
``enter`` opens the highlighted article in the reader, ``n`` writes a new one, ``e`` edits the
open one (:class:`~deskterm.screens.kb_editor.ArticleEditor`), ``p`` publishes or unpublishes
it, ``d`` deletes it after asking. Reads and writes run in thread workers and come back as
messages; article text reaches the reader only through ``kb.render.safe_markdown`` and names
and titles only as ``Text``.

Below 120 columns the screen shows one side at a time: the tree and the list, then the reader
alone when an article opens (``escape`` or ``\\`` back to the list, ``\\`` to the reader
again). Wider, the three panes share the width and ``\\`` gives the reader all of it.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Markdown, Static, Tree
from textual.widgets.option_list import Option
from textual.widgets.tree import TreeNode

from deskterm.desk.filter.language import QueryError
from deskterm.desk.kb import articles as kb_articles
from deskterm.desk.kb import categories as kb_categories
from deskterm.desk.kb import search as kb_search
from deskterm.desk.kb.render import is_safe_link, safe_markdown
from deskterm.desk.safe_text import cell_line
from deskterm.desk.service import Desk, QueryStopped
from deskterm.messages import (
    KbArticleOpened,
    KbArticlesListed,
    KbArticleToEdit,
    KbArticleWritten,
    KbCategoriesLoaded,
    KbSearched,
    KbSearchRefused,
)
from deskterm.screens.dialogs import Confirm
from deskterm.screens.kb_editor import ArticleEditor
from deskterm.screens.kb_widgets import ArticleList, article_line, category_label, hit_lines
from deskterm.screens.palette import KbCommands
from deskterm.screens.reporting import ReportsWorkerErrors
from deskterm.screens.sizing import SizeClasses
from deskterm.widgets.editors import SafeInput
from deskterm.widgets.footer import KeysFooter

SEARCH_WAIT_SECONDS = 0.2
"""The search runs this long after the agent stops typing (or at once on ``enter``)."""

ALL = "all"
UNCATEGORIZED = "none"


def subtree_counts(categories: list[kb_categories.CategoryRead]) -> dict[int, int]:
    """Each category's articles, those of its subcategories included (the list shows them)."""
    totals = {c.id: c.articles for c in categories}
    for category in reversed(categories):  # depth first: children come after their parent
        if category.parent_id is not None:
            totals[category.parent_id] += totals[category.id]
    return totals


READING = "-reading"
"""The screen's class while the reader is shown alone."""


class KbScreen(ReportsWorkerErrors, SizeClasses):
    """Browse, search, read and write the team's articles."""

    COMMANDS = Screen.COMMANDS | {KbCommands}
    AUTO_FOCUS = "#kb-tree"

    BINDINGS = [
        Binding("escape", "back", "Back", id="kb.back"),
        # One key, two bindings: the footer names the side it goes to.
        Binding("backslash", "read", "Reader", id="kb.reader"),
        Binding("backslash", "browse", "Articles", id="kb.articles"),
        Binding("slash", "search", "Search", id="kb.search"),
        Binding("n", "new", "New", id="kb.new"),
        Binding("e", "edit", "Edit", id="kb.edit"),
        Binding("p", "toggle_publish", "Publish/unpublish", id="kb.publish"),
        Binding("d", "delete", "Delete", id="kb.delete"),
    ]

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.categories: list[kb_categories.CategoryRead] = []
        self.key = ALL
        """What the list shows: ``all``, ``none`` (uncategorized) or ``c<category id>``."""
        self.listed: list[kb_articles.ArticleSummary] = []
        self.hits: list[kb_search.SearchHit] = []
        self.searching = ""
        """The query whose hits the list shows ('' when it lists a category)."""
        self.article: kb_articles.ArticleRead | None = None
        self._search_timer: Timer | None = None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "read":
            return self.article is not None and not self.reading
        if action == "browse":
            return self.reading
        return True

    def compose(self) -> ComposeResult:
        with Horizontal(id="kb-body"):
            tree: Tree[str] = Tree(Text("All articles", style="bold"), data=ALL, id="kb-tree")
            tree.show_root = True
            tree.auto_expand = False  # enter goes to the category's articles
            yield tree
            with Vertical(id="kb-list-pane"):
                with Horizontal(id="kb-search-bar"):
                    yield Static("/", id="kb-search-prompt")
                    yield SafeInput(placeholder="search every article", id="kb-search")
                yield Static(id="kb-list-title")
                yield ArticleList(id="kb-articles")
            with Vertical(id="kb-reader-pane"):
                yield Static(id="kb-article-title")
                yield Static(id="kb-article-meta")
                with VerticalScroll(id="kb-reader-scroll"):
                    yield Markdown(id="kb-reader", open_links=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#kb-article-title", Static).update(
            Text("Nothing open: enter on an article reads it", style="dim"))
        self.load_categories()

    # --- the panes -------------------------------------------------------------------------

    @property
    def reading(self) -> bool:
        """The reader is shown alone (the tree and the list are behind ``\\``)."""
        return self.has_class(READING)

    def action_read(self) -> None:
        """``\\``: the open article alone, the whole width for its text."""
        if self.article is None:
            return
        self.add_class(READING)
        self.query_one("#kb-reader-scroll").focus()
        self.refresh_bindings()

    def action_browse(self) -> None:
        """``\\`` or ``escape`` from the reader: the tree and the list again."""
        self.remove_class(READING)
        self.query_one(ArticleList).focus()
        self.refresh_bindings()

    def narrow_changed(self, narrow: bool) -> None:
        """Narrow, the reader (if the agent is in it) goes alone; wide again, every pane
        shows."""
        if narrow and self.article is not None and self._in_reader():
            self.action_read()
        elif not narrow and self.reading:
            self.remove_class(READING)
        super().narrow_changed(narrow)

    def _in_reader(self) -> bool:
        focused = self.focused
        pane = self.query_one("#kb-reader-pane")
        return focused is not None and (focused is pane or pane in focused.ancestors)

    # --- loading -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="kb-categories", exit_on_error=False)
    def load_categories(self) -> None:
        self.post_message(KbCategoriesLoaded(self.desk.list_categories()))

    def on_kb_categories_loaded(self, message: KbCategoriesLoaded) -> None:
        self.categories = message.categories
        tree = self.query_one("#kb-tree", Tree)
        keep = self.key
        tree.clear()
        nodes: dict[int | None, TreeNode[str]] = {}
        cursor = tree.root
        totals = subtree_counts(message.categories)
        for category in message.categories:
            parent = nodes.get(category.parent_id, tree.root)
            node = parent.add(category_label(category, totals[category.id]),
                              data=f"c{category.id}", expand=True)
            nodes[category.id] = node
            if keep == f"c{category.id}":
                cursor = node
        node = tree.root.add_leaf(Text("Uncategorized", style="italic"), data=UNCATEGORIZED)
        if keep == UNCATEGORIZED:
            cursor = node
        tree.root.expand()
        self.call_after_refresh(tree.move_cursor, cursor)
        if self.key not in {ALL, UNCATEGORIZED} | {n.data for n in nodes.values()}:
            self.key = ALL
        self.list_articles(self.key)

    @on(Tree.NodeHighlighted, "#kb-tree")
    def _category_highlighted(self, event: Tree.NodeHighlighted) -> None:
        key = event.node.data or ALL
        if key == self.key and not self.searching:
            return
        self.key = key
        search = self.query_one("#kb-search", SafeInput)
        if search.value:
            search.value = ""  # browsing the tree leaves the search
        self.searching = ""
        self.list_articles(key)

    @on(Tree.NodeSelected, "#kb-tree")
    def _category_selected(self) -> None:
        self.query_one(ArticleList).focus()

    @work(thread=True, exclusive=True, group="kb-list", exit_on_error=False)
    def list_articles(self, key: str) -> None:
        if key == ALL:
            articles = self.desk.list_articles(limit=2000)
        elif key == UNCATEGORIZED:
            articles = self.desk.list_articles(uncategorized=True, limit=2000)
        else:
            category_id = int(key[1:])
            articles = self.desk.list_articles(category_id=category_id, subcategories=True,
                                               limit=2000)
        self.post_message(KbArticlesListed(key, articles))

    def on_kb_articles_listed(self, message: KbArticlesListed) -> None:
        if message.key != self.key or self.searching:
            return
        self.listed = message.articles
        self.hits = []
        title = self._category_title(message.key)
        count = len(message.articles)
        self._list_title(Text(f"{title} · {count:,} article{'s' if count != 1 else ''}"))
        self._fill([Option(article_line(a), id=str(a.id)) for a in message.articles],
                   "no articles here yet: n writes one", titles=True)

    def _category_title(self, key: str) -> str:
        if key == ALL:
            return "All articles"
        if key == UNCATEGORIZED:
            return "Uncategorized"
        found = next((c for c in self.categories if f"c{c.id}" == key), None)
        return cell_line(found.path) if found else "Category"

    def _list_title(self, text: Text) -> None:
        text.no_wrap = True
        text.overflow = "ellipsis"
        self.query_one("#kb-list-title", Static).update(text)

    def _fill(self, options: list[Option], empty: str, *, titles: bool = False) -> None:
        """Show ``options`` in the list; ``titles``: one line each, a long title cut with an
        ellipsis (a hit's snippet wraps onto a second line)."""
        articles = self.query_one(ArticleList)
        articles.set_class(titles, "-titles")
        keep = None
        if articles.highlighted is not None and articles.option_count:
            keep = articles.get_option_at_index(articles.highlighted).id
        articles.set_options(options or [Option(Text(empty, style="dim"), disabled=True)])
        if options:
            ids = [o.id for o in options]
            articles.highlighted = ids.index(keep) if keep in ids else 0

    # --- search ------------------------------------------------------------------------------

    def action_search(self) -> None:
        if self.reading:
            self.action_browse()
        self.query_one("#kb-search", SafeInput).focus()

    @on(SafeInput.Changed, "#kb-search")
    def _typed(self, event: SafeInput.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_WAIT_SECONDS,
                                            lambda: self.search(event.value))

    @on(SafeInput.Submitted, "#kb-search")
    def _submitted(self, event: SafeInput.Submitted) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        self.search(event.value, asked=True)
        self.query_one(ArticleList).focus()

    def search(self, text: str, *, asked: bool = False) -> None:
        """Show the articles matching ``text``, best first ('' goes back to the category).
        ``asked``: the agent pressed enter (a search found nothing then is logged for the
        reports; one made while typing is not)."""
        self._search_timer = None
        if not text.strip():
            if self.searching:
                self.searching = ""
                self.list_articles(self.key)
            return
        self.searching = text
        self._search(text, asked)

    @work(thread=True, exclusive=True, group="kb-search", exit_on_error=False)
    def _search(self, text: str, asked: bool = False) -> None:
        try:
            hits = self.desk.search_articles(text, limit=100, record_miss=asked)
        except (QueryError, QueryStopped) as refused:
            self.post_message(KbSearchRefused(text, str(refused)))
            return
        self.post_message(KbSearched(text, hits))

    def on_kb_search_refused(self, message: KbSearchRefused) -> None:
        """Say why under the search line; the list keeps the last matches."""
        if message.text == self.searching:
            self._list_title(Text(message.reason, style="bold red"))

    def on_kb_searched(self, message: KbSearched) -> None:
        if message.query_text != self.searching:
            return
        self.hits = message.hits
        count = len(message.hits)
        title = Text(f"{count:,}{'+' if count >= 100 else ''} match"
                     f"{'es' if count != 1 else ''} for ")
        title.append(cell_line(message.query_text), style="bold")
        title.append(" · best first", style="dim")
        self._list_title(title)
        articles = self.query_one(ArticleList)
        width = (articles.scrollable_content_region.width
                 - articles.get_component_styles("option-list--option").padding.width)
        self._fill([Option(hit_lines(h, width=width), id=str(h.article.id))
                    for h in message.hits],
                   "no article holds every word")

    # --- reading -----------------------------------------------------------------------------

    @on(ArticleList.OptionSelected, "#kb-articles")
    def _open_highlighted(self, event: ArticleList.OptionSelected) -> None:
        if event.option.id:
            self.open_article(int(event.option.id))

    @work(thread=True, exclusive=True, group="kb-open", exit_on_error=False)
    def open_article(self, article_id: int, *, count_view: bool = True) -> None:
        if count_view:  # the reading is counted first, so the reader shows the stored count
            article = self.desk.read_article(article_id)
        else:
            article = self.desk.get_article(article_id)
        self.post_message(KbArticleOpened(article))

    async def on_kb_article_opened(self, message: KbArticleOpened) -> None:
        article = self.article = message.article
        title = Text(cell_line(article.title), style="bold", no_wrap=True, overflow="ellipsis")
        self.query_one("#kb-article-title", Static).update(title)
        self.query_one("#kb-article-meta", Static).update(self._meta(article))
        await self.query_one("#kb-reader", Markdown).update(safe_markdown(article.body))
        self.query_one("#kb-reader-scroll").scroll_home(animate=False)
        if self.narrow and not self.reading:
            self.action_read()  # one pane at a time: the article takes the screen
        self.refresh_bindings()

    @staticmethod
    def _meta(article: kb_articles.ArticleRead) -> Text:
        meta = Text()
        parts = [
            ("", article.status),
            ("", article.visibility),
            ("in ", article.category or "no category"),
            ("by ", article.author or "—"),
            ("version ", str(article.version)),
            ("views ", f"{article.views:,}"),
            ("used ", f"{article.insert_count + article.link_count:,}"),
        ]
        for index, (label, value) in enumerate(parts):
            if index:
                meta.append(" · ", style="dim")
            meta.append(label, style="dim")
            style = "yellow" if value == "draft" else ("green" if value == "published" else "")
            meta.append(cell_line(value), style=style)
        if article.tags:
            meta.append(" · ", style="dim")
            meta.append(" ".join(f"#{cell_line(t)}" for t in article.tags), style="dim")
        return meta

    @on(Markdown.LinkClicked, "#kb-reader")
    def _link_clicked(self, event: Markdown.LinkClicked) -> None:
        if is_safe_link(event.href):
            self.app.open_url(event.href)
        else:
            self.notify("That link is not followed (only http, https and mailto are)",
                        severity="warning")

    # --- writing -----------------------------------------------------------------------------

    def _current_category(self) -> str | None:
        found = next((c for c in self.categories if f"c{c.id}" == self.key), None)
        return found.path if found else None

    def action_new(self) -> None:
        self.app.push_screen(ArticleEditor(self.desk, category=self._current_category()),
                             self._edited)

    def action_edit(self) -> None:
        article_id = self._chosen_id()
        if article_id is None:
            self.notify("Open an article first (enter)", severity="warning")
            return
        self._edit(article_id)

    def _chosen_id(self) -> int | None:
        """The open article, else the highlighted one."""
        if self.article is not None:
            return self.article.id
        articles = self.query_one(ArticleList)
        if articles.highlighted is None or not articles.option_count:
            return None
        option_id = articles.get_option_at_index(articles.highlighted).id
        return int(option_id) if option_id else None

    @work(thread=True, exclusive=True, group="kb-open", exit_on_error=False)
    def _edit(self, article_id: int) -> None:
        # The latest version: a teammate's save since it was opened is edited, not lost.
        article = self.desk.get_article(article_id)
        self.post_message(KbArticleToEdit(article))

    def on_kb_article_to_edit(self, message: KbArticleToEdit) -> None:
        self.app.push_screen(ArticleEditor(self.desk, article=message.article), self._edited)

    def _edited(self, saved: kb_articles.ArticleRead | None) -> None:
        if saved is None:
            # Left without saving, perhaps after a save refused because a teammate saved
            # first: the reader shows what is stored now, not the version it had.
            if self.article is not None:
                self.open_article(self.article.id, count_view=False)
            return
        self.load_categories()
        if self.searching:
            self._search(self.searching)
        self.open_article(saved.id, count_view=False)

    def action_toggle_publish(self) -> None:
        if self.article is None:
            self.notify("Open an article first (enter)", severity="warning")
            return
        self._toggle_publish(self.article)

    @work(thread=True, exclusive=True, group="kb-write", exit_on_error=False)
    def _toggle_publish(self, article: kb_articles.ArticleRead) -> None:
        try:
            done = self.desk.publish(article.id, published=article.status != "published",
                                     expected_version=article.version)
        except kb_articles.StaleArticle as stale:
            self.post_message(KbArticleWritten(article, stale=str(stale)))
            return
        self.post_message(KbArticleWritten(done))

    async def on_kb_article_written(self, message: KbArticleWritten) -> None:
        if message.stale is not None:
            self._publish_refused(message.article, message.stale)
        elif message.deleted:
            await self._deleted(message.article)
        else:
            self._published(message.article)

    def _publish_refused(self, article: kb_articles.ArticleRead, why: str) -> None:
        self.notify(f"{why} — reloaded; nothing was changed", severity="error", timeout=10)
        self.open_article(article.id, count_view=False)

    def _published(self, done: kb_articles.ArticleRead) -> None:
        self.notify(f"“{cell_line(done.title)}” is "
                    f"{'published' if done.status == 'published' else 'a draft again'}")
        self.post_message(KbArticleOpened(done))
        if self.searching:
            self._search(self.searching)
        else:
            self.list_articles(self.key)

    def action_delete(self) -> None:
        article = self.article
        if article is None:
            self.notify("Open an article first (enter)", severity="warning")
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self._delete(article)

        self.app.push_screen(Confirm(f"Delete the article “{cell_line(article.title)}”? "
                                     "Its links to tickets go with it.", yes="Delete"), answer)

    @work(thread=True, exclusive=True, group="kb-write", exit_on_error=False)
    def _delete(self, article: kb_articles.ArticleRead) -> None:
        self.desk.delete_article(article.id)
        self.post_message(KbArticleWritten(article, deleted=True))

    async def _deleted(self, article: kb_articles.ArticleRead) -> None:
        self.notify(f"Deleted “{cell_line(article.title)}”")
        self.article = None
        if self.reading:
            self.action_browse()
        self.query_one("#kb-article-title", Static).update(Text("Deleted", style="dim"))
        self.query_one("#kb-article-meta", Static).update("")
        await self.query_one("#kb-reader", Markdown).update("")
        self.load_categories()
        if self.searching:
            self._search(self.searching)

    def action_back(self) -> None:
        if self.reading:
            self.action_browse()
            return
        search = self.query_one("#kb-search", SafeInput)
        if search.has_focus or self.searching:
            search.value = ""
            self.search("")
            self.query_one(ArticleList).focus()
            return
        self.dismiss(None)
