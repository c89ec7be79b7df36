"""full-text search: FTS5 tables and sync triggers (SQLite), GIN indexes (PostgreSQL)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

The layout is explained in ``deskterm/db/search.py``. This revision keeps its own copy of the DDL
(a migration must not change when the application code does); the bulk loader does not need one:
it saves the triggers' and indexes' definitions from the database before dropping them for a load
and runs them again afterwards.
"""

import re
from collections.abc import Sequence

from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Scripts written without spaces between words (Thai, Lao, Myanmar, Khmer, CJK, kana, Hangul,
# full-width forms, CJK extensions B-H): their text is also indexed by substrings (trigrams).
_CJK_RANGES = ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x2E80, 0x9FFF),
               (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))
_CJK_CLASS = "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES)
_CJK = re.compile(f"[{_CJK_CLASS}]")
_GLOB = f"'*[{_CJK_CLASS}]*'"
_REGEX = f"'[{_CJK_CLASS}]'"

# --- SQLite -------------------------------------------------------------------------------------
# One document per subject (rowid ticket << 32) and per message (rowid ticket << 32 | message id):
# the ticket number is the rowid's high half, so a match names its ticket without a lookup.

_SQLITE_TABLES = (
    "CREATE VIRTUAL TABLE search_text USING fts5("
    "text, content='', tokenize='unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE search_cjk USING fts5(text, tokenize='trigram')",
)

_SUBJECT_DOC = "{row}.id << 32"
_MESSAGE_DOC = "({row}.ticket_id << 32) | {row}.id"


def _add(doc: str, text: str) -> str:
    return (f"INSERT INTO search_text(rowid, text) VALUES ({doc}, {text});\n"
            f"INSERT INTO search_cjk(rowid, text) SELECT {doc}, {text} WHERE {text} GLOB {_GLOB};")


def _remove(doc: str, text: str) -> str:
    return (f"INSERT INTO search_text(search_text, rowid, text) VALUES ('delete', {doc}, {text});\n"
            f"DELETE FROM search_cjk WHERE rowid = {doc};")


_SQLITE_TRIGGERS = (
    "CREATE TRIGGER search_ticket_insert AFTER INSERT ON tickets BEGIN\n"
    f"{_add(_SUBJECT_DOC.format(row='NEW'), 'NEW.subject')}\nEND",
    "CREATE TRIGGER search_ticket_update AFTER UPDATE OF id, subject ON tickets\n"
    "WHEN OLD.id IS NOT NEW.id OR OLD.subject IS NOT NEW.subject BEGIN\n"
    f"{_remove(_SUBJECT_DOC.format(row='OLD'), 'OLD.subject')}\n"
    f"{_add(_SUBJECT_DOC.format(row='NEW'), 'NEW.subject')}\nEND",
    "CREATE TRIGGER search_ticket_delete AFTER DELETE ON tickets BEGIN\n"
    f"{_remove(_SUBJECT_DOC.format(row='OLD'), 'OLD.subject')}\nEND",
    "CREATE TRIGGER search_message_insert AFTER INSERT ON messages BEGIN\n"
    f"{_add(_MESSAGE_DOC.format(row='NEW'), 'NEW.body')}\nEND",
    "CREATE TRIGGER search_message_update AFTER UPDATE OF id, ticket_id, body ON messages\n"
    "WHEN OLD.id IS NOT NEW.id OR OLD.ticket_id IS NOT NEW.ticket_id "
    "OR OLD.body IS NOT NEW.body BEGIN\n"
    f"{_remove(_MESSAGE_DOC.format(row='OLD'), 'OLD.body')}\n"
    f"{_add(_MESSAGE_DOC.format(row='NEW'), 'NEW.body')}\nEND",
    "CREATE TRIGGER search_message_delete AFTER DELETE ON messages BEGIN\n"
    f"{_remove(_MESSAGE_DOC.format(row='OLD'), 'OLD.body')}\nEND",
)

_SQLITE_BACKFILL = (
    f"INSERT INTO search_text(rowid, text) SELECT {_SUBJECT_DOC.format(row='t')}, t.subject "
    "FROM tickets t",
    f"INSERT INTO search_text(rowid, text) SELECT {_MESSAGE_DOC.format(row='m')}, m.body "
    "FROM messages m",
    # GLOB with a class is slow over a whole desk; a Python regex of the same class is not.
    f"INSERT INTO search_cjk(rowid, text) SELECT {_SUBJECT_DOC.format(row='t')}, t.subject "
    "FROM tickets t WHERE deskterm_0003_cjk(t.subject)",
    f"INSERT INTO search_cjk(rowid, text) SELECT {_MESSAGE_DOC.format(row='m')}, m.body "
    "FROM messages m WHERE deskterm_0003_cjk(m.body)",
)

# --- PostgreSQL ---------------------------------------------------------------------------------
# Expression indexes, no extra columns: COPY writes nothing more, each index is built once.

_PG_INDEXES = (
    "CREATE INDEX search_tickets_subject ON tickets "
    "USING gin (to_tsvector('simple'::regconfig, subject))",
    "CREATE INDEX search_messages_body ON messages "
    "USING gin (to_tsvector('simple'::regconfig, body))",
)


def _pg_cjk_indexes(trigrams: bool) -> tuple[str, ...]:
    how = "gin ({column} gin_trgm_ops)" if trigrams else "btree (id)"
    return (
        f"CREATE INDEX search_tickets_subject_cjk ON tickets USING {how.format(column='subject')} "
        f"WHERE subject ~ {_REGEX}",
        f"CREATE INDEX search_messages_body_cjk ON messages USING {how.format(column='body')} "
        f"WHERE body ~ {_REGEX}",
    )


def _has_cjk(text: str | None) -> bool:
    return text is not None and not text.isascii() and _CJK.search(text) is not None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        driver = bind.connection.driver_connection
        assert driver is not None  # a live connection: Alembic runs in one
        driver.create_function(
            "deskterm_0003_cjk", 1, _has_cjk, deterministic=True)
        for statement in (*_SQLITE_TABLES, *_SQLITE_BACKFILL, *_SQLITE_TRIGGERS):
            op.execute(statement)
        return
    # pg_trgm ships with PostgreSQL's contrib and is a trusted extension (a database owner may
    # create it). Without it, substring search still works, scanning only the CJK rows.
    trigrams = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").first() is not None
    if trigrams:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for statement in (*_PG_INDEXES, *_pg_cjk_indexes(trigrams)):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {statement.split()[2]}")
        op.execute("DROP TABLE IF EXISTS search_cjk")
        op.execute("DROP TABLE IF EXISTS search_text")
        return
    for name in ("search_tickets_subject", "search_messages_body", "search_tickets_subject_cjk",
                 "search_messages_body_cjk"):
        op.execute(f"DROP INDEX IF EXISTS {name}")
    # pg_trgm stays: other objects of the database may use it, and it holds no data.
