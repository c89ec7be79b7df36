"""Article text made safe for the Markdown reader, and search highlights (no store needed)."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from deskterm.desk.kb import search as kb_search
from deskterm.desk.kb.render import highlight_spans, is_safe_link, safe_markdown, snippet


def _links(markdown: str) -> list[str]:
    """Every link and image target a CommonMark reader (Textual's) would make of the text."""
    found = []
    for token in MarkdownIt("commonmark").parse(markdown):
        for child in token.children or ():
            if child.type == "link_open":
                found.append(child.attrs.get("href", ""))
            elif child.type == "image":
                found.append(child.attrs.get("src", ""))
    return found


@pytest.mark.parametrize("hostile", [
    "[click me](javascript:alert(1))",
    "[click me](JaVaScRiPt:alert(1))",
    "[click me]( javascript:alert(1) )",
    "[click me](<javascript:alert(1)>)",
    "[click me](java\tscript:alert(1))",
    "[click me](&#106;avascript:alert(1))",
    "[click me](javascript&colon;alert(1))",
    "[x](vbscript:msgbox)",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![pic](data:image/svg+xml;base64,PHN2Zz4=)",
    "[x](file:///etc/passwd)",
    "<javascript:alert(1)>",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    '<a href="javascript:alert(1)">x</a>',
    "[a [nested] label](javascript:alert(1) \"title\")",
])
def test_unsafe_links_become_plain_text(hostile):
    shown = safe_markdown(hostile)

    assert _links(shown) == []
    assert "alert" in shown or "msgbox" in shown or "base64" in shown or "passwd" in shown


@pytest.mark.parametrize("safe", [
    "[docs](https://example.com/a_(b))",
    "[mail](mailto:desk@example.com)",
    "[here](#steps)",
    "[relative](other-article)",
    "<https://example.com>",
])
def test_safe_links_stay_links(safe):
    assert safe_markdown(safe) == safe
    assert len(_links(safe_markdown(safe))) == 1


def test_escape_sequences_and_controls_are_removed():
    body = "Title\x1b[2J\x1b]0;pwned\x07 ok\x9b31m\u202eevil\x00"
    assert safe_markdown(body) == "Title okevil"


def test_textual_markup_stays_text():
    body = "Press [@click=app.quit]here[/] or [bold red]now[/]"
    shown = safe_markdown(body)
    assert "[@click=app.quit]here[/]" in shown
    assert _links(shown) == []


def test_code_is_left_as_it_is():
    body = "```\n[x](javascript:alert(1))\n```\n\n`[y](javascript:z)` and [z](javascript:q)"
    shown = safe_markdown(body)
    assert shown.startswith("```\n[x](javascript:alert(1))\n```")
    assert "`[y](javascript:z)`" in shown
    assert _links(shown) == []


def test_is_safe_link():
    assert is_safe_link("https://example.com")
    assert is_safe_link("/relative/path")
    assert not is_safe_link(" JAVASCRIPT:alert(1)")
    assert not is_safe_link("&#x6A;avascript:alert(1)")


def test_highlights_ignore_case_and_accents_and_match_whole_words():
    terms = kb_search.query_terms("zamowienie vpn ")  # a space after it: not a prefix
    text = "Zamówienie VPN; vpnclient; ZAMÓWIENIE"
    assert [text[a:b] for a, b in highlight_spans(text, terms)] == [
        "Zamówienie", "VPN", "ZAMÓWIENIE"]


def test_the_last_word_is_highlighted_as_a_prefix():
    terms = kb_search.query_terms("reset pass")
    text = "Reset your password, then reset"
    assert [text[a:b] for a, b in highlight_spans(text, terms)] == ["Reset", "pass", "reset"]


def test_a_snippet_shows_the_first_match_in_plain_text():
    body = "# Steps\n\n" + "filler " * 60 + "then **renew** the [lease](https://x) now."
    text, spans = snippet(body, kb_search.query_terms("lease"))
    assert text.startswith("…") and "**" not in text and "https" not in text
    assert [text[a:b] for a, b in spans] == ["lease"]
    assert len(text) <= 170
