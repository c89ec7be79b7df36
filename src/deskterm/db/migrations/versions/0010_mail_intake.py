"""mail intake: attachments and the mail quarantine

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

A customer's mail files its attachments (``attachments``, removed with their message) and a
mail the intake cannot file is kept whole in ``mail_quarantine`` with the reason. Threading
looks up ``messages.source_message_id``, which needs no new index: its unique constraint
(migration 0001) is one on both stores.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=127), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                            name=op.f('fk_attachments_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    op.create_index(op.f('ix_attachments_message_id'), 'attachments', ['message_id'],
                    unique=False)
    op.create_table('mail_quarantine',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('message_id', sa.String(length=998), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_quarantine'))
    )
    op.create_index('ix_mail_quarantine_received', 'mail_quarantine', ['received_at', 'id'],
                    unique=False)
    op.create_index(op.f('ix_mail_quarantine_sha256'), 'mail_quarantine', ['sha256'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_mail_quarantine_sha256'), table_name='mail_quarantine')
    op.drop_index('ix_mail_quarantine_received', table_name='mail_quarantine')
    op.drop_table('mail_quarantine')
    op.drop_index(op.f('ix_attachments_message_id'), table_name='attachments')
    op.drop_table('attachments')
