"""The use-case API (``deskterm.desk.service.Desk``) on both stores: each use case is one
transaction that does the whole help-desk step, as the console and the CLI both call it."""

from __future__ import annotations

import pytest

from deskterm.desk.errors import IdentityError, InvalidInput, StaleTicket
from deskterm.desk.service import Desk
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.change import TicketChanges
from deskterm.desk.tickets.macros import MacroActions

from .helpers import new_ticket


@pytest.fixture
def bert(store, agent) -> Desk:
    return Desk(store, agent)


@pytest.fixture
def ticket(store, admin, agent):
    """A ticket assigned to bert, the requester having written again (unseen by bert)."""
    filed = new_ticket(store, admin, assignee="bert")
    store.write(lambda s: tickets.add_customer_message(s, number=filed.number,
                                                       email="carol@acme.test", body="Any news?"))
    return filed


def _draft(desk: Desk, number: int):
    return desk.ticket_page(number).draft


@pytest.mark.parametrize(("kind", "public", "status"), [
    ("reply", True, "pending"), ("note", False, "open"), ("customer", True, "open"),
])
def test_send_adds_the_message_and_drops_the_draft_at_once(bert, ticket, kind, public, status):
    bert.save_draft(ticket.number, kind=kind, body="Half a thought")
    assert _draft(bert, ticket.number) is not None

    sent = bert.send(ticket.number, body="Try the blue tray.", kind=kind,
                     status="pending" if kind == "reply" else None)

    assert sent.status == status
    page = bert.ticket_page(ticket.number)
    assert page.draft is None
    newest = page.detail.messages[-1]
    assert (newest.body, newest.public) == ("Try the blue tray.", public)
    assert newest.author_kind == ("customer" if kind == "customer" else "agent")


def test_a_reply_or_note_clears_the_unseen_marker_for_its_sender(bert, ticket):
    assert bert.open_ticket(ticket.number).ticket.unseen_reply

    bert.send(ticket.number, body="On it.", kind="note")

    assert not bert.open_ticket(ticket.number).ticket.unseen_reply


def test_send_with_a_macro_sends_its_text_and_makes_its_actions(store, admin, bert, ticket):
    Desk(store, admin).add_macro("Waiting", body="Hi {{requester.first_name}}, we wait.",
                                 actions=MacroActions(status="pending", add_tags=("waiting",)))
    bert.save_draft(ticket.number, kind="reply", body="old text")

    sent = bert.send(ticket.number, body=None, macro="Waiting")

    assert (sent.status, sent.tags) == ("pending", ("waiting",))
    page = bert.ticket_page(ticket.number)
    assert page.detail.messages[-1].body.endswith("we wait.")
    assert page.draft is None


def test_a_stale_send_changes_nothing_and_keeps_the_draft(bert, ticket):
    current = bert.open_ticket(ticket.number).ticket.version
    bert.change(ticket.number, TicketChanges(priority="high"))
    bert.save_draft(ticket.number, kind="reply", body="Keep me")

    with pytest.raises(StaleTicket):
        bert.send(ticket.number, body="Late", status="solved", expected_version=current)

    page = bert.ticket_page(ticket.number)
    assert page.draft is not None and page.draft.body == "Keep me"
    assert page.detail.ticket.status != "solved"


@pytest.mark.parametrize(("options", "why"), [
    ({"body": "x", "kind": "email"}, "send as 'email'"),
    ({"body": "x", "kind": "customer", "macro": "Waiting"}, "a macro is sent by an agent"),
    ({"body": None}, "nothing to send"),
])
def test_send_refuses_what_is_not_a_send(bert, ticket, options, why):
    with pytest.raises(InvalidInput, match=why):
        bert.send(ticket.number, **options)


def test_solving_a_problem_drops_the_draft(bert, ticket):
    bert.change(ticket.number, TicketChanges(type="problem"))
    bert.save_draft(ticket.number, kind="reply", body="Draft")

    assert bert.solve_problem(ticket.number, body="Fixed.", incidents=True) == [ticket.number]

    assert _draft(bert, ticket.number) is None


def test_a_desk_opened_by_name_finds_its_agent_on_first_use(store, admin, agent):
    by_name = Desk(store, username="bert")
    assert by_name.list_tickets().items == ()
    assert by_name.actor == agent
    stranger = Desk(store, username="mallory")
    with pytest.raises(IdentityError, match="'mallory' is not an agent"):
        stranger.list_tickets()


def test_the_queue_reads_a_window_its_rows_and_view_counts(store, admin, bert):
    numbers = [new_ticket(store, admin, subject=f"Printer {i}").number for i in range(5)]

    window = bert.queue_window("status:new sort:number", start=3, count=10)
    rows = bert.queue_rows("status:new sort:number", start=1, count=2, total=window.total)

    assert (window.total, window.first, window.sort) == (5, 3, "number")
    assert [r.number for r in window.rows] == numbers[3:]
    assert [r.number for r in rows] == numbers[1:3]
    counts = bert.count_views({"new": "status:new", "gone": "group:Nowhere"})
    assert counts == {"new": 5}  # a view naming a group that is gone has no count
    assert bert.matching_numbers("status:new") == (sorted(numbers, reverse=True), False)


def test_a_saved_view_keeps_its_sort_and_its_owner_deletes_it(bert):
    saved = bert.save_view("Mine", query="assignee:me sort:-priority", shared=True)

    assert (saved.sort, saved.shared) == ("-priority", True)
    assert [v.name for v in bert.list_views()] == ["Mine"]
    bert.delete_view("Mine")
    assert bert.list_views() == []
