"""A bracketed paste stays one paste: ESC and C0 controls are removed from inside it before
Textual's input parser sees them.

Textual 8's ``XTermParser`` (``textual/_xterm_parser.py``) ends the paste's text at the first ESC
inside it and re-issues what follows as *keystrokes*: a pasted ``ESC ] 52 ; …`` is typed into
the editor as ``^]52;…``, and a control character after it becomes a key press, so text copied
from a customer's mail holding ``ESC`` then ``^S`` would send the reply, ``^Q`` would quit. xterm
and Alacritty strip ESC from what they paste; tmux and others do not. Here the console does it
itself: inside ``ESC [ 200 ~`` … ``ESC [ 201 ~`` every C0 control but tab, newline and carriage
return, and DEL, is dropped, so the parser sees only text and the end marker; the editors then
clean the pasted text like any other (``widgets/editors.py``).

Textual builds its parser inside the driver's input thread from the name ``XTermParser`` of the
driver's module, so :func:`install` rebinds that name to :class:`PasteGuardParser` (checked by
``tests/tui/test_paste_guard.py`` against the installed Textual).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from textual._xterm_parser import XTermParser  # noqa: PLC2701 (Textual's own key parser)

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"
_CONTROLS_IN_PASTE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _held_back(text: str) -> int:
    """How many characters at the end of ``text`` may be the start of :data:`PASTE_END`."""
    for size in range(min(len(PASTE_END) - 1, len(text)), 0, -1):
        if PASTE_END.startswith(text[-size:]):
            return size
    return 0


class PasteFilter:
    """Feed it the terminal's input as it arrives; it returns the same input with controls
    removed from inside bracketed pastes (a marker may be split across reads)."""

    def __init__(self) -> None:
        self.in_paste = False
        self._tail = ""  # outside a paste: the last characters, for a start marker split in two
        self._pending = ""  # inside a paste: a possible start of the end marker, held back

    def __call__(self, data: str) -> str:
        out: list[str] = []
        while data:
            if not self.in_paste:
                probe = self._tail + data
                start = probe.find(PASTE_START)
                if start < 0:
                    out.append(data)
                    self._tail = probe[-(len(PASTE_START) - 1):]
                    break
                end = start + len(PASTE_START) - len(self._tail)
                out.append(data[:end])
                data, self._tail, self.in_paste = data[end:], "", True
            else:
                data, self._pending = self._pending + data, ""
                end = data.find(PASTE_END)
                if end < 0:
                    keep = _held_back(data)
                    out.append(_CONTROLS_IN_PASTE.sub("", data[:len(data) - keep]))
                    self._pending = data[len(data) - keep:]
                    break
                out.append(_CONTROLS_IN_PASTE.sub("", data[:end]) + PASTE_END)
                data, self.in_paste = data[end + len(PASTE_END):], False
        return "".join(out)


class PasteGuardParser(XTermParser):
    """Textual's parser, fed through a :class:`PasteFilter`."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self.paste_filter = PasteFilter()

    def feed(self, data: str) -> Iterable[Any]:
        """Parse ``data`` (``""`` is the end of input, as for Textual's parser)."""
        if not data:
            return super().feed(data)
        filtered = self.paste_filter(data)
        # Everything held back (part of a marker): nothing to parse yet, and "" would mean EOF.
        return super().feed(filtered) if filtered else ()


def install() -> None:
    """Make Textual's terminal drivers parse input with :class:`PasteGuardParser`."""
    from textual.drivers import linux_driver

    # (mypy refuses assigning to a name bound to a class: replacing it is this module's point)
    linux_driver.XTermParser = PasteGuardParser  # type: ignore[misc]
    try:
        from textual.drivers import linux_inline_driver
    except ImportError:  # pragma: no cover - not in every Textual
        return
    linux_inline_driver.XTermParser = PasteGuardParser  # type: ignore[misc]
