"""Full-text search over ticket subjects and every message body (replies and internal notes).

The filter language's bare words and quoted phrases become conditions on ``tickets`` made here
(:func:`ticket_condition`); they compose with every other filter, order and window, and every
user text reaches the database as a bound parameter. The schema objects come from migration 0003;
their names all start with ``search_`` (:func:`is_search_object`), which is how Alembic's schema
comparison and the bulk loader tell them apart from the models' tables and indexes.

What matches
------------
A term matches a ticket when its subject or one of its messages holds the term's words in that
order (a word is a phrase of one). Case never matters, in any alphabet. Words are runs of letters
and digits, so Polish, Russian, Hebrew and Persian words are found as typed; punctuation only
separates words (``e-mail`` is the phrase ``e mail``). A term with no letter or digit at all, such
as ``(`` or ``:-)``, has no word to look for and matches no ticket (negated: every ticket),
without reading anything. It used to be looked for as a literal substring, which no index can
answer: every such term read every subject and message, and several of them made PostgreSQL's
planner, multiplying their selectivities down to one row, pick nested loops that read every
message again for each ticket (16 ``(`` terms: 42 s on a 5,000-ticket desk). The filter language
(:mod:`deskterm.desk.filter.language`) and the KB search leave such terms out.

On SQLite accents are ignored too (``zamowienie`` finds ``zamówienie``; ``ł`` is a letter of its
own); PostgreSQL's ``simple`` configuration keeps them.

Scripts written without spaces between words (Chinese, Japanese, Korean, Thai ...: the
:data:`CJK_RANGES`) have no word boundaries to go by, so their text is also indexed by substrings:
a term containing such a character matches any ticket whose subject or a message contains it as
a substring, of any length. Terms in other scripts of three or more characters are also looked
for as substrings in those documents, so ``vpn`` finds ``VPN每隔几分钟就断开``.

SQLite: FTS5
------------
- ``search_text``: a contentless FTS5 table (``unicode61 remove_diacritics 2``) with one document
  per subject and per message. The rowid names the ticket: ``ticket << 32`` for the subject,
  ``ticket << 32 | message id`` for a message (ticket numbers stay below 2^31 and message ids
  below 2^32, as their 32-bit columns on PostgreSQL do), so a match yields its ticket number
  without a lookup in ``messages`` and "does ticket T match" is one seek (``rowid BETWEEN T << 32
  AND ...``).
  That costs index size: rowid deltas take about 4 bytes more per (word, document) pair than
  dense message ids would (1M-ticket demo: 490 MB of index plus 60 MB of document sizes for
  bm25, against about 260 MB with dense rowids); mapping 2 million matching messages to their
  tickets through ``messages`` instead costs another ~0.3 s per count of a common word.
  Contentless means the text is not stored twice; a document is deleted by handing FTS5 its old
  text, which the triggers have (``OLD.body``).
- ``search_cjk``: a trigram FTS5 table holding only documents with a :data:`CJK_RANGES`
  character (3% of the demo's), with their text, same rowids. Terms of three or more characters
  are trigram phrases (indexed); shorter ones scan this small table with ``instr`` (SQLite 3.40's
  trigram LIKE finds nothing for patterns under three characters). A trigram index of every
  message would be several times the size of the desk.
- Triggers on ``tickets`` (insert, subject change, delete) and ``messages`` (insert, change,
  delete) keep both in the same transaction as the write, whoever writes (domain, import, CLI).
- Bulk loads (:mod:`deskterm.db.bulk`) drop the triggers, fill ``search_cjk`` from the rows as
  they stream in, build ``search_text`` with two ``INSERT ... SELECT`` at the end, and put the
  triggers back from their saved definitions.

Which SQL a condition compiles to is decided per statement, because the fastest plan depends on
how common the term is and what the statement does with it (on SQLite):

- a term in fewer than :data:`RARE_DOCUMENTS` documents, or any statement without LIMIT (counts):
  ``tickets.id IN (SELECT rowid >> 32 FROM search_text WHERE search_text MATCH ?)``, which SQLite
  drives from the matches (a count of ``the``, in 82% of a million tickets: ~0.8 s);
- a common term in a short window ordered by an index of ``tickets`` (the queue's pages): a
  correlated ``EXISTS`` probe per ticket in index order (a few milliseconds for ``the``), when
  the expected number of probes (window end / share of recent tickets matching) is within
  :data:`PROBE_BUDGET`; otherwise ``+tickets.id IN (...)``: the matches are collected once and
  the index order is walked (the ``+`` keeps SQLite from sorting every match instead).

The share is sampled on the newest :data:`SAMPLE_TICKETS` tickets, the ones a queue page shows
first. Statements holding such a condition are not cached by SQLAlchemy (each compiles afresh).

PostgreSQL: tsvector + GIN, pg_trgm
-----------------------------------
GIN expression indexes on ``to_tsvector('simple', subject)`` and ``to_tsvector('simple', body)``
(no extra column: COPY writes nothing more, and each index is built once after a bulk load), and
partial ``gin_trgm_ops`` indexes over the rows with a CJK character, for ``ILIKE`` substrings
(the query repeats the partial indexes' predicate, so the planner can use them). A term is
``phraseto_tsquery('simple', :term)``. The same per-statement choice is made as on SQLite, with
the share estimated from the planner's row estimates (the GIN indexes' statistics, read with
``EXPLAIN``: nothing is scanned): ``EXISTS`` over the union of matching subjects and messages
(the planner joins it as it likes), or, for a common term in a short window, a probe per ticket:
``to_tsvector(subject) @@ q OR EXISTS (message of this ticket @@ q)`` (the planner cannot turn an
OR of subqueries into a join, so it walks the order and stops after the window).

Relevance
---------
:func:`relevance` scores the tickets matching any of the given terms: the sum over their
matching documents of ``bm25`` (SQLite) or ``ts_rank`` (PostgreSQL, subjects counting double),
negated on PostgreSQL so that lower is better on both. It refuses (returns ``None``) when more
than a cap of documents match: ranking half the desk costs seconds and tells nothing, so the
caller falls back to its usual order.

Figures
-------
1M-ticket demo desk on SQLite (2.6M messages), on a shared 2-core machine that other jobs kept
busy (load average 1.5-3.4):

- ``deskterm demo --tickets 1000000``: 138 s in ``bench/seed.py`` (the load in a rollback
  journal); search's share is the FTS5 build, ~40 s, and the CJK documents, ~6 s; it adds
  about 0.7 GB to the 2.23 GiB file. A raw ``executemany`` of the same rows with the index
  built the same way takes 221 s (184 s without the search build).
- A filter as the queue runs it, count + first window + next window (``bench/search.py``, 20
  runs, p50 / p95): a rare word 69 / 87 ms; ``status:open priority:high vpn`` 109 / 135 ms;
  ``the`` (in 82% of the tickets) 883 / 933 ms, nearly all of it the count; ``printer toner``
  147 / 167 ms; a phrase in 35,000 tickets 366 / 379 ms; Chinese, 4 characters 56 / 61 ms,
  2 characters (scanning the CJK documents) 347 / 378 ms; ``-the`` 1.7 / 2.1 s (its count).
- PostgreSQL 15, 200,000-ticket demo: a rare word 34 / 59 ms; ``the`` 710 / 766 ms;
  ``status:open priority:high vpn`` 96 / 102 ms; Chinese, 2 characters 672 / 697 ms.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Float, Integer, false, text, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, TextClause, UnaryExpression
from sqlalchemy.sql.selectable import Subquery
from sqlmodel import Session

from deskterm.db.models import Ticket

if TYPE_CHECKING:
    import psycopg

PREFIX = "search_"
TEXT_TABLE = "search_text"
CJK_TABLE = "search_cjk"

CJK_RANGES = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x2E80, 0x9FFF),
              (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))
"""Scripts written without spaces between words: Thai and Lao, Myanmar, Khmer, CJK radicals to
unified ideographs (kana, Bopomofo and Hangul Jamo included), Hangul syllables, CJK compatibility
ideographs, full-width forms, CJK extensions B to H. Migration 0003 holds the same list (its
triggers test ``GLOB '*[...]*'``)."""
CJK_CLASS = "".join(f"{chr(low)}-{chr(high)}" for low, high in CJK_RANGES)
_CJK = re.compile(f"[{CJK_CLASS}]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

SHIFT = 32
"""A document's rowid is ``ticket << SHIFT`` (subject) or ``ticket << SHIFT | message id``."""
_SPAN = (1 << SHIFT) - 1

