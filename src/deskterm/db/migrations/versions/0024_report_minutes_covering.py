"""reports: time logged counted from one index

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08

``ix_messages_minutes`` (0018: created_at, partial on ``minutes IS NOT NULL``) is made again
covering: (created_at, author_agent_id, minutes, ticket_id), the same condition. The reports'
time logged per agent in a range read each message's row through the old index, then its
ticket's: since the demo logs minutes on most replies and notes (937,585 of 2.6M messages on
the 1M desk, a third of them in a month) that was the report's costliest statement (1.07 s of
CPU of 3.74 s on SQLite, bench/reports.py ``--statements``). Without filters the report now
sums the index alone (0.08-0.10 s); with filters it still joins the tickets, by the id in the
index. Write cost: a message with minutes writes a wider entry (three integers more); a
message without minutes still writes nothing here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024'
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_messages_minutes', table_name='messages')
    op.create_index('ix_messages_minutes', 'messages',
                    ['created_at', 'author_agent_id', 'minutes', 'ticket_id'], unique=False,
                    sqlite_where=sa.text('minutes IS NOT NULL'),
                    postgresql_where=sa.text('minutes IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_messages_minutes', table_name='messages')
    op.create_index('ix_messages_minutes', 'messages', ['created_at'], unique=False,
                    sqlite_where=sa.text('minutes IS NOT NULL'),
                    postgresql_where=sa.text('minutes IS NOT NULL'))
