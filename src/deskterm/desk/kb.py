"""The knowledge base: categories, articles, search, suggestions while answering, usage counts.

Every function takes a Session (reads: ``store.read()``; writes: inside ``store.write(...)``,
which opens SQLite's ``BEGIN IMMEDIATE`` and retries) and returns frozen read models, never ORM
objects. An article is named by its id or its slug wherever ``article`` is asked for.

Who may do what
---------------
Any agent may add categories and add, edit, publish and unpublish articles (the knowledge base
is the team's). Deleting an article is for its author or an admin; renaming or deleting a
category, for an admin (and a category is only deleted when empty). Edits carry the article's
``version``: one made against an older version is refused (:class:`StaleArticle`) rather than
overwriting a teammate's.

Articles
--------
A title (one line, at most 300 characters), a unique slug (lower-case letters, digits, ``-``,
``_``, ``.``; made from the title when not given: ``Reset a VPN token`` -> ``reset-a-vpn-token``),
a Markdown body (untrusted: show it through :func:`deskterm.desk.kb_render.safe_markdown`), an
optional category (a path ``Network/VPN``), tags, a status (``draft`` or ``published``; only
published articles are suggested) and a visibility (``internal``: for agents; ``public``: may be
sent to customers). Bodies are stored without leading blank lines and trailing whitespace.

Counts: ``views`` (:func:`record_view`; :func:`read_article` counts one and returns the article),
``helpful_votes`` (:func:`vote_helpful`), ``insert_count`` (its body inserted into a reply) and
``link_count`` (a link to it inserted, or it was linked to a ticket) (:func:`record_use`,
:func:`link_article`). The counters are plain ``UPDATE ... SET n = n + 1``: run
:func:`record_view` and :func:`read_article` in ``store.write(..., quiet=True)`` so an open
queue is not refreshed for a view.

Search
------
:func:`search_articles` ranks with bm25 / ts_rank (title above body); see
:mod:`deskterm.db.kb_search` for what matches. :func:`suggest_for_ticket` looks for the ticket's
subject and first message: its words are weighed by how many articles hold them (the rarest
count most; words in a tenth of a large knowledge base or more, and common English words, are
left out) and the published articles holding any of the telling ones are ranked.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from deskterm.db import kb_search
from deskterm.db.errors import WriteConflict
from deskterm.db.kb_search import Term
from deskterm.db.models import (
    ARTICLE_STATUSES,
    ARTICLE_VISIBILITIES,
    Agent,
    Article,
    ArticleTicket,
    Customer,
    KbCategory,
    Message,
    Ticket,
)
from deskterm.db.search import has_cjk
from deskterm.db.types import utcnow
from deskterm.desk.errors import DeskError, InvalidInput, NotFound, PermissionDenied
from deskterm.desk.kb_render import fold, highlight_spans, snippet
from deskterm.desk.limits import INT_MAX, check_int, check_text, storable
from deskterm.desk.people.permissions import require_admin
from deskterm.desk.query import MAX_LENGTH, check_size
from deskterm.desk.reads import AgentRead, ref
from deskterm.desk.reply_trim import without_greeting_and_sign_off
from deskterm.desk.safe_text import clean_line
from deskterm.desk.tickets import _tags_of, normalize_tags

MAX_TITLE = 300
MAX_SLUG = 120
MAX_CATEGORY = 100
MAX_BODY = 1_000_000
SUGGESTIONS = 5
USES = ("body", "link")
"""How an article goes into a reply: its whole body, or a link line."""

_SLUG = re.compile(r"^[^\W_][\w.\-]*$")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
_STOPWORDS = frozenset(re.findall(r"\w+", """
a about after again all also am an and any are as at be been before but by can cannot could
dear did do does doing for from get got had has have hello hi how i if in into is it its just
me my no not now of on or our please regards so some still than thank thanks that the their
them then there these they this to too up us was we were what when where which who why will
with would you your
"""))


class StaleArticle(DeskError):
    """An edit made against an older version of the article than the stored one."""

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


# --- Read models --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryRead:
    id: int
    name: str
    parent_id: int | None
    path: str
    """``Network/VPN``: the names from the root, joined by ``/``."""
    depth: int
    """0 for a root category."""
    articles: int
    """Articles directly in it (not in its subcategories)."""


@dataclass(frozen=True)
class ArticleSummary:
    id: int
    slug: str
    title: str
    category: str | None
    """The category's path, or None."""
    category_id: int | None
    tags: tuple[str, ...]
    status: str
    visibility: str
    author: str | None
    """The author's username."""
    updated_at: datetime
    version: int
    views: int
    helpful_votes: int
    insert_count: int
    link_count: int


