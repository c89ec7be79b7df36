"""Several processes writing to one desk at once: no lost update, no unhandled lock error.

Every worker is a real process with its own :class:`Store` on the same database (multiprocessing's
"forkserver": a server process imports deskterm once and each worker is forked from it, so a worker
starts in milliseconds instead of importing everything again, and shares nothing with the test). The
workers open their store first and are then released together by a barrier, so their writes overlap.
A worker reports its result or every error it met through a queue; the only exception a worker
handles itself is :class:`StaleTicket` (it re-reads and tries again). Joins are bounded, so a
deadlock fails the test instead of hanging it.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from functools import partial

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from deskterm.db.engine import Store
from deskterm.db.models import PRIORITIES, Customer, Message, Ticket
from deskterm.desk import setup
from deskterm.desk.errors import StaleTicket
from deskterm.desk.reads import AgentRead, TicketDetail
from deskterm.desk.tickets.change import TicketChanges
from deskterm.desk.tickets.ticket import (
    add_note,
    add_reply,
    create_ticket,
    get_ticket,
    update_ticket,
)

SPAWN = multiprocessing.get_context("forkserver")
SPAWN.set_forkserver_preload([__name__])
WORKERS = 4
DEADLINE_S = 90
"""How long all workers together may take before the test calls it a deadlock."""
MAX_STALE_RETRIES = 500


# --- running workers ----------------------------------------------------------------------------


def _worker_main(target: Callable, index: int, url: str, args: tuple, barrier, reports) -> None:
    """In the child: open a store, wait for the others, run ``target``, report what happened."""
    report: dict = {"worker": index, "result": None, "errors": []}
    store = None
    try:
        store = Store(url)
        with store.read() as session:  # connect (and import everything) before the race starts
            session.exec(select(1)).one()
        barrier.wait(timeout=DEADLINE_S)
        report["result"] = target(store, index, *args)
    except BaseException as exc:  # report everything, the parent decides
        report["errors"].append(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    finally:
        if store is not None:
            store.dispose()
        reports.put(report)


def run_workers(target: Callable, url: str, *args: object, workers: int = WORKERS) -> list[dict]:
    """Run ``target(store, index, *args)`` in ``workers`` processes at once; their reports."""
    reports = SPAWN.Queue()
    barrier = SPAWN.Barrier(workers)
    processes = [
        SPAWN.Process(target=_worker_main, args=(target, index, url, args, barrier, reports),
                      daemon=True)
        for index in range(workers)
    ]
    for process in processes:
        process.start()
    results: list[dict] = []
    deadline = time.monotonic() + DEADLINE_S
    try:
        for _ in processes:
            try:
                results.append(reports.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                pytest.fail(f"only {len(results)} of {workers} workers finished within "
                            f"{DEADLINE_S} s: a deadlock or a hung lock wait")
    finally:
        for process in processes:
            process.join(timeout=max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(5)
    return sorted(results, key=lambda report: report["worker"])


def assert_no_errors(reports: list[dict]) -> None:
    errors = [error for report in reports for error in report["errors"]]
    assert not errors, "workers failed:\n" + "\n".join(errors)
    joined = "\n".join(str(report["result"]) for report in reports)
    assert "database is locked" not in joined
    assert "OperationalError" not in joined


# --- the desk the workers share ------------------------------------------------------------------


@pytest.fixture
def desk(stores):
    """A migrated database: its URL, a store on it, and its admin ``ada``."""
    url = stores.url()
    store = Store(url)
    admin = store.write(lambda s: setup.ensure_first_admin(s, username="ada"))
    yield url, store, admin
    store.dispose()


def _seed_tickets(store: Store, admin: AgentRead, count: int) -> list[int]:
    def work(session: Session) -> list[int]:
        return [
            create_ticket(session, actor=admin, requester_email=f"carol{n}@acme.com",
                          subject=f"Seed ticket {n}", body="It is broken").number
            for n in range(count)
        ]

    return store.write(work)


def _detail(store: Store, number: int) -> TicketDetail:
    with store.read() as session:
        return get_ticket(session, number=number)


def _change_events(detail: TicketDetail, field: str | None = None):
    """The ticket's audit events after creation (optionally of one field), in version order."""
    events = [e for e in detail.events if e.field != "created"]
    if field is not None:
        events = [e for e in events if e.field == field]
    return sorted(events, key=lambda e: e.version)


