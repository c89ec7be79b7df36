"""queue: an index for status and priority together

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

``status:pending priority:high`` is one of the queue's usual filters. With only the status and
the priority indexes, counting it read every high-priority ticket's row (0.3-0.5 s on a million
tickets); this index counts and pages it from the index alone.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_tickets_status_priority_updated', 'tickets',
                    ['status', 'priority', 'updated_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_tickets_status_priority_updated', table_name='tickets')
