"""Refuse a module importing another module's private name (``from deskterm.x import _y``).

Ruff's import-private-name rule (PLC2701, on in ``pyproject.toml``) only sees imports across
top-level packages (a test importing ``deskterm``'s ``_name``, or Textual's); imports inside
``deskterm`` are this check's. A name starting with one underscore is private to its module;
relative imports are resolved too. ``__future__`` and dunder names are public.

Usage: ``python tools/private_imports.py src tests bench`` (``make lint`` runs it); exits 1 and
prints ``path:line: ...`` for each such import.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports(path: Path, source: str) -> Iterator[str]:
    """``path:line: ...`` for each import of another module's private name in ``source``."""
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if not isinstance(node, ast.ImportFrom) or node.module == "__future__":
            continue
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if _private(alias.name):
                yield f"{path}:{node.lineno}: imports {alias.name} from {module}, a private name"


def main(roots: list[str]) -> int:
    found = []
    for root in roots:
        for path in sorted(Path(root).rglob("*.py")):
            found.extend(private_imports(path, path.read_text(encoding="utf-8")))
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["src", "tests", "bench"]))