# --- worker bodies (module level, so a spawned process can import them) --------------------------


def _write_priority(session: Session, *, actor: AgentRead, number: int, priority: str,
                    version: int):
    return update_ticket(session, actor=actor, number=number,
                         changes=TicketChanges(priority=priority), expected_version=version)


def change_priorities(store: Store, index: int, actor: AgentRead, numbers: list[int],
                      cycles: int) -> dict:
    """Read-modify-write cycles with the version seen; a stale write is re-read and retried."""
    successes: Counter[int] = Counter()
    stale = 0
    for cycle in range(cycles):
        number = numbers[(index + cycle) % len(numbers)]
        for _ in range(MAX_STALE_RETRIES):
            with store.read() as session:
                seen = get_ticket(session, number=number).ticket
            # Always a different priority than the one seen, so every write changes something.
            step = 1 + index % (len(PRIORITIES) - 1)
            priority = PRIORITIES[(PRIORITIES.index(seen.priority) + step) % len(PRIORITIES)]
            try:
                store.write(partial(_write_priority, actor=actor, number=number,
                                    priority=priority, version=seen.version))
            except StaleTicket:
                stale += 1
                continue
            successes[number] += 1
            break
        else:
            raise AssertionError(f"#{number} stayed stale through {MAX_STALE_RETRIES} attempts")
    return {"successes": dict(successes), "stale": stale}


def _add_tag(session: Session, *, actor: AgentRead, number: int, tag: str):
    return update_ticket(session, actor=actor, number=number,
                         changes=TicketChanges(add_tags=(tag,)))


def _reply(session: Session, *, actor: AgentRead, number: int, body: str):
    return add_reply(session, actor=actor, number=number, body=body)


def _note(session: Session, *, actor: AgentRead, number: int, body: str):
    return add_note(session, actor=actor, number=number, body=body)


def add_tags_replies_notes(store: Store, index: int, actor: AgentRead, numbers: list[int],
                           rounds: int) -> dict:
    """Without a version check: this worker's own tag, then replies and notes, on every ticket."""
    order = numbers[index % len(numbers):] + numbers[:index % len(numbers)]
    for number in order:
        store.write(partial(_add_tag, actor=actor, number=number, tag=f"w{index}"))
    for round_ in range(rounds):
        for number in order:
            store.write(partial(_reply, actor=actor, number=number,
                                body=f"reply {index}.{round_} on #{number}"))
            store.write(partial(_note, actor=actor, number=number,
                                body=f"note {index}.{round_} on #{number}"))
    return {"done": True}


def requester_of(index: int, position: int) -> str:
    """Even positions share four new requesters across all workers, in varying letter case."""
    if position % 2 == 0:
        email = f"shared{position % 8 // 2}@example.com"
        return email.upper() if index % 2 else email
    return f"w{index}-{position}@example.com"


def _create(session: Session, *, actor: AgentRead, email: str, subject: str) -> int:
    return create_ticket(session, actor=actor, requester_email=email, subject=subject,
                         body="Please help").number


def create_tickets(store: Store, index: int, actor: AgentRead, count: int) -> dict:
    numbers = []
    for position in range(count):
        numbers.append(store.write(partial(
            _create, actor=actor, email=requester_of(index, position),
            subject=f"worker {index} ticket {position}",
        )))
    return {"numbers": numbers}


# --- the tests ---------------------------------------------------------------------------------


def test_concurrent_versioned_changes_lose_no_update(desk):
    url, store, admin = desk
    numbers = _seed_tickets(store, admin, 3)
    cycles = 25

    reports = run_workers(change_priorities, url, admin, numbers, cycles)

    assert_no_errors(reports)
    successes: Counter[int] = Counter()
    for report in reports:
        successes.update(report["result"]["successes"])
    assert sum(successes.values()) == WORKERS * cycles
    # The test only proves something if the workers really collided.
    assert sum(report["result"]["stale"] for report in reports) > 0
    for number in numbers:
        detail = _detail(store, number)
        events = _change_events(detail)
        assert detail.ticket.version - 1 == successes[number]
        assert [e.version for e in events] == list(range(2, detail.ticket.version + 1))
        assert {e.field for e in events} == {"priority"}
        # Every change started from what the previous one left: nothing was overwritten unseen.
        previous = "normal"
        for event in events:
            assert event.old == previous, f"#{number} v{event.version} overwrote an unseen change"
            previous = event.new
        assert previous == detail.ticket.priority


