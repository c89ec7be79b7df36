"""html_to_text: HTML mail read as text by a real parser, never as markup."""

from __future__ import annotations

from deskterm.desk.mail.html_text import html_to_text


def test_paragraphs_breaks_and_lists_become_lines():
    html = "<p>Hello,</p><p>the printer<br>is down.</p><ul><li>floor 2<li>floor 3</ul>"

    assert html_to_text(html) == "Hello,\n\nthe printer\nis down.\n\n- floor 2\n- floor 3"


def test_scripts_styles_and_the_head_are_dropped():
    html = ("<html><head><title>t</title><style>p {color: red}</style></head><body>"
            "<script>alert(1)</script><p>Only this</p></body></html>")

    assert html_to_text(html) == "Only this"


def test_a_link_shows_its_address_and_an_image_its_alt_text():
    html = '<p><a href="https://x.test/a">the form</a> <img alt="logo"> <a href="#">here</a></p>'

    assert html_to_text(html) == "the form (https://x.test/a) [logo] here"


def test_a_blockquote_is_quoted_so_the_history_folds():
    html = "<p>Yes.</p><blockquote><p>On Monday Ada wrote:</p><p>Try again?</p></blockquote>"

    assert html_to_text(html) == "Yes.\n\n> On Monday Ada wrote:\n>\n> Try again?"


def test_pre_keeps_its_spacing_and_entities_are_decoded():
    html = "<pre>a   b\n  c</pre><p>&lt;b&gt; &amp; &eacute;</p>"

    assert html_to_text(html) == "a   b\n  c\n\n<b> & é"


def test_broken_and_absurdly_nested_html_still_gives_its_text():
    assert html_to_text("<p><b>bold <i>both</p> after</b>") == "bold both\n\nafter"
    assert html_to_text("<div>" * 5_000 + "deep" + "</div>" * 5_000) == "deep"
    assert html_to_text("<p>unclosed <a href='x") == "unclosed <a href='x"  # kept as text


def test_markup_of_the_console_in_html_stays_text():
    assert html_to_text("<p>[bold]x[/bold] [@click=app.quit]y[/]</p>") == (
        "[bold]x[/bold] [@click=app.quit]y[/]")
