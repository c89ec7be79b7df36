"""The import contracts (``[tool.importlinter]`` in pyproject.toml) can fail.

Each test copies the package into a temporary directory, plants one forbidden import in the
copy and runs ``lint-imports`` on it, with the project's own contracts: it must fail and name
the contract and the planted line. The CLI's lazily loaded modules (``lazy.module("...")``, which
import-linter cannot see) are checked against the same layers here.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "deskterm"
LAYERS = "Layers point downward (every top-level module placed)"
NO_TEXTUAL = "The domain, the store, the CLI and what they share never import Textual"

_LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(" \
        "config_filename=sys.argv[1], no_cache=True))"


def _lint(tmp_path: Path, plant: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on a copy of the package with ``plant`` (path: source) written in."""
    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "deskterm",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for relative, source in plant.items():
        path = src / "deskterm" / relative
        path.write_text(source if not path.exists() else path.read_text() + source)
    config = tmp_path / "pyproject.toml"
    config.write_text((ROOT / "pyproject.toml").read_text())
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([sys.executable, "-c", _LINT, str(config)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def _broken(output: str) -> list[str]:
    return [line.removesuffix(" BROKEN").strip() for line in output.splitlines()
            if line.endswith("BROKEN")]


@pytest.mark.slow
def test_the_domain_importing_a_screen_breaks_the_layers(tmp_path):
    done = _lint(tmp_path, {"desk/tickets/lifecycle.py": "\nimport deskterm.screens.pickers\n"})

    assert done.returncode == 1, done.stdout
    assert LAYERS in done.stdout
    assert "deskterm.desk.tickets.lifecycle -> deskterm.screens.pickers" in done.stdout
    # the screens bring Textual: the domain (and the CLI, through it) now reach it
    assert NO_TEXTUAL in _broken(done.stdout)
    assert "deskterm.desk is not allowed to import textual" in done.stdout
    assert "deskterm.cli is not allowed to import textual" in done.stdout


@pytest.mark.slow
def test_textual_reached_through_a_new_store_module_breaks_the_no_textual_contract(tmp_path):
    done = _lint(tmp_path, {
        "db/terminal.py": '"""Planted by a test."""\n\nimport textual\n',
        "desk/reads.py": "\nimport deskterm.db.terminal\n",
    })

    assert done.returncode == 1, done.stdout
    assert _broken(done.stdout) == [NO_TEXTUAL]
    assert "deskterm.db is not allowed to import textual" in done.stdout
    assert "deskterm.desk is not allowed to import textual" in done.stdout
    assert "deskterm.desk.reads -> deskterm.db.terminal" in done.stdout  # the indirect chain


@pytest.mark.slow
def test_a_new_top_level_module_must_be_placed_in_the_layers(tmp_path):
    done = _lint(tmp_path, {"unplaced.py": '"""Planted by a test."""\n'})

    assert done.returncode == 1, done.stdout
    assert LAYERS in done.stdout
    assert "deskterm.unplaced" in done.stdout


def test_the_real_package_keeps_every_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = config["contracts"]
    # no loophole on the layers or on Textual; the two store rules are about direct imports
    # (the front ends reach the store through deskterm.desk), and say so in their names
    for contract in contracts:
        if contract.get("allow_indirect_imports"):
            assert "directly" in contract["name"], contract["name"]
    assert {c["name"] for c in contracts if not c.get("allow_indirect_imports")} >= {
        LAYERS, NO_TEXTUAL}


LAZY_ALLOWED = ("deskterm.desk.", "deskterm.db.", "deskterm.config")


def _lazy_targets(path: Path) -> list[str]:
    """The module names ``path`` passes to ``lazy.module``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "module" and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "lazy"):
            assert node.args and isinstance(node.args[0], ast.Constant), ast.unparse(node)
            found.append(node.args[0].value)
    return found


def test_the_cli_loads_lazily_only_what_the_layers_let_it_import():
    targets = {str(path.relative_to(PACKAGE)): _lazy_targets(path)
               for path in sorted((PACKAGE / "cli").glob("*.py"))}

    assert any(targets.values())  # the check sees the CLI's lazy modules
    wrong = {path: name for path, names in targets.items() for name in names
             if not name.startswith(LAZY_ALLOWED)}
    assert wrong == {}
