"""Screens that lay themselves out by the terminal's size.

Textual's stylesheet has no media queries: a screen with :class:`SizeClasses` carries the class
``-narrow`` while the terminal is narrower than its ``NARROW_BELOW`` and ``-short`` while it is
lower than ``SHORT_BELOW``, and ``deskterm.tcss`` styles those. The classes are set when the
screen mounts, on every resize, and when the screen comes back on top: a screen under another
one is not told of a resize (Textual's own breakpoints miss that case).
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.geometry import Size
from textual.screen import Screen

NARROW = "-narrow"
SHORT = "-short"


class SizeClasses(Screen):
    """Keeps the ``-narrow`` and ``-short`` classes in step with the terminal's size."""

    NARROW_BELOW: ClassVar[int] = 120
    """Columns below which the screen is narrow."""
    SHORT_BELOW: ClassVar[int] = 30
    """Lines below which the screen is short."""

    @property
    def narrow(self) -> bool:
        return self.has_class(NARROW)

    def on_mount(self) -> None:
        self._size_classes(self.app.size)

    def on_resize(self, event: events.Resize) -> None:
        self._size_classes(event.size)

    def on_screen_resume(self) -> None:
        self._size_classes(self.app.size)

    def _size_classes(self, size: Size) -> None:
        narrow = size.width < self.NARROW_BELOW
        changed = narrow != self.narrow
        self.set_class(narrow, NARROW)
        self.set_class(size.height < self.SHORT_BELOW, SHORT)
        if changed:
            self.narrow_changed(narrow)

    def narrow_changed(self, narrow: bool) -> None:
        """The screen became narrow (or wide again): what CSS cannot do, such as moving the
        focus off a pane that is now hidden, or which keys the footer shows."""
        self.refresh_bindings()
