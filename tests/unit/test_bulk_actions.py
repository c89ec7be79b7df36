"""Bulk actions on both stores: one change on many tickets, in one transaction, with the same
rules and audit trail as a single change, skipping the tickets that cannot take it."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from deskterm.db.models import Event, Ticket
from deskterm.desk.errors import InvalidInput, NotFound, StaleTicket
from deskterm.desk.people import directory as people
from deskterm.desk.tickets import bulk as bulk_actions
from deskterm.desk.tickets import change as tickets_change
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.bulk import BulkChange, BulkResult, apply_bulk

from .helpers import change, detail

MANY = 40


def _file(store, actor, count: int, **fields) -> list[int]:
    """``count`` tickets filed in one transaction; their numbers."""

    def work(session):
        return [
            tickets.create_ticket(session, actor=actor, requester_email=f"c{i % 7}@acme.test",
                                  subject=f"Ticket {i}", body="Help", **fields).number
            for i in range(count)
        ]

    return store.write(work)


def _bulk(store, actor, numbers, **fields) -> BulkResult:
    return store.write(lambda s: apply_bulk(s, actor=actor, numbers=numbers,
                                            change=BulkChange(**fields)))


def _rows(store, numbers):
    with store.read() as session:
        rows = session.exec(select(Ticket).where(col(Ticket.id).in_(numbers))).all()
    return {row.id: row for row in rows}


def _events(store, numbers, *, since_version: int = 1) -> list[tuple[int, str, str, str, int]]:
    with store.read() as session:
        rows = session.exec(
            select(Event).where(col(Event.ticket_id).in_(numbers),
                                Event.version > since_version).order_by(col(Event.id))
        ).all()
    return [(e.ticket_id, e.field, e.old, e.new, e.version) for e in rows]


def _event_count(store) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(Event)).one()


def test_assigning_many_tickets_writes_one_event_per_field_per_ticket(store, admin, agent):
    numbers = _file(store, admin, MANY)

    result = _bulk(store, admin, numbers, assignee="bert", priority="high")

    assert result.changed == tuple(numbers)
    assert (result.unchanged, result.skipped) == ((), ())
    assert result.summary() == f"Changed {MANY} tickets (assigned to bert, priority high)"
    rows = _rows(store, numbers)
    assert {(r.assignee_id, r.priority, r.status, r.version) for r in rows.values()} == {
        (agent.id, 2, "open", 2)}  # owned now, so open, as a single change would do
    events = _events(store, numbers)
    assert len(events) == 3 * MANY
    for number in numbers:
        assert [e[1:] for e in events if e[0] == number] == [
            ("assignee", None, "bert", 2), ("priority", "normal", "high", 2),
            ("status", "new", "open", 2)]
    assert detail(store, numbers[0]).events[-1].actor == "ada"


def test_take_assigns_to_the_acting_agent(store, admin, agent):
    numbers = _file(store, admin, 5)
    _bulk(store, admin, numbers[:2], assignee="ada")

    result = _bulk(store, agent, numbers, take=True)

    assert result.summary() == "Changed 5 tickets (taken)"
    assert {r.assignee_id for r in _rows(store, numbers).values()} == {agent.id}
    assert [e[2:4] for e in _events(store, numbers[:1]) if e[1] == "assignee"] == [
        (None, "ada"), ("ada", "bert")]


def test_take_and_assign_together_are_refused(store, admin):
    numbers = _file(store, admin, 1)
    with pytest.raises(InvalidInput, match="not both"):
        _bulk(store, admin, numbers, take=True, assignee="ada")


def test_unassign_and_clear_group(store, admin, agent):
    store.write(lambda s: people.add_group(s, name="billing"))
    numbers = _file(store, admin, 6, assignee="bert", group="billing")

    result = _bulk(store, admin, numbers, assignee="none", group="none")

    assert result.summary() == "Changed 6 tickets (unassigned, removed from their group)"
    assert {(r.assignee_id, r.group_id, r.status) for r in _rows(store, numbers).values()} == {
        (None, None, "open")}
    assert Counter(e[1:4] for e in _events(store, numbers)) == {
        ("assignee", "bert", None): 6, ("group", "billing", None): 6}


def test_moving_tickets_to_a_group(store, admin):
    store.write(lambda s: people.add_group(s, name="network"))
    numbers = _file(store, admin, 4)

    _bulk(store, admin, numbers, group="network")

    assert {detail(store, n).ticket.group for n in numbers} == {"network"}


def test_tags_are_added_and_removed_with_one_event_per_ticket(store, admin):
    numbers = _file(store, admin, 10, tags=["vpn", "spam"])
    with_wifi = _file(store, admin, 3, tags=["wifi"])

    result = _bulk(store, admin, numbers + with_wifi, add_tags=("Urgent", "wifi"),
                   remove_tags=("spam",))

    assert result.changed == tuple(numbers + with_wifi)
    for number in numbers:
        assert detail(store, number).ticket.tags == ("urgent", "vpn", "wifi")
    assert detail(store, with_wifi[0]).ticket.tags == ("urgent", "wifi")
    events = _events(store, numbers + with_wifi)
    assert len(events) == 13
    assert events[0][1:4] == ("tags", "spam,vpn", "urgent,vpn,wifi")
    assert events[-1][1:4] == ("tags", "wifi", "urgent,wifi")


def test_removing_tags_a_ticket_lacks_leaves_it_unchanged(store, admin):
    tagged = _file(store, admin, 2, tags=["spam"])
    clean = _file(store, admin, 3)

    result = _bulk(store, admin, tagged + clean, remove_tags=("spam",))

    assert (result.changed, result.unchanged) == (tuple(tagged), tuple(clean))
    assert result.summary() == "Changed 2 tickets (untagged spam); 3 already so"
    assert {r.version for r in _rows(store, clean).values()} == {1}


def test_status_change_respects_the_lifecycle_and_skips_what_it_forbids(store, admin, agent):
    numbers = _file(store, admin, 6, assignee="bert")
    solved, closed = numbers[:2], numbers[2:3]
    _bulk(store, admin, solved + closed, status="solved")
    _bulk(store, admin, closed, status="closed")
    before = _event_count(store)

    result = _bulk(store, agent, numbers, status="pending")

    assert result.changed == tuple(numbers[3:])
    refused = "solved (cannot become pending)"
    assert result.skipped == ((solved[0], refused), (solved[1], refused), (closed[0], "closed"))
    assert result.summary() == (
        "Changed 3 tickets (status pending); skipped 2 solved (cannot become pending), 1 closed")
    assert _event_count(store) == before + 3
    statuses = {n: r.status for n, r in _rows(store, numbers).items()}
    assert [statuses[n] for n in numbers] == ["solved", "solved", "closed", "pending", "pending",
                                              "pending"]


def test_a_skipped_ticket_is_left_entirely_untouched(store, admin, agent):
    """The status check comes first: a solved ticket is not half-changed (assigned only)."""
    [number] = _file(store, admin, 1, assignee="ada")
    _bulk(store, admin, [number], status="solved")
    version = _rows(store, [number])[number].version

    result = _bulk(store, admin, [number], assignee="bert", status="pending")

    assert result.changed == ()
    row = _rows(store, [number])[number]
    assert (row.assignee_id, row.version) == (admin.id, version)


def test_solving_unassigned_tickets_assigns_the_solver(store, admin, agent):
    numbers = _file(store, admin, 3)

    _bulk(store, agent, numbers, status="solved")

    assert {(r.assignee_id, r.status) for r in _rows(store, numbers).values()} == {
        (agent.id, "solved")}


def test_closing_only_solved_tickets(store, admin):
    numbers = _file(store, admin, 4, assignee="ada")
    _bulk(store, admin, numbers[:2], status="solved")

    result = _bulk(store, admin, numbers, status="closed")

    assert result.changed == tuple(numbers[:2])
    assert [reason for _, reason in result.skipped] == ["open (cannot become closed)"] * 2
    assert all(r.closed_at is not None for r in _rows(store, numbers[:2]).values())


def test_missing_tickets_are_skipped_and_duplicates_counted_once(store, admin, agent):
    numbers = _file(store, admin, 2)

    result = _bulk(store, admin, [numbers[0], 99_999, numbers[1], numbers[0]], priority="low")

    assert result.changed == tuple(numbers)
    assert result.skipped == ((99_999, "not found"),)


@pytest.mark.parametrize("fields, error, match", [
    ({"assignee": "nobody"}, NotFound, "nobody"),
    ({"group": "nowhere"}, NotFound, "nowhere"),
    ({"status": "done"}, InvalidInput, "status 'done'"),
    ({"priority": "asap"}, InvalidInput, "priority 'asap'"),
    ({"add_tags": ("two words",)}, InvalidInput, "is not a tag"),
    ({}, InvalidInput, "nothing to change"),
])
def test_a_bad_value_is_refused_before_anything_is_applied(store, admin, fields, error, match):
    numbers = _file(store, admin, 5)
    before = _event_count(store)

    with pytest.raises(error, match=match):
        _bulk(store, admin, numbers, **({"priority": "urgent"} | fields) if fields else {})

    assert _event_count(store) == before
    assert {(r.priority, r.version) for r in _rows(store, numbers).values()} == {(1, 1)}


def test_a_deactivated_assignee_is_refused(store, admin, agent):
    store.write(lambda s: people.set_agent(s, username="bert", active=False))
    numbers = _file(store, admin, 2)
    with pytest.raises(InvalidInput, match="deactivated"):
        _bulk(store, admin, numbers, assignee="bert")


def test_a_failure_midway_rolls_everything_back(store, admin, agent, monkeypatch):
    numbers = _file(store, admin, 12, tags=["vpn"])
    before = _event_count(store)
    calls = 0
    real_apply = bulk_actions.apply_changes

    def failing_apply(change, wanted, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 7:
            raise RuntimeError("disk on fire")
        return real_apply(change, wanted, **kwargs)

    monkeypatch.setattr(bulk_actions, "apply_changes", failing_apply)
    with pytest.raises(RuntimeError, match="disk on fire"):
        _bulk(store, admin, numbers, assignee="bert", add_tags=("urgent",))

    assert _event_count(store) == before
    rows = _rows(store, numbers)
    assert {(r.assignee_id, r.status, r.version) for r in rows.values()} == {(None, "new", 1)}
    assert {detail(store, n).ticket.tags for n in numbers} == {("vpn",)}


def test_a_database_error_while_writing_the_events_rolls_everything_back(store, admin, agent,
                                                                         monkeypatch):
    numbers = _file(store, admin, 8)
    before = _event_count(store)
    real_bump = tickets_change.Change.bump

    def bump_with_a_bad_row(self):
        rows = real_bump(self)
        if self.ticket.id == numbers[-1]:
            rows[0]["field"] = None  # NOT NULL: the store refuses the batch of events
        return rows

    monkeypatch.setattr(tickets_change.Change, "bump", bump_with_a_bad_row)
    with pytest.raises(IntegrityError):
        _bulk(store, admin, numbers, priority="urgent")

    assert _event_count(store) == before
    assert {(r.priority, r.version) for r in _rows(store, numbers).values()} == {(1, 1)}


def test_a_stale_single_ticket_change_after_a_bulk_change_is_refused(store, admin, agent):
    numbers = _file(store, admin, 3)
    seen_version = detail(store, numbers[1]).ticket.version

    _bulk(store, admin, numbers, assignee="bert")

    with pytest.raises(StaleTicket, match="ada") as refused:
        change(store, agent, numbers[1], expected_version=seen_version, priority="urgent")
    assert "assignee - → bert" in str(refused.value)
    assert refused.value.current_version == seen_version + 1


def test_bulk_changes_do_not_mark_tickets_seen(store, admin, agent):
    [number] = _file(store, admin, 1, assignee="bert")
    store.write(lambda s: tickets.add_customer_message(s, number=number, email="c0@acme.test",
                                                       body="Any news?"))

    _bulk(store, agent, [number], priority="high")

    assert detail(store, number).ticket.unseen_reply


def test_describe_and_summary_phrases():
    change = BulkChange(assignee="bert", status="pending", add_tags=("vpn",))
    assert change.describe() == "assigned to bert, status pending, tagged vpn"
    assert BulkChange(group="none", remove_tags=("spam", "junk")).describe() == (
        "removed from their group, untagged spam, junk")
    one = BulkResult(changed=(1001,), unchanged=(), skipped=(), description="priority low")
    assert one.summary() == "Changed 1 ticket (priority low)"
    none = BulkResult(changed=(), unchanged=(), skipped=((1001, "closed"),))
    assert none.summary() == "Changed no tickets; skipped 1 closed"
    assert bulk_actions.BULK_CONFIRM_OVER == 50


def test_a_few_hundred_tickets_in_one_go(store, admin, agent):
    numbers = _file(store, admin, 300, tags=["vpn"])

    result = _bulk(store, agent, numbers, take=True, priority="urgent", add_tags=("l2",),
                   remove_tags=("vpn",))

    assert len(result.changed) == 300
    assert len(_events(store, numbers)) == 300 * 4
    assert {detail(store, n).ticket.tags for n in numbers[::50]} == {("l2",)}


# --- rules and assignment after a bulk change ---------------------------------------------------


def _rules(store, text: str) -> None:
    from deskterm.desk.automation import ruleset

    store.write(lambda s: ruleset.replace_rules(s, ruleset.check_file(s, text)))


def test_updated_rules_run_on_every_changed_ticket_as_after_one_change(store, admin, agent):
    """A bulk change sets off the ``updated`` rules on each ticket it changed (an agent's
    change would: a help desk's triggers fire on bulk updates too), each a change of its own
    naming the rule; a ticket the bulk action skipped or left unchanged sets off nothing."""
    _rules(store, '[[rule]]\nname = "Urgent to level 2"\non = ["updated"]\n'
                  '[rule.when]\npriority = ["urgent"]\n[rule.then]\ntier = 2\n'
                  'add_tags = ["escalated"]\n')
    numbers = _file(store, admin, 3)
    already = _file(store, admin, 1, priority="urgent")
    closed = _file(store, admin, 1)
    for status in ("solved", "closed"):
        change(store, admin, closed[0], status=status)
    result = _bulk(store, admin, numbers + already + closed, priority="urgent")
    assert (result.changed, result.unchanged) == (tuple(numbers), tuple(already))
    rows = _rows(store, numbers + already + closed)
    assert [(rows[n].tier, rows[n].version) for n in numbers] == [(2, 3)] * 3
    assert (rows[already[0]].tier, rows[already[0]].version) == (1, 1)
    assert rows[closed[0]].tier == 1
    for number in numbers:
        trail = [(e.field, e.version, e.via, e.actor) for e in detail(store, number).events]
        assert trail[1:] == [("priority", 2, None, "ada"),
                             ("tier", 3, "rule:Urgent to level 2", "ada"),
                             ("tags", 3, "rule:Urgent to level 2", "ada")]


def test_tickets_moved_in_bulk_into_a_round_robin_group_are_shared_out(store, admin, agent):
    from deskterm.desk.people import availability

    def team(session):
        people.add_group(session, name="billing")
        for name in ("ann", "bob"):
            people.add_agent(session, username=name, display_name=name.title())
            people.add_member(session, group="billing", username=name)
        availability.set_assignment(session, group="billing", strategy="round-robin")

    store.write(team)
    numbers = _file(store, admin, 4)
    result = _bulk(store, admin, numbers, group="billing")
    assert result.changed == tuple(numbers)
    rows = _rows(store, numbers)
    assert [rows[n].assignee_id is not None for n in numbers] == [True] * 4
    assert Counter(rows[n].assignee_id for n in numbers).most_common()[0][1] == 2
    assert {(e.field, e.via) for e in detail(store, numbers[0]).events if e.version == 3} == {
        ("assignee", "assignment:billing"), ("status", "assignment:billing")}
