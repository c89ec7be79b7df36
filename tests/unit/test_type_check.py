"""mypy's configuration (pyproject.toml) keeps the domain and the store strict, and lets no
module off: every module of ``src/deskterm`` is checked (issue 12, point 5)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STRICT = {"disallow_untyped_defs", "disallow_incomplete_defs", "disallow_any_generics",
          "disallow_untyped_calls", "check_untyped_defs", "warn_return_any", "strict_equality",
          "extra_checks", "disallow_subclassing_any", "disallow_untyped_decorators"}


def _mypy() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


def test_the_domain_and_the_store_are_checked_strictly():
    (strict,) = [o for o in _mypy()["overrides"]
                 if o["module"] == ["deskterm.desk.*", "deskterm.db.*"]]
    assert all(strict.get(flag) is True for flag in STRICT)
    assert strict.get("implicit_reexport") is False


def test_the_console_is_typed_throughout():
    """The app, its screens and widgets: every function annotated, every body checked."""
    (console,) = [o for o in _mypy()["overrides"] if "deskterm.screens.*" in o["module"]]
    assert {"deskterm.app", "deskterm.widgets.*", "deskterm.messages"} <= set(console["module"])
    assert all(console.get(flag) is True for flag in
               ("disallow_untyped_defs", "disallow_incomplete_defs", "check_untyped_defs"))


def test_no_module_is_let_off():
    """No override, option or comment in a module turns mypy's errors off or stops it from
    following a module: the list of modules "not yet clean" is gone and cannot come back."""
    config = _mypy()
    assert config["files"] == ["src/deskterm"]
    for options in [config, *config.get("overrides", [])]:
        assert not options.get("ignore_errors"), options
        assert options.get("follow_imports", "normal") == "normal", options
    assert "ignore_errors" not in (ROOT / "pyproject.toml").read_text()
    let_off = [path for path in sorted((ROOT / "src" / "deskterm").rglob("*.py"))
               if re.search(r"#\s*(mypy:\s*ignore-errors|type:\s*ignore\s*$)",
                            path.read_text(), re.MULTILINE)]
    assert not let_off, let_off


def test_every_type_ignore_names_its_error_code():
    assert "ignore-without-code" in _mypy()["enable_error_code"]
    assert _mypy().get("warn_unused_ignores") is True
