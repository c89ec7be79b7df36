"""Full-text search over knowledge-base articles (title and body), ranked, on both stores.

The schema objects come from migration 0005 (their names start with ``search_``, like the
tickets' in :mod:`deskterm.db.search`). Every user text reaches the database as a bound
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
never parses a body again) with a GIN index, and a partial ``pg_trgm`` index on
``title || ' ' || body`` of the CJK articles for ``ILIKE``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

from deskterm.db.search import CJK_CLASS, fts_string, has_cjk, searchable

TITLE_WEIGHT = 10.0
"""bm25 column weight of the title against 1.0 for the body (SQLite)."""
PG_WEIGHTS = "{0.0, 0.0, 0.2, 1.0}"
"""ts_rank weights for D, C, B (body), A (title) (PostgreSQL)."""
RANK_DOCUMENTS = 5_000
"""When more articles than this match, only the title matches are ranked (bm25 over
tens of thousands of matches takes longer than a keystroke may); the rest follow, newest first.
The title weighs ten times the body, so the best matches are title matches anyway."""
PREFIX_MIN = 3
"""A last word shorter than this is not matched as a prefix (it would match nearly all)."""

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_TOKENS = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"[^\W_]+")
_CJK_DOC_PG = f"(a.title || ' ' || a.body) ~ '[{CJK_CLASS}]'"
_DOC_PG = "(a.title || ' ' || a.body)"


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


def _sqlite_selects(session: Session, terms: Sequence[Term], *, any_term: bool, params: dict,
                    limit: int) -> list[str]:
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
            f":kb_words LIMIT {RANK_DOCUMENTS + 1})"), {"kb_words": expression}).scalar()
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


def _pg_tsquery(term: Term, name: str, params: dict) -> str:
    if term.prefix:
        params[name] = f"{term.text}:*"
        return f"to_tsquery('simple'::regconfig, :{name})"
    params[name] = term.text
    return f"phraseto_tsquery('simple'::regconfig, :{name})"


def _pg_title_query(words: Sequence[Term], any_term: bool) -> str:
    """The words as one to_tsquery text matching title lexemes (weight A) only; the words are
    letters and digits only, so nothing in them is tsquery syntax."""
    parts = []
    for term in words:
        tokens = _WORD.findall(term.text.lower())
        if not tokens:
            continue
        if term.prefix:
            parts.append(f"{tokens[0]}:*A")
        else:
            parts.append("(" + " <-> ".join(f"{token}:A" for token in tokens) + ")")
    return (" | " if any_term else " & ").join(parts)


def _pg_selects(session: Session, terms: Sequence[Term], *, any_term: bool, params: dict,
                limit: int) -> list[str]:
    selects = []
    words = [t for t in terms if not t.cjk]
    if words and (any_term or len(words) == len(terms)):
        op = " || " if any_term else " && "
        query = "(" + op.join(_pg_tsquery(t, f"kb_q_{i}", params)
                              for i, t in enumerate(words)) + ")"
        plan = session.execute(text(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM kb_articles a WHERE a.search_vector @@ {query}"),
            params).scalar()
        titles = _pg_title_query(words, any_term)
        if plan[0]["Plan"]["Plan Rows"] <= RANK_DOCUMENTS or not titles:
            selects.append(f"SELECT a.id, -ts_rank('{PG_WEIGHTS}', a.search_vector, q.q) AS "
                           f"score FROM kb_articles a, (SELECT {query} AS q) AS q "
                           "WHERE a.search_vector @@ q.q")
        else:
            # Too common to rank every match: rank the title matches, then the newest others.
            params["kb_titles"] = titles
            selects.append(f"SELECT a.id, -ts_rank('{PG_WEIGHTS}', a.search_vector, q.q) AS "
                           "score FROM kb_articles a, (SELECT to_tsquery('simple'::regconfig, "
                           ":kb_titles) AS q) AS q WHERE a.search_vector @@ q.q")
            selects.append(f"SELECT id, score FROM (SELECT a.id, 0.0 AS score FROM kb_articles a "
                           f"WHERE a.search_vector @@ {query} ORDER BY a.id DESC "
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
        conditions.append(f"{_DOC_PG} ILIKE :{name}")
        title_hits.append(f"a.title ILIKE :{name}")
    joiner = " OR " if any_term else " AND "
    selects.append(f"SELECT a.id, CASE WHEN {' OR '.join(title_hits)} THEN -0.5 ELSE -0.1 END "
                   f"AS score FROM kb_articles a WHERE {_CJK_DOC_PG} AND "
                   f"({joiner.join(conditions)})")
    return selects


# --- Both ---------------------------------------------------------------------------------------


def match_articles(
    session: Session,
    terms: Sequence[Term],
    *,
    any_term: bool = False,
    where: str = "",
    where_params: dict | None = None,
    limit: int = 20,
) -> list[Match]:
    """The best ``limit`` articles matching every term (``any_term``: any of them), best first.

    ``where`` is an extra SQL condition on ``a`` (``kb_articles``) with bound ``where_params``
    (made by the domain from fixed text, never from user input).
    """
    if not terms:
        return []
    params: dict = dict(where_params or {})
    postgres = session.get_bind().dialect.name != "sqlite"
    if postgres:
        selects = _pg_selects(session, terms, any_term=any_term, params=params, limit=limit)
    else:
        selects = _sqlite_selects(session, terms, any_term=any_term, params=params, limit=limit)
    if not selects:
        return []
    hits = selects[0] if len(selects) == 1 else (
        "SELECT id, min(score) AS score FROM (" + " UNION ALL ".join(selects)
        + ") AS u GROUP BY id")
    extra = f"AND {where}" if where else ""
    sql = (f"SELECT h.id, h.score FROM ({hits}) AS h JOIN kb_articles a ON a.id = h.id "
           f"WHERE 1 = 1 {extra} ORDER BY h.score, h.id LIMIT :kb_limit")
    params["kb_limit"] = limit
    if not postgres:
        return [Match(int(row[0]), float(row[1])) for row in session.execute(text(sql), params)]
    # The default random_page_cost (4, for spinning disks) makes the planner read the whole
    # table rather than a few thousand GIN matches (suggestions: 90 ms instead of 20 ms).
    session.execute(text("SET LOCAL random_page_cost = 1.1"))
    try:
        return [Match(int(row[0]), float(row[1])) for row in session.execute(text(sql), params)]
    finally:
        session.execute(text("SET LOCAL random_page_cost TO DEFAULT"))


def raw_search_sql(postgres: bool) -> str:
    """The bare ranked query of one word, as a baseline for ``bench/kb.py``."""
    if postgres:
        return ("SELECT a.id FROM kb_articles a, (SELECT phraseto_tsquery('simple', :q) AS q) AS q "
                f"WHERE a.search_vector @@ q.q ORDER BY ts_rank('{PG_WEIGHTS}', a.search_vector, "
                "q.q) DESC LIMIT 20")
    return (f"SELECT rowid FROM search_kb_text WHERE search_kb_text MATCH :q "
            f"ORDER BY bm25(search_kb_text, {TITLE_WEIGHT}, 1.0) LIMIT 20")


def document_frequencies(session: Session, words: Sequence[str]) -> tuple[int, dict[str, int]]:
    """(about how many articles there are, {word: articles holding it}) for lower-cased
    ``words``.

    SQLite reads the FTS5 vocabulary (exact); PostgreSQL asks the planner for its estimate from
    the GIN index's statistics (nothing is scanned). A word missing from the answer is in none
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
    found = {}
    for word in words:
        plan = session.execute(text(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM kb_articles a WHERE a.search_vector @@ "
            "phraseto_tsquery('simple'::regconfig, :w)"), {"w": word}).scalar()
        found[word] = int(plan[0]["Plan"]["Plan Rows"])
    return int(total), found


def rebuild_sqlite(session: Session) -> None:
    """Index every article again (after a bulk load made with the triggers dropped)."""
    session.execute(text("INSERT INTO search_kb_text(search_kb_text) VALUES ('rebuild')"))
