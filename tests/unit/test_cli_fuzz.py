"""Every command, driven with hostile arguments on both stores, never ends in a traceback.

The commands are found by walking the CLI's command tree, so a new command is driven too. Each
argument gets a value of its declared type or garbage: text with control characters, NUL,
lone surrogates (what Python makes of bytes that are not UTF-8), numbers past 32 bits,
negative numbers, very long strings and digits that are not ASCII.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.core import TyperGroup
from typer.main import get_command
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.desk.people import directory as people
from deskterm.desk.tickets import ticket as tickets


def _leaves(command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    if isinstance(command, TyperGroup):
        for name, sub in sorted(command.commands.items()):
            yield from _leaves(sub, (*path, name))
    else:
        yield path, command


COMMANDS = list(_leaves(get_command(app)))

HOSTILE = [
    "1001", "#1001", "²", "١٢", "0", "-1", "99999999999", "2147483648", "-", "none", "me",
    "\x00", "a\x00b", "\x1b[31mred\x1b[0m", "\x1b]52;c;aGk=\x07", "line\nbreak", "\u202eevil",
    "\x9b2J", "\udcff", "ab\udcfe", "x" * 5000, "Network", "NETWORK", "ada", "Ada",
    "created:<999999999w", "status:open", "((((", "phone", "email", "cli",
]
TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8", exclude_categories=()), max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
NUMBER = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**40).map(str),
    st.sampled_from(["0", "-1", "2147483647", "2147483648", "9" * 30, "²", "١٢", "1e3", ""]),
    TEXT,
)
PATH = st.one_of(
    st.sampled_from(["missing.toml", "missing-dir", ".", "p\udcff", "p\x00", "nested/x"]),
    st.text(st.characters(exclude_characters="/\x00", exclude_categories=("Cs",)),
            min_size=1, max_size=12).map(lambda name: f"p-{name}"),
)


def _value(param) -> st.SearchStrategy[str]:
    """Values of the parameter's declared type (int, path, text), or garbage."""
    declared = param.type_descriptor.annotation
    if declared is int:
        return NUMBER
    if declared is Path:
        return PATH
    return TEXT


UNTIL_STOPPED = {"--watch"}
"""Options that keep a command running until it is stopped (automate run, mail fetch)."""


@st.composite
def command_lines(draw, path: tuple[str, ...], command) -> list[str]:
    """A command line for ``command``: each parameter present or not, with a value or garbage."""
    argv = list(path)
    arguments = []
    for param in command.params:
        if param.param_type_name == "argument":
            if param.required or draw(st.booleans()):
                arguments.append(draw(_value(param)))
            continue
        if not (param.required or draw(st.integers(0, 2)) == 0):
            continue
        names = [*param.opts, *param.secondary_opts]
        if UNTIL_STOPPED & set(names):
            continue
        if getattr(param, "is_flag", False):
            argv.append(draw(st.sampled_from(names)))
        else:
            argv += [draw(st.sampled_from(names)), draw(_value(param))]
    argv += arguments
    if draw(st.integers(0, 9)) == 0:
        argv.insert(draw(st.integers(0, len(argv))), draw(st.sampled_from(
            ["--nope", "-x", "--json=1", "--", "extra"])))
    return argv


def _desk(store, admin) -> None:
    store.write(lambda s: people.add_group(s, name="Network"))
    store.write(lambda s: tickets.create_ticket(
        s, actor=admin, requester_email="carol@acme.test", subject="VPN drops",
        body="Since Monday."))


def _run(url: str, argv: list[str], stdin: str):
    # stdin as bytes: a lone surrogate becomes the byte that is not UTF-8 it stands for
    return CliRunner().invoke(app, ["--db", url, *argv], catch_exceptions=True,
                              input=stdin.encode("utf-8", "surrogateescape"))


def _assert_clean(argv: list[str], result) -> None:
    shown = repr(argv)[:300]
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{shown}: {result.exception!r}")
    assert result.exit_code in (0, 1, 2), f"{shown}: exit code {result.exit_code}"
    assert "Traceback" not in result.stdout and "Traceback" not in result.stderr, shown
    if result.exit_code == 1:
        lines = result.stderr.splitlines()
        if argv[:1] == ["import"] and lines and "nothing was imported" in lines[-1]:
            # An import lists every problem, a line each, then what it did (nothing): an
            # example may import the file an earlier one exported (its tickets are here).
            assert all(line.startswith("deskterm: ") and line.isprintable() for line in lines), (
                f"{shown}: {lines[:3]}")
        else:
            assert len(lines) <= 1, f"{shown}: {lines[:3]}"


def test_the_walk_finds_every_command():
    paths = {" ".join(path) for path, _ in COMMANDS}
    assert {"ticket create", "ticket show", "agent add", "group add", "macro apply",
            "kb import", "db upgrade", "init", "demo"} <= paths
    assert len(paths) >= 30


@pytest.fixture
def desk_url(store, admin, as_user) -> str:
    """A desk with a group and ticket #1001, run as its admin ``ada``; made once per store (the
    examples share it: what one command changes, the next one meets)."""
    _desk(store, admin)
    return store.url.render_as_string(hide_password=False)


@given(data=st.data())
@settings(max_examples=2, deadline=None,
          # Each example runs every command (about 1.5 s a store). No shrinking: a failure
          # names each command line drawn, and shrinking 30 command lines takes minutes.
          phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow, HealthCheck.data_too_large])
def test_every_command_with_hostile_arguments_ends_in_one_line_or_success(
        desk_url, tmp_path, monkeypatch, data):
    monkeypatch.chdir(tmp_path)  # kb export and --rejects write under the test's folder
    for path, command in COMMANDS:
        argv = data.draw(command_lines(path, command), label=" ".join(path))
        stdin = data.draw(TEXT, label="stdin")
        _assert_clean(argv, _run(desk_url, argv, stdin))
