"""The demo desk's knowledge base and macros, so ``k``, ``m`` and the suggestions can be tried.

:func:`demo_articles` is a pure function of the seed: a few hundred articles in categories
(``Network/How-to``, ``Network/Runbooks``, ``Network/Deutsch`` ...), about the demo tickets'
topics and products, in the demo's seven languages; runbooks internal, how-tos public, one in
eight a draft (never the only article of its language about an issue).
:func:`write_knowledge_base` saves them after the tickets' bulk load in one ordinary transaction
(a few hundred rows: the search index is kept by the store itself, by triggers on SQLite and a
generated column on PostgreSQL) and adds the macros through
:func:`deskterm.desk.tickets.macros.add_macro`, so they are checked like any agent's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random

from sqlalchemy import func, insert
from sqlmodel import Session, select

from deskterm.db.models import Agent, Article, KbCategory, Macro, key
from deskterm.demo import kb_text as words
from deskterm.demo import text as demo_text
from deskterm.desk.kb.articles import ArticleFields, check_fields, slugify
from deskterm.desk.people.directory import agent_read, find_agent
from deskterm.desk.tickets.macros import MacroActions, add_macro

DRAFT_SHARE = 0.125
"""About one article in eight is a draft (not suggested, not public)."""
FOREIGN_INTERNAL_SHARE = 0.15
"""Articles in the other languages are public how-tos, but a few are internal notes."""

_KB_DAYS = 365
"""Articles were written over the year before the demo's clock."""

_AUTHORS = {"billing": ("mia", "priya", "lucia"), "network": ("jonas", "tomasz", "kenji"),
            "accounts": ("olga", "sara", "emma"), "hardware": ("ahmed", "noah", "emma")}
_LANGUAGE_AUTHORS = {"de": "mia", "pl": "tomasz", "ru": "olga", "he": "david", "fa": "sara",
                     "zh": "wei"}


@dataclass(frozen=True)
class DemoArticle:
    """One article of the demo's knowledge base, checked like an imported file."""

    fields: ArticleFields
    author: str
    """The username of the demo agent who wrote it."""
    age_s: int
    """Seconds before the demo's clock it was written."""


def _guide_body(guide: words.Guide, product: str, slug: str) -> str:
    fill = {"p": product}
    lines = [guide.summary.format_map(fill), "", "## Symptoms", ""]
    lines += [f"- {symptom.format_map(fill)}" for symptom in guide.symptoms]
    lines += ["", "## Steps", ""]
    lines += [f"{n}. {step.format_map(fill)}" for n, step in enumerate(guide.steps, start=1)]
    if guide.code:
        lines += ["", "```shell", guide.code, "```"]
    lines += ["", "## See also", "",
              f"- [Service status]({words.STATUS})",
              f"- [This article on the help center]({words.HELP}/kb/{slug})"]
    if guide.internal:
        lines += ["", "> Internal: do not paste this runbook into a reply; "
                      "send the customer the matching how-to."]
    return "\n".join(lines)