@dataclass(frozen=True)
class ArticleRead(ArticleSummary):
    body: str
    """Markdown as stored (untrusted: show it through ``kb_render.safe_markdown``)."""
    created_at: datetime
    published_at: datetime | None
    tickets: tuple[int, ...]
    """The tickets it was used on or linked to, newest link first."""


@dataclass(frozen=True)
class SearchHit:
    article: ArticleSummary
    score: float
    """Lower is better (bm25 on SQLite, negated ts_rank on PostgreSQL)."""
    title: str
    """The title on one line, safe to show."""
    title_spans: tuple[tuple[int, int], ...]
    """(start, end) of the matches in ``title``."""
    snippet: str
    """About 160 characters of the body around its first match, one line, safe to show."""
    snippet_spans: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class ArticleDraft:
    """A new article's text, prefilled (not saved)."""

    title: str
    body: str
    tags: tuple[str, ...]
    ticket: int | None = None
    """The ticket it was made from; pass it to :func:`create_article` as ``from_ticket``."""


@dataclass(frozen=True)
class ArticleFields:
    """An article's fields as a file or a form gives them, checked by :func:`check_fields`."""

    slug: str
    title: str
    body: str
    category: str | None = None
    tags: tuple[str, ...] = ()
    status: str = "draft"
    visibility: str = "internal"


@dataclass(frozen=True)
class ImportResult:
    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: tuple[str, ...]


# --- Checks -------------------------------------------------------------------------------------


def check_title(title: str) -> str:
    cleaned = " ".join(check_text(title, field="title").split())
    if not cleaned:
        raise InvalidInput("title: must not be empty")
    if len(cleaned) > MAX_TITLE:
        raise InvalidInput(f"title: longer than {MAX_TITLE} characters")
    return cleaned


def check_slug(slug: str) -> str:
    cleaned = unicodedata.normalize("NFC", slug.strip()).lower()
    if not cleaned:
        raise InvalidInput("slug: must not be empty")
    if len(cleaned) > MAX_SLUG:
        raise InvalidInput(f"slug: longer than {MAX_SLUG} characters")
    if not _SLUG.match(cleaned):
        raise InvalidInput(f"slug: '{clean_line(slug)[:60]}' is not a slug (letters, digits, "
                           "'-', '_', '.'; starting with a letter or digit)")
    return cleaned


def slugify(title: str) -> str:
    """A slug made from a title: ``Reset a VPN token`` -> ``reset-a-vpn-token``."""
    words = re.findall(r"[^\W_]+", unicodedata.normalize("NFC", title).lower())
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > 80:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "article"


def check_body(body: str) -> str:
    body = check_text(body, field="body")
    body = _LEADING_BLANK_LINES.sub("", body.replace("\r\n", "\n").replace("\r", "\n")).rstrip()
    if len(body) > MAX_BODY:
        raise InvalidInput(f"body: longer than {MAX_BODY:,} characters")
    return body


def check_status(status: str) -> str:
    value = status.strip().lower()
    if value not in ARTICLE_STATUSES:
        raise InvalidInput(f"status: '{clean_line(status)[:30]}' is not one of "
                           f"{', '.join(ARTICLE_STATUSES)}")
    return value


def check_visibility(visibility: str) -> str:
    value = visibility.strip().lower()
    if value not in ARTICLE_VISIBILITIES:
        raise InvalidInput(f"visibility: '{clean_line(visibility)[:30]}' is not one of "
                           f"{', '.join(ARTICLE_VISIBILITIES)}")
    return value


def check_category_path(path: str) -> tuple[str, ...]:
    """The names of a category path ``A/B`` (spaces around names and slashes do not count)."""
    names = tuple(" ".join(part.split()) for part in path.split("/"))
    if not any(names):
        raise InvalidInput("category: must not be empty (a path like Network/VPN)")
    for name in names:
        if not name:
            raise InvalidInput(f"category: '{clean_line(path)[:80]}' has an empty name "
                               "between slashes")
        if len(name) > MAX_CATEGORY:
            raise InvalidInput(f"category: the name '{name[:40]}…' is longer than "
                               f"{MAX_CATEGORY} characters")
        if not name.isprintable():
            raise InvalidInput("category: names must not hold control characters")
    return names


def check_fields(fields: ArticleFields) -> ArticleFields:
    """Every field checked and normalised (the category path as ``A/B``)."""
    category = None
    if fields.category is not None and fields.category.strip():
        category = "/".join(check_category_path(fields.category))
    return ArticleFields(
        slug=check_slug(fields.slug), title=check_title(fields.title),
        body=check_body(fields.body), category=category,
        tags=normalize_tags(fields.tags), status=check_status(fields.status),
        visibility=check_visibility(fields.visibility))


