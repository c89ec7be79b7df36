"""reports: business minutes and SLA outcomes on the ticket; covering report indexes

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07

``tickets.first_response_business_minutes`` and ``tickets.resolution_business_minutes``: the
business minutes (the calendar of the ticket's SLA policy) from filing to the first public reply
and to the (last) solve, written by ``deskterm.desk.sla.due.refresh`` when the reply or the solve
happens, and only where a calendar applies (NULL otherwise: the report then counts the time on
the wall clock). A calendar's holidays and hours cannot be computed in SQL; stored once per
ticket they are aggregated in SQL like any other column. A nullable column without a default
is a catalogue change on both stores (no table rewrite).

``tickets.first_response_sla_met`` and ``tickets.resolution_sla_met``: how the ticket's
first-response and (last) resolution target ended, written with the ``sla_outcomes`` row and
filled here from the newest one. The reports count SLA compliance of the tickets created (first
response) and solved (resolution) in a range from them, in the same index-only pass as the
other counts; joining a month's outcomes to their tickets was 1.5 s of CPU on a 1M desk.

``ix_tickets_solved`` (solved_at, id) of 0018 is dropped: ``ix_tickets_status_solved``
(status, solved_at, ...) answers the reports' "solved in a range" as well (they always ask for
``status IN ('solved', 'closed')``: a ticket reopened since keeps its old ``solved_at``), and
auto-close's "solved before" too. One index less to write on every solve.

``ix_tickets_status_solved`` (0017) is made again with the columns the reports group and filter
by after its two (merged_into_id, assignee_id, group_id, priority, channel, created_at, reopens,
resolution_business_minutes, resolution_sla_met, id), and ``ix_tickets_created_report``
(created_at, the same five, first_response_at, first_response_business_minutes,
first_response_sla_met, id) is new (the id last: PostgreSQL's index-only scans need it for the
joins to tags, ratings and replies): a month of a 1M desk is a third of
a million tickets, and reading each one's row was most of a report's time (bench/reports.py:
26 s before on SQLite). Both cost a write of one more index entry when a ticket's status,
assignee, group, priority or first reply changes; building them on a 1M desk takes about 10 s.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUSINESS_COLUMNS = ('first_response_business_minutes', 'resolution_business_minutes')
REPORT_COLUMNS = ('merged_into_id', 'assignee_id', 'group_id', 'priority', 'channel')
SLA_COLUMNS = (('first_response_sla_met', 'first_response'), ('resolution_sla_met', 'resolution'))


def upgrade() -> None:
    for column in BUSINESS_COLUMNS:
        op.add_column('tickets', sa.Column(column, sa.Integer(), nullable=True))
    for column, _target in SLA_COLUMNS:
        op.add_column('tickets', sa.Column(column, sa.Boolean(), nullable=True))
    for column, target in SLA_COLUMNS:  # how each ended, from its newest outcome
        op.execute(
            f"UPDATE tickets SET {column} = (SELECT o.outcome = 'met' FROM sla_outcomes o "
            f"WHERE o.ticket_id = tickets.id AND o.target = '{target}' "
            f"ORDER BY o.id DESC LIMIT 1) "
            f"WHERE id IN (SELECT ticket_id FROM sla_outcomes WHERE target = '{target}')")
    op.drop_index('ix_tickets_solved', table_name='tickets')
    op.drop_index('ix_tickets_status_solved', table_name='tickets')
    op.create_index('ix_tickets_status_solved', 'tickets',
                    ['status', 'solved_at', *REPORT_COLUMNS, 'created_at', 'reopens',
                     'resolution_business_minutes', 'resolution_sla_met', 'id'], unique=False)
    op.create_index('ix_tickets_created_report', 'tickets',
                    ['created_at', *REPORT_COLUMNS, 'first_response_at',
                     'first_response_business_minutes', 'first_response_sla_met', 'id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_tickets_created_report', table_name='tickets')
    op.drop_index('ix_tickets_status_solved', table_name='tickets')
    op.create_index('ix_tickets_status_solved', 'tickets', ['status', 'solved_at'], unique=False)
    op.create_index('ix_tickets_solved', 'tickets', ['solved_at', 'id'], unique=False)
    for column in (*reversed([name for name, _target in SLA_COLUMNS]),
                   *reversed(BUSINESS_COLUMNS)):
        op.drop_column('tickets', column)
