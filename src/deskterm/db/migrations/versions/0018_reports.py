"""reports: the log of searches that found nothing, and the index the reports count by

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

``missed_searches`` (not ``search_...``: that prefix is full-text search's, see
``deskterm.db.search.is_search_object``) holds one row per search that found nothing (a
knowledge-base search, or a queue filter's words): what was typed, where, by whom, when. The
reports list the most frequent ones ("what are people looking for that the desk cannot
answer?").

``ix_tickets_solved`` (solved_at, id): the reports count tickets solved in a range and their
resolution times; without it each report read every ticket (see bench/reports.py). It costs a
ticket's solve (and reopen-solve) one more index entry to write; no other write touches it.

``ix_tickets_merged`` (closed_at), partial: merged tickets alone (the reports leave them out
and count them apart); only a merge writes to it.

Two partial indexes on messages, each holding only the messages the reports ask about:
``ix_messages_minutes`` (created_at) the replies and notes with minutes logged (time logged in
a range, without reading every message), ``ix_messages_public_replies`` (ticket_id, public,
author_agent_id: covering, so counting needs no message row) agents'
public replies (one-touch resolution: how many a solved ticket had). A message without minutes
costs the first nothing; an agent's public reply costs the second one index entry.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'missed_searches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('query', sa.String(length=200), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('kb', 'queue')", name=op.f('ck_missed_searches_kind')),
        sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ondelete='SET NULL',
                                name=op.f('fk_missed_searches_agent_id_agents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_missed_searches')),
    )
    op.create_index('ix_missed_searches_at', 'missed_searches', ['at', 'id'], unique=False)
    op.create_index('ix_tickets_solved', 'tickets', ['solved_at', 'id'], unique=False)
    op.create_index('ix_tickets_merged', 'tickets', ['closed_at'], unique=False,
                    sqlite_where=sa.text('merged_into_id IS NOT NULL'),
                    postgresql_where=sa.text('merged_into_id IS NOT NULL'))
    op.create_index('ix_messages_minutes', 'messages', ['created_at'], unique=False,
                    sqlite_where=sa.text('minutes IS NOT NULL'),
                    postgresql_where=sa.text('minutes IS NOT NULL'))
    op.create_index('ix_messages_public_replies', 'messages',
                    ['ticket_id', 'public', 'author_agent_id'], unique=False,
                    sqlite_where=sa.text('public = 1 AND author_agent_id IS NOT NULL'),
                    postgresql_where=sa.text('public AND author_agent_id IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_messages_public_replies', table_name='messages')
    op.drop_index('ix_messages_minutes', table_name='messages')
    op.drop_index('ix_tickets_merged', table_name='tickets')
    op.drop_index('ix_tickets_solved', table_name='tickets')
    op.drop_index('ix_missed_searches_at', table_name='missed_searches')
    op.drop_table('missed_searches')
