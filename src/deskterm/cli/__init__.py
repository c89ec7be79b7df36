"""The ``deskterm`` command: the admin's and the script's interface. Never imports Textual."""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator, MutableMapping
from typing import Annotated, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup

from deskterm import __version__
from deskterm.cli import failures, lazy, output
from deskterm.cli.arguments import undecodable_argument
from deskterm.cli.context import CliContext, ctx_obj

USER_ERRORS = (
    ("deskterm.desk.errors", "DeskError"),
    ("deskterm.db.errors", "StoreError"),
    ("deskterm.config", "ConfigError"),
    ("deskterm.config_mail", "MailConfigError"),
)
"""The refusals a user can act on (module, class). Looked up only in modules already loaded: a
command that never loaded the store cannot have raised its error, and importing the store to
catch it would cost ``--help`` half a second."""


def user_errors() -> tuple[type[BaseException], ...]:
    """The classes of :data:`USER_ERRORS` whose modules are loaded."""
    found = (lazy.loaded(module, name) for module, name in USER_ERRORS)
    return tuple(error for error in found
                 if isinstance(error, type) and issubclass(error, BaseException))


class Listed(NamedTuple):
    """A command of ``deskterm``, as the root lists it before its module is loaded."""

    module: str
    attribute: str
    """``app`` (a group of commands: its Typer) or the command's function."""
    help: str
    """What ``deskterm --help`` shows for it: the command's own help (a test keeps them equal)."""


COMMANDS: dict[str, Listed] = {
    "init": Listed("deskterm.cli.setup", "init", "Create the desk's schema and make you (the "
                   "operating-system user) its first admin."),
    "demo": Listed("deskterm.cli.setup", "demo", "Seed a realistic demo desk (customers, agents, "
                   "groups, tickets over 90 days, a knowledge\nbase and macros) and make you its "
                   "admin. Only into an empty database: point --db at a new\nfile."),
    "doctor": Listed("deskterm.cli.doctor", "doctor", "Check the desk: who may read and write "
                     "its files, its schema, SQLite's write-ahead log,\nand whether you and every "
                     "agent are users of this host. One line a check, with what to\nfix; exit "
                     "code 0 when all is well, 1 when something needs fixing."),
    "db": Listed("deskterm.cli.db", "app", "The database: its schema (upgrade it, see where it "
                 "is), backups (take one, restore one)."),
    "agent": Listed("deskterm.cli.agents", "app",
                    "Agents: add, list, change and deactivate them."),
    "group": Listed("deskterm.cli.groups", "app",
                    "Groups: team queues such as billing or level 2."),
    "ticket": Listed("deskterm.cli.tickets", "app", "Tickets: create, list, show, reply, note, "
                     "customer-reply, set, escalate, merge, link."),
    "macro": Listed("deskterm.cli.macros", "app",
                    "Macros: canned answers with placeholders and field actions."),
    "rules": Listed("deskterm.cli.rules", "app", "Rules: classify, route and answer tickets "
                    "automatically (a TOML file)."),
    "kb": Listed("deskterm.cli.kb", "app", "Knowledge base: search, list and show articles; "
                 "import and export files."),
    "mail": Listed("deskterm.cli.mail", "app", "E-mail: fetch it over IMAP, import mailboxes; "
                   "the quarantine of mail that could not be filed; the outbox and the desk's "
                   "mail settings."),
    "sla": Listed("deskterm.cli.sla", "app", "SLAs: load policies and business calendars "
                  "from a file; list and show them."),
    "automate": Listed("deskterm.cli.automation", "app", "The desk's timers: escalate "
                       "tickets about to breach their SLA, remind on pending tickets, close "
                       "solved tickets; their settings."),
    "csat": Listed("deskterm.cli.csat", "app",
                   "Customer satisfaction (CSAT 1-5): record a rating, show a ticket's."),
    "import": Listed("deskterm.cli.transfer", "import_app",
                     "Import tickets from other desks: CSV or deskterm's JSONL."),
    "export": Listed("deskterm.cli.transfer", "export_app",
                     "Export tickets: JSONL (everything) or CSV (one row a ticket)."),
    "report": Listed("deskterm.cli.report", "report", "The desk's numbers for a range of "
                     "days: volume, backlog, speed, reopens, time logged,\nagents, groups, "
                     "tags, articles, searches that found nothing."),
    "audit": Listed("deskterm.cli.audit", "audit", "Who changed what, newest first: tickets, "
                    "agents, groups, rules, macros, SLAs,\narticles, settings (admins only)."),
}
"""The root's commands in the order ``--help`` lists them. Each module is imported only when its
command is run (or its help asked for): a command module brings the desk and the store."""


