"""``deskterm rules``: the desk's rules, kept in a TOML file.

``deskterm rules export > rules.toml``, edit, ``deskterm rules load rules.toml``: the whole file
is checked first and replaces the rule set in one transaction, or nothing changes and every
problem is listed with its line. See :mod:`deskterm.desk.automation.rulebook` for the format.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli import lazy
from deskterm.cli.context import ctx_obj, read_text_file
from deskterm.cli.output import echo, echo_text, error, print_json, print_table
from deskterm.desk.errors import InvalidInput
from deskterm.desk.safe_text import clean_line

if TYPE_CHECKING:
    from deskterm.desk.automation import rulebook
    from deskterm.desk.automation.ruleset import RuleRead
    from deskterm.desk.tickets import checks as ticket_checks
else:
    rulebook = lazy.module("deskterm.desk.automation.rulebook")
    ticket_checks = lazy.module("deskterm.desk.tickets.checks")

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="Rules: classify, route and answer tickets automatically (a TOML file).")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
TRIGGERS = ("created", "updated", "customer_reply")


def _read_text(path: Path) -> str:
    return read_text_file(path, kind="a rules file")


@app.command()
def load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A rules file (TOML, [[rule]] "
                                                                "tables).")],
    json: JsonOpt = False,
) -> None:
    """Check every rule of FILE, then replace the desk's rules with them in one go (admins
    only). Any problem: each is listed with its line and nothing changes."""
    text = _read_text(file)
    try:
        rules = ctx_obj(ctx).desk().load_rules(text)
    except rulebook.RulesFileError as exc:
        shown = clean_line(str(file))
        for problem in exc.problems:
            error(f"{shown}: {problem}")
        count = len(exc.problems)
        error(f"{shown}: {count} problem{'s' if count != 1 else ''}; the rules were not changed")
        raise typer.Exit(1) from None
    if json:
        print_json([{"name": r.name, "position": r.position} for r in rules])
        return
    active = sum(1 for r in rules if r.spec.active)
    echo(f"loaded {len(rules)} rule{'s' if len(rules) != 1 else ''} ({active} active) from "
         f"{clean_line(str(file))}")


@app.command("list")
def list_(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List the rules in the order they run."""
    rules = ctx_obj(ctx).desk().list_rules()
    if json:
        print_json([_as_json(r) for r in rules])
        return
    print_table(["#", "rule", "on", "active", "stop", "what"],
                [[r.position, r.name, ", ".join(r.spec.on), "yes" if r.spec.active else "no",
                  "yes" if r.spec.stop else "", r.summary] for r in rules],
                give_way=["what", "rule"])


def _as_json(rule: RuleRead) -> dict[str, object]:
    from deskterm.desk.reads import as_json  # not loaded for --help

    spec = rule.spec
    return {"name": spec.name, "position": rule.position,
            "description": spec.description, "on": list(spec.on), "active": spec.active,
            "stop": spec.stop, "when": as_json(dict(spec.when)),
            "unless": as_json(dict(spec.unless)), "then": as_json(dict(spec.then))}


@app.command()
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The rule's name.")],
    json: JsonOpt = False,
) -> None:
    """Show one rule, as it would be written in a rules file."""
    rule = ctx_obj(ctx).desk().get_rule(name)
    if json:
        print_json(_as_json(rule))
        return
    echo_text(rulebook.rules_toml([rule.spec]).split("\n", 2)[2])


@app.command()
def export(
    ctx: typer.Context,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE",
                                                help="Write to FILE (default: standard "
                                                     "output).")] = None,
) -> None:
    """Write the rules as a rules file (`rules load` reads it back unchanged)."""
    text = ctx_obj(ctx).desk().export_rules()
    if output is None:
        echo_text(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{clean_line(str(output))}: cannot be written "
                           f"({exc.strerror or exc})") from None
    echo(f"wrote the rules to {clean_line(str(output))}")


@app.command()
def test(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(metavar="REF", help="The ticket (#1042 or 1042).")],
    on: Annotated[str, typer.Option("--on", help="The change to test for: created, updated "
                                                 "or customer_reply.")] = "updated",
    json: JsonOpt = False,
) -> None:
    """Which rules would fire on ticket REF now, and why. Changes nothing."""
    if on not in TRIGGERS:
        raise typer.BadParameter(f"'{clean_line(on)[:40]}' is not one of {', '.join(TRIGGERS)}",
                                 param_hint="--on")
    number = ticket_checks.parse_ref(ref)
    results = ctx_obj(ctx).desk().test_rules(number, trigger=on)
    if json:
        print_json(results)
        return
    if not results:
        echo("the desk has no rules (see `deskterm rules load`)")
        return
    for result in results:
        mark = "FIRES" if result.fires else "-"
        echo(f"{mark:5} {result.name}: {result.outcome}")
        for label, holds, saw in result.verdicts:
            echo(f"        {'yes' if holds else 'no ':3} {label} ({saw})")
    firing = [r.name for r in results if r.fires]
    echo(f"{len(firing)} of {len(results)} rules would fire on #{number} ({on})")
