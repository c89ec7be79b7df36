"""``deskterm import csv|jsonl`` and ``deskterm export csv|jsonl``: tickets in and out as files.

Thin: the file is read and checked, matched and written by the desk
(:mod:`deskterm.desk.transfer`, through :mod:`deskterm.desk.service_transfer`); this parses
the options, shows a progress bar on a terminal, writes the rejects file and prints the result.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from deskterm.cli import lazy
from deskterm.cli.context import ctx_obj
from deskterm.cli.output import data_out, echo, error, print_json, with_progress
from deskterm.desk.errors import InvalidInput
from deskterm.desk.safe_text import clean_line

if TYPE_CHECKING:
    from deskterm.desk.transfer.csv_import import ImportReport
    from deskterm.desk.transfer.csv_in import CsvFile, RawRow

csv_in = lazy.module("deskterm.desk.transfer.csv_in")
csv_import = lazy.module("deskterm.desk.transfer.csv_import")

import_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="Import tickets from other desks: CSV or deskterm's JSONL.")
export_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="Export tickets: JSONL (everything) or CSV (one row a ticket).")

FileArg = Annotated[Path, typer.Argument(metavar="FILE", help="The file to read.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _shown(path: Path) -> str:
    return clean_line(str(path))


def _overrides(pairs: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep or not column.strip() or not field.strip():
            raise typer.BadParameter(f"'{pair}' is not COLUMN=FIELD", param_hint="'--map'")
        found[column.strip()] = field.strip()
    return found


def _zone(name: str | None) -> Any:
    if name is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"--timezone {clean_line(name)[:60]}: no such time zone (e.g. UTC, "
                           "Europe/Warsaw, America/New_York)") from None


class _Rejects:
    """``FILE.rejects.csv``: the rows left out, as they were, with a ``reason`` column; made
    when the first row is left out."""

    def __init__(self, source: CsvFile, path: Path) -> None:
        self.source = source
        self.path = path
        self.file: TextIO | None = None
        self.writer: Any = None
        self.count = 0

    def __call__(self, raw: RawRow, reason: str) -> None:
        if self.writer is None:
            try:
                self.file = open(self.path, "w", encoding=self.source.encoding.replace(  # noqa: SIM115
                    "-sig", ""), errors="surrogateescape", newline="")
            except OSError as exc:
                raise InvalidInput(f"{_shown(self.path)}: cannot be written "
                                   f"({exc.strerror or exc}); nothing was imported") from None
            self.writer = csv.writer(self.file, delimiter=self.source.delimiter)
            self.writer.writerow([*self.source.header, "reason"])
        self.writer.writerow([*raw.cells, f"line {raw.line}: {reason}"])
        self.count += 1

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _summary(report: ImportReport) -> str:
    made = [f"{count} new {what}" for count, what in (
        (report.customers, "requester(s)"), (report.organizations, "organization(s)"),
        (report.agents, "agent(s)"), (report.groups, "group(s)"), (report.tags, "tag(s)"))
        if count]
    return (f"{report.created} ticket(s) created, {report.updated} updated"
            + (f"; {', '.join(made)}" if made else ""))


@import_app.command("csv")
def import_csv(
    ctx: typer.Context,
    path: FileArg,
    mapping: Annotated[list[str] | None, typer.Option(
        "--map", metavar="COLUMN=FIELD",
        help="Read COLUMN as FIELD (subject, body, requester_email ...; '-' ignores it). "
             "Repeatable.")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Check everything and say what would be done; write nothing.")
    ] = False,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Import the good rows; write the others to FILE.rejects.csv "
        "with a reason column.")] = False,
    create_agents: Annotated[bool, typer.Option(
        "--create-agents", help="Add an agent for an assignee the desk does not know "
        "(else that row is a problem).")] = False,
    delimiter: Annotated[str | None, typer.Option(
        "--delimiter", metavar="CHAR", help="The separator (default: found from the header: "
        "',', ';', tab or '|').")] = None,
    encoding: Annotated[str | None, typer.Option(
        "--encoding", metavar="NAME", help="The file's encoding (default UTF-8; e.g. cp1252, "
        "latin-1, utf-16).")] = None,
    timezone: Annotated[str | None, typer.Option(
        "--timezone", metavar="ZONE", help="The zone of dates written without one "
        "(default UTC; e.g. Europe/Warsaw).")] = None,
    dates: Annotated[str | None, typer.Option(
        "--dates", metavar="ORDER", help="dmy or mdy: how to read 03/04/2024.")] = None,
    json: JsonOpt = False,
) -> None:
    """Import tickets from a CSV file: all or nothing, every problem named by line and column.
    A row whose id was imported before updates that ticket."""
    if delimiter is not None and (len(delimiter) != 1 and delimiter not in ("\\t", "tab")):
        raise typer.BadParameter("one character (or 'tab')", param_hint="'--delimiter'")
    if dates is not None and dates not in ("dmy", "mdy"):
        raise typer.BadParameter("dmy or mdy", param_hint="'--dates'")
    options = csv_in.Options(
        overrides=_overrides(mapping or []),
        delimiter="\t" if delimiter in ("\\t", "tab") else delimiter,
        encoding=encoding, zone=_zone(timezone), date_order=dates)
    desk = ctx_obj(ctx).desk()
    source = desk.open_csv(path, options)
    rejects = _Rejects(source, path.with_name(path.name + ".rejects.csv"))
    try:
        report = with_progress(source.size(), "importing tickets", lambda progress: desk.import_csv(
            source, dry_run=dry_run, skip_invalid=skip_invalid, create_agents=create_agents,
            reject=rejects if skip_invalid and not dry_run else None, progress=progress))
    except csv_import.ImportRefused as refused:
        for problem in refused.report.problems:
            error(str(problem))
        rows = len({p.line for p in refused.report.problems})
        error(f"nothing was imported: {len(refused.report.problems)} problem(s) in {rows} of "
              f"{refused.report.rows} row(s); fix them, or use --skip-invalid")
        raise typer.Exit(1) from None
    finally:
        rejects.close()
    if json:
        print_json({"rows": report.rows, "created": report.created, "updated": report.updated,
                    "customers": report.customers, "organizations": report.organizations,
                    "agents": report.agents, "groups": report.groups, "tags": report.tags,
                    "skipped": len({p.line for p in report.problems}),
                    "dry_run": dry_run, "problems": [str(p) for p in report.problems]})
        return
    if dry_run:
        for problem in report.problems:
            error(f"would skip {problem}")
        echo(f"dry run of {_shown(path)}, nothing written: would have {_summary(report)}")
        return
    skipped = ""
    if report.problems:
        skipped = (f"; {rejects.count} row(s) skipped, written with their reasons to "
                   f"{_shown(rejects.path)}")
    echo(f"imported {_shown(path)}: {_summary(report)}{skipped}")


@import_app.command("jsonl")
def import_jsonl(
    ctx: typer.Context,
    path: FileArg,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Check everything and say what would be done; write nothing.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Import a `deskterm export jsonl` file: every ticket with its number, messages, events,
    tags, links and attachments; all or nothing."""
    desk = ctx_obj(ctx).desk()
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    try:
        report = with_progress(size, "importing tickets", lambda progress: desk.import_jsonl(
            path, dry_run=dry_run, progress=progress))
    except csv_import.ImportRefused as refused:
        for problem in refused.report.problems:
            error(str(problem))
        error(f"nothing was imported: {len(refused.report.problems)} problem(s) in "
              f"{refused.report.rows} ticket(s)")
        raise typer.Exit(1) from None
    if json:
        print_json({"created": report.created, "messages": report.messages,
                    "events": report.events, "attachments": report.attachments,
                    "customers": report.customers, "organizations": report.organizations,
                    "agents": report.agents, "groups": report.groups, "tags": report.tags,
                    "left_out": report.left_out, "dry_run": dry_run})
        return
    done = (f"{report.created} ticket(s) with {report.messages} message(s), "
            f"{report.events} event(s), {report.attachments} attachment(s)")
    if report.left_out:
        done += (f"; {report.left_out} link(s) or merge pointer(s) to tickets not in the file "
                 "nor on this desk left out")
    if dry_run:
        echo(f"dry run of {_shown(path)}, nothing written: would have imported {done}")
    else:
        echo(f"imported {_shown(path)}: {done}")


