"""knowledge base: categories, articles, article-ticket links; full-text search over articles

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Search over ``kb_articles`` (title and body), explained in ``deskterm/db/kb_search.py``. As in
0003, this revision keeps its own copy of the DDL, and every search object's name starts with
``search_`` so autogenerate's comparison and the bulk loader leave it alone.

- SQLite: ``search_kb_text``, an external-content FTS5 table over ``kb_articles`` (``unicode61
  remove_diacritics 2``; bm25 weights the title column above the body), ``search_kb_cjk``, a
  trigram FTS5 table holding only the articles with a character of a script written without
  spaces, ``search_kb_vocab`` (fts5vocab: how many articles hold each word, to pick the telling
  words of a ticket), and triggers keeping them in step with every write.
- PostgreSQL: a generated ``search_vector`` column (title weight A, body weight B) with a GIN
  index, a partial trigram index over the CJK articles' ``title || ' ' || body`` and a
  partial index listing those articles.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same ranges as 0003 (scripts written without spaces between words).
_CJK_RANGES = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x2E80, 0x9FFF),
               (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))
_CJK_CLASS = "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES)
_CJK = re.compile(f"[{_CJK_CLASS}]")
_GLOB = f"'*[{_CJK_CLASS}]*'"
_REGEX = f"'[{_CJK_CLASS}]'"

# --- SQLite -------------------------------------------------------------------------------------

_SQLITE_TABLES = (
    "CREATE VIRTUAL TABLE search_kb_text USING fts5(title, body, content='kb_articles', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE search_kb_cjk USING fts5(title, body, tokenize='trigram')",
    "CREATE VIRTUAL TABLE search_kb_vocab USING fts5vocab(search_kb_text, 'row')",
)


def _add(row: str) -> str:
    return (f"INSERT INTO search_kb_text(rowid, title, body) VALUES ({row}.id, {row}.title, "
            f"{row}.body);\n"
            f"INSERT INTO search_kb_cjk(rowid, title, body) SELECT {row}.id, {row}.title, "
            f"{row}.body WHERE {row}.title GLOB {_GLOB} OR {row}.body GLOB {_GLOB};")


def _remove(row: str) -> str:
    return (f"INSERT INTO search_kb_text(search_kb_text, rowid, title, body) "
            f"VALUES ('delete', {row}.id, {row}.title, {row}.body);\n"
            f"DELETE FROM search_kb_cjk WHERE rowid = {row}.id;")


_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER search_kb_insert AFTER INSERT ON kb_articles BEGIN\n{_add('NEW')}\nEND",
    # Counters (views, votes, uses) change often and are not searched: only these columns count.
    "CREATE TRIGGER search_kb_update AFTER UPDATE OF id, title, body ON kb_articles\n"
    "WHEN OLD.id IS NOT NEW.id OR OLD.title IS NOT NEW.title OR OLD.body IS NOT NEW.body BEGIN\n"
    f"{_remove('OLD')}\n{_add('NEW')}\nEND",
    f"CREATE TRIGGER search_kb_delete AFTER DELETE ON kb_articles BEGIN\n{_remove('OLD')}\nEND",
)

# --- PostgreSQL ---------------------------------------------------------------------------------

_PG_COLUMN = (
    "ALTER TABLE kb_articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'B')) STORED"
)
_PG_TEXT_INDEX = "CREATE INDEX search_kb_articles_text ON kb_articles USING gin (search_vector)"


def _pg_cjk_indexes(trigrams: bool) -> tuple[str, ...]:
    document = "(title || ' ' || body)"
    # The rows index lists the CJK articles: terms of one or two characters, which trigrams
    # cannot look up, read only those instead of every article.
    rows = (f"CREATE INDEX search_kb_articles_cjk_rows ON kb_articles USING btree (id) "
            f"WHERE {document} ~ {_REGEX}")
    if not trigrams:
        return (rows,)
    return (f"CREATE INDEX search_kb_articles_cjk ON kb_articles USING gin ({document} "
            f"gin_trgm_ops) WHERE {document} ~ {_REGEX}", rows)


def upgrade() -> None:
    op.create_table('kb_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['kb_categories.id'], name=op.f('fk_kb_categories_parent_id_kb_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_categories')),
    sa.UniqueConstraint('parent_id', 'name', name='uq_kb_categories_parent_name')
    )
    op.create_index('uq_kb_categories_root_name', 'kb_categories', ['name'], unique=True, sqlite_where=sa.text('parent_id IS NULL'), postgresql_where=sa.text('parent_id IS NULL'))

    op.create_table('kb_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('views', sa.Integer(), nullable=False),
    sa.Column('helpful_votes', sa.Integer(), nullable=False),
    sa.Column('insert_count', sa.Integer(), nullable=False),
    sa.Column('link_count', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'published')", name=op.f('ck_kb_articles_status')),
    sa.CheckConstraint("visibility IN ('internal', 'public')", name=op.f('ck_kb_articles_visibility')),
    sa.ForeignKeyConstraint(['author_id'], ['agents.id'], name=op.f('fk_kb_articles_author_id_agents')),
    sa.ForeignKeyConstraint(['category_id'], ['kb_categories.id'], name=op.f('fk_kb_articles_category_id_kb_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_articles')),
    sa.UniqueConstraint('slug', name=op.f('uq_kb_articles_slug'))
    )
    op.create_index('ix_kb_articles_category_title', 'kb_articles', ['category_id', 'title'], unique=False)
    op.create_index('ix_kb_articles_updated', 'kb_articles', ['updated_at', 'id'], unique=False)

    op.create_table('kb_article_tickets',
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], name=op.f('fk_kb_article_tickets_article_id_kb_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['linked_by_id'], ['agents.id'], name=op.f('fk_kb_article_tickets_linked_by_id_agents')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_kb_article_tickets_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('article_id', 'ticket_id', name=op.f('pk_kb_article_tickets'))
    )
    op.create_index('ix_kb_article_tickets_ticket', 'kb_article_tickets', ['ticket_id'], unique=False)

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in (*_SQLITE_TABLES, *_SQLITE_TRIGGERS):
            op.execute(statement)
        return
    trigrams = bind.exec_driver_sql(
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").first() is not None
    if not trigrams and bind.exec_driver_sql(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").first() is not None:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        trigrams = True
    for statement in (_PG_COLUMN, _PG_TEXT_INDEX, *_pg_cjk_indexes(trigrams)):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {statement.split()[2]}")
        for name in ("search_kb_vocab", "search_kb_cjk", "search_kb_text"):
            op.execute(f"DROP TABLE IF EXISTS {name}")
    # PostgreSQL: the column and its indexes go with the table.
    op.drop_index('ix_kb_article_tickets_ticket', table_name='kb_article_tickets')
    op.drop_table('kb_article_tickets')
    op.drop_index('ix_kb_articles_updated', table_name='kb_articles')
    op.drop_index('ix_kb_articles_category_title', table_name='kb_articles')
    op.drop_table('kb_articles')
    op.drop_index('uq_kb_categories_root_name', table_name='kb_categories')
    op.drop_table('kb_categories')
