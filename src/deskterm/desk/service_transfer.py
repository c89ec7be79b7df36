"""Use cases of moving tickets in and out of the desk: ``deskterm import csv|jsonl`` and
``deskterm export csv|jsonl``.

Importing is for admins: it files tickets under other people's names with their own dates and
statuses (past the lifecycle's rules), and it may add agents and groups, which only admins do.
Exporting is for every agent, who can read every ticket anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session

from deskterm import lazy
from deskterm.desk.people.permissions import require_admin
from deskterm.desk.service_core import DeskCore

if TYPE_CHECKING:
    from deskterm.desk.filter.resolved import ResolvedQuery
    from deskterm.desk.queue import windows as queue
    from deskterm.desk.transfer import csv_import, csv_in, jsonl_in, jsonl_out
else:
    csv_import = lazy.module("deskterm.desk.transfer.csv_import")
    csv_in = lazy.module("deskterm.desk.transfer.csv_in")
    jsonl_in = lazy.module("deskterm.desk.transfer.jsonl_in")
    jsonl_out = lazy.module("deskterm.desk.transfer.jsonl_out")
    queue = lazy.module("deskterm.desk.queue.windows")


class TransferCases(DeskCore):
    """Tickets in and out as files."""

    def open_csv(self, path: Path, options: csv_in.Options) -> csv_in.CsvFile:
        """The CSV file at ``path``, its header read and mapped (a problem: InvalidInput), to
        import (admins only: refused before the file is read)."""
        require_admin(self.actor, "import tickets")
        return csv_in.CsvFile(path, options)

    def import_csv(self, source: csv_in.CsvFile, *, dry_run: bool = False,
                   skip_invalid: bool = False, create_agents: bool = False,
                   reject: Callable[[csv_in.RawRow, str], None] | None = None,
                   progress: Callable[[int], None] | None = None) -> csv_import.ImportReport:
        """Import tickets from a CSV file (admins only), all or nothing unless
        ``skip_invalid``; raises ``ImportRefused`` listing every problem."""
        require_admin(self.actor, "import tickets")
        return csv_import.import_csv(self.store, source, dry_run=dry_run,
                                     skip_invalid=skip_invalid, create_agents=create_agents,
                                     reject=reject, progress=progress, actor_id=self.actor.id)

    def import_jsonl(self, path: Path, *, dry_run: bool = False,
                     progress: Callable[[int], None] | None = None) -> jsonl_in.JsonlReport:
        """Import the tickets of a ``deskterm export jsonl`` file (admins only), keeping their
        numbers, all or nothing; raises ``ImportRefused`` listing every problem."""
        require_admin(self.actor, "import tickets")
        return jsonl_in.import_jsonl(self.store, path, dry_run=dry_run, progress=progress,
                                     actor_id=self.actor.id)

    def _export_query(self, session: Session, query: str | None) -> ResolvedQuery | None:
        actor = self._acting(session)
        if (query is None or not query.strip()) and actor.is_admin:
            return None  # every ticket (an agent's export leaves out groups closed to them)
        return queue.resolve(session, query or "", me=actor.username,
                             now=datetime.now(UTC))

    def export_jsonl(self, *, query: str | None, write: Callable[[str], object],
                     progress: Callable[[int], None] | None = None) -> int:
        """Write the tickets ``query`` holds (every ticket without one) as JSONL lines, in one
        read transaction; their count."""
        with self._reading() as session:
            return jsonl_out.export_jsonl(session, query=self._export_query(session, query),
                                          write=write, progress=progress)

    def export_csv(self, *, query: str | None, write_row: Callable[[list[str]], object],
                   progress: Callable[[int], None] | None = None) -> int:
        """Write the header and a row a ticket ``query`` holds; the number of tickets."""
        from deskterm.desk.transfer.columns import EXPORT_COLUMNS

        count = 0
        with self._reading() as session:
            write_row(list(EXPORT_COLUMNS))
            for row in jsonl_out.csv_rows(session, query=self._export_query(session, query),
                                          progress=progress):
                write_row(row)
                count += 1
        return count

    def count_for_export(self, query: str | None) -> int:
        """How many tickets an export of ``query`` writes (for a progress bar)."""
        with self._reading() as session:
            return len(jsonl_out.ticket_numbers(session, self._export_query(session, query)))
