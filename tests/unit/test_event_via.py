"""events.via: an automatic change names what made it, on every read of the audit trail."""

from __future__ import annotations

import pytest

from deskterm.desk import plain_reads
from deskterm.desk.errors import StaleTicket
from deskterm.desk.reads import EventRead
from deskterm.desk.tickets import change as kernel

from .helpers import change, detail, new_ticket


def _automatic_priority(store, number: int, *, actor=None, via="rule:Urgent words") -> None:
    def write(session):
        ticket = kernel.lock_ticket(session, number, actor=None)
        step = kernel.Change(session, ticket, actor, via=via)
        step.record("priority", ticket.priority, 3)
        ticket.priority = 3
        step.finish()
    store.write(write)


def test_an_automatic_change_names_its_rule_in_the_ticket_and_the_plain_read(store, admin):
    ticket = new_ticket(store, admin)
    _automatic_priority(store, ticket.number)

    stored = detail(store, ticket.number)
    event = stored.events[-1]
    assert (event.field, event.actor, event.via, event.by) == (
        "priority", None, "rule:Urgent words", "rule:Urgent words")
    if store.url.get_backend_name() == "sqlite":  # what `deskterm ticket show` reads there
        url = store.url.render_as_string(hide_password=False)
        plain = plain_reads.ticket_detail(url, number=ticket.number, username="ada", act_as=None)
        assert plain.events == stored.events


def test_an_agent_acting_through_something_is_named_with_it(store, admin):
    ticket = new_ticket(store, admin)
    _automatic_priority(store, ticket.number, actor=admin, via="macro:Escalate")
    event = detail(store, ticket.number).events[-1]
    assert event.by == "ada via macro:Escalate"
    assert EventRead(actor=None, field="f", old=None, new=None, version=1,
                     at=event.at).by == "system"


def test_a_stale_writer_is_told_the_rule_changed_the_ticket(store, admin):
    ticket = new_ticket(store, admin)
    _automatic_priority(store, ticket.number)
    with pytest.raises(StaleTicket, match="changed by rule:Urgent words"):
        change(store, admin, ticket.number, expected_version=ticket.version, status="open")