def demo_articles(seed: int = 1) -> list[DemoArticle]:
    """Every article of the demo knowledge base for ``seed`` (the same seed, the same list)."""
    rng = Random(f"deskterm-demo-kb:{seed}")
    made: list[DemoArticle] = []
    slugs: set[str] = set()

    def add(slug: str, title: str, body: str, category: str, tags, visibility: str,
            author: str, *, may_draft: bool = True) -> None:
        base, n = slug, 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.add(slug)
        status = "draft" if rng.random() < DRAFT_SHARE and may_draft else "published"
        fields = check_fields(ArticleFields(slug=slug, title=title, body=body,
                                            category=category, tags=tuple(tags),
                                            status=status, visibility=visibility))
        made.append(DemoArticle(fields, author, rng.randrange(3_600, _KB_DAYS * 86_400)))

    for topic, guides in words.GUIDES.items():
        group = demo_text.TOPIC_GROUPS[topic]
        for guide, tags in zip(guides, words.GUIDE_TAGS[topic], strict=True):
            products = demo_text.PRODUCTS[topic] if "{p}" in guide.title else ("",)
            kind = words.ENGLISH_KINDS[guide.internal]
            for product in products:
                title = guide.title.format(p=product)
                slug = slugify(title)
                add(slug, title, _guide_body(guide, product or "the VPN", slug),
                    f"{group}/{kind}", tags, "internal" if guide.internal else "public",
                    rng.choice(_AUTHORS[topic]))
    for language in words.FOREIGN:
        for topic, (title, body) in language.articles.items():
            group = demo_text.TOPIC_GROUPS[topic]
            for product in demo_text.PRODUCTS[topic]:
                visibility = "internal" if rng.random() < FOREIGN_INTERNAL_SHARE else "public"
                add(f"{language.code}-{topic}-{slugify(product)}", title.format(p=product),
                    body.format(p=product), f"{group}/{language.category}",
                    (topic, language.code), visibility, _LANGUAGE_AUTHORS[language.code])
        for number, (topic, title, body) in enumerate(language.general, start=1):
            add(f"{language.code}-{topic}-{number}", title, body,
                f"{demo_text.TOPIC_GROUPS[topic]}/{language.category}", (topic, language.code),
                "public", _LANGUAGE_AUTHORS[language.code], may_draft=False)
    return made


@dataclass(frozen=True)
class KbResult:
    articles: int
    categories: int
    macros: int


def write_knowledge_base(session: Session, *, seed: int, now: datetime,
                         admin: str) -> KbResult:
    """Add the demo's articles (unless the desk has articles already) and macros (those whose
    name is free), in the caller's transaction. ``admin`` adds the macros."""
    agents = {name: agent_id for name, agent_id in session.exec(
        select(Agent.username, Agent.id)).all() if agent_id is not None}  # (stored: never None)
    articles = categories = 0
    if not session.exec(select(func.count()).select_from(Article)).one():
        articles, categories = _write_articles(session, seed=seed, now=now, agents=agents,
                                               fallback=agents[admin])
    taken = {name.lower() for name in session.exec(select(Macro.name)).all()}
    actor = agent_read(session, find_agent(session, admin))
    macros = 0
    for name, body, actions in words.MACROS:
        if name.lower() not in taken:
            add_macro(session, actor=actor, name=name, body=body,
                      actions=MacroActions.from_dict(actions))
            macros += 1
    return KbResult(articles=articles, categories=categories, macros=macros)


def _write_articles(session: Session, *, seed: int, now: datetime, agents: dict[str, int],
                    fallback: int) -> tuple[int, int]:
    existing: dict[tuple[int | None, str], int] = {
        (parent, name): id_ for id_, parent, name in session.exec(
            select(KbCategory.id, KbCategory.parent_id, KbCategory.name)).all()
        if id_ is not None}  # (a stored row's id never is)
    made = 0

    def category_id(path: str | None) -> int | None:
        nonlocal made
        if path is None:
            return None
        parent: int | None = None
        for name in path.split("/"):
            if (parent, name) not in existing:
                row = KbCategory(parent_id=parent, name=name, created_at=now)
                session.add(row)
                session.flush()
                existing[parent, name] = key(row)
                made += 1
            parent = existing[parent, name]
        return parent

    rows = []
    for article in demo_articles(seed):
        fields = article.fields
        written = now - timedelta(seconds=article.age_s)
        author = agents.get(article.author, fallback)
        rows.append({
            "slug": fields.slug, "title": fields.title, "body": fields.body,
            "category_id": category_id(fields.category), "tags": list(fields.tags),
            "status": fields.status, "visibility": fields.visibility, "author_id": author,
            "updated_by_id": author, "created_at": written, "updated_at": written,
            "published_at": written if fields.status == "published" else None,
            "version": 1, "views": 0, "helpful_votes": 0, "insert_count": 0, "link_count": 0})
    # One executemany through Core: model objects would cost more than the rows' insert.
    session.execute(insert(Article), rows)
    return len(rows), made