def test_concurrent_tags_replies_and_notes_all_land(desk):
    url, store, admin = desk
    numbers = _seed_tickets(store, admin, 3)
    rounds = 3

    reports = run_workers(add_tags_replies_notes, url, admin, numbers, rounds)

    assert_no_errors(reports)
    for number in numbers:
        detail = _detail(store, number)
        assert set(detail.ticket.tags) == {f"w{i}" for i in range(WORKERS)}
        public = [m for m in detail.messages if m.public]
        notes = [m for m in detail.messages if not m.public]
        assert len(detail.messages) == 1 + 2 * WORKERS * rounds
        assert {m.body for m in public[1:]} == {
            f"reply {i}.{r} on #{number}" for i in range(WORKERS) for r in range(rounds)
        }
        assert {m.body for m in notes} == {
            f"note {i}.{r} on #{number}" for i in range(WORKERS) for r in range(rounds)
        }
        assert detail.ticket.status == "open"
        assert detail.ticket.first_response_at is not None
        # One version per tag added and one for the first reply opening the ticket.
        events = _change_events(detail)
        assert detail.ticket.version == 1 + WORKERS + 1
        assert [e.version for e in events] == list(range(2, detail.ticket.version + 1))
        assert [(e.old, e.new) for e in _change_events(detail, "status")] == [("new", "open")]
        tag_events = _change_events(detail, "tags")
        assert len(tag_events) == WORKERS
        previous: set[str] = set()
        for event in tag_events:  # each tag change kept every tag before it
            old, new = set(filter(None, (event.old or "").split(","))), set(event.new.split(","))
            assert old == previous
            assert len(new - old) == 1
            previous = new
        assert previous == set(detail.ticket.tags)


def test_concurrent_ticket_creation_numbers_tickets_consecutively(desk):
    url, store, admin = desk
    per_worker = 20

    reports = run_workers(create_tickets, url, admin, per_worker)

    assert_no_errors(reports)
    handed_out = [n for report in reports for n in report["result"]["numbers"]]
    total = WORKERS * per_worker
    assert sorted(handed_out) == list(range(1001, 1001 + total))
    with store.read() as session:
        stored = session.exec(select(Ticket.id, Ticket.subject, Customer.email)
                              .join(Customer, col(Customer.id) == col(Ticket.requester_id))
                              .order_by(Ticket.id)).all()
        messages = session.exec(select(func.count()).select_from(Message)).one()
        emails = session.exec(select(Customer.email)).all()
    assert [row[0] for row in stored] == list(range(1001, 1001 + total))
    assert messages == total
    expected_requesters = {
        f"worker {i} ticket {p}": requester_of(i, p).lower()
        for i in range(WORKERS) for p in range(per_worker)
    }
    assert {subject: email for _, subject, email in stored} == expected_requesters
    # One customer per address, however many workers filed its first ticket at the same moment.
    assert sorted(emails) == sorted(set(expected_requesters.values()))


def test_two_writers_adding_the_same_new_tag_to_different_tickets_both_succeed(desk):
    """The first writer holds its transaction open with a new tag while the second adds it too.

    On PostgreSQL the second insert of the tag name waits for the first and then hits the unique
    constraint; the write must be retried (WriteConflict), not fail.
    """
    _url, store, admin = desk
    first, second = _seed_tickets(store, admin, 2)
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_open(session: Session):
        result = _add_tag(session, actor=admin, number=first, tag="outage-2024")
        holding.set()
        release.wait(10)
        return result

    def run(work) -> None:
        try:
            store.write(work)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(hold_open,)),
               threading.Thread(target=run, args=(partial(_add_tag, actor=admin, number=second,
                                                          tag="outage-2024"),))]
    threads[0].start()
    assert holding.wait(10)
    threads[1].start()
    time.sleep(0.5)  # the second writer is now waiting on the first
    release.set()
    for thread in threads:
        thread.join(20)
    assert not any(thread.is_alive() for thread in threads)

    assert errors == []
    assert _detail(store, first).ticket.tags == ("outage-2024",)
    assert _detail(store, second).ticket.tags == ("outage-2024",)

