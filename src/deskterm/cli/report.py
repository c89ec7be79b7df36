"""``deskterm report``: the desk's numbers for a range of days, as tables, JSON, CSV or one
HTML page (see the README's "Reports" section for the JSON shape)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli import lazy
from deskterm.cli.context import ctx_obj, split_list
from deskterm.cli.output import data_out, echo, print_table, stdout_is_terminal
from deskterm.desk.errors import InvalidInput
from deskterm.desk.safe_text import clean_line

if TYPE_CHECKING:
    from deskterm.desk.reports.model import Report

report_model = lazy.module("deskterm.desk.reports.model")
report_render = lazy.module("deskterm.desk.reports.render")
report_drill = lazy.module("deskterm.desk.reports.drill")
filter_language = lazy.module("deskterm.desk.filter.language")

FORMATS = ("table", "json", "csv", "html")
DEFAULT_DAYS = 30
_DAYS_AGO = re.compile(r"(\d{1,4})d", re.ASCII)
_COMPARED = re.compile(r"(<=|>=|<|>|=)?\w+", re.ASCII)


def _day(text: str | None, option: str, today: date) -> date | None:
    """``2026-11-01``, ``today`` or ``30d`` (30 days before today)."""
    if text is None:
        return None
    cleaned = text.strip().lower()
    if cleaned == "today":
        return today
    ago = _DAYS_AGO.fullmatch(cleaned)
    if ago:
        return today - timedelta(days=int(ago.group(1)))
    if len(cleaned) == 10:
        try:
            return date.fromisoformat(cleaned)
        except ValueError:
            pass
    raise typer.BadParameter(f"'{clean_line(text)[:40]}' is not a day (2026-11-01, today or "
                             "30d for 30 days ago)", param_hint=f"'{option}'")


def _range_query(values: dict[str, str | None], query: str | None) -> str:
    """The options as filter-language terms (a comma list is any of them)."""
    terms = []
    for field, given in values.items():
        names = split_list(given)
        if names:
            terms.append(f"{field}:" + ",".join(
                name if field == "priority" and _COMPARED.fullmatch(name)
                else report_drill.quoted(name) for name in names))
    if query:
        terms.append(query)
    return " ".join(terms)


def report(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="DAY", help=f"First day (UTC): 2026-11-01, today or 30d; default "
        f"{DEFAULT_DAYS - 1} days before --until.")] = None,
    until: Annotated[str | None, typer.Option(
        "--until", metavar="DAY", help="Last day, included (default today).")] = None,
    group: Annotated[str | None, typer.Option("--group", help="Group names (comma list) "
                                              "or none.")] = None,
    agent: Annotated[str | None, typer.Option("--agent", help="Assignees' usernames, me or "
                                              "none.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Organization names.")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="email, web, phone, chat, "
                                                "cli, import, api.")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="Tags (any of them).")] = None,
    priority: Annotated[str | None, typer.Option("--priority", help="low, normal, high, "
                                                 "urgent (or >=high).")] = None,
    query: Annotated[str | None, typer.Option(
        "--query", "-q", help="More filters in the filter language (type:incident tier:2).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json, csv or html (one "
                                     "self-contained page with the charts).")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE",
                                                help="Write it here, not to the screen.")
                      ] = None,
) -> None:
    """The desk's numbers for a range of days: volume, backlog, speed, reopens, time logged,
    agents, groups, tags, articles, searches that found nothing."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"'{clean_line(fmt)[:20]}' is not one of {', '.join(FORMATS)}",
                                 param_hint="'--format'")
    today = datetime.now(UTC).date()
    last = _day(until, "--until", today) or today
    first = _day(since, "--since", today) or last - timedelta(days=DEFAULT_DAYS - 1)
    text = _range_query({"group": group, "assignee": agent, "org": org, "channel": channel,
                         "tag": tag, "priority": priority}, query)
    span = report_model.ReportRange.days(first, last, text)
    try:
        found = ctx_obj(ctx).desk().report(span)
    except filter_language.QueryError as exc:
        raise InvalidInput(f"filters: {exc} (in: {clean_line(text)[:200]})") from None
    _write(found, fmt, output)


def _write(found: Report, fmt: str, output: Path | None) -> None:
    if fmt == "table" and output is None:
        _print(found)
        return
    if fmt == "table":
        text = "".join(
            f"{section.title}\n" + "".join("\t".join(row) + "\n"
                                           for row in (section.columns, *section.rows)) + "\n"
            for section in report_render.sections(found))
    elif fmt == "json":
        text = json.dumps(report_model.as_json(found), ensure_ascii=True, indent=2) + "\n"
    elif fmt == "csv":
        text = report_render.csv_text(found)
    else:
        text = report_render.html_page(found)
    try:
        with data_out(output) as stream:
            stream.write(text)
    except OSError as exc:
        shown = clean_line(str(output or "standard output"))
        raise InvalidInput(f"{shown}: cannot be written ({exc.strerror or exc})") from None


def _print(found: Report) -> None:
    span = found.range
    echo(f"Report {span.since:%Y-%m-%d} to {span.until - timedelta(days=1):%Y-%m-%d} (UTC)"
         + (f" · {span.query}" if span.query else ""), style="bold")
    for section in report_render.sections(found):
        if section.title == "Per day (UTC)" and len(section.rows) > 31 and stdout_is_terminal():
            section = type(section)(section.title, section.columns, section.rows[-31:])
        echo()
        echo(section.title, style="bold")
        if section.rows:
            print_table(list(section.columns), [list(row) for row in section.rows])
        else:
            echo("(none)")
