"""Noticing that another process changed the desk, so open consoles refresh within a second.

SQLite: ``PRAGMA data_version`` on a dedicated connection changes whenever another connection
commits; the watcher then reads the ``desk_changes`` counter, which every announced write raises,
so quiet bookkeeping (presence heartbeats, drafts) does not make every console re-query.
PostgreSQL: every announced write sends ``NOTIFY deskterm_changes`` (see
:func:`~deskterm.db.engine.announce_change`), heard on a dedicated autocommit connection. A
notification is only a hint: the console re-queries what it shows.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Any

from deskterm import db_password
from deskterm.db.engine import CHANGES_CHANNEL, CHANGES_COUNTER, Store

if TYPE_CHECKING:
    import psycopg

POLL_SECONDS = 0.25


class ChangeWatcher:
    """Blocks until the desk changes (or a timeout passes). Use from one thread."""

    def __init__(self, store: Store) -> None:
        self._sqlite: sqlite3.Connection | None = None
        self._pg: psycopg.Connection | None = None
        self._stopped = threading.Event()
        if store.is_sqlite:
            assert store.url.database is not None  # a SQLite URL names its file
            self._sqlite = sqlite3.connect(store.url.database, check_same_thread=False)
            self._version = self._data_version()
            self._changes = self._counter()
        else:
            import psycopg  # only PostgreSQL desks pay for importing it

            url = store.url.set(drivername="postgresql").render_as_string(hide_password=False)
            password = db_password.database_password() if store.url.password is None else None
            extra: dict[str, Any] = {"password": password} if password else {}
            self._pg = psycopg.connect(url, autocommit=True, **extra)
            self._pg.execute(f"LISTEN {CHANGES_CHANNEL}")

    def _data_version(self) -> int:
        assert self._sqlite is not None
        version: int = self._sqlite.execute("PRAGMA data_version").fetchone()[0]
        return version

    def _counter(self) -> int:
        assert self._sqlite is not None
        row = self._sqlite.execute("SELECT value FROM counters WHERE name = ?",
                                   (CHANGES_COUNTER,)).fetchone()
        return row[0] if row else 0

    def wait(self, timeout: float) -> bool:
        """True as soon as another writer committed; False after ``timeout`` seconds of quiet
        (or at once after :meth:`stop`)."""
        deadline = time.monotonic() + timeout
        while not self._stopped.is_set():
            if self._pg is not None:
                changed = False
                for _ in self._pg.notifies(timeout=POLL_SECONDS, stop_after=1):
                    changed = True
                if changed:
                    # Several commits in a burst are one refresh: drain what else arrived.
                    for _ in self._pg.notifies(timeout=0.05):
                        pass
                    return True
            else:
                version = self._data_version()
                if version != self._version:
                    self._version = version
                    changes = self._counter()
                    if changes != self._changes:
                        self._changes = changes
                        return True
                self._stopped.wait(POLL_SECONDS)
            if time.monotonic() >= deadline:
                return False
        return False

    def stop(self) -> None:
        """End a :meth:`wait` in progress (from any thread): the console is closing."""
        self._stopped.set()

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            self._pg.close()
