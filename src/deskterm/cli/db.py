"""``deskterm db``: the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deskterm.cli import lazy
from deskterm.cli.context import ctx_obj
from deskterm.cli.output import echo, print_json, with_growing_progress

# The store's modules: loaded when a command first uses them.
migrate = lazy.module("deskterm.db.migrate")
backups = lazy.module("deskterm.db.backup")

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="The database: its schema (upgrade it, see where it is), backups (take "
                       "one, restore one).")

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


FileArg = Annotated[Path, typer.Argument(metavar="FILE", show_default=False)]


def _size(count: int) -> str:
    return f"{count / 1_000_000:,.1f} MB" if count >= 100_000 else f"{count:,} bytes"


@app.command()
def backup(
    ctx: typer.Context,
    file: FileArg,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
) -> None:
    """Copy the whole desk into FILE while agents keep working: SQLite's online backup (the
    desk as it was when the backup started), or pg_dump for PostgreSQL (the exact command is
    printed when pg_dump is not on PATH). FILE gets the desk's permissions: never readable by
    others. A desk whose schema is behind is backed up too (before `deskterm db upgrade`)."""
    store = ctx_obj(ctx).store(check_schema=False)
    done = with_growing_progress("backing up", lambda progress: backups.backup(
        store, file, replace=force, progress=progress))
    tickets = "" if done.tickets is None else f"{done.tickets:,} tickets, "
    schema = "" if done.revision is None else f", schema {done.revision}"
    echo(f"backed up {store.display_url} to {done.path} ({tickets}{_size(done.bytes)}{schema})")


@app.command()
def restore(
    ctx: typer.Context,
    file: FileArg,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace everything in a desk that is not empty.")] = False,
) -> None:
    """Put a backup made by `deskterm db backup` in place of the desk. A desk that holds
    anything is refused without --force. PostgreSQL: pg_restore (or psql for a plain SQL
    dump); the exact command is printed when it is not on PATH."""
    backups.require_file(file)
    store = ctx_obj(ctx).store(check_schema=False, create=True)
    done = with_growing_progress("restoring", lambda progress: backups.restore(
        store, file, force=force, progress=progress))
    tickets = "" if done.tickets is None else f" ({done.tickets:,} tickets)"
    echo(f"restored {store.display_url} from {done.path}{tickets}")
    state = migrate.schema_state(store)
    if state.status == "needs upgrade":
        echo(f"the backup's schema is {state.current}: run `deskterm db upgrade`")
