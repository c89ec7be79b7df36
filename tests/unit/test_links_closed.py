"""A closed ticket is read-only, links included, on both stores: linking it to an open ticket
records the link (read from both sides) with its event on the open one only; two closed
tickets, or an incident and a closed problem, are not linked."""

from __future__ import annotations

import pytest

from deskterm.desk.errors import PermissionDenied
from deskterm.desk.tickets import ops as ticket_ops

from .helpers import change, detail, new_ticket


def _closed(store, actor):
    ticket = new_ticket(store, actor, subject="Printer jammed last month")
    change(store, actor, ticket.number, status="solved")
    return change(store, actor, ticket.number, status="closed")


def _link(store, actor, number, other, kind="related"):
    return store.write(lambda s: ticket_ops.link(s, actor=actor, number=number, other=other,
                                                 kind=kind))


def test_linking_a_closed_ticket_records_the_link_and_leaves_it_unchanged(store, admin):
    closed = _closed(store, admin)
    before = detail(store, closed.number)
    fresh = new_ticket(store, admin)
    for number, other in ((fresh.number, closed.number), (closed.number, fresh.number)):
        links = _link(store, admin, number, other)
        assert links.related  # linked (again: already so, nothing changes)
        after = detail(store, closed.number)
        assert (after.ticket.version, after.ticket.updated_at, after.events) == (
            before.ticket.version, before.ticket.updated_at, before.events)
        assert [t.number for t in after.links.related] == [fresh.number]
    opened = detail(store, fresh.number)
    assert [(e.field, e.new) for e in opened.events if e.field == "link"] == [
        ("link", f"related {closed.ref}")]
    assert opened.ticket.version == fresh.version + 1

    store.write(lambda s: ticket_ops.unlink(s, actor=admin, number=fresh.number,
                                            other=closed.number))
    after = detail(store, closed.number)
    assert (after.ticket.version, after.events, after.links.related) == (
        before.ticket.version, before.events, ())
    assert [(e.old, e.new) for e in detail(store, fresh.number).events
            if e.field == "link"][-1] == (f"related {closed.ref}", None)


def test_two_closed_tickets_or_a_closed_problem_are_refused_in_one_line(store, admin):
    first, second = _closed(store, admin), _closed(store, admin)
    with pytest.raises(PermissionDenied, match=(
            f"^{first.ref} and {second.ref} are both closed, and closed is final: "
            "cannot link them$")):
        _link(store, admin, second.number, first.number)
    problem = new_ticket(store, admin, ticket_type="problem")
    change(store, admin, problem.number, status="solved")
    change(store, admin, problem.number, status="closed")
    incident = new_ticket(store, admin)
    with pytest.raises(PermissionDenied, match=f"^{problem.ref} is closed, and closed is final"):
        _link(store, admin, incident.number, problem.number, kind="incident")
    for number in (first.number, second.number, problem.number, incident.number):
        assert detail(store, number).links.related == ()
    assert detail(store, incident.number).links.problem is None
