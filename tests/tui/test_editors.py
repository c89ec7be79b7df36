"""deskterm's editable widgets hold only cleaned text, whichever way the text comes in: the
constructor, ``value`` / ``text``, ``load_text``, ``insert`` / ``replace``, typing and a
bracketed paste; newlines and tabs stay in a text area, a one-line field gets one line; editing
(typing, newlines, tabs, undo, redo) works as in Textual's own widgets."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import OptionList

from deskterm.app import DeskApp
from deskterm.widgets.editors import SafeInput, SafeSelect, SafeTextArea, one_line

from .desks import NOW, open_desk
from .pilot import settle

ESC = "\x1b"
HOSTILE = (
    f"a{ESC}]52;c;SGVsbG8=\x07b"          # OSC 52: writes the clipboard
    f"{ESC}]8;;http://evil{ESC}\\c{ESC}]8;;{ESC}\\"  # OSC 8 link
    f"{ESC}[2Jd{ESC}P+q544e{ESC}\\e"        # CSI clear, DCS query
    f"{ESC}cf\u009b31mg\x90+q544e\x9ch\u202ei"  # RIS, 8-bit CSI, 8-bit DCS, RLO
    "\tj\nk [bold]l[/]"                     # tab, newline, markup (kept as text)
)
"""Every kind of sequence the console must not pass on, around plain letters."""
CLEAN = "abcdefghi\tj\nk [bold]l[/]"
"""What is left: the letters, the tab and newline, the markup as the words it is."""


def _inert(text: str) -> bool:
    return not any(ch == ESC or "\x80" <= ch <= "\x9f" or ch in "\x07\u202e" for ch in text)


class Editors(App):
    def compose(self) -> ComposeResult:
        yield SafeInput(HOSTILE, id="line")
        area = SafeTextArea(HOSTILE, id="area", tab_behavior="indent")
        area.indent_type = "tabs"
        yield area
        yield SafeSelect([(HOSTILE, "x"), ("plain", "y")], prompt=HOSTILE, id="pick")


def test_one_line_keeps_spaces_and_drops_line_breaks():
    assert one_line(HOSTILE) == CLEAN.replace("\t", " ").replace("\n", " ")
    assert one_line("trailing space ") == "trailing space "


async def test_the_constructors_clean_what_they_are_given():
    async with Editors().run_test() as pilot:
        assert pilot.app.query_one(SafeInput).value == "abcdefghi j k [bold]l[/]"
        assert pilot.app.query_one(SafeTextArea).text == CLEAN


async def test_setting_value_text_and_load_text_cleans_them():
    async with Editors().run_test() as pilot:
        line, area = pilot.app.query_one(SafeInput), pilot.app.query_one(SafeTextArea)
        line.value = f"x{ESC}[6ny"
        area.text = f"1{ESC}c2\n3"
        assert (line.value, area.text) == ("xy", "12\n3")
        area.load_text("4\u009d0;title\x075")
        assert area.text == "45"


async def test_insert_and_replace_clean_the_inserted_text():
    async with Editors().run_test() as pilot:
        line, area = pilot.app.query_one(SafeInput), pilot.app.query_one(SafeTextArea)
        line.value = "ab"
        line.insert(f"{ESC}]52;c;SGVsbG8=\x07X", 1)
        assert (line.value, line.cursor_position) == ("aXb", 2)
        line.replace(f"Y\u202e{ESC}[2J", 0, 1)
        assert line.value == "YXb"
        area.text = "ab"
        area.insert(f"{ESC}P+q544e{ESC}\\X\tZ", (0, 1))
        assert area.text == "aX\tZb"
        area.replace("\u009b2JW\n", (0, 0), (0, 1))
        assert area.text == "W\nX\tZb"


async def test_a_bracketed_paste_is_cleaned():
    async with Editors().run_test() as pilot:
        line, area = pilot.app.query_one(SafeInput), pilot.app.query_one(SafeTextArea)
        area.text = ""
        area.focus()
        await pilot.pause()
        pilot.app.post_message(events.Paste(HOSTILE))  # as the terminal driver does
        await pilot.pause()
        assert area.text == CLEAN
        line.value = ""
        line.focus()
        await pilot.pause()
        pilot.app.post_message(events.Paste(f"pasted{ESC}]8;;http://evil{ESC}\\ link\nsecond line"))
        await pilot.pause()
        assert line.value == "pasted link"


async def test_typing_newlines_tabs_and_undo_work_as_before():
    async with Editors().run_test() as pilot:
        area = pilot.app.query_one(SafeTextArea)
        area.text = ""
        area.focus()
        await pilot.press("h", "i", "enter", "tab", "x")
        assert area.text == "hi\n\tx"
        for _ in range(3):  # Textual keeps checkpoints inside a burst of typing
            area.undo()
        await pilot.pause()
        assert area.text == ""
        for _ in range(3):
            area.redo()
        await pilot.pause()
        assert area.text == "hi\n\tx"
        assert _inert(area.text)


async def test_select_options_and_prompt_are_plain_cleaned_text():
    async with Editors().run_test() as pilot:
        pick = pilot.app.query_one(SafeSelect)
        listed = pick.query_one(OptionList)
        prompts = [listed.get_option_at_index(i).prompt for i in range(listed.option_count)]
        assert all(isinstance(p, Text) and _inert(p.plain) for p in prompts)
        assert [p.plain for p in prompts[1:]] == ["abcdefghi j k [bold]l[/]", "plain"]
        assert _inert(pick.prompt) and "bold" in pick.prompt
        pick.set_options([(f"new{ESC}c", "z")])
        await pilot.pause()
        assert listed.get_option_at_index(listed.option_count - 1).prompt.plain == "new"


async def test_notifications_are_plain_cleaned_text_whoever_sends_them(desk_store):
    app = DeskApp(open_desk(desk_store, "ada"), clock=lambda: NOW, watch=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        app.screen.notify(f"Macro “Refund [@click=app.quit]x[/]{ESC}]52;c;SGVsbG8=\x07” in",
                          title=f"T{ESC}c\nitle")
        await pilot.pause()
        shown = app._notifications  # Textual keeps no public list of the toasts shown
        last = list(shown)[-1]
        assert (last.message, last.title, last.markup) == (
            "Macro “Refund [@click=app.quit]x[/]” in", "T itle", False)
