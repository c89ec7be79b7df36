"""``deskterm db``: the schema."""

from __future__ import annotations

from typing import Annotated

import typer

from deskterm.cli import lazy
from deskterm.cli.context import ctx_obj
from deskterm.cli.output import echo, print_json

# The store's modules: loaded when a command first uses them.
migrate = lazy.module("deskterm.db.migrate")

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="The database schema: upgrade it, see where it is.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]

_STATUS_TEXT = {
    "empty": "empty, run `deskterm init`",
    "up to date": "up to date",
    "needs upgrade": "needs upgrade, run `deskterm db upgrade`",
    "newer": "made by a newer deskterm, upgrade deskterm",
    "unstamped": "no schema revision, not made by `deskterm init`",
    "foreign": "not a deskterm desk, it holds other tables",
}


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Migrate the database to this deskterm's schema (safe to run again)."""
    store = ctx_obj(ctx).store(check_schema=False)
    before = migrate.require_upgradable(store)
    after = migrate.upgrade(store)
    if before.current == after.current:
        echo(f"{store.display_url} is up to date (schema {after.current})")
    else:
        echo(f"upgraded {store.display_url} from schema {before.current} to {after.current}")


@app.command()
def current(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Show the database's schema revision and the one this deskterm needs."""
    store = ctx_obj(ctx).store(check_schema=False)
    state = migrate.schema_state(store)
    status = state.status
    if json:
        print_json({"database": store.display_url, "current": state.current, "head": state.head,
                    "status": status})
        return
    echo(f"database: {store.display_url}")
    echo(f"schema:   {state.current or '(none)'} "
         f"(this deskterm needs {state.head}: {_STATUS_TEXT[status]})")
