"""Automatic assignment by a group's strategy: round-robin (fair with two runners at once),
least-loaded, skills; away and capacity; tickets landing in a group (both stores)."""

from __future__ import annotations

import threading

import pytest

from deskterm.db.engine import Store
from deskterm.desk.automation.assignment import assign_by_strategy
from deskterm.desk.errors import InvalidInput, PermissionDenied
from deskterm.desk.people import availability
from deskterm.desk.people import directory as people
from deskterm.desk.service import Desk
from deskterm.desk.tickets import change as kernel
from deskterm.desk.tickets import ticket as tickets

from .helpers import change, new_ticket
from .test_rules import seed_team


def seed_five(store) -> None:
    """The team of test_rules, with eve and fay in billing too (five members)."""
    seed_team(store)

    def write(session):
        for name in ("eve", "fay"):
            people.add_agent(session, username=name, display_name=name.title())
            people.add_member(session, group="billing", username=name)

    store.write(write)


@pytest.fixture
def team(stores):
    return stores.store(seeded=seed_team)


@pytest.fixture
def ada(team):
    with team.read() as session:
        return people.agent_read(session, people.find_agent(session, "ada"))


def strategy(store, name: str, group: str = "billing") -> None:
    store.write(lambda s: availability.set_assignment(s, group=group, strategy=name))


def into_billing(store, actor, **fields):
    return new_ticket(store, actor, group="billing", **fields)


def test_round_robin_takes_turns_and_survives_a_restart(team, ada):
    strategy(team, "round-robin")
    assert [into_billing(team, ada).assignee for _ in range(4)] == ["ann", "bob", "cat", "ann"]
    again = Store(team.url.render_as_string(hide_password=False))  # a new process, in effect
    try:
        assert into_billing(again, ada).assignee == "bob"
    finally:
        again.dispose()


def test_an_assigned_ticket_is_open_and_the_event_names_the_group(team, ada):
    strategy(team, "round-robin")
    ticket = into_billing(team, None)
    assert (ticket.assignee, ticket.status) == ("ann", "open")
    with team.read() as session:
        event = tickets.get_ticket(session, number=ticket.number).events[-2]
    assert (event.field, event.new, event.via) == ("assignee", "ann", "assignment:billing")


def test_least_loaded_picks_the_member_with_fewest_unsolved_tickets(team, ada):
    for name in ("ann", "ann", "bob"):
        new_ticket(team, ada, assignee=name)
    solved = new_ticket(team, ada, assignee="cat")
    change(team, ada, solved.number, status="solved")  # solved: not a load
    strategy(team, "least-loaded")
    assert [into_billing(team, ada).assignee for _ in range(3)] == ["cat", "bob", "cat"]


def test_skills_cover_the_tickets_tags_then_least_loaded(team, ada):
    strategy(team, "skills")
    assert into_billing(team, ada, tags=["vpn"]).assignee == "bob"  # only bob knows vpn
    assert into_billing(team, ada, tags=["vpn", "sap"]).assignee is None  # nobody covers
    assert into_billing(team, ada).assignee == "cat"  # no tags: anyone; a tie goes round


def test_agents_away_or_at_capacity_are_skipped_and_nobody_leaves_it_in_the_queue(team, ada):
    strategy(team, "round-robin")
    team.write(lambda s: availability.set_away(s, username="ann", away=True))
    team.write(lambda s: availability.set_capacity(s, username="bob", capacity=0))
    assert into_billing(team, ada).assignee == "cat"
    team.write(lambda s: availability.set_away(s, username="cat", away=True))
    nobody = into_billing(team, ada)
    assert (nobody.assignee, nobody.group, nobody.status) == (None, "billing", "new")
    team.write(lambda s: availability.set_away(s, username="ann", away=False))
    assert into_billing(team, ada).assignee == "ann"


