"""``deskterm agent``: the support team."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli.context import ctx_obj, split_list
from deskterm.cli.output import echo, print_json, print_table
from deskterm.desk.reads import AgentRead

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="Agents: add, list, change and deactivate them.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
NameOpt = Annotated[str | None, typer.Option("--name", help="Display name.")]
EmailOpt = Annotated[str | None, typer.Option("--email", help="E-mail address.")]
RoleOpt = Annotated[str | None, typer.Option("--role", help="admin or agent.")]
SkillsOpt = Annotated[str | None, typer.Option("--skills", help="Comma-separated skills.")]


def _describe(agent: AgentRead) -> str:
    state = "" if agent.active else " (deactivated)"
    state += ", away" if agent.away else ""
    state += f", capacity {agent.capacity}" if agent.capacity is not None else ""
    return f"{agent.username} — {agent.display_name}, {agent.role}{state}"


@app.command()
def add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The agent's operating-system user name.")],
    name: NameOpt = None,
    email: EmailOpt = None,
    role: Annotated[str, typer.Option("--role", help="admin or agent.")] = "agent",
    skills: SkillsOpt = None,
    json: JsonOpt = False,
) -> None:
    """Add an agent (admins only)."""
    desk = ctx_obj(ctx).desk()
    agent = desk.add_agent(username, display_name=name, email=email, role=role,
                           skills=split_list(skills))
    if json:
        print_json(agent)
        return
    echo(f"added {_describe(agent)}")
    db_role = desk.database_role(agent.username)
    if db_role is not None:
        echo(f"database role {db_role}: they connect as it (give it a password or a "
             "pg_ident.conf mapping; see the README)")


@app.command("list")
def list_(
    ctx: typer.Context,
    active_only: Annotated[bool, typer.Option("--active", help="Only active agents.")] = False,
    json: JsonOpt = False,
) -> None:
    """List the agents."""
    agents = ctx_obj(ctx).desk().list_agents(include_inactive=not active_only)
    if json:
        print_json(agents)
        return
    print_table(
        ["username", "name", "role", "active", "away", "capacity", "groups", "skills"],
        [[a.username, a.display_name, a.role, "yes" if a.active else "no",
          "away" if a.away else "", "" if a.capacity is None else a.capacity,
          ", ".join(a.groups), ", ".join(a.skills)] for a in agents],
        give_way=["skills", "groups", "name"],
    )


@app.command("set")
def set_(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The agent to change.")],
    name: NameOpt = None,
    email: EmailOpt = None,
    role: RoleOpt = None,
    skills: SkillsOpt = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Reactivate or deactivate.")
    ] = None,
    away: Annotated[
        bool | None, typer.Option("--away/--back", help="Away: automatic assignment skips "
                                  "them (an agent may mark themselves).")
    ] = None,
    capacity: Annotated[
        str | None, typer.Option("--capacity", metavar="N",
                                 help="The most unsolved tickets automatic assignment gives "
                                      "them, or 'none' for no limit.")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Change an agent's name, e-mail, role, skills, active state or capacity (admins only),
    or mark them away or back."""
    if all(v is None for v in (name, email, role, skills, active, away, capacity)):
        raise typer.BadParameter("give at least one of --name, --email, --role, --skills, "
                                 "--active/--inactive, --away/--back, --capacity")
    limit = _capacity(capacity) if capacity is not None else None
    desk = ctx_obj(ctx).desk()
    agent = None
    if any(v is not None for v in (name, email, role, skills, active)):
        agent = desk.change_agent(
            username, display_name=name, email=email, role=role,
            skills=split_list(skills) if skills is not None else None, active=active,
        )
    if capacity is not None:
        agent = desk.set_capacity(username, limit)
    if away is not None:
        agent = desk.set_away(username, away)
    assert agent is not None
    print_json(agent) if json else echo(f"changed {_describe(agent)}")


def _capacity(text: str) -> int | None:
    """``--capacity``: a whole number, or none."""
    if text.strip().lower() == "none":
        return None
    if not text.strip().isascii() or not text.strip().isdigit() or len(text.strip()) > 5 \
            or int(text.strip()) > 10_000:
        # (checked here, before any of the other options is written)
        raise typer.BadParameter(f"'{text[:20]}' is not a number of tickets from 0 to 10,000 "
                                 "(or none)", param_hint="--capacity")
    return int(text.strip())


@app.command()
def deactivate(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The agent to deactivate.")],
    reassign_to: Annotated[str | None, typer.Option(
        "--reassign-to", metavar="AGENT",
        help="First give their unsolved tickets to this agent (each an event; all or "
             "nothing).")] = None,
    json: JsonOpt = False,
) -> None:
    """Deactivate an agent: they can no longer use deskterm or be assigned (admins only).
    `deskterm agent set NAME --active` reactivates them."""
    agent, moved = ctx_obj(ctx).desk().deactivate_agent(username, reassign_to=reassign_to)
    if json:
        print_json({"agent": agent, "reassigned": moved})
    elif reassign_to is not None:
        echo(f"deactivated {agent.username}; {len(moved)} unsolved ticket"
             f"{'' if len(moved) == 1 else 's'} reassigned to {reassign_to}")
    else:
        echo(f"deactivated {agent.username}; their tickets stay assigned to them until "
             "reassigned (or use --reassign-to)")
