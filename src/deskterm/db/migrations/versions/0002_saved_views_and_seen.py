"""saved views, ticket_seen, tickets.customer_replied_at

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The latest customer-authored message of each ticket other than its opening message.
_BACKFILL_CUSTOMER_REPLIED = """
UPDATE tickets SET customer_replied_at = (
    SELECT MAX(m.created_at) FROM messages m
    WHERE m.ticket_id = tickets.id
      AND m.author_customer_id IS NOT NULL
      AND m.id > (SELECT MIN(f.id) FROM messages f WHERE f.ticket_id = tickets.id)
)
WHERE EXISTS (
    SELECT 1 FROM messages m
    WHERE m.ticket_id = tickets.id AND m.author_customer_id IS NOT NULL
)
"""

# An agent has seen a ticket when they last wrote on it or changed one of its fields.
_BACKFILL_SEEN = """
INSERT INTO ticket_seen (ticket_id, agent_id, seen_at)
SELECT ticket_id, agent_id, MAX(at) FROM (
    SELECT ticket_id, author_agent_id AS agent_id, created_at AS at FROM messages
    WHERE author_agent_id IS NOT NULL
    UNION ALL
    SELECT ticket_id, actor_agent_id AS agent_id, at FROM events
    WHERE actor_agent_id IS NOT NULL
) AS work
GROUP BY ticket_id, agent_id
"""


def upgrade() -> None:
    op.create_table('saved_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('sort', sa.String(length=32), nullable=False),
    sa.Column('owner_agent_id', sa.Integer(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_agent_id'], ['agents.id'], name=op.f('fk_saved_views_owner_agent_id_agents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_views')),
    sa.UniqueConstraint('owner_agent_id', 'name', name='uq_saved_views_owner_name')
    )
    with op.batch_alter_table('saved_views', schema=None) as batch_op:
        batch_op.create_index('uq_saved_views_shared_name', ['name'], unique=True,
                              sqlite_where=sa.text('shared'), postgresql_where=sa.text('shared'))

    op.create_table('ticket_seen',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_ticket_seen_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_seen_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'agent_id', name=op.f('pk_ticket_seen'))
    )

    # A plain ADD COLUMN (no table rebuild on SQLite: the column is nullable with no default).
    op.add_column('tickets', sa.Column('customer_replied_at', sa.DateTime(timezone=True),
                                       nullable=True))
    op.execute(_BACKFILL_CUSTOMER_REPLIED)
    op.execute(_BACKFILL_SEEN)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('customer_replied_at')

    op.drop_table('ticket_seen')
    with op.batch_alter_table('saved_views', schema=None) as batch_op:
        batch_op.drop_index('uq_saved_views_shared_name')

    op.drop_table('saved_views')
