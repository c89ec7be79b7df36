"""The article editor: title, category, tags, visibility and the Markdown text, with a preview.

``ctrl+s`` saves against the version that was opened: if a teammate saved the article since,
the save is refused with what happened and the text stays in the editor (never a silent
overwrite). ``ctrl+t`` toggles the preview (the Markdown as the reader shows it, through
``kb.render.safe_markdown``). The screen dismisses with the saved article, or None.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Markdown, Static

from deskterm.desk.kb import articles as kb_articles
from deskterm.desk.kb import suggestions as kb_suggestions
from deskterm.desk.kb.render import is_safe_link, safe_markdown
from deskterm.desk.safe_text import clean_line
from deskterm.desk.service import Desk
from deskterm.messages import ArticleSaved, ArticleStale
from deskterm.screens.dialogs import Confirm
from deskterm.screens.reporting import ReportsWorkerErrors
from deskterm.widgets.editors import SafeInput, SafeSelect, SafeTextArea
from deskterm.widgets.footer import KeysFooter


class ArticleEditor(ReportsWorkerErrors, Screen):
    """Write a new article (from nothing or from a ticket's draft) or edit one."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="kb-editor.save", priority=True),
        Binding("ctrl+t", "toggle_preview", "Preview", id="kb-editor.preview", priority=True),
        Binding("escape", "leave", "Back", id="kb-editor.back"),
    ]

    def __init__(self, desk: Desk, *, article: kb_articles.ArticleRead | None = None,
                 draft: kb_suggestions.ArticleDraft | None = None,
                 category: str | None = None) -> None:
        super().__init__()
        self.desk = desk
        self.article = article
        self.draft = draft
        self.category = category
        self._saving = False
        self._opened = self.initial
        """What the fields held when the editor opened (cleaned by the fields themselves)."""

    @property
    def initial(self) -> tuple[str, str, str, str, str]:
        if self.article is not None:
            a = self.article
            return a.title, a.category or "", ", ".join(a.tags), a.visibility, a.body
        if self.draft is not None:
            d = self.draft
            return d.title, self.category or "", ", ".join(d.tags), "internal", d.body
        return "", self.category or "", "", "internal", ""

    def compose(self) -> ComposeResult:
        title, category, tags, visibility, body = self.initial
        with Vertical(id="kb-editor"):
            yield Static(id="kb-editor-heading")
            with Horizontal(classes="kb-editor-row"):
                yield Static("title", classes="kb-editor-label")
                yield SafeInput(title, id="kb-edit-title", max_length=kb_articles.MAX_TITLE,
                                placeholder="what the article answers")
            with Horizontal(classes="kb-editor-row"):
                yield Static("category", classes="kb-editor-label")
                yield SafeInput(category, id="kb-edit-category", placeholder="e.g. Network/VPN")
                yield Static("tags", classes="kb-editor-label")
                yield SafeInput(tags, id="kb-edit-tags", placeholder="e.g. vpn, token")
                yield SafeSelect([("internal", "internal"), ("public", "public")],
                                 value=visibility, allow_blank=False, id="kb-edit-visibility")
            # Markdown highlighting: the tree-sitter grammar comes with textual[syntax].
            yield SafeTextArea(body, id="kb-edit-body", language="markdown", soft_wrap=True,
                               show_line_numbers=False)
            with VerticalScroll(id="kb-edit-preview"):
                yield Markdown(id="kb-edit-preview-text", open_links=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        # The fields clean what they are given, so an article holding escape sequences differs
        # from its fields at once: "changed" is measured from what the fields hold now.
        visibility = self.initial[3]
        title, category, tags, _, body = self.values()
        self._opened = (title, category, tags, visibility, body)
        self.query_one("#kb-edit-preview").display = False
        heading = ("Edit article" if self.article is not None else
                   f"New article from #{self.draft.ticket}" if self.draft and self.draft.ticket
                   else "New article")
        if self.article is not None:
            heading += f" · {self.article.slug} · version {self.article.version}"
        self.query_one("#kb-editor-heading", Static).update(Text(heading, style="bold"))
        if self.article is None and self.draft is None:
            self.query_one("#kb-edit-title", SafeInput).focus()
        else:
            self.query_one("#kb-edit-body", SafeTextArea).focus()

    def values(self) -> tuple[str, str, str, str, str]:
        visibility = self.query_one("#kb-edit-visibility", SafeSelect).value
        return (self.query_one("#kb-edit-title", SafeInput).value,
                self.query_one("#kb-edit-category", SafeInput).value,
                self.query_one("#kb-edit-tags", SafeInput).value,
                visibility if isinstance(visibility, str) else "internal",
                self.query_one("#kb-edit-body", SafeTextArea).text)

    @property
    def dirty(self) -> bool:
        return self.values() != self._opened

    @property
    def holds_unsaved_work(self) -> bool:
        """For the app's ``1`` and ``2``: they would take the text away."""
        return self.dirty

    async def action_toggle_preview(self) -> None:
        body = self.query_one("#kb-edit-body", SafeTextArea)
        preview = self.query_one("#kb-edit-preview")
        if preview.display:
            preview.display = False
            body.display = True
            body.focus()
            return
        await self.query_one("#kb-edit-preview-text", Markdown).update(safe_markdown(body.text))
        body.display = False
        preview.display = True
        preview.focus()

    @on(Markdown.LinkClicked)
    def _link(self, event: Markdown.LinkClicked) -> None:
        if is_safe_link(event.href):
            self.app.open_url(event.href)

    def action_save(self) -> None:
        if self._saving:
            return
        title, category, tags, visibility, body = self.values()
        if not title.strip():
            self.notify("An article needs a title", severity="warning")
            self.query_one("#kb-edit-title", SafeInput).focus()
            return
        self._saving = True
        self._save(self.article, self.draft.ticket if self.draft is not None else None, title,
                   category, [t for t in tags.replace(",", " ").split() if t], visibility, body)

    @work(thread=True, exclusive=True, group="kb-save", exit_on_error=False)
    def _save(self, article: kb_articles.ArticleRead | None, from_ticket: int | None, title: str,
              category: str, tags: list[str], visibility: str, body: str) -> None:
        try:
            saved = self.desk.save_article(
                article.id if article is not None else None, title=title, body=body,
                category=category, tags=tags, visibility=visibility,
                expected_version=article.version if article is not None else None,
                from_ticket=from_ticket)
        except kb_articles.StaleArticle as stale:
            self.post_message(ArticleStale(str(stale)))
            return
        finally:
            self._saving = False
        self.post_message(ArticleSaved(saved))

    def on_article_saved(self, message: ArticleSaved) -> None:
        self.notify(f"Saved “{clean_line(message.article.title)}” ({message.article.status})",
                    markup=False, timeout=4)
        self.dismiss(message.article)

    def on_article_stale(self, message: ArticleStale) -> None:
        self.notify(f"{message.message}. Nothing was saved; your text is still here.",
                    title="Not saved", severity="error", timeout=12)

    def action_leave(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(Confirm("Leave the editor? Your changes are not saved.",
                                     yes="Leave"), answer)
