"""Hostile and broken mail through the whole intake (``Desk.ingest_mail``), on both stores:
each is filed with what can be read, or quarantined whole with its reason; never a traceback,
never half-applied."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from deskterm.db.models import Customer, MailQuarantine, Message, Ticket
from deskterm.desk.errors import InvalidInput
from deskterm.desk.service import Desk
from deskterm.desk.tickets.ticket import get_ticket

from .mail_samples import mail

HEAD = b"From: Giulia <giulia@acme.test>\r\nSubject: t\r\nMessage-ID: <a@acme.test>\r\n"
MULTIPART = HEAD + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"


@pytest.fixture
def desk(store, admin) -> Desk:
    return Desk(store, username="ada")


def _count(store, model) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _first_message(store) -> tuple[str, str, str, str]:
    with store.read() as session:
        detail = get_ticket(session, number=1001)
    return (detail.requester.email, detail.requester.name, detail.ticket.subject,
            detail.messages[0].body)


# --- filed with what can be read ------------------------------------------------------------

FILED = {
    "truncated MIME": (
        MULTIPART + b"--b\r\nContent-Type: text/plain\r\n\r\nhalf a sent",
        ("giulia@acme.test", "Giulia", "t", "half a sent")),
    "a missing boundary": (
        HEAD + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\n"
        b"Content-Type: text/plain\r\n\r\nhello\r\n--x--\r\n",
        ("giulia@acme.test", "Giulia", "t", "--x\nContent-Type: text/plain\n\nhello\n--x--")),
    "an unknown charset holding UTF-8": (
        HEAD + b"Content-Type: text/plain; charset=x-klingon\r\n\r\ncaf\xc3\xa9\r\n",
        ("giulia@acme.test", "Giulia", "t", "café")),
    "an unknown charset holding Latin-1": (
        HEAD + b"Content-Type: text/plain; charset=x-klingon\r\n\r\ncaf\xe9\r\n",
        ("giulia@acme.test", "Giulia", "t", "café")),
    "bytes that are not the declared UTF-8": (
        HEAD + b"Content-Type: text/plain; charset=utf-8\r\n\r\nna\xefve \x80\r\n",
        ("giulia@acme.test", "Giulia", "t", "naïve €")),
    "non-UTF-8 bytes in the headers": (
        b"From: G\xe9rard <gerard@acme.test>\r\nSubject: caf\xe9\r\nMessage-ID: <g@acme.test>"
        b"\r\n\r\nbody\r\n",
        ("gerard@acme.test", "Gérard", "café", "body")),
    "an encoded word hiding a line break and a Bcc in the name": (
        b"From: =?utf-8?q?Evil=0D=0ABcc:_x@y.test?= <e@acme.test>\r\n"
        b"Subject: =?utf-8?q?hi=0D=0ABcc:_x@y.test?=\r\nMessage-ID: <e@acme.test>\r\n\r\nb\r\n",
        ("e@acme.test", "Evil Bcc: x@y.test", "hi Bcc: x@y.test", "b")),
    "broken encoded words": (
        b"From: =?utf-8?b?!!!!?= <e@acme.test>\r\nSubject: =?utf-8?B?8J+YgA==?= "
        b"=?x-none?q?=FF?=\r\nMessage-ID: <w@acme.test>\r\n\r\nb\r\n",
        ("e@acme.test", "e", "😀\ufffd", "b")),
    "a continuation line trying to add a header": (
        b"From: a@acme.test\r\n\tBcc: evil@x.test\r\nSubject: x\r\nMessage-ID: <i@acme.test>"
        b"\r\n\r\nb\r\n",
        ("a@acme.test", "a", "x", "b")),
    "escape sequences and NUL in the text": (
        HEAD + b"\r\nhello \x1b]52;c;ZXZpbA==\x07 \x00world\r\n",
        ("giulia@acme.test", "Giulia", "t", "hello \x1b]52;c;ZXZpbA==\x07 world")),
    "base64 that is not base64": (
        HEAD + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!@@\r\n",
        ("giulia@acme.test", "Giulia", "t", "!!@@")),
}


@pytest.mark.parametrize("raw, expected", FILED.values(), ids=FILED.keys())
def test_broken_mail_is_filed_with_what_can_be_read(desk, store, raw, expected):
    result = desk.ingest_mail(raw, source="test")

    assert result.outcome == "created", result.reason
    email, name, subject, body = _first_message(store)
    assert (email, name, subject, body.strip()) == expected


def test_a_mail_without_message_id_is_still_filed_once(desk, store):
    raw = b"From: a@acme.test\r\nSubject: no id\r\n\r\nbody\r\n"

    assert desk.ingest_mail(raw, source="t").outcome == "created"
    assert desk.ingest_mail(raw, source="t").outcome == "duplicate"
    assert _count(store, Ticket) == 1


def test_hostile_attachment_names_and_types_are_stored_cleaned(desk, store):
    from deskterm.db.models import Attachment

    raw = (b"From: a@acme.test\r\nMessage-ID: <c@acme.test>\r\nContent-Type: multipart/mixed; "
           b"boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n"
           b"Content-Type: appl\xffication/x-\xe9\r\nContent-Disposition: attachment; "
           b"filename=\"..\\\\..\\\\\x1b]0;pwn\x07\xe9t\xe9\x00.txt\"\r\n\r\ndata\r\n"
           b"--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; "
           b"filename=\"/etc/passwd\"\r\n\r\npng\r\n--b--\r\n")

    assert desk.ingest_mail(raw, source="t").outcome == "created"
    with store.read() as session:
        rows = session.exec(select(Attachment.filename, Attachment.content_type)
                            .order_by(Attachment.id)).all()
    assert [name for name, _ in rows] == ["\ufffdt\ufffd.txt", "passwd"]
    assert all(ch.isprintable() for name, kind in rows for ch in name + kind)


# --- quarantined whole -------------------------------------------------------------------------


def _parts(count: int) -> bytes:
    return MULTIPART + b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npart\r\n"
                                for _ in range(count)) + b"--b--\r\n"


def _nested(depth: int) -> bytes:
    raw = HEAD + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for level in range(1, depth):
        raw += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (level - 1,
                                                                                 level)
    return raw + b"--b%d\r\nContent-Type: text/plain\r\n\r\ndeep\r\n" % (depth - 1)


QUARANTINED = {
    "10,000 parts": (_parts(10_000), "over the cap of 500 parts"),
    "a 1 MB header": (b"From: a@acme.test\r\nX-Big: " + b"a" * 1024 * 1024 + b"\r\n\r\nb",
                      "the header is over 262,144 bytes"),
    "5,000 header fields": (b"From: a@acme.test\r\n" + b"X-A: b\r\n" * 5_000 + b"\r\nb",
                            "the header holds 5,001 fields"),
    "parts nested 60 deep": (_nested(60), "nested over 20 deep"),
    "a message over the size cap": (HEAD + b"\r\n" + b"x" * (26 * 1024 * 1024),
                                    "over the cap of 26,214,400"),
    "no sender": (b"Subject: hi\r\n\r\nbody\r\n", "no sender address"),
    "binary garbage": (b"\xff\xfe\x00\x01" * 64, "no sender address"),
    "an empty message": (b"\r\n\r\n", "the message is empty"),
    "a sender that is not an address": (b"From: <not an address>\r\n\r\nb", "no sender"),
}


@pytest.mark.parametrize("raw, reason", QUARANTINED.values(), ids=QUARANTINED.keys())
def test_absurd_mail_is_quarantined_whole_with_its_reason(desk, store, raw, reason):
    result = desk.ingest_mail(raw, source="mbox:/in#1")

    assert result.outcome == "quarantined"
    assert reason in result.reason
    kept, stored = desk.quarantined_mail(result.quarantine_id)
    assert stored == raw and reason in kept.reason
    assert _count(store, Ticket) == _count(store, Message) == 0


def test_quarantining_the_same_bytes_again_keeps_one_copy(desk, store):
    raw = b"Subject: hi\r\n\r\nbody\r\n"

    first = desk.ingest_mail(raw, source="a")
    second = desk.ingest_mail(raw, source="b")

    assert (first.outcome, second.outcome) == ("quarantined", "already-quarantined")
    assert second.quarantine_id == first.quarantine_id
    assert _count(store, MailQuarantine) == 1


def test_a_mail_refused_midway_leaves_nothing_behind_and_is_quarantined(store, admin):
    class RefusingDesk(Desk):
        def on_ingested(self, session, ingested):
            raise InvalidInput("the acknowledgement template is broken")

    desk = RefusingDesk(store, username="ada")
    result = desk.ingest_mail(mail(), source="t")

    assert result.outcome == "quarantined"
    assert result.reason == "the desk refused it: the acknowledgement template is broken"
    assert _count(store, Ticket) == _count(store, Message) == _count(store, Customer) == 0


def test_a_retry_after_the_cause_is_fixed_files_it_and_empties_the_quarantine(store, admin):
    class RefusingDesk(Desk):
        def on_ingested(self, session, ingested):
            raise InvalidInput("broken")

    kept = RefusingDesk(store, username="ada").ingest_mail(mail(), source="t")
    retried = Desk(store, username="ada").retry_quarantined(kept.quarantine_id)

    assert (retried.outcome, retried.ticket_number) == ("created", 1001)
    assert _count(store, MailQuarantine) == 0
