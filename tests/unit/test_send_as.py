"""What a reply can be sent as ("send as" in the console), on both stores: the lifecycle's
``reply_statuses`` is exactly what ``add_reply`` accepts."""

from __future__ import annotations

import pytest

from deskterm.desk.errors import TransitionRefused
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.lifecycle import REPLY_STATUSES, reply_statuses

from .helpers import change, detail, new_ticket


def test_a_solved_ticket_is_reopened_or_kept_solved_and_on_hold_is_offered_elsewhere():
    assert reply_statuses("solved") == ("open", "solved")
    for status in ("new", "open", "pending", "on_hold"):
        assert reply_statuses(status) == REPLY_STATUSES
    assert reply_statuses("closed") == ()


@pytest.mark.parametrize("current", ["new", "open", "on_hold", "solved"])
def test_a_reply_is_sent_as_what_reply_statuses_offers_and_refused_otherwise(
        store, admin, current):
    for send_as in REPLY_STATUSES:
        ticket = new_ticket(store, admin)
        if current != "new":
            change(store, admin, ticket.number, status=current)
        reply = lambda s, n=ticket.number, status=send_as: tickets.add_reply(  # noqa: E731
            s, actor=admin, number=n, body="We are on it.", status=status)
        if send_as in reply_statuses(current):
            assert store.write(reply).status == send_as
        else:
            with pytest.raises(TransitionRefused, match="reopened"):
                store.write(reply)
            assert detail(store, ticket.number).ticket.status == current
