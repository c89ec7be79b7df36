"""audit_log: every change to the desk's setup, who made it, from what, to what

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07

Ticket changes already have their trail in ``events``. ``audit_log`` holds the rest: rules,
macros, SLA policies and calendars, knowledge-base articles and categories, agents, groups
(members, settings), automation and mail settings. One row per changed field: who
(``actor_agent_id``; None when nobody did), what made an automatic change (``via``), the kind of
object (``rule``, ``macro`` ...), its name, the field, the value before and after (None: there
was none, as on a creation or a deletion).

``ix_audit_log_kind_at`` serves ``deskterm audit --kind``, ``ix_audit_log_actor_at`` serves
``--actor``. The log is written in the same transaction as the change it records and never
updated: on PostgreSQL a later migration makes it append-only for agents' roles.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_agent_id', sa.Integer(), nullable=True),
        sa.Column('via', sa.String(length=120), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('object', sa.String(length=200), nullable=False),
        sa.Column('field', sa.String(length=64), nullable=False),
        sa.Column('old', sa.Text(), nullable=True),
        sa.Column('new', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['actor_agent_id'], ['agents.id'],
                                name=op.f('fk_audit_log_actor_agent_id_agents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    )
    op.create_index('ix_audit_log_kind_at', 'audit_log', ['kind', 'at'], unique=False)
    op.create_index('ix_audit_log_actor_at', 'audit_log', ['actor_agent_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_log_actor_at', table_name='audit_log')
    op.drop_index('ix_audit_log_kind_at', table_name='audit_log')
    op.drop_table('audit_log')
