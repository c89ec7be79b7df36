"""``deskterm --help``, ``--version`` and a group's help start at once: they never load the store.

Each runs in a fresh interpreter (what a user's shell starts), then reports which of the store's
libraries it loaded; the root's command table is kept equal to the commands' own help.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

from deskterm import __version__
from deskterm.cli import COMMANDS, app, load_command

_RUN = """
import gc, sys
sys.argv = ["deskterm", *sys.argv[1:]]
from deskterm.launch import main
try:
    main()
except SystemExit as done:
    code = done.code
else:
    code = 0
# the store's libraries (not pydantic: Typer loads it itself to build a group's options)
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"sqlalchemy", "sqlmodel"})
print("exit", code, "loaded", loaded, file=sys.stderr)
print("collecting", gc.isenabled(), file=sys.stderr)
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _RUN, *args], capture_output=True, text=True,
                          check=True, timeout=60)


@pytest.mark.parametrize("args", [
    ("--help",), ("ticket", "--help"), ("kb", "--help"), ("ticket", "show", "--help"),
    ("init", "--help"),
], ids=" ".join)
def test_help_is_shown_without_loading_sqlalchemy(args):
    done = _run(*args)

    assert done.stderr.splitlines()[-2] == "exit 0 loaded []"
    assert "Usage: deskterm" in done.stdout


def test_the_version_is_shown_without_loading_sqlalchemy_or_the_cli():
    done = _run("--version")

    assert done.stdout == f"deskterm {__version__}\n"
    assert done.stderr.splitlines()[-2] == "exit 0 loaded []"
    assert "typer" not in _run_modules("--version")


def test_the_version_says_the_same_with_other_options():
    done = _run("--db", "sqlite:///nowhere.db", "--version")

    assert done.stdout == f"deskterm {__version__}\n"


def _run_modules(*args: str) -> set[str]:
    """The top-level modules ``deskterm ARGS`` loaded."""
    code = _RUN + ("\nprint('modules', *sorted({m.split('.')[0] for m in sys.modules}),"
                   " file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=True, timeout=60)
    return set(done.stderr.splitlines()[-1].split()[1:])


def test_a_command_that_reads_the_desk_loads_the_store(tmp_path):
    done = _run("--db", f"sqlite:///{tmp_path / 'none.db'}", "ticket", "list")

    assert "exit 1 loaded ['sqlalchemy', 'sqlmodel']" in done.stderr
    assert done.stderr.startswith("deskterm: ")  # the store's refusal, caught as one line


def test_a_command_collects_garbage_again_once_its_store_is_open(tmp_path):
    done = _run("--db", f"sqlite:///{tmp_path / 'desk.db'}", "init")

    assert done.stdout.startswith("created a desk at ")
    assert done.stderr.splitlines()[-2:] == ["exit 0 loaded ['sqlalchemy', 'sqlmodel']",
                                             "collecting True"]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_roots_table_lists_each_command_with_its_own_help(name):
    command = load_command(name)

    assert command.name == name
    assert COMMANDS[name].help == (command.short_help or command.help)
    assert not command.hidden and not command.deprecated
    assert not getattr(command, "rich_help_panel", None)  # in the root's one "Commands" panel


def test_the_roots_help_is_the_same_before_and_after_its_commands_are_loaded():
    group = typer.main.get_command(app)
    ctx = group.make_context("deskterm", [])
    from_table = group.get_help(ctx)  # Click's plain help (no Rich: it loads at once)
    for name in COMMANDS:
        group.commands[name]  # loads it

    assert group.get_help(ctx) == from_table
    assert "ticket" in from_table and "Tickets: create, list" in from_table


def test_the_console_collects_in_fewer_pauses_once_started():
    # What start-up loaded is frozen, and young collections scan up to 10,000 objects, so a
    # full one (walking every row on screen) comes ~60x less often than Python's defaults give.
    code = ("import gc; from deskterm.launch import GC_THRESHOLDS, Opening; gc.disable(); "
            "Opening.opened(object.__new__(Opening)); "
            "print(gc.isenabled(), gc.get_threshold() == GC_THRESHOLDS, gc.get_freeze_count() > 0, "
            "GC_THRESHOLDS[0] > 700)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.split() == ["True", "True", "True", "True"]
