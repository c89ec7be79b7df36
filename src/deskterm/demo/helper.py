"""Half of a big demo desk made in a helper process, on the second core.

Seeding a million tickets on SQLite is one connection's work on one core: making the rows in
Python, inserting them, tokenising every subject and message for search, sorting the indexes.
The demo generator is a pure function of what it is given, so a helper can make the very same
rows too: :class:`SideHelper` runs ``python -m deskterm.demo.helper_process``, which makes
every row again and writes :data:`SIDE_TABLES` and the search index into a scratch file beside
the desk (:class:`deskterm.db.bulk.SideWriter`), while this process inserts the other tables;
the bulk load copies the helper's tables in before it builds the indexes, in its one
transaction (:class:`deskterm.db.bulk.SideLoad`). No row crosses between the processes.

The helper reads its arguments as one pickle on its standard input. If it fails, the load
raises :class:`DemoHelperFailed` and rolls back; :meth:`SideHelper.close` stops it if the load
ends first and removes the scratch file either way. A seed killed with ``kill -9`` leaves it: the
next seed's (or ``deskterm init``'s) start removes it, once no process holds its lock
(:class:`deskterm.db.bulk.SideFile`).
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from deskterm.db import bulk
from deskterm.desk.errors import DeskError

if TYPE_CHECKING:
    from deskterm.db.engine import Store
    from deskterm.demo.generator import DemoStart

SIDE_TABLES = ("ticket_tags", "ticket_seen")
"""The tables the helper writes (with the search index): chosen so both cores have about as
much to do on a 1M desk (here: making rows, tickets, messages, events; there: making rows,
tags, seen marks, the search index). The SLA outcomes and the rest the demo's SLA clocks give
are made here too: moving them, or the events, to the helper left this process's time as it
was (the rows a helper writes are copied in by this one) and doubled the clocks' work."""


class DemoHelperFailed(DeskError):
    """The process making half of the demo desk stopped before it had finished."""


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
                _helper_command(), stdin=subprocess.PIPE,
                pass_fds=(self.scratch.fd,) if os.name == "posix" else ())
        except BaseException:
            self.scratch.remove()
            raise
        try:
            # the chunk size shapes the rows: the helper's is the seed's
            stdin = self.process.stdin
            assert stdin is not None  # Popen(stdin=PIPE)
            # Without the SLA policies: its tables do not depend on the SLA clocks (drawn
            # apart from the rest, deskterm.demo.sla), so it need not work them out again.
            pickle.dump((os.getpid(), replace(start, policies=()), tickets, seed, now,
                         store.is_sqlite, chunk, path, statements, SIDE_TABLES), stdin,
                        protocol=pickle.HIGHEST_PROTOCOL)
            stdin.close()
        except BrokenPipeError:
            pass  # it stopped already; wait() says so
        self.side = bulk.SideLoad(path=path, tables=SIDE_TABLES, search=True, wait=self.wait)

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
