"""Mail filed many to a transaction (``MailFiling``: a mailbox import, ``mail fetch``), on both
stores: threading and the Message-ID dedup across mails of one transaction, a failing mail
rolled back to its savepoint alone, nothing stored before the commit, the commit seen by an
open console's watcher, a retryable failure filing that mail alone."""

from __future__ import annotations

import mailbox

import pytest
from sqlmodel import func, select

from deskterm.db.changes import ChangeWatcher
from deskterm.db.errors import WriteConflict
from deskterm.db.models import Attachment, Customer, Message, Ticket
from deskterm.desk.errors import InvalidInput
from deskterm.desk.mail import intake
from deskterm.desk.service import Desk
from deskterm.desk.tickets.ticket import get_ticket

from .mail_samples import mail


@pytest.fixture
def desk(store, admin) -> Desk:
    return Desk(store, username="ada")


def count(store, model) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_an_answer_threads_to_a_ticket_opened_earlier_in_the_same_transaction(desk, store,
                                                                              tmp_path):
    box = mailbox.mbox(tmp_path / "in.mbox")
    for raw in (mail(message_id="<t1@acme.test>"),
                mail(sender="bea@globex.test", subject="Invoice", message_id="<t2@globex.test>"),
                mail(subject="Re: VPN drops", body="Still.", message_id="<t3@acme.test>",
                     in_reply_to="<t1@acme.test>"),
                mail(message_id="<t1@acme.test>"),  # the first one again
                mail(subject="Re: Re: VPN drops", body="And again.",
                     message_id="<t4@acme.test>", references="<t1@acme.test> <t3@acme.test>")):
        box.add(raw)
    box.close()

    report = desk.import_mailbox("mbox", tmp_path / "in.mbox")  # well under one batch

    assert report.outcomes == {"created": 2, "appended": 2, "duplicate": 1}
    with store.read() as session:
        bodies = [m.body for m in get_ticket(session, number=1001).messages]
    assert bodies == ["The VPN drops every hour.", "Still.", "And again."]
    assert count(store, Ticket) == 2 and count(store, Message) == 4


def test_a_failing_mail_leaves_nothing_and_the_others_of_its_transaction_stay(
        desk, store, monkeypatch):
    real = intake._store_files

    def refusing(session, message_id, files):
        real(session, message_id, files)  # written, then refused: its savepoint rolls back
        if any(file.filename == "boom.bin" for file in files):
            raise InvalidInput("attachment boom.bin: refused")

    monkeypatch.setattr(intake, "_store_files", refusing)
    with desk.mail_filing(mails=100, seconds=60) as filing:
        first = filing.file(mail(message_id="<ok1@acme.test>"), "t#1")
        bad = filing.file(mail(sender="newbie@fresh.test", subject="Logs",
                               message_id="<bad@fresh.test>",
                               attachments=[("boom.bin", "application/octet-stream", b"x")]),
                          "t#2")
        last = filing.file(mail(subject="Printer", message_id="<ok2@acme.test>"), "t#3")

    assert (first.outcome, bad.outcome, last.outcome) == ("created", "quarantined", "created")
    assert bad.reason == "the desk refused it: attachment boom.bin: refused"
    assert [q.source for q in desk.mail_quarantine()] == ["t#2"]
    assert count(store, Ticket) == 2 and count(store, Attachment) == 0
    with store.read() as session:  # the refused mail's new requester went with it
        emails = session.exec(select(Customer.email)).all()
    assert "newbie@fresh.test" not in emails and "giulia@acme.test" in emails


def test_nothing_is_stored_before_the_commit_and_a_console_hears_the_commit(desk, store):
    watcher = ChangeWatcher(store)
    try:
        with desk.mail_filing(mails=100, seconds=60) as filing:
            filing.file(mail(message_id="<w1@acme.test>"), "t#1")
            filing.file(mail(subject="Printer", message_id="<w2@acme.test>"), "t#2")
            assert not filing.due
            assert count(store, Ticket) == 0
            assert not watcher.wait(0.3)
            filing.commit()
            assert count(store, Ticket) == 2
            assert watcher.wait(5)
    finally:
        watcher.close()


def test_a_transaction_commits_when_it_holds_its_number_of_mails(desk, store):
    with desk.mail_filing(mails=2, seconds=60) as filing:
        filing.file(mail(message_id="<n1@acme.test>"), "t#1")
        assert not filing.commit_if_due()
        filing.file(mail(subject="Printer", message_id="<n2@acme.test>"), "t#2")
        assert filing.commit_if_due()
        assert count(store, Ticket) == 2
        filing.file(mail(subject="Toner", message_id="<n3@acme.test>"), "t#3")
    assert count(store, Ticket) == 3  # the rest at the end


def test_an_exception_ending_the_run_rolls_back_the_open_transaction(desk, store):
    with pytest.raises(KeyboardInterrupt), desk.mail_filing(mails=100, seconds=60) as filing:
        filing.file(mail(message_id="<k1@acme.test>"), "t#1")
        raise KeyboardInterrupt
    assert count(store, Ticket) == 0 and count(store, Customer) == 0
    with desk.mail_filing() as filing:  # filed by the next run
        assert filing.file(mail(message_id="<k1@acme.test>"), "t#1").outcome == "created"
    assert count(store, Ticket) == 1