RARE_DOCUMENTS = 20_000
"""Below this many matching documents a term is collected first in every statement."""
SAMPLE_TICKETS = 2_000
"""How many of the newest tickets are looked at to estimate the share a common term matches."""
PROBE_BUDGET = 1_000
"""Most tickets a window may expect to probe one by one before collecting the matches wins."""
PROBE_BUDGET_POSTGRES = 200
"""The same on PostgreSQL, where a probe computes ``to_tsvector`` of the ticket's messages."""
RANK_DOCUMENTS = 20_000
"""Most matching documents :func:`relevance` ranks."""


def is_search_object(name: str | None) -> bool:
    """Whether a table, trigger or index belongs to search (is made by migration 0003)."""
    return bool(name) and str(name).startswith(PREFIX)


def has_cjk(value: str | None) -> bool:
    """Whether ``value`` holds a character of a script written without spaces."""
    return value is not None and not value.isascii() and _CJK.search(value) is not None


def searchable(term: str) -> bool:
    """Whether ``term`` has anything to look for: a letter or a digit."""
    return any(ch.isalnum() for ch in term)


def fts_string(term: str) -> str:
    """``term`` as one FTS5 string: a phrase of its tokens, whatever characters it holds."""
    return '"' + term.replace('"', '""') + '"'


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class _Part:
    """One way a term is looked for.

    ``words``: as a phrase of words; ``trigrams``: as a substring of three or more characters of
    the CJK documents; ``scan``: as a shorter substring of them (read one by one on SQLite).
    """

    kind: str
    term: str


