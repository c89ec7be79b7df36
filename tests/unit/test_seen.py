"""The unseen-customer-reply marker on both stores: who has seen a ticket since the requester
last wrote, and what clears it (the migration's backfill is in test_migrations.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from deskterm.db.models import TicketSeen
from deskterm.desk.errors import InvalidInput, NotFound
from deskterm.desk.filter.ticket_filter import TicketFilter
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.reads import list_tickets

from .helpers import change, detail, new_ticket


def _customer_writes(store, number: int, body: str = "Any news?"):
    return store.write(lambda s: tickets.add_customer_message(
        s, number=number, email="carol@acme.test", body=body))


def _unseen(store, number: int) -> bool:
    with store.read() as session:
        page = list_tickets(session, where=TicketFilter(), limit=100)
    return {row.number: row.unseen_reply for row in page.items}[number]


def _mark_seen(store, agent: str, number: int, at=None):
    store.write(lambda s: tickets.mark_seen(s, agent=agent, number=number, at=at))


@pytest.fixture
def assigned(store, admin, agent):
    """A ticket filed by ada, assigned to bert."""
    return new_ticket(store, admin, assignee="bert")


def test_the_opening_message_is_not_a_customer_reply(store, admin, assigned):
    assert assigned.customer_replied_at is None
    assert not assigned.unseen_reply
    assert not _unseen(store, assigned.number)


def test_a_customer_reply_is_unseen_for_the_assignee(store, assigned):
    after = _customer_writes(store, assigned.number)

    assert after.customer_replied_at is not None
    assert after.unseen_reply
    assert _unseen(store, assigned.number)
    assert detail(store, assigned.number).ticket.unseen_reply


def test_an_unassigned_ticket_never_shows_the_marker(store, admin):
    ticket = new_ticket(store, admin)
    assert not _customer_writes(store, ticket.number).unseen_reply


def test_mark_seen_clears_the_marker(store, assigned):
    _customer_writes(store, assigned.number)

    _mark_seen(store, "bert", assigned.number)

    assert not _unseen(store, assigned.number)


def test_a_new_reply_after_being_seen_shows_the_marker_again(store, assigned):
    _customer_writes(store, assigned.number)
    _mark_seen(store, "bert", assigned.number)

    _customer_writes(store, assigned.number, "Still broken.")

    assert _unseen(store, assigned.number)


def test_the_assignees_reply_clears_the_marker(store, agent, assigned):
    _customer_writes(store, assigned.number)

    after = store.write(lambda s: tickets.add_reply(s, actor=agent, number=assigned.number,
                                                    body="On it."))

    assert not after.unseen_reply
    assert not _unseen(store, assigned.number)


def test_the_assignees_note_and_field_change_clear_the_marker(store, agent, assigned):
    _customer_writes(store, assigned.number)
    store.write(lambda s: tickets.add_note(s, actor=agent, number=assigned.number,
                                           body="Checking the logs."))
    assert not _unseen(store, assigned.number)

    _customer_writes(store, assigned.number, "Hello?")
    assert not change(store, agent, assigned.number, priority="high").unseen_reply


def test_another_agent_looking_does_not_clear_the_assignees_marker(store, admin, assigned):
    _customer_writes(store, assigned.number)

    _mark_seen(store, "ada", assigned.number)
    store.write(lambda s: tickets.add_note(s, actor=admin, number=assigned.number,
                                           body="bert, have a look"))

    assert _unseen(store, assigned.number)


def test_reassigning_shows_the_marker_to_the_new_assignee(store, admin, agent, assigned):
    _customer_writes(store, assigned.number)
    _mark_seen(store, "bert", assigned.number)
    assert not _unseen(store, assigned.number)

    after = change(store, admin, assigned.number, assignee="ada")
    assert not after.unseen_reply  # ada changed it: she has seen it

    store.write(lambda s: tickets.add_note(s, actor=agent, number=assigned.number, body="x"))
    assert not change(store, agent, assigned.number, assignee="bert").unseen_reply


def test_the_agent_who_files_a_ticket_has_seen_it(store, admin):
    ticket = new_ticket(store, admin, assignee="ada")

    with store.read() as session:
        seen = session.exec(select(TicketSeen.agent_id, TicketSeen.seen_at)
                            .where(TicketSeen.ticket_id == ticket.number)).all()
    assert seen == [(admin.id, ticket.created_at)]


def test_mark_seen_never_moves_back_in_time(store, assigned):
    _customer_writes(store, assigned.number)
    _mark_seen(store, "bert", assigned.number)

    _mark_seen(store, "bert", assigned.number, at=datetime(2020, 1, 1, tzinfo=UTC))

    assert not _unseen(store, assigned.number)


def test_mark_seen_at_a_time_before_the_reply_leaves_it_unseen(store, assigned):
    replied = _customer_writes(store, assigned.number).customer_replied_at

    _mark_seen(store, "bert", assigned.number, at=replied - timedelta(seconds=1))
    assert _unseen(store, assigned.number)
    _mark_seen(store, "bert", assigned.number, at=replied)
    assert not _unseen(store, assigned.number)


def test_mark_seen_refuses_unknown_tickets_agents_and_naive_times(store, assigned):
    with pytest.raises(NotFound, match="#9999"):
        _mark_seen(store, "bert", 9999)
    with pytest.raises(NotFound, match="nobody"):
        _mark_seen(store, "nobody", assigned.number)
    with pytest.raises(InvalidInput, match="time zone"):
        _mark_seen(store, "bert", assigned.number, at=datetime(2026, 1, 1))


def test_a_reply_to_a_closed_ticket_starts_a_follow_up_without_a_reply_marker(store, admin,
                                                                             agent, assigned):
    store.write(lambda s: tickets.add_reply(s, actor=agent, number=assigned.number, body="Done",
                                            status="solved"))
    change(store, agent, assigned.number, status="closed")

    follow_up = _customer_writes(store, assigned.number, "It broke again")

    assert follow_up.number != assigned.number
    assert follow_up.customer_replied_at is None
    assert detail(store, assigned.number).ticket.customer_replied_at is None


def test_the_cli_shows_the_marker_in_json(cli, store, assigned):
    _customer_writes(store, assigned.number)

    listed = json.loads(cli("ticket", "list", "--json").stdout)
    shown = json.loads(cli("ticket", "show", assigned.ref, "--json").stdout)

    [row] = listed["tickets"]
    assert row["unseen_reply"] is True
    assert row["customer_replied_at"].startswith(str(datetime.now(UTC).year))
    assert shown["ticket"]["unseen_reply"] is True
