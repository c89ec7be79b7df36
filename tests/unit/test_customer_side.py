"""The customer's side logged by an agent, on both stores: the domain (a customer's message
added by an agent, the requester search) and ``deskterm ticket customer-reply``."""

from __future__ import annotations

import json

import pytest

from deskterm.desk.errors import PermissionDenied
from deskterm.desk.filter.ticket_filter import TicketFilter
from deskterm.desk.people import directory as people
from deskterm.desk.tickets import change, reads
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.reads import list_tickets


def _ticket(store, admin, status: str | None = None, **extra) -> int:
    def work(session):
        created = tickets.create_ticket(session, actor=admin, requester_email="carol@acme.test",
                                        requester_name="Carol Diaz", subject="VPN drops",
                                        body="It drops hourly.", **extra)
        if status is not None:
            for step in (("solved", "closed") if status == "closed" else (status,)):
                tickets.update_ticket(session, actor=admin, number=created.number,
                                      changes=change.TicketChanges(status=step))
        return created.number

    return store.write(work)


@pytest.mark.parametrize("status", ["pending", "solved", "on_hold"])
def test_a_logged_customer_message_is_the_requesters_and_reopens(store, admin, status):
    number = _ticket(store, admin, status)

    after = store.write(lambda s: tickets.add_customer_message(
        s, actor=admin, number=number, body="Called back: still broken."))

    assert after.status == "open"
    with store.read() as session:
        detail = tickets.get_ticket(session, number=number)
    last = detail.messages[-1]
    assert (last.author, last.author_kind, last.public, last.body) == (
        "Carol Diaz", "customer", True, "Called back: still broken.")
    reopened = detail.events[-1]
    assert (reopened.actor, reopened.field, reopened.old, reopened.new) == (
        admin.username, "status", status, "open")


def test_a_logged_customer_message_leaves_an_open_ticket_open_without_a_new_version(store,
                                                                                     admin):
    number = _ticket(store, admin, "open")
    with store.read() as session:
        before = tickets.get_ticket(session, number=number).ticket.version

    after = store.write(lambda s: tickets.add_customer_message(s, actor=admin, number=number,
                                                               body="One more detail."))

    assert (after.status, after.version) == ("open", before)


def test_the_agent_who_logged_it_has_seen_it_and_a_teammate_has_not(store, admin, agent):
    mine = _ticket(store, admin, "pending", assignee=admin.username)
    theirs = _ticket(store, admin, "pending", assignee=agent.username)

    for number in (mine, theirs):
        store.write(lambda s, n=number: tickets.add_customer_message(s, actor=admin, number=n,
                                                                     body="Phoned in."))

    # The queue's marker: the requester wrote since the assignee last looked.
    with store.read() as session:
        page = list_tickets(session, where=TicketFilter(), me=admin.username, limit=10)
    assert {t.number: t.unseen_reply for t in page.items} == {mine: False, theirs: True}


def test_a_closed_ticket_refuses_a_logged_message_and_files_nothing(store, admin):
    number = _ticket(store, admin, "closed")
    with store.read() as session:
        before = reads.count_tickets(session)

    with pytest.raises(PermissionDenied, match="closed, and closed is final: cannot add the "
                       "customer's message; file a new ticket for it"):
        store.write(lambda s: tickets.add_customer_message(s, actor=admin, number=number,
                                                           body="Hello again"))
    with store.read() as session:
        assert reads.count_tickets(session) == before
        assert len(tickets.get_ticket(session, number=number).messages) == 1


def test_mail_on_a_closed_ticket_still_starts_a_follow_up(store, admin):
    number = _ticket(store, admin, "closed")

    follow_up = store.write(lambda s: tickets.add_customer_message(
        s, number=number, email="carol@acme.test", body="Hello again"))

    assert follow_up.number != number and follow_up.status == "new"


