"""``deskterm macro``: the team's canned answers, kept in TOML files.

A file holds ``name``, ``body`` and an optional ``[actions]`` table; see
:mod:`deskterm.desk.tickets.macros` (and the README) for the format and the placeholders.
``deskterm macro show NAME > file.toml`` writes a file ``deskterm macro edit NAME file.toml``
reads back.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli import lazy
from deskterm.cli.context import ctx_obj, read_body, read_text_file
from deskterm.cli.output import echo, echo_text, print_json, print_table
from deskterm.desk.errors import InvalidInput
from deskterm.desk.safe_text import clean_line

if TYPE_CHECKING:
    from deskterm.desk.tickets.macros import MacroFile, MacroRead

# The desk's modules bring the store with them: loaded when a command first uses them.
macros = lazy.module("deskterm.desk.tickets.macros")
ticket_checks = lazy.module("deskterm.desk.tickets.checks")

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="Macros: canned answers with placeholders and field actions.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The macro's name.")]
FileArg = Annotated[Path, typer.Argument(metavar="FILE",
                                         help="A macro file (TOML: name, body, [actions]).")]


def _read_file(path: Path) -> MacroFile:
    """The macro in ``path``; any problem is one line naming the file (and the line)."""
    text = read_text_file(path, kind="a macro file")
    shown = clean_line(str(path))
    try:
        return macros.parse_macro_toml(text)
    except InvalidInput as exc:
        raise InvalidInput(f"{shown}, {exc}" if str(exc).startswith("line ")
                           else f"{shown}: {exc}") from None


def _saving(path: Path, work):
    """Run a save of the file's macro; a refusal of its contents names the file."""
    try:
        return work()
    except InvalidInput as exc:
        raise InvalidInput(f"{clean_line(str(path))}: {exc}") from None


@app.command()
def add(ctx: typer.Context, file: FileArg, json: JsonOpt = False) -> None:
    """Add a macro from a file (any agent)."""
    found = _read_file(file)
    macro = _saving(file, lambda: ctx_obj(ctx).desk().add_macro(
        found.name, body=found.body, actions=found.actions))
    if json:
        print_json(macro)
    else:
        echo(f"added macro '{clean_line(macro.name)}'")


@app.command("list")
def list_(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List the macros."""
    found = ctx_obj(ctx).desk().list_macros()
    if json:
        print_json(found)
        return
    print_table(["macro", "actions", "added by", "updated"],
                [[m.name, m.actions.describe(), m.created_by or "-",
                  m.updated_at.strftime("%Y-%m-%d %H:%M") if m.updated_at else "-"]
                 for m in found],
                give_way=["actions"])


@app.command()
def show(ctx: typer.Context, name: NameArg, json: JsonOpt = False) -> None:
    """Show a macro in the file format (or as JSON)."""
    macro = ctx_obj(ctx).desk().get_macro(name)
    if json:
        print_json(macro)
    else:
        echo_text(macros.macro_toml(macro), nl=False)


@app.command()
def edit(ctx: typer.Context, name: NameArg, file: FileArg, json: JsonOpt = False) -> None:
    """Replace a macro with a file's (its name may change); its creator or an admin."""
    found = _read_file(file)
    macro = _saving(file, lambda: ctx_obj(ctx).desk().edit_macro(
        name, new_name=found.name, body=found.body, actions=found.actions))
    if json:
        print_json(macro)
    else:
        echo(f"saved macro '{clean_line(macro.name)}'")


@app.command()
def remove(ctx: typer.Context, name: NameArg) -> None:
    """Remove a macro; its creator or an admin."""
    removed: MacroRead = ctx_obj(ctx).desk().remove_macro(name)
    echo(f"removed macro '{clean_line(removed.name)}'")


@app.command()
def apply(
    ctx: typer.Context,
    name: NameArg,
    ref: Annotated[str, typer.Argument(metavar="REF", help="Ticket reference: #1042 or 1042.")],
    note: Annotated[bool, typer.Option("--note", help="Post it as an internal note.")] = False,
    body: Annotated[str | None, typer.Option(
        "--body", help="Send this text instead of the macro's body; - reads standard input.")
    ] = None,
    status: Annotated[str | None, typer.Option(
        "--status", help="Send as this status instead of the macro's.")] = None,
    minutes: Annotated[int | None, typer.Option("--minutes", metavar="N",
                                                help="Time you spent on it.")] = None,
    json: JsonOpt = False,
) -> None:
    """Send a macro on a ticket: its body as a reply (or note) and its actions."""
    number = ticket_checks.parse_ref(ref)
    text = read_body(body) if body is not None else None
    ticket = ctx_obj(ctx).desk().send(number, body=text, kind="note" if note else "reply",
                                      status=status, minutes=minutes, macro=name)
    if json:
        print_json(ticket)
    else:
        echo(f"applied '{clean_line(name)}' on {ticket.ref} (now {ticket.status})")
