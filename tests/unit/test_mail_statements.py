"""What filing a mail costs the database, pinned on both stores, so it cannot creep back up:
the statements a new ticket's mail and an answer's mail send once their transaction is under
way (bench/intake_mail.py: on PostgreSQL each statement is a round trip, and the mail intake
spent its time on them); and ticket numbers, now taken from the counter in blocks, staying
consecutive through savepoints and transactions rolled back."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from deskterm.db.batch import WriteBatch
from deskterm.db.models import Counter, Customer, Event, Message, Ticket
from deskterm.desk.errors import InvalidInput
from deskterm.desk.service import Desk
from deskterm.desk.tickets.ticket import create_ticket

from .helpers import statements
from .mail_samples import mail

# Once a transaction is under way (its first mail read the rules' version, the SLA policies,
# reserved the first ticket number): what each more mail sends.
NEW_TICKET = {"sqlite": 4, "postgres": 2}
"""A new ticket from a known customer: the requester (looked up first: the ``created`` rules
see it before the row is written; on PostgreSQL found by the look-ahead, with the senders of
the next mails, in one statement), the ticket, then its first message and its ``created``
event (one statement on PostgreSQL, two on SQLite)."""
ANSWER = 4
"""An answer by the ticket's requester: the thread look-up (which names the requester too),
the ticket locked, the message, the ticket's update."""




def counter_statements(seen: list[str]) -> int:
    return sum("counters" in statement for statement in seen)


@pytest.fixture
def desk(store, admin) -> Desk:
    return Desk(store, username="ada")


def senders() -> list[str]:
    return [f"Person {n} <person{n}@acme.test>" for n in range(5)]


def test_a_mail_costs_a_pinned_number_of_statements(desk, store):
    kind = store.url.get_backend_name().replace("postgresql", "postgres")
    with desk.mail_filing(mails=100, seconds=60) as filing:  # the customers, known from now on
        for n, sender in enumerate(senders()):
            filing.file(mail(sender=sender, message_id=f"<hello{n}@acme.test>"), f"t#h{n}")
    new = [mail(sender=sender, subject=f"Printer {n}", message_id=f"<new{n}@acme.test>")
           for n, sender in enumerate(senders())]
    answers = [mail(sender=sender, subject=f"Re: Printer {n}", body="Still broken.",
                    message_id=f"<re{n}@acme.test>", in_reply_to=f"<new{n}@acme.test>")
               for n, sender in enumerate(senders())]

    with desk.mail_filing(mails=100, seconds=60) as filing:
        filing.look_ahead(new + answers)
        warm_up = filing.file(new[0], "t#0")  # this transaction's one-time reads
        with statements(store) as filing_new:
            created = [filing.file(raw, f"t#{n}") for n, raw in enumerate(new[1:], 1)]
        with statements(store) as filing_answers:
            appended = [filing.file(raw, f"t#a{n}") for n, raw in enumerate(answers)]

    assert [i.outcome for i in [warm_up, *created]] == ["created"] * 5
    assert [i.ticket_number for i in [warm_up, *created]] == list(range(1006, 1011))
    assert [(i.outcome, i.ticket_number) for i in appended] == [
        ("appended", number) for number in range(1006, 1011)]
    # Four new tickets: their rows, and two blocks of numbers (two, then four) for them.
    assert counter_statements(filing_new) == 2
    assert len(filing_new) - 2 == 4 * NEW_TICKET[kind], filing_new
    assert len(filing_answers) == 5 * ANSWER, filing_answers
    with store.read() as session:
        rows = session.exec(select(Message.ticket_id, Customer.email)
                            .join(Customer, col(Customer.id) == col(Message.author_customer_id))
                            .where(col(Message.ticket_id) >= 1006)
                            .order_by(col(Message.id))).all()
        created_events = session.exec(select(Event.ticket_id).where(
            Event.field == "created", col(Event.ticket_id) >= 1006)).all()
        counter = session.get(Counter, "ticket_number")
    expected_authors = [(1006 + n, f"person{n}@acme.test") for n in range(5)]
    assert rows == expected_authors * 2  # each answer by its requester, in its thread
    assert sorted(created_events) == list(range(1006, 1011))
    assert counter is not None and counter.value == 1011  # the rest of the block given back