def _parts(term: str) -> tuple[_Part, ...]:
    # Control characters separate words like spaces do (and PostgreSQL refuses NUL in text).
    term = " ".join(_CONTROL.sub(" ", term).split())
    if not term:
        return ()
    if not searchable(term):  # nothing an index holds: see "What matches"
        return ()
    if has_cjk(term):
        return (_Part("trigrams" if len(term) >= 3 else "scan", term),)
    if len(term) >= 3:
        return (_Part("words", term), _Part("trigrams", term))
    return (_Part("words", term),)


# --- SQLite -------------------------------------------------------------------------------------

_TICKET_DOCS = f"BETWEEN tickets.id << {SHIFT} AND (tickets.id << {SHIFT}) + {_SPAN}"


def _sqlite_table(part: _Part) -> str:
    return TEXT_TABLE if part.kind == "words" else CJK_TABLE


def _sqlite_where(part: _Part, name: str) -> str:
    if part.kind == "scan":
        if part.term.lower() == part.term.upper():  # nothing to fold: Chinese, Japanese ...
            return f"instr(text, :{name}) > 0"
        return f"instr(lower(text), lower(:{name})) > 0"
    table = _sqlite_table(part)
    return f"{table} MATCH :{name}"


def _sqlite_value(part: _Part) -> str:
    return part.term if part.kind == "scan" else fts_string(part.term)


