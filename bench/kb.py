"""How fast the knowledge base searches and suggests with 50,000 articles (``deskterm.desk.kb``).

Seeds (once, into ``bench/.cache/kb-N.sqlite3``, or into an empty ``--db``) N articles written
from the demo desk's vocabulary in its seven languages (titles from customers' subjects, bodies
from their messages and the agents' replies, with product names, numbers and Markdown steps), in
40 categories, and 200 tickets. Then, on one connection after a warm-up, prints p50 / p95 of:

- ``search.search_articles`` (what the screen's ``/`` does: ranked ids, the articles, their
  title highlights and snippets) over ``--runs`` queries: one word, two words, a prefix being typed,
  a quoted phrase, Chinese, Russian; target p95 <= 50 ms;
- ``suggestions.suggest_for_ticket`` over the tickets (the ticket's subject and first message,
  word frequencies, the ranked query, the five articles); target p95 <= 100 ms;

each next to the bare ranked full-text query (the same MATCH / tsquery and bm25 / ts_rank order,
raw SQL on the same connection, no read models) as the ratio domain / raw.

    .venv/bin/python bench/kb.py                      # SQLite, 50,000 articles
    .venv/bin/python bench/kb.py --db postgresql://postgres@127.0.0.1/kb_bench   # an empty db
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text
from sqlmodel import col, select

from deskterm.db import kb_search, migrate
from deskterm.db.engine import Store
from deskterm.db.models import Article, KbCategory, Ticket
from deskterm.db.search import fts_string
from deskterm.demo.text import LANGUAGES, PRODUCTS
from deskterm.desk import setup
from deskterm.desk.kb import search as desk_kb_search
from deskterm.desk.kb import suggestions as kb_suggestions
from deskterm.desk.tickets import ticket as tickets

TOPICS = ("billing", "network", "accounts", "hardware")
SUBCATEGORIES = ("How-to", "Known issues", "Policies", "Troubleshooting", "Reference",
                 "Setup", "Security", "FAQ", "Releases")
STEPS = ("Open **Settings** and choose *{p}*.", "Sign out, then sign in again.",
         "Restart the {p} client.", "Check the order number {n} in the portal.",
         "Clear the cache of {p}.", "Ask the customer for a screenshot.",
         "Escalate to level 2 if it happens again within {n2} days.",
         "See [the vendor's notes](https://example.com/{n}).")


def _fill(template: str, rng: random.Random, topic: str) -> str:
    values = {"{p}": rng.choice(PRODUCTS[topic]), "{n}": str(rng.randrange(10_000, 999_999)),
              "{n2}": str(rng.randrange(2, 30)), "{f}": str(rng.randrange(1, 12)),
              "{r}": f"{rng.randrange(1, 9)}.{rng.randrange(1, 30):02d}",
              "{a}": f"LT-{rng.randrange(1000, 9999)}"}
    for key, value in values.items():
        template = template.replace(key, value)
    return template


def _article(rng: random.Random, index: int) -> tuple[str, str, str]:
    """(topic, title, body) of one article in the language of a random customer."""
    language = rng.choices(LANGUAGES, weights=[lang.share for lang in LANGUAGES])[0]
    topic = rng.choice(TOPICS)
    subjects, message = rng.choice(language.issues[topic])
    title = _fill(rng.choice(subjects), rng, topic)
    replies = [r for rs in language.replies.values() for r in rs] or [message]
    steps = "\n".join(f"{i}. {_fill(rng.choice(STEPS), rng, topic)}"
                      for i in range(1, rng.randrange(2, 6)))
    paragraphs = [_fill(message, rng, topic), "## Steps", steps,
                  *(_fill(rng.choice(replies), rng, topic) for _ in range(rng.randrange(1, 4)))]
    return topic, f"{title} ({index})", "\n\n".join(paragraphs)


def _seed(store: Store, count: int) -> None:
    rng = random.Random(5)
    admin = store.write(lambda s: setup.ensure_first_admin(s, username="bench"))
    started = time.perf_counter()

    def categories(session) -> dict[str, list[int]]:
        ids: dict[str, list[int]] = {}
        for topic in TOPICS:
            root = KbCategory(name=topic.title(), created_at=datetime.now(UTC))
            session.add(root)
            session.flush()
            ids[topic] = [root.id]
            for name in SUBCATEGORIES:
                child = KbCategory(name=name, parent_id=root.id, created_at=datetime.now(UTC))
                session.add(child)
                session.flush()
                ids[topic].append(child.id)
        return ids

    category_ids = store.write(categories)
    now = datetime.now(UTC)
    rows = []
    for index in range(count):
        topic, title, body = _article(rng, index)
        when = now - timedelta(minutes=rng.randrange(0, 500_000))
        rows.append({"slug": f"article-{index}", "title": title, "body": body,
                     "category_id": rng.choice(category_ids[topic]),
                     "tags": [topic], "status": "published" if rng.random() < 0.9 else "draft",
                     "visibility": rng.choice(("internal", "public")), "author_id": admin.id,
                     "created_at": when, "updated_at": when, "published_at": when,
                     "version": 1, "views": 0, "helpful_votes": 0, "insert_count": 0,
                     "link_count": 0})

    def load(session) -> None:  # one transaction; the triggers index every article
        for start in range(0, len(rows), 5_000):
            session.execute(insert(Article.__table__), rows[start:start + 5_000])

    store.write(load)
    loaded = time.perf_counter() - started

    def file_tickets(session) -> None:
        for _ in range(200):
            language = rng.choices(LANGUAGES, weights=[lang.share for lang in LANGUAGES])[0]
            topic = rng.choice(TOPICS)
            subjects, message = rng.choice(language.issues[topic])
            tickets.create_ticket(session, actor=admin, requester_email="c@bench.example",
                                  subject=_fill(rng.choice(subjects), rng, topic),
                                  body=_fill(message, rng, topic))

    store.write(file_tickets)
    if not store.is_sqlite:
        with store.engine.begin() as connection:
            connection.execute(text("ANALYZE kb_articles"))
    print(f"seeded {count:,} articles in {loaded:.1f} s")


def _desk(args) -> Store:
    if args.db:
        store = Store(args.db)
        if migrate.schema_state(store).empty:
            migrate.upgrade(store)
            _seed(store, args.articles)
        return store
    cache = Path(__file__).parent / ".cache"
    cache.mkdir(exist_ok=True)
    path = cache / f"kb-{args.articles}.sqlite3"
    if not path.exists():
        partial = path.with_suffix(".partial")
        for leftover in partial.parent.glob(partial.name + "*"):
            leftover.unlink()
        store = Store(f"sqlite:///{partial}")
        migrate.upgrade(store)
        _seed(store, args.articles)
        store.dispose()
        partial.rename(path)
    return Store(f"sqlite:///{path}")


def _queries(store: Store, runs: int) -> list[str]:
    """Words and phrases from the articles themselves, of every kind a person types."""
    rng = random.Random(11)
    with store.read() as session:
        titles = session.exec(select(Article.title).where(col(Article.id) % 97 == 0)).all()
    words = [w for t in titles for w in kb_search._WORD.findall(t.split(" (")[0])
             if len(w) >= 4 and not w.isdigit()]
    found = []
    while len(found) < runs:
        kind = len(found) % 6
        if kind == 0:
            found.append(rng.choice(words))
        elif kind == 1:
            found.append(f"{rng.choice(words)} {rng.choice(words)}")
        elif kind == 2:
            found.append(rng.choice(words)[:4])  # typing: a prefix
        elif kind == 3:
            found.append('"' + " ".join(rng.choice(titles).split()[:2]) + '"')
        elif kind == 4:
            found.append(rng.choice(["打印机", "重复扣款", "登录", "无法连接"]))
        else:
            found.append(rng.choice(["принтер", "счёт", "zamówienie", "חשבונית", "Rechnung"]))
    return found


def _raw(store: Store, connection, terms: list, *, any_term: bool, limit: int) -> None:
    """The bare ranked full-text query of ``terms`` on the DBAPI connection."""
    words = [t for t in terms if not t.cjk]
    if not words:
        return
    cursor = connection.cursor()
    if store.is_sqlite:
        query = (" OR " if any_term else " AND ").join(
            fts_string(t.text) + (" *" if t.prefix else "") for t in words)
        cursor.execute("SELECT rowid FROM search_kb_text WHERE search_kb_text MATCH ? ORDER BY "
                       f"bm25(search_kb_text, {kb_search.TITLE_WEIGHT}, 1.0) LIMIT {limit}",
                       (query,))
    else:
        op = " | " if any_term else " & "
        query = op.join(f"{t.text}:*" if t.prefix else
                        " <-> ".join(kb_search._WORD.findall(t.text)) for t in words)
        cursor.execute("SELECT id FROM kb_articles, to_tsquery('simple', %s) q "
                       "WHERE search_vector @@ q ORDER BY ts_rank("
                       f"'{kb_search.PG_WEIGHTS}', search_vector, q) DESC LIMIT {limit}",
                       (query,))
    cursor.fetchall()
    cursor.close()


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return (statistics.median(ordered) * 1000,
            ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000)


def _report(name: str, domain: list[float], raw: list[float], target_ms: float) -> bool:
    p50, p95 = _percentiles(domain)
    raw50, raw95 = _percentiles(raw) if raw else (float("nan"), float("nan"))
    verdict = "PASS" if p95 <= target_ms else "FAIL"
    print(f"{name:24s} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  (target p95 <= {target_ms:.0f} ms: "
          f"{verdict})   raw SQL p50 {raw50:5.1f} / p95 {raw95:5.1f} ms   ratio p50 "
          f"{p50 / raw50:4.1f}x, p95 {p95 / raw95:4.1f}x")
    return verdict == "PASS"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a desk's URL (an empty one is seeded); default: a cache")
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=120)
    args = parser.parse_args()
    store = _desk(args)
    with store.read() as session:
        count = session.exec(select(col(Article.id)).order_by(col(Article.id).desc())).first()
        numbers = session.exec(select(Ticket.id).order_by(col(Ticket.id))).all()
    print(f"desk: {store.display_url}, {count:,} articles, {len(numbers)} tickets")
    queries = _queries(store, args.runs)

    searched, searched_raw, suggested, suggested_raw, found = [], [], [], [], []
    with store.read() as session:
        raw_connection = session.connection().connection.driver_connection
        desk_kb_search.search_articles(session, query=queries[0])  # warm-up
        kb_suggestions.suggest_for_ticket(session, number=numbers[0])
        for query in queries:
            started = time.perf_counter()
            hits = desk_kb_search.search_articles(session, query=query)
            searched.append(time.perf_counter() - started)
            found.append(len(hits))
            terms = list(desk_kb_search.query_terms(query))
            if any(not t.cjk for t in terms):
                started = time.perf_counter()
                _raw(store, raw_connection, terms, any_term=False, limit=20)
                searched_raw.append(time.perf_counter() - started)
        shown = 0
        for number in (numbers * (1 + args.runs // max(len(numbers), 1)))[:args.runs]:
            started = time.perf_counter()
            hits = kb_suggestions.suggest_for_ticket(session, number=number)
            suggested.append(time.perf_counter() - started)
            ticket = session.get(Ticket, number)
            terms = list(kb_suggestions.telling_terms(session, ticket.subject, ""))
            started = time.perf_counter()
            _raw(store, raw_connection, terms, any_term=True, limit=5)
            suggested_raw.append(time.perf_counter() - started)
            shown += bool(hits)
    print(f"search: {len(queries)} queries, median {statistics.median(found):.0f} hits shown "
          f"(of at most 20); suggestions: {shown} of {len(suggested)} tickets got some")
    ok = all([_report("search", searched, searched_raw, 50),
              _report("suggestions for a ticket", suggested, suggested_raw, 100)])
    store.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