def test_a_sender_made_after_the_look_ahead_is_not_made_twice(desk, store):
    """The look-ahead found no customer for bea@; her answer to another ticket (earlier in the
    same transaction) makes her; her own new ticket then finds her, not a second bea."""
    question = mail(message_id="<q2@acme.test>")
    answer = mail(sender="Bea <bea@acme.test>", subject="Re: VPN drops",
                  message_id="<a2@acme.test>", in_reply_to="<q2@acme.test>")
    hers = mail(sender="Bea <bea@acme.test>", subject="My own problem",
                message_id="<b2@acme.test>")
    with desk.mail_filing(mails=100, seconds=60) as filing:
        filing.look_ahead([question, answer, hers])
        outcomes = [filing.file(raw, f"t#{n}").outcome
                    for n, raw in enumerate([question, answer, hers])]
    assert outcomes == ["created", "appended", "created"]
    with store.read() as session:
        beas = session.exec(select(Customer.id).where(Customer.email == "bea@acme.test")).all()
        requester = session.exec(select(Ticket.requester_id).where(Ticket.id == 1002)).one()
    assert len(beas) == 1 and requester == beas[0]


def test_a_rollback_forgets_the_senders_looked_up(desk, store):
    """A sender found by the look-ahead in a transaction that is then rolled back (here: a
    mail the database refuses, so the transaction is filed again mail by mail) is looked up
    again: what the look-ahead found may have been made by what was rolled back."""
    first = mail(sender="Cy <cy@acme.test>", message_id="<c1@acme.test>")
    second = mail(sender="Cy <cy@acme.test>", subject="Again", message_id="<c2@acme.test>")
    with desk.mail_filing(mails=100, seconds=60) as filing:
        filing.file(first, "t#1")
        filing.look_ahead([second])  # finds cy@, made by the open transaction
        filing._batch.abandon()  # (what a refused mail does: the transaction rolled back)
        assert filing._senders == {}
        assert filing.file(second, "t#2").outcome == "created"
    with store.read() as session:
        rows = session.exec(select(Ticket.id, Customer.email).join(
            Customer, col(Customer.id) == col(Ticket.requester_id))).all()
    assert rows == [(1001, "cy@acme.test")]


def test_an_answer_from_someone_else_is_theirs(desk, store):
    with desk.mail_filing(mails=100, seconds=60) as filing:
        filing.file(mail(message_id="<q@acme.test>"), "t#1")
        answer = filing.file(mail(sender="Bea <bea@acme.test>", subject="Re: VPN drops",
                                  message_id="<a@acme.test>", in_reply_to="<q@acme.test>"),
                             "t#2")
    assert (answer.outcome, answer.ticket_number) == ("appended", 1001)
    with store.read() as session:
        authors = session.exec(select(Customer.email).join(
            Message, col(Message.author_customer_id) == col(Customer.id))
            .order_by(col(Message.id))).all()
    assert authors == ["giulia@acme.test", "bea@acme.test"]


def file_one(n: int, *, fail: bool = False):
    def unit(session) -> int:
        number = create_ticket(session, actor=None, requester_email=f"c{n}@acme.test",
                               subject=f"Ticket {n}", body="Text.").number
        if fail:
            raise InvalidInput("refused")
        return number

    return unit


def test_ticket_numbers_stay_consecutive_through_savepoints_and_rollbacks(store):
    numbers: list[int] = []
    with WriteBatch(store) as batch:
        with pytest.raises(InvalidInput):  # the transaction's first number, rolled back
            batch.run(file_one(0, fail=True))
        numbers += [batch.run(file_one(n)) for n in range(1, 4)]
        with pytest.raises(InvalidInput):  # a number out of a block, rolled back
            batch.run(file_one(4, fail=True))
        numbers.append(batch.run(file_one(5)))
        numbers.append(batch.run(file_one(6), savepoint=False))
    assert numbers == [1001, 1002, 1003, 1004, 1005]

    batch = WriteBatch(store)  # a transaction rolled back whole takes no number
    batch.run(file_one(7))
    batch.run(file_one(8))
    batch.abandon()
    numbers.append(store.write(file_one(9)))
    with WriteBatch(store) as batch:
        numbers += [batch.run(file_one(n)) for n in range(10, 20)]

    assert numbers == list(range(1001, 1017))
    with store.read() as session:
        stored = session.exec(select(Ticket.id).order_by(col(Ticket.id))).all()
        counter = session.get(Counter, "ticket_number")
    assert stored == numbers
    assert counter is not None and counter.value == 1017


def test_the_look_ahead_reads_plain_senders_only():
    """The look-ahead's hint of who wrote: a plain From's address; anything less plain is
    left to the parse (None), which decides who the requester is either way."""
    from deskterm.desk.mail.parse import header_sender

    assert header_sender(b"From: Ann <Ann@Acme.test>\nSubject: x\n\nbody") == "ann@acme.test"
    assert header_sender(b"Subject: x\nfrom:  bo@acme.test \n\nbody") == "bo@acme.test"
    assert header_sender(b"From: =?utf-8?q?J=C3=B6rg?=\n <jo@acme.test>\n\nbody") == "jo@acme.test"
    assert header_sender(b"From: a@x.test, b@y.test\n\nbody") is None
    assert header_sender(b"Subject: no sender\n\nFrom: c@acme.test\n") is None
