"""Full-text search over knowledge-base articles (title and body), ranked, on both stores.

The schema objects come from migrations 0005 and 0008 (their names start with ``search_``,
like the tickets' in :mod:`deskterm.db.search`). Every user text reaches the database as a bound
parameter.

What matches
------------
A query is words and ``"quoted phrases"``; an article matches when it holds every one of them
(title or body, case ignored in any alphabet; on SQLite accents too). The last bare word of three
or more letters also matches as a prefix (``pass`` finds ``password``), for search as you type.
A term holding a character of a script written without spaces (:data:`~deskterm.db.search.
CJK_RANGES`: Chinese, Japanese, Thai ...) matches as a substring, of any length, in the articles
holding such characters; terms of three or more characters in other scripts are looked for that
way in those articles too (``vpn`` finds ``VPN连接断开``).

Ranking: SQLite ``bm25`` with the title weighted :data:`TITLE_WEIGHT` times the body;
PostgreSQL ``ts_rank`` over a vector whose title lexemes weigh 1.0 and body lexemes 0.2. Scores
are negated on PostgreSQL so that lower is better on both stores, as in bm25.

SQLite: ``search_kb_text`` is an external-content FTS5 table over ``kb_articles`` (rowid = the
article's id; the text is not stored twice), ``search_kb_cjk`` a trigram table of the CJK
articles only (with their text: short terms are read with ``instr``), ``search_kb_vocab`` the
FTS5 vocabulary (articles per word), used by :func:`document_frequencies`. Triggers keep them in
step with every insert, title or body change and delete, in the writer's transaction.

PostgreSQL: a stored generated ``tsvector`` column (``search_vector``, so ranking reads it and
never parses a body again) with a GIN index; a second one of the title alone (``search_title``,
0008) with its own GIN index, through which the title matches of a very common word are found;
the lower-cased ``title || ' ' || body`` of the CJK articles only (``search_cjk_text``, 0008;
NULL for the others), with an index of their ids and a partial ``pg_trgm`` index for
``LIKE``: the same as ``ILIKE`` over ``title || ' ' || body``, without lower-casing every text
read (three times cheaper). The ranked query runs with the planner settings in
:data:`_PG_PLANNER`, and the word frequencies for suggestions come from the planner's
statistics of ``search_vector`` in one query.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from deskterm.db.search import fts_string, has_cjk, searchable

TITLE_WEIGHT = 10.0
"""bm25 column weight of the title against 1.0 for the body (SQLite)."""
PG_WEIGHTS = "{0.0, 0.0, 0.2, 1.0}"
"""ts_rank weights for D, C, B (body), A (title) (PostgreSQL)."""
RANK_DOCUMENTS = 5_000
"""When more articles than this match, only the title matches are ranked (bm25 over
tens of thousands of matches takes longer than a keystroke may); the rest follow, newest first.
The title weighs ten times the body, so the best matches are title matches anyway (SQLite)."""
PG_RANK_DOCUMENTS = RANK_DOCUMENTS
"""The same on PostgreSQL, by the planner's estimate of the matches. The title matches are found
through the title's own vector (``search_title``, migration 0008): through ``search_vector``'s
title-weighted lexemes the server had to read every match's row again to check the weight."""
PREFIX_MIN = 3
"""A last word shorter than this is not matched as a prefix (it would match nearly all)."""

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_TOKENS = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Term:
    """One thing a query looks for: ``text`` (a word or a phrase), as a prefix or whole."""

    text: str
    prefix: bool = False

    @property
    def cjk(self) -> bool:
        return has_cjk(self.text)


def parse_query(query: str) -> tuple[Term, ...]:
    """The terms of a query: quoted phrases and bare words, the last bare word a prefix."""
    query = _CONTROL.sub(" ", query)
    found: list[Term] = []
    last_bare = -1
    for match in _TOKENS.finditer(query):
        phrase, word = match.groups()
        value = " ".join((phrase if phrase is not None else word).split())
        if not value or not searchable(value):
            continue
        if word is not None:
            last_bare = len(found)
        found.append(Term(value))
    if last_bare >= 0 and last_bare == len(found) - 1:
        term = found[last_bare]
        words = _WORD.findall(term.text)
        if (len(words) == 1 and words[0] == term.text and len(term.text) >= PREFIX_MIN
                and not term.cjk and not query.endswith((" ", '"'))):
            found[last_bare] = Term(term.text, prefix=True)
    return tuple(dict.fromkeys(found))


