"""Everything the CLI prints goes through here, and leaves inert.

- Lines and tables: stored text comes from customers, imports and other agents, so every line
  is cleaned (:func:`deskterm.desk.safe_text.clean`: no escape sequences, C0/C1 controls or bidi
  overrides) and never read as Rich markup. Table cells are put on one line each.
- Errors: one line on stderr, ``deskterm: ...``, cleaned and with any database password hidden
  (:func:`deskterm.desk.safe_text.message_line`) -- they quote the user's own arguments and the
  driver's words, either of which may hold a URL.
- JSON: ``ensure_ascii=True``, so every non-ASCII or control character is a ``\\uXXXX`` escape:
  lossless for a script (``json.loads`` gives the stored text back), and nothing a terminal
  would obey.

A test (tests/unit/test_cli_output.py) fails when a module of the CLI prints any other way.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

import typer

from deskterm.desk.safe_text import cell_line, clean, clean_line, message_line

if TYPE_CHECKING:  # Rich loads when a table or a styled line is printed, not for --version
    from rich.console import Console

_ONE_LINE = re.compile("[\n\t]")


def stdout_is_terminal() -> bool:
    """True when standard output is a terminal (tables and progress bars), not a pipe."""
    return sys.stdout.isatty()


_Done = TypeVar("_Done")


def with_progress(total: int, description: str,
                  work: Callable[[Callable[[int], None] | None], _Done]) -> _Done:
    """Run ``work(progress)`` with a progress bar on a terminal (``progress(done)``, out of
    ``total``), quietly when piped."""
    if not stdout_is_terminal() or total < 2:
        return work(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  transient=True) as bar:
        task = bar.add_task(description, total=total)
        return work(lambda done: bar.update(task, completed=done))


def with_growing_progress(description: str,
                          work: Callable[[Callable[[int, int], None] | None], _Done]) -> _Done:
    """As :func:`with_progress` for work that learns its total as it goes
    (``progress(done, total)``): a bar on a terminal, quiet when piped."""
    if not stdout_is_terminal():
        return work(None)
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                  transient=True) as bar:
        task = bar.add_task(description, total=None)
        return work(lambda done, total: bar.update(task, completed=done, total=total))


class _CleanedStream:
    """A terminal's stdout for data: each piece written is cleaned first (an export read on a
    terminal, not a file)."""

    def write(self, text: str) -> int:
        typer.echo(clean(text), nl=False)
        return len(text)


@contextlib.contextmanager
def data_out(path: Path | None) -> Iterator[TextIO | _CleanedStream]:
    """Where an export writes: ``path`` (written beside it and renamed into place when
    complete, so a failed export leaves no half file), else standard output (cleaned on a
    terminal, the bytes as they are when piped)."""
    if path is None:
        yield _CleanedStream() if stdout_is_terminal() else sys.stdout
        return
    if not path.name or path.is_dir():  # ".", "/", a folder: no file to write there
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    partial = path.with_name(f".{path.name}.partial")
    try:
        try:
            stream = open(partial, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:  # named as the user named it, not by the scratch name
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        with stream:
            yield stream
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def echo(line: str = "", *, err: bool = False, style: str | None = None) -> None:
    """Print one line, cleaned: a newline or tab inside it (a name holding one) becomes a space,
    so stored text cannot start a line of its own. ``style`` (e.g. ``bold``) only on a
    terminal."""
    shown = _ONE_LINE.sub(" ", clean(line))
    if style is not None and not err and stdout_is_terminal():
        from rich.text import Text

        _console().print(Text(shown, style=style))
        return
    typer.echo(shown, err=err)


def echo_text(text: str, *, nl: bool = True) -> None:
    """Print a block of text (a message's body, an article or macro file), cleaned, its
    newlines and tabs kept."""
    typer.echo(clean(text), nl=nl)


def error(message: str) -> None:
    """``deskterm: message`` on stderr: one line, cleaned, any password hidden."""
    typer.echo(f"deskterm: {message_line(message)}", err=True)


def usage_error(exc: Exception) -> None:
    """A wrong command line (a Click error: unknown option, missing argument, bad value) as one
    line naming the command and its ``--help``; the user's own arguments in it are cleaned like
    the rest."""
    ctx = getattr(exc, "ctx", None)
    where = ""
    if ctx is not None:
        path = ctx.command_path
        where = path.partition(" ")[2] + ": " if " " in path else ""
        error(f"{where}{exc.format_message()} (see `{path} --help`)")  # type: ignore[attr-defined]
        return
    # Click names no command when the root's own options are wrong (``deskterm --as``)
    error(f"{exc.format_message()} (see `deskterm --help`)")  # type: ignore[attr-defined]


def print_json(value: object) -> None:
    """``value`` (read models, lists, dicts) as indented JSON, ASCII only."""
    from deskterm.desk.reads import as_json  # not loaded for --help and --version

    typer.echo(json.dumps(as_json(value), ensure_ascii=True, indent=2))


def print_table(columns: list[str], rows: list[list[object]], *,
                give_way: Sequence[str] = ()) -> None:
    """A table on a terminal; tab-separated lines when piped. Every cell is shown as plain text
    on one line.

    On a terminal too narrow for the whole table, the columns named in ``give_way`` are cut
    (ending in ``…``), in that order, each down to a few characters before the next one gives
    way, then further, the last named first; the other columns (a ticket's ref, priority,
    status) are never cut as long as they alone fit."""
    cells = [[clean_line("" if value is None else str(value)) for value in row] for row in rows]
    if not stdout_is_terminal():
        for row in cells:
            typer.echo("\t".join(row))
        return
    cells = [[cell_line(value) for value in row] for row in cells]
    from rich.table import Table
    from rich.text import Text

    console = _console()
    names = [clean_line(name) for name in columns]
    limits = _widths_that_fit(console, names, cells, [columns.index(n) for n in give_way])
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for index, name in enumerate(names):
        table.add_column(name, no_wrap=True, overflow="ellipsis", max_width=limits.get(index))
    for row in cells:
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)


_FLOOR = 10
"""How narrow a column that gives way gets before the next one does."""


def _widths_that_fit(console: Console, names: list[str], cells: list[list[str]],
                     give_way: list[int]) -> dict[int, int]:
    """The widths of the ``give_way`` columns (by index) that fit the table in the terminal;
    the columns not named keep their full width."""
    from rich.cells import cell_len
    from rich.measure import Measurement
    from rich.table import Table

    widths = [max([cell_len(name), *(cell_len(row[i]) for row in cells)])
              for i, name in enumerate(names)]
    natural = Table(show_edge=False, pad_edge=False)
    for name in names:
        natural.add_column(name)
    # what the table adds to the cells: padding and the rules between columns
    extra = Measurement.get(console, console.options, natural).maximum - sum(
        cell_len(name) for name in names)
    excess = sum(widths) + extra - console.width
    limits: dict[int, int] = {}
    for floor, order in ((_FLOOR, give_way), (1, give_way[::-1])):
        for index in order:
            if excess <= 0:
                return limits
            cut = min(excess, max(widths[index] - floor, 0))
            widths[index] -= cut
            excess -= cut
            limits[index] = widths[index]
    return limits
