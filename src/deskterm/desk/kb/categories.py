"""Categories of articles: a tree of names, shown as paths (``Network/VPN``); renaming and
deleting them is for admins."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from deskterm.db.models import (
    Article,
    KbCategory,
    key,
)
from deskterm.db.types import utcnow
from deskterm.desk.errors import InvalidInput, NotFound
from deskterm.desk.kb.rows import flush_or_conflict
from deskterm.desk.people.permissions import require_admin
from deskterm.desk.reads import AgentRead
from deskterm.desk.safe_text import clean_line

MAX_CATEGORY = 100




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


EMPTY_PATH = "category: must not be empty (a path like Network/VPN)"


def check_category_path(path: str) -> tuple[str, ...]:
    """The names of a category path ``A/B`` (spaces around names and slashes do not count)."""
    names = tuple(" ".join(part.split()) for part in path.split("/"))
    if not any(names):
        raise InvalidInput(EMPTY_PATH)
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




@dataclass(frozen=True)
class _Category:
    id: int
    parent_id: int | None
    name: str


def categories_by_id(session: Session) -> dict[int, _Category]:
    """Every category row by id (one read: the tree is small)."""
    rows = session.exec(select(KbCategory.id, KbCategory.parent_id, KbCategory.name)).all()
    # (a stored row always has its id: the test only tells the type checker so)
    return {found: _Category(found, parent_id, name) for found, parent_id, name in rows
            if found is not None}


def category_paths(categories: dict[int, _Category]) -> dict[int, str]:
    """Every category's path (``Network/VPN``) by id."""
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


def category_id(session: Session, path: str | None, *, create: bool) -> int | None:
    """The id of the category at ``path`` (None for none); with ``create``, made where missing."""
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
            flush_or_conflict(session, f"category {name}")
        parent_id = found.id
    return parent_id


def list_categories(session: Session) -> list[CategoryRead]:
    """Every category, depth first (a parent, then its children by name)."""
    categories = categories_by_id(session)
    paths = category_paths(categories)
    counts = dict(session.exec(select(Article.category_id, func.count()).where(
        col(Article.category_id).is_not(None)).group_by(col(Article.category_id))).all())
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


def _path_id(session: Session, path: str, *, create: bool) -> int:
    """The id of the category ``path`` names; a blank path names none and is refused."""
    found = category_id(session, path, create=create)
    if found is None:
        raise InvalidInput(EMPTY_PATH)
    return found


def _category_read(session: Session, category_id: int) -> CategoryRead:
    return next(c for c in list_categories(session) if c.id == category_id)


def create_category(session: Session, *, actor: AgentRead, path: str) -> CategoryRead:
    """The category at ``path`` (``Network/VPN``), made with any missing parents (any agent)."""
    return _category_read(session, _path_id(session, path, create=True))


def find_category(session: Session, *, path: str) -> CategoryRead:
    """The category at ``path`` (case does not matter)."""
    return _category_read(session, _path_id(session, path, create=False))


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
    flush_or_conflict(session, f"category {new}")
    return _category_read(session, key(category))


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
