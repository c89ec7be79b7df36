"""Modules a command loads when it first uses them (:mod:`deskterm.lazy`, shared with the
desk's use cases)."""

from deskterm.lazy import loaded, module

__all__ = ["loaded", "module"]
