"""Throw-away PostgreSQL databases for the tests, cheap enough to make one per test.

Each test gets a database of its own with a name of its own, exactly as migrated (or as seeded,
see :meth:`PostgresServer.create`). Making one with ``CREATE DATABASE ... TEMPLATE`` and dropping
it afterwards cost about a second a test (``DROP DATABASE`` waits for the disk), more than most
tests themselves. So a database a test is done with is put back in the state it was handed out
in and kept for the next test, under a new name:

- every other session on it is ended, as ``DROP DATABASE ... WITH (FORCE)`` would;
- its schema (tables, columns, indexes, constraints, triggers, functions, types, extensions,
  settings, planner statistics...) is compared with the template's; if anything differs (a test
  ran a migration, a bulk load dropped an index), it is emptied instead (below);
- every table written to whose rows differ from the state's is emptied (``DELETE``: a
  ``TRUNCATE`` of tables this small costs ten times more) and the rows the state holds
  (``alembic_version``, the ticket-number counter, or a seeded desk) copied back byte for byte;
  every sequence is set back to where it stood;
- the next test renames it to a fresh unique name first, so a straggler connection of the
  previous test fails as it did when its database was dropped.

A database that cannot be put back (an empty one a test migrated, a migrated one a test
downgraded) is emptied in the same way (every schema and extension dropped, ``public`` made
anew) and kept for the next test that asks for an empty database, if it is then exactly as a
new one; only what fails that check is dropped. What is left at the end is dropped all at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import psycopg
import pytest
from psycopg import sql

from deskterm.db import migrate
from deskterm.db.engine import Store

SPARES = 3
"""Databases of each kind (migrated, empty) kept for reuse (a test rarely holds more than one or
two at a time)."""

_USER_NAMESPACES = """
  SELECT oid, nspname, nspacl FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
    AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
