"""events.via: what made an automatic change

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Rules, assignment strategies, SLA escalations and the desk's timers change tickets through the
same kernel as agents do. Their events name what acted (``rule:Route billing``,
``sla:Urgent``, ``automation:close-solved``) in ``events.via``; ``actor_agent_id`` stays the
agent who acted, if any.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('events', sa.Column('via', sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('events') as batch:
        batch.drop_column('via')
