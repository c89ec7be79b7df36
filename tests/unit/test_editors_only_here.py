"""Textual's editable widgets are used in one module only, ``deskterm/widgets/editors.py``, whose
subclasses clean every value (a bare ``Input`` or ``TextArea`` draws escape sequences as they
are). A new screen that imports one of Textual's own fails here, named."""

from __future__ import annotations

import ast
from pathlib import Path

import deskterm

EDITABLE = {"Input", "MaskedInput", "TextArea", "Select", "SelectionList"}
"""Textual's widgets that hold text an agent types or chooses, drawn as they hold it."""
SRC = Path(deskterm.__file__).parent
ALLOWED = SRC / "widgets" / "editors.py"


def bare_editors(source: str) -> list[str]:
    """Each use of a Textual editable widget in ``source``, as ``line: name``."""
    tree = ast.parse(source)
    found: list[str] = []
    module_aliases: set[str] = set()  # names bound to the textual.widgets module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                if node.module.startswith("textual.widgets") and alias.name in EDITABLE:
                    found.append(f"{node.lineno}: {alias.name}")
                if node.module == "textual" and alias.name == "widgets":
                    module_aliases.add(alias.asname or "widgets")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("textual.widgets"):
                    module_aliases.add(alias.asname or "textual.widgets")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr in EDITABLE
                and ast.unparse(node.value) in module_aliases):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return sorted(found)


def test_only_the_editors_module_uses_textuals_editable_widgets():
    offenders = {
        str(path.relative_to(SRC.parent)): uses
        for path in sorted(SRC.rglob("*.py")) if path != ALLOWED
        if (uses := bare_editors(path.read_text(encoding="utf-8")))
    }
    assert not offenders, (
        "use deskterm.widgets.editors (SafeInput, SafeTextArea, SafeSelect; add a subclass "
        f"there for a new kind) instead of Textual's editable widgets: {offenders}")


def test_the_scan_finds_every_way_of_naming_a_bare_editor():
    planted = (
        "from textual.widgets import Input, Static\n"
        "from textual.widgets import TextArea as Area\n"
        "from textual.widgets._select import Select\n"
        "import textual.widgets\n"
        "from textual import widgets as w\n"
        "a = textual.widgets.MaskedInput()\n"
        "b = w.SelectionList()\n"
        "c = w.Static()\n"
    )
    assert bare_editors(planted) == ["1: Input", "2: TextArea", "3: Select",
                                     "6: textual.widgets.MaskedInput", "7: w.SelectionList"]
    assert bare_editors("from deskterm.widgets.editors import SafeInput\n") == []
