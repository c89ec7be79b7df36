"""The desk's use cases on the knowledge base: browse, search, read, write, publish, delete,
import and export articles, suggest them while answering and put them into replies
(:class:`KbCases`, part of :class:`deskterm.desk.service.Desk`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session

from deskterm import lazy
from deskterm.desk.people import access
from deskterm.desk.reads import AgentRead
from deskterm.desk.service_core import DeskCore

if TYPE_CHECKING:
    from deskterm.desk.audit import snapshots
    from deskterm.desk.audit.log import Snapshot
    from deskterm.desk.kb import articles as kb_articles
    from deskterm.desk.kb import categories as kb_categories
    from deskterm.desk.kb import reply as kb_reply
    from deskterm.desk.kb import search as kb_search
    from deskterm.desk.kb import suggestions as kb_suggestions
    from deskterm.desk.kb import transfer as kb_transfer
else:
    # Loaded on a use case's first call (deskterm.lazy): a CLI command pays only for its own.
    kb_articles = lazy.module("deskterm.desk.kb.articles")
    snapshots = lazy.module("deskterm.desk.audit.snapshots")
    kb_categories = lazy.module("deskterm.desk.kb.categories")
    kb_reply = lazy.module("deskterm.desk.kb.reply")
    kb_search = lazy.module("deskterm.desk.kb.search")
    kb_suggestions = lazy.module("deskterm.desk.kb.suggestions")
    kb_transfer = lazy.module("deskterm.desk.kb.transfer")


@dataclass(frozen=True)
class ArticleUse:
    """An article put into a reply: the article as stored and the text for the composer."""

    article: kb_articles.ArticleRead
    text: str


class KbCases(DeskCore):
    """The knowledge base."""

    # --- reading -----------------------------------------------------------------------------

    def list_categories(self) -> list[kb_categories.CategoryRead]:
        """The categories, each with its path and article count."""
        with self._reading() as session:
            return kb_categories.list_categories(session)

    def list_articles(self, *, category: str | None = None, category_id: int | None = None,
                      subcategories: bool = False, uncategorized: bool = False,
                      limit: int = 500) -> list[kb_articles.ArticleSummary]:
        """Articles by title: all, those of a category (by ``category`` path or
        ``category_id``; with ``subcategories``, of those under it too), or the uncategorized."""
        with self._reading() as session:
            if category is not None:
                category_id = kb_categories.find_category(session, path=category).id
            return kb_articles.list_articles(session, category_id=category_id,
                                    subcategories=subcategories,
                                    uncategorized=uncategorized, limit=limit)

    def search_articles(self, query: str, *, limit: int = 20, status: str | None = None,
                        record_miss: bool = False) -> list[kb_search.SearchHit]:
        """Articles holding every word and phrase of ``query``, best first. ``record_miss``:
        a search someone asked for (not one made while typing) that finds nothing is logged
        for the reports."""
        with self._reading() as session:
            hits = kb_search.search_articles(session, query=query, limit=limit, status=status)
        if record_miss and not hits:
            self.record_search_miss("kb", query)
        return hits

    def get_article(self, article: int | str) -> kb_articles.ArticleRead:
        """An article by id or slug (no reading counted)."""
        with self._reading() as session:
            return kb_articles.get_article(session, article=article)

    def read_article(self, article: int | str) -> kb_articles.ArticleRead:
        """An agent opens an article to read it: one view counted first, so the count shown
        is the stored one."""
        return self._writing(
            lambda session, _actor: kb_articles.read_article(session, article=article),
            quiet=True)

    def suggest_articles(self, number: int) -> list[kb_search.SearchHit]:
        """The published articles that best match ticket ``number``."""
        with self._reading() as session:
            self._may_see(session, number)
            return kb_suggestions.suggest_for_ticket(session, number=number)

    def article_draft(self, number: int) -> kb_suggestions.ArticleDraft:
        """A new article's title and text from the solved ticket ``number`` (nothing saved)."""
        with self._reading() as session:
            self._may_see(session, number)
            return kb_suggestions.draft_from_ticket(session, number=number)

    def export_articles(self) -> list[kb_articles.ArticleFields]:
        """Every article's fields, by slug."""
        with self._reading() as session:
            return kb_transfer.export_articles(session)

    # --- writing -----------------------------------------------------------------------------

    def save_article(self, article: int | None = None, *, title: str, body: str,
                     category: str | None, tags: Sequence[str], visibility: str,
                     expected_version: int | None = None,
                     from_ticket: int | None = None) -> kb_articles.ArticleRead:
        """A new article (``article`` None; ``from_ticket``: the ticket it was written from,
        linked), or article ``article`` changed (``category=""`` takes it out of its category;
        a stale ``expected_version``: ``StaleArticle``)."""
        if article is None:
            return self._audited(_articles(), lambda session, actor: kb_articles.create_article(
                session, actor=actor, title=title, body=body, category=category or None,
                tags=tags, visibility=visibility, from_ticket=from_ticket))
        return self._audited(_articles(article), lambda session, actor: kb_articles.update_article(
            session, actor=actor, article=article, title=title, body=body, category=category,
            tags=tags, visibility=visibility, expected_version=expected_version))

    def publish(self, article: int | str, *, published: bool = True,
                expected_version: int | None = None) -> kb_articles.ArticleRead:
        """Publish an article (``published=False``: make it a draft again)."""
        change = kb_articles.publish_article if published else kb_articles.unpublish_article
        return self._audited(_articles(article), lambda session, actor: change(
            session, actor=actor, article=article, expected_version=expected_version))

    def delete_article(self, article: int | str) -> kb_articles.ArticleSummary:
        """Delete an article (its author or an admin)."""
        return self._audited(_articles(article), lambda session, actor:
                             kb_articles.delete_article(session, actor=actor, article=article))

    def rename_category(self, category_id: int, *, name: str) -> kb_categories.CategoryRead:
        """Rename a category (admins only)."""
        return self._audited(snapshots.categories, lambda session, actor:
                             kb_categories.rename_category(session, actor=actor,
                                                           category_id=category_id, name=name))

    def delete_category(self, category_id: int) -> kb_categories.CategoryRead:
        """Delete an empty category (admins only)."""
        return self._audited(snapshots.categories, lambda session, actor:
                             kb_categories.delete_category(session, actor=actor,
                                                           category_id=category_id))

    def import_articles(self, articles: Sequence[kb_articles.ArticleFields], *,
                        progress: Callable[[int], None] | None = None) -> kb_transfer.ImportResult:
        """Create or update articles by slug, all in one transaction or none."""
        return self._audited(_articles(*(a.slug for a in articles)), lambda session, actor:
                             kb_transfer.import_articles(session, actor=actor, articles=articles,
                                                         progress=progress))

    def use_article(self, article: int, *, number: int, how: str, public: bool,
                    help_center: str | None, confirmed: bool = False) -> ArticleUse:
        """Put an article into a reply on ticket ``number``: ``how="link"`` (its link line)
        or ``"body"`` (its text; an internal one into a public reply only ``confirmed``). The
        stored article decides, and the use is counted and linked to the ticket."""

        def work(session: Session, actor: AgentRead) -> ArticleUse:
            access.require_ticket_access(session, actor, number)
            found = kb_articles.get_article(session, article=article)
            text = kb_reply.inserted_text(found, how, public=public, help_center=help_center,
                                          confirmed=confirmed)
            kb_articles.record_use(session, actor=actor, article=article, number=number, how=how)
            return ArticleUse(found, text)

        return self._writing(work)


def _articles(*refs: int | str) -> Callable[[Session, object], Snapshot]:
    """The audit snapshot of the articles ``refs`` (ids or slugs) and of the categories; after
    the change, of the article it returned too (the one it made)."""

    def seen(session: Session, done: object) -> Snapshot:
        found: list[int | str] = [*refs, *(int(r) for r in refs
                                           if isinstance(r, str) and r.isascii() and r.isdigit())]
        number = getattr(done, "id", None)
        if isinstance(number, int):
            found.append(number)
        return snapshots.articles(session, found)

    return seen


__all__ = ["ArticleUse", "KbCases"]
