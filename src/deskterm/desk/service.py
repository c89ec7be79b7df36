"""The desk as the console holds it: one store, the acting agent, and change notices.

Screens never import the store or SQLAlchemy; they call :class:`Desk` from thread workers and
pass it functions of the desk (``desk.read(lambda s: queue.count_matching(s, ...))``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from deskterm.db.changes import ChangeWatcher
from deskterm.db.engine import Store
from deskterm.db.errors import QueryStopped
from deskterm.db.migrate import require_current_schema
from deskterm.desk.people.auth import resolve_actor
from deskterm.desk.reads import AgentRead

T = TypeVar("T")

__all__ = ["Desk", "QueryStopped"]
"""``QueryStopped``: what :meth:`Desk.read` raises for a read stopped for its time or size
(the store's error, named here for the screens, which never import the store)."""


class Desk:
    """A connection to a desk as one agent."""

    def __init__(self, store: Store, actor: AgentRead) -> None:
        self.store = store
        self.actor = actor
        self.label: str | None = None
        """How the console names this desk (default: its URL without a password)."""

    @classmethod
    def open(cls, url: str, *, username: str, act_as: str | None = None) -> Desk:
        """Open the desk at ``url`` as ``username``; refuses an out-of-date schema or a stranger."""
        store = Store(url, create=False)
        try:
            require_current_schema(store)
            with store.read() as session:
                actor = resolve_actor(session, username=username, act_as=act_as)
        except Exception:
            store.dispose()
            raise
        return cls(store, actor)

    @property
    def where(self) -> str:
        return self.label or self.store.display_url

    def read(self, work: Callable[[Session], T]) -> T:
        """``work`` in one read; a statement past the store's read timeout (or too large for the
        database) raises :class:`QueryStopped`."""
        with self.store.read() as session:
            return work(session)

    def write(self, work: Callable[[Session, AgentRead], T], *, quiet: bool = False) -> T:
        """``work`` in one write transaction as the agent; ``quiet``: other consoles need not
        refresh for it (presence, drafts)."""
        return self.store.write(lambda session: work(session, self.actor), quiet=quiet)

    def watch(self) -> ChangeWatcher:
        """A watcher for changes by other processes (one per thread that waits on it)."""
        return ChangeWatcher(self.store)

    def close(self) -> None:
        self.store.dispose()