"""

SCHEMA_FINGERPRINT = f"""
WITH ns AS ({_USER_NAMESPACES}),
rel AS (SELECT c.oid FROM pg_class c JOIN ns ON ns.oid = c.relnamespace)
SELECT md5(string_agg(line, E'\\n' ORDER BY line)) FROM (
  SELECT concat_ws(' ', 'namespace', nspname, nspacl) FROM ns
  UNION ALL
  SELECT concat_ws(' ', 'relation', c.oid::regclass, c.relkind, c.relpersistence, c.reloptions,
                   c.relacl, c.relrowsecurity, pg_get_userbyid(c.relowner))
  FROM pg_class c JOIN rel USING (oid)
  UNION ALL
  SELECT concat_ws(' ', 'column', a.attrelid::regclass, a.attname, a.attnum,
                   format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attisdropped,
                   a.attidentity, a.attgenerated, a.attcollation, pg_get_expr(d.adbin, d.adrelid))
  FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE a.attnum > 0
  UNION ALL
  SELECT concat_ws(' ', 'constraint', co.conrelid::regclass, co.conname,
                   pg_get_constraintdef(co.oid), co.condeferrable, co.convalidated)
  FROM pg_constraint co JOIN ns ON ns.oid = co.connamespace
  UNION ALL
  SELECT concat_ws(' ', 'index', pg_get_indexdef(i.indexrelid), i.indisvalid, i.indisready)
  FROM pg_index i JOIN rel ON rel.oid = i.indexrelid
  UNION ALL
  SELECT concat_ws(' ', 'trigger', pg_get_triggerdef(t.oid), t.tgenabled)
  FROM pg_trigger t JOIN rel ON rel.oid = t.tgrelid WHERE NOT t.tgisinternal
  UNION ALL
  SELECT concat_ws(' ', 'rule', pg_get_ruledef(r.oid))
  FROM pg_rewrite r JOIN rel ON rel.oid = r.ev_class
  UNION ALL
  SELECT concat_ws(' ', 'policy', p.polrelid::regclass, p.polname)
  FROM pg_policy p JOIN rel ON rel.oid = p.polrelid
  UNION ALL
  SELECT concat_ws(' ', 'routine', p.oid::regprocedure, p.prokind, md5(p.prosrc))
  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
  UNION ALL
  SELECT concat_ws(' ', 'type', t.oid::regtype, t.typtype,
                   (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                    FROM pg_enum e WHERE e.enumtypid = t.oid))
  FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
  UNION ALL
  SELECT concat_ws(' ', 'operator', o.oid::regoperator)
  FROM pg_operator o JOIN ns ON ns.oid = o.oprnamespace
  UNION ALL
  SELECT concat_ws(' ', 'text search', c.cfgname)
  FROM pg_ts_config c JOIN ns ON ns.oid = c.cfgnamespace
  UNION ALL
  SELECT concat_ws(' ', 'extension', extname, extversion) FROM pg_extension
  UNION ALL
  SELECT concat_ws(' ', 'event trigger', evtname, evtenabled) FROM pg_event_trigger
  UNION ALL
  SELECT concat_ws(' ', 'database setting', s.setrole, s.setconfig)
  FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
  WHERE d.datname = current_database()
  UNION ALL
  SELECT concat_ws(' ', 'prepared transaction', gid) FROM pg_prepared_xacts
  WHERE database = current_database()
  UNION ALL
  SELECT concat_ws(' ', 'publication', pubname) FROM pg_publication
  UNION ALL
  SELECT concat_ws(' ', 'large objects', count(*)) FROM pg_largeobject_metadata
  UNION ALL
  SELECT concat_ws(' ', 'planner statistics', count(*))
  FROM pg_statistic s JOIN rel ON rel.oid = s.starelid
  UNION ALL
  SELECT concat_ws(' ', 'extended statistics', count(*))
  FROM pg_statistic_ext s JOIN rel ON rel.oid = s.stxrelid
) lines(line)
"""
"""One hash of everything but the rows: equal to the template's, the schema is the template's."""

_WRITTEN_TABLES = f"""
WITH ns AS ({_USER_NAMESPACES})
SELECT c.oid::regclass::text FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND pg_relation_size(c.oid) > 0
ORDER BY 1
"""
"""Tables with any page on disk: every table a test inserted into (even if rolled back)."""

_SEQUENCES = f"""
WITH ns AS ({_USER_NAMESPACES})
SELECT c.oid::regclass::text FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
WHERE c.relkind = 'S' ORDER BY 1
"""

_ROW_SECURITY = f"""
WITH ns AS ({_USER_NAMESPACES})
SELECT c.oid::regclass::text FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
WHERE c.relrowsecurity
"""

_END_OTHER_SESSIONS = """
SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


@dataclass
class DatabaseState:
    """What a database holds besides its schema: rows (binary COPY) and sequence positions."""

    fingerprint: str
    rows: dict[str, bytes] = field(default_factory=dict)
    sequences: dict[str, tuple[int, bool]] = field(default_factory=dict)

    @classmethod
    def of(cls, conn: psycopg.Connection) -> DatabaseState:
        state = cls(fingerprint=conn.execute(SCHEMA_FINGERPRINT).fetchone()[0])
        for (table,) in conn.execute(_WRITTEN_TABLES).fetchall():
            data = _copy_out(conn, table)
            if data != _copy_out_empty(conn, table):
                state.rows[table] = data
        state.sequences = _sequence_positions(conn)
        return state

    def restore(self, conn: psycopg.Connection) -> None:
        """Make the rows and sequences of ``conn``'s database (whose schema is this state's)
        exactly this state's, in one transaction.

        Every table with a page on disk is compared with this state; those that differ are
        emptied with ``DELETE`` and refilled. ``TRUNCATE`` would do it too but costs a new file
        per table and index (~0.3 s a test, more than most tests); these tables are tiny."""
        with conn.transaction():
            # Rows go back as they were taken: no trigger fires, no foreign key is checked
            # (nor cascades: every table that differs is emptied and refilled on its own).
            conn.execute("SET LOCAL session_replication_role = replica")
            # Visible to the next session at once all the same; durable a moment later.
            conn.execute("SET LOCAL synchronous_commit = off")
            written = [table for (table,) in conn.execute(_WRITTEN_TABLES).fetchall()]
            empty = _copy_out_empty(conn, written[0]) if written else b""
            stale = [table for table in written
                     if _copy_out(conn, table) != self.rows.get(table, empty)]
            stale += [table for table in self.rows if table not in written]  # never written
            for table in stale:
                conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(*table.split("."))))
            for table in stale:
                if table in self.rows:
                    with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(
                            sql.Identifier(*table.split(".")))) as copy:
                        copy.write(self.rows[table])
            for name, (value, called) in _sequence_positions(conn).items():
                if self.sequences.get(name) != (value, called):
                    target, target_called = self.sequences[name]
                    conn.execute("SELECT setval(%s::regclass, %s, %s)",
                                 (name, target, target_called))