def term_starts(query: str) -> list[int]:
    """Where each term of ``query`` begins, whether or not it has anything to look for."""
    return [match.start() for match in _TOKENS.finditer(query)]


@dataclass(frozen=True)
class Match:
    article_id: int
    score: float


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# --- SQLite -------------------------------------------------------------------------------------


def _fts_term(term: Term) -> str:
    return fts_string(term.text) + (" *" if term.prefix else "")


def _sqlite_selects(session: Session, terms: Sequence[Term], *, any_term: bool,
                    params: dict[str, Any], limit: int) -> list[str]:
    """SELECT (id, score) statements over the two FTS5 tables for ``terms``: all of them, or
    with ``any_term`` any of them."""
    selects = []
    joiner = " OR " if any_term else " AND "
    words = [t for t in terms if not t.cjk]
    if words and (any_term or len(words) == len(terms)):
        expression = joiner.join(_fts_term(t) for t in words)
        params["kb_words"] = expression
        documents = session.execute(text(
            "SELECT count(*) FROM (SELECT 1 FROM search_kb_text WHERE search_kb_text MATCH "
            f":kb_words LIMIT {RANK_DOCUMENTS + 1})"), {"kb_words": expression}).scalar_one()
        if documents <= RANK_DOCUMENTS:
            selects.append(f"SELECT rowid AS id, bm25(search_kb_text, {TITLE_WEIGHT}, 1.0) AS "
                           "score FROM search_kb_text WHERE search_kb_text MATCH :kb_words")
        else:
            # Too common to rank every match: rank the title matches, then the newest others.
            params["kb_titles"] = f"{{title}} : ({expression})"
            selects.append(f"SELECT rowid AS id, bm25(search_kb_text, {TITLE_WEIGHT}, 1.0) AS "
                           "score FROM search_kb_text WHERE search_kb_text MATCH :kb_titles")
            selects.append("SELECT id, score FROM (SELECT rowid AS id, 0.0 AS score FROM "
                           "search_kb_text WHERE search_kb_text MATCH :kb_words ORDER BY rowid "
                           f"DESC LIMIT {limit * 5})")
    long_terms = [t for t in terms if len(t.text) >= 3 and (t.cjk or not any_term)]
    short_terms = [t for t in terms if len(t.text) < 3 and t.cjk]
    if not any_term and len(long_terms) + len(short_terms) < len(terms):
        return selects  # a short Latin word cannot be looked for in the CJK articles
    conditions = []
    for i, term in enumerate(short_terms):
        name = f"kb_short_{i}"
        params[name] = term.text
        conditions.append(f"(instr(title, :{name}) > 0 OR instr(body, :{name}) > 0)")
    scan = (f"SELECT rowid AS id, CASE WHEN instr(title, :kb_short_0) > 0 THEN -2.0 ELSE -1.0 "
            f"END AS score FROM search_kb_cjk WHERE {joiner.join(conditions)}")
    if long_terms:
        params["kb_trigrams"] = joiner.join(fts_string(t.text) for t in long_terms)
        where = "search_kb_cjk MATCH :kb_trigrams"
        if conditions and not any_term:  # FTS5 takes MATCH AND more, never MATCH OR more
            where = f"{where} AND " + " AND ".join(conditions)
        selects.append(f"SELECT rowid AS id, bm25(search_kb_cjk, {TITLE_WEIGHT}, 1.0) AS score "
                       f"FROM search_kb_cjk WHERE {where}")
        if conditions and any_term:
            selects.append(scan)
    elif conditions:
        selects.append(scan)
    return selects


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_tsquery(term: Term, name: str, params: dict[str, Any]) -> str:
    if term.prefix:
        params[name] = f"{term.text}:*"
        return f"to_tsquery('simple'::regconfig, :{name})"
    params[name] = term.text
    return f"phraseto_tsquery('simple'::regconfig, :{name})"


