"""deskterm's editable widgets: Textual's ``Input``, ``TextArea`` and ``Select``, whose text is
made inert (``safe_text.clean``) on every way in.

Textual's editors draw whatever they hold, escape sequences included: a customer's subject put
into a title field, a macro body or a stored draft put into the reply editor would reach the
agent's terminal (OSC 52 writing the clipboard, a DCS query answered as keystrokes, ``ESC c``).
Cleaning is done here, in the widgets, rather than by each screen before it fills one, so that a
new field cannot forget it; ``tests/unit/test_editors_only_here.py`` fails on any bare use of
Textual's editable widgets elsewhere in ``src/deskterm``.

The ways text gets in, from Textual 8's sources:

- ``Input``: the constructor, ``value`` (a reactive: ``validate_value`` sees every assignment,
  including the ones ``insert``/``replace``/typing/paste end in), ``replace`` (the cursor is
  placed after the *cleaned* text), ``placeholder``.
- ``TextArea``: the constructor and ``load_text`` (``text = ...`` calls it) build a new document;
  every other change — typing, ``enter``, ``tab``, a bracketed paste, ``ctrl+v``, ``insert``,
  ``replace``, ``delete``, ``clear`` — is an ``Edit`` passed to ``edit()``; undo and redo replay
  the recorded, already cleaned edits. ``suggestion`` and ``placeholder`` are drawn too.
- ``Select``: the options' prompts (drawn in the list and as the current value) and the prompt
  shown when nothing is chosen, which Textual renders as markup.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.content import Content
from textual.markup import escape
from textual.widgets import Input, Select

from deskterm.desk.safe_text import clean, clean_line

if TYPE_CHECKING:
    from textual.widgets import TextArea
    from textual.widgets.text_area import Edit, EditResult

_TEXT_AREA_MODULE = "textual.widgets._text_area"


def is_text_field(widget: object) -> bool:
    """Whether ``widget`` is a kind a typed letter goes into, an ``Input`` or a ``TextArea``
    (Textual's own too, e.g. the command palette's search line): the app lets such keys
    through without waiting (see ``DeskApp``)."""
    if isinstance(widget, Input):
        return True
    text_area = sys.modules.get(_TEXT_AREA_MODULE)  # not loaded yet: there is none
    return text_area is not None and isinstance(widget, text_area.TextArea)


def one_line(text: str) -> str:
    """``text`` cleaned for a one-line field: line breaks and tabs become spaces (runs of
    spaces are kept, so a space typed at the end of a field stays)."""
    return clean(text).replace("\n", " ").replace("\t", " ")


def _placeholder(value: str | Content) -> str | Content:
    # Textual parses a str placeholder as markup (TextArea) or draws it as-is (Input).
    return Content(one_line(value)) if isinstance(value, str) else value


class SafeInput(Input):
    """A one-line ``Input`` that only ever holds cleaned, one-line text."""

    def __init__(self, value: str | None = None, placeholder: str = "", **kwargs: Any) -> None:
        super().__init__(None if value is None else one_line(value),
                         one_line(placeholder), **kwargs)

    def validate_value(self, value: str) -> str:
        """Every assignment to ``value`` (typing, paste and ``insert`` end in one) is cleaned."""
        return one_line(value)

    def validate_placeholder(self, placeholder: str) -> str:
        return one_line(placeholder)

    def replace(self, text: str, start: int, end: int) -> None:
        """Clean ``text`` before it goes in, so the cursor lands after what was inserted."""
        super().replace(one_line(text), start, end)


def _safe_text_area() -> type[TextArea]:
    # Textual's TextArea (and tree-sitter with it) is loaded with the first screen that has
    # one, not before the console's first paint, which has none.
    from textual.widgets import TextArea
    from textual.widgets.text_area import Edit

    class SafeTextArea(TextArea):
        """A ``TextArea`` whose document only ever holds cleaned text (newlines and tabs kept)."""

        def __init__(self, text: str = "", *, placeholder: str | Content = "",
                     **kwargs: Any) -> None:
            super().__init__(clean(text), placeholder=_placeholder(placeholder), **kwargs)

        def load_text(self, text: str) -> None:
            """Replace the whole text (also what ``text = ...`` does), cleaned."""
            super().load_text(clean(text))

        def edit(self, edit: Edit) -> EditResult:
            """Every change but a whole new text passes here: keys, pastes, ``insert``,
            ``replace``."""
            cleaned = clean(edit.text)
            if cleaned != edit.text:
                edit = Edit(cleaned, edit.from_location, edit.to_location,
                            edit.maintain_selection_offset)
            return super().edit(edit)

        def validate_suggestion(self, suggestion: str) -> str:
            return clean(suggestion)

        def validate_placeholder(self, placeholder: str | Content) -> str | Content:
            return _placeholder(placeholder)

    SafeTextArea.__qualname__ = "SafeTextArea"
    SafeTextArea.__module__ = __name__
    return SafeTextArea


def __getattr__(name: str) -> Any:
    """``SafeTextArea``: made on first use (see :func:`_safe_text_area`)."""
    if name == "SafeTextArea":
        made = _safe_text_area()
        globals()[name] = made
        return made
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _option_prompt(prompt: object) -> Text:
    if isinstance(prompt, Text):
        return Text(clean_line(prompt.plain), style=prompt.style)
    if isinstance(prompt, str):
        return Text(clean_line(prompt))  # a Text is drawn as it is, never parsed as markup
    raise TypeError(f"a Select option's prompt must be str or Text, not {type(prompt).__name__}")


class SafeSelect(Select):
    """A ``Select`` whose options and prompt are shown as cleaned plain text."""

    def __init__(self, options: Iterable[tuple[object, Any]], *, prompt: str = "Select",
                 **kwargs: Any) -> None:
        super().__init__([(_option_prompt(p), v) for p, v in options], prompt=prompt, **kwargs)

    def set_options(self, options: Iterable[tuple[object, Any]]) -> None:
        """Replace the options, their prompts cleaned."""
        super().set_options([(_option_prompt(p), v) for p, v in options])

    def validate_prompt(self, prompt: str) -> str:
        # Textual shows the prompt through a markup-parsing Static: escape it after cleaning.
        return escape(clean_line(prompt))
