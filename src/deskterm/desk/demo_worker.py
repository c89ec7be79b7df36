"""The demo's rows made in a helper process, so the loader's core only inserts them.

Generating a million tickets' rows is pure Python (about a fifth of the seed on one core);
:func:`rows_from_helper` runs :class:`~deskterm.desk.demo.DemoGenerator` in ``python -m
deskterm.desk.demo_worker`` and yields the batches it sends back through a pipe, as pickles,
in the order the generator makes them: the same rows as generating them here (the generator is
a pure function of what it is given). The helper reads its arguments from its standard input
and writes ``("batch", table, rows)``, ``("progress", done)`` and, last, ``("counts", counts)``.

If the helper stops early, :class:`DemoHelperFailed` is raised from the iteration, so the bulk
load it feeds rolls back; if the load stops early, the helper is stopped.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from deskterm.desk.errors import DeskError

if TYPE_CHECKING:
    from deskterm.db import bulk
    from deskterm.desk.demo import DemoStart


class DemoHelperFailed(DeskError):
    """The process making the demo's rows stopped before it had made them all."""


def _helper_command() -> list[str]:
    return [sys.executable, "-m", __name__]


def rows_from_helper(start: DemoStart, *, tickets: int, seed: int, now: datetime, sqlite: bool,
                     counts: dict[str, int],
                     progress: Callable[[int], None] | None = None) -> Iterator[bulk.Batch]:
    """The batches of ``DemoGenerator(start, ...)``, made in a helper; then fills ``counts``."""
    helper = subprocess.Popen(_helper_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        try:
            pickle.dump((start, tickets, seed, now, sqlite), helper.stdin,
                        protocol=pickle.HIGHEST_PROTOCOL)
            helper.stdin.close()
        except BrokenPipeError:
            pass  # it stopped already: reading says so
        while True:
            try:
                message = pickle.load(helper.stdout)
            except (EOFError, pickle.UnpicklingError):
                code = helper.wait()
                raise DemoHelperFailed(f"making the demo's rows stopped (its helper process "
                                       f"exited with code {code}); nothing was loaded") from None
            kind = message[0]
            if kind == "batch":
                yield message[1], message[2]
            elif kind == "progress":
                if progress is not None:
                    progress(message[1])
            else:
                counts.update(message[1])
                break
    finally:
        helper.stdout.close()
        if helper.poll() is None:
            helper.kill()
        helper.wait()


def _main() -> None:
    from deskterm.desk.demo import DemoGenerator

    start, tickets, seed, now, sqlite = pickle.load(sys.stdin.buffer)
    generator = DemoGenerator(start, tickets=tickets, seed=seed, now=now, sqlite=sqlite)
    out = sys.stdout.buffer
    protocol = pickle.HIGHEST_PROTOCOL
    try:
        for table, rows in generator.batches(
                lambda done: pickle.dump(("progress", done), out, protocol=protocol)):
            pickle.dump(("batch", table, rows), out, protocol=protocol)
        pickle.dump(("counts", generator.counts), out, protocol=protocol)
        out.flush()
    except BrokenPipeError:  # the load stopped reading
        sys.exit(3)


if __name__ == "__main__":
    _main()
