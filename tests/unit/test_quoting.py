"""Quoted history in a customer's mail: what the thread view folds (desk/mail/quoting.py)."""

from __future__ import annotations

from deskterm.desk.mail.quoting import Part, quoted_lines, split_quoted


def test_attribution_line_starts_the_history():
    body = ("Still broken, see below.\n\nThanks\n\nOn Mon, 7 Dec 2026 at 10:02, Help Desk "
            "<help@desk.example> wrote:\n> Did you try turning it off?\n>\n> Regards\n")
    assert split_quoted(body) == [
        Part(False, ("Still broken, see below.", "", "Thanks")),
        Part(True, ("On Mon, 7 Dec 2026 at 10:02, Help Desk <help@desk.example> wrote:",
                    "> Did you try turning it off?", ">", "> Regards")),
    ]


def test_attribution_wrapped_over_two_lines():
    body = "Yes.\nOn Mon, 7 Dec 2026 at 10:02, A Very Long Name <someone@example.com>\nwrote:\n> x"
    parts = split_quoted(body)
    assert parts[0] == Part(False, ("Yes.",))
    assert parts[1].quoted and len(parts[1].lines) == 3


def test_outlook_original_message_and_header_block():
    body = "New text\n-----Original Message-----\nFrom: Desk\nSent: today\nSubject: x\n\nold"
    assert [p.quoted for p in split_quoted(body)] == [False, True]
    assert quoted_lines(body) == 6
    outlook = "Hi\n\nFrom: Help Desk <help@desk.example>\nSent: Monday\nTo: me\n\nold text"
    assert split_quoted(outlook)[0] == Part(False, ("Hi",))
    assert quoted_lines(outlook) == 5


def test_inline_answers_between_quotes_stay_visible():
    body = "> question one\n> more\nAnswer one\n> question two\nAnswer two\n> a\n>\n> b\n"
    parts = split_quoted(body)
    assert parts == [
        Part(True, ("> question one", "> more")),
        Part(False, ("Answer one", "> question two", "Answer two")),
        Part(True, ("> a", ">", "> b")),
        Part(False, ("",)),
    ]


def test_no_history_is_one_part_and_plain_words_are_not_markers():
    body = "On the other hand, the printer wrote nothing.\nFrom: the office\nbye"
    assert split_quoted(body) == [Part(False, tuple(body.split("\n")))]
    assert quoted_lines(body) == 0
    assert split_quoted("") == [Part(False, ("",))]


def test_hostile_text_is_kept_as_it_is():
    body = "[bold]x[/]\x1b[31m\nOn [link=http://e]x[/link] wrote:\n> \x1b]8;;http://e\x07y"
    parts = split_quoted(body)
    assert parts[0].lines == ("[bold]x[/]\x1b[31m",)
    assert parts[1].lines[-1] == "> \x1b]8;;http://e\x07y"
