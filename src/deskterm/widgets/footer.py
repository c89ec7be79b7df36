"""The footer: the keys that matter on the screen, as one line of text.

Textual's Footer is a container of one widget per key, rebuilt (composed, styled and laid out)
whenever the focus moves; on the queue that is twice per filter (``/`` into the filter line,
``enter`` back to the table), and the rebuild held the filter's result back by tens of
milliseconds. This footer draws the same keys as a single line, repainted only when they change;
a click on a key presses it, as on Textual's.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class FooterItem(NamedTuple):
    key: str
    display: str
    description: str
    enabled: bool


class KeysFooter(Widget, can_focus=False):
    """The current screen's shown key bindings, and the command palette's key on the right."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keys-footer--key", "keys-footer--description", "keys-footer--rule"}
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeysFooter > .keys-footer--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeysFooter > .keys-footer--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeysFooter > .keys-footer--rule { color: $foreground 20%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._items: tuple[tuple[FooterItem, ...], FooterItem | None] = ((), None)
        self._hits: list[tuple[int, int, FooterItem]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        items = self.items(screen)
        if items != self._items:
            self._items = items
            self.refresh()

    def items(self, screen: Screen) -> tuple[tuple[FooterItem, ...], FooterItem | None]:
        """The keys to show (one per action, in binding order) and the palette's key."""
        app = screen.app
        shown: dict[str, FooterItem] = {}
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if binding.show and binding.action not in shown:
                shown[binding.action] = FooterItem(binding.key, app.get_key_display(binding),
                                                   binding.description, enabled)
        palette = None
        if app.ENABLE_COMMAND_PALETTE:
            found = screen.active_bindings.get(app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _node, binding, enabled, _tooltip = found
                palette = FooterItem(binding.key, app.get_key_display(binding),
                                     binding.description, enabled)
                shown.pop(binding.action, None)
        return tuple(shown.values()), palette

    def render(self) -> Text:
        keys, palette = self._items
        key_style = self.get_component_rich_style("keys-footer--key")
        description_style = self.get_component_rich_style("keys-footer--description")
        line = Text(no_wrap=True, overflow="crop", end="")
        hits: list[tuple[int, int, FooterItem]] = []

        def add(item: FooterItem) -> None:
            start = line.cell_len
            disabled = Style(dim=True) if not item.enabled else Style()
            line.append(f" {item.display} ", key_style + disabled)
            if item.description:
                line.append(f"{item.description} ", description_style + disabled)
            hits.append((start, line.cell_len, item))

        for item in keys:
            add(item)
        if palette is not None:
            # The palette's key stays on the right; the others are cut short before it.
            label = f" {palette.display} {palette.description} " if palette.description else (
                f" {palette.display} ")
            room = self.size.width - cell_len(label) - 1
            if room > 0:
                line.truncate(room, pad=True)
                hits = [(start, min(end, room), item) for start, end, item in hits
                        if start < room]
                line.append("▏", self.get_component_rich_style("keys-footer--rule"))
                add(palette)
        self._hits = hits
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, item in self._hits:
            if start <= event.x < end:
                event.stop()
                if item.enabled:
                    self.app.simulate_key(item.key)
                else:
                    self.app.bell()
                return