def _pg_selects(session: Session, terms: Sequence[Term], *, any_term: bool, params: dict[str, Any],
                limit: int, where: str) -> list[str]:
    """SELECT (id, score) statements over ``kb_articles a`` for ``terms``: all of them, or with
    ``any_term`` any of them; each keeps only the articles meeting ``where`` itself."""
    selects = []
    extra = f" AND {where}" if where else ""
    words = [t for t in terms if not t.cjk]
    if words and (any_term or len(words) == len(terms)):
        op = " || " if any_term else " && "
        query = "(" + op.join(_pg_tsquery(t, f"kb_q_{i}", params)
                              for i, t in enumerate(words)) + ")"
        plan = session.execute(text(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM kb_articles a WHERE a.search_vector @@ {query}"),
            params).scalar_one()
        if plan[0]["Plan"]["Plan Rows"] <= PG_RANK_DOCUMENTS:
            selects.append(f"SELECT a.id, -ts_rank('{PG_WEIGHTS}', a.search_vector, q.q) AS "
                           f"score FROM kb_articles a, (SELECT {query} AS q) AS q "
                           f"WHERE a.search_vector @@ q.q{extra}")
        else:
            # Too common to rank every match: rank the title matches (found through the title's
            # own vector, which needs no second look at each row), then the newest others.
            selects.append(f"SELECT a.id, -ts_rank('{PG_WEIGHTS}', a.search_vector, q.q) AS "
                           f"score FROM kb_articles a, (SELECT {query} AS q) AS q "
                           f"WHERE a.search_title @@ q.q{extra}")
            selects.append(f"SELECT id, score FROM (SELECT a.id, 0.0 AS score FROM kb_articles a "
                           f"WHERE a.search_vector @@ {query}{extra} ORDER BY a.id DESC "
                           f"LIMIT {limit * 5}) AS newest")
    # Any of many words (suggestions): only CJK terms as substrings, or the OR of ILIKEs over
    # the whole table makes the planner scan it.
    substrings = [t for t in terms if t.cjk or (len(t.text) >= 3 and not any_term)]
    if not substrings or (not any_term and len(substrings) < len(terms)):
        return selects
    conditions, title_hits = [], []
    for i, term in enumerate(substrings):
        name = f"kb_like_{i}"
        params[name] = _like(term.text)
        # ILIKE, over the text lower-cased once when it was saved (the same lower()).
        conditions.append(f"a.search_cjk_text LIKE lower(:{name})")
        title_hits.append(f"a.title ILIKE :{name}")
    joiner = " OR " if any_term else " AND "
    # A term shorter than a trigram is looked for in every CJK article (through the index of
    # their ids); otherwise only the trigram index answers (naming the column's NOT NULL would
    # let the planner read every CJK article instead: 7 ms against 1-4 ms a word).
    every = ("a.search_cjk_text IS NOT NULL AND "
             if any(len(t.text) < 3 for t in substrings) else "")
    selects.append(f"SELECT a.id, CASE WHEN {' OR '.join(title_hits)} THEN -0.5 ELSE -0.1 END "
                   f"AS score FROM kb_articles a WHERE {every}({joiner.join(conditions)}){extra}")
    return selects


# --- Both ---------------------------------------------------------------------------------------


def match_articles(
    session: Session,
    terms: Sequence[Term],
    *,
    any_term: bool = False,
    where: str = "",
    where_params: dict[str, Any] | None = None,
    limit: int = 20,
) -> list[Match]:
    """The best ``limit`` articles matching every term (``any_term``: any of them), best first.

    ``where`` is an extra SQL condition on ``a`` (``kb_articles``) with bound ``where_params``
    (made by the domain from fixed text, never from user input).
    """
    if not terms:
        return []
    params: dict[str, Any] = dict(where_params or {})
    if session.get_bind().dialect.name != "sqlite":
        return _pg_match(session, terms, any_term=any_term, where=where, params=params,
                         limit=limit)
    selects = _sqlite_selects(session, terms, any_term=any_term, params=params, limit=limit)
    if not selects:
        return []
    extra = f"AND {where}" if where else ""
    sql = (f"SELECT h.id, h.score FROM ({_union(selects)}) AS h JOIN kb_articles a "
           f"ON a.id = h.id WHERE 1 = 1 {extra} ORDER BY h.score, h.id LIMIT :kb_limit")
    params["kb_limit"] = limit
    return [Match(int(row[0]), float(row[1])) for row in session.execute(text(sql), params)]


def _union(selects: Sequence[str]) -> str:
    """One (id, score) per article of the ``selects``, its best score."""
    return selects[0] if len(selects) == 1 else (
        "SELECT id, min(score) AS score FROM (" + " UNION ALL ".join(selects)
        + ") AS u GROUP BY id")


_PG_PLANNER = ("random_page_cost", "plan_cache_mode", "jit")
"""Planner settings changed for the ranked query alone (SET LOCAL, then back to the defaults):

- ``random_page_cost`` 1.1: the default (4, for spinning disks) makes the planner read the whole
  table rather than a few thousand GIN matches (suggestions: 90 ms instead of 20 ms);
- ``plan_cache_mode`` ``force_custom_plan``: psycopg prepares a statement run five times, and the
  server then plans it once for any words (a generic plan cannot tell a rare word from a common
  one: the same one-word search took 29 ms instead of 22 ms from its eleventh run on);
- ``jit`` off: a plan costed above ``jit_above_cost`` (one reading many articles, as on a larger
  desk) is compiled first, which took 60-110 ms here, more than the query itself."""


def _pg_match(session: Session, terms: Sequence[Term], *, any_term: bool, where: str,
              params: dict[str, Any], limit: int) -> list[Match]:
    selects = _pg_selects(session, terms, any_term=any_term, params=params, limit=limit,
                          where=where)
    if not selects:
        return []
    sql = (f"SELECT h.id, h.score FROM ({_union(selects)}) AS h ORDER BY h.score, h.id "
           "LIMIT :kb_limit")
    params["kb_limit"] = limit
    # No parameters: psycopg sends these as one simple query (one round trip).
    session.execute(text("SET LOCAL random_page_cost = 1.1; "
                         "SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL jit = off"))
    try:
        return [Match(int(row[0]), float(row[1])) for row in session.execute(text(sql), params)]
    finally:
        session.execute(text("; ".join(f"SET LOCAL {name} TO DEFAULT" for name in _PG_PLANNER)))


def document_frequencies(session: Session, words: Sequence[str]) -> tuple[int, dict[str, int]]:
    """(about how many articles there are, {word: articles holding it}) for lower-cased
    ``words``.

    SQLite reads the FTS5 vocabulary (exact); PostgreSQL estimates from the planner's statistics
    of ``search_vector`` (nothing is scanned). A word missing from the answer is in none
    (SQLite) or has no estimate.
    """
    if not words:
        return 0, {}
    if session.get_bind().dialect.name == "sqlite":
        # The highest id stands for the number of articles (a count reads them all).
        total = session.execute(text("SELECT max(id) FROM kb_articles")).scalar() or 0
        names = {f"w{i}": word for i, word in enumerate(words)}
        marks = ", ".join(f":{name}" for name in names)
        rows = session.execute(text(f"SELECT term, doc FROM search_kb_vocab WHERE term IN "
                                    f"({marks})"), names).all()
        return int(total), {term: int(doc) for term, doc in rows}
    total = session.execute(text(
        "SELECT reltuples FROM pg_class WHERE oid = 'kb_articles'::regclass")).scalar() or 0
    if total <= 0:  # never analyzed: count (a small table, or a just-loaded one)
        total = session.execute(text("SELECT count(*) FROM kb_articles")).scalar() or 0
    found = _pg_statistics(session, words, total)
    if found is None:
        found = {}
        for word in words:
            plan = session.execute(text(
                "EXPLAIN (FORMAT JSON) SELECT 1 FROM kb_articles a WHERE a.search_vector @@ "
                "phraseto_tsquery('simple'::regconfig, :w)"), {"w": word}).scalar_one()
            found[word] = int(plan[0]["Plan"]["Plan Rows"])
    return int(total), found


_PG_MATCH_SELECTIVITY = 0.005
"""The planner's selectivity of a word when it knows nothing better (DEFAULT_TS_MATCH_SEL)."""


def _pg_statistics(session: Session, words: Sequence[str], total: float) -> dict[str, int] | None:
    """The planner's estimate of the articles holding each word, as it makes it for
    ``search_vector @@ 'word'`` (tsmatchsel), from the lexemes ANALYZE found most common: their
    frequency, or for any other word half the least frequency listed. One query for all the
    words, where asking the planner (EXPLAIN) was one round trip per word. None when the
    column was never analyzed."""
    row = session.execute(text(
        "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, s.null_frac "
        "FROM pg_stats s WHERE s.schemaname = current_schema() AND s.tablename = 'kb_articles' "
        "AND s.attname = 'search_vector'")).first()
    if row is None or row[0] is None or not row[1]:
        return None
    lexemes, frequencies, null_share = row
    listed = dict(zip(lexemes, frequencies, strict=False))
    # After the lexemes' frequencies come the least and the greatest of them.
    least = frequencies[len(lexemes)] if len(frequencies) > len(lexemes) else min(frequencies)
    other = min(_PG_MATCH_SELECTIVITY, least / 2)
    rows = total * (1.0 - (null_share or 0.0))
    return {word: max(1, round(rows * listed.get(word, other))) for word in words}
