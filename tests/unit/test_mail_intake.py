"""The intake files a customer's mail: a new ticket, a message on the ticket it answers, or
nothing twice; on both stores."""

from __future__ import annotations

import pytest
from sqlmodel import select

from deskterm.db.models import Attachment, Customer, Organization
from deskterm.desk.mail.intake import Ingested, Unparsable, ingest
from deskterm.desk.service import Desk
from deskterm.desk.tickets.ticket import get_ticket

from .mail_samples import mail


@pytest.fixture
def desk(store, admin) -> Desk:
    return Desk(store, username="ada")


def test_a_new_mail_opens_an_email_ticket_for_a_new_requester(desk, store):
    result = desk.ingest_mail(mail(), source="test#1")

    assert (result.outcome, result.ticket_number, result.acknowledge) == ("created", 1001, True)
    with store.read() as session:
        detail = get_ticket(session, number=1001)
    assert detail.ticket.subject == "VPN drops"
    assert detail.ticket.channel == "email"
    assert detail.requester.email == "giulia@acme.test"
    assert detail.requester.name == "Giulia Wright"
    assert detail.messages[0].body.strip() == "The VPN drops every hour."
    assert [e.actor for e in detail.events] == [None]  # filed by the desk, not by an agent


def test_the_same_mail_twice_is_a_duplicate_and_adds_nothing(desk, store):
    desk.ingest_mail(mail(), source="test#1")
    again = desk.ingest_mail(mail(), source="test#1")

    assert (again.outcome, again.ticket_number, again.acknowledge) == ("duplicate", 1001, False)
    with store.read() as session:
        assert len(get_ticket(session, number=1001).messages) == 1


def test_an_answer_threads_by_in_reply_to(desk, store):
    desk.ingest_mail(mail(), source="t")
    answer = desk.ingest_mail(mail(message_id="<m2@acme.test>", subject="Re: VPN drops",
                                   body="Still dropping.", in_reply_to="<m1@acme.test>"),
                              source="t")

    assert (answer.outcome, answer.ticket_number, answer.acknowledge) == ("appended", 1001,
                                                                          False)
    with store.read() as session:
        assert [m.body.strip() for m in get_ticket(session, number=1001).messages] == [
            "The VPN drops every hour.", "Still dropping."]


def test_ingest_raises_unparsable_for_mail_without_a_sender(store, admin):
    with pytest.raises(Unparsable, match="no sender"), store.read() as session:
        ingest(session, b"Subject: hi\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n", source="t")


def test_an_attachment_is_stored_with_its_size_and_digest(desk, store):
    result = desk.ingest_mail(mail(attachments=[("../../etc/log.txt", "text/plain",
                                                 b"line 1\n")]), source="t")

    with store.read() as session:
        (row,) = session.exec(select(Attachment)).all()
        assert (row.message_id, row.filename, row.size, row.data) == (
            result.message_db_id, "log.txt", 7, b"line 1\n")


def test_a_new_requester_joins_the_organization_of_a_parent_domain(desk, store):
    store.write(lambda s: s.add(Organization(name="Acme", domain="acme.test")))
    desk.ingest_mail(mail(sender="ops@eu.acme.test"), source="t")

    with store.read() as session:
        customer = session.exec(select(Customer).where(Customer.email == "ops@eu.acme.test")
                                ).one()
        org = session.get(Organization, customer.organization_id)
    assert org.name == "Acme"


def test_an_unparsable_mail_is_quarantined_whole_with_its_reason(desk):
    raw = b"Subject: no sender\r\n\r\nhello\r\n"
    result = desk.ingest_mail(raw, source="mbox:/tmp/x#3")

    assert isinstance(result, Ingested)
    assert result.outcome == "quarantined"
    (kept,) = desk.mail_quarantine()
    assert (kept.source, kept.reason) == ("mbox:/tmp/x#3", "no sender address (From)")
    assert desk.quarantined_mail(kept.id)[1] == raw


# --- machines ---------------------------------------------------------------------------------

MACHINE_HEADERS = {
    "Auto-Submitted": {"Auto-Submitted": "auto-replied"},
    "Precedence bulk": {"Precedence": "bulk"},
    "Precedence junk": {"Precedence": "junk"},
    "Precedence list": {"Precedence": "list"},
    "X-Autoreply": {"X-Autoreply": "yes"},
    "X-Autorespond": {"X-Autorespond": "Out of office"},
}


@pytest.mark.parametrize("headers", MACHINE_HEADERS.values(), ids=MACHINE_HEADERS.keys())
def test_an_auto_reply_never_opens_a_ticket(desk, store, headers):
    result = desk.ingest_mail(mail(headers=headers), source="t")

    assert (result.outcome, result.ticket_number, result.acknowledge) == (
        "auto-reply-skipped", None, False)
    with store.read() as session:
        assert session.exec(select(Customer)).all() == []


def test_auto_submitted_no_is_a_person(desk):
    result = desk.ingest_mail(mail(headers={"Auto-Submitted": "no"}), source="t")

    assert (result.outcome, result.acknowledge) == ("created", True)


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.acme.test", "postmaster@acme.test"])
def test_a_bounce_from_the_mail_system_never_opens_a_ticket(desk, sender):
    assert desk.ingest_mail(mail(sender=sender), source="t").outcome == "auto-reply-skipped"


def test_a_delivery_report_never_opens_a_ticket(desk):
    raw = (b"From: mx@acme.test\r\nMessage-ID: <r@acme.test>\r\nSubject: Delivery Status\r\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n"
           b"--r\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n--r--\r\n")

    assert desk.ingest_mail(raw, source="t").outcome == "auto-reply-skipped"


