"""The footer: the keys that matter on the screen, redrawn only when they change.

Textual's Footer rebuilds all its key widgets whenever the focus moves; on the queue that is
twice per filter (``/`` into the filter line, ``enter`` back to the table), and the rebuild's
restyling held the filter's result back by a few hundred milliseconds on a busy machine.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    """A Footer that skips the rebuild when the keys it shows are the same."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple | None = None

    def _signature(self, screen: Screen) -> tuple:
        return tuple(
            (binding.key, binding.action, binding.description, enabled)
            for (_, binding, enabled, _) in screen.active_bindings.values()
            if binding.show
        )

    def bindings_changed(self, screen: Screen) -> None:
        if self.is_attached and screen is self.screen and screen.app.app_focus:
            signature = self._signature(screen)
            if signature == self._shown and self._bindings_ready:
                return
            self._shown = signature
        super().bindings_changed(screen)
