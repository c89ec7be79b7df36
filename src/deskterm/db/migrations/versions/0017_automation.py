"""automation and CSAT: the runner's lease, its settings and marks, satisfaction ratings

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

``automation_leases`` holds the one ``runner`` lease (taken by a conditional UPDATE, so exactly
one runner acts at a time); ``automation_settings`` the desk's timers (one row);
``automation_marks`` what was done once per ticket (an escalation per SLA target);
``satisfaction_ratings`` the requester's CSAT 1-5 of a solved ticket. The outbox takes two new
kinds (``confirmation``: a solved ticket's solution and rating question; ``reminder``: a
pending ticket's nudge). ``ix_tickets_status_solved`` finds solved tickets due to close.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_KINDS = "kind IN ('reply', 'acknowledgement', 'rule', 'confirmation', 'reminder')"
OLD_KINDS = "kind IN ('reply', 'acknowledgement', 'rule')"
"""As 0014 (rules) left them."""


def upgrade() -> None:
    op.create_table('automation_leases',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_pass_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalations_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_automation_leases'))
    )
    op.execute("INSERT INTO automation_leases (name) VALUES ('runner')")
    op.create_table('automation_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('close_solved_after_days', sa.Integer(), server_default='4', nullable=False),
    sa.Column('remind_pending_after_days', sa.Integer(), server_default='3', nullable=False),
    sa.Column('every_seconds', sa.Integer(), server_default='60', nullable=False),
    sa.Column('batch', sa.Integer(), server_default='500', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_automation_settings_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_automation_settings'))
    )
    op.create_table('automation_marks',
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'],
                            name=op.f('fk_automation_marks_ticket_id_tickets'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ticket_id', 'kind', 'target', name=op.f('pk_automation_marks'))
    )
    op.create_table('satisfaction_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_satisfaction_ratings_score')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                            name=op.f('fk_satisfaction_ratings_customer_id_customers')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                            name=op.f('fk_satisfaction_ratings_message_id_messages'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['agents.id'],
                            name=op.f('fk_satisfaction_ratings_recorded_by_id_agents')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'],
                            name=op.f('fk_satisfaction_ratings_ticket_id_tickets'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_satisfaction_ratings')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_satisfaction_ratings_ticket_id'))
    )
    op.create_index('ix_satisfaction_ratings_customer', 'satisfaction_ratings',
                    ['customer_id', 'rated_at'], unique=False)
    op.create_index('ix_satisfaction_ratings_rated', 'satisfaction_ratings', ['rated_at'],
                    unique=False)
    op.create_index('ix_tickets_status_solved', 'tickets', ['status', 'solved_at'],
                    unique=False)
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_kind'), NEW_KINDS)


def downgrade() -> None:
    # The older schema has no such kinds: their mail (sent or not) goes with the feature.
    op.execute("DELETE FROM outbox WHERE kind IN ('confirmation', 'reminder')")
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_kind'), OLD_KINDS)
    op.drop_index('ix_tickets_status_solved', table_name='tickets')
    op.drop_index('ix_satisfaction_ratings_rated', table_name='satisfaction_ratings')
    op.drop_index('ix_satisfaction_ratings_customer', table_name='satisfaction_ratings')
    op.drop_table('satisfaction_ratings')
    op.drop_table('automation_marks')
    op.drop_table('automation_settings')
    op.drop_table('automation_leases')
