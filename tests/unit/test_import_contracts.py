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
from typing import Any

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


def _contract(name: str) -> dict[str, Any]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["name"] == name]
    return contract


def _under(module: str, packages: list[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _layers() -> list[set[str]]:
    """The layers contract's rows, top first, each as the set of its top-level modules."""
    contract = _contract(LAYERS)
    return [{name.strip().strip("()") for name in row.replace(":", "|").split("|")}
            for row in contract["layers"]]


def _lazy_targets(path: Path) -> list[str]:
    """The modules ``path`` names to a lazy loader: ``lazy.module("deskterm...")`` or
    ``module("deskterm...")``, which import-linter cannot see."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        first = node.args[0]
        if (name == "module" and isinstance(first, ast.Constant)
                and isinstance(first.value, str) and first.value.startswith("deskterm.")):
            found.append(first.value)
    return found


def _row(layers: list[set[str]], module: str) -> int:
    top = module.split(".")[1]
    return next(i for i, row in enumerate(layers) if top in row)


def test_modules_loaded_lazily_keep_the_layers():
    layers = _layers()
    textual_free = _contract(NO_TEXTUAL)["source_modules"]
    targets = {f"deskterm.{'.'.join(path.relative_to(PACKAGE).with_suffix('').parts)}":
               _lazy_targets(path) for path in sorted(PACKAGE.rglob("*.py"))}

    assert any(targets["deskterm.cli." + name] for name in ("tickets", "kb", "setup")
               if "deskterm.cli." + name in targets)  # the check sees the CLI's lazy modules
    wrong = {}
    for caller, names in targets.items():
        for name in names:
            same_package = caller.split(".")[1] == name.split(".")[1]
            if not same_package and _row(layers, name) <= _row(layers, caller):
                wrong[caller] = name  # upward, or to an independent sibling
            if _under(caller, textual_free) and not _under(name, textual_free):
                wrong[caller] = name  # may bring Textual
    assert wrong == {}


def test_a_lazy_load_of_a_higher_layer_is_seen(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text('from deskterm import lazy\n'
                       'app = lazy.module("deskterm.app")\n'
                       'screens = lazy.module("deskterm.screens.queue")\n')
    layers = _layers()
    textual_free = _contract(NO_TEXTUAL)["source_modules"]

    assert _lazy_targets(planted) == ["deskterm.app", "deskterm.screens.queue"]
    # from the domain: both upward; from the CLI: a sibling, and a module that brings Textual
    assert _row(layers, "deskterm.app") < _row(layers, "deskterm.desk.service")
    assert _row(layers, "deskterm.screens.queue") < _row(layers, "deskterm.desk.service")
    assert _row(layers, "deskterm.app") == _row(layers, "deskterm.cli.tickets")
    assert _under("deskterm.cli.tickets", textual_free)
    assert not _under("deskterm.screens.queue", textual_free)
