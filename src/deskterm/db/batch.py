"""Several units of work in one write transaction, each in a savepoint of its own.

:meth:`Store.write` commits every unit of work, and on PostgreSQL a commit waits for the
server's disk flush: filing mail one transaction a mail stopped at 86-233 msg/s on the 2-core
bench machine (bench/intake_mail.py), the flush, not the code, setting the pace. A
:class:`WriteBatch` runs units in one transaction, each inside a ``SAVEPOINT``: a unit that
raises is rolled back to its savepoint alone (nothing of it stays, the units before it stay)
and the caller commits when it chooses (mail intake: every so many mails or a fraction of a
second). Whoever reports a unit as done outside the database (a mail marked seen on its
server) does so only after the commit that holds it.

A unit that fails for a reason a retry may cure (:func:`~deskterm.db.engine.is_retryable`: a
deadlock, a busy SQLite file, a :class:`WriteConflict`) raises as any other failure, its
savepoint rolled back; the caller commits what it has, which lets the other writer go on,
and runs that unit again through :meth:`Store.write` and its retries. A lost connection
abandons the whole transaction (:class:`StoreUnavailable`): none of its units were kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from types import TracebackType
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from deskterm.db.engine import Store, announce_change, is_retryable
from deskterm.db.errors import StoreBusy

T = TypeVar("T")


class WriteBatch:
    """Units of work sharing one write transaction, opened by the first unit; use it as a
    context manager (committed at the end, rolled back if an exception ends it)."""

    def __init__(self, store: Store, *, quiet: bool = False) -> None:
        self.store = store
        self.quiet = quiet
        """Other consoles need not refresh for these writes (see :meth:`Store.write`)."""
        self.units = 0
        """Units kept in the open transaction (a unit rolled back does not count)."""
        self._session: Session | None = None
        self._begun = 0.0

    @property
    def age(self) -> float:
        """Seconds since the open transaction began (0 when none is open)."""
        return time.monotonic() - self._begun if self._session is not None else 0.0

    def read(self, work: Callable[[Session], T]) -> T:
        """``work`` in the open transaction, outside any savepoint: it must not write (a
        look-up that decides whether a unit is needed at all)."""
        return self._guarded(work)

    def run(self, work: Callable[[Session], T], *, savepoint: bool = True) -> T:
        """``work`` in a savepoint of the open transaction: kept until :meth:`commit`, or,
        if it raises, rolled back alone (the exception goes on). Without ``savepoint``,
        ``work`` runs straight in the transaction, two round trips cheaper: if it raises, the
        caller must :meth:`abandon` the transaction (part of ``work`` may be in it)."""

        def unit(session: Session) -> T:
            with session.begin_nested():
                return work(session)

        result = self._guarded(unit if savepoint else work)
        self.units += 1
        return result

    def commit(self) -> None:
        """Commit the units run since the last commit (and tell open consoles the desk
        changed, unless quiet); a transaction that kept no unit is rolled back instead."""
        session, self._session = self._session, None
        if session is None:
            return
        units, self.units = self.units, 0
        try:
            if not units:
                session.rollback()
                return
            if not self.quiet:
                announce_change(session)
            session.commit()
        except DBAPIError as exc:
            # Nothing to run again here: the units are gone with the transaction, and the
            # caller has not reported any of them as done.
            if is_retryable(exc):
                raise StoreBusy("the database stayed busy with other writers; try again in a "
                                "moment") from exc
            if isinstance(exc, OperationalError):
                raise self.store.unavailable(exc) from exc
            raise
        finally:
            session.close()

    def abandon(self) -> None:
        """Roll back the units run since the last commit."""
        session, self._session = self._session, None
        self.units = 0
        if session is not None:
            with suppress(Exception):  # a connection already gone has nothing to roll back
                session.rollback()
            session.close()

    def _guarded(self, work: Callable[[Session], T]) -> T:
        if self._session is None:
            self._session = self.store.write_session()
            self._begun = time.monotonic()
        try:
            return work(self._session)
        except OperationalError as exc:
            if is_retryable(exc):
                raise
            self.abandon()
            raise self.store.unavailable(exc) from exc

    def __enter__(self) -> WriteBatch:
        return self

    def __exit__(self, kind: type[BaseException] | None, _exc: BaseException | None,
                 _tb: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.abandon()


__all__ = ["WriteBatch"]