def _sqlite_select(part: _Part, name: str, what: str = f"rowid >> {SHIFT}") -> str:
    return f"SELECT {what} FROM {_sqlite_table(part)} WHERE {_sqlite_where(part, name)}"


def _sqlite_set(part: _Part, name: str) -> str:
    """The numbers of the tickets one part matches (a ticket may come more than once)."""
    return _sqlite_select(part, name)


def _sqlite_probe(part: _Part, name: str) -> str:
    """Whether the ticket at hand (``tickets.id``) matches one part."""
    return (f"EXISTS (SELECT 1 FROM {_sqlite_table(part)} WHERE rowid {_TICKET_DOCS} "
            f"AND {_sqlite_where(part, name)})")


def _bound(sql: str, parts: Sequence[_Part]) -> TextClause:
    return text(sql).bindparams(*(
        BindParameter(f"search_{i}", _sqlite_value(part), unique=True)
        for i, part in enumerate(parts)
    ))


class _Match(ColumnElement[bool]):
    """Tickets matching one term; the SQL is chosen when the statement compiles."""

    inherit_cache = False  # the choice depends on the statement's LIMIT/OFFSET values
    type = Boolean()
    _is_implicitly_boolean = True  # a condition, not a column: no "= 1" after it on SQLite

    def __init__(self, parts: tuple[_Part, ...], negated: bool, rare: bool, share: float, *,
                 postgres: bool = False):
        self.parts = parts
        self.negated = negated
        self.rare = rare
        self.share = share
        self.postgres = postgres

    def form(self, statement: object) -> str:
        """``in`` (collect, let the database drive), ``scan`` (collect, walk the order),
        ``probe`` (ticket by ticket, in the statement's order), or ``count`` (``in`` in a
        statement without LIMIT)."""
        end = _window_end(statement)
        if end is None:
            return "count"
        if self.rare or not _index_ordered(statement):
            return "in"
        share = 1.0 - self.share if self.negated else self.share
        budget = PROBE_BUDGET_POSTGRES if self.postgres else PROBE_BUDGET
        return "probe" if end / max(share, 1e-6) <= budget else "scan"

    def clause(self, form: str) -> TextClause:
        if self.postgres:
            return _postgres_clause(self.parts, self.negated, form)
        names = [f"search_{i}" for i in range(len(self.parts))]
        if form == "probe":
            probes = " OR ".join(_sqlite_probe(part, name)
                                 for part, name in zip(self.parts, names, strict=True))
            sql = f"NOT ({probes})" if self.negated else f"({probes})"
        else:
            found = " UNION ALL ".join(_sqlite_set(part, name)
                                       for part, name in zip(self.parts, names, strict=True))
            target = "+tickets.id" if form == "scan" else "tickets.id"  # in, count
            sql = f"{target} {'NOT IN' if self.negated else 'IN'} ({found})"
        return _bound(sql, self.parts)


@compiles(_Match)
def _compile_match(element: _Match, compiler: SQLCompiler, **kw: Any) -> str:
    statement = compiler.stack[-1].get("selectable") if compiler.stack else None
    return compiler.process(element.clause(element.form(statement)), **kw)


def _window_end(statement: object) -> int | None:
    """``LIMIT + OFFSET`` of a statement with a plain integer LIMIT, else None."""
    limit = getattr(getattr(statement, "_limit_clause", None), "value", None)
    if not isinstance(limit, int) or isinstance(limit, bool):
        return None
    offset = getattr(getattr(statement, "_offset_clause", None), "value", None)
    return limit + (offset if isinstance(offset, int) else 0)


def _index_ordered(statement: object) -> bool:
    """Whether every ORDER BY term is a ``tickets`` column some index of the table leads with,
    so SQLite can walk the order and stop after the window (a sort would probe every ticket)."""
    table = Ticket.metadata.tables["tickets"]
    leading = {"id"} | {index.columns[0].name for index in table.indexes if index.columns}
    for clause in getattr(statement, "_order_by_clauses", ()):
        element = clause
        while isinstance(element, UnaryExpression):
            element = element.element
        if getattr(element, "table", None) is not table or getattr(element, "name",
                                                                     None) not in leading:
            return False
    return True


