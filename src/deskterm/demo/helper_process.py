"""The helper process of a big demo seed (``python -m deskterm.demo.helper_process``).

It reads its arguments as one pickle on its standard input (see :class:`.helper.SideHelper`),
makes every row of the desk again with the seed's generator, and writes the helper's tables and
the search index into the scratch file. Apart from :mod:`.helper` so that the generator (which
starts helpers) and the helper's side (which runs the generator) import each other in one
direction only.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Sequence

from deskterm.db import bulk
from deskterm.demo import generator, helper


def main() -> None:
    seed_process, start, tickets, seed, now, sqlite, generator.CHUNK, path, statements, tables = (
        pickle.load(sys.stdin.buffer))

    def stop_if_orphaned() -> None:
        # The seed was killed (kill -9 never reaches this process): stop, rather than spend
        # minutes of a core making rows no one will load. The next start removes the file.
        if os.getppid() != seed_process:
            sys.exit(3)

    # Standard output carries the tickets' SLA columns to the seed; nothing else may go there.
    out = sys.stdout.buffer
    sys.stdout = sys.stderr
    stop_if_orphaned()
    demo = generator.DemoGenerator(start, tickets=tickets, seed=seed, now=now, sqlite=sqlite)
    writer = bulk.SideWriter(path, statements, tables)
    first = 0
    chunk: dict[str, Sequence[tuple]] = {}
    for table, rows in demo.batches():
        stop_if_orphaned()
        if table == "tickets" or chunk:
            # A chunk of tickets is made whole before its first batch comes: hand its SLA
            # columns and outcomes over first, then index and write it.
            chunk[table] = rows
            if table != helper.LAST_OF_CHUNK:
                continue
            helper.send_sla(out, first, chunk["tickets"], chunk["sla_outcomes"])
            first += len(chunk["tickets"])
            for name, batch in chunk.items():
                writer.add(name, batch)
            chunk = {}
            continue
        writer.add(table, rows)
    writer.finish()


if __name__ == "__main__":
    main()
