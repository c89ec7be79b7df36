"""``deskterm init`` and ``deskterm demo``: create a desk, or a realistic demo desk."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli import lazy
from deskterm.cli.context import ctx_obj
from deskterm.cli.output import echo, stdout_is_terminal
from deskterm.desk.errors import InvalidInput

# The store's and the desk's modules: loaded when a command first uses them.
bulk = lazy.module("deskterm.db.bulk")
migrate = lazy.module("deskterm.db.migrate")
service = lazy.module("deskterm.desk.service")


SharedGroupOpt = Annotated[str | None, typer.Option(
    "--shared-group", metavar="GROUP",
    help="Share a SQLite desk with this Unix group: its folder setgid to GROUP (2770), every "
         "file in it group read-write (0660), none readable by others, whatever each agent's "
         "umask. Without it the folder is 0700 and the files 0600.")]


def init(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="Your display name.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Your e-mail address.")] = None,
    shared_group: SharedGroupOpt = None,
    per_agent_roles: Annotated[bool, typer.Option(
        "--per-agent-roles",
        help="PostgreSQL only, run as the database's owner (with CREATEROLE): give every agent "
             "a database role of their own (and each agent added later), so the server holds "
             "them to what deskterm lets them do.")] = False,
    agents_role: Annotated[str | None, typer.Option(
        "--agents-role", metavar="NAME",
        help="With --per-agent-roles: the agents' NOLOGIN group role (default "
             "deskterm_agents; one per desk on a server).")] = None,
    role_prefix: Annotated[str | None, typer.Option(
        "--role-prefix", metavar="PREFIX",
        help="With --per-agent-roles: each agent's role is PREFIX + their user name "
             "(default dt_).")] = None,
) -> None:
    """Create the desk's schema and make you (the operating-system user) its first admin."""
    obj = ctx_obj(ctx)
    if not per_agent_roles and (agents_role is not None or role_prefix is not None):
        raise typer.BadParameter("--agents-role and --role-prefix go with --per-agent-roles")
    if per_agent_roles and obj.database_url().startswith("sqlite"):
        raise InvalidInput(service.SQLITE_HAS_NO_ROLES)  # before any file is made
    store = obj.store(check_schema=False, create=True, shared_group=shared_group)
    agents_role, role_prefix = agents_role or "deskterm_agents", role_prefix or "dt_"
    if per_agent_roles:  # refused before the desk is made
        service.check_per_agent_roles(store, agents_role=agents_role, role_prefix=role_prefix)
    bulk.remove_stale_side_files(store)
    state = migrate.schema_state(store)
    if state.empty:
        migrate.upgrade(store)
    else:  # another program's database, or a desk behind, ahead or not made by deskterm
        migrate.require_schema(store, state)
    username = obj.username()
    admin = service.make_first_admin(store, username=username, display_name=name, email=email)
    if admin is None:
        echo(f"{store.display_url} is already set up (schema {state.head}); "
                   "add agents with `deskterm agent add`")
    else:
        echo(f"created a desk at {store.display_url}; {admin.username} is its admin")
    if shared_group is not None:
        echo(f"shared with group {shared_group}: add each agent to it (`usermod -aG "
             f"{shared_group} USER`) and to the desk (`deskterm agent add USER`)")
    if per_agent_roles:
        given = service.enable_per_agent_roles(store, agents_role=agents_role,
                                               role_prefix=role_prefix)
        roles = ", ".join(f"{username} as {role}" for username, role in given)
        echo(f"per-agent database roles: {roles}; `deskterm agent add` gives each new agent "
             "one; give each a password or a pg_ident.conf mapping (see the README)")


def demo(
    ctx: typer.Context,
    tickets: Annotated[int, typer.Option("--tickets", min=1, max=5_000_000,
                                         help="How many tickets to seed.")] = 2_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same desk).")] = 1,
    shared_group: SharedGroupOpt = None,
) -> None:
    """Seed a realistic demo desk (customers, agents, groups, tickets over 90 days, a knowledge
    base and macros) and make you its admin. Only into an empty database: point --db at a new
    file."""
    from deskterm.demo.generator import seed_demo  # its text pools load only when seeding

    obj = ctx_obj(ctx)
    store = obj.store(check_schema=False, create=True, shared_group=shared_group)
    bulk.remove_stale_side_files(store)
    state = migrate.schema_state(store)
    if state.empty:
        migrate.upgrade(store)
    else:
        migrate.require_schema(store, state)
    username = obj.username()
    if stdout_is_terminal():
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn()) as bar:
            task = bar.add_task("seeding tickets", total=tickets)
            result = seed_demo(store, tickets=tickets, seed=seed, admin=username,
                               progress=lambda done: bar.update(task, completed=done))
    else:
        result = seed_demo(store, tickets=tickets, seed=seed, admin=username)
    echo(
        f"seeded {store.display_url}: {result.tickets:,} tickets, {result.messages:,} messages, "
        f"{result.customers:,} customers in {result.organizations:,} organizations, "
        f"{result.agents} agents in {result.groups} groups, {result.articles} articles, "
        f"{result.macros} macros ({result.seconds:.1f} s); {username} is an admin"
    )