# --- Categories ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Category:
    id: int
    parent_id: int | None
    name: str


def _categories(session: Session) -> dict[int, _Category]:
    rows = session.exec(select(KbCategory.id, KbCategory.parent_id, KbCategory.name)).all()
    return {row[0]: _Category(*row) for row in rows}


def _paths(categories: dict[int, _Category]) -> dict[int, str]:
    paths: dict[int, str] = {}

    def path_of(category_id: int) -> str:
        if category_id not in paths:
            category = categories[category_id]
            parent = category.parent_id
            paths[category_id] = (f"{path_of(parent)}/{category.name}" if parent is not None
                                  else category.name)
        return paths[category_id]

    for category_id in categories:
        path_of(category_id)
    return paths


def _child(session: Session, parent_id: int | None, name: str) -> KbCategory | None:
    """The child of ``parent_id`` named ``name``, exactly or else ignoring case."""
    siblings = session.exec(select(KbCategory).where(
        col(KbCategory.parent_id).is_(None) if parent_id is None
        else col(KbCategory.parent_id) == parent_id)).all()
    for sibling in siblings:
        if sibling.name == name:
            return sibling
    wanted = name.casefold()
    return next((s for s in siblings if s.name.casefold() == wanted), None)


def _category_id(session: Session, path: str | None, *, create: bool) -> int | None:
    if path is None or not path.strip():
        return None
    parent_id = None
    for name in check_category_path(path):
        found = _child(session, parent_id, name)
        if found is None:
            if not create:
                raise NotFound(f"no category '{clean_line(path)[:80]}'")
            found = KbCategory(parent_id=parent_id, name=name, created_at=utcnow())
            session.add(found)
            _flush(session, f"category {name}")
        parent_id = found.id
    return parent_id


def list_categories(session: Session) -> list[CategoryRead]:
    """Every category, depth first (a parent, then its children by name)."""
    categories = _categories(session)
    paths = _paths(categories)
    counts = dict(session.exec(select(Article.category_id, func.count()).where(
        col(Article.category_id).is_not(None)).group_by(Article.category_id)).all())
    children: dict[int | None, list[_Category]] = {}
    for category in categories.values():
        children.setdefault(category.parent_id, []).append(category)
    ordered: list[CategoryRead] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for category in sorted(children.get(parent_id, ()),
                               key=lambda c: (c.name.casefold(), c.name)):
            ordered.append(CategoryRead(id=category.id, name=category.name,
                                        parent_id=category.parent_id, path=paths[category.id],
                                        depth=depth, articles=counts.get(category.id, 0)))
            walk(category.id, depth + 1)

    walk(None, 0)
    return ordered


def _category_read(session: Session, category_id: int) -> CategoryRead:
    return next(c for c in list_categories(session) if c.id == category_id)


def create_category(session: Session, *, actor: AgentRead, path: str) -> CategoryRead:
    """The category at ``path`` (``Network/VPN``), made with any missing parents (any agent)."""
    return _category_read(session, _category_id(session, path, create=True))


def find_category(session: Session, *, path: str) -> CategoryRead:
    """The category at ``path`` (case does not matter)."""
    return _category_read(session, _category_id(session, path, create=False))


def rename_category(session: Session, *, actor: AgentRead, category_id: int,
                    name: str) -> CategoryRead:
    """Rename a category (admins); its articles and subcategories follow."""
    require_admin(actor, "rename a category")
    category = _get_category(session, category_id)
    if "/" in name:
        raise InvalidInput("category name: must not hold '/'")
    (new,) = check_category_path(name)
    other = _child(session, category.parent_id, new)
    if other is not None and other.id != category.id:
        raise InvalidInput(f"a category named '{other.name}' is already there")
    category.name = new
    session.add(category)
    _flush(session, f"category {new}")
    return _category_read(session, category.id)


def delete_category(session: Session, *, actor: AgentRead, category_id: int) -> CategoryRead:
    """Delete an empty category (admins): no articles, no subcategories."""
    require_admin(actor, "delete a category")
    removed = _category_read(session, category_id)
    category = _get_category(session, category_id)
    if session.exec(select(KbCategory.id).where(KbCategory.parent_id == category_id)).first():
        raise InvalidInput(f"category '{removed.path}' has subcategories: delete them first")
    if removed.articles:
        raise InvalidInput(f"category '{removed.path}' holds {removed.articles} article(s): "
                           "move or delete them first")
    session.delete(category)
    session.flush()
    return removed


def _get_category(session: Session, category_id: int) -> KbCategory:
    category = session.get(KbCategory, category_id)
    if category is None:
        raise NotFound(f"no category with id {category_id}")
    return category


# --- Reading articles ---------------------------------------------------------------------------


