"""Untrusted text loses every escape and control sequence and keeps its words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskterm.desk.safe_text import MAX_QUOTED, clean, clean_line, message_line

ESC = "\x1b"


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("Re: invoice [/] overdue [@click=app.quit]x[/]",
         "Re: invoice [/] overdue [@click=app.quit]x[/]"),
        (f"a{ESC}]52;c;ZXZpbA==\x07b", "ab"),                    # OSC 52 clipboard write
        (f"x{ESC}]8;;http://evil{ESC}\\link{ESC}]8;;{ESC}\\y", "xlinky"),  # OSC 8 hyperlink
        (f"red{ESC}[31mtext{ESC}[0m", "redtext"),                 # CSI colours
        (f"clear{ESC}[2J{ESC}[H", "clear"),                       # CSI clear screen
        ("p\x9b31mq", "pq"),                                      # 8-bit CSI
        (f"d{ESC}P+q544e{ESC}\\e", "de"),                         # DCS
        (f"a{ESC}_apc{ESC}\\b{ESC}^pm{ESC}\\c{ESC}Xsos{ESC}\\d", "abcd"),  # APC, PM, SOS
        (f"reset{ESC}c!", "reset!"),                              # ESC c (full reset)
        ("abc\u202edef\u2066g\u2069", "abcdefg"),                 # bidi override, isolate
        ("bell\x07 nul\x00 del\x7f c1\x85", "bell nul del c1"),
        ("tab\there\nnewline", "tab\there\nnewline"),
        ("windows\r\nmac\rend", "windows\nmac\nend"),
        ("שלום עולם · سلام · 中文 · Zażółć · Привет", "שלום עולם · سلام · 中文 · Zażółć · Привет"),
        (f"unterminated{ESC}]52;c;AAAA", "unterminated52;c;AAAA"),
    ],
)
def test_clean_removes_sequences_and_keeps_the_words(hostile, shown):
    assert clean(hostile) == shown


def test_a_message_shows_at_most_the_start_of_a_long_quoted_value():
    long = "a" * 5000
    shown = message_line(f"status '{long}' is not one of: new; run `deskterm x {long}`")
    assert shown == (f"status '{long[:MAX_QUOTED - 1]}…' is not one of: new; run "
                     f"`deskterm x {long[:MAX_QUOTED - 12]}…`")
    short = "group 'Network' and `deskterm group list` stay whole"
    assert message_line(short) == short


def test_clean_line_puts_text_on_one_line():
    assert clean_line("  two\n lines\tand  tabs ") == "two lines and tabs"


DANGEROUS = [chr(c) for c in range(0x20) if c not in (0x09, 0x0A)] + [chr(0x7F)] + [
    chr(c) for c in range(0x80, 0xA0)] + ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
                                         "\u2066", "\u2067", "\u2068", "\u2069"]


@given(st.text())
def test_no_control_character_survives_any_input(text):
    cleaned = clean(text)
    assert not any(char in cleaned for char in DANGEROUS)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Cs"))))
def test_ordinary_text_is_left_alone(text):
    assert clean(text) == text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        (f"before{ESC}]52;c;ZXZpbA== after", "before52;c;ZXZpbA== after"),
        (f"a{ESC}P+q544e and the rest", "a+q544e and the rest"),
        ("\u201cquoted\u201d then mis-decoded \xe2\x80\x9d and the rest",
         "\u201cquoted\u201d then mis-decoded \xe2 and the rest"),
        (f"{ESC}]8;;http://x{ESC}]52;c;YQ==\x07tail", "8;;http://xtail"),
    ],
)
def test_an_unterminated_sequence_loses_its_introducer_not_the_rest_of_the_text(hostile, shown):
    assert clean(hostile) == shown


def test_many_unterminated_introducers_are_cleaned_without_backtracking_over_the_text():
    # Each introducer's search stops at the next one: a quadratic scan would take minutes here.
    assert clean("\x90" * 200_000 + f"{ESC}]" * 100_000 + "end") == "end"


def test_a_cell_drops_what_terminals_measure_differently_and_keeps_what_they_agree_on():
    from deskterm.desk.safe_text import cell_line, display_text

    text = ("zero\u200bwidth \U0001f44d\U0001f3fd \U0001f468\u200d\U0001f469 \u26a0\ufe0f "
            "soft\u00adhyphen")
    assert cell_line(text) == "zerowidth \U0001f44d \U0001f468\U0001f469 \u26a0 softhyphen"
    kept = "شماره\u200cی 漢字 e\u0301 \u202eevil"  # ZWNJ (Persian), wide, combining; bidi goes
    assert cell_line(kept) == "شماره\u200cی 漢字 e\u0301 evil"
    assert display_text("a\u200db\n\tc\x1b[2J") == "ab\n\tc"