def test_a_ticket_moved_to_a_group_is_assigned_and_a_manual_group_waits(team, ada):
    strategy(team, "round-robin")
    ticket = new_ticket(team, ada)
    assert ticket.assignee is None
    assert change(team, ada, ticket.number, group="billing").assignee == "ann"
    assert change(team, ada, new_ticket(team, ada).number, group="network").assignee is None


def test_assign_by_strategy_is_the_public_seam(team, ada):
    ticket = new_ticket(team, ada, group="billing")

    def assign(session):
        step = kernel.Change(session, kernel.lock_ticket(session, ticket.number, actor=None), None,
                             via="sla:Urgent")
        name = assign_by_strategy(step)
        step.finish()
        return name

    assert team.write(assign) is None  # billing assigns by hand
    strategy(team, "least-loaded")
    assert team.write(assign) == "ann"


def test_a_bad_strategy_or_capacity_is_refused(team):
    with pytest.raises(InvalidInput, match="not one of manual, round-robin"):
        strategy(team, "random")
    with pytest.raises(InvalidInput, match="capacity"):
        team.write(lambda s: availability.set_capacity(s, username="ann", capacity=-1))


def test_an_agent_marks_themselves_away_but_not_a_teammate(team, ada):
    ann = Desk(team, username="ann")
    assert ann.set_away("ann", True).away is True
    with pytest.raises(PermissionDenied, match="only an admin"):
        ann.set_away("bob", True)
    assert Desk(team, username="ada").set_away("bob", True).away is True


def _unassigned_in_billing(store, count: int) -> list[int]:
    """``count`` new tickets in billing, written in one statement (filing each would assign
    it; the runners below do the assigning)."""
    from sqlalchemy import text

    def write(session):
        first = session.execute(text("SELECT value FROM counters WHERE name = 'ticket_number'"))
        number = first.scalar()
        customer = tickets.get_or_create_customer(session, email="c@acme.test").id
        group = people.find_group(session, "billing").id
        session.execute(text(
            "INSERT INTO tickets (id, subject, status, priority, type, channel, requester_id, "
            "group_id, tier, created_at, updated_at, reopens, version) VALUES (:id, 'T', 'new', "
            "1, 'question', 'cli', :customer, :group, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
            "0, 1)"), [{"id": number + i, "customer": customer, "group": group}
                        for i in range(count)])
        session.execute(text("UPDATE counters SET value = :v WHERE name = 'ticket_number'"),
                        {"v": number + count})
        return list(range(number, number + count))

    return store.write(write)


def test_round_robin_is_fair_with_two_runners_at_once(stores):
    # 1,000 tickets over 5 agents, assigned by two runners (own connections, own threads) at
    # once, ten tickets a transaction, interleaving.
    url = stores.url(seeded=seed_five)
    runners = [Store(url), Store(url)]
    strategy(runners[0], "round-robin")
    numbers = _unassigned_in_billing(runners[0], 1_000)
    failures: list[BaseException] = []

    def assign(session, batch: list[int]) -> None:
        for number in batch:
            step = kernel.Change(session, kernel.lock_ticket(session, number, actor=None), None,
                                 via="automation:test")
            assert assign_by_strategy(step) is not None
            step.finish()

    def run(store: Store, mine: list[int]) -> None:
        try:
            for at in range(0, len(mine), 10):
                store.write(lambda s, batch=mine[at:at + 10]: assign(s, batch))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(store, numbers[i::2]))
               for i, store in enumerate(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        with runners[0].read() as session:
            loads = _loads(session)
        assert sum(loads.values()) == 1_000 and len(loads) == 5
        assert max(loads.values()) - min(loads.values()) <= 1
    finally:
        for store in runners:
            store.dispose()


def _loads(session) -> dict[str, int]:
    from sqlmodel import func, select

    from deskterm.db.models import Agent, Ticket

    rows = session.exec(select(Agent.username, func.count()).join(
        Ticket, Ticket.assignee_id == Agent.id).group_by(Agent.username)).all()
    return dict(rows)