def _scalar(session: Session, sql: str, params: dict[str, Any]) -> int:
    """The one number ``sql`` reads (a count, a max or min id: 0 for none)."""
    return int(session.execute(text(sql), params).scalar() or 0)


def _sqlite_estimate(session: Session, parts: tuple[_Part, ...]) -> tuple[bool, float]:
    """(rare, share): fewer than RARE_DOCUMENTS matching documents, or else the share of the
    newest tickets that match."""
    indexed = [part for part in parts if part.kind in ("words", "trigrams")]
    if not indexed:
        return True, 0.0
    params = {f"search_{i}": _sqlite_value(part) for i, part in enumerate(indexed)}
    found = " UNION ALL ".join(_sqlite_select(part, f"search_{i}", "1")
                               for i, part in enumerate(indexed))
    documents = _scalar(session, f"SELECT count(*) FROM ({found} LIMIT {RARE_DOCUMENTS})", params)
    if documents < RARE_DOCUMENTS:
        return True, 0.0
    newest = _scalar(session, "SELECT max(id) FROM tickets", {})
    oldest = _scalar(session, "SELECT min(id) FROM tickets", {})
    first = max(oldest, newest - SAMPLE_TICKETS + 1)
    recent = " UNION ".join(
        f"{_sqlite_select(part, f'search_{i}')} AND rowid >= :search_first"
        for i, part in enumerate(indexed)
    )
    hits = _scalar(session, f"SELECT count(*) FROM ({recent})",
                   {**params, "search_first": first << SHIFT})
    return False, min(1.0, hits / max(newest - first + 1, 1))


# --- PostgreSQL ---------------------------------------------------------------------------------

_TSVECTOR = "to_tsvector('simple'::regconfig, {})"
_TSQUERY = "phraseto_tsquery('simple'::regconfig, :{})"
_CJK_ROWS = f"{{}} ~ '[{CJK_CLASS}]'"


def _postgres_hits(part: _Part, name: str, score: bool = False, union: str = "UNION ALL") -> str:
    """(ticket id[, score]) of the documents matching one part: every matching document (with
    its score), or with ``union="UNION"`` each matching ticket once."""
    if part.kind == "words":
        query = _TSQUERY.format(name)
        body, subject = _TSVECTOR.format("m.body"), _TSVECTOR.format("s.subject")
        rank_m = f", -ts_rank({body}, {query})" if score else ""
        rank_s = f", -2 * ts_rank({subject}, {query})" if score else ""
        return (f"SELECT m.ticket_id{rank_m} FROM messages m WHERE {body} @@ {query} "
                f"{union} SELECT s.id{rank_s} FROM tickets s WHERE {subject} @@ {query}")
    rank = ", -0.1" if score else ""
    return (f"SELECT m.ticket_id{rank} FROM messages m "
            f"WHERE {_CJK_ROWS.format('m.body')} AND m.body ILIKE :{name} "
            f"{union} SELECT s.id{rank} FROM tickets s "
            f"WHERE {_CJK_ROWS.format('s.subject')} AND s.subject ILIKE :{name}")


def _postgres_value(part: _Part) -> str:
    return part.term if part.kind == "words" else _like_pattern(part.term)


def _postgres_probe(part: _Part, name: str) -> str:
    """Whether the ticket at hand (``tickets``) matches one part, looked up by its number."""
    if part.kind == "words":
        query = _TSQUERY.format(name)
        subject, body = (f"{_TSVECTOR.format('tickets.subject')} @@ {query}",
                         f"{_TSVECTOR.format('m.body')} @@ {query}")
    else:
        subject = f"{_CJK_ROWS.format('tickets.subject')} AND tickets.subject ILIKE :{name}"
        body = f"{_CJK_ROWS.format('m.body')} AND m.body ILIKE :{name}"
    return (f"({subject} OR EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = tickets.id "
            f"AND {body}))")