def test_the_requester_search_matches_letters_in_order_in_names_and_addresses(store, admin):
    def work(session):
        for email, name in (("giulia.wright@acme.test", "Giulia Wright"),
                            ("gw@other.test", "Gary West"),
                            ("wright.team@acme.test", "Help 50%_off"),
                            ("someone@else.test", "Nobody Here")):
            people.get_or_create_customer(session, email=email, name=name)

    store.write(work)

    def found(text):
        with store.read() as session:
            return [c.name for c in people.search_customers(session, text=text)]

    assert found("gwri") == ["Giulia Wright"]
    assert found("GW")[0] == "Gary West"  # starts with it: first
    assert set(found("gw")) == {"Gary West", "Giulia Wright"}
    assert found("wright.team") == ["Help 50%_off"]  # by address
    assert found("50%_") == ["Help 50%_off"]  # % and _ are letters, not wildcards
    assert found("%") == ["Help 50%_off"]
    assert found("t@acme") == ["Giulia Wright"]  # an address: as typed, not letters in order
    assert found("w@acme.test") == []
    assert found("   ") == []
    assert found("zzz") == []


def test_the_requester_search_is_limited(store, admin):
    store.write(lambda s: [people.get_or_create_customer(s, email=f"p{i}@acme.test",
                                                         name=f"Person {i}")
                           for i in range(12)])
    with store.read() as session:
        assert len(people.search_customers(session, text="person", limit=5)) == 5


# --- deskterm ticket customer-reply -------------------------------------------------------------


def _create(cli) -> str:
    created = cli("ticket", "create", "--subject", "Printer jams", "--body", "Page 2 jams.",
                  "--requester", "carol@acme.test", "--requester-name", "Carol Diaz",
                  "--channel", "phone", "--json")
    assert created.exit_code == 0, created.stderr
    return json.loads(created.stdout)["ref"]


def test_cli_customer_reply_adds_the_requesters_message_and_reopens(cli, admin):
    ref = _create(cli)
    assert cli("ticket", "set", ref, "--status", "pending").exit_code == 0

    result = cli("ticket", "customer-reply", ref, "--body", "It works again, thanks")

    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"customer message added to {ref} (now open)\n"
    shown = json.loads(cli("ticket", "show", ref, "--json").stdout)
    last = shown["messages"][-1]
    assert (last["author"], last["author_kind"], last["body"]) == (
        "Carol Diaz", "customer", "It works again, thanks")
    assert shown["ticket"]["status"] == "open"


def test_cli_customer_reply_reads_standard_input_and_prints_json(cli, admin):
    ref = _create(cli)

    result = cli("ticket", "customer-reply", ref, "--body", "-", "--json",
                 input="Line one\nLine two\n")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["ref"] == ref
    shown = json.loads(cli("ticket", "show", ref, "--json").stdout)
    assert shown["messages"][-1]["body"] == "Line one\nLine two\n"


@pytest.mark.parametrize(("args", "code", "line"), [
    (("#999999", "--body", "x"), 1, "deskterm: no ticket #999999\n"),
    (("abc", "--body", "x"), 1, "deskterm: 'abc' is not a ticket reference like #1042\n"),
    (("{ref}", "--body", "  \n"), 1, "deskterm: body: must not be empty\n"),
])
def test_cli_customer_reply_refusals_are_one_line(cli, admin, args, code, line):
    ref = _create(cli)

    result = cli("ticket", "customer-reply", *(a.format(ref=ref) for a in args))

    assert (result.exit_code, result.stderr) == (code, line)
    assert result.stdout == ""


def test_cli_customer_reply_without_a_body_is_bad_usage(cli, admin):
    ref = _create(cli)

    result = cli("ticket", "customer-reply", ref)

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "--body" in result.stderr


def test_cli_customer_reply_on_a_closed_ticket_is_refused(cli, admin):
    ref = _create(cli)
    for status in ("solved", "closed"):
        assert cli("ticket", "set", ref, "--status", status).exit_code == 0

    result = cli("ticket", "customer-reply", ref, "--body", "Hello again")

    assert result.exit_code == 1
    assert result.stderr == (f"deskterm: {ref} is closed, and closed is final: cannot add the "
                             "customer's message; file a new ticket for it\n")
    listed = json.loads(cli("ticket", "list", "--json").stdout)["tickets"]
    assert [t["ref"] for t in listed] == [ref]