def _flush(session: Session, what: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        # A teammate saved the same slug or category at the same moment: the write runs again
        # and the checks then explain the clash.
        raise WriteConflict(f"{what} was saved concurrently") from exc


def _usernames(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.exec(select(Agent.id, Agent.username).where(col(Agent.id).in_(ids))).all())


def _summaries(session: Session, articles: Sequence[Article]) -> list[ArticleSummary]:
    paths = _paths(_categories(session)) if any(a.category_id for a in articles) else {}
    names = _usernames(session, {a.author_id for a in articles if a.author_id is not None})
    return [ArticleSummary(
        id=a.id, slug=a.slug, title=a.title, category=paths.get(a.category_id),
        category_id=a.category_id, tags=tuple(a.tags or ()), status=a.status,
        visibility=a.visibility, author=names.get(a.author_id), updated_at=a.updated_at,
        version=a.version, views=a.views, helpful_votes=a.helpful_votes,
        insert_count=a.insert_count, link_count=a.link_count) for a in articles]


def _read(session: Session, article: Article) -> ArticleRead:
    (summary,) = _summaries(session, [article])
    tickets = session.exec(select(ArticleTicket.ticket_id).where(
        ArticleTicket.article_id == article.id).order_by(
        col(ArticleTicket.linked_at).desc(), col(ArticleTicket.ticket_id).desc())).all()
    return ArticleRead(**summary.__dict__, body=article.body, created_at=article.created_at,
                       published_at=article.published_at, tickets=tuple(tickets))


def _find(session: Session, article: int | str) -> Article | None:
    if isinstance(article, int) and not isinstance(article, bool):
        return session.get(Article, article) if 1 <= article <= INT_MAX else None
    slug = unicodedata.normalize("NFC", str(article).strip()).lower()
    if not storable(slug):
        return None
    return session.exec(select(Article).where(Article.slug == slug)).first()


def _get(session: Session, article: int | str) -> Article:
    found = _find(session, article)
    if found is None:
        shown = article if isinstance(article, int) else f"'{clean_line(str(article))[:60]}'"
        raise NotFound(f"no article {shown} (see `deskterm kb list`)")
    return found


def get_article(session: Session, *, article: int | str) -> ArticleRead:
    """One article with its body and the tickets it was used on."""
    return _read(session, _get(session, article))


def list_articles(
    session: Session,
    *,
    category_id: int | None = None,
    subcategories: bool = False,
    uncategorized: bool = False,
    status: str | None = None,
    visibility: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[ArticleSummary]:
    """Articles by title: all, those of ``category_id`` (with ``subcategories``: and of every
    category under it), or with ``uncategorized`` those without a category."""
    query = select(Article)
    if uncategorized:
        query = query.where(col(Article.category_id).is_(None))
    elif category_id is not None:
        ids = {category_id}
        if subcategories:
            categories = _categories(session)
            changed = True
            while changed:
                more = {c.id for c in categories.values() if c.parent_id in ids} - ids
                ids |= more
                changed = bool(more)
        query = query.where(col(Article.category_id).in_(ids))
    if status is not None:
        query = query.where(Article.status == check_status(status))
    if visibility is not None:
        query = query.where(Article.visibility == check_visibility(visibility))
    query = query.order_by(col(Article.title), col(Article.id)).offset(offset).limit(limit)
    return _summaries(session, session.exec(query).all())


# --- Writing articles ---------------------------------------------------------------------------


def _free_slug(session: Session, wanted: str, keep: int | None = None) -> str:
    slug, n = wanted, 1
    while True:
        other = session.exec(select(Article.id).where(Article.slug == slug)).first()
        if other is None or other == keep:
            return slug
        n += 1
        slug = f"{wanted[:MAX_SLUG - 6]}-{n}"


def _refuse_taken_slug(session: Session, slug: str, keep: int | None = None) -> None:
    other = session.exec(select(Article.id).where(Article.slug == slug)).first()
    if other is not None and other != keep:
        raise InvalidInput(f"slug: an article '{slug}' already exists")


def _ticket(session: Session, number: int) -> Ticket:
    ticket = session.get(Ticket, number) if 1 <= number <= INT_MAX else None
    if ticket is None:
        raise NotFound(f"no ticket {ref(number)}")
    return ticket


def create_article(
    session: Session,
    *,
    actor: AgentRead,
    title: str,
    body: str,
    category: str | None = None,
    tags: Sequence[str] = (),
    visibility: str = "internal",
    status: str = "draft",
    slug: str | None = None,
    from_ticket: int | None = None,
) -> ArticleRead:
    """Add an article (any agent), ``actor`` its author. ``category`` is a path, made if it is
    missing; without ``slug`` one is made from the title (``-2``, ``-3`` ... if taken; a given
    slug that is taken is refused). ``from_ticket`` links the ticket it was written from."""
    title = check_title(title)
    if slug is None:
        slug = _free_slug(session, slugify(title))
    else:
        slug = check_slug(slug)
        _refuse_taken_slug(session, slug)
    status = check_status(status)
    now = utcnow()
    article = Article(
        slug=slug, title=title, body=check_body(body),
        category_id=_category_id(session, category, create=True),
        tags=list(normalize_tags(tags)), status=status,
        visibility=check_visibility(visibility), author_id=actor.id, updated_by_id=actor.id,
        created_at=now,
        updated_at=now, published_at=now if status == "published" else None)
    source = _ticket(session, from_ticket) if from_ticket is not None else None
    session.add(article)
    _flush(session, f"article {slug}")
    if source is not None:
        _link(session, article, source.id, actor, count=False)
    return _read(session, article)


def _check_version(session: Session, article: Article, expected: int | None) -> None:
    if expected is not None:
        check_int(expected, field="version")
    if expected is not None and expected != article.version:
        who = _usernames(session, {article.updated_by_id} - {None}).get(article.updated_by_id)
        by = f" by {who} at {article.updated_at:%Y-%m-%d %H:%M} UTC" if who else ""
        raise StaleArticle(
            f"article '{article.slug}' changed since you opened it (version {expected}, now "
            f"{article.version}{by}): reload it and make your change again",
            current_version=article.version)


def _lock(session: Session, article: int | str) -> Article:
    found = _get(session, article)
    return session.exec(select(Article).where(Article.id == found.id).with_for_update()
                        .execution_options(populate_existing=True)).one()


def update_article(
    session: Session,
    *,
    actor: AgentRead,
    article: int | str,
    title: str | None = None,
    body: str | None = None,
    category: str | None = None,
    tags: Sequence[str] | None = None,
    visibility: str | None = None,
    status: str | None = None,
    slug: str | None = None,
    expected_version: int | None = None,
) -> ArticleRead:
    """Change an article (any agent). ``None`` keeps a field; ``category=""`` takes it out of
    its category. With ``expected_version``, refuse (:class:`StaleArticle`) if it changed since.
    Raises the version only when something changed."""
    found = _lock(session, article)
    _check_version(session, found, expected_version)
    changed = False

    def put(field: str, value) -> None:
        nonlocal changed
        if getattr(found, field) != value:
            setattr(found, field, value)
            changed = True

    if title is not None:
        put("title", check_title(title))
    if body is not None:
        put("body", check_body(body))
    if category is not None:
        put("category_id", _category_id(session, category, create=True))
    if tags is not None:
        put("tags", list(normalize_tags(tags)))
    if visibility is not None:
        put("visibility", check_visibility(visibility))
    if slug is not None:
        new_slug = check_slug(slug)
        _refuse_taken_slug(session, new_slug, keep=found.id)
        put("slug", new_slug)
    if status is not None:
        new_status = check_status(status)
        if new_status == "published" and found.status != "published":
            found.published_at = utcnow()
        put("status", new_status)
    if changed:
        found.version += 1
        found.updated_at = utcnow()
        found.updated_by_id = actor.id
        session.add(found)
        _flush(session, f"article {found.slug}")
    return _read(session, found)


def publish_article(session: Session, *, actor: AgentRead, article: int | str,
                    expected_version: int | None = None) -> ArticleRead:
    """Publish an article (any agent): it is suggested while answering from now on."""
    found = _get(session, article)
    if not found.body.strip():
        raise InvalidInput(f"article '{found.slug}' has no text yet: write it before publishing")
    return update_article(session, actor=actor, article=found.id, status="published",
                          expected_version=expected_version)


def unpublish_article(session: Session, *, actor: AgentRead, article: int | str,
                      expected_version: int | None = None) -> ArticleRead:
    """Make an article a draft again (any agent)."""
    return update_article(session, actor=actor, article=article, status="draft",
                          expected_version=expected_version)


def delete_article(session: Session, *, actor: AgentRead, article: int | str) -> ArticleSummary:
    """Delete an article (its author or an admin); its links to tickets go with it."""
    found = _get(session, article)
    if not actor.is_admin and found.author_id != actor.id:
        (summary,) = _summaries(session, [found])
        raise PermissionDenied(f"article '{found.slug}' was written by "
                               f"{summary.author or 'someone else'}: only they or an admin can "
                               "delete it")
    (removed,) = _summaries(session, [found])
    session.delete(found)
    session.flush()
    return removed


# --- Counts and links ---------------------------------------------------------------------------


def _bump(session: Session, article_id: int, **columns: int) -> None:
    values = {name: getattr(Article, name) + by for name, by in columns.items()}
    session.execute(update(Article).where(col(Article.id) == article_id).values(**values))


def record_view(session: Session, *, article: int | str) -> None:
    """Count one reading of an article (write it with ``quiet=True``)."""
    _bump(session, _get(session, article).id, views=1)


def read_article(session: Session, *, article: int | str) -> ArticleRead:
    """An agent opens an article to read it: one view counted, and the article as it is with
    that view (write it with ``quiet=True``), so the count shown is the one stored."""
    found = _get(session, article)
    _bump(session, found.id, views=1)
    session.refresh(found)
    return _read(session, found)


def vote_helpful(session: Session, *, article: int | str) -> ArticleSummary:
    """Count one "this helped" vote."""
    found = _get(session, article)
    _bump(session, found.id, helpful_votes=1)
    session.refresh(found)
    (summary,) = _summaries(session, [found])
    return summary


def _link(session: Session, article: Article, number: int, actor: AgentRead | None, *,
          count: bool) -> bool:
    if session.get(ArticleTicket, (article.id, number)) is not None:
        return False
    session.add(ArticleTicket(article_id=article.id, ticket_id=number,
                              linked_by_id=actor.id if actor else None, linked_at=utcnow()))
    _flush(session, f"link of {article.slug} to {ref(number)}")
    if count:
        _bump(session, article.id, link_count=1)
    return True


def link_article(session: Session, *, actor: AgentRead, article: int | str,
                 number: int) -> bool:
    """Link an article to ticket ``number``; True if it was not linked yet (then its
    ``link_count`` goes up)."""
    found = _get(session, article)
    _ticket(session, number)
    return _link(session, found, number, actor, count=True)


def unlink_article(session: Session, *, actor: AgentRead, article: int | str,
                   number: int) -> bool:
    """Remove the link of an article to a ticket; True if there was one. Counts stay."""
    found = _get(session, article)
    link = session.get(ArticleTicket, (found.id, number))
    if link is None:
        return False
    session.delete(link)
    session.flush()
    return True


def record_use(session: Session, *, actor: AgentRead, article: int | str, number: int,
               how: str) -> ArticleSummary:
    """An agent put the article into a reply on ticket ``number``: ``how="body"`` (its text;
    ``insert_count`` + 1) or ``"link"`` (a link line; ``link_count`` + 1). The article is linked
    to the ticket too (once)."""
    if how not in USES:
        raise InvalidInput(f"how: '{how}' is not one of {', '.join(USES)}")
    found = _get(session, article)
    _ticket(session, number)
    _link(session, found, number, actor, count=False)
    _bump(session, found.id, **{"insert_count" if how == "body" else "link_count": 1})
    session.refresh(found)
    (summary,) = _summaries(session, [found])
    return summary


def articles_for_ticket(session: Session, *, number: int) -> list[ArticleSummary]:
    """The articles used on or linked to a ticket, the latest first."""
    rows = session.exec(select(Article).join(ArticleTicket, col(ArticleTicket.article_id) ==
                                             col(Article.id))
                        .where(ArticleTicket.ticket_id == number)
                        .order_by(col(ArticleTicket.linked_at).desc(), col(Article.id))).all()
    return _summaries(session, rows)


def link_line(article: ArticleSummary) -> str:
    """The line put into a reply for a link to an article: ``KB: Title (kb:slug)``."""
    return f"KB: {clean_line(article.title)} (kb:{article.slug})"


# --- Search and suggestions ---------------------------------------------------------------------


def query_terms(query: str) -> tuple[Term, ...]:
    """What a search query looks for (for highlighting text with ``kb_render``)."""
    return kb_search.parse_query(query)


def _filters(status: str | None, visibility: str | None,
             category_ids: set[int] | None) -> tuple[str, dict]:
    conditions, params = [], {}
    if status is not None:
        conditions.append("a.status = :kb_status")
        params["kb_status"] = check_status(status)
    if visibility is not None:
        conditions.append("a.visibility = :kb_visibility")
        params["kb_visibility"] = check_visibility(visibility)
    if category_ids is not None:
        names = []
        for i, category_id in enumerate(sorted(category_ids)):
            params[f"kb_category_{i}"] = int(category_id)
            names.append(f":kb_category_{i}")
        conditions.append(f"a.category_id IN ({', '.join(names) or 'NULL'})")
    return " AND ".join(conditions), params


def _hits(session: Session, matches: Sequence[kb_search.Match],
          terms: Sequence[Term]) -> list[SearchHit]:
    if not matches:
        return []
    by_id = {a.id: a for a in session.exec(select(Article).where(
        col(Article.id).in_([m.article_id for m in matches]))).all()}
    articles = [by_id[m.article_id] for m in matches if m.article_id in by_id]
    summaries = {s.id: s for s in _summaries(session, articles)}
    hits = []
    for match in matches:
        article = by_id.get(match.article_id)
        if article is None:
            continue
        title = clean_line(article.title)
        text, spans = snippet(article.body, terms)
        hits.append(SearchHit(article=summaries[article.id], score=match.score, title=title,
                              title_spans=highlight_spans(title, terms), snippet=text,
                              snippet_spans=spans))
    return hits


def search_articles(
    session: Session,
    *,
    query: str,
    limit: int = 20,
    status: str | None = None,
    visibility: str | None = None,
    category_id: int | None = None,
) -> list[SearchHit]:
    """The articles holding every word and phrase of ``query``, best first (title matches above
    body matches), with the matches' spans in the title and a snippet. An empty query (or one
    with nothing to look for) finds nothing. ``category_id`` includes its subcategories.

    A query past the filter language's limits (:func:`~deskterm.desk.query.check_size`) is a
    :class:`~deskterm.desk.query.QueryError`."""
    check_size(query, kb_search.term_starts(query) if len(query) <= MAX_LENGTH else (),
               what="search")
    terms = kb_search.parse_query(query)
    category_ids = None
    if category_id is not None:
        category_ids = {category_id}
        categories = _categories(session)
        while more := {c.id for c in categories.values() if c.parent_id in category_ids
                       } - category_ids:
            category_ids |= more
    where, params = _filters(status, visibility, category_ids)
    matches = kb_search.match_articles(session, terms, where=where, where_params=params,
                                       limit=max(1, min(limit, 500)))
    return _hits(session, matches, terms)


_WORDS = re.compile(r"[^\W_]+")
_CJK_RUN = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u9fff\uac00-\ud7af"
                      r"\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]+")
_SUGGEST_WORDS = 6
_SUGGEST_CANDIDATES = 40
COMMON_SHARE = 0.10
"""A word in more than this share of the articles says little about a ticket (when there are
at least :data:`COMMON_MIN` articles)."""
COMMON_MIN = 40


def _ticket_text(session: Session, number: int) -> tuple[str, str]:
    ticket = _ticket(session, number)
    first = session.exec(select(Message.body).where(Message.ticket_id == number)
                         .order_by(col(Message.id)).limit(1)).first()
    return ticket.subject, first or ""


def telling_terms(session: Session, subject: str, message: str) -> tuple[Term, ...]:
    """The words of a ticket worth looking for: known to the knowledge base, rare in it, not
    common English; the subject's first. Text in scripts without spaces gives substrings."""
    candidates: dict[str, str] = {}
    cjk: list[str] = []
    for text in (subject, message[:4000]):
        for run in _CJK_RUN.findall(text):
            for letters in re.findall(r"[^\W_]+", run):  # full-width punctuation splits runs
                cjk.extend(letters[i:i + 3] for i in range(0, len(letters) - 1, 3))
        for word in _WORDS.findall(_CJK_RUN.sub(" ", text)):
            lower = word.lower()
            if len(lower) < 3 or lower.isdigit() or lower in _STOPWORDS:
                continue
            candidates.setdefault(fold(lower), lower)
            if len(candidates) >= _SUGGEST_CANDIDATES:
                break
    total, frequencies = kb_search.document_frequencies(session, list(candidates))
    ranked = []
    for position, (folded, word) in enumerate(candidates.items()):
        documents = frequencies.get(folded, frequencies.get(word, 0))
        if documents <= 0:
            continue
        if total >= COMMON_MIN and documents > total * COMMON_SHARE:
            continue
        ranked.append((documents, position, word))
    words = [Term(word) for _, _, word in sorted(ranked)[:_SUGGEST_WORDS]]
    substrings = [Term(part) for part in dict.fromkeys(cjk) if has_cjk(part)][:6]
    return tuple(words + substrings)


def suggest_for_text(session: Session, *, subject: str, message: str = "",
                     limit: int = SUGGESTIONS) -> list[SearchHit]:
    """The published articles best matching a subject and a message, best first."""
    terms = telling_terms(session, subject, message)
    where, params = _filters("published", None, None)
    matches = kb_search.match_articles(session, terms, any_term=True, where=where,
                                       where_params=params, limit=limit)
    return _hits(session, matches, terms)


def suggest_for_ticket(session: Session, *, number: int,
                       limit: int = SUGGESTIONS) -> list[SearchHit]:
    """The ``limit`` (5) published articles best matching the ticket's subject and first
    message, best first."""
    subject, message = _ticket_text(session, number)
    return suggest_for_text(session, subject=subject, message=message, limit=limit)


# --- From a solved ticket -----------------------------------------------------------------------

_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|odp|回复|答复)\s*[:：]\s*)+", re.IGNORECASE)


