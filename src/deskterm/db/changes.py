"""Noticing that another process changed the desk, so open consoles refresh within a second.

SQLite: ``PRAGMA data_version`` on a dedicated connection changes whenever another connection
commits. PostgreSQL: every write transaction sends ``NOTIFY deskterm_changes`` (see
:meth:`Store.write`), heard on a dedicated autocommit connection. A notification is only a hint:
the console re-queries what it shows.
"""

from __future__ import annotations

import sqlite3
import time

import psycopg

from deskterm.db.engine import CHANGES_CHANNEL, Store

POLL_SECONDS = 0.25


class ChangeWatcher:
    """Blocks until the desk changes (or a timeout passes). Use from one thread."""

    def __init__(self, store: Store) -> None:
        self._sqlite: sqlite3.Connection | None = None
        self._pg: psycopg.Connection | None = None
        if store.is_sqlite:
            self._sqlite = sqlite3.connect(store.url.database, check_same_thread=False)
            self._version = self._data_version()
        else:
            url = store.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._pg = psycopg.connect(url, autocommit=True)
            self._pg.execute(f"LISTEN {CHANGES_CHANNEL}")

    def _data_version(self) -> int:
        assert self._sqlite is not None
        return self._sqlite.execute("PRAGMA data_version").fetchone()[0]

    def wait(self, timeout: float) -> bool:
        """True as soon as another writer committed; False after ``timeout`` seconds of quiet."""
        if self._pg is not None:
            changed = False
            for _ in self._pg.notifies(timeout=timeout, stop_after=1):
                changed = True
            # Several commits in a burst are one refresh: drain what else arrived.
            if changed:
                for _ in self._pg.notifies(timeout=0.05):
                    pass
            return changed
        deadline = time.monotonic() + timeout
        while True:
            version = self._data_version()
            if version != self._version:
                self._version = version
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            self._pg.close()
