"""ticket work: drafts, presence, macros, ticket links, time spent, merge pointer

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('drafts',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('reply', 'note')", name=op.f('ck_drafts_kind')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_drafts_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_drafts_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'agent_id', name=op.f('pk_drafts'))
    )
    op.create_table('presence',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('activity', sa.String(length=8), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("activity IN ('viewing', 'writing')", name=op.f('ck_presence_activity')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_presence_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_presence_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'agent_id', name=op.f('pk_presence'))
    )
    op.create_index('ix_presence_seen', 'presence', ['seen_at'], unique=False)
    op.create_table('macros',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['agents.id'], name=op.f('fk_macros_created_by_id_agents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_macros')),
    sa.UniqueConstraint('name', name=op.f('uq_macros_name'))
    )
    op.create_table('ticket_links',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('other_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('related', 'incident')", name=op.f('ck_ticket_links_kind')),
    sa.CheckConstraint('ticket_id <> other_id', name=op.f('ck_ticket_links_not_self')),
    sa.ForeignKeyConstraint(['created_by_id'], ['agents.id'], name=op.f('fk_ticket_links_created_by_id_agents')),
    sa.ForeignKeyConstraint(['other_id'], ['tickets.id'], name=op.f('fk_ticket_links_other_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_links_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'other_id', 'kind', name=op.f('pk_ticket_links'))
    )
    op.create_index('ix_ticket_links_other', 'ticket_links', ['other_id', 'kind'], unique=False)

    # Plain ADD COLUMNs: nullable, no default, so SQLite does not rebuild the big tables.
    op.add_column('messages', sa.Column('minutes', sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE tickets ADD COLUMN merged_into_id INTEGER "
                   "REFERENCES tickets (id)")
    else:
        op.add_column('tickets', sa.Column('merged_into_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_tickets_merged_into_id_tickets', 'tickets', 'tickets',
                              ['merged_into_id'], ['id'])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE tickets DROP COLUMN merged_into_id")
    else:
        op.drop_constraint('fk_tickets_merged_into_id_tickets', 'tickets', type_='foreignkey')
        op.drop_column('tickets', 'merged_into_id')
    op.drop_column('messages', 'minutes')
    op.drop_index('ix_ticket_links_other', table_name='ticket_links')
    op.drop_table('ticket_links')
    op.drop_table('macros')
    op.drop_index('ix_presence_seen', table_name='presence')
    op.drop_table('presence')
    op.drop_table('drafts')