def draft_from_ticket(session: Session, *, number: int) -> ArticleDraft:
    """A new article's text from a solved (or closed) ticket: its subject as the title and the
    reply that solved it, without its greeting and sign-off, as the body (nothing is saved)."""
    ticket = _ticket(session, number)
    if ticket.status not in ("solved", "closed"):
        raise InvalidInput(f"ticket {ref(number)} is {ticket.status}: an article is made from a "
                           "solved ticket's solution")
    replies = select(Message).where(Message.ticket_id == number, col(Message.public),
                                    col(Message.author_agent_id).is_not(None))
    solving = None
    if ticket.solved_at is not None:
        solving = session.exec(replies.where(col(Message.created_at) <= ticket.solved_at)
                               .order_by(col(Message.id).desc()).limit(1)).first()
    if solving is None:
        solving = session.exec(replies.order_by(col(Message.id).desc()).limit(1)).first()
    title = _REPLY_PREFIX.sub("", ticket.subject).strip() or ticket.subject
    body = ""
    if solving is not None:
        body = check_body(_solution(session, ticket, solving)) or check_body(solving.body)
    return ArticleDraft(title=" ".join(title.split()), body=body,
                        tags=_tags_of(session, number), ticket=number)


def _solution(session: Session, ticket: Ticket, reply: Message) -> str:
    """The reply's text without its greeting ("Hello Giulia Wright,") and sign-off (the
    agent's name and company): an article is for every customer."""
    requester = session.get(Customer, ticket.requester_id)
    agent = session.get(Agent, reply.author_agent_id) if reply.author_agent_id else None
    names = [requester.name] if requester is not None and requester.name else []
    names += [names[0].split()[0]] if names and names[0].split() else []
    return without_greeting_and_sign_off(
        reply.body, requester=names,
        agent=[agent.display_name, agent.username] if agent is not None else [])


