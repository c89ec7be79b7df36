"""assignment: group strategies, round-robin's place, agents away and their capacity

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('agents', sa.Column('away', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.add_column('agents', sa.Column('capacity', sa.Integer(), nullable=True))
    op.add_column('agent_groups', sa.Column('assignment', sa.String(length=16), nullable=False,
                                            server_default='manual'))
    op.add_column('agent_groups', sa.Column('last_assigned_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('agent_groups', recreate='never') as batch:
        batch.drop_column('last_assigned_id')
        batch.drop_column('assignment')
    with op.batch_alter_table('agents', recreate='never') as batch:
        batch.drop_column('capacity')
        batch.drop_column('away')
