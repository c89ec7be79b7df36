"""pg rls: a restricted ticket's tags, links, ratings, SLA outcomes, outbox and attachments too

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08

0021 kept a ticket of a restricted group, its messages and its events from an outsider's own
SQL session (row-level security), but not the rest of what belongs to the ticket: its tags,
links, the articles used on it, its SLA outcomes, the runner's marks, its satisfaction rating
(the customer's comment), the outbox (every mail to the customer, whole), the attachments of
its messages, and the agents' drafts, presence and seen marks on it. An agent outside the group
read them all with one SELECT. Each of these tables now has a policy: its rows are those of a
ticket the session sees (for an attachment, of a message it sees; a link, of two tickets it
sees, as the app shows links), and the row-level security of all of them is switched on and
off with the tickets' (``deskterm_sync_rls``: only while a group is restricted). A no-op on
SQLite.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0025'
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OF_TICKET = ("ticket_tags", "ticket_seen", "drafts", "presence", "kb_article_tickets",
             "outbox", "sla_outcomes", "automation_marks", "satisfaction_ratings")
"""Tables whose rows belong to one ticket (``ticket_id``)."""
OLD_TABLES = ("tickets", "messages", "events")
NEW_TABLES = (*OF_TICKET, "attachments", "ticket_links")


def _seen(column: str) -> str:
    return f"EXISTS (SELECT 1 FROM tickets t WHERE t.id = {column})"


def _sync_rls(tables: Sequence[str]) -> str:
    schema = op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar()
    listed = ", ".join(f"'{t}'" for t in tables)
    return f"""CREATE OR REPLACE FUNCTION deskterm_sync_rls() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
            DECLARE
              wanted boolean := EXISTS (SELECT 1 FROM agent_groups WHERE restricted);
              t text;
            BEGIN
              FOREACH t IN ARRAY ARRAY[{listed}] LOOP
                IF (SELECT relrowsecurity FROM pg_class WHERE oid = t::regclass)
                   IS DISTINCT FROM wanted THEN
                  EXECUTE format('ALTER TABLE %I %s ROW LEVEL SECURITY', t,
                                 CASE WHEN wanted THEN 'ENABLE' ELSE 'DISABLE' END);
                END IF;
              END LOOP;
              RETURN NULL;
            END $$"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in OF_TICKET:
        seen = _seen(f"{table}.ticket_id")
        op.execute(f"CREATE POLICY deskterm_of_ticket ON {table} USING ({seen}) "
                   f"WITH CHECK ({seen})")
    seen_message = "EXISTS (SELECT 1 FROM messages m WHERE m.id = attachments.message_id)"
    op.execute(f"CREATE POLICY deskterm_of_ticket ON attachments USING ({seen_message}) "
               f"WITH CHECK ({seen_message})")
    both = f"({_seen('ticket_links.ticket_id')} AND {_seen('ticket_links.other_id')})"
    op.execute(f"CREATE POLICY deskterm_of_ticket ON ticket_links USING {both} WITH CHECK {both}")
    op.execute(_sync_rls((*OLD_TABLES, *NEW_TABLES)))
    op.execute("UPDATE agent_groups SET restricted = restricted WHERE false")  # fires it once


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_sync_rls(OLD_TABLES))
    for table in NEW_TABLES:
        op.execute(f"DROP POLICY deskterm_of_ticket ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
