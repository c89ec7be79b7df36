"""Searching articles: ranked hits (bm25 / ts_rank, title above body) with highlighted snippets;
see :mod:`deskterm.db.kb_search` for what matches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from deskterm.db import kb_search
from deskterm.db.kb_search import Term
from deskterm.db.models import (
    Article,
    key,
)
from deskterm.desk.filter.language import MAX_LENGTH, check_size
from deskterm.desk.kb.articles import ArticleSummary, check_status, check_visibility, summaries
from deskterm.desk.kb.categories import categories_by_id
from deskterm.desk.kb.render import highlight_spans, snippet
from deskterm.desk.safe_text import clean_line


@dataclass(frozen=True)
class SearchHit:
    article: ArticleSummary
    score: float
    """Lower is better (bm25 on SQLite, negated ts_rank on PostgreSQL)."""
    title: str
    """The title on one line, safe to show."""
    title_spans: tuple[tuple[int, int], ...]
    """(start, end) of the matches in ``title``."""
    snippet: str
    """About 160 characters of the body around its first match, one line, safe to show."""
    snippet_spans: tuple[tuple[int, int], ...]




def query_terms(query: str) -> tuple[Term, ...]:
    """What a search query looks for (for highlighting text with :mod:`.render`)."""
    return kb_search.parse_query(query)


def search_filters(status: str | None, visibility: str | None,
                   category_ids: set[int] | None) -> tuple[str, dict[str, Any]]:
    """The SQL condition and parameters narrowing a search to a status, a visibility and
    categories."""
    conditions: list[str] = []
    params: dict[str, Any] = {}
    if status is not None:
        conditions.append("a.status = :kb_status")
        params["kb_status"] = check_status(status)
    if visibility is not None:
        conditions.append("a.visibility = :kb_visibility")
        params["kb_visibility"] = check_visibility(visibility)
    if category_ids is not None:
        names = []
        for i, category_id in enumerate(sorted(category_ids)):
            params[f"kb_category_{i}"] = int(category_id)
            names.append(f":kb_category_{i}")
        conditions.append(f"a.category_id IN ({', '.join(names) or 'NULL'})")
    return " AND ".join(conditions), params


def search_hits(session: Session, matches: Sequence[kb_search.Match],
                terms: Sequence[Term]) -> list[SearchHit]:
    """The ranked matches as hits, with highlighted titles and snippets (articles gone since are
    left out)."""
    if not matches:
        return []
    by_id = {a.id: a for a in session.exec(select(Article).where(
        col(Article.id).in_([m.article_id for m in matches]))).all()}
    articles = [by_id[m.article_id] for m in matches if m.article_id in by_id]
    by_summary = {s.id: s for s in summaries(session, articles)}
    hits = []
    for match in matches:
        article = by_id.get(match.article_id)
        if article is None:
            continue
        title = clean_line(article.title)
        text, spans = snippet(article.body, terms)
        hits.append(SearchHit(article=by_summary[key(article)], score=match.score, title=title,
                              title_spans=highlight_spans(title, terms), snippet=text,
                              snippet_spans=spans))
    return hits


def search_articles(
    session: Session,
    *,
    query: str,
    limit: int = 20,
    status: str | None = None,
    visibility: str | None = None,
    category_id: int | None = None,
) -> list[SearchHit]:
    """The articles holding every word and phrase of ``query``, best first (title matches above
    body matches), with the matches' spans in the title and a snippet. An empty query (or one
    with nothing to look for) finds nothing. ``category_id`` includes its subcategories.

    A query past the filter language's limits
    (:func:`~deskterm.desk.filter.language.check_size`) is a
    :class:`~deskterm.desk.filter.language.QueryError`."""
    check_size(query, kb_search.term_starts(query) if len(query) <= MAX_LENGTH else (),
               what="search")
    terms = kb_search.parse_query(query)
    category_ids = None
    if category_id is not None:
        category_ids = {category_id}
        categories = categories_by_id(session)
        while more := {c.id for c in categories.values() if c.parent_id in category_ids
                       } - category_ids:
            category_ids |= more
    where, params = search_filters(status, visibility, category_ids)
    matches = kb_search.match_articles(session, terms, where=where, where_params=params,
                                       limit=max(1, min(limit, 500)))
    return search_hits(session, matches, terms)