def test_a_retryable_failure_once_is_cured_by_filing_the_transaction_again(desk, store,
                                                                           monkeypatch):
    real = intake.file_mail
    failed: list[str] = []

    def conflicting(session, parsed, **kwargs):
        if parsed.message_id == "r2@acme.test" and not failed:
            failed.append(parsed.message_id)  # once: another process got in between
            raise WriteConflict("customer created concurrently")
        return real(session, parsed, **kwargs)

    monkeypatch.setattr(intake, "file_mail", conflicting)
    with desk.mail_filing(mails=100, seconds=60) as filing:
        filing.file(mail(message_id="<r1@acme.test>"), "t#1")
        second = filing.file(mail(subject="Re: VPN drops", message_id="<r2@acme.test>",
                                  in_reply_to="<r1@acme.test>", body="Still."), "t#2")
        assert second.outcome == "appended" and second.ticket_number == 1001
        assert count(store, Ticket) == 0  # both in the open transaction, filed again
    assert failed == ["r2@acme.test"]
    assert count(store, Ticket) == 1 and count(store, Message) == 2


def test_a_retryable_failure_twice_commits_the_batch_and_files_that_mail_alone(desk, store,
                                                                               monkeypatch):
    real = intake.file_mail
    failed: list[str] = []

    def conflicting(session, parsed, **kwargs):
        if parsed.message_id == "r2@acme.test" and len(failed) < 2:
            failed.append(parsed.message_id)
            raise WriteConflict("customer created concurrently")
        return real(session, parsed, **kwargs)

    monkeypatch.setattr(intake, "file_mail", conflicting)
    with desk.mail_filing(mails=100, seconds=60) as filing:
        filing.file(mail(message_id="<r1@acme.test>"), "t#1")
        second = filing.file(mail(subject="Re: VPN drops", message_id="<r2@acme.test>",
                                  in_reply_to="<r1@acme.test>", body="Still."), "t#2")
        assert count(store, Ticket) == 1  # the first committed, the second alone
        assert second.outcome == "appended" and second.ticket_number == 1001
    assert failed == ["r2@acme.test"] * 2
    assert count(store, Message) == 2


def test_mails_before_a_failing_one_are_filed_again_once_each(desk, store, monkeypatch):
    real = intake._store_files

    def refusing(session, message_id, files):
        real(session, message_id, files)
        if any(file.filename == "boom.bin" for file in files):
            raise InvalidInput("attachment boom.bin: refused")

    monkeypatch.setattr(intake, "_store_files", refusing)
    no_sender = b"Subject: who?\r\nMessage-ID: <anon@x.test>\r\n\r\nno From at all\r\n"
    with desk.mail_filing(mails=100, seconds=60) as filing:
        outcomes = [filing.file(raw, f"t#{n}").outcome for n, raw in enumerate([
            mail(message_id="<a1@acme.test>"), no_sender,
            mail(subject="Re: VPN drops", message_id="<a2@acme.test>", body="Still.",
                 in_reply_to="<a1@acme.test>"),
            mail(subject="Logs", message_id="<bad@acme.test>",
                 attachments=[("boom.bin", "application/octet-stream", b"x")]),
            mail(subject="Printer", message_id="<a3@acme.test>")], start=1)]

    assert outcomes == ["created", "quarantined", "appended", "quarantined", "created"]
    assert sorted(q.source for q in desk.mail_quarantine()) == ["t#2", "t#4"]
    assert count(store, Ticket) == 2 and count(store, Message) == 3
    with store.read() as session:
        assert len(get_ticket(session, number=1001).messages) == 2


def test_two_imports_of_one_mailbox_at_once_file_each_mail_once(store, admin, tmp_path):
    import threading

    box = mailbox.mbox(tmp_path / "in.mbox")
    for n in range(12):
        box.add(mail(sender=f"p{n % 4}@acme{n % 3}.test", subject=f"Case {n}",
                     message_id=f"<c{n}@acme.test>"))
        box.add(mail(sender=f"p{n % 4}@acme{n % 3}.test", subject=f"Re: Case {n}",
                     message_id=f"<r{n}@acme.test>", in_reply_to=f"<c{n}@acme.test>"))
    box.close()
    reports = []
    start = threading.Barrier(2)

    def run() -> None:
        desk = Desk(store, username="ada")
        desk.actor  # noqa: B018  (resolved before the race)
        start.wait()
        reports.append(desk.import_mailbox("mbox", tmp_path / "in.mbox"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    filed = [r.count("created") + r.count("appended") for r in reports]
    assert sum(filed) == 24 and sum(r.count("duplicate") for r in reports) == 24
    assert count(store, Ticket) == 12 and count(store, Message) == 24
    with store.read() as session:
        assert all(len(get_ticket(session, number=n).messages) == 2
                   for n in range(1001, 1013))
