"""Mail in, mail out, mail in again, on both stores: a customer's mail opens a ticket and is
acknowledged, the agent's reply reaches the customer through a real SMTP server (aiosmtpd), and
the customer's answer to it threads back to the same ticket; the desk's own acknowledgement
coming back never opens a ticket or starts a loop."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlmodel import func, select

from deskterm.db.models import OutboxMail, Ticket
from deskterm.desk.service import Desk

from ..smtp_server import smtp_server


@pytest.fixture
def desk(store, admin) -> Desk:
    desk = Desk(store, admin)
    desk.set_mail_settings(from_address="help@desk.test", from_name="Acme Help")
    return desk


def _customer_mail(*, subject: str, body: str, message_id: str,
                   in_reply_to: str | None = None) -> bytes:
    mail = EmailMessage(policy=policy.SMTP)
    mail["From"] = "Carol Chen <carol@acme.test>"
    mail["To"] = "help@desk.test"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{message_id}>"
    mail["Date"] = "Mon, 07 Dec 2026 09:00:00 +0000"
    if in_reply_to:
        mail["In-Reply-To"] = f"<{in_reply_to}>"
        mail["References"] = f"<{in_reply_to}>"
    mail.set_content(body)
    return mail.as_bytes()


def _count(store, model) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_a_customer_is_acknowledged_answered_and_their_answer_threads_back(store, desk):
    filed = desk.ingest_mail(_customer_mail(subject="VPN drops", body="Every hour.",
                                            message_id="q1@acme.test"), source="test")
    assert (filed.outcome, filed.ticket_number) == ("created", 1001)
    desk.send(1001, body="Please renew the lease.")

    with smtp_server() as server:
        report = desk.drain_outbox(server.config())
        ack, reply = (message_from_bytes(r.data, policy=policy.default) for r in server.received)

    assert report.sent == 2
    assert ack["Subject"] == "[#1001] VPN drops"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == "<q1@acme.test>"
    assert reply["Subject"] == "Re: [#1001] VPN drops"
    assert reply["In-Reply-To"] == "<q1@acme.test>"
    answer = _customer_mail(subject=f"RE: {reply['Subject']}", body="Renewed, works now.",
                            message_id="q2@acme.test",
                            in_reply_to=reply["Message-ID"].strip("<>"))
    threaded = desk.ingest_mail(answer, source="test")

    assert (threaded.outcome, threaded.ticket_number) == ("appended", 1001)
    assert desk.open_ticket(1001).messages[-1].body.startswith("Renewed, works now.")
    assert _count(store, OutboxMail) == 2  # an answer on a ticket is not acknowledged


def test_the_desks_own_acknowledgement_coming_back_opens_nothing(store, desk):
    desk.ingest_mail(_customer_mail(subject="Printer", body="Jams.", message_id="p1@acme.test"),
                     source="test")
    with smtp_server() as server:
        desk.drain_outbox(server.config())
        (ack,) = server.received

    again = desk.ingest_mail(ack.data, source="loop")

    assert again.acknowledge is False
    assert _count(store, Ticket) == 1
    assert _count(store, OutboxMail) == 1
