"""Use cases of moving tickets in and out of the desk: ``deskterm import csv|jsonl`` and
``deskterm export csv|jsonl``.

Importing is for admins: it files tickets under other people's names with their own dates and
statuses (past the lifecycle's rules), and it may add agents and groups, which only admins do.
Exporting is for every agent, who can read every ticket anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from deskterm import lazy
from deskterm.desk.people.permissions import require_admin
from deskterm.desk.service_core import DeskCore

if TYPE_CHECKING:
    from deskterm.desk.transfer import csv_import, csv_in
else:
    csv_import = lazy.module("deskterm.desk.transfer.csv_import")
    csv_in = lazy.module("deskterm.desk.transfer.csv_in")


class TransferCases(DeskCore):
    """Tickets in and out as files."""

    def open_csv(self, path: Path, options: csv_in.Options) -> csv_in.CsvFile:
        """The CSV file at ``path``, its header read and mapped (a problem: InvalidInput)."""
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
                                     reject=reject, progress=progress)
