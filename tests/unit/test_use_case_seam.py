"""The console and the CLI stand on one use-case API (``deskterm.desk.service.Desk``): neither
passes a function over a session, opens a transaction or checks a permission, and a screen's
workers report by messages and read no widget. Checked in the source, so a new call site that
slips back is named with its file and line."""

from __future__ import annotations

import ast
from pathlib import Path

import deskterm
from deskterm.desk.service import Desk

SRC = Path(deskterm.__file__).parent
FACES = sorted([*(SRC / "cli").glob("*.py"), *(SRC / "screens").glob("*.py"), SRC / "app.py"])
WIDGET_READS = {"query_one", "query", "query_exactly_one", "query_children", "children",
                "composer", "table", "focused", "screen", "app"}
"""What a worker would read a widget through (``self.query_one(...)``, ``self.composer``)."""
UI_CALLS = {"call_from_thread", "call_later", "call_after_refresh", "notify", "push_screen",
            "set_timer", "set_interval", "refresh_bindings"}
"""What a worker would call into the UI through, rather than posting a message."""


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(SRC)}:{node.lineno}"


def _is_thread_worker(function: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Call) and any(
        k.arg == "thread" and isinstance(k.value, ast.Constant) and k.value.value
        for k in d.keywords) for d in function.decorator_list)


def test_no_face_passes_a_function_over_a_session_or_opens_a_transaction():
    found = []
    for path in FACES:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            arguments = [*node.args, *(k.value for k in node.keywords)]
            if node.func.attr in ("read", "write") and any(
                    isinstance(arg, ast.Lambda) for arg in arguments):
                found.append(_where(path, node))
            if (node.func.attr in ("read", "write") and isinstance(node.func.value, ast.Attribute)
                    and node.func.value.attr == "store"):
                found.append(_where(path, node))
    assert found == []


def test_no_face_checks_a_permission():
    found = [_where(path, node) for path in FACES for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Attribute) and node.attr in ("require_admin", "is_admin")]
    assert found == []


def test_the_desk_has_no_function_over_a_session_api():
    assert not hasattr(Desk, "read") and not hasattr(Desk, "write")


def _own_nodes(function: ast.FunctionDef) -> list[ast.AST]:
    """The nodes of ``function`` but those of the functions and lambdas defined in it (callbacks
    the UI thread runs later, as a picker's answer)."""
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            found.append(node)
            stack.extend(ast.iter_child_nodes(node))
    return found


def test_workers_report_by_messages_and_read_no_widget():
    """The screens' and the app's thread workers (the app's opens the desk)."""
    calls_into_the_ui, widget_reads, workers = [], [], 0
    for path in [*sorted((SRC / "screens").glob("*.py")), SRC / "app.py"]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "call_from_thread":
                calls_into_the_ui.append(_where(path, node))
            if isinstance(node, ast.FunctionDef) and _is_thread_worker(node):
                workers += 1
                for inner in _own_nodes(node):
                    if (isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name)
                            and inner.value.id == "self"):
                        if inner.attr in WIDGET_READS:
                            widget_reads.append(_where(path, inner))
                        elif inner.attr in UI_CALLS:
                            calls_into_the_ui.append(_where(path, inner))
    assert workers > 40  # the check looks at the real workers
    assert calls_into_the_ui == []
    assert widget_reads == []
