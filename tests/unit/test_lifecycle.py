"""Every status transition, on both stores."""

from __future__ import annotations

import pytest

from deskterm.db.models import STATUSES
from deskterm.desk.errors import PermissionDenied, TransitionRefused
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.lifecycle import ALLOWED

from .helpers import change, detail, new_ticket

# How to bring a fresh (new) ticket into each status.
PATHS = {
    "new": [],
    "open": ["open"],
    "pending": ["pending"],
    "on_hold": ["on_hold"],
    "solved": ["solved"],
    "closed": ["solved", "closed"],
}


def _ticket_in(store, actor, status):
    ticket = new_ticket(store, actor)
    for step in PATHS[status]:
        ticket = change(store, actor, ticket.number, status=step)
    assert ticket.status == status
    return ticket


def test_every_status_pair_is_allowed_or_refused_as_the_lifecycle_says(store, admin):
    outcomes = {}
    for old in STATUSES:
        for new in STATUSES:
            if old == new:
                continue
            ticket = _ticket_in(store, admin, old)
            try:
                after = change(store, admin, ticket.number, status=new)
            except (TransitionRefused, PermissionDenied):
                outcomes[(old, new)] = "refused"
                assert detail(store, ticket.number).ticket.status == old
            else:
                outcomes[(old, new)] = "allowed"
                assert after.status == new
                assert after.version == ticket.version + 1
    expected = {
        (old, new): "allowed" if new in ALLOWED[old] else "refused"
        for old in STATUSES for new in STATUSES if old != new
    }
    assert outcomes == expected


def test_the_allowed_table_is_the_help_desk_lifecycle():
    assert ALLOWED["closed"] == frozenset()
    assert all("new" not in targets for targets in ALLOWED.values())
    assert {old for old, targets in ALLOWED.items() if "closed" in targets} == {"solved"}
    assert ALLOWED["solved"] == frozenset({"open", "closed"})


def test_going_back_to_new_names_the_alternative(store, admin):
    ticket = _ticket_in(store, admin, "open")
    with pytest.raises(TransitionRefused, match="set it to open instead"):
        change(store, admin, ticket.number, status="new")


def test_closed_is_final_for_fields_replies_and_notes(store, admin):
    ticket = _ticket_in(store, admin, "closed")
    with pytest.raises(PermissionDenied, match="closed is final"):
        change(store, admin, ticket.number, priority="urgent")
    with pytest.raises(PermissionDenied, match="closed is final"):
        store.write(lambda s: tickets.add_reply(s, actor=admin, number=ticket.number,
                                                body="hello?"))
    with pytest.raises(PermissionDenied, match="closed is final"):
        store.write(lambda s: tickets.add_note(s, actor=admin, number=ticket.number, body="x"))


def test_only_a_solved_ticket_can_be_closed(store, admin):
    ticket = _ticket_in(store, admin, "pending")
    with pytest.raises(TransitionRefused, match="only a solved ticket can be closed"):
        change(store, admin, ticket.number, status="closed")


def test_solving_stamps_solved_at_and_closing_stamps_closed_at(store, admin):
    ticket = _ticket_in(store, admin, "closed")
    found = detail(store, ticket.number).ticket
    assert found.solved_at is not None
    assert found.status == "closed"


def test_reopening_a_solved_ticket_counts_a_reopen(store, admin):
    ticket = _ticket_in(store, admin, "solved")
    reopened = change(store, admin, ticket.number, status="open")
    assert reopened.reopens == 1


@pytest.mark.parametrize("waiting", ["pending", "on_hold", "solved"])
def test_a_customer_reply_reopens_a_waiting_or_solved_ticket(store, admin, waiting):
    ticket = _ticket_in(store, admin, waiting)
    after = store.write(lambda s: tickets.add_customer_message(
        s, number=ticket.number, email="carol@acme.test", body="Still broken."))
    assert after.number == ticket.number
    assert after.status == "open"
    events = detail(store, ticket.number).events
    assert (events[-1].field, events[-1].old, events[-1].new, events[-1].actor) == (
        "status", waiting, "open", None)


def test_a_customer_reply_leaves_new_and_open_tickets_as_they_are(store, admin):
    fresh = new_ticket(store, admin)
    after = store.write(lambda s: tickets.add_customer_message(
        s, number=fresh.number, email="carol@acme.test", body="Any news?"))
    assert after.status == "new"
    assert after.version == fresh.version


def test_a_customer_reply_to_a_closed_ticket_starts_a_follow_up(store, admin):
    ticket = _ticket_in(store, admin, "closed")
    follow_up = store.write(lambda s: tickets.add_customer_message(
        s, number=ticket.number, email="carol@acme.test", body="It is back."))
    assert follow_up.number != ticket.number
    assert follow_up.status == "new"
    assert follow_up.subject == ticket.subject
    body = detail(store, follow_up.number).messages[0].body
    assert f"follow-up to #{ticket.number}" in body
    assert detail(store, ticket.number).ticket.status == "closed"


def test_assigning_a_new_ticket_opens_it(store, admin):
    ticket = new_ticket(store, admin)
    after = change(store, admin, ticket.number, assignee="ada")
    assert (after.status, after.assignee) == ("open", "ada")


def test_solving_an_unassigned_ticket_assigns_the_solver(store, admin):
    ticket = new_ticket(store, admin)
    after = change(store, admin, ticket.number, status="solved")
    assert after.assignee == "ada"
    fields = [e.field for e in detail(store, ticket.number).events]
    assert fields == ["created", "assignee", "status"]