def _postgres_clause(parts: tuple[_Part, ...], negated: bool, form: str) -> TextClause:
    if form == "probe":
        sql = "(" + " OR ".join(_postgres_probe(part, f"search_{i}")
                                for i, part in enumerate(parts)) + ")"
    else:
        # Counting, UNION: with the duplicates gone the planner hashes the matches and semi-joins
        # them (a count of "the" on 200,000 tickets: 0.6 s instead of 1.4 s). In a window, UNION
        # ALL: it semi-joins those too, where a UNION's aggregate got nested-loop joins (1.2 s
        # instead of 0.15 s for "printer toner").
        union = "UNION" if form == "count" else "UNION ALL"
        found = f" {union} ".join(_postgres_hits(part, f"search_{i}", union=union)
                                  for i, part in enumerate(parts))
        sql = f"EXISTS (SELECT 1 FROM ({found}) AS hits(id) WHERE hits.id = tickets.id)"
    return text(f"NOT {sql}" if negated else sql).bindparams(*(
        BindParameter(f"search_{i}", _postgres_value(part), unique=True)
        for i, part in enumerate(parts)
    ))


def _planned_rows(session: Session, sql: str, params: dict[str, Any]) -> float:
    """How many rows the planner expects ``sql`` to return (from the GIN indexes' statistics)."""
    plan = session.execute(text(f"EXPLAIN (FORMAT JSON) {sql}"), params).scalar_one()
    return float(plan[0]["Plan"]["Plan Rows"])


def _postgres_estimate(session: Session, parts: tuple[_Part, ...]) -> tuple[bool, float]:
    """(rare, share) as on SQLite, from the planner's estimates: nothing is read."""
    words = [part for part in parts if part.kind == "words"]
    if not words:
        return True, 0.0
    tickets, messages = (max(float(n or 0), 1.0) for n in session.execute(text(
        "SELECT (SELECT reltuples FROM pg_class WHERE oid = 'tickets'::regclass), "
        "(SELECT reltuples FROM pg_class WHERE oid = 'messages'::regclass)")).one())
    documents, miss = 0.0, 1.0
    for part in words:
        params = {"search_0": part.term}
        query = _TSQUERY.format("search_0")
        in_subjects = _planned_rows(
            session, f"SELECT 1 FROM tickets s WHERE {_TSVECTOR.format('s.subject')} @@ {query}",
            params)
        in_bodies = _planned_rows(
            session, f"SELECT 1 FROM messages m WHERE {_TSVECTOR.format('m.body')} @@ {query}",
            params)
        documents += in_subjects + in_bodies
        # A ticket misses the term when its subject and each of its messages do.
        miss *= (1 - min(in_subjects / tickets, 1.0)) * (
            1 - min(in_bodies / messages, 1.0)) ** (messages / tickets)
    return documents < RARE_DOCUMENTS, 1.0 - miss


# --- Conditions and relevance -------------------------------------------------------------------


def ticket_condition(session: Session, term: str, *, negated: bool = False) -> ColumnElement[bool]:
    """Tickets whose subject or a message contains ``term`` (``negated``: none of them does).

    The condition refers to ``tickets.id``: use it in statements over the ``tickets`` table.
    """
    parts = _parts(term)
    if not parts:
        return true() if negated else false()
    if session.get_bind().dialect.name == "sqlite":
        rare, share = _sqlite_estimate(session, parts)
        return _Match(parts, negated, rare, share)
    rare, share = _postgres_estimate(session, parts)
    return _Match(parts, negated, rare, share, postgres=True)


