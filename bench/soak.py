# ruff: noqa: E402  (the imports follow the sys.path fix below)
"""Soak: N agent processes and an importer on one desk for a set time, then a writer killed
mid-transaction; proves zero lost updates and a consistent desk on SQLite and PostgreSQL.

Each agent process (its own agent, its own connection) loops over reads (a ticket, a filter),
field changes, replies and notes on a few shared *hot* tickets, and bulk actions on all of them;
an importer process loads a CSV file of new tickets every second. Every write goes through the
desk's use cases (:class:`deskterm.desk.service.Desk`), as the console's and the CLI's do.

The counter invariant: each field change toggles a tag only its process touches (so it is always
a real change, one new version), each bulk action toggles another such tag on every hot ticket.
The processes report what they committed; afterwards, on every hot ticket, the version grew by
exactly the number of changes committed on it, each process's tags are there exactly when it
toggled them an odd number of times, and the messages grew by exactly the replies and notes
sent. A lost update (two writers on one version) breaks the first; a half-applied one the others.

Then the kill: a writer opens a transaction that files a ticket, replies, and tags every ticket
by a bulk action, and is SIGKILLed while it holds it (and while two agents wait to write). The
desk must then pass ``PRAGMA integrity_check`` and FTS5's ``integrity-check`` (SQLite), hold
nothing of the killed transaction, and still satisfy the counter invariant.

    .venv/bin/python bench/soak.py                       # 8 agents, 60 s, SQLite and PostgreSQL
    .venv/bin/python bench/soak.py --stores sqlite --seconds 10 --agents 4

Prints write latency p50/p99 per store (the goal: p99 <= 500 ms with 8 writers) and exits 1 if
an invariant fails or a process met an error other than a refused stale change.
"""

from __future__ import annotations

import os
import sys

# bench/queue.py would shadow the standard library's queue, which multiprocessing imports.
sys.path[:] = [p for p in sys.path
               if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]

import argparse
import itertools
import multiprocessing
import random
import shutil
import signal
import statistics
import tempfile
import time
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlmodel import col, func, select

from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.db.models import Message, Tag, Ticket, TicketTag
from deskterm.desk import setup
from deskterm.desk.errors import StaleTicket
from deskterm.desk.people import directory
from deskterm.desk.people.auth import resolve_actor
from deskterm.desk.service import Desk
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.bulk import BulkChange, apply_bulk
from deskterm.desk.tickets.change import TicketChanges
from deskterm.desk.transfer import csv_in

