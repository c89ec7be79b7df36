"""Modules a command loads when it first uses them, not when the CLI starts.

The desk's and the store's modules bring SQLAlchemy, SQLModel and the models with them (about
half a second); ``deskterm --help``, ``--version`` or a group's help need none of it, and each
command needs only its own: the use cases of :mod:`deskterm.desk.service` load the domain
modules a command does not call only if it calls them. A module names what it uses with
:func:`module`; the module is executed on the first attribute looked up in it (the standard
library's :class:`importlib.util.LazyLoader`), and is the one ``sys.modules`` holds, so a later
plain ``import`` gets the same module.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def module(name: str) -> ModuleType:
    """``name`` (e.g. ``deskterm.desk.tickets.ticket``), loaded on first use; the already loaded
    module if something imported it before."""
    found = sys.modules.get(name)
    if found is not None:
        return found
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    lazy = importlib.util.module_from_spec(spec)
    sys.modules[name] = lazy
    loader.exec_module(lazy)
    parent, _, child = name.rpartition(".")
    if parent:  # as an import does: ``deskterm.desk.tickets.ticket`` is also an attribute
        setattr(sys.modules[parent], child, lazy)
    return lazy


def loaded(module_name: str, name: str) -> object | None:
    """``module_name.name`` if that module is loaded and has run (a module :func:`module` made
    that nothing has used yet is not: looking would load it); else None."""
    found = sys.modules.get(module_name)
    if found is None:
        return None
    return object.__getattribute__(found, "__dict__").get(name)
