"""The ticket domain on both stores: filing, answering, changing, auditing, reading."""

from __future__ import annotations

import pytest

from deskterm.db.models import Organization
from deskterm.desk.errors import InvalidInput, NotFound, StaleTicket
from deskterm.desk.people import directory as people
from deskterm.desk.tickets import checks, reads
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.reads import organization_history, requester_history

from .helpers import change, detail, new_ticket


def test_tickets_are_numbered_from_1001_upwards(store, admin):
    numbers = [new_ticket(store, admin).number for _ in range(3)]
    assert numbers == [1001, 1002, 1003]
    assert new_ticket(store, admin).ref == "#1004"


def test_a_new_ticket_holds_the_requesters_first_message_and_a_created_event(store, admin):
    ticket = new_ticket(store, admin, requester_name="Carol Chen", tags=["VPN", "vpn", " Wifi "],
                        channel="phone", priority="high")
    found = detail(store, ticket.number)
    assert (found.ticket.status, found.ticket.priority, found.ticket.channel) == (
        "new", "high", "phone")
    assert found.ticket.tags == ("vpn", "wifi")
    assert found.requester.name == "Carol Chen"
    [message] = found.messages
    assert (message.author_kind, message.author, message.public) == ("customer", "Carol Chen",
                                                                      True)
    assert [(e.field, e.new, e.actor, e.version) for e in found.events] == [
        ("created", "phone", "ada", 1)]


def test_a_new_requester_joins_the_organization_of_their_email_domain(store, admin):
    store.write(lambda s: s.add(Organization(name="Acme Corp", domain="acme.test")))
    ticket = new_ticket(store, admin, requester_email="Dan@Acme.test")
    assert ticket.requester_email == "dan@acme.test"
    assert ticket.organization == "Acme Corp"


def test_a_new_tickets_summary_is_the_one_a_read_gives(store, admin, agent):
    # The kernel builds it from what it wrote instead of reading it back: same values.
    store.write(lambda s: s.add(Organization(name="Acme Corp", domain="acme.test")))
    store.write(lambda s: people.add_group(s, name="Billing"))
    made = [
        new_ticket(store, admin),
        new_ticket(store, admin, assignee="bert", group="Billing", priority="urgent",
                   requester_email="zoe@sub.acme.test", requester_name="Zoë \u202e O'Brien",
                   subject="Ünïcode 日本語 <b>[#1]</b>", ticket_type="incident", tier=2),
        new_ticket(store, admin, tags=["vpn", "Ärger", "a-b"]),
        store.write(lambda s: tickets.create_ticket(
            s, actor=None, requester_email="x@elsewhere.test", subject="From mail", body="b",
            channel="email", source_message_id="m1@elsewhere.test")),
    ]
    for summary in made:
        assert summary == detail(store, summary.number).ticket
    assert made[1].organization is None and made[0].organization == "Acme Corp"
    assert (made[1].assignee, made[1].group, made[1].status) == ("bert", "Billing", "open")


def test_the_first_public_reply_sets_first_response_once(store, admin):
    ticket = new_ticket(store, admin)
    first = store.write(lambda s: tickets.add_reply(s, actor=admin, number=ticket.number,
                                                    body="Looking into it."))
    assert first.first_response_at is not None
    assert first.status == "open"
    second = store.write(lambda s: tickets.add_reply(s, actor=admin, number=ticket.number,
                                                     body="Fixed.", status="solved"))
    assert second.first_response_at == first.first_response_at
    assert second.status == "solved"


def test_an_internal_note_is_private_and_is_not_a_response(store, admin):
    ticket = new_ticket(store, admin)
    after = store.write(lambda s: tickets.add_note(s, actor=admin, number=ticket.number,
                                                   body="Customer is on the old firmware."))
    assert after.first_response_at is None
    assert after.status == "new"
    note = detail(store, ticket.number).messages[-1]
    assert (note.public, note.author_kind, note.author) == (False, "agent", "Ada Admin")


def test_each_changed_field_gets_one_event_in_one_version(store, admin, agent):
    store.write(lambda s: people.add_group(s, name="Billing"))
    ticket = new_ticket(store, admin, tags=["invoice"])
    after = change(store, admin, ticket.number, status="pending", priority="urgent",
                   type="incident", assignee="bert", group="Billing", tier=2,
                   add_tags=("refund",), remove_tags=("invoice",))
    assert after.version == 2
    events = [(e.field, e.old, e.new, e.version, e.actor)
              for e in detail(store, ticket.number).events[1:]]
    assert sorted(events) == sorted([
        ("assignee", None, "bert", 2, "ada"),
        ("group", None, "Billing", 2, "ada"),
        ("priority", "normal", "urgent", 2, "ada"),
        ("type", "question", "incident", 2, "ada"),
        ("tier", "1", "2", 2, "ada"),
        ("tags", "invoice", "refund", 2, "ada"),
        ("status", "new", "pending", 2, "ada"),
    ])


def test_setting_a_field_to_its_current_value_records_nothing(store, admin):
    ticket = new_ticket(store, admin, priority="high")
    after = change(store, admin, ticket.number, priority="high", tags=())
    assert after.version == ticket.version
    assert len(detail(store, ticket.number).events) == 1


