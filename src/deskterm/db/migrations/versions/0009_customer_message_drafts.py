"""drafts: a customer's message being logged is kept as a draft too

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

``c`` on the ticket screen writes down what the requester said (a phone call, an answer that
came some other way) in the same editor as replies and notes; its text is stored as the agent
types, like theirs, so the drafts' kind may now be ``customer``. SQLite cannot alter a CHECK
constraint: batch mode rebuilds the small drafts table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('drafts') as batch_op:
        batch_op.drop_constraint(op.f('ck_drafts_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_drafts_kind'),
                                         "kind IN ('reply', 'note', 'customer')")


def downgrade() -> None:
    # A customer-message draft has no kind in the older schema: kept as a note, so its text
    # is not lost (it is marked internal, never sent).
    op.execute("UPDATE drafts SET kind = 'note' WHERE kind = 'customer'")
    with op.batch_alter_table('drafts') as batch_op:
        batch_op.drop_constraint(op.f('ck_drafts_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_drafts_kind'), "kind IN ('reply', 'note')")
