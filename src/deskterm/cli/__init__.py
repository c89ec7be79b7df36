"""The ``deskterm`` command: the admin's and the script's interface. Never imports Textual."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from deskterm import __version__
from deskterm.cli import agents, db, groups, kb, macros, output, setup, tickets
from deskterm.cli.context import CliContext, ctx_obj
from deskterm.config import ConfigError
from deskterm.db.errors import StoreError
from deskterm.desk.errors import DeskError

USER_ERRORS = (DeskError, StoreError, ConfigError)
# Typer carries its own copy of Click and names only some of its errors; the base of all of
# them (unknown option, missing argument, bad value, no such command) is found through one.
CLICK_ERROR: type[Exception] = next(
    base for base in typer.BadParameter.__mro__ if base.__name__ == "ClickException")


def _shows_help(exc: Exception) -> bool:
    """``deskterm ticket`` alone: Typer shows the help (as Typer itself tells it, by name)."""
    return type(exc).__name__ == "NoArgsIsHelpError"


class DeskGroup(TyperGroup):
    """Turns the desk's refusals into one line on stderr and exit code 1, never a traceback.

    How the line is written (cleaned, passwords hidden) is :mod:`deskterm.cli.output`'s; a
    wrong command line is one line too (exit code 2), naming the command's ``--help``.
    """

    def make_context(self, info_name, args, parent=None, **extra):  # type: ignore[override]
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except CLICK_ERROR as exc:
            if _shows_help(exc):
                raise
            output.usage_error(exc)
            raise typer.Exit(exc.exit_code) from None

    def invoke(self, ctx):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            output.error(str(exc))
            raise typer.Exit(1) from None
        except CLICK_ERROR as exc:
            if _shows_help(exc):
                raise
            output.usage_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            output.error("interrupted; nothing more was written")
            raise typer.Exit(130) from None
        finally:
            if isinstance(ctx.obj, CliContext):
                ctx.obj.close()


app = typer.Typer(
    cls=DeskGroup,
    name="deskterm",
    help="deskterm: a complete help desk in the terminal. Without a command, opens the console.",
    no_args_is_help=False,
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        output.echo(f"deskterm {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", metavar="URL", help="Database URL (sqlite:///file or postgresql://…). "
                     "Default: $DESKTERM_DATABASE_URL, then config.toml, then the user data dir."),
    ] = None,
    act_as: Annotated[
        str | None,
        typer.Option("--as", metavar="NAME", help="Act as another agent (admins only)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    obj = ctx_obj(ctx)
    obj.db = db
    obj.act_as = act_as
    if ctx.invoked_subcommand is None:
        setup.open_console(obj)


app.command("init")(setup.init)
app.command("demo")(setup.demo)
app.add_typer(db.app, name="db")
app.add_typer(agents.app, name="agent")
app.add_typer(groups.app, name="group")
app.add_typer(tickets.app, name="ticket")
app.add_typer(macros.app, name="macro")
app.add_typer(kb.app, name="kb")


def main() -> None:
    app(prog_name="deskterm")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