def test_an_out_of_office_answer_to_a_ticket_is_kept_internal_without_reopening_it(desk, store,
                                                                                    admin):
    desk.ingest_mail(mail(), source="t")
    desk.send(number=1001, kind="reply", body="Try again.", status="pending")
    ooo = desk.ingest_mail(mail(message_id="<ooo@acme.test>", subject="Out of office",
                                body="Back Monday.", in_reply_to="<m1@acme.test>",
                                headers={"Auto-Submitted": "auto-replied"}), source="t")

    assert (ooo.outcome, ooo.ticket_number, ooo.acknowledge) == ("auto-reply-appended", 1001,
                                                                 False)
    with store.read() as session:
        detail = get_ticket(session, number=1001)
    assert detail.ticket.status == "pending"
    last = detail.messages[-1]
    assert not last.public
    assert last.body == "[automatic mail: Auto-Submitted: auto-replied]\n\nBack Monday."


# --- threading --------------------------------------------------------------------------------


def test_a_reference_deeper_in_references_threads_too(desk):
    desk.ingest_mail(mail(), source="t")
    result = desk.ingest_mail(mail(message_id="<m3@acme.test>",
                                   references="<m1@acme.test> <unknown@elsewhere.test>"),
                              source="t")

    assert (result.outcome, result.ticket_number) == ("appended", 1001)


def test_the_ticket_number_in_the_subject_threads_a_mail_from_the_requester(desk):
    desk.ingest_mail(mail(), source="t")
    result = desk.ingest_mail(mail(message_id="<new@acme.test>", subject="Re: [#1001] VPN"),
                              source="t")

    assert (result.outcome, result.ticket_number) == ("appended", 1001)


def test_a_strangers_mail_naming_a_ticket_number_opens_its_own_ticket(desk):
    desk.ingest_mail(mail(), source="t")
    result = desk.ingest_mail(mail(sender="eve@elsewhere.test", message_id="<e@elsewhere.test>",
                                   subject="[#1001] let me in"), source="t")

    assert (result.outcome, result.ticket_number) == ("created", 1002)


def test_a_subject_naming_no_existing_ticket_opens_one(desk):
    result = desk.ingest_mail(mail(subject="[#99999] old number"), source="t")

    assert (result.outcome, result.ticket_number) == ("created", 1001)


def test_an_answer_to_a_merged_ticket_goes_to_the_ticket_it_was_merged_into(desk):
    desk.ingest_mail(mail(), source="t")
    desk.ingest_mail(mail(message_id="<other@acme.test>", subject="Also VPN"), source="t")
    desk.merge(1001, into=1002)

    result = desk.ingest_mail(mail(message_id="<m4@acme.test>", in_reply_to="<m1@acme.test>"),
                              source="t")

    assert (result.outcome, result.ticket_number) == ("appended", 1002)


def test_an_answer_to_a_solved_ticket_reopens_it(desk, store):
    desk.ingest_mail(mail(), source="t")
    desk.send(number=1001, kind="reply", body="Fixed.", status="solved")
    desk.ingest_mail(mail(message_id="<m5@acme.test>", in_reply_to="<m1@acme.test>"), source="t")

    with store.read() as session:
        assert get_ticket(session, number=1001).ticket.status == "open"


# --- text and files ---------------------------------------------------------------------------


def test_html_only_mail_is_read_as_text(desk, store):
    from .mail_samples import html_only

    desk.ingest_mail(html_only("<p>Hello,</p><p>the <b>printer</b> is down.<script>x()</script>"
                               "</p>"), source="t")

    with store.read() as session:
        assert get_ticket(session, number=1001).messages[0].body == (
            "Hello,\n\nthe printer is down.")


def test_the_text_part_is_preferred_to_the_html_one(desk, store):
    desk.ingest_mail(mail(body="plain words", html="<p>html words</p>"), source="t")

    with store.read() as session:
        assert get_ticket(session, number=1001).messages[0].body.strip() == "plain words"


def test_an_attachment_over_its_cap_is_named_in_the_text_and_not_kept(desk, store):
    from deskterm.desk.mail.intake import MailCaps

    caps = MailCaps(max_attachment_bytes=1_000)
    desk.ingest_mail(mail(attachments=[("big.bin", "application/octet-stream", b"x" * 5_000),
                                       ("small.txt", "text/plain", b"ok")]),
                     source="t", caps=caps)

    with store.read() as session:
        body = get_ticket(session, number=1001).messages[0].body
        names = session.exec(select(Attachment.filename)).all()
    assert "[attachment big.bin (5,000 bytes) not kept: over the 1,000 bytes limit per file]" \
        in body
    assert names == ["small.txt"]


def test_a_text_longer_than_a_message_is_cut_and_kept_whole_as_a_file(desk, store):
    text = "word " * 220_000
    desk.ingest_mail(mail(body=text), source="t")

    with store.read() as session:
        body = get_ticket(session, number=1001).messages[0].body
        (kept,) = session.exec(select(Attachment)).all()
        assert kept.filename == "message.txt"
        assert kept.data.decode().strip() == text.strip()
    assert len(body) < 1_000_000 and body.endswith("the attachment message.txt]")


def test_the_same_mail_filed_by_two_processes_at_once_is_one_ticket(store, admin):
    import threading

    raws = [mail(), mail()]
    results: list[Ingested] = []
    start = threading.Barrier(2)

    def file(raw: bytes) -> None:
        desk = Desk(store, username="ada")
        desk.actor  # noqa: B018  (resolved before the race)
        start.wait()
        results.append(desk.ingest_mail(raw, source="t"))

    threads = [threading.Thread(target=file, args=(raw,)) for raw in raws]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.outcome for r in results) == ["created", "duplicate"]
    assert {r.ticket_number for r in results} == {1001}
    with store.read() as session:
        assert len(get_ticket(session, number=1001).messages) == 1
