"""Articles in and out of the store as plain fields (``deskterm kb export`` / ``import``; the
files themselves are :mod:`.files`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from deskterm.db.models import (
    Article,
    key,
)
from deskterm.desk.kb.articles import (
    ArticleFields,
    ArticleRead,
    check_fields,
    create_article,
    update_article,
)
from deskterm.desk.kb.categories import categories_by_id, category_paths
from deskterm.desk.kb.rows import find_article_row
from deskterm.desk.reads import AgentRead


@dataclass(frozen=True)
class ImportResult:
    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]




def article_fields(article: ArticleRead) -> ArticleFields:
    return ArticleFields(slug=article.slug, title=article.title, body=article.body,
                         category=article.category, tags=article.tags, status=article.status,
                         visibility=article.visibility)


def export_articles(session: Session) -> list[ArticleFields]:
    """Every article's fields, by slug (for ``deskterm kb export``)."""
    articles = session.exec(select(Article).order_by(col(Article.slug))).all()
    paths = category_paths(categories_by_id(session))
    return [ArticleFields(slug=a.slug, title=a.title, body=a.body,
                          category=paths.get(a.category_id) if a.category_id is not None
                          else None, tags=tuple(a.tags or ()),
                          status=a.status, visibility=a.visibility) for a in articles]


def import_articles(
    session: Session,
    *,
    actor: AgentRead,
    articles: Sequence[ArticleFields],
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create or update articles by slug (never a second article with a slug), in the caller's
    transaction: either all are saved or, if one is refused, none. New ones get ``actor`` as
    their author."""
    created: list[str] = []
    updated: list[str] = []
    unchanged: list[str] = []
    for done, given in enumerate(articles, start=1):
        fields = check_fields(given)
        existing = find_article_row(session, fields.slug)
        if existing is None:
            create_article(session, actor=actor, title=fields.title, body=fields.body,
                           category=fields.category, tags=fields.tags,
                           visibility=fields.visibility, status=fields.status, slug=fields.slug)
            created.append(fields.slug)
        else:
            before = existing.version
            after = update_article(session, actor=actor, article=key(existing),
                                   title=fields.title, body=fields.body,
                                   category=fields.category or "", tags=fields.tags,
                                   visibility=fields.visibility, status=fields.status)
            (updated if after.version != before else unchanged).append(fields.slug)
        if progress is not None:
            progress(done)
    return ImportResult(created=tuple(created), updated=tuple(updated),
                        unchanged=tuple(unchanged))