def test_unassigning_and_leaving_the_group(store, admin, agent):
    store.write(lambda s: people.add_group(s, name="Network"))
    ticket = new_ticket(store, admin, assignee="bert", group="Network")
    after = change(store, admin, ticket.number, assignee="", group="")
    assert (after.assignee, after.group) == (None, None)


def test_a_stale_change_names_who_changed_what(store, admin, agent):
    ticket = new_ticket(store, admin)
    change(store, agent, ticket.number, priority="urgent", status="pending")
    with pytest.raises(StaleTicket) as raised:
        change(store, admin, ticket.number, expected_version=ticket.version, status="solved")
    message = str(raised.value)
    assert "#1001 was changed by bert" in message
    assert "priority normal → urgent" in message
    assert "status new → pending" in message
    assert raised.value.current_version == 2
    assert detail(store, ticket.number).ticket.status == "pending"


def test_a_change_on_the_current_version_goes_through(store, admin):
    ticket = new_ticket(store, admin)
    after = change(store, admin, ticket.number, expected_version=1, priority="low")
    assert after.priority == "low"


def test_a_stale_reply_is_refused_too(store, admin, agent):
    ticket = new_ticket(store, admin)
    change(store, agent, ticket.number, status="open")
    with pytest.raises(StaleTicket):
        store.write(lambda s: tickets.add_reply(s, actor=admin, number=ticket.number,
                                                body="Done", status="solved",
                                                expected_version=1))
    assert len(detail(store, ticket.number).messages) == 1


def test_a_bad_value_applies_nothing(store, admin):
    ticket = new_ticket(store, admin)
    with pytest.raises(InvalidInput, match="'bad tag' is not a tag"):
        change(store, admin, ticket.number, status="pending", tags=("ok", "bad tag"))
    found = detail(store, ticket.number)
    assert (found.ticket.status, found.ticket.tags, found.ticket.version) == ("new", (), 1)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"priority": "asap"}, "priority 'asap' is not one of"),
        ({"status": "done"}, "status 'done' is not one of"),
        ({"type": "bug"}, "type 'bug' is not one of"),
        ({"tier": 4}, "tier 4 is not 1, 2 or 3"),
        ({}, "nothing to change"),
    ],
)
def test_bad_field_values_are_named(store, admin, fields, message):
    ticket = new_ticket(store, admin)
    with pytest.raises(InvalidInput, match=message):
        change(store, admin, ticket.number, **fields)


def test_unknown_tickets_agents_and_groups_are_not_found(store, admin):
    ticket = new_ticket(store, admin)
    with pytest.raises(NotFound, match="no ticket #999"):
        change(store, admin, 999, status="open")
    with pytest.raises(NotFound, match="no agent named 'zed'"):
        change(store, admin, ticket.number, assignee="zed")
    with pytest.raises(NotFound, match="no group named 'Nope'"):
        change(store, admin, ticket.number, group="Nope")


def test_a_deactivated_agent_cannot_be_assigned(store, admin, agent):
    store.write(lambda s: people.set_agent(s, username="bert", active=False))
    ticket = new_ticket(store, admin)
    with pytest.raises(InvalidInput, match="deactivated"):
        change(store, admin, ticket.number, assignee="bert")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"subject": "   "}, "subject: must not be empty"),
        ({"body": ""}, "body: must not be empty"),
        ({"requester_email": "not-an-address"}, "requester: 'not-an-address' is not an e-mail"),
    ],
)
def test_a_ticket_needs_a_subject_a_body_and_a_requester(store, admin, fields, message):
    with pytest.raises(InvalidInput, match=message):
        new_ticket(store, admin, **fields)
    with store.read() as session:
        assert reads.count_tickets(session) == 0


def test_requester_and_organization_history_list_unsolved_first(store, admin):
    store.write(lambda s: s.add(Organization(name="Acme Corp", domain="acme.test")))
    old = new_ticket(store, admin, requester_email="carol@acme.test", subject="Old one")
    change(store, admin, old.number, status="solved")
    new_ticket(store, admin, requester_email="carol@acme.test", subject="Current one")
    new_ticket(store, admin, requester_email="dan@acme.test", subject="Dan's")
    new_ticket(store, admin, requester_email="eve@other.test", subject="Elsewhere")
    with store.read() as session:
        carol = requester_history(session, email="carol@acme.test")
        acme = organization_history(session, name="Acme Corp")
    assert [t.subject for t in carol] == ["Current one", "Old one"]
    assert [t.subject for t in acme][-1] == "Old one"
    assert {t.subject for t in acme} == {"Old one", "Current one", "Dan's"}


@pytest.mark.parametrize(("text", "number"), [("#1042", 1042), ("1042", 1042), (" #7 ", 7)])
def test_references_parse_with_or_without_the_hash(text, number):
    assert checks.parse_ref(text) == number


@pytest.mark.parametrize("text", ["", "#", "abc", "#12a", "-5", "1" * 13])
def test_bad_references_are_refused(text):
    with pytest.raises(InvalidInput, match="is not a ticket reference"):
        checks.parse_ref(text)
