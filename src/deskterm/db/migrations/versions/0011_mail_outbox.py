"""mail out: the outbox and the desk's mail settings

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

A public reply to a requester with an address is queued in the ``outbox`` in the reply's own
transaction, composed once (``raw``) so that a retry sends the same bytes and Message-ID;
``mail_settings`` is one row (who the desk's mail is from, the acknowledgement's template).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('rfc_message_id', sa.String(length=998), nullable=True),
    sa.Column('raw', sa.LargeBinary(), nullable=True),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('reply', 'acknowledgement')", name=op.f('ck_outbox_kind')),
    sa.CheckConstraint("state IN ('queued', 'sending', 'sent', 'failed')",
                       name=op.f('ck_outbox_state')),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                            name=op.f('fk_outbox_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'],
                            name=op.f('fk_outbox_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_message_id'))
    )
    op.create_index('ix_outbox_due', 'outbox', ['state', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_outbox_ticket_id'), 'outbox', ['ticket_id'], unique=False)
    op.create_table('mail_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('from_address', sa.String(length=320), nullable=True),
    sa.Column('from_name', sa.String(length=200), nullable=False),
    sa.Column('acknowledge', sa.Boolean(), nullable=False),
    sa.Column('ack_subject', sa.Text(), nullable=False),
    sa.Column('ack_body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_mail_settings_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_settings'))
    )


def downgrade() -> None:
    op.drop_table('mail_settings')
    op.drop_index(op.f('ix_outbox_ticket_id'), table_name='outbox')
    op.drop_index('ix_outbox_due', table_name='outbox')
    op.drop_table('outbox')
