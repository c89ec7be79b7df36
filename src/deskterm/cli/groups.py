"""``deskterm group``: team queues."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.context import ctx_obj
from deskterm.cli.output import echo, print_json, print_table

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="Groups: team queues such as billing or level 2.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command()
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The group's name.")],
    description: Annotated[str, typer.Option("--description", help="What it handles.")] = "",
    json: JsonOpt = False,
) -> None:
    """Add a group (admins only)."""
    group = ctx_obj(ctx).desk().add_group(name, description=description)
    print_json(group) if json else echo(f"added group {group.name}")


@app.command("list")
def list_(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List the groups and their members."""
    groups = ctx_obj(ctx).desk().list_groups()
    if json:
        print_json(groups)
        return
    print_table(["group", "description", "assignment", "members"],
                [[g.name, g.description, g.assignment, ", ".join(g.members)] for g in groups],
                give_way=["description", "members"])


@app.command("add-member")
def add_member(
    ctx: typer.Context,
    group: Annotated[str, typer.Argument(help="The group.")],
    username: Annotated[str, typer.Argument(help="The agent to add to it.")],
) -> None:
    """Add an agent to a group (admins only)."""
    found = ctx_obj(ctx).desk().add_member(group, username)
    echo(f"{username} is in {found.name} ({len(found.members)} members)")


@app.command("remove-member")
def remove_member(
    ctx: typer.Context,
    group: Annotated[str, typer.Argument(help="The group.")],
    username: Annotated[str, typer.Argument(help="The agent to take out of it.")],
) -> None:
    """Take an agent out of a group (admins only)."""
    found = ctx_obj(ctx).desk().remove_member(group, username)
    echo(f"{username} left {found.name} ({len(found.members)} members)")


@app.command("set")
def set_(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The group.")],
    assignment: Annotated[str, typer.Option(
        "--assignment", metavar="STRATEGY",
        help="How tickets landing in it unassigned get an assignee: manual, round-robin, "
             "least-loaded or skills.")],
    json: JsonOpt = False,
) -> None:
    """Change how a group assigns its tickets (admins only)."""
    group = ctx_obj(ctx).desk().set_assignment(name, assignment)
    print_json(group) if json else echo(f"{group.name} assigns {group.assignment}"
                                        + (" (tickets wait in its queue)"
                                           if group.assignment == "manual" else ""))
