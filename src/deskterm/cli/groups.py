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
    restricted: Annotated[bool, typer.Option(
        "--restricted", help="Only its members (and admins) see and change its tickets.")] = False,
    json: JsonOpt = False,
) -> None:
    """Add a group (admins only); open to every agent unless --restricted."""
    group = ctx_obj(ctx).desk().add_group(name, description=description, restricted=restricted)
    print_json(group) if json else echo(f"added group {group.name}"
                                        + (" (restricted to its members)" if restricted else ""))


@app.command("list")
def list_(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List the groups and their members."""
    groups = ctx_obj(ctx).desk().list_groups()
    if json:
        print_json(groups)
        return
    print_table(["group", "access", "description", "assignment", "members"],
                [[g.name, "restricted" if g.restricted else "open", g.description,
                  g.assignment, ", ".join(g.members)] for g in groups],
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
    assignment: Annotated[str | None, typer.Option(
        "--assignment", metavar="STRATEGY",
        help="How tickets landing in it unassigned get an assignee: manual, round-robin, "
             "least-loaded or skills.")] = None,
    restricted: Annotated[bool | None, typer.Option(
        "--restricted/--open",
        help="Restrict its tickets to its members (and admins), or open them to every "
             "agent.", show_default=False)] = None,
    json: JsonOpt = False,
) -> None:
    """Change how a group assigns its tickets, or who sees them (admins only)."""
    if assignment is None and restricted is None:
        raise typer.BadParameter("give --assignment STRATEGY, --restricted or --open")
    desk = ctx_obj(ctx).desk()
    lines = []
    if assignment is not None:  # first: a bad strategy is refused before anything changes
        group = desk.set_assignment(name, assignment)
        lines.append(f"{group.name} assigns {group.assignment}"
                     + (" (tickets wait in its queue)" if group.assignment == "manual" else ""))
    if restricted is not None:
        group = desk.set_group_restricted(name, restricted=restricted)
        lines.append(f"{group.name} is " + ("restricted to its members" if group.restricted
                                            else "open to every agent"))
    if json:
        print_json(group)
        return
    for line in lines:
        echo(line)
