"""The knowledge-base screen and the knowledge base while answering, driven with the keyboard:
browsing the tree, search with marked matches, writing, saving against a stale version,
publishing, deleting, hostile article text, suggestions and insertion on the ticket screen,
an article from a solved ticket."""

from __future__ import annotations

from deskterm.app import DeskApp, binding_ids
from deskterm.desk.kb import articles as kb_articles
from deskterm.desk.kb.render import safe_markdown
from deskterm.desk.people.auth import resolve_actor
from deskterm.desk.safe_text import clean_line
from deskterm.desk.tickets import ticket as tickets
from deskterm.screens.dialogs import Confirm
from deskterm.screens.kb import KbScreen
from deskterm.screens.kb_editor import ArticleEditor
from deskterm.screens.kb_widgets import MATCH_STYLE, ArticleList, InsertAs
from deskterm.screens.pickers import Picker
from deskterm.screens.queue import QueueScreen
from deskterm.screens.ticket import TicketScreen

from .desks import NOW, open_desk
from .kb_articles import HOSTILE_TITLE, add_articles
from .pilot import settle, type_text, until

SIZE = (120, 40)


def make_app(store, username: str = "ada", help_center_url: str | None = None) -> DeskApp:
    return DeskApp(open_desk(store, username), clock=lambda: NOW, watch=False,
                   help_center_url=help_center_url)


def article(store, slug: str) -> kb_articles.ArticleRead:
    with store.read() as session:
        return kb_articles.get_article(session, article=slug)


def listed(screen: KbScreen) -> list[str]:
    options = screen.query_one(ArticleList)
    return [options.get_option_at_index(i).prompt.plain.split("\n")[0]
            for i in range(options.option_count)]


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def open_kb(pilot) -> KbScreen:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, KbScreen)
    return screen


async def open_article(pilot, screen: KbScreen, title: str) -> None:
    """Highlight ``title`` in the list of every article and press enter."""
    screen.query_one(ArticleList).focus()
    await until(pilot, lambda: title in listed(screen), what=f"{title} listed")
    while listed(screen)[screen.query_one(ArticleList).highlighted] != title:
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)
    assert screen.article is not None and clean_line(screen.article.title) == title