ADMIN = "soak"
PG_ADMIN = os.environ.get("DESKTERM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
KILLED_TAG = "killed-mid-transaction"
KILLED_SUBJECT = "filed by the killed writer"


# --- the desk ------------------------------------------------------------------------------------

@dataclass
class Plan:
    url: str
    hot: list[int]
    background: list[int]
    agents: list[str]


def seed(url: str, *, agents: int, hot: int, background: int) -> Plan:
    """A migrated desk with an admin, ``agents`` agents, ``hot`` shared tickets and more."""
    store = Store(url)
    try:
        migrate.upgrade(store)
        admin = store.write(lambda s: setup.ensure_first_admin(s, username=ADMIN))
        assert admin is not None
        names = [f"agent{i}" for i in range(agents)]
        for name in names:
            store.write(lambda s, name=name: directory.add_agent(s, username=name))

        def file(count: int, subject: str) -> list[int]:
            def work(session: Any) -> list[int]:
                return [tickets.create_ticket(
                    session, actor=admin, requester_email=f"customer{i}@soak.example",
                    subject=f"{subject} {i}", body=f"The printer on floor {i} jams.").number
                    for i in range(count)]
            return store.write(work)

        return Plan(url, file(hot, "Hot ticket"), file(background, "Background ticket"), names)
    finally:
        store.dispose()


def snapshot(url: str, numbers: list[int]) -> dict[int, tuple[int, int, frozenset[str]]]:
    """Each ticket's version, message count and tags."""
    store = Store(url, create=False)
    try:
        with store.read() as session:
            out = {}
            for number in numbers:
                version = session.get(Ticket, number).version  # type: ignore[union-attr]
                messages = session.exec(select(func.count()).select_from(Message)
                                        .where(Message.ticket_id == number)).one()
                tags = frozenset(session.exec(
                    select(Tag.name).join(TicketTag, col(TicketTag.tag_id) == col(Tag.id))
                    .where(TicketTag.ticket_id == number)).all())
                out[number] = (version, messages, tags)
            return out
    finally:
        store.dispose()


def ticket_count(url: str) -> int:
    store = Store(url, create=False)
    try:
        with store.read() as session:
            return session.exec(select(func.count()).select_from(Ticket)).one()
    finally:
        store.dispose()


# --- the processes -------------------------------------------------------------------------------

@dataclass
class Report:
    """What one process committed and met."""

    name: str
    ops: Counter[str] = field(default_factory=Counter)
    bumps: Counter[int] = field(default_factory=Counter)
    """New versions committed, by ticket."""
    toggles: Counter[tuple[int, str]] = field(default_factory=Counter)
    """(ticket, tag) -> times toggled."""
    sent: Counter[int] = field(default_factory=Counter)
    """Replies and notes committed, by ticket."""
    imported: int = 0
    write_ms: list[float] = field(default_factory=list)
    import_ms: list[float] = field(default_factory=list)
    stale: int = 0
    errors: list[str] = field(default_factory=list)
    trace: list[tuple[str, float, float, float, int]] = field(default_factory=list)
    held: list[tuple[float, float]] = field(default_factory=list)
    """--trace: (operation, total ms, ms waiting for the write lock, ms holding it, BEGINs)."""


class LockTrace:
    """--trace: per write, the time spent waiting for the write lock (SQLite: the writers' turn,
    deskterm.db.write_turn, and ``BEGIN IMMEDIATE``), the time it was held (from the lock to
    the commit or rollback), and the number of transactions begun (1 + retries)."""

    def __init__(self, store: Store) -> None:
        from sqlalchemy import event
        self.reset()
        self.held: list[tuple[float, float]] = []
        """(got, let go) of every turn (perf_counter: one clock for all processes)."""
        engine = store.engine
        event.listen(engine, "before_cursor_execute", self._asking)
        event.listen(engine, "after_cursor_execute", self._got)
        event.listen(engine, "commit", self._ended)
        event.listen(engine, "rollback", self._ended)
        turns = store.write_turns
        if turns is not None:  # wrapped: the importer's raw transaction has no events
            take, give_back = turns.take, turns.give_back

            def timed_take(info: dict[str, Any]) -> None:
                asked = time.perf_counter()
                had = "deskterm_write_turn" in info
                take(info)
                self.turn_wait += time.perf_counter() - asked
                if not had and "deskterm_write_turn" in info:  # (else: none taken)
                    self._turn_got = time.perf_counter()

            def timed_give_back(info: Any) -> None:
                give_back(info)
                if self._turn_got is not None:
                    self.turn_hold += time.perf_counter() - self._turn_got
                    self.held.append((self._turn_got, time.perf_counter()))
                    self._turn_got = None

            turns.take, turns.give_back = timed_take, timed_give_back  # type: ignore[method-assign]

    def reset(self) -> None:
        self.wait = self.hold = self.turn_wait = self.turn_hold = 0.0
        self.begins = 0
        self._asked: float | None = None
        self._locked: float | None = None
        self._turn_got: float | None = None

    def _asking(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("BEGIN"):
            self._asked = time.perf_counter()

    def _got(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("BEGIN") and self._asked is not None:
            now = time.perf_counter()
            self.wait += now - self._asked
            self._locked, self.begins, self._asked = now, self.begins + 1, None

    def _ended(self, _conn: Any) -> None:
        if self._locked is not None:
            self.hold += time.perf_counter() - self._locked
            self._locked = None

    def row(self, op: str, total_ms: float) -> tuple[str, float, float, float, int]:
        return (op, total_ms, (self.wait + self.turn_wait) * 1000,
                max(self.hold, self.turn_hold) * 1000, self.begins)


def agent_loop(url: str, name: str, hot: list[int], seconds: float, start: Any,
               results: Any, seed_value: int, ready: Any = None, trace: bool = False) -> None:
    """One agent's writes for ``seconds`` after ``start``; ``ready`` (a semaphore) is
    released once the desk is open and the agent waits only for ``start``."""
    report = Report(name)
    rng = random.Random(seed_value)
    try:
        desk = Desk.open(url, username=name)
        tracer = LockTrace(desk.store) if trace else None
        field_tag, bulk_tag = f"{name}-field", f"{name}-bulk"
        tags = {number: desk.open_ticket(number).ticket.tags for number in hot}
        own = {number: field_tag in tags[number] for number in hot}  # only we toggle them
        bulk_on = bulk_tag in tags[hot[0]]
        if ready is not None:
            ready.release()
        start.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            number = rng.choice(hot)
            roll = rng.random()
            try:
                if roll < 0.40:
                    if rng.random() < 0.5:
                        desk.open_ticket(number)
                    else:
                        desk.query_tickets("status:open printer", limit=50)
                    report.ops["read"] += 1
                    continue
                began = time.perf_counter()
                if tracer is not None:
                    tracer.reset()
                op = "bulk"
                if roll < 0.70:
                    op = "change"
                    toggle = (("remove_tags" if own[number] else "add_tags"), (field_tag,))
                    changes = TicketChanges(**{toggle[0]: toggle[1]},
                                            priority=rng.choice(("low", "normal", "high")))
                    expected = None
                    if rng.random() < 0.3:  # as an agent who looked first: may be stale
                        expected = desk.open_ticket(number).ticket.version
                        began = time.perf_counter()
                        if tracer is not None:
                            tracer.reset()
                    try:
                        desk.change(number, changes, expected_version=expected)
                    except StaleTicket:
                        report.stale += 1
                        continue
                    own[number] = not own[number]
                    report.bumps[number] += 1
                    report.toggles[(number, field_tag)] += 1
                    report.ops["change"] += 1
                elif roll < 0.92:
                    kind = op = "note" if rng.random() < 0.5 else "reply"
                    desk.send(number, body=f"{kind} from {name}: try the other tray", kind=kind)
                    report.sent[number] += 1
                    report.ops[kind] += 1
                else:
                    bulk = BulkChange(remove_tags=(bulk_tag,)) if bulk_on \
                        else BulkChange(add_tags=(bulk_tag,))
                    result = desk.bulk(hot, bulk)
                    if result.skipped or result.unchanged:
                        report.errors.append(f"bulk not applied to all: {result.summary()}")
                    bulk_on = not bulk_on
                    for ticket in result.changed:
                        report.bumps[ticket] += 1
                        report.toggles[(ticket, bulk_tag)] += 1
                    report.ops["bulk"] += 1
                report.write_ms.append((time.perf_counter() - began) * 1000)
                if tracer is not None:
                    report.trace.append(tracer.row(op, report.write_ms[-1]))
            except Exception as exc:  # every other error is a failure of the soak
                report.errors.append(f"{type(exc).__name__}: {exc}")
        desk.close()
        if tracer is not None:
            report.held = tracer.held
    except Exception:
        report.errors.append(traceback.format_exc())
    results.put(report)


def importer_loop(url: str, workdir: str, seconds: float, start: Any, results: Any,
                  trace: bool = False) -> None:
    """Load a CSV file of 20 new tickets every second."""
    report = Report("importer")
    try:
        desk = Desk.open(url, username=ADMIN)
        tracer = LockTrace(desk.store) if trace else None
        start.wait()
        deadline = time.monotonic() + seconds
        batch = 0
        while time.monotonic() < deadline:
            path = Path(workdir) / f"import-{os.getpid()}-{batch}.csv"
            rows = "".join(f"Imported {batch}-{i} toner low,Tray {i} is empty,"
                           f"buyer{i}@import.example\n" for i in range(20))
            path.write_text("Subject,Description,Requester email\n" + rows, encoding="utf-8")
            began = time.perf_counter()
            if tracer is not None:
                tracer.reset()
            try:
                made = desk.import_csv(desk.open_csv(path, csv_in.Options(overrides={})))
                report.imported += made.created
                report.import_ms.append((time.perf_counter() - began) * 1000)
                if tracer is not None:
                    report.trace.append(tracer.row("import", report.import_ms[-1]))
            except Exception as exc:
                report.errors.append(f"import: {type(exc).__name__}: {exc}")
            batch += 1
            time.sleep(max(0.0, 1.0 - (time.perf_counter() - began)))
        desk.close()
        if tracer is not None:
            report.held = tracer.held
    except Exception:
        report.errors.append(traceback.format_exc())
    results.put(report)


def victim(url: str, numbers: list[int], holding: Any) -> None:
    """Open a write transaction that files, replies and bulk-tags, then wait to be killed."""
    store = Store(url, create=False)
    with store.read() as session:
        admin = resolve_actor(session, username=ADMIN)

    def work(session: Any) -> None:
        made = tickets.create_ticket(session, actor=admin, requester_email="kill@soak.example",
                                     subject=KILLED_SUBJECT, body="never committed")
        tickets.add_reply(session, actor=admin, number=numbers[0], body=KILLED_SUBJECT)
        apply_bulk(session, actor=admin, numbers=[*numbers, made.number],
                   change=BulkChange(add_tags=(KILLED_TAG,)))
        session.flush()
        holding.set()
        time.sleep(600)

    store.write(work)


# --- running and checking ------------------------------------------------------------------------

def store_name(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_agents(ctx: Any, plan: Plan, seconds: float, workdir: str | None,
               *, agents: list[str], trace: bool = False) -> list[Report]:
    results = ctx.Queue()
    start = ctx.Event()
    procs = [ctx.Process(target=agent_loop, args=(plan.url, name, plan.hot, seconds, start,
                                                  results, index, None, trace))
             for index, name in enumerate(agents)]
    if workdir is not None:
        procs.append(ctx.Process(target=importer_loop,
                                 args=(plan.url, workdir, seconds, start, results, trace)))
    for proc in procs:
        proc.start()
    time.sleep(0.5)
    start.set()
    reports = [results.get(timeout=seconds + 300) for _ in procs]
    for proc in procs:
        proc.join(30)
    return reports


def print_trace(rows: list[tuple[str, float, float, float, int]]) -> None:
    """What the slowest 1 % of the writes were, and where their time went."""
    if not rows:
        return
    rows = sorted(rows, key=lambda row: row[1])
    cut = rows[int(0.99 * len(rows)):]
    print(f"  slowest 1 % ({len(cut)} writes, from {cut[0][1]:.0f} ms):")
    for kind in sorted({row[0] for row in rows}):
        mine = [row for row in rows if row[0] == kind]
        slow = [row for row in cut if row[0] == kind]
        print(f"    {kind:6} all {len(mine):5}: p50 {percentile([r[1] for r in mine], .5):6.0f} ms"
              f" (wait {percentile([r[2] for r in mine], .5):5.0f}, hold "
              f"{percentile([r[3] for r in mine], .5):5.0f}); in the slowest 1 %: {len(slow)}")
    for op, total, wait, hold, begins in cut[-12:]:
        print(f"    {op:6} {total:7.0f} ms: waited {wait:7.0f} ms for the lock, held it "
              f"{hold:5.0f} ms, {begins} BEGINs, {total - wait - hold:5.0f} ms else")


def check_counters(plan: Plan, before: dict, after: dict, reports: list[Report]) -> list[str]:
    """The counter invariant on every hot ticket; a list of what failed."""
    problems = []
    for number in plan.hot:
        version0, messages0, tags0 = before[number]
        version1, messages1, tags1 = after[number]
        bumps = sum(report.bumps[number] for report in reports)
        sent = sum(report.sent[number] for report in reports)
        if version1 - version0 != bumps:
            problems.append(f"#{number}: version grew by {version1 - version0}, "
                            f"{bumps} changes committed (lost updates)")
        # A reply or note is a message; a reply to a new ticket may also open it (one version
        # more), which the first check would count: replies go to tickets already open.
        if messages1 - messages0 != sent:
            problems.append(f"#{number}: {messages1 - messages0} new messages, {sent} sent")
        for report in reports:
            for (ticket, tag), times in report.toggles.items():
                if ticket == number and (tag in tags1) != (((tag in tags0) + times) % 2 == 1):
                    problems.append(f"#{number}: tag {tag} toggled {times} times, "
                                    f"{'there' if tag in tags1 else 'missing'}")
    return problems


def check_store(url: str) -> list[str]:
    """SQLite: ``PRAGMA integrity_check`` and each FTS5 table's ``integrity-check``."""
    problems: list[str] = []
    store = Store(url, create=False)
    try:
        if not store.is_sqlite:
            return problems
        with store.engine.connect() as conn:
            result = conn.execute(text("PRAGMA integrity_check")).scalars().all()
            if result != ["ok"]:
                problems.append(f"integrity_check: {result[:5]}")
            tables = conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND sql LIKE 'CREATE VIRTUAL TABLE % USING fts5(%'")).scalars().all()
            for table in tables:
                try:
                    conn.execute(text(f"INSERT INTO {table}({table}) VALUES ('integrity-check')"))
                except Exception as exc:
                    problems.append(f"FTS5 {table}: {exc}")
            conn.rollback()
            if not tables:
                problems.append("no FTS5 table found to check")
    finally:
        store.dispose()
    return problems


def kill_phase(ctx: Any, plan: Plan,
               seconds: float) -> tuple[list[str], list[Report], float]:
    """Kill a writer holding a transaction while two agents wait to write; what failed."""
    holding = ctx.Event()
    numbers = plan.hot + plan.background
    # The writers start with the victim (each process pays for its imports at the same time)
    # and are let go only once all are ready and the victim holds its transaction: they are
    # then waiting on its lock when it dies.
    waiting = ctx.Queue()
    start, ready = ctx.Event(), ctx.Semaphore(0)
    writers = [ctx.Process(target=agent_loop, args=(plan.url, name, plan.hot, seconds, start,
                                                    waiting, 1000 + index, ready))
               for index, name in enumerate(plan.agents[:2])]
    proc = ctx.Process(target=victim, args=(plan.url, numbers, holding))
    proc.start()
    for writer in writers:
        writer.start()
    if not holding.wait(120) or not all(ready.acquire(timeout=120) for _ in writers):
        for each in (proc, *writers):
            each.kill()
        return ["the victim never opened its transaction or a writer never started"], [], 0.0
    start.set()
    time.sleep(min(1.0, seconds / 2))  # the agents now wait on the victim's lock
    killed_at = time.perf_counter()
    os.kill(proc.pid, signal.SIGKILL)  # type: ignore[arg-type]
    proc.join(30)
    reports = [waiting.get(timeout=120) for _ in writers]
    for writer in writers:
        writer.join(30)
    recovered = time.perf_counter() - killed_at
    problems = []
    store = Store(plan.url, create=False)
    try:
        with store.read() as session:
            left = session.exec(select(func.count()).select_from(TicketTag)
                                .join(Tag, col(TicketTag.tag_id) == col(Tag.id))
                                .where(Tag.name == KILLED_TAG)).one()
            filed = session.exec(select(func.count()).select_from(Ticket)
                                 .where(Ticket.subject == KILLED_SUBJECT)).one()
            replied = session.exec(select(func.count()).select_from(Message)
                                   .where(Message.body == KILLED_SUBJECT)).one()
        if left or filed or replied:
            problems.append(f"the killed transaction left {left} tags, {filed} tickets, "
                            f"{replied} replies")
    finally:
        store.dispose()
    return problems, reports, recovered


def soak(url: str, *, seconds: float, agents: int, hot: int, importer: bool,
         kill: bool = True, background: int = 200, kill_seconds: float = 3.0,
         trace: bool = False) -> bool:
    """Run the soak on the empty desk at ``url``; True if every check holds. ``seconds`` 0:
    only the kill (the test suite's quick version)."""
    ctx = multiprocessing.get_context("spawn")
    workdir = tempfile.mkdtemp(prefix="deskterm-soak-")
    try:
        plan = seed(url, agents=agents, hot=hot, background=background)
        # Replies go to open tickets (a reply to a new one opens it: one version more).
        warm = Desk.open(url, username=ADMIN)
        for number in plan.hot:
            warm.change(number, TicketChanges(status="open"))
        warm.close()
        problems: list[str] = []
        errors: list[str] = []
        if seconds > 0:
            tickets0 = ticket_count(url)
            before = snapshot(url, plan.hot)
            started = time.perf_counter()
            reports = run_agents(ctx, plan, seconds, workdir if importer else None,
                                 agents=plan.agents, trace=trace)
            wall = time.perf_counter() - started
            problems += check_counters(plan, before, snapshot(url, plan.hot), reports)
            imported = sum(report.imported for report in reports)
            if ticket_count(url) != tickets0 + imported:
                problems.append(f"tickets: {ticket_count(url)}, expected {tickets0} + {imported} "
                                "imported")
            problems += check_store(url)
            errors += [f"{report.name}: {error}" for report in reports for error in report.errors]
            writes = [ms for report in reports for ms in report.write_ms]
            imports = [ms for report in reports for ms in report.import_ms]
            ops: Counter[str] = Counter()
            for report in reports:
                ops.update(report.ops)
            stale = sum(report.stale for report in reports)
            print(f"{store_name(url)}: {agents} agents on {hot} hot tickets for {seconds:g} s "
                  f"(wall {wall:.1f} s), importer {'on' if importer else 'off'}, "
                  f"load {os.getloadavg()[0]:.1f}")
            print(f"  ops: {', '.join(f'{k} {v:,}' for k, v in sorted(ops.items()))}; "
                  f"stale changes refused {stale:,}; imported {imported:,} tickets "
                  f"in {len(imports)} files")
            print(f"  writes: {len(writes):,} ({len(writes) / seconds:,.0f}/s), "
                  f"p50 {percentile(writes, 0.5):.1f} ms, p99 {percentile(writes, 0.99):.1f} ms, "
                  f"max {max(writes, default=float('nan')):.1f} ms (goal p99 <= 500 ms)")
            if trace and url.startswith("sqlite"):  # (PostgreSQL waits on row locks)
                print_trace([row for report in reports for row in report.trace
                             if row[0] != "import"])
                print_trace([row for report in reports for row in report.trace
                             if row[0] == "import"])
                held = sorted(span for report in reports for span in report.held)
                if len(held) > 1:
                    gaps = [max(0.0, b[0] - a[1]) * 1000 for a, b in itertools.pairwise(held)]
                    busy = sum(b - a for a, b in held)
                    print(f"  the write lock: held {busy / (held[-1][1] - held[0][0]):.0%} of "
                          f"the time, {len(held)} turns; between two: p50 "
                          f"{percentile(gaps, .5):.1f} ms, p90 {percentile(gaps, .9):.1f} ms")
            if imports:
                print(f"  imports of 20 rows: p50 {statistics.median(imports):.0f} ms, "
                      f"max {max(imports):.0f} ms")
        if kill:
            before = snapshot(url, plan.hot)
            kill_problems, kill_reports, recovered = kill_phase(ctx, plan, kill_seconds)
            problems += kill_problems
            problems += check_counters(plan, before, snapshot(url, plan.hot), kill_reports)
            problems += check_store(url)
            errors += [f"{report.name} (kill): {error}" for report in kill_reports
                       for error in report.errors]
            kill_writes = sum(len(report.write_ms) for report in kill_reports)
            print(f"{store_name(url)}: kill: a writer SIGKILLed holding a transaction; "
                  f"2 agents then wrote {kill_writes} times (done {recovered:.1f} s after "
                  "the kill); "
                  + ("integrity_check, FTS5 integrity-check, " if url.startswith("sqlite")
                     else "") + "counters and atomicity checked")
        for line in errors[:20]:
            print(f"  ERROR {line}")
        for line in problems:
            print(f"  FAILED {line}")
        ok = not errors and not problems
        print(f"  {'ok: zero lost updates, zero errors' if ok else 'FAILED'}")
        return ok
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (default both)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the agents work")
    parser.add_argument("--agents", type=int, default=8, help="agent processes (writers)")
    parser.add_argument("--hot", type=int, default=4, help="shared hot tickets")
    parser.add_argument("--no-importer", action="store_true", help="leave the importer out")
    parser.add_argument("--pg-admin", default=PG_ADMIN,
                        help="a PostgreSQL URL allowed to create and drop a database")
    parser.add_argument("--db", default=None, help="run on this desk instead (new or migrated, "
                        "with no agents yet): the suite's quick test")
    parser.add_argument("--trace", action="store_true",
                        help="SQLite: time each write's wait for the lock and its transaction; "
                        "print where the slowest 1 %% spent it")
    parser.add_argument("--no-kill", action="store_true", help="leave the killed writer out")
    parser.add_argument("--kill-only", action="store_true",
                        help="only the killed writer and the checks after it (a few seconds)")
    args = parser.parse_args(argv)
    if args.db is not None:
        ok = soak(args.db, seconds=0 if args.kill_only else args.seconds, agents=args.agents,
                  hot=args.hot, importer=not args.no_importer, background=20,
                  kill_seconds=1.0 if args.kill_only else 3.0)
        return 0 if ok else 1
    ok = True
    for kind in args.stores.split(","):
        if kind == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="deskterm-soak-desk-"))
            try:
                ok &= soak(f"sqlite:///{folder / 'desk.sqlite3'}", seconds=args.seconds,
                           agents=args.agents, hot=args.hot, importer=not args.no_importer,
                           kill=not args.no_kill, trace=args.trace)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        elif kind == "postgresql":
            name = f"deskterm_soak_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.pg_admin, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = admin.url.set(database=name).render_as_string(hide_password=False)
            try:
                ok &= soak(url, seconds=args.seconds, agents=args.agents, hot=args.hot,
                           importer=not args.no_importer, kill=not args.no_kill,
                           trace=args.trace)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        else:
            parser.error(f"--stores: unknown store {kind!r} (sqlite or postgresql)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
