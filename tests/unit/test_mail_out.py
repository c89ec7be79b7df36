"""E-mail out on both stores: a public reply queued with its reply, composed once, sent to a real
SMTP server (aiosmtpd on loopback), retried with backoff when refused, never sent twice, and the
thread's marks; acknowledgements; hostile values never make a header."""

from __future__ import annotations

import threading
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlmodel import select

from deskterm.db.engine import Store
from deskterm.db.models import Customer, Message, OutboxMail, Ticket
from deskterm.db.types import utcnow
from deskterm.desk.errors import InvalidInput, PermissionDenied
from deskterm.desk.mail import sending
from deskterm.desk.mail import settings as mail_settings
from deskterm.desk.mail.compose import compose
from deskterm.desk.service import Desk
from deskterm.desk.tickets import macros, thread
from deskterm.desk.tickets import ticket as tickets

from ..smtp_server import nothing_listening, smtp_server
from .helpers import detail, new_ticket

HOSTILE = "Carol\r\nBcc: victim@evil.test\r\n\r\nInjected body\x00\x1b[31m\u2028X-Evil: 1\x85"


@pytest.fixture
def desk(store, admin) -> Desk:
    return Desk(store, admin)


@pytest.fixture
def mail_on(store, admin):
    """The desk e-mails its replies from help@desk.test."""
    return store.write(lambda s: mail_settings.update_settings(
        s, from_address="help@desk.test", from_name="Acme Help"))


def _rows(store) -> list[OutboxMail]:
    with store.read() as session:
        return list(session.exec(select(OutboxMail).order_by(OutboxMail.id)).all())


def _mail(raw: bytes):
    return message_from_bytes(raw, policy=policy.default)


def _text(raw_or_mail) -> str:
    """The text of a mail as the customer reads it (line ends as Python's)."""
    mail = _mail(raw_or_mail) if isinstance(raw_or_mail, bytes) else raw_or_mail
    return mail.get_content().replace("\r\n", "\n")


def _ticket_from_mail(store, admin, *, message_id="first@acme.test", **fields):
    return store.write(lambda s: tickets.create_ticket(
        s, actor=None, requester_email=fields.pop("email", "carol@acme.test"),
        requester_name=fields.pop("name", "Carol Chen"), subject=fields.pop(
            "subject", "Printer jams on page 2"), body="Every second page jams.",
        channel="email", source_message_id=message_id))


# --- queueing ------------------------------------------------------------------------------------


def test_a_public_reply_is_queued_with_its_message_id_and_threading_headers(store, admin, desk,
                                                                               mail_on):
    _ticket_from_mail(store, admin, message_id="first@acme.test")
    store.write(lambda s: tickets.add_customer_message(s, number=1001, body="Still jams",
                                                       source_message_id="second@acme.test"))

    desk.send(1001, body="Please try the other tray.")

    (row,) = _rows(store)
    assert (row.kind, row.state, row.to_address) == ("reply", "queued", "carol@acme.test")
    mail = _mail(row.raw)
    assert mail["Subject"] == "Re: [#1001] Printer jams on page 2"
    assert mail["From"].addresses[0].addr_spec == "help@desk.test"
    assert mail["From"].addresses[0].display_name == "Acme Help"
    assert mail["To"].addresses[0].addr_spec == "carol@acme.test"
    assert mail["In-Reply-To"] == "<second@acme.test>"
    assert mail["References"].split() == ["<first@acme.test>", "<second@acme.test>"]
    assert _text(mail) == "Please try the other tray.\n"
    with store.read() as session:
        reply = session.exec(select(Message).where(Message.id == row.message_id)).one()
    assert reply.source_message_id == row.rfc_message_id
    assert mail["Message-ID"] == f"<{row.rfc_message_id}>"
    assert row.rfc_message_id.endswith("@desk.test")


def test_the_next_reply_references_the_first_so_the_thread_stays_whole(store, admin, desk,
                                                                        mail_on):
    _ticket_from_mail(store, admin, message_id="first@acme.test")
    desk.send(1001, body="One")
    desk.send(1001, body="Two")

    first, second = _rows(store)
    assert _mail(second.raw)["References"].split() == [  # (folded where long: split)
        "<first@acme.test>", f"<{first.rfc_message_id}>"]
    assert _mail(second.raw)["In-Reply-To"] == "<first@acme.test>"  # the customer's, answered