def reader_text(app) -> str:
    """The screen as plain lines of text (what a terminal would show)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


# --- The knowledge-base screen ------------------------------------------------------------------


async def test_2_opens_the_tree_a_category_lists_its_articles_and_enter_reads_one(
        desk_store):
    add_articles(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kb(pilot)
        tree = screen.query_one("#kb-tree")
        labels = [str(node.label) for node in tree.root.children]
        assert labels[:2] == ["Billing 1", "Hardware 1"] and labels[-1] == "Uncategorized"
        assert "VPN 2" in [str(n.label) for n in tree.root.children[2].children]
        assert len(listed(screen)) == 6  # the root: every article, by title
        # down to Network, then VPN: the list follows the tree's cursor
        await pilot.press("down", "down", "down", "down", "down")
        await settle(pilot)
        assert listed(screen) == ["Reset a VPN token", "VPN drops every few minutes"]
        await pilot.press("enter")  # from the tree into the list
        assert app.focused is screen.query_one(ArticleList)
        await pilot.press("enter")
        await settle(pilot)
        body = article(desk_store, "reset-a-vpn-token").body
        assert screen.query_one("#kb-reader").source == safe_markdown(body)
        assert "Press Reset token and sign in again." in reader_text(app)
        assert article(desk_store, "reset-a-vpn-token").views == 1
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_the_reader_shows_the_views_stored_with_this_reading(desk_store):
    add_articles(desk_store)
    with desk_store.read() as session:
        token = kb_articles.get_article(session, article="reset-a-vpn-token")
    desk_store.write(lambda s: kb_articles.record_view(s, article=token.id), quiet=True)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kb(pilot)
        for stored in (2, 3):  # read before (1), then each opening counts one
            await open_article(pilot, screen, "Reset a VPN token")
            await until(pilot, lambda n=stored: f"views {n} " in reader_text(app),
                        what=f"views {stored} shown")
            assert article(desk_store, "reset-a-vpn-token").views == stored
            assert screen.article.views == stored


async def test_a_long_title_is_one_line_in_the_list_and_hits_and_whole_in_the_reader(
        desk_store):
    add_articles(desk_store)
    long_title = "Reconnect the VPN " + "after every sleep and every network change " * 4
    desk_store.write(lambda s: kb_articles.create_article(
        s, actor=resolve_actor(s, username="ada"), title=long_title.strip(), body="Do this.",
        status="published"))
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kb(pilot)
        articles = screen.query_one(ArticleList)
        await until(pilot, lambda: articles.option_count == 7, what="7 articles listed")
        await settle(pilot)

        assert articles.virtual_size.height == articles.option_count  # one line each
        screen_lines = reader_text(app).splitlines()
        shown = [i for i, line in enumerate(screen_lines) if "Reconnect the VPN" in line]
        assert len(shown) == 1
        assert "Reconnect the VPN after every sleep …" in screen_lines[shown[0]]
        # the next line is the next article's, not the rest of the title
        assert "Refund a double charge" in screen_lines[shown[0] + 1]

        # a search's hit too: its title on one line, the snippet under it
        await pilot.press("slash")
        await type_text(pilot, "reconnect")
        await pilot.press("enter")
        await until(pilot, lambda: "1 match for reconnect" in reader_text(app), what="the hit")
        screen_lines = reader_text(app).splitlines()
        shown = [i for i, line in enumerate(screen_lines) if "Reconnect the VPN" in line]
        assert len(shown) == 1
        assert "Reconnect the VPN after every sleep …" in screen_lines[shown[0]]
        assert "Do this." in screen_lines[shown[0] + 1]

        # the reader shows the whole title, wrapped
        await pilot.press("down", "enter")
        title = screen.query_one("#kb-article-title")
        await until(pilot, lambda: "Reconnect" in str(title.render()), what="the article read")
        await settle(pilot)
        assert title.size.height >= 3
        assert " ".join(str(title.render()).split()) == long_title.strip()


async def test_search_ranks_best_first_and_marks_the_matches(any_desk_store):
    add_articles(any_desk_store)
    app = make_app(any_desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kb(pilot)
        await pilot.press("slash")
        await type_text(pilot, "vpn token")
        await pilot.press("enter")
        await settle(pilot)
        assert listed(screen) == ["Reset a VPN token"]
        prompt = screen.query_one(ArticleList).get_option_at_index(0).prompt
        marked = {prompt.plain[span.start:span.end] for span in prompt.spans
                  if MATCH_STYLE in str(span.style)}
        assert marked == {"VPN", "token"}
        assert "1 match for vpn token" in reader_text(app)
        # A word in a title ranks above the same word in a body only.
        await pilot.press("slash")
        screen.query_one("#kb-search").value = "printer"
        await pilot.press("enter")
        await settle(pilot)
        assert listed(screen)[0] == "Printer jams on page 2"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.article.title == "Printer jams on page 2"
        # escape leaves the search for the category's list, then the screen
        await pilot.press("slash", "escape")
        await settle(pilot)
        assert len(listed(screen)) == 6 and isinstance(app.screen, KbScreen)


async def test_new_article_edit_with_preview_save_and_publish(desk_store):
    add_articles(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kb(pilot)
        await pilot.press("n")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ArticleEditor)
        await type_text(pilot, "Clear the DNS cache")
        await pilot.press("tab")
        await type_text(pilot, "Network/DNS")
        editor.query_one("#kb-edit-body").focus()
        await type_text(pilot, "Run ipconfig /flushdns")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        saved = article(desk_store, "clear-the-dns-cache")
        assert (saved.title, saved.category, saved.body, saved.status, saved.author) == (
            "Clear the DNS cache", "Network/DNS", "Run ipconfig /flushdns", "draft", "ada")
        assert screen.article.id == saved.id  # the saved article is open in the reader

        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ArticleEditor) and editor.article.version == 1
        await pilot.press("end")
        await type_text(pilot, " as an admin.")
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert editor.query_one("#kb-edit-preview").display
        assert "Run ipconfig /flushdns as an admin." in reader_text(app)
        await pilot.press("ctrl+t", "ctrl+s")
        await settle(pilot)
        saved = article(desk_store, "clear-the-dns-cache")
        assert (saved.body, saved.version) == ("Run ipconfig /flushdns as an admin.", 2)

        await pilot.press("p")
        await settle(pilot)
        assert article(desk_store, "clear-the-dns-cache").status == "published"
        assert screen.article.status == "published"
        await pilot.press("p")
        await settle(pilot)
        assert article(desk_store, "clear-the-dns-cache").status == "draft"


async def test_the_editor_highlights_markdown(desk_store):
    from textual.widgets import TextArea

    add_articles(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kb(pilot)
        await open_article(pilot, screen, "Reset a VPN token")
        await pilot.press("e")
        await settle(pilot)
        body = app.screen.query_one("#kb-edit-body", TextArea)

        assert body.language == "markdown" and body.is_syntax_aware  # textual[syntax]
        # "1. Open **Settings → VPN**.": tree-sitter found something to colour on that line
        assert body._highlights[0]


async def test_leaving_the_editor_with_changes_asks_and_1_or_2_keep_it(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_kb(pilot)
        await pilot.press("n")
        await settle(pilot)
        await type_text(pilot, "Half an article")
        app.screen.query_one("#kb-edit-body").focus()
        await pilot.press("1")  # typed into the text: the editor takes every key
        assert app.screen.query_one("#kb-edit-body").text == "1"
        app.action_queue()  # as `1` does where no field has the focus
        await pilot.pause()
        assert isinstance(app.screen, ArticleEditor)
        assert "Save the article (ctrl+s) or leave the editor (escape) first" in notices(app)
        await pilot.press("escape")
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        assert isinstance(app.screen, ArticleEditor)
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(app.screen, KbScreen)


async def test_delete_asks_first(desk_store):
    add_articles(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kb(pilot)
        await open_article(pilot, screen, "Guest Wi-Fi voucher")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        await settle(pilot)
        assert article(desk_store, "guest-wi-fi-voucher")
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        with desk_store.read() as session:
            assert "guest-wi-fi-voucher" not in {a.slug for a in kb_articles.list_articles(session)}
        assert "Guest Wi-Fi voucher" not in listed(screen) and screen.article is None


async def test_a_save_against_a_stale_version_is_refused_and_the_text_stays(desk_store):
    add_articles(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kb(pilot)
        await open_article(pilot, screen, "Reset a VPN token")
        await pilot.press("e")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ArticleEditor)
        # bert saves the article while ada is writing
        with desk_store.read() as session:
            bert = resolve_actor(session, username="bert")
        desk_store.write(lambda s: kb_articles.update_article(
            s, actor=bert, article="reset-a-vpn-token", body="Bert's version."))
        await pilot.press("end")
        await type_text(pilot, " Ada adds this.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is editor  # still writing: nothing lost
        assert "Ada adds this." in editor.query_one("#kb-edit-body").text
        refused = [n for n in notices(app) if "changed since you opened it" in n]
        assert refused and "now 2 by bert at " in refused[0] and "Nothing was saved" in refused[0]
        assert article(desk_store, "reset-a-vpn-token").body == "Bert's version."
        # Leaving the editor, the reader shows bert's version, the one stored.
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")  # leave without saving
        await settle(pilot)
        assert app.screen is screen
        assert screen.article.version == 2 and screen.article.body == "Bert's version."
        assert "Bert's version." in reader_text(app) and "version 2" in reader_text(app)


async def test_hostile_article_text_is_shown_inert(desk_store):
    add_articles(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kb(pilot)
        shown_title = HOSTILE_TITLE.replace("\x1b[31m", "").replace("\x1b[0m", "")
        await open_article(pilot, screen, shown_title)
        source = screen.query_one("#kb-reader").source
        assert "\x1b" not in source and "\x07" not in source
        assert "](javascript:" not in source  # the link is text now, not a link
        picture = reader_text(app)
        assert "Markup stays text: [@click=app.quit]click me[/]" in picture
        assert "javascript:alert(1)" in picture
        assert shown_title == "Hostile [@click=app.quit]title[/] red"  # listed as text
        tree = screen.query_one("#kb-tree")
        assert "Security 1" in [str(node.label) for node in tree.root.children]
        await pilot.click("#kb-reader", offset=(10, 3))
        await settle(pilot)
        assert app.is_running


# --- While answering ----------------------------------------------------------------------------


async def open_ticket(pilot, number: int) -> TicketScreen:
    await settle(pilot)
    pilot.app.screen.go_to_ticket(number)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TicketScreen) and screen.number == number
    return screen


def suggested(screen: TicketScreen) -> list[str]:
    options = screen.query_one("#kb-suggestions")
    return [options.get_option_at_index(i).prompt.plain for i in range(options.option_count)]


async def test_the_ticket_screen_suggests_the_best_articles(any_desk_store):
    add_articles(any_desk_store)
    app = make_app(any_desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, 1001)  # "VPN drops every 10 minutes"
        assert screen.query_one("#kb-suggestions").display
        titles = suggested(screen)
        assert titles[0] == "VPN drops every few minutes"
        assert "Refund a double charge" not in titles  # a draft is never suggested
        assert 1 <= len(titles) <= 5
        assert "Suggested articles" in reader_text(app)


def make_public(store, *slugs: str) -> None:
    def work(session):
        ada = resolve_actor(session, username="ada")
        for slug in slugs:
            kb_articles.update_article(session, actor=ada, article=slug, visibility="public")

    store.write(work)


async def pick_article(pilot, words: str) -> None:
    await pilot.press("k")
    await settle(pilot)
    assert isinstance(pilot.app.screen, Picker)
    await type_text(pilot, words)
    await pilot.press("enter")
    await settle(pilot)


HELP_CENTER = "https://help.example.com/articles/{slug}"


async def test_k_puts_a_public_article_into_a_reply_as_plain_text_or_a_help_center_link(
        desk_store):
    store = desk_store
    add_articles(store)
    make_public(store, "reset-a-vpn-token", "printer-jams-on-page-2")
    app = make_app(store, help_center_url=HELP_CENTER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, 1002)
        await pick_article(pilot, "vpn token")
        dialog = app.screen
        assert isinstance(dialog, InsertAs) and dialog.article_title == "Reset a VPN token"
        assert not dialog.query("#insert-as-warning")
        await pilot.press("l")
        await settle(pilot)
        assert screen.composer.display and screen.composer.kind == "reply"
        assert screen.composer.text == (
            "Reset a VPN token (https://help.example.com/articles/reset-a-vpn-token)\n")
        used = article(store, "reset-a-vpn-token")
        assert (used.link_count, used.insert_count, used.tickets) == (1, 0, (1002,))

        await pilot.press("escape")  # the editor closes, its text stays
        await pick_article(pilot, "vpn token")
        await pilot.press("b")
        await settle(pilot)
        assert screen.composer.text == (
            "Reset a VPN token (https://help.example.com/articles/reset-a-vpn-token)\n"
            "1. Open Settings → VPN.\n2. Press Reset token and sign in again.\n\n"
            "The VPN token expires after 90 days.\n")
        assert "**" not in screen.composer.text and "*Reset" not in screen.composer.text
        used = article(store, "reset-a-vpn-token")
        assert (used.insert_count, used.link_count) == (1, 1)
        # The suggestions take enter the same way.
        await pilot.press("escape")  # close the editor first (it takes every key)
        screen.query_one("#kb-suggestions").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InsertAs)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_without_a_help_center_no_link_goes_into_a_reply(desk_store):
    add_articles(desk_store)
    make_public(desk_store, "printer-jams-on-page-2")
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, 1002)
        await pick_article(pilot, "printer jams")
        dialog = app.screen
        assert isinstance(dialog, InsertAs)
        said = str(dialog.query_one("#insert-as-link").render())
        assert "No link" in said and "help_center_url" in said
        await pilot.press("l")
        await settle(pilot)
        assert app.screen is dialog  # nothing chosen: the dialog says why and stays
        assert any("help_center_url" in n for n in notices(app))
        await pilot.press("b")
        await settle(pilot)
        assert screen.composer.text.startswith("Open tray 2, remove the torn sheet")
        assert "kb:" not in screen.composer.text
        assert article(desk_store, "printer-jams-on-page-2").link_count == 0


async def test_an_internal_article_is_warned_and_needs_a_yes_before_it_goes_into_a_reply(
        desk_store):
    store = desk_store
    add_articles(store)  # all internal
    app = make_app(store, help_center_url=HELP_CENTER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, 1002)
        await pick_article(pilot, "vpn token")
        dialog = app.screen
        assert isinstance(dialog, InsertAs)
        warning = str(dialog.query_one("#insert-as-warning").render())
        assert "Internal article" in warning and "not for customers" in warning
        await pilot.press("l")  # no page for customers: no link
        await settle(pilot)
        assert app.screen is dialog
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, Confirm) and "internal article" in app.screen.question
        await pilot.press("enter")  # enter is on Cancel: only y says yes
        await settle(pilot)
        assert app.screen is screen and screen.composer.text == ""
        assert article(store, "reset-a-vpn-token").insert_count == 0

        await pick_article(pilot, "vpn token")
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert screen.composer.kind == "reply"
        assert screen.composer.text.startswith("1. Open Settings → VPN.")
        assert article(store, "reset-a-vpn-token").insert_count == 1


async def test_an_internal_note_takes_an_internal_article_and_its_kb_reference(desk_store):
    add_articles(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, 1002)
        await pilot.press("n")
        await type_text(pilot, "See")
        await pilot.press("escape")  # the note, hidden, is where k puts the article
        await pick_article(pilot, "vpn token")
        dialog = app.screen
        assert isinstance(dialog, InsertAs) and not dialog.query("#insert-as-warning")
        await pilot.press("l")
        await settle(pilot)
        assert screen.composer.kind == "note"
        assert screen.composer.text == "See\nKB: Reset a VPN token (kb:reset-a-vpn-token)\n"


async def test_an_article_from_a_solved_ticket_starts_from_its_subject_and_solution(
        desk_store):
    store = desk_store
    add_articles(store)

    def solve(session):
        ada = resolve_actor(session, username="ada")
        tickets.add_reply(session, actor=ada, number=1010, status="solved",
                          body="Hold the power button for 15 seconds, then wake it.")

    store.write(solve)  # "Laptop will not wake from sleep"
    app = make_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, 1010)
        await pilot.press("K")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ArticleEditor)
        assert editor.query_one("#kb-edit-title").value == "Laptop will not wake from sleep"
        assert editor.query_one("#kb-edit-body").text == (
            "Hold the power button for 15 seconds, then wake it.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        made = article(store, "laptop-will-not-wake-from-sleep")
        assert (made.status, made.tickets) == ("draft", (1010,))

        # An unsolved ticket has no solution yet: one line says so.
        screen.step = None
        screen._open_instead(1002)
        await settle(pilot)
        await pilot.press("K")
        await settle(pilot)
        assert app.screen is screen
        assert any("an article is made from a solved ticket" in n for n in notices(app))


async def test_2_from_a_ticket_and_escape_back_to_it(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, 1001)
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, KbScreen)
        assert "no articles here yet" in reader_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


def test_every_knowledge_base_binding_has_an_id():
    ids = binding_ids()
    assert {"app.kb", "kb.search", "kb.open", "kb.new", "kb.edit", "kb.publish", "kb.delete",
            "kb.back", "kb-editor.save", "kb-editor.preview", "kb-editor.back",
            "ticket.kb-insert", "ticket.kb-article", "insert-as.link", "insert-as.body",
            "insert-as.cancel"} <= ids
