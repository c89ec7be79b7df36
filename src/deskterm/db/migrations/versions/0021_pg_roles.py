"""pg roles: per-agent database roles on PostgreSQL (a no-op on SQLite)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07

What a PostgreSQL desk needs so that each agent may connect as a database role of their own
(``deskterm init --per-agent-roles``, see ``deskterm.db.pg_roles``) and the server, not the
client, holds the line: an agent's own psql session cannot make itself admin, add or change
agents, change rules, SLA policies or settings, write an event or a message as someone else,
or alter or delete events.

- ``db_role_settings`` (one row, written by ``init --per-agent-roles``): the NOLOGIN group role
  that holds the agents' privileges and the prefix of each agent's LOGIN role. Role names are
  cluster-wide and chosen at init, so the grants themselves are made there (and again after
  every ``db upgrade``, for new tables), not here.
- ``db_role_agents``: which database role is which agent. Identity on such a desk is
  ``session_user`` looked up here, never the user name the client reports. Agents may read it,
  never write it (only the owner and :func:`deskterm_give_db_role`, run for an admin, do).
- ``events.db_role``: the database role that wrote each event, set by a trigger from
  ``session_user`` (so even an event with no actor, a rule's or a customer mail's, names the role
  whose transaction wrote it). Older events keep NULL.
- Functions: ``deskterm_session_agent()`` (the agent id of ``session_user``, NULL for a role
  that is no agent: the owner), ``deskterm_session_username()``, ``deskterm_session_admin()``,
  and ``deskterm_give_db_role(agent_id)`` (SECURITY DEFINER: the owner's right to create roles
  lent to admins for ``deskterm agent add``).
- Triggers that check a mapped session (a role that is no agent, the owner, is not checked):
  admin-only tables (groups and their members, rules, SLA policies and calendars, mail and
  automation settings) refuse a non-admin; ``agents`` lets a non-admin change only their own
  ``away``; ``events.actor_agent_id`` and ``messages.author_agent_id`` must be the session's own
  agent (or none) unless an admin writes; a message is never rewritten (a merge may move it, a reply mailed
  out gets its Message-ID once);
  a macro is changed by its creator or an admin. Refusals are SQLSTATE 42501
  (insufficient_privilege). A deactivated agent's role loses LOGIN (reactivated, gets it back).

- The setup's audit log (``audit_log``, 0020): its actor checked and its writing role recorded
  (``audit_log.db_role``) as events'; agents' roles may only insert into it (the grants).
- Row-level security for group access (0019): a ticket in a restricted group, its messages and
  its events are invisible to an agent's role outside the group (``deskterm_hidden_groups()``:
  none for an admin or a role that is no agent's; the owner bypasses row-level security), and
  cannot be changed or written to by it. ``tickets.db_role_xact``, set by a trigger to the
  writing transaction, keeps a ticket the session's own transaction wrote visible to it: a
  rule may route an agent's new ticket into a group they cannot see, and the app reads it back
  in the same transaction. Row-level security is switched on for the three tables only while
  a group is restricted (a trigger on ``agent_groups``): under it an agent's full-text search
  cannot use the indexes (``@@`` is not leakproof), so a desk without restricted groups keeps
  its search speed.

The names start with ``db_role`` (tables, columns) or ``deskterm_`` (functions, triggers): they
are not models, and the schema comparison leaves them out (``deskterm.db.pg_roles``).
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADMIN_ONLY_TABLES = ("agent_groups", "agent_group_members", "rules", "sla_policies",
                     "business_calendars", "mail_settings", "automation_settings")
"""Tables only an admin changes (deskterm.desk checks the same in the use cases)."""


def _functions(schema: str) -> list[str]:
    path = f"SET search_path = {schema}, pg_temp"
    return [
        f"""CREATE FUNCTION deskterm_session_agent() RETURNS integer
            LANGUAGE sql STABLE SECURITY DEFINER {path} AS
            $$ SELECT agent_id FROM db_role_agents WHERE role_name = session_user $$""",
        f"""CREATE FUNCTION deskterm_session_username() RETURNS text
            LANGUAGE sql STABLE SECURITY DEFINER {path} AS
            $$ SELECT a.username FROM db_role_agents r JOIN agents a ON a.id = r.agent_id
               WHERE r.role_name = session_user $$""",
        f"""CREATE FUNCTION deskterm_session_admin() RETURNS boolean
            LANGUAGE sql STABLE SECURITY DEFINER {path} AS
            $$ SELECT coalesce((SELECT a.role = 'admin' AND a.active
                                FROM db_role_agents r JOIN agents a ON a.id = r.agent_id
                                WHERE r.role_name = session_user), false) $$""",
        f"""CREATE FUNCTION deskterm_admin_only() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN
              IF deskterm_session_agent() IS NOT NULL AND NOT deskterm_session_admin() THEN
                RAISE EXCEPTION 'only an admin can change %', TG_TABLE_NAME
                  USING ERRCODE = 'insufficient_privilege';
              END IF;
              IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
              RETURN NEW;
            END $$""",
        f"""CREATE FUNCTION deskterm_agents_guard() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            DECLARE me integer := deskterm_session_agent();
            BEGIN
              IF me IS NULL OR deskterm_session_admin() THEN
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
              END IF;
              IF TG_OP = 'UPDATE' AND OLD.id = me
                 AND (to_jsonb(NEW) - 'away') = (to_jsonb(OLD) - 'away') THEN
                RETURN NEW;
              END IF;
              RAISE EXCEPTION 'only an admin can add or change agents (an agent may only mark '
                              'themselves away or back)' USING ERRCODE = 'insufficient_privilege';
            END $$""",
        f"""CREATE FUNCTION deskterm_events_guard() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            DECLARE me integer := deskterm_session_agent();
            BEGIN
              NEW.db_role := session_user;
              IF me IS NOT NULL AND NEW.actor_agent_id IS DISTINCT FROM me
                 AND NEW.actor_agent_id IS NOT NULL AND NOT deskterm_session_admin() THEN
                RAISE EXCEPTION 'an event''s actor must be the agent who writes it'
                  USING ERRCODE = 'insufficient_privilege';
              END IF;
              RETURN NEW;
            END $$""",
        f"""CREATE FUNCTION deskterm_messages_guard() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            DECLARE me integer := deskterm_session_agent();
            BEGIN
              IF me IS NULL OR deskterm_session_admin() THEN RETURN NEW; END IF;
              IF TG_OP = 'UPDATE' THEN
                -- a message is never rewritten; a merge moves it to the other ticket, and a
                -- reply mailed out gets its Message-ID once
                IF (to_jsonb(NEW) - 'ticket_id' - 'source_message_id')
                     <> (to_jsonb(OLD) - 'ticket_id' - 'source_message_id')
                   OR (OLD.source_message_id IS NOT NULL
                       AND NEW.source_message_id IS DISTINCT FROM OLD.source_message_id) THEN
                  RAISE EXCEPTION 'a message is not changed once written'
                    USING ERRCODE = 'insufficient_privilege';
                END IF;
              ELSIF NEW.author_agent_id IS NOT NULL AND NEW.author_agent_id <> me THEN
                RAISE EXCEPTION 'a message''s author must be the agent who writes it'
                  USING ERRCODE = 'insufficient_privilege';
              END IF;
              RETURN NEW;
            END $$""",
        f"""CREATE FUNCTION deskterm_macros_guard() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            DECLARE me integer := deskterm_session_agent();
            BEGIN
              IF me IS NULL OR deskterm_session_admin()
                 OR ((TG_OP = 'INSERT' OR OLD.created_by_id = me)
                     AND (TG_OP = 'DELETE' OR NEW.created_by_id = me)) THEN
                IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
                RETURN NEW;
              END IF;
              RAISE EXCEPTION 'a macro is changed by its creator or an admin'
                USING ERRCODE = 'insufficient_privilege';
            END $$""",
        # Group access (0019) held by the server too: the restricted groups the session's agent
        # is not a member of (none for an admin, or a role that is no agent's).
        f"""CREATE FUNCTION deskterm_hidden_groups() RETURNS integer[]
            LANGUAGE sql STABLE SECURITY DEFINER {path} AS
            $$ SELECT coalesce(array_agg(g.id), '{{}}') FROM agent_groups g
               WHERE g.restricted AND deskterm_session_agent() IS NOT NULL
                 AND NOT deskterm_session_admin()
                 AND NOT EXISTS (SELECT 1 FROM agent_group_members m
                                 WHERE m.group_id = g.id
                                   AND m.agent_id = deskterm_session_agent()) $$""",
        # The transaction that last wrote a ticket: a ticket this transaction wrote stays
        # visible to it (a rule may move the agent's new ticket into a group they cannot see,
        # and the app reads it back). Set here, never by the writer.
        f"""CREATE FUNCTION deskterm_tickets_xact() RETURNS trigger LANGUAGE plpgsql {path} AS $$
            BEGIN
              NEW.db_role_xact := pg_current_xact_id()::text::bigint;
              RETURN NEW;
            END $$""",
        # Row-level security is on only while some group is restricted: under it the planner
        # cannot use the full-text indexes for an agent's search (@@ is not leakproof): 150 ms
        # instead of 1 ms on 20,000 tickets. A desk without restricted groups pays nothing.
        f"""CREATE FUNCTION deskterm_sync_rls() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER {path} AS $$
            DECLARE
              wanted boolean := EXISTS (SELECT 1 FROM agent_groups WHERE restricted);
              t text;
            BEGIN
              FOREACH t IN ARRAY ARRAY['tickets', 'messages', 'events'] LOOP
                IF (SELECT relrowsecurity FROM pg_class WHERE oid = t::regclass)
                   IS DISTINCT FROM wanted THEN
                  EXECUTE format('ALTER TABLE %I %s ROW LEVEL SECURITY', t,
                                 CASE WHEN wanted THEN 'ENABLE' ELSE 'DISABLE' END);
                END IF;
              END LOOP;
              RETURN NULL;
            END $$""",
        # A deactivated agent's role can no longer log in; reactivated, it can again.
        f"""CREATE FUNCTION deskterm_agents_login() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER {path} AS $$
            DECLARE role text;
            BEGIN
              SELECT role_name INTO role FROM db_role_agents WHERE agent_id = NEW.id;
              IF FOUND AND NEW.active IS DISTINCT FROM OLD.active THEN
                EXECUTE format('ALTER ROLE %I %s', role,
                               CASE WHEN NEW.active THEN 'LOGIN' ELSE 'NOLOGIN' END);
              END IF;
              RETURN NULL;
            END $$""",
        # The owner's CREATEROLE lent to an admin (or the owner) for `deskterm agent add`: the
        # agent's LOGIN role, made a member of the agents' group role, mapped to the agent.
        # NULL when the desk has no per-agent roles.
        f"""CREATE FUNCTION deskterm_give_db_role(agent integer) RETURNS text
            LANGUAGE plpgsql SECURITY DEFINER {path} AS $$
            DECLARE
              settings db_role_settings%ROWTYPE;
              wanted text;
              have text;
            BEGIN
              IF deskterm_session_agent() IS NOT NULL AND NOT deskterm_session_admin() THEN
                RAISE EXCEPTION 'only an admin can give agents database roles'
                  USING ERRCODE = 'insufficient_privilege';
              END IF;
              SELECT * INTO settings FROM db_role_settings WHERE id = 1;
              IF NOT FOUND THEN RETURN NULL; END IF;
              SELECT role_name INTO have FROM db_role_agents WHERE agent_id = agent;
              IF FOUND THEN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = have) THEN
                  -- a desk restored on another server: the role is made again
                  EXECUTE format('CREATE ROLE %I LOGIN', have);
                  EXECUTE format('GRANT %I TO %I', settings.agents_role, have);
                END IF;
                RETURN have;
              END IF;
              SELECT settings.role_prefix || lower(username) INTO wanted FROM agents
                WHERE id = agent;
              IF wanted IS NULL THEN
                RAISE EXCEPTION 'no agent %', agent USING ERRCODE = 'no_data_found';
              END IF;
              IF octet_length(wanted) > 63 THEN
                RAISE EXCEPTION 'database role name % is longer than 63 bytes', wanted
                  USING ERRCODE = 'name_too_long';
              END IF;
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = wanted) THEN
                EXECUTE format('CREATE ROLE %I LOGIN', wanted);
              ELSIF NOT pg_has_role(wanted, settings.agents_role, 'MEMBER')
                    OR (SELECT rolsuper OR rolcreaterole OR rolbypassrls FROM pg_roles
                        WHERE rolname = wanted) THEN
                -- someone else's role (a superuser's, another program's): never taken over
                RAISE EXCEPTION 'database role % exists and is not a deskterm agent''s', wanted
                  USING ERRCODE = 'duplicate_object';
              END IF;
              EXECUTE format('GRANT %I TO %I', settings.agents_role, wanted);
              INSERT INTO db_role_agents (agent_id, role_name) VALUES (agent, wanted);
              RETURN wanted;
            END $$""",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    schema = op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar()
    op.execute("""CREATE TABLE db_role_settings (
        id integer PRIMARY KEY CHECK (id = 1),
        agents_role text NOT NULL,
        role_prefix text NOT NULL)""")
    op.execute("""CREATE TABLE db_role_agents (
        agent_id integer PRIMARY KEY REFERENCES agents (id) ON DELETE CASCADE,
        role_name text NOT NULL UNIQUE)""")
    op.execute("ALTER TABLE events ADD COLUMN db_role text")  # older events: NULL, not the owner
    for statement in _functions(str(schema)):
        op.execute(statement)
    op.execute("REVOKE ALL ON FUNCTION deskterm_give_db_role(integer) FROM PUBLIC")
    for table in ADMIN_ONLY_TABLES:
        op.execute(f"CREATE TRIGGER deskterm_admin_only BEFORE INSERT OR UPDATE OR DELETE ON "
                   f"{table} FOR EACH ROW EXECUTE FUNCTION deskterm_admin_only()")
    op.execute("CREATE TRIGGER deskterm_agents_guard BEFORE INSERT OR UPDATE OR DELETE ON agents "
               "FOR EACH ROW EXECUTE FUNCTION deskterm_agents_guard()")
    op.execute("CREATE TRIGGER deskterm_events_guard BEFORE INSERT ON events "
               "FOR EACH ROW EXECUTE FUNCTION deskterm_events_guard()")
    op.execute("CREATE TRIGGER deskterm_messages_guard BEFORE INSERT OR UPDATE ON messages "
               "FOR EACH ROW EXECUTE FUNCTION deskterm_messages_guard()")
    op.execute("CREATE TRIGGER deskterm_macros_guard BEFORE INSERT OR UPDATE OR DELETE ON macros "
               "FOR EACH ROW EXECUTE FUNCTION deskterm_macros_guard()")
    op.execute("CREATE TRIGGER deskterm_agents_login AFTER UPDATE OF active ON agents "
               "FOR EACH ROW EXECUTE FUNCTION deskterm_agents_login()")
    # the setup's audit log (0020): append-only for agents' roles, its actor checked as events'
    op.execute("ALTER TABLE audit_log ADD COLUMN db_role text")
    op.execute("CREATE TRIGGER deskterm_audit_guard BEFORE INSERT ON audit_log "
               "FOR EACH ROW EXECUTE FUNCTION deskterm_events_guard()")
    # Row-level security: a ticket in a restricted group, its messages and its events are
    # invisible to an agent outside the group. The owner (and a superuser) bypass it.
    op.execute("ALTER TABLE tickets ADD COLUMN db_role_xact bigint")
    op.execute("CREATE TRIGGER deskterm_tickets_xact BEFORE INSERT OR UPDATE ON tickets "
               "FOR EACH ROW EXECUTE FUNCTION deskterm_tickets_xact()")
    visible = ("(group_id IS NULL OR group_id <> ALL ((SELECT deskterm_hidden_groups())::integer[]) "
               "OR db_role_xact = pg_current_xact_id_if_assigned()::text::bigint)")
    op.execute(f"CREATE POLICY deskterm_see ON tickets FOR SELECT USING {visible}")
    op.execute("CREATE POLICY deskterm_add ON tickets FOR INSERT WITH CHECK (true)")
    op.execute(f"CREATE POLICY deskterm_change ON tickets FOR UPDATE USING {visible} "
               "WITH CHECK (true)")
    of_visible_ticket = ("(EXISTS (SELECT 1 FROM tickets t "
                         "WHERE t.id = {table}.ticket_id))")
    for table, commands in (("messages", ("SELECT", "INSERT", "UPDATE")),
                            ("events", ("SELECT", "INSERT"))):
        condition = of_visible_ticket.format(table=table)
        for command in commands:
            using = "" if command == "INSERT" else f" USING {condition}"
            check = "" if command == "SELECT" else f" WITH CHECK {condition}"
            op.execute(f"CREATE POLICY deskterm_{command.lower()} ON {table} FOR {command}"
                       f"{using}{check}")
    op.execute("CREATE TRIGGER deskterm_sync_rls AFTER INSERT OR UPDATE OF restricted OR DELETE "
               "ON agent_groups FOR EACH STATEMENT EXECUTE FUNCTION deskterm_sync_rls()")
    op.execute("UPDATE agent_groups SET restricted = restricted WHERE false")  # fires it once


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, commands in (("messages", ("select", "insert", "update")),
                            ("events", ("select", "insert"))):
        for command in commands:
            op.execute(f"DROP POLICY deskterm_{command} ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for policy in ("see", "add", "change"):
        op.execute(f"DROP POLICY deskterm_{policy} ON tickets")
    op.execute("ALTER TABLE tickets DISABLE ROW LEVEL SECURITY")
    op.execute("DROP TRIGGER deskterm_sync_rls ON agent_groups")
    op.execute("DROP TRIGGER deskterm_tickets_xact ON tickets")
    op.execute("ALTER TABLE tickets DROP COLUMN db_role_xact")
    op.execute("DROP TRIGGER deskterm_audit_guard ON audit_log")
    op.execute("ALTER TABLE audit_log DROP COLUMN db_role")
    for table in ADMIN_ONLY_TABLES:
        op.execute(f"DROP TRIGGER deskterm_admin_only ON {table}")
    op.execute("DROP TRIGGER deskterm_agents_guard ON agents")
    op.execute("DROP TRIGGER deskterm_events_guard ON events")
    op.execute("DROP TRIGGER deskterm_messages_guard ON messages")
    op.execute("DROP TRIGGER deskterm_macros_guard ON macros")
    op.execute("DROP TRIGGER deskterm_agents_login ON agents")
    for function in ("deskterm_give_db_role(integer)", "deskterm_agents_login()",
                     "deskterm_tickets_xact()", "deskterm_hidden_groups()",
                     "deskterm_sync_rls()",
                     "deskterm_macros_guard()", "deskterm_messages_guard()",
                     "deskterm_events_guard()", "deskterm_agents_guard()",
                     "deskterm_admin_only()", "deskterm_session_admin()",
                     "deskterm_session_username()", "deskterm_session_agent()"):
        op.execute(f"DROP FUNCTION {function}")
    op.execute("ALTER TABLE events DROP COLUMN db_role")
    op.execute("DROP TABLE db_role_agents")
    op.execute("DROP TABLE db_role_settings")
