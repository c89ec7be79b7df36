"""SLAs: business calendars, SLA policies, due times on tickets, outcomes per target

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-07

``business_calendars`` say when the desk works (weekly hours in a time zone, less public
holidays); ``sla_policies`` give the tickets they match (priority, requester tier or
organization; first by ``position``) their first-response, next-response and resolution targets
in business minutes. Each ticket carries its policy and the due times of the targets still
running (``sla_due_at`` the earliest, indexed for the queue's ``sla:`` filters and ``sort:sla``),
when its clock stopped (pending, on-hold) and how long it stood. ``sla_outcomes`` keeps every
target that ended, met or breached, for compliance reports.

Besides the columns of the issue-14 contract this adds ``tickets.sla_paused_minutes``,
``tickets.next_response_started_at``, ``tickets.next_response_paused_minutes`` (so due times can
be recomputed from scratch after a calendar or policy change) and the ``sla_outcomes`` table.
Plain ADD COLUMNs (nullable or with a constant default): SQLite does not rebuild ``tickets``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DUE_COLUMNS = ('first_response_due_at', 'next_response_due_at', 'resolution_due_at',
                'sla_due_at', 'sla_paused_at', 'next_response_started_at')


def upgrade() -> None:
    op.create_table('business_calendars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('hours', sa.JSON(), nullable=False),
    sa.Column('holidays_country', sa.String(length=8), nullable=True),
    sa.Column('holidays_subdivision', sa.String(length=16), nullable=True),
    sa.Column('extra_holidays', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_business_calendars')),
    sa.UniqueConstraint('name', name=op.f('uq_business_calendars_name'))
    )
    op.create_table('sla_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.SmallInteger(), nullable=True),
    sa.Column('customer_tier', sa.String(length=32), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('calendar_id', sa.Integer(), nullable=True),
    sa.Column('first_response_minutes', sa.Integer(), nullable=True),
    sa.Column('next_response_minutes', sa.Integer(), nullable=True),
    sa.Column('resolution_minutes', sa.Integer(), nullable=True),
    sa.Column('escalation', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['business_calendars.id'], name=op.f('fk_sla_policies_calendar_id_business_calendars')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_sla_policies_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policies')),
    sa.UniqueConstraint('name', name=op.f('uq_sla_policies_name'))
    )
    op.create_index('ix_sla_policies_position', 'sla_policies', ['position', 'id'], unique=False)
    op.create_table('sla_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=True),
    sa.Column('policy_name', sa.String(length=100), nullable=False),
    sa.Column('target', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('met_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("target IN ('first_response', 'next_response', 'resolution')", name=op.f('ck_sla_outcomes_target')),
    sa.CheckConstraint("outcome IN ('met', 'breached')", name=op.f('ck_sla_outcomes_outcome')),
    sa.ForeignKeyConstraint(['policy_id'], ['sla_policies.id'], name=op.f('fk_sla_outcomes_policy_id_sla_policies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_sla_outcomes_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_outcomes'))
    )
    op.create_index('ix_sla_outcomes_ticket', 'sla_outcomes', ['ticket_id', 'id'], unique=False)
    op.create_index('ix_sla_outcomes_target_ended', 'sla_outcomes', ['target', 'ended_at'],
                    unique=False)

    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE tickets ADD COLUMN sla_policy_id INTEGER "
                   "REFERENCES sla_policies (id)")
    else:
        op.add_column('tickets', sa.Column('sla_policy_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_tickets_sla_policy_id_sla_policies', 'tickets',
                              'sla_policies', ['sla_policy_id'], ['id'])
    for column in _DUE_COLUMNS:
        op.add_column('tickets', sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    for column in ('sla_paused_minutes', 'next_response_paused_minutes'):
        op.add_column('tickets', sa.Column(column, sa.Integer(), nullable=False,
                                           server_default='0'))
    op.create_index('ix_tickets_sla_due', 'tickets', ['sla_due_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_tickets_sla_due', table_name='tickets')
    for column in ('next_response_paused_minutes', 'sla_paused_minutes', *reversed(_DUE_COLUMNS)):
        op.drop_column('tickets', column)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE tickets DROP COLUMN sla_policy_id")
    else:
        op.drop_constraint('fk_tickets_sla_policy_id_sla_policies', 'tickets',
                           type_='foreignkey')
        op.drop_column('tickets', 'sla_policy_id')
    op.drop_index('ix_sla_outcomes_target_ended', table_name='sla_outcomes')
    op.drop_index('ix_sla_outcomes_ticket', table_name='sla_outcomes')
    op.drop_table('sla_outcomes')
    op.drop_index('ix_sla_policies_position', table_name='sla_policies')
    op.drop_table('sla_policies')
    op.drop_table('business_calendars')
