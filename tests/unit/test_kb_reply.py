"""An article put into a reply: its Markdown as plain text a customer can read, a link to its
help-center page, and what an internal article needs before it goes to a customer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deskterm.desk.errors import InvalidInput
from deskterm.desk.kb.articles import ArticleRead
from deskterm.desk.kb.plain import plain_reply_text
from deskterm.desk.kb.reply import article_url, insert_choices, inserted_text

WHEN = datetime(2026, 1, 5, tzinfo=UTC)
HELP = "https://help.example.com/articles/{slug}"


def article(*, visibility: str = "public", status: str = "published",
            body: str = "**Restart** the router.", slug: str = "restart-the-router",
            title: str = "Restart the router") -> ArticleRead:
    return ArticleRead(
        id=1, slug=slug, title=title, category=None, category_id=None, tags=(), status=status,
        visibility=visibility, author="ada", updated_at=WHEN, version=1, views=0,
        helpful_votes=0, insert_count=0, link_count=0, body=body, created_at=WHEN,
        published_at=WHEN, tickets=())


# --- Markdown as plain text ---------------------------------------------------------------------


def test_headings_emphasis_and_code_marks_go_and_their_text_stays():
    text = plain_reply_text("# Reset a *VPN* token\n\nOpen **Settings → VPN**, press "
                            "_Reset_ and run `lumen-connect --reset` ~~twice~~.")
    assert text == ("Reset a VPN token\n\nOpen Settings → VPN, press Reset and run "
                    "lumen-connect --reset twice.")


def test_lists_keep_their_numbers_bullets_become_dots_and_nesting_is_indented():
    text = plain_reply_text("1. Open the tray\n   - the left one\n   * then the right\n"
                            "2. Close it\n\n- a\n+ b")
    assert text == ("1. Open the tray\n   • the left one\n   • then the right\n2. Close it"
                    "\n\n• a\n\n• b")
    assert plain_reply_text("3) three\n4) four") == "3) three\n4) four"


def test_code_blocks_are_kept_exactly_and_set_apart():
    text = plain_reply_text("Run:\n\n```sh\nsudo  systemctl restart vpn\n  --now *x*\n```\n\n"
                            "    indented code\n\nDone.")
    assert text == ("Run:\n\n    sudo  systemctl restart vpn\n      --now *x*\n\n"
                    "    indented code\n\nDone.")


def test_links_become_text_and_their_address():
    text = plain_reply_text("See [the status page](https://status.example.com/vpn), "
                            "<https://example.com/a>, [write to us](mailto:help@example.com) "
                            "or <help@example.com>.")
    assert text == ("See the status page (https://status.example.com/vpn), "
                    "https://example.com/a, write to us (help@example.com) or "
                    "help@example.com.")
    assert plain_reply_text("![the dialog](https://example.com/d.png)") == (
        "the dialog (https://example.com/d.png)")


def test_unsafe_and_relative_links_never_become_addresses():
    text = plain_reply_text("[Click](javascript:alert(1)) [pic](data:text/html;base64,PHNjcmlw"
                            ") [file](file:///etc/passwd) [JS](JaVaScRiPt:x) [other](/kb/other)"
                            " ![x](data:image/png;base64,AAAA) [v](vbscript:msgbox)")
    assert text == "Click pic file JS other x v"
    for scheme in ("javascript", "data", "file", "vbscript"):
        assert f"{scheme}:" not in text.lower()


def test_quotes_tables_breaks_and_raw_html_are_plain_text():
    text = plain_reply_text("> **Note:** back up\n> first.\n\n| Plan | Price |\n|---|---|\n"
                            "| Basic | 5 € |\n\nline one\nline two  \nnew line <b>bold</b> "
                            "&amp; 2 * 3 \\*literal\\*\n\n***\n\nEnd")
    assert text == ("  Note: back up first.\n\nPlan | Price\nBasic | 5 €\n\n"
                    "line one line two\nnew line <b>bold</b> & 2 * 3 *literal*\n\nEnd")


def test_escape_sequences_never_reach_the_reply():
    text = plain_reply_text("Red \x1b[31mtext\x1b[0m \x1b]52;c;SGVsbG8=\x07 and `\x1b[2Jcode`")
    assert "\x1b" not in text and "\x07" not in text
    assert text == "Red text  and code"


# --- What goes into a reply ---------------------------------------------------------------------


def test_a_public_article_goes_into_a_reply_as_plain_text():
    assert inserted_text(article(), "body", public=True, help_center=None) == (
        "Restart the router.")


def test_a_link_to_the_help_center_page_needs_the_setting():
    choices = insert_choices(article(), public=True, help_center=None)
    assert choices.link is None and "help_center_url" in choices.no_link
    with pytest.raises(InvalidInput, match="help_center_url"):
        inserted_text(article(), "link", public=True, help_center=None)
    assert inserted_text(article(), "link", public=True, help_center=HELP) == (
        "Restart the router (https://help.example.com/articles/restart-the-router)")


def test_the_help_center_url_takes_the_slug_in_its_place_or_at_the_end():
    assert article_url(HELP, "a.b_c") == "https://help.example.com/articles/a.b_c"
    assert article_url("https://help.example.com/kb?id={slug}", "x") == (
        "https://help.example.com/kb?id=x")
    assert article_url("https://help.example.com/articles/", "x") == (
        "https://help.example.com/articles/x")
    assert article_url("https://help.example.com", "x") == "https://help.example.com/x"


def test_an_internal_article_is_no_link_and_its_text_needs_a_confirmation_in_a_reply():
    internal = article(visibility="internal")
    choices = insert_choices(internal, public=True, help_center=HELP)
    assert choices.needs_confirmation and choices.link is None
    assert "internal" in choices.no_link
    with pytest.raises(InvalidInput, match="internal article"):
        inserted_text(internal, "body", public=True, help_center=HELP)
    assert inserted_text(internal, "body", public=True, help_center=HELP, confirmed=True) == (
        "Restart the router.")


def test_a_draft_has_no_help_center_page_to_link():
    choices = insert_choices(article(status="draft"), public=True, help_center=HELP)
    assert choices.link is None and "draft" in choices.no_link
    assert not choices.needs_confirmation


def test_an_internal_note_takes_any_article_and_the_kb_reference_line():
    internal = article(visibility="internal")
    choices = insert_choices(internal, public=False, help_center=None)
    assert not choices.needs_confirmation
    assert inserted_text(internal, "link", public=False, help_center=None) == (
        "KB: Restart the router (kb:restart-the-router)")
    assert inserted_text(internal, "body", public=False, help_center=None) == (
        "Restart the router.")
