"""rules: the rules table; messages a rule wrote (no author, ``via`` naming the rule); rule mail

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

A rule's internal note (or a macro a rule applied) is written by no agent and no customer: its
``messages.via`` names the rule (``rule:Route billing``), and the one-author check allows that
one case. On SQLite the check is loosened in the table's stored definition (SQLite's documented
way to relax a CHECK without rebuilding the table: the rows already satisfy the looser check,
and rebuilding ``messages`` would drop its full-text triggers and cost minutes on a big desk).
The outbox's kinds gain ``rule`` (a rule's e-mail to the requester) the same way.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STRICT = '(author_agent_id IS NULL) <> (author_customer_id IS NULL)'
LOOSE = ('((author_agent_id IS NULL) <> (author_customer_id IS NULL)) OR '
         '(via IS NOT NULL AND author_agent_id IS NULL AND author_customer_id IS NULL)')


KINDS = "kind IN ('reply', 'acknowledgement')"
KINDS_RULE = "kind IN ('reply', 'acknowledgement', 'rule')"


def _sqlite_check(table: str, old: str, new: str) -> None:
    """Replace a CHECK's text in the stored CREATE TABLE of ``table``."""
    bind = op.get_bind()
    (sql,) = bind.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {'name': table}).one()
    before = f'CHECK ({old})'
    if before not in sql:
        raise RuntimeError(f"{table}: no check {before!r}")
    (version,) = bind.execute(sa.text('PRAGMA schema_version')).one()
    bind.execute(sa.text('PRAGMA writable_schema = ON'))
    bind.execute(sa.text(
        "UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :name"),
        {'sql': sql.replace(before, f'CHECK ({new})'), 'name': table})
    bind.execute(sa.text(f'PRAGMA schema_version = {int(version) + 1}'))
    bind.execute(sa.text('PRAGMA writable_schema = OFF'))


def upgrade() -> None:
    op.create_table('rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('triggers', sa.JSON(), nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('stop', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rules')),
    sa.UniqueConstraint('name', name=op.f('uq_rules_name'))
    )
    op.add_column('messages', sa.Column('via', sa.String(length=120), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_check('messages', STRICT, LOOSE)
        _sqlite_check('outbox', KINDS, KINDS_RULE)
    else:
        op.drop_constraint(op.f('ck_messages_one_author'), 'messages', type_='check')
        op.create_check_constraint('one_author', 'messages', LOOSE)
        op.drop_constraint(op.f('ck_outbox_kind'), 'outbox', type_='check')
        op.create_check_constraint('kind', 'outbox', KINDS_RULE)


def downgrade() -> None:
    # A rule's message has no author to give back: it goes with the column that named the rule.
    op.execute("DELETE FROM messages WHERE author_agent_id IS NULL AND author_customer_id IS NULL")
    op.execute("DELETE FROM outbox WHERE kind = 'rule'")
    if op.get_bind().dialect.name == 'sqlite':
        _sqlite_check('messages', LOOSE, STRICT)
        _sqlite_check('outbox', KINDS_RULE, KINDS)
        with op.batch_alter_table('messages', recreate='never') as batch:
            batch.drop_column('via')
    else:
        op.drop_constraint(op.f('ck_messages_one_author'), 'messages', type_='check')
        op.create_check_constraint('one_author', 'messages', STRICT)
        op.drop_constraint(op.f('ck_outbox_kind'), 'outbox', type_='check')
        op.create_check_constraint('kind', 'outbox', KINDS)
        op.drop_column('messages', 'via')
    op.drop_table('rules')
