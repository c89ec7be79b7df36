"""group access: a group open to every agent, or restricted to its members

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

``agent_groups.restricted``: false (the default, and every existing group) means every agent
sees and changes the group's tickets; true means only the group's members (and admins) do.
A ticket with no group is open to all. The check lives in ``deskterm.desk.people.access``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('agent_groups', sa.Column('restricted', sa.Boolean(), nullable=False,
                                            server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('agent_groups', recreate='never') as batch:
        batch.drop_column('restricted')
