"""kb: who saved an article last

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

An edit made against an older version of an article is refused; the refusal names the teammate
who saved it since. A plain column (no foreign key): SQLite cannot add one without rebuilding
the table and its search triggers, and agents are deactivated, never deleted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('kb_articles', sa.Column('updated_by_id', sa.Integer(), nullable=True))
    op.execute("UPDATE kb_articles SET updated_by_id = author_id")


def downgrade() -> None:
    op.drop_column('kb_articles', 'updated_by_id')
