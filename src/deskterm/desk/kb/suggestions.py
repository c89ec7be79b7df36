"""Articles suggested while answering: the telling words of a ticket, and a draft article made
from a solved ticket."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from deskterm.db import kb_search
from deskterm.db.kb_search import Term
from deskterm.db.models import (
    Agent,
    Customer,
    Message,
    Ticket,
)
from deskterm.db.search import has_cjk
from deskterm.desk.errors import InvalidInput
from deskterm.desk.kb.articles import check_body
from deskterm.desk.kb.render import fold
from deskterm.desk.kb.rows import ticket_row
from deskterm.desk.kb.search import SearchHit, search_filters, search_hits
from deskterm.desk.reads import ref
from deskterm.desk.tickets.change import ticket_tags
from deskterm.desk.tickets.reply_trim import without_greeting_and_sign_off

SUGGESTIONS = 5
_STOPWORDS = frozenset(re.findall(r"\w+", """
a about after again all also am an and any are as at be been before but by can cannot could
dear did do does doing for from get got had has have hello hi how i if in into is it its just
me my no not now of on or our please regards so some still than thank thanks that the their
them then there these they this to too up us was we were what when where which who why will
with would you your
"""))


@dataclass(frozen=True)
class ArticleDraft:
    """A new article's text, prefilled (not saved)."""

    title: str
    body: str
    tags: tuple[str, ...]
    ticket: int | None = None
    """The ticket it was made from; pass it to :func:`create_article` as ``from_ticket``."""


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
    ticket = ticket_row(session, number)
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
    where, params = search_filters("published", None, None)
    matches = kb_search.match_articles(session, terms, any_term=True, where=where,
                                       where_params=params, limit=limit)
    return search_hits(session, matches, terms)


def suggest_for_ticket(session: Session, *, number: int,
                       limit: int = SUGGESTIONS) -> list[SearchHit]:
    """The ``limit`` (5) published articles best matching the ticket's subject and first
    message, best first."""
    subject, message = _ticket_text(session, number)
    return suggest_for_text(session, subject=subject, message=message, limit=limit)



_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|odp|回复|答复)\s*[:：]\s*)+", re.IGNORECASE)


def draft_from_ticket(session: Session, *, number: int) -> ArticleDraft:
    """A new article's text from a solved (or closed) ticket: its subject as the title and the
    reply that solved it, without its greeting and sign-off, as the body (nothing is saved)."""
    ticket = ticket_row(session, number)
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
                        tags=ticket_tags(session, number), ticket=number)


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
