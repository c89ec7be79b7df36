"""Mail on the ticket screen: quoted history folded to one dim line (``z`` shows it), hostile
mail text inert."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select, update

from deskterm.app import DeskApp
from deskterm.db.models import Message
from deskterm.desk.tickets import ticket as tickets
from deskterm.screens.ticket import TicketScreen
from deskterm.widgets.thread import ThreadView

from .desks import NOW, open_desk
from .pilot import settle, until

SIZE = (120, 40)

QUOTED_MAIL = (
    "It still drops, every [bold]ten[/bold] minutes \x1b]52;c;aGk=\x07since Monday.\n"
    "\n"
    "Bea\n"
    "\n"
    "On Fri, 20 Nov 2026 at 09:00, Help Desk <help@desk.example> wrote:\n"
    "> Hello, could you tell us which model it is?\n"
    "> [@click=app.quit]Thanks[/], \x1b[31mAda\n"
    ">\n"
    "> -- \n"
    "> Help Desk\n")


def add_mail_answer(store, number: int, body: str = QUOTED_MAIL) -> None:
    def work(session) -> None:
        tickets.add_customer_message(session, number=number, body=body,
                                     source_message_id=f"answer-{number}@example.com")
        session.flush()
        newest = session.exec(select(Message.id).where(Message.ticket_id == number)
                              .order_by(Message.id.desc())).first()
        session.exec(update(Message).where(Message.id == newest)
                     .values(created_at=NOW - timedelta(minutes=5)))

    store.write(work)


def make_app(store) -> DeskApp:
    return DeskApp(open_desk(store), clock=lambda: NOW, watch=False)


async def open_ticket(pilot, number: int) -> TicketScreen:
    await settle(pilot)
    pilot.app.screen.go_to_ticket(number)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, TicketScreen)
    return screen


async def test_quoted_history_is_folded_and_z_shows_it(desk_store):
    add_mail_answer(desk_store, 1005)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, 1005)
        thread = screen.query_one(ThreadView)
        answer = thread.messages[-1]
        folded = thread.lines_of(answer)
        assert folded[1:] == [
            "It still drops, every [bold]ten[/bold] minutes since Monday.", "", "Bea",
            "… quoted text (6 lines) — z to show"]
        await pilot.press("z")
        await until(pilot, lambda: len(thread.lines_of(answer)) == 10, what="unfolded")
        shown = thread.lines_of(answer)
        assert shown[4:] == [
            "On Fri, 20 Nov 2026 at 09:00, Help Desk <help@desk.example> wrote:",
            "> Hello, could you tell us which model it is?",
            "> [@click=app.quit]Thanks[/], Ada", ">", "> -- ", "> Help Desk"]
        assert all("\x1b" not in line for line in shown)
        await pilot.press("z")
        await until(pilot, lambda: thread.lines_of(answer) == folded, what="folded again")
        assert app.is_running


async def test_z_on_a_thread_without_quotes_says_so(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, 1005)
        before = [screen.query_one(ThreadView).lines_of(m)
                  for m in screen.query_one(ThreadView).messages]
        await pilot.press("z")
        await settle(pilot)
        assert any("No quoted text" in n.message for n in app._notifications)
        assert [screen.query_one(ThreadView).lines_of(m)
                for m in screen.query_one(ThreadView).messages] == before


# --- attachments ---------------------------------------------------------------------------

PDF = b"%PDF-1.4 a small report\n"
HOSTILE_NAME = "../../.bashrc\x1b]52;c;aGk=\x07[b]x[/b]\u202e.txt"


def add_mail_with_files(store) -> int:
    from deskterm.desk.service import Desk

    from ..unit.mail_samples import mail

    desk = Desk(store, username="ada")
    raw = mail(subject="Report attached", message_id="<files@acme.test>", attachments=[
        ("report.pdf", "application/pdf", PDF),
        (HOSTILE_NAME, "text/plain", b"echo pwned\n"),
        ("big.bin", "application/octet-stream", b"\0" * 3 * 1024 * 1024)])
    result = desk.ingest_mail(raw, source="test")
    assert result.outcome == "created"
    return result.ticket_number


async def pick_file(pilot, position: int) -> None:
    from deskterm.screens.pickers import Picker

    await pilot.press("A")
    await settle(pilot)
    assert isinstance(pilot.app.screen, Picker)
    for _ in range(position + 1):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)


async def test_attachments_listed_and_saved_never_overwriting_without_yes(
        desk_store, tmp_path, monkeypatch):
    from deskterm.screens.dialogs import Ask, Confirm
    from deskterm.screens.pickers import Picker
    from deskterm.widgets.editors import SafeInput

    monkeypatch.setenv("HOME", str(tmp_path))
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    number = add_mail_with_files(desk_store)
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, number)
        thread = screen.query_one(ThreadView)
        await until(pilot, lambda: thread.files, what="the files named in the thread")
        named = thread.lines_of(thread.messages[0])[-1]
        assert named.startswith("Attached: report.pdf (24 B) · ")
        assert named.endswith("big.bin (3.0 MB) — A to save")
        assert "\x1b" not in named and "\u202e" not in named
        await pilot.press("A")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, Picker)
        shown = [str(picker.query_one("#picker-options").get_option_at_index(i).prompt)
                 for i in range(3)]
        assert shown[0] == "report.pdf  application/pdf · 24 B"
        assert shown[2] == "big.bin  application/octet-stream · 3.0 MB"
        assert all("\x1b" not in line and "\u202e" not in line for line in shown)
        await pilot.press("down", "enter")
        await settle(pilot)
        ask = app.screen
        assert isinstance(ask, Ask)
        assert ask.query_one("#ask-input", SafeInput).value == str(downloads / "report.pdf")
        await pilot.press("enter")
        await until(pilot, lambda: (downloads / "report.pdf").exists(), what="saved")
        await settle(pilot)
        assert (downloads / "report.pdf").read_bytes() == PDF

        # again: the file is there; enter (or n) keeps it, only y replaces it
        (downloads / "report.pdf").write_bytes(b"mine")
        await pick_file(pilot, 0)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, Confirm)
        await pilot.press("enter")
        await settle(pilot)
        assert (downloads / "report.pdf").read_bytes() == b"mine"
        await pick_file(pilot, 0)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await until(pilot, lambda: (downloads / "report.pdf").read_bytes() == PDF,
                    what="replaced")

        # the hostile name is saved under a clean name in the chosen folder
        await pick_file(pilot, 1)
        value = app.screen.query_one("#ask-input", SafeInput).value
        assert value.startswith(str(downloads) + "/") and "\x1b" not in value
        assert "/.." not in value and "\u202e" not in value
        await pilot.press("enter")
        await settle(pilot)
        await until(pilot, lambda: len(list(downloads.iterdir())) == 2, what="saved")
        saved = [p for p in downloads.iterdir() if p.name != "report.pdf"]
        assert saved[0].read_bytes() == b"echo pwned\n"
        assert not saved[0].name.startswith(".") and "\x1b" not in saved[0].name
        assert not (tmp_path / ".bashrc").exists()
        assert app.is_running


async def test_a_ticket_without_files_says_so(desk_store):
    app = make_app(desk_store)
    async with app.run_test(size=SIZE) as pilot:
        await open_ticket(pilot, 1005)
        await pilot.press("A")
        await settle(pilot)
        assert any("#1005 has no attachments" in n.message for n in app._notifications)


async def test_mail_filed_by_another_process_shows_on_the_open_ticket(any_desk_store):
    """The intake's writes are announced like any other: a running console shows the mail
    (here filed by ``ingest_mail``, one mail a transaction; ``mail fetch`` commits several at
    a time, announced the same way at each commit: test_mail_batch.py)."""
    from deskterm.desk.service import Desk

    from ..unit.mail_samples import mail

    store, number = any_desk_store, 1031
    app = DeskApp(open_desk(store), clock=lambda: NOW, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, number)
        thread = screen.query_one(ThreadView)
        count = len(thread.messages)
        email = screen.detail.requester.email
        fetcher = Desk(store, username="bert")
        result = fetcher.ingest_mail(mail(sender=email, subject=f"Re: [#{number}] still down",
                                          message_id="<live@example.test>",
                                          body=QUOTED_MAIL), source="imap:test uid 1")
        assert (result.outcome, result.ticket_number) == ("appended", number)
        await until(pilot, lambda: len(thread.messages) == count + 1, timeout=5,
                    what="the mail in the thread")
        assert thread.lines_of(thread.messages[-1])[-1] == "… quoted text (6 lines) — z to show"


def test_snapshot_folded_quote_at_80x24(desk_store, snap_compare):
    """The customer's answer by mail, its quoted history one dim line and its files named,
    in the smallest terminal."""
    from deskterm.desk.service import Desk

    from ..unit.mail_samples import mail

    with desk_store.read() as session:
        email = tickets.get_ticket(session, number=1005).requester.email
    result = Desk(desk_store, username="ada").ingest_mail(mail(
        sender=email, subject="Re: [#1005] printer", message_id="<snap@example.pl>",
        body=QUOTED_MAIL, attachments=[("log.txt", "text/plain", b"x" * 2000),
                                       ("photo.jpg", "image/jpeg", b"y" * 150_000)]),
        source="test")
    assert result.outcome == "appended"

    def older(session) -> None:
        session.exec(update(Message).where(Message.id == result.message_db_id)
                     .values(created_at=NOW - timedelta(minutes=5)))

    desk_store.write(older)

    async def ready(pilot):
        await settle(pilot)
        pilot.app.screen.go_to_ticket(1005)
        await settle(pilot)

    assert snap_compare(make_app(desk_store), terminal_size=(80, 24), run_before=ready)