def test_notes_customer_messages_and_a_desk_with_mail_off_queue_nothing(store, admin, desk):
    new_ticket(store, admin)
    desk.send(1001, body="mail is off")
    assert _rows(store) == []

    store.write(lambda s: mail_settings.update_settings(s, from_address="help@desk.test"))
    desk.send(1001, body="internal only", kind="note")
    desk.send(1001, body="the customer said so", kind="customer")
    assert _rows(store) == []

    store.write(lambda s: mail_settings.update_settings(s, enabled=False))
    desk.send(1001, body="off again")
    assert _rows(store) == []


def test_a_reply_refused_leaves_no_mail_behind(store, admin, desk, mail_on):
    new_ticket(store, admin)
    with pytest.raises(InvalidInput):
        desk.send(1001, body="   ")  # refused: an empty reply

    assert _rows(store) == []


def test_a_macro_reply_and_a_solved_problem_queue_their_replies(store, admin, desk, mail_on):
    new_ticket(store, admin)
    new_ticket(store, admin, requester_email="dan@acme.test", subject="Second")
    store.write(lambda s: macros.add_macro(s, actor=admin, name="thanks",
                                           body="Thanks {{requester.first_name}}!", actions={}))
    desk.send(1001, body=None, macro="thanks")
    desk.send(1002, body=None, macro="thanks", kind="note")

    (row,) = _rows(store)
    assert row.ticket_id == 1001
    assert _text(row.raw) == "Thanks carol!\n"  # (a name from the address)


def test_hostile_names_and_subjects_never_make_a_header(store, admin, desk, mail_on):
    new_ticket(store, admin)

    def poison(session):
        customer = session.exec(select(Customer)).one()
        customer.name = HOSTILE.replace("\x00", "")  # (PostgreSQL keeps no NUL)
        ticket = session.get(Ticket, 1001)
        ticket.subject = "Hi\r\nBcc: victim@evil.test\nX-Evil: yes"
        session.add(customer)
        session.add(ticket)

    store.write(poison)
    desk.send(1001, body="Body\r\nBcc: not-a-header@evil.test")

    (row,) = _rows(store)
    mail = _mail(row.raw)
    assert sorted(mail.keys()) == sorted([
        "From", "To", "Subject", "Date", "Message-ID", "X-Deskterm-Ticket", "Content-Type",
        "Content-Transfer-Encoding", "MIME-Version"])
    assert "Bcc" not in mail and "X-Evil" not in mail
    assert mail["To"].addresses[0].addr_spec == "carol@acme.test"
    assert "\n" not in str(mail["Subject"]) and "\n" not in str(mail["To"])
    head = row.raw.split(b"\r\n\r\n", 1)[0]
    assert not any(line.lower().startswith((b"bcc", b"x-evil")) for line in head.split(b"\r\n"))


def test_composing_with_every_value_hostile_makes_only_its_own_headers():
    raw = compose(from_address="help@desk.test", from_name=HOSTILE, to_address="carol@acme.test",
                  to_name=HOSTILE, subject=HOSTILE, body=HOSTILE, date=utcnow(),
                  thread=(["ok@acme.test", "x@y\r\nBcc: victim@evil.test", "<a b@c>"],
                          "x@y\r\nBcc: victim@evil.test"),
                  ticket_ref="#1\r\nBcc: x").raw

    mail = _mail(raw)
    assert set(mail.keys()) == {"From", "To", "Subject", "Date", "Message-ID", "References",
                                "X-Deskterm-Ticket", "Content-Type",
                                "Content-Transfer-Encoding", "MIME-Version"}
    assert mail["References"] == "<ok@acme.test>"
    assert [a.addr_spec for a in mail["To"].addresses] == ["carol@acme.test"]
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc" not in head and b"\nX-Evil" not in head and b"\nInjected" not in head


