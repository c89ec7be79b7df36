"""How fast full-text search filters the queue of a big desk (``deskterm.db.search``).

For each filter, what the queue does when an agent types it: count the matching tickets
(``queue.count_matching``), fetch the first window of 40 rows (``queue.fetch_window``) and the
next one by keyset (``list_tickets`` with the cursor). Each filter runs ``--runs`` times on one
connection after a warm-up; prints p50 and p95 of the whole (count + both windows), the parts, the
number of matches, the CPU time of this process (SQLite works in it: the figure a busy machine
does not inflate), and PASS/FAIL of the wall-clock p95 against its target:

- a rare word (numbers from the demo's messages, a different one every run): p95 <= 150 ms
- a word in most tickets (``the``): p95 <= 1 s
- a word with field clauses (``status:open priority:high vpn``): p95 <= 150 ms
- Chinese substrings of two and four characters, a phrase, a negated common word: reported.

Also: ``sort:relevance``-style ranking (``list_tickets(sort="relevance")``) for a rare word.

    .venv/bin/python bench/search.py --db sqlite:////tmp/desk.sqlite3
    .venv/bin/python bench/search.py --tickets 100000      # seeds bench/.cache/search-100000

Without ``--db`` it seeds a demo desk of ``--tickets`` once into ``bench/.cache/`` and reuses it.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# bench/queue.py has the standard library's ``queue`` module's name: this folder leaves the import
# path before anything (psycopg ...) imports the real one.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import random
import re
import statistics
import time
from datetime import UTC, datetime

from sqlmodel import col, select

from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.db.models import Message, Ticket
from deskterm.demo.generator import seed_demo
from deskterm.desk.filter.sql import RELEVANCE
from deskterm.desk.queue import windows as queue
from deskterm.desk.tickets.reads import list_tickets

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
WINDOW = 40


def _desk(args) -> Store:
    if args.db:
        return Store(args.db)
    cache = Path(__file__).parent / ".cache"
    cache.mkdir(exist_ok=True)
    path = cache / f"search-{args.tickets}.sqlite3"
    if not path.exists():
        partial = path.with_suffix(".partial")
        for leftover in partial.parent.glob(partial.name + "*"):
            leftover.unlink()
        store = Store(f"sqlite:///{partial}")
        migrate.upgrade(store)
        started = time.perf_counter()
        seed_demo(store, tickets=args.tickets, seed=1, admin="bench", now=NOW)
        print(f"seeded {args.tickets:,} tickets in {time.perf_counter() - started:.1f} s")
        store.dispose()
        partial.rename(path)
    return Store(f"sqlite:///{path}")


def _rare_words(store: Store, count: int) -> list[str]:
    """Order and invoice numbers (5+ digits) from messages spread over the desk."""
    rng = random.Random(7)
    words: list[str] = []
    with store.read() as session:
        newest = session.exec(select(Message.id).order_by(col(Message.id).desc())).first() or 0
        while len(words) < count:
            body = session.exec(select(Message.body).where(
                Message.id >= rng.randrange(1, newest + 1)).limit(1)).first() or ""
            words.extend(re.findall(r"(?<![\w-])\d{5,}(?![\w-])", body)[:1])
    return words


def _filter_once(store: Store, text: str, *, sort: str | None = None) -> tuple[float, ...]:
    with store.read() as session:
        cpu = time.process_time()
        started = time.perf_counter()
        query = queue.resolve(session, text, me="bench", now=NOW)
        if sort:
            query = queue.QueueQuery(where=query.where, sort=sort)
        total = queue.count_matching(session, query, me="bench")
        counted = time.perf_counter()
        if sort == RELEVANCE:
            page = list_tickets(session, where=query.where, sort=sort, limit=WINDOW, me="bench")
            rows = list(page.items)
        else:
            rows = queue.fetch_window(session, query, me="bench", start=0, count=WINDOW,
                                      total=total)
        windowed = time.perf_counter()
        if len(rows) == WINDOW:
            if sort == RELEVANCE:
                list_tickets(session, where=query.where, sort=sort, limit=WINDOW,
                             cursor=page.next_cursor, me="bench")
            else:
                queue.fetch_window(session, query, me="bench", start=WINDOW, count=WINDOW,
                                   total=total, anchor=rows[-1])
        finished = time.perf_counter()
        cpu = time.process_time() - cpu
    return (finished - started, counted - started, windowed - counted, finished - windowed, total,
            cpu)


def _measure(store: Store, name: str, texts: list[str], target: float | None, runs: int,
             sort: str | None = None) -> bool:
    _filter_once(store, texts[0], sort=sort)  # warm-up
    results = [_filter_once(store, texts[i % len(texts)], sort=sort) for i in range(runs)]
    totals = sorted(r[0] for r in results)
    p50 = statistics.median(totals)
    p95 = totals[min(len(totals) - 1, round(0.95 * (len(totals) - 1)))]
    parts = [statistics.median(r[i] for r in results) * 1000 for i in (1, 2, 3)]
    matches = statistics.median(r[4] for r in results)
    cpu = statistics.median(r[5] for r in results)
    verdict = "" if target is None else ("PASS" if p95 <= target else "FAIL")
    shown = texts[0] if len(texts) == 1 else f"{texts[0]} (+{len(texts) - 1} others)"
    print(f"{name:26s} p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  "
          f"cpu {cpu * 1000:7.1f} ms (count {parts[0]:6.1f}, window {parts[1]:6.1f}, "
          f"next {parts[2]:6.1f})  "
          f"{matches:>9,.0f} matches  {verdict:4s} {shown!r}"
          + (f" target {target * 1000:.0f} ms" if target else ""))
    return verdict != "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a desk's URL (default: a cached demo desk)")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    store = _desk(args)
    with store.read() as session:
        tickets = session.exec(select(Ticket.id).order_by(col(Ticket.id).desc())).first()
    print(f"desk: {store.display_url}, newest ticket #{tickets}")
    rare = _rare_words(store, args.runs)
    ok = all([
        _measure(store, "no words (the baseline)", ["status:open priority:high"], None, args.runs),
        _measure(store, "rare word", rare, 0.150, args.runs),
        _measure(store, "word in most tickets", ["the"], 1.0, args.runs),
        _measure(store, "word and field clauses", ["status:open priority:high vpn"], 0.150,
                 args.runs),
        _measure(store, "common word, clauses", ["status:open printer"], None, args.runs),
        _measure(store, "phrase", ['"printer on floor"'], None, args.runs),
        _measure(store, "negated common word", ["-the"], None, args.runs),
        _measure(store, "two words", ["printer toner"], None, args.runs),
        _measure(store, "Chinese, 2 characters", ["打印"], None, args.runs),
        _measure(store, "Chinese, 4 characters", ["重复扣款"], None, args.runs),
        _measure(store, "Russian word", ["принтер"], None, args.runs),
        _measure(store, "rare word, by relevance", rare, None, args.runs, sort=RELEVANCE),
    ])
    store.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
