"""Modules a command loads when it first uses them, not when the CLI starts.

The desk's and the store's modules bring SQLAlchemy, SQLModel and the models with them (about
half a second); ``deskterm --help``, ``--version`` or a group's help need none of it, and each
command needs only its own: the use cases of :mod:`deskterm.desk.service` load the domain
modules a command does not call only if it calls them. A module names what it uses with
:func:`module`, which returns a stand-in; the first attribute looked up in it imports the real
module with :func:`importlib.import_module` and every later one is the real module's.

Not the standard library's ``importlib.util.LazyLoader``: on Python 3.11 it marks the module
loaded before running it, so a second thread (the console's workers load the desk's modules
from several threads at once) could find it half run ("module ... has no attribute ...", seen
on ``K``). ``import_module`` holds the module's import lock: a second thread waits for the
first to finish.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Any


class _Deferred(ModuleType):
    """Stands for a module not imported yet; imports it on the first attribute looked up."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._deskterm_real: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:  # only for what the stand-in does not have
        real = self._deskterm_real
        if real is None:
            real = importlib.import_module(self.__name__)  # thread-safe: the import lock
            self._deskterm_real = real
        return getattr(real, attribute)


def module(name: str) -> ModuleType:
    """``name`` (e.g. ``deskterm.desk.tickets.ticket``), imported on first use; the module
    itself if something imported it before."""
    found = sys.modules.get(name)
    if found is not None and not getattr(found.__spec__, "_initializing", False):
        return found  # (one another thread is still running is not: the stand-in waits)
    if importlib.util.find_spec(name) is None:
        raise ModuleNotFoundError(f"no module named {name!r}", name=name)
    return _Deferred(name)


def loaded(module_name: str, name: str) -> object | None:
    """``module_name.name`` if that module has been imported (a stand-in :func:`module` made
    that nothing has used yet has not: looking would import it); else None."""
    found = sys.modules.get(module_name)
    if found is None:
        return None
    return found.__dict__.get(name)
