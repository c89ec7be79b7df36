"""the SLA escalation's index: running due times by policy

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07

``ix_tickets_sla_policy_due`` (sla_policy_id, sla_due_at, id), partial: only tickets whose SLA
clock runs (``sla_due_at IS NOT NULL``; solved, closed and paused tickets and those under no
policy have none). ``deskterm automate run`` asks, per escalating policy, for the tickets due by
a time, soonest first. Through ``ix_tickets_sla_due`` (sla_due_at, id) alone it walked the due
times of every policy's breached tickets to find one policy's: the first pass after ``sla load``
on the 1M-ticket desk took 41 s (the policy with nothing due read them all). With this index
each policy's query is one range of its own entries (see bench/automation_run.py). A change
that moves a ticket's due time moves one more index entry.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_tickets_sla_policy_due', 'tickets',
                    ['sla_policy_id', 'sla_due_at', 'id'], unique=False,
                    sqlite_where=sa.text('sla_due_at IS NOT NULL'),
                    postgresql_where=sa.text('sla_due_at IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_tickets_sla_policy_due', table_name='tickets')