def test_a_requester_the_desk_cannot_write_to_gets_a_failed_mail_saying_why(store, admin, desk,
                                                                             mail_on):
    new_ticket(store, admin, requester_email="jürgen@acme.test")

    desk.send(1001, body="Hello")

    (row,) = _rows(store)
    assert row.state == "failed" and row.raw is None
    assert "plain ASCII" in row.last_error
    assert detail(store, 1001).messages[-1].mail.state == "failed"


# --- sending -------------------------------------------------------------------------------------


def test_the_outbox_sends_the_stored_bytes_once(store, admin, desk, mail_on):
    new_ticket(store, admin)
    desk.send(1001, body="On its way")

    with smtp_server() as server:
        report = desk.drain_outbox(server.config())
        again = desk.drain_outbox(server.config())
        received = server.received

    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    assert again.handled == 0
    (row,) = _rows(store)
    assert row.state == "sent" and row.sent_at is not None and row.attempts == 1
    (got,) = received
    assert got.sender == "help@desk.test" and got.recipients == ["carol@acme.test"]
    assert _mail(got.data)["Message-ID"] == f"<{row.rfc_message_id}>"
    assert detail(store, 1001).messages[-1].mail.state == "sent"


def test_a_refusing_server_gets_the_mail_later_with_backoff_and_only_once(store, admin, desk,
                                                                          mail_on):
    new_ticket(store, admin)
    desk.send(1001, body="Patience")
    start = utcnow()
    at = {"now": start}

    with smtp_server(refuse_first=2) as server:
        def drain():
            return sending.drain(store, server.config(), clock=lambda: at["now"])

        assert drain().retried == 1
        (row,) = _rows(store)
        assert (row.state, row.attempts) == ("queued", 1)
        assert row.next_attempt_at == start + timedelta(minutes=1)
        assert "451" in row.last_error
        assert detail(store, 1001).messages[-1].mail.reason == row.last_error

        at["now"] = start + timedelta(seconds=30)
        assert drain().handled == 0  # not due yet
        at["now"] = start + timedelta(minutes=1)
        assert drain().retried == 1
        assert _rows(store)[0].next_attempt_at == at["now"] + timedelta(minutes=2)
        at["now"] += timedelta(minutes=2)
        assert drain().sent == 1
        assert drain().handled == 0
        received, attempts = server.received, server.attempts

    assert len(received) == 1 and attempts == 3
    assert _rows(store)[0].state == "sent"


def test_the_backoff_doubles_up_to_an_hour_and_gives_up_after_max_attempts(store, admin, desk,
                                                                            mail_on):
    assert [sending.backoff(n).total_seconds() / 60 for n in range(1, 9)] == [
        1, 2, 4, 8, 16, 32, 60, 60]
    new_ticket(store, admin)
    desk.send(1001, body="Never arrives")
    store.write(lambda s: s.exec(select(OutboxMail)).one().__setattr__(
        "attempts", sending.MAX_ATTEMPTS - 1))

    with smtp_server(refuse_first=1) as server:
        report = sending.drain(store, server.config())

    assert report.failed == 1
    (row,) = _rows(store)
    assert row.state == "failed"
    assert row.last_error.startswith(f"gave up after {sending.MAX_ATTEMPTS} attempts: 451")


def test_a_permanent_refusal_fails_at_once_and_retry_sends_it_again(store, admin, desk, mail_on):
    new_ticket(store, admin)
    desk.send(1001, body="Hello")

    with smtp_server(refuse_first=1, refuse_with="550 5.1.1 no such mailbox") as server:
        first = desk.drain_outbox(server.config())
        (row,) = _rows(store)
        assert (first.failed, row.state) == (1, "failed")
        assert "550" in row.last_error
        assert desk.drain_outbox(server.config()).handled == 0  # failed stays failed

        retried = desk.drain_outbox(server.config(), retry=True)
        received = server.received

    assert retried.sent == 1 and len(received) == 1
    assert _rows(store)[0].state == "sent"


