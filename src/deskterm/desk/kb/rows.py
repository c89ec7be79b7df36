"""Row helpers the knowledge base's modules share: an article or ticket row, a checked flush."""

from __future__ import annotations

import unicodedata

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from deskterm.db.errors import WriteConflict
from deskterm.db.models import (
    Article,
    Ticket,
)
from deskterm.desk.errors import NotFound
from deskterm.desk.limits import INT_MAX, storable
from deskterm.desk.reads import ref


def flush_or_conflict(session: Session, what: str) -> None:
    """Flush; a unique name taken at the same moment is a WriteConflict (the write runs again)."""
    try:
        session.flush()
    except IntegrityError as exc:
        # A teammate saved the same slug or category at the same moment: the write runs again
        # and the checks then explain the clash.
        raise WriteConflict(f"{what} was saved concurrently") from exc


def find_article_row(session: Session, article: int | str) -> Article | None:
    """The article row named by id or slug, or None."""
    if isinstance(article, int) and not isinstance(article, bool):
        return session.get(Article, article) if 1 <= article <= INT_MAX else None
    slug = unicodedata.normalize("NFC", str(article).strip()).lower()
    if not storable(slug):
        return None
    return session.exec(select(Article).where(Article.slug == slug)).first()


def ticket_row(session: Session, number: int) -> Ticket:
    """The ticket row ``number``; NotFound if there is none."""
    ticket = session.get(Ticket, number) if 1 <= number <= INT_MAX else None
    if ticket is None:
        raise NotFound(f"no ticket {ref(number)}")
    return ticket
