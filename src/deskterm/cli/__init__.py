"""The ``deskterm`` command: the admin's and the script's interface. Never imports Textual."""

from __future__ import annotations

import contextlib
import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from deskterm import __version__
from deskterm.cli import agents, db, failures, groups, kb, macros, output, setup, tickets
from deskterm.cli.arguments import undecodable_argument
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


def _say(line: str) -> None:
    """The one line on stderr (:func:`output.error`); if even stderr cannot take it, the exit
    code says it."""
    with contextlib.suppress(OSError):
        output.error(line)


class DeskGroup(TyperGroup):
    """Turns the desk's refusals into one line on stderr and exit code 1, never a traceback.

    How the line is written (cleaned, passwords hidden) is :mod:`deskterm.cli.output`'s; a
    wrong command line is one line too (exit code 2), naming the command's ``--help``. An
    argument that is not UTF-8 is refused before anything runs; what no check of the desk
    named (a value the database refuses, an unwritable file, a full disk, input nested too
    deeply) is one line too (:mod:`deskterm.cli.failures`); a closed pipe ends quietly.
    """

    ARGS_KEY = "deskterm.args"

    def parse_args(self, ctx, args):  # type: ignore[override]
        ctx.meta[self.ARGS_KEY] = list(args)  # every argument, before Click takes them apart
        return super().parse_args(ctx, args)

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
            bad = undecodable_argument(self, ctx.meta.get(self.ARGS_KEY, ()))
            if bad is not None:
                _say(f"{bad}: not valid UTF-8 text (an undecodable byte); nothing was done")
                raise typer.Exit(1)
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            _say(str(exc))
            raise typer.Exit(1) from None
        except CLICK_ERROR as exc:
            if _shows_help(exc):
                raise
            output.usage_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _say("interrupted; nothing more was written")
            raise typer.Exit(130) from None
        except Exception as exc:
            line = failures.describe(exc)
            if line is None or failures.is_closed_output(exc):
                raise  # a bug shows its traceback; a closed pipe ends quietly (Click's own)
            if isinstance(exc, OSError) and exc.filename is None:
                failures.silence_output()  # most likely stdout: what it still holds is lost
            _say(line)
            raise typer.Exit(1) from None
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
    """The ``deskterm`` command line (``launch`` sends every command but the console here)."""
    try:
        try:
            app(prog_name="deskterm")
        finally:
            sys.stdout.flush()  # now, where a full disk can still be reported
    except OSError as exc:  # writing --help or a usage message, before any command ran
        failures.silence_output()
        if failures.is_closed_output(exc):
            sys.exit(1)
        _say(failures.describe(exc) or str(exc))
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