def test_a_server_down_keeps_everything_queued_and_sends_it_when_back(store, admin, desk,
                                                                      mail_on):
    new_ticket(store, admin)
    desk.send(1001, body="One")
    desk.send(1001, body="Two")

    report = desk.drain_outbox(nothing_listening())

    assert report.retried == 2
    assert {(r.state, r.attempts) for r in _rows(store)} == {("queued", 1)}
    assert all("refused" in r.last_error.lower() for r in _rows(store))
    with smtp_server() as server:
        sent = desk.drain_outbox(server.config(), retry=True)
        received = server.received
    assert sent.sent == 2
    assert sorted(_text(r.data) for r in received) == ["One\n", "Two\n"]


def test_two_senders_at_once_send_every_mail_exactly_once(stores, admin, desk, mail_on, store):
    for n in range(6):
        new_ticket(store, admin, requester_email=f"c{n}@acme.test")
    for n in range(6):
        for k in range(4):
            desk.send(1001 + n, body=f"reply {n}.{k}")
    other = Store(store.url.render_as_string(hide_password=False))
    try:
        with smtp_server() as server:
            reports = []
            senders = [threading.Thread(target=lambda s=s: reports.append(
                sending.drain(s, server.config()))) for s in (store, other)]
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join(60)
            received = server.received
    finally:
        other.dispose()

    bodies = sorted(_text(r.data) for r in received)
    assert len(bodies) == 24 and len(set(bodies)) == 24
    assert sum(r.sent for r in reports) == 24
    assert {r.state for r in _rows(store)} == {"sent"}


def test_a_claim_past_its_lease_is_taken_over_and_a_live_one_is_not(store, admin, desk, mail_on):
    new_ticket(store, admin)
    desk.send(1001, body="Hello")
    now = utcnow()
    assert len(store.write(lambda s: sending.claim(s, token="crashed", now=now))) == 1
    assert store.write(lambda s: sending.claim(s, token="other", now=now)) == []

    later = now + sending.LEASE + timedelta(seconds=1)
    (taken,) = store.write(lambda s: sending.claim(s, token="other", now=later))

    assert not store.write(lambda s: sending.record(s, outbox_id=taken.id, token="crashed",
                                                    outcome="sent", reason=None, now=later))
    assert store.write(lambda s: sending.record(s, outbox_id=taken.id, token="other",
                                                outcome="sent", reason=None, now=later))
    assert _rows(store)[0].state == "sent"


def test_a_reply_being_sent_changes_the_tickets_stamp(store, admin, desk, mail_on):
    new_ticket(store, admin)
    desk.send(1001, body="Hello")
    shown = thread.stamp_of(detail(store, 1001))
    with store.read() as session:
        assert thread.ticket_stamp(session, number=1001) == shown

    with smtp_server() as server:
        desk.drain_outbox(server.config())

    news = desk.ticket_news(1001, shown)
    assert news is not None
    assert news.detail.messages[-1].mail.state == "sent"
    assert desk.ticket_news(1001, thread.stamp_of(news.detail)) is None


# --- acknowledgements and settings ---------------------------------------------------------------


def test_a_new_mail_ticket_is_acknowledged_with_its_number(store, admin, mail_on):
    _ticket_from_mail(store, admin, name="Dana Cohen", subject="VPN drops")

    row = store.write(lambda s: mail_settings.queue_acknowledgement(s, 1001))

    assert row.kind == "acknowledgement" and row.message_id is None
    mail = _mail(row.raw)
    assert mail["Subject"] == "[#1001] VPN drops"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["In-Reply-To"] == "<first@acme.test>"
    assert _text(mail).startswith("Hello Dana,\n")
    assert "ticket #1001" in _text(mail)


def test_the_acknowledgement_template_is_the_admins_and_keeps_the_reference(store, admin, desk,
                                                                            mail_on):
    desk.set_mail_settings(ack_template="Subject: We got it: {{ticket.subject}}\n\n"
                                        "Hi {{requester.name}} - {{agent.name}}\n")
    _ticket_from_mail(store, admin, subject="Laptop")

    row = store.write(lambda s: mail_settings.queue_acknowledgement(s, 1001))

    mail = _mail(row.raw)
    assert mail["Subject"] == "[#1001] We got it: Laptop"
    assert _text(mail) == "Hi Carol Chen - Acme Help\n"


