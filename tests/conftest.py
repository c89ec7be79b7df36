"""Fixtures: a fresh store on SQLite and on PostgreSQL for every store and domain test.

PostgreSQL is the server at 127.0.0.1:5432 (user postgres, or $DESKTERM_TEST_PG). Each test gets
its own database, cloned from a template migrated once per test process, and dropped afterwards.
When the server is missing the PostgreSQL half is skipped with the reason, except in CI
(CI=true), where that is a failure.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.desk import auth, people, setup
from deskterm.desk.reads import AgentRead

PG_ADMIN_URL = os.environ.get("DESKTERM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory, monkeypatch):
    """Tests never read or write the user's config or data dirs."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("DESKTERM_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("DESKTERM_DATA_DIR", str(home / "data"))
    monkeypatch.delenv("DESKTERM_DATABASE_URL", raising=False)


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


class PostgresServer:
    """Creates and drops throw-away databases cloned from one migrated template."""

    def __init__(self) -> None:
        self.template: str | None = None
        self.error: str | None = None
        try:
            _pg_admin("SELECT 1")
        except psycopg.Error as exc:
            self.error = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(exc).strip()}"

    def require(self) -> None:
        if self.error is None:
            return
        if IN_CI:
            pytest.fail(f"{self.error} (CI=true: the PostgreSQL tests must run)")
        pytest.skip(self.error)

    def _template(self) -> str:
        if self.template is None:
            name = f"deskterm_tmpl_{uuid.uuid4().hex[:12]}"
            _pg_admin(f'CREATE DATABASE "{name}"')
            store = Store(_pg_url(name))
            migrate.upgrade(store)
            store.dispose()
            self.template = name
        return self.template

    def create(self, *, migrated: bool = True) -> str:
        self.require()
        name = f"deskterm_test_{uuid.uuid4().hex[:12]}"
        template = f' TEMPLATE "{self._template()}"' if migrated else ""
        _pg_admin(f'CREATE DATABASE "{name}"{template}')
        return name

    def drop(self, name: str) -> None:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        if self.template:
            self.drop(self.template)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.close()


_SQLITE_TEMPLATE: list[Path] = []


def _sqlite_template() -> Path:
    """A SQLite desk migrated to head, once per test process (migrating costs ~0.2 s a test)."""
    if not _SQLITE_TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="deskterm-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.sqlite3"
        store = Store(f"sqlite:///{path}")
        migrate.upgrade(store)
        store.dispose()  # the last connection's close folds the write-ahead log into the file
        assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
        _SQLITE_TEMPLATE.append(path)
    return _SQLITE_TEMPLATE[0]


@dataclass
class StoreFactory:
    """Makes empty or migrated databases of one kind for a test, and removes them after."""

    kind: str
    tmp_path: object
    server: PostgresServer

    def __post_init__(self) -> None:
        self._made: list[tuple[Store, str | None]] = []

    def url(self, *, migrated: bool = True) -> str:
        if self.kind == "sqlite":
            path = self.tmp_path / f"desk-{uuid.uuid4().hex[:8]}.sqlite3"
            if migrated:  # a copy of one file migrated once per test process
                shutil.copyfile(_sqlite_template(), path)
            return f"sqlite:///{path}"
        name = self.server.create(migrated=migrated)
        self._made.append((None, name))
        return _pg_url(name)

    def store(self, *, migrated: bool = True) -> Store:
        store = Store(self.url(migrated=migrated))
        self._made.append((store, None))
        return store

    def cleanup(self) -> None:
        for store, _ in self._made:
            if store is not None:
                store.dispose()
        for _, name in self._made:
            if name is not None:
                self.server.drop(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stores(request, tmp_path, postgres_server) -> Iterator[StoreFactory]:
    """A factory of databases of the parametrised kind (SQLite, then PostgreSQL)."""
    factory = StoreFactory(kind=request.param, tmp_path=tmp_path, server=postgres_server)
    if request.param == "postgres":
        postgres_server.require()
    yield factory
    factory.cleanup()


@pytest.fixture
def store(stores: StoreFactory) -> Store:
    """A migrated, empty desk."""
    return stores.store()


@pytest.fixture
def admin(store: Store) -> AgentRead:
    """The desk's first admin, ``ada``."""
    return store.write(lambda s: setup.ensure_first_admin(s, username="ada",
                                                          display_name="Ada Admin"))


@pytest.fixture
def agent(store: Store, admin: AgentRead) -> AgentRead:
    """An ordinary agent, ``bert``."""
    return store.write(lambda s: people.add_agent(s, username="bert", display_name="Bert Agent"))


@pytest.fixture
def as_user(monkeypatch):
    """Run as another operating-system user: ``as_user("bert")``."""

    def switch(name: str) -> None:
        monkeypatch.setattr(auth, "os_username", lambda: name)

    switch("ada")
    return switch


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(store: Store, as_user):
    """Run ``deskterm --db <this test's store> ARGS...`` as the current test user."""
    runner = CliRunner()
    url = store.url.render_as_string(hide_password=False)

    def run(*args: str, input: str | None = None, db: str | None = url) -> CliResult:
        argv = (["--db", db] if db else []) + list(args)
        result = runner.invoke(app, argv, input=input, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run
