"""Drafts and presence in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskterm.db.types import utcnow
from deskterm.desk.errors import InvalidInput
from deskterm.desk.tickets import drafts, presence
from deskterm.desk.tickets import ticket as tickets

from .helpers import detail, new_ticket


def test_a_draft_is_kept_replaced_and_discarded(store, admin):
    ticket = new_ticket(store, admin)
    store.write(lambda s: drafts.save_draft(s, actor=admin, number=ticket.number, kind="reply",
                                            body="Hello"))
    store.write(lambda s: drafts.save_draft(s, actor=admin, number=ticket.number, kind="note",
                                            body="Hello there", minutes=5))
    with store.read() as session:
        draft = drafts.get_draft(session, agent="ada", number=ticket.number)
    assert (draft.kind, draft.body, draft.minutes) == ("note", "Hello there", 5)
    store.write(lambda s: drafts.save_draft(s, actor=admin, number=ticket.number, kind="note",
                                            body="   "))
    with store.read() as session:
        assert drafts.get_draft(session, agent="ada", number=ticket.number) is None


def test_drafts_are_per_agent(store, admin, agent):
    ticket = new_ticket(store, admin)
    store.write(lambda s: drafts.save_draft(s, actor=admin, number=ticket.number, kind="reply",
                                            body="ada's"))
    with store.read() as session:
        assert drafts.get_draft(session, agent="bert", number=ticket.number) is None
        assert drafts.get_draft(session, agent="ada", number=ticket.number).body == "ada's"


def test_a_bad_draft_kind_is_refused(store, admin):
    ticket = new_ticket(store, admin)
    with pytest.raises(InvalidInput, match="kind"):
        store.write(lambda s: drafts.save_draft(s, actor=admin, number=ticket.number,
                                                kind="email", body="x"))


def test_presence_shows_others_and_expires(store, admin, agent):
    ticket = new_ticket(store, admin)
    now = utcnow()
    store.write(lambda s: presence.heartbeat(s, actor=admin, number=ticket.number, now=now))
    store.write(lambda s: presence.heartbeat(s, actor=agent, number=ticket.number,
                                             activity="writing", now=now))
    with store.read() as session:
        seen_by_ada = presence.present(session, number=ticket.number, me=admin, now=now)
        everyone = presence.present(session, number=ticket.number, now=now)
        later = presence.present(session, number=ticket.number, me=admin,
                                 now=now + timedelta(seconds=30))
    assert [(p.username, p.activity) for p in seen_by_ada] == [("bert", "writing")]
    assert [p.username for p in everyone] == ["bert", "ada"]  # writers first
    assert later == []
    store.write(lambda s: presence.leave(s, actor=agent, number=ticket.number))
    with store.read() as session:
        assert presence.present(session, number=ticket.number, me=admin, now=now) == []


def test_time_spent_is_summed_and_checked(store, admin):
    ticket = new_ticket(store, admin)
    store.write(lambda s: tickets.add_note(s, actor=admin, number=ticket.number, body="a",
                                           minutes=20))
    store.write(lambda s: tickets.add_reply(s, actor=admin, number=ticket.number, body="b",
                                            minutes=25))
    assert detail(store, ticket.number).minutes_spent == 45
    with pytest.raises(InvalidInput, match="time spent"):
        store.write(lambda s: tickets.add_note(s, actor=admin, number=ticket.number, body="c",
                                               minutes=0))
