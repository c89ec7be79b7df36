"""``deskterm sla``: SLA policies and business calendars, kept in a TOML file.

``deskterm sla load FILE`` replaces them all with the file's and recomputes every open ticket's
due times; see :mod:`deskterm.desk.sla.policies` (and the README's "SLAs") for the format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from deskterm.cli import lazy
from deskterm.cli.context import ctx_obj, read_text_file
from deskterm.cli.output import echo, print_json, print_table, with_growing_progress
from deskterm.desk.errors import InvalidInput
from deskterm.desk.safe_text import clean_line

policies = lazy.module("deskterm.desk.sla.policies")

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="SLAs: load policies and business calendars from a file; list and show "
                       "them.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _read_file(path: Path) -> str:
    return read_text_file(path, kind="an SLA file")


@app.command()
def load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An SLA file (TOML: [[calendar]] "
                                         "and [[policy]] tables).")],
    json: JsonOpt = False,
) -> None:
    """Replace the SLA policies and calendars with a file's, then recompute the due times of
    every open ticket (admins only; all or nothing)."""
    text = _read_file(file)
    shown = clean_line(str(file))
    try:
        desk = ctx_obj(ctx).desk()
        loaded = with_growing_progress("recomputing due times",
                                       lambda progress: desk.load_sla(text, progress=progress))
    except InvalidInput as exc:
        lines = str(exc).splitlines() or [""]
        if len(lines) == 1:
            raise InvalidInput(f"{shown}: {lines[0]}") from None
        for line in lines:  # every problem on its own line, then the one-line verdict
            echo(f"{shown}: {line}", err=True)
        raise InvalidInput(f"{shown}: {len(lines)} problems; nothing was changed") from None
    if json:
        print_json(loaded)
    else:
        echo(f"loaded {loaded.policies} SLA policies and {loaded.calendars} calendars; "
             f"{loaded.open_tickets:,} open tickets recomputed ({loaded.with_policy:,} under a "
             f"policy, {loaded.changed:,} changed)")


def _match(policy: Any) -> str:
    parts = [f"priority {policy.priority}" if policy.priority else "",
             f"tier {policy.customer_tier}" if policy.customer_tier else "",
             f"org {policy.organization}" if policy.organization else ""]
    return ", ".join(p for p in parts if p) or "any ticket"


@app.command("list")
def list_(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List the SLA policies in matching order (the first that matches a ticket applies)."""
    found = ctx_obj(ctx).desk().sla_policies()
    if json:
        print_json(found)
        return
    describe = policies.describe_minutes
    print_table(["policy", "matches", "calendar", "first response", "next response",
                 "resolution", "open tickets", "active"],
                [[p.name, _match(p), p.calendar or "24x7", describe(p.first_response_minutes),
                  describe(p.next_response_minutes), describe(p.resolution_minutes),
                  f"{p.open_tickets:,}", "yes" if p.active else "no"] for p in found],
                give_way=["matches"])


@app.command()
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The policy's name.")],
    json: JsonOpt = False,
) -> None:
    """Show an SLA policy: what it matches, its targets, calendar and escalation."""
    desk = ctx_obj(ctx).desk()
    policy = desk.sla_policy(name)
    if json:
        print_json(policy)
        return
    describe = policies.describe_minutes
    echo(f"policy: {clean_line(policy.name)} (position {policy.position + 1}"
         f"{'' if policy.active else ', inactive'})")
    echo(f"matches: {clean_line(_match(policy))}")
    echo(f"first response: {describe(policy.first_response_minutes)}")
    echo(f"next response: {describe(policy.next_response_minutes)}")
    echo(f"resolution: {describe(policy.resolution_minutes)}")
    echo(f"open tickets: {policy.open_tickets:,}")
    if policy.calendar is None:
        echo("calendar: none (around the clock)")
    else:
        for calendar in desk.business_calendars():
            if calendar.name == policy.calendar:
                hours = "; ".join(
                    f"{day} " + ", ".join(f"{a}-{b}" for a, b in spans)
                    for day, spans in calendar.hours.items() if spans)
                holidays = calendar.holidays_country or "-"
                if calendar.holidays_subdivision:
                    holidays += f"-{calendar.holidays_subdivision}"
                if calendar.extra_holidays:
                    holidays += f" + {len(calendar.extra_holidays)} days"
                echo(f"calendar: {clean_line(calendar.name)} ({clean_line(calendar.timezone)}; "
                     f"{clean_line(hours)}; holidays {clean_line(holidays)})")
    escalation = policy.escalation
    if escalation:
        parts = [f"within {describe(escalation.get('within_minutes'))} of the breach"]
        for key in ("tier", "group", "assignee"):
            if escalation.get(key) is not None:
                parts.append(f"{key} {escalation[key]}")
        if escalation.get("note"):
            parts.append("with a note")
        echo(f"escalation: {clean_line(', '.join(parts))}")
    else:
        echo("escalation: none")
