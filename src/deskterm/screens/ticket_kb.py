"""The knowledge base while answering: what the ticket screen does with articles.

The five best published articles for the ticket (its subject and first message) are listed in
the sidebar; ``k`` picks any article by fuzzy match. A chosen article goes into the composer as
a link or as its text in plain text (the agent picks with one key; what is offered into a public
reply or a note, and the warning and confirmation an internal article needs before it goes into
a public reply, are :mod:`deskterm.desk.kb.reply`'s) and is linked to the ticket and counted
(``Desk.use_article``). ``K`` on a solved ticket opens the article editor with a draft
made from the subject and the solving reply. A mixin of :class:`~deskterm.screens.ticket.
TicketScreen`, which owns ``desk``, ``number``, ``detail`` and ``composer``
(:class:`~deskterm.screens.ticket_host.TicketHost`).
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from deskterm.desk.kb import articles as kb_articles
from deskterm.desk.kb import reply as kb_reply
from deskterm.desk.kb import search as kb_search
from deskterm.desk.safe_text import cell_line
from deskterm.messages import (
    ArticleDrafted,
    ArticleOffered,
    ArticleUsed,
    KbSuggested,
    Notice,
    OpenScreen,
)
from deskterm.screens.dialogs import ConfirmToCustomer
from deskterm.screens.kb_editor import ArticleEditor
from deskterm.screens.kb_widgets import InsertAs, status_mark
from deskterm.screens.pickers import Choice, Picker
from deskterm.screens.reporting import ReportsWorkerErrors
from deskterm.screens.ticket_host import TicketScreenPart
from deskterm.widgets.editors import SafeTextArea

PICKER_ARTICLES = 5000
"""The ``k`` picker lists this many articles at most (by title)."""


def article_choices(articles: list[kb_articles.ArticleSummary]) -> list[Choice]:
    """Articles for the fuzzy picker: published first, then drafts, by title."""
    ordered = sorted(articles, key=lambda a: (a.status != "published", a.title.casefold()))
    return [Choice(str(a.id), a.title, " · ".join(part for part in (
        cell_line(a.category or ""), "draft" if a.status != "published" else "",
        "public" if a.visibility == "public" else "") if part)) for a in ordered]


def suggestion_line(hit: kb_search.SearchHit) -> Text:
    line = Text(hit.title, no_wrap=True, overflow="ellipsis", end="")
    line.append_text(status_mark(hit.article))
    return line


class TicketKnowledge(ReportsWorkerErrors, TicketScreenPart):
    """The ticket screen's knowledge-base actions (a mixin: see the module's docstring)."""

    @work(thread=True, exclusive=True, group="kb-suggest", exit_on_error=False)
    def suggest_articles(self, number: int) -> None:
        hits = self.desk.suggest_articles(number)
        self.post_message(KbSuggested(number, hits))

    def on_kb_suggested(self, message: KbSuggested) -> None:
        if message.number != self.number:
            return
        self.suggestions = message.hits
        title = self.query_one("#kb-suggest-title", Static)
        options = self.query_one("#kb-suggestions", OptionList)
        # Hidden when nothing fits: the sidebar keeps its room for the other tickets.
        title.display = options.display = bool(message.hits)
        options.set_options([Option(suggestion_line(hit), id=str(hit.article.id))
                             for hit in message.hits])
        if message.hits:
            options.highlighted = 0

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_pick_article(self) -> None:
        """``k``: any article by fuzzy match, then link line or text."""
        articles = self.desk.list_articles(limit=PICKER_ARTICLES)
        if not articles:
            self.post_message(Notice("The knowledge base is empty: press 2 to "
                                      "write the first article", severity="warning"))
            return

        def chosen(key: str | None) -> None:
            if key is not None:
                self.use_article(int(key))

        self.post_message(OpenScreen(Picker("Insert a knowledge-base article",
                                         article_choices(articles)), chosen))

    def use_article(self, article_id: int) -> None:
        """Read the article, ask link or text (one key), then put it into the composer."""
        if self.detail is None:
            return
        if self.detail.ticket.status == "closed":
            self.notify("This ticket is closed: nothing can be added to it",
                        severity="warning")
            return
        self._offer_article(article_id, self.number, self.insert_target() == "reply")

    def insert_target(self) -> str:
        """Where an article goes: the open (or hidden, unsent) composer's kind, else a reply."""
        composer = self.composer
        return composer.kind if composer.display or composer.text else "reply"

    def help_center(self) -> str | None:
        """The help center's address (the ``help_center_url`` setting), None when unset."""
        return getattr(self.app, "help_center_url", None)

    @work(thread=True, exclusive=True, group="kb-offer", exit_on_error=False)
    def _offer_article(self, article_id: int, number: int, public: bool) -> None:
        # Read now: whether it is internal decides what is offered, and the picker's list
        # (or the suggestions) may be older than a teammate's change.
        article = self.desk.get_article(article_id)
        self.post_message(ArticleOffered(article, number, public))

    def on_article_offered(self, message: ArticleOffered) -> None:
        article, number, public = message.article, message.number, message.public
        if number != self.number:
            return
        choices = kb_reply.insert_choices(article, public=public, help_center=self.help_center())

        def how(answer: str | None) -> None:
            if answer is None:
                return
            if answer == "body" and choices.needs_confirmation:
                self._confirm_internal(article, number)
                return
            self._use_article(article.id, answer, number, public, False, self.help_center())

        self.app.push_screen(InsertAs(article.title, choices), how)

    def _confirm_internal(self, article: kb_articles.ArticleRead, number: int) -> None:
        def sure(yes: bool | None) -> None:
            if yes:
                self._use_article(article.id, "body", number, True, True, self.help_center())

        self.app.push_screen(ConfirmToCustomer(
            f"“{cell_line(article.title)}” is an internal article, written for agents. Put its "
            "text into the reply to the requester? Read it through before you send.",
            yes="Insert into the reply"), sure)

    @work(thread=True, group="kb-use", exit_on_error=False)
    def _use_article(self, article_id: int, how: str, number: int, public: bool,
                     confirmed: bool, help_center: str | None) -> None:
        # The stored article decides (made internal since it was offered: refused there).
        used = self.desk.use_article(article_id, number=number, how=how, public=public,
                                     help_center=help_center, confirmed=confirmed)
        self.post_message(ArticleUsed(used.article, used.text, how, number, public))

    def on_article_used(self, message: ArticleUsed) -> None:
        article, text, how, number, public = (message.article, message.text, message.how,
                                              message.number, message.public)
        if number != self.number:
            return
        if self.insert_target() != ("reply" if public else "note"):
            self.notify("The editor changed between reply and note: nothing was inserted; "
                        "press k again", severity="warning")
            return
        if not self.composer.display:
            self.composer.start(self.composer.kind if self.composer.text else "reply")
        editor = self.composer.query_one(SafeTextArea)
        row, column = editor.cursor_location
        before = editor.document.get_line(row)[:column]
        editor.insert(("\n" if before.strip() else "") + text + "\n")
        editor.focus()
        what = "its text" if how == "body" else ("a link" if public else "a kb: reference")
        self.notify(f"“{cell_line(article.title)}” inserted as {what} and linked to "
                    f"#{number}", timeout=4)

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_article_from_ticket(self) -> None:
        """``K`` (and the palette): a draft article from a solved ticket, in the editor."""
        number = self.number
        draft = self.desk.article_draft(number)
        self.post_message(ArticleDrafted(draft))

    def on_article_drafted(self, message: ArticleDrafted) -> None:
        draft = message.draft

        def saved(article: kb_articles.ArticleRead | None) -> None:
            if article is not None:
                self.notify(f"Draft article “{cell_line(article.title)}” saved and linked to "
                            f"#{draft.ticket}; 2 opens the knowledge base", timeout=6)

        self.app.push_screen(ArticleEditor(self.desk, draft=draft), saved)