def relevance(session: Session, terms: Sequence[str], *,
              cap: int | None = None) -> Subquery | None:
    """A subquery ``(ticket_id, score)`` over the tickets matching any of ``terms``, the most
    relevant with the lowest score; None when no term is searchable or more than ``cap``
    (default :data:`RANK_DOCUMENTS`) documents match: ranking them is not worth it."""
    cap = RANK_DOCUMENTS if cap is None else cap
    parts = [part for term in dict.fromkeys(terms) for part in _parts(term)]
    if not parts:
        return None
    if session.get_bind().dialect.name == "sqlite":
        sql, params = _sqlite_ranking(parts)
    else:
        sql = " UNION ALL ".join(_postgres_hits(part, f"search_{i}", score=True)
                                 for i, part in enumerate(parts))
        params = {f"search_{i}": _postgres_value(part) for i, part in enumerate(parts)}
    documents = _scalar(session, f"SELECT count(*) FROM (SELECT 1 FROM ({sql}) AS d LIMIT "
                                 f"{cap + 1}) AS n", params)
    if documents > cap:
        return None
    ranked = (f"SELECT d.ticket_id AS ticket_id, sum(d.score) AS score FROM ({sql}) "
              "AS d(ticket_id, score) GROUP BY d.ticket_id")
    if session.get_bind().dialect.name == "sqlite":  # SQLite names a subquery's columns itself
        ranked = (f"SELECT ticket_id, sum(score) AS score FROM ({sql}) GROUP BY ticket_id")
    return (text(ranked).bindparams(*(BindParameter(key, value, unique=True)
                                      for key, value in params.items()))
            .columns(column("ticket_id", Integer), column("score", Float))
            .subquery("search_rank"))


def _sqlite_ranking(parts: Sequence[_Part]) -> tuple[str, dict[str, str]]:
    """One bm25-scored MATCH per table for all the terms (their phrases ORed), scans scored -1."""
    selects: list[str] = []
    params: dict[str, str] = {}
    for table, kind in ((TEXT_TABLE, "words"), (CJK_TABLE, "trigrams")):
        phrases = [fts_string(part.term) for part in parts if part.kind == kind]
        if phrases:
            name = f"search_{len(params)}"
            params[name] = " OR ".join(phrases)
            selects.append(f"SELECT rowid >> {SHIFT} AS ticket_id, bm25({table}) AS score "
                           f"FROM {table} WHERE {table} MATCH :{name}")
    for part in parts:
        if part.kind == "scan":
            name = f"search_{len(params)}"
            params[name] = part.term
            selects.append(f"SELECT rowid >> {SHIFT} AS ticket_id, -1.0 AS score FROM {CJK_TABLE}"
                           f" WHERE {_sqlite_where(part, name)}")
    return " UNION ALL ".join(selects), params


# --- Bulk loads ---------------------------------------------------------------------------------


def sqlite_suspend(connection: sqlite3.Connection) -> list[str]:
    """Drop the sync triggers for a bulk load (inside its transaction); returns their SQL."""
    saved = [sql for name, sql in connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        if is_search_object(name)]
    for sql in saved:
        connection.execute(f"DROP TRIGGER {sql.split()[2]}")
    return saved


def postgres_suspend(cursor: psycopg.Cursor[Any]) -> list[str]:
    """Drop the search indexes for a bulk load (inside its transaction); returns their SQL."""
    cursor.execute("SELECT indexname, indexdef FROM pg_indexes "
                   "WHERE schemaname = current_schema() ORDER BY indexname")
    saved = [(name, sql) for name, sql in cursor.fetchall() if is_search_object(name)]
    for name, _sql in saved:
        cursor.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in saved]


def postgres_rebuild(cursor: psycopg.Cursor[Any], saved_indexes: Sequence[str]) -> None:
    """Build the search indexes again, each in one pass over its table."""
    if saved_indexes:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for sql in saved_indexes:
        cursor.execute(sql)