# --- Files --------------------------------------------------------------------------------------


def article_fields(article: ArticleRead) -> ArticleFields:
    return ArticleFields(slug=article.slug, title=article.title, body=article.body,
                         category=article.category, tags=article.tags, status=article.status,
                         visibility=article.visibility)


def export_articles(session: Session) -> list[ArticleFields]:
    """Every article's fields, by slug (for ``deskterm kb export``)."""
    articles = session.exec(select(Article).order_by(col(Article.slug))).all()
    paths = _paths(_categories(session))
    return [ArticleFields(slug=a.slug, title=a.title, body=a.body,
                          category=paths.get(a.category_id), tags=tuple(a.tags or ()),
                          status=a.status, visibility=a.visibility) for a in articles]


def import_articles(
    session: Session,
    *,
    actor: AgentRead,
    articles: Sequence[ArticleFields],
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create or update articles by slug (never a second article with a slug), in the caller's
    transaction: either all are saved or, if one is refused, none. New ones get ``actor`` as
    their author."""
    created, updated, unchanged = [], [], []
    for done, given in enumerate(articles, start=1):
        fields = check_fields(given)
        existing = _find(session, fields.slug)
        if existing is None:
            create_article(session, actor=actor, title=fields.title, body=fields.body,
                           category=fields.category, tags=fields.tags,
                           visibility=fields.visibility, status=fields.status, slug=fields.slug)
            created.append(fields.slug)
        else:
            before = existing.version
            after = update_article(session, actor=actor, article=existing.id,
                                   title=fields.title, body=fields.body,
                                   category=fields.category or "", tags=fields.tags,
                                   visibility=fields.visibility, status=fields.status)
            (updated if after.version != before else unchanged).append(fields.slug)
        if progress is not None:
            progress(done)
    return ImportResult(created=tuple(created), updated=tuple(updated),
                        unchanged=tuple(unchanged))


__all__ = [
    "SUGGESTIONS",
    "USES",
    "ArticleDraft",
    "ArticleFields",
    "ArticleRead",
    "ArticleSummary",
    "CategoryRead",
    "ImportResult",
    "SearchHit",
    "StaleArticle",
    "Term",
    "article_fields",
    "articles_for_ticket",
    "check_fields",
    "create_article",
    "create_category",
    "delete_article",
    "delete_category",
    "draft_from_ticket",
    "export_articles",
    "find_category",
    "get_article",
    "import_articles",
    "link_article",
    "link_line",
    "list_articles",
    "list_categories",
    "publish_article",
    "query_terms",
    "read_article",
    "record_use",
    "record_view",
    "rename_category",
    "search_articles",
    "slugify",
    "suggest_for_text",
    "suggest_for_ticket",
    "telling_terms",
    "unlink_article",
    "unpublish_article",
    "update_article",
    "vote_helpful",
]
