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
