"""SQLite writers take turns at the desk file's write lock, woken as soon as it is free.

SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps and
tries again, 1, 2, 5, 10 ... and then 100 ms between tries. A writer that has waited long
therefore looks ten times less often than one that just arrived, and under steady load (eight
agents, an importer) loses the free lock to newcomers again and again: ``bench/soak.py`` saw
writes wait 2.5-4.7 s for the lock while no transaction held it more than 80 ms, and an import
give up after the busy timeout.

So every write transaction of a SQLite desk in a file first takes the writers' turn: an
exclusive ``flock()`` on the desk's folder (advisory, independent of SQLite's POSIX locks,
released by the kernel when its process dies, even by SIGKILL). The folder, not the database
file: closing any descriptor of a file drops every POSIX lock the process holds on it, SQLite's
included (its shared lock on the database, which tells another process closing the desk that
the write-ahead log is still in use; two OS users of one shared desk saw "vtable constructor
failed" when one deleted the log under the other). Desks in one folder share their turns.
A waiter sleeps in the kernel and is woken the moment the turn is let go, whatever it has
waited, and only then asks for SQLite's lock (``BEGIN IMMEDIATE``), which is then free. A
turn is given back when the connection returns to the pool (after its commit or rollback).

The turn is an addition, not a replacement: a writer that does not take it (an older
deskterm, the ``sqlite3`` shell) is still kept out by SQLite's lock, and a turn not had within
:data:`TURN_TIMEOUT` (a transaction held open that long) or a file system without ``flock``
leaves the writer to SQLite's busy handler, as before. One thread that already holds a turn
of a folder takes none for a second connection (it would wait for itself).
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import Any

TURN_TIMEOUT = 5.0
"""Seconds a writer waits for its turn before it asks SQLite's lock anyway."""
_TURN = "deskterm_write_turn"
_THREADS = threading.local()
"""``held``: per folder, how many turns this thread holds now (see :meth:`WriteTurns._held`)."""


class WriteTurns:
    """The turns of one desk file's folder (one per :class:`~deskterm.db.engine.Store`)."""

    def __init__(self, path: Path, *, timeout: float = TURN_TIMEOUT) -> None:
        self.path = path
        self.folder = os.path.realpath(path.parent)
        self.timeout = timeout

    def take(self, info: dict[str, Any]) -> None:
        """Wait for the turn and keep it in ``info`` (a pooled connection's) until
        :meth:`give_back`; nothing if this thread already holds one or ``info`` does."""
        held = self._held()
        if held[0] or _TURN in info:
            return
        fd = self._wait()
        if fd is not None:
            info[_TURN] = (fd, held)
            held[0] += 1

    def give_back(self, info: dict[str, Any] | None) -> None:
        """Let the next writer in (from any thread: the count is the taker's)."""
        taken = info.pop(_TURN, None) if info is not None else None
        if taken is not None:
            fd, held = taken
            held[0] -= 1
            os.close(fd)  # lets go of the flock

    def _held(self) -> list[int]:
        """This thread's count of turns of the folder held (a list: given back from any
        thread)."""
        counts: dict[str, list[int]] | None = getattr(_THREADS, "held", None)
        if counts is None:
            counts = _THREADS.held = {}
        return counts.setdefault(self.folder, [0])

    def _wait(self) -> int | None:
        """A new descriptor of the folder holding the flock, or None (no turn: SQLite's
        wait)."""
        try:
            fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            pass
        except OSError:  # no flock here: SQLite's busy handler alone
            os.close(fd)
            return None
        # Blocked: wait in the kernel on a thread of its own, so that the wait can end after
        # the timeout (a flock() cannot be given one). A wait given up closes its descriptor
        # when it is let in at last, so the turn goes on to the next.
        outcome: dict[str, bool] = {}
        decided = threading.Lock()
        settled = threading.Event()

        def wait() -> None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                got = True
            except OSError:
                got = False
            with decided:
                if outcome.get("abandoned") or not got:
                    os.close(fd)
                else:
                    outcome["got"] = True
            settled.set()

        threading.Thread(target=wait, name="deskterm-write-turn", daemon=True).start()
        settled.wait(self.timeout)
        with decided:
            if outcome.get("got"):
                return fd
            outcome["abandoned"] = True
            return None


__all__ = ["TURN_TIMEOUT", "WriteTurns"]