def _copy_out(conn: psycopg.Connection, table: str) -> bytes:
    query = sql.SQL("COPY {} TO STDOUT (FORMAT binary)").format(sql.Identifier(*table.split(".")))
    with conn.cursor().copy(query) as copy:
        return b"".join(bytes(chunk) for chunk in copy)


def _copy_out_empty(conn: psycopg.Connection, table: str) -> bytes:
    """What ``_copy_out`` gives for an empty table (the binary format's header and trailer:
    the same for every table)."""
    query = sql.SQL("COPY (SELECT * FROM {} LIMIT 0) TO STDOUT (FORMAT binary)").format(
        sql.Identifier(*table.split(".")))
    with conn.cursor().copy(query) as copy:
        return b"".join(bytes(chunk) for chunk in copy)


def _sequence_positions(conn: psycopg.Connection) -> dict[str, tuple[int, bool]]:
    names = [name for (name,) in conn.execute(_SEQUENCES).fetchall()]
    if not names:
        return {}
    query = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {}, last_value, is_called FROM {}").format(
            sql.Literal(name), sql.Identifier(*name.split(".")))
        for name in names)
    return {name: (value, called) for name, value, called in conn.execute(query).fetchall()}


class PostgresServer:
    """Hands out throw-away databases cloned from one migrated template, and takes them back."""

    def __init__(self, admin_url: str, *, in_ci: bool) -> None:
        self.admin_url = admin_url
        self.in_ci = in_ci
        self.template: str | None = None
        self.error: str | None = None
        self._clean: DatabaseState | None = None
        self._seeded: dict[Callable[[Store], None], DatabaseState] = {}
        self._lent: dict[str, DatabaseState] = {}
        """Databases handed out from the template, and the state each was handed out in."""
        self._spares: list[str] = []
        self._empties: list[str] = []
        """Empty databases (no schema but an empty ``public``), kept for ``migrated=False``."""
        self._empty_fingerprint: str | None = None
        try:
            self.admin("SELECT 1")
        except psycopg.Error as exc:
            self.error = f"PostgreSQL not reachable at {admin_url}: {str(exc).strip()}"

    def url(self, database: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + database

    def admin(self, query: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(query)

    def _create(self, name: str, template: str | None = None) -> None:
        """``CREATE DATABASE name`` (from ``template``) whose sessions do not wait for the disk
        at commit (``synchronous_commit = off``, the database's own setting: a crash of the
        server could lose the last commits of a throw-away database, nothing else). A commit
        that waits for its WAL to be flushed took 4-6 ms on the shared 2-core machine, against
        0.1-0.2 ms: the PostgreSQL tests commit thousands of times."""
        self.admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.admin(f'ALTER DATABASE "{name}" SET synchronous_commit = off')

    def _connect(self, database: str) -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=3)

    def require(self) -> None:
        if self.error is None:
            return
        if self.in_ci:
            pytest.fail(f"{self.error} (CI=true: the PostgreSQL tests must run)")
        pytest.skip(self.error)

    def _template(self) -> str:
        if self.template is None:
            name = f"deskterm_tmpl_{uuid.uuid4().hex[:12]}"
            self._create(name)
            store = Store(self.url(name))
            migrate.upgrade(store)
            store.dispose()
            with self._connect(name) as conn:
                self._clean = DatabaseState.of(conn)
            self.template = name
        return self.template

    def create(self, *, migrated: bool = True,
               seeded: Callable[[Store], None] | None = None) -> str:
        """A new database: empty, migrated, or migrated and then ``seeded(store)`` (a seeded
        desk is built once per test process and copied into the databases after)."""
        self.require()
        name = f"deskterm_test_{uuid.uuid4().hex[:12]}"
        if not migrated:
            if not self._take_spare(name, self._empties):
                self._create(name)
                if self._empty_fingerprint is None:
                    with self._connect(name) as conn:
                        self._empty_fingerprint = conn.execute(SCHEMA_FINGERPRINT).fetchone()[0]
            return name
        self._template()
        if not self._take_spare(name, self._spares):
            self._create(name, self.template)
        self._lent[name] = self._clean
        if seeded is not None:
            self._seed(name, seeded)
        return name

    def _take_spare(self, name: str, spares: list[str]) -> bool:
        while spares:
            spare = spares.pop()
            try:
                self.admin(f'ALTER DATABASE "{spare}" RENAME TO "{name}"')
                return True
            except psycopg.Error:  # someone connected to it meanwhile
                self.admin(f'DROP DATABASE IF EXISTS "{spare}" WITH (FORCE)')
        return False

    def _seed(self, name: str, seed: Callable[[Store], None]) -> None:
        state = self._seeded.get(seed)
        if state is not None:
            with self._connect(name) as conn:
                state.restore(conn)
        else:
            store = Store(self.url(name))
            try:
                seed(store)
            finally:
                store.dispose()
            with self._connect(name) as conn:
                self._seeded[seed] = DatabaseState.of(conn)
        self._lent[name] = self._seeded[seed]

    def drop(self, name: str) -> None:
        """Done with ``name``: kept for the next test if it can be made clean again (as
        migrated, or else as empty), else dropped. ``DROP DATABASE`` forces a checkpoint of the
        whole server: 0.7 s on a quiet machine, 20 s seen while other processes write."""
        if name in self._lent:
            del self._lent[name]
            if len(self._spares) < SPARES and self._reset(name):
                self._spares.append(name)
                return
        if len(self._empties) < SPARES and self._wipe(name):
            self._empties.append(name)
            return
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _reset(self, name: str) -> bool:
        assert self._clean is not None
        try:
            with self._connect(name) as conn:
                conn.execute(_END_OTHER_SESSIONS)
                # A restricted group switches row-level security on (migration 0021's
                # deskterm_sync_rls); the template has no group, so it is off there.
                for (table,) in conn.execute(_ROW_SECURITY).fetchall():
                    conn.execute(sql.SQL("ALTER TABLE {} DISABLE ROW LEVEL SECURITY").format(
                        sql.Identifier(*table.split("."))))
                if conn.execute(SCHEMA_FINGERPRINT).fetchone()[0] != self._clean.fingerprint:
                    return False
                self._clean.restore(conn)
            return True
        except psycopg.Error:
            return False

    def _wipe(self, name: str) -> bool:
        """Make ``name`` empty again (every schema and extension dropped, ``public`` made anew as
        ``CREATE DATABASE`` makes it); ``False`` if it then differs from a new empty database."""
        if self._empty_fingerprint is None:
            return False
        try:
            with self._connect(name) as conn:
                conn.execute(_END_OTHER_SESSIONS)
                with conn.transaction():
                    conn.execute("SET LOCAL synchronous_commit = off")
                    for (extension,) in conn.execute(
                            "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'"
                    ).fetchall():
                        conn.execute(sql.SQL("DROP EXTENSION {} CASCADE").format(
                            sql.Identifier(extension)))
                    for (schema,) in conn.execute(
                            f"SELECT nspname FROM ({_USER_NAMESPACES}) ns").fetchall():
                        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(
                            sql.Identifier(schema)))
                    conn.execute("CREATE SCHEMA public AUTHORIZATION pg_database_owner")
                    conn.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
                return conn.execute(SCHEMA_FINGERPRINT).fetchone()[0] == self._empty_fingerprint
        except psycopg.Error:
            return False

    def close(self) -> None:
        """Drop every database still here, all at once: each ``DROP DATABASE`` waits for a
        checkpoint, and drops waiting together share one."""
        names = [*self._spares, *self._empties, *self._lent,
                 *([self.template] if self.template else [])]
        if names:
            with ThreadPoolExecutor(len(names)) as pool:
                list(pool.map(
                    lambda name: self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'),
                    names))
        self._spares.clear()
        self._empties.clear()
        self._lent.clear()
