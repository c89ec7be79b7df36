"""Half of a big demo desk made in a helper process, on the second core.

Seeding a million tickets on SQLite is one connection's work on one core: making the rows in
Python, inserting them, tokenising every subject and message for search, sorting the indexes.
The demo generator is a pure function of what it is given, so a helper can make the very same
rows too: :class:`SideHelper` runs ``python -m deskterm.demo.helper_process``, which makes
every row again and writes :data:`SIDE_TABLES` and the search index into a scratch file beside
the desk (:class:`deskterm.db.bulk.SideWriter`), while this process inserts the other tables;
the bulk load copies the helper's tables in before it builds the indexes, in its one
transaction (:class:`deskterm.db.bulk.SideLoad`). The helper also replays the SLA clocks and
hands each chunk's tickets' SLA columns and SLA outcomes over on its standard output
(:meth:`SideHelper.sla`); no other row crosses between the processes.

The helper reads its arguments as one pickle on its standard input. If it fails, the load
raises :class:`DemoHelperFailed` and rolls back; :meth:`SideHelper.close` stops it if the load
ends first and removes the scratch file either way. A seed killed with ``kill -9`` leaves it: the
next seed's (or ``deskterm init``'s) start removes it, once no process holds its lock
(:class:`deskterm.db.bulk.SideFile`).
"""

from __future__ import annotations

import marshal
import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import IO, TYPE_CHECKING

from deskterm.db import bulk
from deskterm.desk.errors import DeskError

if TYPE_CHECKING:
    from deskterm.db.engine import Store
    from deskterm.demo.generator import DemoStart

SIDE_TABLES = ("ticket_tags", "ticket_seen")
"""The tables the helper writes (with the search index): chosen so both cores have about as
much to do on a 1M desk (here: making rows, tickets, messages, events, ratings, SLA outcomes;
there: making rows, replaying the SLA clocks, tags, seen marks, the search index). The helper
also hands each chunk's tickets' SLA columns and SLA outcomes over (:meth:`SideHelper.sla`),
so this process replays no clock: it fills them into the tickets it writes and writes the
outcomes, and those tables' indexes need not wait for the helper. (Writing the outcomes in the
helper too made its share the bigger one.)"""

LAST_OF_CHUNK = "satisfaction_ratings"
"""The generator's last batch of a chunk of tickets (its first is ``tickets``)."""

_FRAME = struct.Struct("<QQ")
"""Before each chunk's SLA data on the helper's standard output: the index of the chunk's
first ticket, and the length of the ``marshal`` bytes that follow."""


class DemoHelperFailed(DeskError):
    """The process making half of the demo desk stopped before it had finished."""


def send_sla(out: IO[bytes], first: int, tickets: Sequence[tuple],
             outcomes: Sequence[tuple]) -> None:
    """The helper's half of :meth:`SideHelper.sla`: one chunk's tickets' SLA columns (the
    rows' last :data:`deskterm.db.bulk.TICKET_SLA_COLUMNS` values) and SLA outcomes."""
    width = len(bulk.TICKET_SLA_COLUMNS)
    body = marshal.dumps(([row[-width:] for row in tickets], list(outcomes)))
    out.write(_FRAME.pack(first, len(body)))
    out.write(body)
    out.flush()


def _helper_command() -> list[str]:
    return [sys.executable, "-m", "deskterm.demo.helper_process"]


class SideHelper:
    """The running helper of one seed; :attr:`side` is what :func:`bulk.load` takes."""

    def __init__(self, store: Store, start: DemoStart, *, chunk: int, tickets: int, seed: int,
                 now: datetime) -> None:
        self.scratch = bulk.side_file(store)
        path = self.path = self.scratch.path
        try:
            statements = bulk.side_statements(store, SIDE_TABLES, search=True)
            # The helper holds the scratch file's lock too: a seed killed while its helper
            # still writes does not have its file taken for a dead one's.
            self.process = subprocess.Popen(
                _helper_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                pass_fds=(self.scratch.fd,) if os.name == "posix" else ())
        except BaseException:
            self.scratch.remove()
            raise
        try:
            # the chunk size shapes the rows: the helper's is the seed's
            stdin = self.process.stdin
            assert stdin is not None  # Popen(stdin=PIPE)
            # With the SLA policies: it replays the clocks (this process does not).
            pickle.dump((os.getpid(), start, tickets, seed, now,
                         store.is_sqlite, chunk, path, statements, SIDE_TABLES), stdin,
                        protocol=pickle.HIGHEST_PROTOCOL)
            stdin.close()
        except BrokenPipeError:
            pass  # it stopped already; wait() says so
        self.side = bulk.SideLoad(path=path, tables=SIDE_TABLES, search=True, wait=self.wait)
        # A thread drains the helper's output as it comes (the helper never blocks on a full
        # pipe while this process is busy; reading releases the GIL); the chunks queue here.
        self._chunks: queue.Queue[tuple[int, bytes] | None] = queue.Queue()
        stdout = self.process.stdout
        assert stdout is not None  # Popen(stdout=PIPE)
        threading.Thread(target=self._read, args=(stdout,), daemon=True,
                         name="demo-helper-sla").start()

    def _read(self, stdout: IO[bytes]) -> None:
        try:
            while True:
                head = stdout.read(_FRAME.size)
                if len(head) < _FRAME.size:
                    break
                first, size = _FRAME.unpack(head)
                body = stdout.read(size)
                if len(body) < size:
                    break
                self._chunks.put((first, body))
        except (OSError, ValueError):  # closed under it (close)
            pass
        finally:
            self._chunks.put(None)

    def sla(self, first: int) -> tuple[Sequence[tuple], list[tuple]]:
        """The SLA columns of the chunk of tickets from index ``first`` on, one tuple a ticket
        (:data:`deskterm.db.bulk.TICKET_SLA_COLUMNS`), and its ``sla_outcomes`` rows, as the
        helper worked them out; waits for them if it has not got that far yet."""
        got = self._chunks.get()
        if got is None:
            self.wait()  # raises: it stopped early
            raise DemoHelperFailed("making half of the demo desk stopped (its helper process "
                                   "handed over too few tickets); nothing was loaded")
        sent_first, body = got
        if sent_first != first:
            raise DemoHelperFailed(f"the demo's helper process handed over the tickets from "
                                   f"{sent_first} on where {first} were due; nothing was loaded")
        columns, outcomes = marshal.loads(body)
        return columns, outcomes

    def wait(self) -> None:
        code = self.process.wait()
        if code != 0:
            raise DemoHelperFailed(f"making half of the demo desk stopped (its helper process "
                                   f"exited with code {code}); nothing was loaded")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.scratch.remove()
