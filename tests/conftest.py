"""Fixtures: a fresh store on SQLite and on PostgreSQL for every store and domain test.

PostgreSQL is the server at 127.0.0.1:5432 (user postgres, or $DESKTERM_TEST_PG). Each test gets
its own database, in the state of a template migrated once per test process (tests/pg_databases.py
makes that cheap). SQLite: each test gets a copy of a file migrated once per test process.
When the server is missing the PostgreSQL half is skipped with the reason, except in CI
(CI=true), where that is a failure.
"""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
import typer.testing
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.desk import setup
from deskterm.desk.people import auth, identity
from deskterm.desk.people import directory as people
from deskterm.desk.reads import AgentRead

from .imap_server import imap_server  # noqa: F401  (a real IMAP server: tests/imap_server.py)
from .pg_databases import PostgresServer


def _build_each_app_once() -> None:
    """Typer's test runner builds the Click command tree of the app it invokes again on every
    call, reading every command function's signature (a third of a CLI test's time: ~40 ms a
    call, and the CLI tests make thousands). An app's tree never changes within a test process,
    so each is built once. ``typer.testing`` names ``typer.main.get_command`` privately: if that
    moves, this fails loudly (AttributeError), not slowly."""
    build = typer.main.get_command
    built: dict[int, tuple[typer.Typer, object]] = {}

    def get_command(app: typer.Typer):
        if id(app) not in built:
            built[id(app)] = (app, build(app))  # the app is kept: its id stays its own
        return built[id(app)][1]

    assert typer.testing._get_command is build
    setattr(typer.testing, "_get_command", get_command)  # noqa: B010


_build_each_app_once()


def pytest_collection_finish(session) -> None:
    """What exists once the tests are collected (every module, model, test item: a third of a
    million objects) lives as long as the process: moved out of the garbage collector's sight
    (``gc.freeze``), the full collections that a test process's churn sets off no longer walk
    it each time."""
    gc.collect()
    gc.freeze()

PG_ADMIN_URL = os.environ.get("DESKTERM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory, monkeypatch):
    """Tests never read or write the user's config or data dirs."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("DESKTERM_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("DESKTERM_DATA_DIR", str(home / "data"))
    monkeypatch.delenv("DESKTERM_DATABASE_URL", raising=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer(PG_ADMIN_URL, in_ci=IN_CI)
    yield server
    server.close()


SQLITE_TEMPLATES: dict[Callable[[Store], None] | None, Path] = {}


def sqlite_template(seeded: Callable[[Store], None] | None = None) -> Path:
    """A SQLite desk migrated to head (and ``seeded(store)``), once per test process:
    migrating costs ~0.2 s a test, seeding the console's desk ~1 s."""
    if seeded not in SQLITE_TEMPLATES:
        folder = Path(tempfile.mkdtemp(prefix="deskterm-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "template.sqlite3"
        if seeded is None:
            store = Store(f"sqlite:///{path}")
            migrate.upgrade(store)
        else:
            shutil.copyfile(sqlite_template(), path)
            store = Store(f"sqlite:///{path}")
            seeded(store)
        store.dispose()  # the last connection's close folds the write-ahead log into the file
        assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
        SQLITE_TEMPLATES[seeded] = path
    return SQLITE_TEMPLATES[seeded]


@dataclass
class StoreFactory:
    """Makes empty, migrated or seeded databases of one kind for a test, and removes them
    after."""

    kind: str
    tmp_path: object
    server: PostgresServer

    def __post_init__(self) -> None:
        self._made: list[tuple[Store, str | None]] = []

    def url(self, *, migrated: bool = True,
            seeded: Callable[[Store], None] | None = None) -> str:
        """A new database: empty, migrated, or migrated and holding what ``seeded(store)``
        writes (run once per test process and kind; each test gets a copy of the result)."""
        if self.kind == "sqlite":
            path = self.tmp_path / f"desk-{uuid.uuid4().hex[:8]}.sqlite3"
            if migrated:  # a copy of one file migrated once per test process
                shutil.copyfile(sqlite_template(seeded), path)
            return f"sqlite:///{path}"
        name = self.server.create(migrated=migrated, seeded=seeded)
        self._made.append((None, name))
        return self.server.url(name)

    def store(self, *, migrated: bool = True,
              seeded: Callable[[Store], None] | None = None) -> Store:
        store = Store(self.url(migrated=migrated, seeded=seeded))
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
        monkeypatch.setattr(identity, "os_username", lambda: name)  # the CLI's plain reads

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
