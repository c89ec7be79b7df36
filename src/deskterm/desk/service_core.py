"""What every use case of the desk stands on: the store, the acting agent, one transaction each.

:class:`DeskCore` is the base of :class:`deskterm.desk.service.Desk`. A use case opens its own
transaction (:meth:`_reading` or :meth:`_writing`) and gets the acting agent with it; the
console passes the agent it resolved when it opened the desk, the CLI lets the first
transaction resolve it (in that same transaction: a command pays for no extra round trip).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlmodel import Session

from deskterm.db.engine import Store
from deskterm.desk.audit import log as audit_log
from deskterm.desk.people import access
from deskterm.desk.people.auth import resolve_actor
from deskterm.desk.people.permissions import require_admin
from deskterm.desk.reads import AgentRead

T = TypeVar("T")
RECHECK_SECONDS = 30.0
"""How long a desk that stays open (the console, ``--watch`` loops) acts as the agent it resolved
before resolving them again in its next transaction: an agent deactivated (or no longer an
admin) meanwhile is refused from then on, for one indexed read every half minute."""
MISS_LENGTH = 200
"""Most characters of a search kept in the log of searches that found nothing."""
_log = logging.getLogger(__name__)


class DeskCore:
    """A connection to a desk as one agent: ``actor``, or the one ``username`` (``act_as``:
    the agent an admin acts as) names, found on first use."""

    def __init__(self, store: Store, actor: AgentRead | None = None, *,
                 username: str | None = None, act_as: str | None = None) -> None:
        if actor is None and username is None:
            raise ValueError("a desk acts as an agent: give actor or username")
        self.store = store
        self._actor = actor
        self._username = username
        self._act_as = act_as
        self._resolved_at = time.monotonic()
        self.label: str | None = None
        """How the console names this desk (default: its URL without a password)."""

    @property
    def actor(self) -> AgentRead:
        """The agent acting (resolved now if no transaction has resolved it yet)."""
        if self._actor is None:
            with self._reading():
                pass
        assert self._actor is not None
        return self._actor

    @property
    def where(self) -> str:
        return self.label or self.store.display_url

    def _acting(self, session: Session) -> AgentRead:
        if self._actor is None or time.monotonic() - self._resolved_at > RECHECK_SECONDS:
            username = self._username
            if username is None:  # made with the agent itself: resolved again by their name
                assert self._actor is not None
                username = self._actor.username
            self._actor = resolve_actor(session, username=username, act_as=self._act_as)
            self._resolved_at = time.monotonic()
        return self._actor

    def _may_see(self, session: Session, number: int) -> AgentRead:
        """The acting agent, refused ticket ``number`` (PermissionDenied, one line naming its
        group) when its group is restricted from them: called before anything of it is read."""
        actor = self._acting(session)
        access.require_ticket_access(session, actor, number)
        return actor

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """One read transaction; the actor is known (or refused) before anything is read. A
        statement past the store's read timeout raises ``QueryStopped``."""
        with self.store.read() as session:
            self._acting(session)
            yield session

    def _writing(self, work: Callable[[Session, AgentRead], T], *, quiet: bool = False) -> T:
        """``work(session, actor)`` in one retried write transaction; ``quiet``: other consoles
        need not refresh for it (presence, drafts, seen markers)."""
        return self.store.write(lambda session: work(session, self._acting(session)),
                                quiet=quiet)

    def _admin_writing(self, doing: str, work: Callable[[Session, AgentRead], T]) -> T:
        """An admin-only write: refused with one line naming ``doing`` for an agent."""

        def checked(session: Session, actor: AgentRead) -> T:
            require_admin(actor, doing)
            return work(session, actor)

        return self._writing(checked)

    def _audited(self, snapshot: Callable[[Session, T | None], audit_log.Snapshot],
                 work: Callable[[Session, AgentRead], T], *, admin: str | None = None) -> T:
        """A write whose every change to the desk's setup is logged (:mod:`deskterm.desk.audit`)
        in its own transaction: ``snapshot(session, None)`` before ``work``,
        ``snapshot(session, result)`` after, and a row per difference. ``admin``: what only an
        admin may do, refused for an agent as :meth:`_admin_writing` does."""

        def audited(session: Session, actor: AgentRead) -> T:
            if admin is not None:
                require_admin(actor, admin)
            before = snapshot(session, None)
            result = work(session, actor)
            session.flush()
            audit_log.record(session, actor_id=actor.id, before=before,
                             after=snapshot(session, result))
            return result

        return self._writing(audited)

    def record_search_miss(self, kind: str, text: str) -> None:
        """Log a search (``kb`` or ``queue``) that found nothing, for the reports. A log of
        convenience: a failure to write it is logged and never reaches the searcher."""
        words = " ".join(text.lower().split())[:MISS_LENGTH]
        if not words:
            return

        def work(session: Session, actor: AgentRead) -> None:
            from deskterm.db.models import SearchMiss

            session.add(SearchMiss(kind=kind, query=words, agent_id=actor.id))

        try:
            self._writing(work, quiet=True)
        except Exception:
            _log.warning("could not log the search that found nothing", exc_info=True)
