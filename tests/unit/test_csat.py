"""Confirmation and CSAT on both stores: solving mails the requester the solution, that a reply
reopens it and the rating question; a reply that is a rating is recorded and does not reopen;
anything else reopens; phone feedback; ratings on the ticket and in the requester's history."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlmodel import select

from deskterm.db.models import OutboxMail, SatisfactionRating
from deskterm.desk.csat.parse import parse_rating
from deskterm.desk.errors import InvalidInput
from deskterm.desk.mail import settings as mail_settings
from deskterm.desk.service import Desk
from deskterm.desk.tickets import ticket as tickets

from .helpers import change, detail, new_ticket
from .mail_samples import mail


@pytest.fixture
def desk(store, admin) -> Desk:
    return Desk(store, admin)


@pytest.fixture
def mail_on(store, admin):
    return store.write(lambda s: mail_settings.update_settings(
        s, from_address="help@desk.test", from_name="Acme Help"))


def _confirmations(store, number: int) -> list[OutboxMail]:
    with store.read() as session:
        return list(session.exec(select(OutboxMail).where(
            OutboxMail.ticket_id == number, OutboxMail.kind == "confirmation")).all())


@pytest.mark.parametrize(("text", "score", "comment"), [
    ("5", 5, ""),
    ("Rating: 4 - thanks", 4, "thanks"),
    ("4/5 great, fast", 4, "great, fast"),
    ("Bewertung: 3", 3, ""),
    ("Ocena 5 dziękuję", 5, "dziękuję"),
    ("Оценка: 2, долго", 2, "долго"),
    ("דירוג: 4", 4, ""),
    ("امتیاز: ۴ - عالی", 4, "عالی"),
    ("评分：５ 谢谢", 5, "谢谢"),
    ("★★★", 3, ""),
    ("\n2\nThe answer took a week.\n\nOn Mon, Help wrote:\n> quoted", 2,
     "The answer took a week."),
])
def test_a_rating_is_read_in_the_demo_languages(text, score, comment):
    assert parse_rating(text) == (parsed := parse_rating(text))
    assert parsed is not None and (parsed.score, parsed.comment) == (score, comment)


@pytest.mark.parametrize("text", ["5 printers are down again", "rating 6", "0", "4/10",
                                  "It still does not work", "I give it 5", ""])
def test_anything_else_is_not_a_rating(text):
    assert parse_rating(text) is None


def test_solving_mails_the_solution_the_reopen_note_and_the_rating_question(store, admin,
                                                                          mail_on):
    number = new_ticket(store, admin).number
    store.write(lambda s: tickets.add_reply(s, actor=admin, number=number,
                                            body="Replace the fuser unit.", status="solved"))
    (sent,) = _confirmations(store, number)
    assert sent.to_address == "carol@acme.test" and sent.state == "queued"
    text = message_from_bytes(sent.raw, policy=policy.default).get_content()
    assert "Replace the fuser unit." in text
    assert "reply to this e-mail: the ticket opens again" in text
    assert "number from 1 (poor) to 5 (excellent)" in text
    assert sent.subject.startswith(f"[#{number}] Solved:")


def test_solving_by_a_status_change_mails_too_and_mail_off_mails_nothing(store, admin, mail_on):
    number = new_ticket(store, admin).number
    change(store, admin, number, status="solved")
    assert len(_confirmations(store, number)) == 1
    store.write(lambda s: mail_settings.update_settings(s, enabled=False))
    other = new_ticket(store, admin).number
    change(store, admin, other, status="solved")
    assert _confirmations(store, other) == []


def test_a_rating_reply_is_recorded_and_does_not_reopen(store, desk, admin, mail_on):
    number = new_ticket(store, admin).number
    change(store, admin, number, status="solved")
    version = detail(store, number).ticket.version
    store.write(lambda s: tickets.add_customer_message(s, number=number,
                                                       body="Rating: 4 - thanks, quick!"))
    shown = detail(store, number)
    assert shown.ticket.status == "solved" and shown.ticket.version == version
    assert shown.ticket.reopens == 0
    assert shown.rating is not None
    assert (shown.rating.score, shown.rating.comment, shown.rating.recorded_by) == (
        4, "thanks, quick!", None)
    assert shown.messages[-1].body == "Rating: 4 - thanks, quick!"
    assert [r.score for r in shown.requester_ratings] == [4]
    assert any(e.field == "rating" and e.new == "4" for e in shown.events)


def test_a_rating_is_not_a_request_no_customer_reply_rule_and_nothing_owed(store, admin):
    """A rating answers the solved mail's question: the customer-reply rules (which answer and
    route requests) do not run, no next response is owed and the queue does not show a reply
    waiting; the rating and its message show on the ticket."""
    from deskterm.desk.automation import ruleset

    store.write(lambda s: ruleset.replace_rules(s, ruleset.check_file(
        s, '[[rule]]\nname = "Ack"\non = ["customer_reply"]\n[rule.then]\n'
           'add_tags = ["replied"]\n')))
    number = new_ticket(store, admin).number
    change(store, admin, number, status="solved")
    store.write(lambda s: tickets.add_customer_message(s, number=number, body="5"))
    shown = detail(store, number)
    assert (shown.ticket.tags, shown.ticket.customer_replied_at) == ((), None)
    assert shown.rating is not None and shown.rating.score == 5
    store.write(lambda s: tickets.add_customer_message(s, number=number, body="Still broken"))
    shown = detail(store, number)
    assert shown.ticket.status == "open" and "replied" in shown.ticket.tags
    assert shown.ticket.customer_replied_at is not None


def test_any_other_reply_reopens(store, admin):
    number = new_ticket(store, admin).number
    change(store, admin, number, status="solved")
    store.write(lambda s: tickets.add_customer_message(s, number=number,
                                                       body="5 printers are down again"))
    shown = detail(store, number)
    assert shown.ticket.status == "open" and shown.ticket.reopens == 1
    assert shown.rating is None


def test_a_rating_mailed_back_threads_to_the_solved_ticket_and_keeps_it_solved(store, desk,
                                                                                admin):
    first = desk.ingest_mail(mail(), source="t")
    number = first.ticket_number
    change(store, admin, number, status="solved")
    answer = desk.ingest_mail(mail(message_id="<m2@acme.test>", subject="Re: VPN drops",
                                   body="5\n\nWorks now.", in_reply_to="<m1@acme.test>"),
                              source="t")
    assert (answer.outcome, answer.ticket_number) == ("appended", number)
    shown = detail(store, number)
    assert shown.ticket.status == "solved"
    assert shown.rating is not None and (shown.rating.score, shown.rating.comment) == (
        5, "Works now.")


def test_a_rating_to_a_closed_ticket_is_recorded_without_a_follow_up(store, admin):
    number = new_ticket(store, admin).number
    change(store, admin, number, status="solved")
    change(store, admin, number, status="closed")
    result = store.write(lambda s: tickets.add_customer_message(s, number=number, body="3"))
    assert result.number == number
    assert detail(store, number).rating.score == 3
    followup = store.write(lambda s: tickets.add_customer_message(s, number=number,
                                                                  body="Broken again."))
    assert followup.number != number


def test_phone_feedback_is_recorded_by_the_agent_and_replaces_the_earlier(store, desk, admin):
    number = new_ticket(store, admin).number
    with pytest.raises(InvalidInput, match="a rating is for a solved or closed ticket"):
        desk.record_rating(number, score=5)
    change(store, admin, number, status="solved")
    desk.record_rating(number, score=2, comment="slow")
    desk.record_rating(number, score=4, comment="called back, fine now")
    shown = detail(store, number)
    assert shown.rating is not None
    assert (shown.rating.score, shown.rating.recorded_by) == (4, "ada")
    with store.read() as session:
        assert len(session.exec(select(SatisfactionRating)).all()) == 1
    with pytest.raises(InvalidInput):
        desk.record_rating(number, score=6)


def test_cli_csat_record_show_and_ticket_show(cli, store, admin):
    number = new_ticket(store, admin).number
    change(store, admin, number, status="solved")
    done = cli("csat", "record", str(number), "5", "--comment", "great")
    assert done.exit_code == 0 and f"#{number} rated 5/5: great" in done.stdout
    assert "rated 5/5" in cli("csat", "show", f"#{number}").stdout
    shown = cli("ticket", "show", str(number))
    assert "rated 5/5" in shown.stdout and "requester's ratings: 5.0 average over 1" in \
        shown.stdout
    as_json = cli("ticket", "show", str(number), "--json")
    assert '"score": 5' in as_json.stdout
    bad = cli("csat", "record", str(number), "9")
    assert bad.exit_code == 2 and "Traceback" not in bad.stderr
    missing = cli("csat", "record", "#999999", "3")
    assert missing.exit_code == 1 and missing.stderr.count("\n") == 1
