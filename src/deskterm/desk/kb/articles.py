"""Articles: checks, reading, writing (with versions), publishing, counts and links to tickets."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from deskterm.db.models import (
    ARTICLE_STATUSES,
    ARTICLE_VISIBILITIES,
    Agent,
    Article,
    ArticleTicket,
    key,
)
from deskterm.db.types import utcnow
from deskterm.desk.errors import DeskError, InvalidInput, NotFound, PermissionDenied
from deskterm.desk.kb.categories import (
    categories_by_id,
    category_id,
    category_paths,
    check_category_path,
)
from deskterm.desk.kb.rows import find_article_row, flush_or_conflict, ticket_row
from deskterm.desk.limits import check_int, check_text
from deskterm.desk.reads import AgentRead, ref
from deskterm.desk.safe_text import clean_line
from deskterm.desk.tickets.checks import normalize_tags

MAX_TITLE = 300
MAX_SLUG = 120
MAX_BODY = 1_000_000
USES = ("body", "link")
"""How an article goes into a reply: its whole body, or a link line."""

_SLUG = re.compile(r"^[^\W_][\w.\-]*$")
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")


class StaleArticle(DeskError):
    """An edit made against an older version of the article than the stored one."""

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


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
    """Markdown as stored (untrusted: show it through ``kb.render.safe_markdown``)."""
    created_at: datetime
    published_at: datetime | None
    tickets: tuple[int, ...]
    """The tickets it was used on or linked to, newest link first."""


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


def _usernames(session: Session, ids: Iterable[int | None]) -> dict[int | None, str]:
    """The usernames of the agents ``ids`` names (None, no agent, is left out)."""
    wanted = {agent_id for agent_id in ids if agent_id is not None}
    if not wanted:
        return {}
    found: dict[int | None, str] = {}
    for agent_id, username in session.exec(
            select(Agent.id, Agent.username).where(col(Agent.id).in_(wanted))).all():
        found[agent_id] = username
    return found


def summaries(session: Session, articles: Sequence[Article]) -> list[ArticleSummary]:
    """The read models of ``articles``, with their category paths and authors."""
    paths = (category_paths(categories_by_id(session)) if any(a.category_id for a in articles)
             else {})
    names = _usernames(session, (a.author_id for a in articles))
    return [ArticleSummary(
        id=key(a), slug=a.slug, title=a.title,
        category=paths.get(a.category_id) if a.category_id is not None else None,
        category_id=a.category_id, tags=tuple(a.tags or ()), status=a.status,
        visibility=a.visibility, author=names.get(a.author_id), updated_at=a.updated_at,
        version=a.version, views=a.views, helpful_votes=a.helpful_votes,
        insert_count=a.insert_count, link_count=a.link_count) for a in articles]


def _read(session: Session, article: Article) -> ArticleRead:
    (summary,) = summaries(session, [article])
    tickets = session.exec(select(ArticleTicket.ticket_id).where(
        ArticleTicket.article_id == article.id).order_by(
        col(ArticleTicket.linked_at).desc(), col(ArticleTicket.ticket_id).desc())).all()
    return ArticleRead(**summary.__dict__, body=article.body, created_at=article.created_at,
                       published_at=article.published_at, tickets=tuple(tickets))


def _get(session: Session, article: int | str) -> Article:
    found = find_article_row(session, article)
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
            categories = categories_by_id(session)
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
    return summaries(session, session.exec(query).all())




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
        category_id=category_id(session, category, create=True),
        tags=list(normalize_tags(tags)), status=status,
        visibility=check_visibility(visibility), author_id=actor.id, updated_by_id=actor.id,
        created_at=now,
        updated_at=now, published_at=now if status == "published" else None)
    source = ticket_row(session, from_ticket) if from_ticket is not None else None
    session.add(article)
    flush_or_conflict(session, f"article {slug}")
    if source is not None:
        _link(session, article, key(source), actor, count=False)
    return _read(session, article)


def _check_version(session: Session, article: Article, expected: int | None) -> None:
    if expected is not None:
        check_int(expected, field="version")
    if expected is not None and expected != article.version:
        who = _usernames(session, [article.updated_by_id]).get(article.updated_by_id)
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

    def put(field: str, value: object) -> None:
        nonlocal changed
        if getattr(found, field) != value:
            setattr(found, field, value)
            changed = True

    if title is not None:
        put("title", check_title(title))
    if body is not None:
        put("body", check_body(body))
    if category is not None:
        put("category_id", category_id(session, category, create=True))
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
        flush_or_conflict(session, f"article {found.slug}")
    return _read(session, found)


def publish_article(session: Session, *, actor: AgentRead, article: int | str,
                    expected_version: int | None = None) -> ArticleRead:
    """Publish an article (any agent): it is suggested while answering from now on."""
    found = _get(session, article)
    if not found.body.strip():
        raise InvalidInput(f"article '{found.slug}' has no text yet: write it before publishing")
    return update_article(session, actor=actor, article=key(found), status="published",
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
        (summary,) = summaries(session, [found])
        raise PermissionDenied(f"article '{found.slug}' was written by "
                               f"{summary.author or 'someone else'}: only they or an admin can "
                               "delete it")
    (removed,) = summaries(session, [found])
    session.delete(found)
    session.flush()
    return removed




def _bump(session: Session, article_id: int, **columns: int) -> None:
    values = {name: getattr(Article, name) + by for name, by in columns.items()}
    session.execute(update(Article).where(col(Article.id) == article_id).values(**values))


def record_view(session: Session, *, article: int | str) -> None:
    """Count one reading of an article (write it with ``quiet=True``)."""
    _bump(session, key(_get(session, article)), views=1)


def read_article(session: Session, *, article: int | str) -> ArticleRead:
    """An agent opens an article to read it: one view counted, and the article as it is with
    that view (write it with ``quiet=True``), so the count shown is the one stored."""
    found = _get(session, article)
    _bump(session, key(found), views=1)
    session.refresh(found)
    return _read(session, found)


def vote_helpful(session: Session, *, article: int | str) -> ArticleSummary:
    """Count one "this helped" vote."""
    found = _get(session, article)
    _bump(session, key(found), helpful_votes=1)
    session.refresh(found)
    (summary,) = summaries(session, [found])
    return summary


def _link(session: Session, article: Article, number: int, actor: AgentRead | None, *,
          count: bool) -> bool:
    if session.get(ArticleTicket, (article.id, number)) is not None:
        return False
    session.add(ArticleTicket(article_id=key(article), ticket_id=number,
                              linked_by_id=actor.id if actor else None, linked_at=utcnow()))
    flush_or_conflict(session, f"link of {article.slug} to {ref(number)}")
    if count:
        _bump(session, key(article), link_count=1)
    return True


def link_article(session: Session, *, actor: AgentRead, article: int | str,
                 number: int) -> bool:
    """Link an article to ticket ``number``; True if it was not linked yet (then its
    ``link_count`` goes up)."""
    found = _get(session, article)
    ticket_row(session, number)
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
    ticket_row(session, number)
    _link(session, found, number, actor, count=False)
    _bump(session, key(found), **{"insert_count" if how == "body" else "link_count": 1})
    session.refresh(found)
    (summary,) = summaries(session, [found])
    return summary


def articles_for_ticket(session: Session, *, number: int) -> list[ArticleSummary]:
    """The articles used on or linked to a ticket, the latest first."""
    rows = session.exec(select(Article).join(ArticleTicket, col(ArticleTicket.article_id) ==
                                             col(Article.id))
                        .where(ArticleTicket.ticket_id == number)
                        .order_by(col(ArticleTicket.linked_at).desc(), col(Article.id))).all()
    return summaries(session, rows)


def link_line(article: ArticleSummary) -> str:
    """The line put into a reply for a link to an article: ``KB: Title (kb:slug)``."""
    return f"KB: {clean_line(article.title)} (kb:{article.slug})"