QueryOpt = Annotated[str | None, typer.Option(
    "--query", metavar="FILTER", help="Only the tickets this filter holds (the queue's filter "
    "language, e.g. 'status:open group:billing').")]
OutOpt = Annotated[Path | None, typer.Option(
    "-o", "--output", metavar="FILE", help="Write here (replaced when complete) instead of "
    "standard output.")]


def _exported(path: Path | None, count: int) -> None:
    if path is not None:
        echo(f"exported {count} ticket(s) to {_shown(path)}", err=True)


@export_app.command("jsonl")
def export_jsonl(ctx: typer.Context, query: QueryOpt = None, output: OutOpt = None) -> None:
    """Every ticket (or those --query holds) as JSON lines, with messages, events, tags,
    links and attachments: what `import jsonl` reads back exactly."""
    desk = ctx_obj(ctx).desk()
    total = desk.count_for_export(query) if output is not None else 0
    with data_out(output) as stream:
        count = with_progress(total, "exporting tickets", lambda progress: desk.export_jsonl(
            query=query, write=stream.write, progress=progress))
    _exported(output, count)


@export_app.command("csv")
def export_csv(ctx: typer.Context, query: QueryOpt = None, output: OutOpt = None) -> None:
    """Every ticket (or those --query holds) as one CSV row, its first message as the
    description: what `import csv` reads (and other desks' importers)."""
    desk = ctx_obj(ctx).desk()
    total = desk.count_for_export(query) if output is not None else 0
    with data_out(output) as stream:
        writer = csv.writer(stream)
        count = with_progress(total, "exporting tickets", lambda progress: desk.export_csv(
            query=query, write_row=writer.writerow, progress=progress))
    _exported(output, count)
