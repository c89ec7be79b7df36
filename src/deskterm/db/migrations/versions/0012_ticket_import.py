"""tickets.external_id, customers without an e-mail address

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

``deskterm import csv|jsonl`` brings tickets from other desks: ``tickets.external_id`` holds the
id they had there (a unique index), so importing the same file again updates them instead of
filing them twice. A phone, chat or social-media requester may be known only by name:
``customers.email`` may now be NULL (the unique constraint still holds for the addresses there
are).

SQLite cannot alter a column, and batch mode's table rebuild cannot run here: ``customers`` is
referenced by tickets and messages, and foreign keys cannot be switched off inside the
migration's transaction. Dropping (or, after every NULL is filled, putting back) a NOT NULL
constraint leaves every stored row valid, so it is done the way SQLite's documentation gives
for such changes ("Making Other Kinds Of Table Schema Changes"): the table's ``CREATE TABLE``
text is edited in ``sqlite_schema`` under ``writable_schema`` and the schema version raised,
in the same transaction.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NO_ADDRESS_DOMAIN = "no-email.invalid"
"""Downgrade: the older schema needs an address; ``.invalid`` can never be delivered to."""

_REQUIRED = "email VARCHAR(320) NOT NULL,"
_OPTIONAL = "email VARCHAR(320),"


def _sqlite_email_column(old: str, new: str) -> None:
    connection = op.get_bind()
    sql = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'customers'").scalar()
    if sql is None or sql.count(old) != 1:
        raise RuntimeError(f"customers: expected one '{old}' in its definition")
    version = connection.exec_driver_sql("PRAGMA schema_version").scalar_one()
    connection.exec_driver_sql("PRAGMA writable_schema = ON")
    connection.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'customers'",
        (sql.replace(old, new),))
    connection.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    connection.exec_driver_sql("PRAGMA writable_schema = OFF")


def _email_nullable(nullable: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_email_column(*((_REQUIRED, _OPTIONAL) if nullable else (_OPTIONAL, _REQUIRED)))
    else:
        op.alter_column('customers', 'email', existing_type=sa.String(length=320),
                        nullable=nullable)


def upgrade() -> None:
    op.add_column('tickets', sa.Column('external_id', sa.String(length=200), nullable=True))
    op.create_index('ix_tickets_external_id', 'tickets', ['external_id'], unique=True)
    _email_nullable(True)


def downgrade() -> None:
    op.execute("UPDATE customers SET email = 'customer-' || CAST(id AS VARCHAR(20)) || "
               f"'@{NO_ADDRESS_DOMAIN}' WHERE email IS NULL")
    _email_nullable(False)
    op.drop_index('ix_tickets_external_id', table_name='tickets')
    op.drop_column('tickets', 'external_id')
