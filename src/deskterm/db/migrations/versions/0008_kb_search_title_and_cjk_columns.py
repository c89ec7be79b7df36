"""kb search on PostgreSQL: a title-only tsvector, and the CJK articles' text in a column

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

PostgreSQL only (SQLite's FTS5 tables from 0005 are unchanged). Measured on 50,000 articles
(``bench/kb.py``), explained in ``deskterm/db/kb_search.py``:

- ``search_title``, a stored generated ``tsvector`` of the title alone (weight A) with its own
  GIN index. A word in thousands of articles ranks only its title matches; found through
  ``search_vector``'s weight-A lexemes, every match's row had to be read again to check the
  weight, and every article's whole vector was read to rank it.
- ``search_cjk_text``, stored and generated: the lower-cased ``title || ' ' || body`` of the
  articles holding a character of a script written without spaces (the same ranges as 0003 and
  0005), NULL for the others. The partial indexes of 0005 keyed on the regular expression
  itself: the planner cannot tell how many articles it holds (it guessed nearly all), so it read
  the whole table and ran the expression on every article rather than take the index of the few
  CJK ones (a Chinese ticket's suggestions: 180 ms). And ``ILIKE`` lower-cases each text it
  reads, which cost more than the match (1,500 articles, six terms: 35 ms; ``LIKE`` over the
  stored lower-cased text: 10 ms). The two indexes are made again on the column (the CJK
  articles' ids, for terms too short for trigrams, and their trigrams); ``ANALYZE`` gives the
  planner the new columns at once.

As 0003 and 0005, this revision keeps its own copy of the DDL, and its objects' names start with
``search_`` so autogenerate's comparison and the bulk loader leave them alone.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same ranges as 0003 and 0005 (scripts written without spaces between words).
_CJK_RANGES = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x2E80, 0x9FFF),
               (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))
_CJK_CLASS = "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES)
_REGEX = f"'[{_CJK_CLASS}]'"
_DOCUMENT = "(title || ' ' || body)"

_COLUMNS = (
    "ALTER TABLE kb_articles "
    "ADD COLUMN search_title tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, title), 'A')) STORED, "
    "ADD COLUMN search_cjk_text text GENERATED ALWAYS AS ("
    f"CASE WHEN {_DOCUMENT} ~ {_REGEX} THEN lower({_DOCUMENT}) END) STORED"
)
_TITLE_INDEX = "CREATE INDEX search_kb_articles_title ON kb_articles USING gin (search_title)"


def _cjk_indexes(document: str, condition: str, trigrams: bool, rows: str = "") -> tuple[str, ...]:
    rows = rows or (f"CREATE INDEX search_kb_articles_cjk_rows ON kb_articles USING btree (id) "
                    f"WHERE {condition}")
    if not trigrams:
        return (rows,)
    return (f"CREATE INDEX search_kb_articles_cjk ON kb_articles USING gin ({document} "
            f"gin_trgm_ops) WHERE {condition}", rows)


# Not partial: a partial index on ``search_cjk_text IS NOT NULL`` is implied by any LIKE on the
# column, and the planner took it (reading every CJK article) over the trigram index.
_CJK_ROWS = ("CREATE INDEX search_kb_articles_cjk_rows ON kb_articles USING btree "
             "((search_cjk_text IS NOT NULL), id)")


def _trigrams() -> bool:
    return op.get_bind().exec_driver_sql(
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first() is not None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX IF EXISTS search_kb_articles_cjk")
    op.execute("DROP INDEX IF EXISTS search_kb_articles_cjk_rows")
    op.execute(_COLUMNS)
    cjk = _cjk_indexes("search_cjk_text", "search_cjk_text IS NOT NULL", _trigrams(), _CJK_ROWS)
    for statement in (_TITLE_INDEX, *cjk):
        op.execute(statement)
    op.execute("ANALYZE kb_articles")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    # Dropping the columns drops the indexes made on them.
    op.execute("ALTER TABLE kb_articles DROP COLUMN search_title, DROP COLUMN search_cjk_text")
    for statement in _cjk_indexes(_DOCUMENT, f"{_DOCUMENT} ~ {_REGEX}", _trigrams()):
        op.execute(statement)