def load_command(name: str) -> TyperCommand | TyperGroup:
    """The Click command ``name`` of :data:`COMMANDS`, built as ``app.add_typer`` /
    ``app.command`` would have built it on the root."""
    listed = COMMANDS[name]
    found = getattr(importlib.import_module(listed.module), listed.attribute)
    holder = typer.Typer(rich_markup_mode=None)
    if isinstance(found, typer.Typer):
        holder.add_typer(found, name=name)
    else:
        holder.command(name)(found)
    command = typer.main.get_group(holder).commands[name]
    assert isinstance(command, TyperCommand | TyperGroup)  # what Typer builds
    return command


class _Commands(MutableMapping):
    """The root's commands by name: every name of :data:`COMMANDS`, each built on first use."""

    def __init__(self) -> None:
        self.loaded: dict[str, object] = {}

    def __getitem__(self, name: str):
        if name not in self.loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self.loaded[name] = load_command(name)
        return self.loaded[name]

    def __setitem__(self, name: str, command) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self.loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys([*COMMANDS, *self.loaded]))

    def __len__(self) -> int:
        return len(dict.fromkeys([*COMMANDS, *self.loaded]))


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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Commands()
        self._listing = False

    def list_commands(self, ctx):
        return list(self.commands)  # the names only: listing them loads nothing

    def get_command(self, ctx, cmd_name):
        listed = COMMANDS.get(cmd_name)
        if self._listing and listed is not None and cmd_name not in self.commands.loaded:
            # --help lists every command by name and one line: the table has both
            return TyperCommand(cmd_name, help=listed.help)
        return self.commands.get(cmd_name)

    def format_help(self, ctx, formatter):
        self._listing = True
        try:
            return super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def parse_args(self, ctx, args):
        ctx.meta[self.ARGS_KEY] = list(args)  # every argument, before Click takes them apart
        return super().parse_args(ctx, args)

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except CLICK_ERROR as exc:
            if _shows_help(exc):
                raise
            output.usage_error(exc)
            raise typer.Exit(exc.exit_code) from None

    def invoke(self, ctx):
        try:
            bad = undecodable_argument(self, ctx.meta.get(self.ARGS_KEY, ()))
            if bad is not None:
                _say(f"{bad}: not valid UTF-8 text (an undecodable byte); nothing was done")
                raise typer.Exit(1)
            return super().invoke(ctx)
        except user_errors() as exc:
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
    rich_markup_mode=None,
)


def _flags_show_no_type() -> None:
    """``--help`` shows a flag as a flag: Typer 0.29's rich help gives every option a type
    column, ``<bool>`` for ``--json`` and ``--help`` too, though a flag takes no value (Click's
    own help leaves flags and counters without one, as this does)."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich
    if getattr(shown, "deskterm_flags", False):
        return

    def display_type_rich(self, ctx):
        if self.is_flag or self.count:
            return None
        return shown(self, ctx)

    display_type_rich.deskterm_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_show_no_type()


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
    for name, given in (("--db", db), ("--as", act_as)):
        if given is not None and not given.strip():
            raise typer.BadParameter("must not be empty", param_hint=f"'{name}'")
    obj = ctx_obj(ctx)
    obj.db = db
    obj.act_as = act_as
    if ctx.invoked_subcommand is None:
        # `deskterm` alone (--db and --as allowed) opens the console: deskterm.launch decides
        # that before the CLI loads, reading those options as Click does, so no command line
        # reaches here from `deskterm` and the CLI never imports the console (Textual).
        ctx.fail("Missing command.")


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
    main()
