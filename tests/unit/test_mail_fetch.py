"""``mail fetch`` end to end against a real dovecot (tests/imap_server.py) on both stores:
tickets and answers filed, seen or moved only after, a re-fetch and a crash between filing and
\\Seen adding nothing, --limit, a quarantined message not stopping the run, refusals as one
line without the password, the exit codes."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from deskterm.db.models import Ticket
from deskterm.desk.mail import imap
from deskterm.desk.service import Desk
from deskterm.desk.tickets.ticket import get_ticket

from .mail_samples import mail

SEEN = b"\\Seen"


@pytest.fixture
def desk(store, admin) -> Desk:
    return Desk(store, username="ada")


def ticket_count(store) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(Ticket)).one()


def three_mails() -> list[bytes]:
    return [
        mail(subject="VPN drops", message_id="<a1@acme.test>"),
        mail(sender="Bea Chen <bea@globex.test>", subject="Invoice twice",
             message_id="<b1@globex.test>", body="Charged twice."),
        mail(subject="Re: VPN drops", message_id="<a2@acme.test>", in_reply_to="<a1@acme.test>",
             body="Still dropping.\n\nOn Mon, Help Desk wrote:\n> Which model?\n> Thanks"),
    ]


def test_fetch_files_tickets_and_answers_then_marks_them_seen(desk, store, imap_server):
    user = imap_server.add_user()
    imap_server.append(user, *three_mails())
    report = desk.fetch_mail(imap_server.settings(user))
    assert report.outcomes == {"created": 2, "appended": 1}
    with store.read() as session:
        first = get_ticket(session, number=1001)
    assert first.ticket.channel == "email" and len(first.messages) == 2
    assert first.messages[1].body.startswith("Still dropping.")
    assert all(SEEN in flags for flags in imap_server.flags(user).values())


def test_a_refetch_of_unseen_mail_adds_nothing(desk, store, imap_server):
    user = imap_server.add_user()
    imap_server.append(user, *three_mails())
    desk.fetch_mail(imap_server.settings(user, security="starttls"))
    with imap_server.client(user) as client:  # someone marks them unread again
        client.select_folder("INBOX")
        client.remove_flags(client.search("ALL"), [SEEN])
    again = desk.fetch_mail(imap_server.settings(user, security="starttls"))
    assert again.outcomes == {"duplicate": 3}
    assert ticket_count(store) == 2


def test_a_crash_between_filing_and_seen_gives_a_duplicate_not_a_ticket(
        desk, store, imap_server, monkeypatch):
    user = imap_server.add_user()
    imap_server.append(user, mail(message_id="<crash@acme.test>"))

    def crash(*_args, **_kwargs):
        raise ConnectionResetError("the connection dropped")

    monkeypatch.setattr(imap, "_after", crash)  # the process dies right after the commit
    with pytest.raises(ConnectionResetError):
        desk.fetch_mail(imap_server.settings(user))
    assert ticket_count(store) == 1
    assert SEEN not in imap_server.flags(user)[1]
    monkeypatch.undo()
    report = desk.fetch_mail(imap_server.settings(user))
    assert report.outcomes == {"duplicate": 1}
    assert ticket_count(store) == 1
    assert SEEN in imap_server.flags(user)[1]


def test_move_after_filing(desk, imap_server):
    user = imap_server.add_user()
    imap_server.append(user, *three_mails())
    report = desk.fetch_mail(imap_server.settings(user, after="move", move_to="Filed"))
    assert report.fetched == 3
    assert imap_server.flags(user) == {}
    assert len(imap_server.flags(user, "Filed")) == 3


def test_a_quarantined_message_does_not_stop_the_run(desk, store, imap_server):
    user = imap_server.add_user()
    no_sender = b"Subject: no sender\r\nMessage-ID: <q@x.test>\r\n\r\nhello\r\n"
    imap_server.append(user, mail(message_id="<g1@acme.test>"), no_sender,
                       mail(subject="Printer", message_id="<g2@acme.test>"))
    report = desk.fetch_mail(imap_server.settings(user))
    assert report.outcomes == {"created": 2, "quarantined": 1}
    assert report.quarantined == 1
    (kept,) = desk.mail_quarantine()
    assert kept.source == "imap:127.0.0.1/INBOX uid 2"
    assert desk.quarantined_mail(kept.id)[1] == no_sender
    assert all(SEEN in flags for flags in imap_server.flags(user).values())
