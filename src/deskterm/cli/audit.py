"""``deskterm audit``: who changed what, when: tickets' events and the setup's log together."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli import lazy
from deskterm.cli.context import ctx_obj, split_list
from deskterm.cli.output import echo, print_json, print_table
from deskterm.desk.tickets.checks import parse_ref

if TYPE_CHECKING:
    from deskterm.desk.audit import trail
else:
    trail = lazy.module("deskterm.desk.audit.trail")

MOST = 10_000
"""As ``deskterm.desk.audit.trail.MOST`` (not imported: ``--help`` loads no desk code)."""
SHOWN = 120
"""Most characters of a value in the table (``--json`` gives them whole)."""
KINDS_HELP = ("ticket, agent, group, rule, macro, sla, calendar, article, category, automation, "
              "mail, view")


def _cut(value: str | None) -> str:
    if value is None:
        return "-"
    return value if len(value) <= SHOWN else value[:SHOWN - 1] + "…"


def audit(
    ctx: typer.Context,
    ticket: Annotated[str | None, typer.Option(
        "--ticket", metavar="REF", help="Only this ticket's changes (#1042 or 1042).")] = None,
    actor: Annotated[str | None, typer.Option(
        "--actor", metavar="NAME", help="Only the changes this agent made.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="WHEN", help="From this time (UTC): 2026-12-01, "
        "2026-12-01T09:30, today, or an age: 30m, 12h, 7d, 2w.")] = None,
    until: Annotated[str | None, typer.Option(
        "--until", metavar="WHEN", help="Up to this time (a day: its end included).")] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", metavar="KIND[,KIND]", help=f"Only these kinds: {KINDS_HELP}.")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", metavar="N", min=1, max=MOST, help=f"At most N changes (1 to {MOST:,}).")
    ] = 50,
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Who changed what, newest first: tickets, agents, groups, rules, macros, SLAs,
    articles, settings (admins only)."""
    now = datetime.now(UTC)
    query = trail.AuditQuery(
        ticket=parse_ref(ticket) if ticket is not None else None, actor=actor,
        since=trail.parse_when(since, now=now) if since is not None else None,
        until=trail.parse_when(until, now=now, end=True) if until is not None else None,
        kinds=trail.check_kinds(split_list(kind)), limit=limit)
    found = ctx_obj(ctx).desk().audit_trail(query)
    if json:
        print_json(found)
        return
    if not found:
        echo("no changes found")
        return
    print_table(["when (UTC)", "who", "kind", "object", "field", "before", "after"],
                [[f"{c.at:%Y-%m-%d %H:%M:%S}", c.actor or c.via or "-", c.kind, c.object,
                  c.field, _cut(c.old), _cut(c.new)] for c in found],
                give_way=["before", "after", "object"])