def test_a_bad_template_is_refused_naming_its_line(desk, mail_on):
    with pytest.raises(InvalidInput, match=r"ack.txt, line 3: unknown placeholder \{\{ticket.id"):
        desk.set_mail_settings(ack_template="Subject: ok\n\nHello {{ticket.id}}",
                               ack_template_where="ack.txt")


def test_no_acknowledgement_when_off_or_to_the_desk_itself(store, admin, desk, mail_on):
    _ticket_from_mail(store, admin, email="help@desk.test", message_id="a@x.test")
    assert store.write(lambda s: mail_settings.queue_acknowledgement(s, 1001)) is None
    desk.set_mail_settings(acknowledge=False)
    _ticket_from_mail(store, admin, message_id="b@x.test")
    assert store.write(lambda s: mail_settings.queue_acknowledgement(s, 1002)) is None
    assert _rows(store) == []


def test_mail_settings_are_an_admins(store, admin, agent, mail_on):
    bert = Desk(store, agent)
    with pytest.raises(PermissionDenied, match="only an admin can change the mail settings"):
        bert.set_mail_settings(from_address="me@evil.test")
    with pytest.raises(PermissionDenied):
        bert.mail_settings()


def test_a_from_address_the_desk_cannot_send_from_is_refused(desk):
    for bad in ("not an address", "a@b", "help@desk.test\r\nBcc: x@y.z"):
        with pytest.raises(InvalidInput, match="from address"):
            desk.set_mail_settings(from_address=bad)
    with pytest.raises(InvalidInput, match="without a From address"):
        desk.set_mail_settings(enabled=True)


# --- the connection: TLS, STARTTLS, a login -------------------------------------------------------


# Over implicit TLS aiosmtpd warns that it asks for a login without "requiring TLS" (it counts
# only STARTTLS as TLS): the connection is TLS all the same.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_out_over_tls_with_the_login_read_when_used(store, admin, desk, mail_on,
                                                              monkeypatch, security):
    new_ticket(store, admin)
    desk.send(1001, body="Encrypted")
    monkeypatch.setenv("DESKTERM_SMTP_PASSWORD", "s3cret-pa55")

    with smtp_server(security=security, login=("desk", "s3cret-pa55")) as server:
        report = desk.drain_outbox(server.config())
        received = server.received

    assert report.sent == 1 and len(received) == 1


def test_a_ca_file_that_holds_no_certificates_keeps_the_mail_with_one_line(
        store, admin, desk, mail_on, tmp_path):
    new_ticket(store, admin)
    desk.send(1001, body="Hello")
    (tmp_path / "junk.pem").write_text("not a certificate")
    with smtp_server(security="starttls") as server:
        for bad in (tmp_path / "missing.pem", tmp_path / "junk.pem"):
            report = desk.drain_outbox(server.config(ca_file=bad), retry=True)
            (row,) = _rows(store)
            assert (report.retried, row.state) == (1, "queued")
            assert "cannot be read as certificates" in row.last_error
            assert str(bad) in row.last_error and "\n" not in row.last_error
        assert server.received == []


def test_a_refused_login_or_an_untrusted_certificate_keeps_the_mail_and_never_shows_the_password(
        store, admin, desk, mail_on, monkeypatch):
    new_ticket(store, admin)
    desk.send(1001, body="Hello")
    monkeypatch.setenv("DESKTERM_SMTP_PASSWORD", "wrong-pa55word")

    with smtp_server(security="starttls", login=("desk", "right")) as server:
        refused = desk.drain_outbox(server.config())
        untrusted = desk.drain_outbox(server.config(ca_file=None), retry=True)

    (row,) = _rows(store)
    assert (refused.retried, untrusted.retried, row.state) == (1, 1, "queued")
    assert "login refused: 535" in refused.reasons[row.id]
    assert "certificate" in untrusted.reasons[row.id].lower()
    for reason in (*refused.reasons.values(), *untrusted.reasons.values(), row.last_error):
        assert "wrong-pa55word" not in reason and "\n" not in reason
