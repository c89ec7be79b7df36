"""Messages posted by workers to their screens (plain values, never ORM objects)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual.message import Message

if TYPE_CHECKING:  # only named in annotations: importing this module loads no store code
    from textual.notifications import SeverityLevel
    from textual.screen import Screen

    from deskterm.desk.filter.resolved import ResolvedQuery
    from deskterm.desk.kb.articles import ArticleRead, ArticleSummary
    from deskterm.desk.kb.categories import CategoryRead
    from deskterm.desk.kb.search import SearchHit
    from deskterm.desk.kb.suggestions import ArticleDraft
    from deskterm.desk.queue.views import SavedViewRead
    from deskterm.desk.reads import CustomerRead, MessageRead, TicketDetail, TicketSummary
    from deskterm.desk.reports.model import Headline, Report, ReportRange
    from deskterm.desk.sla.clock import SlaClock
    from deskterm.desk.tickets.drafts import DraftRead
    from deskterm.desk.tickets.presence import Present


@dataclass
class QueueLoaded(Message):
    """A query's result: how many match, and the rows from ``start`` (the top of the view)."""

    query_text: str
    total: int
    start: int
    rows: list[TicketSummary]
    keep_number: int | None = None
    """On a refresh: the ticket the cursor was on, to stay on."""
    sort: str = "-updated"
    resolved: ResolvedQuery | None = None
    """The filter as the load resolved it (with its total): the pages of it reuse it."""


@dataclass
class AwayChanged(Message):
    """The agent marked themselves away (automatic assignment skips them) or back."""

    away: bool


@dataclass
class SelectionFetched(Message):
    """``*``: every ticket number matching the filter."""

    numbers: set[int]
    capped: bool


@dataclass
class RowsFetched(Message):
    generation: int
    start: int
    rows: list[TicketSummary]


@dataclass
class ViewCounts(Message):
    counts: dict[str, int]


@dataclass
class SlaClockLoaded(Message):
    """The SLA policies' calendars and targets: the countdowns count in them."""

    clock: SlaClock


@dataclass
class DeskChanged(Message):
    """Another process changed the desk: re-query what is shown."""


@dataclass
class QueryRefused(Message):
    """The filter line holds a bad term."""

    query_text: str
    message: str
    pointer: str


@dataclass
class SavedViewsLoaded(Message):
    """The agent's own and the team's shared saved views."""

    views: list[SavedViewRead]
    select: str | None = None
    """The key of the view to make current (one just saved)."""


@dataclass
class BulkApplied(Message):
    """A bulk action went through: what changed, and whether some tickets were skipped."""

    summary: str
    partial: bool


@dataclass
class TicketLoaded(Message):
    """A ticket read in full, with the requester's other tickets."""

    detail: TicketDetail
    history: list[TicketSummary]
    draft: DraftRead | None = None


@dataclass
class TicketRefused(Message):
    """The ticket could not be opened (restricted from this agent, or gone): ``text`` is the
    desk's one line, never the ticket's subject; the screen closes."""

    text: str


@dataclass
class MessagesArrived(Message):
    """Before sending: messages someone else added since the agent opened the ticket."""

    messages: list[MessageRead]
    body: str
    kind: str
    status: str | None


@dataclass
class TicketStale(Message):
    """A field change was refused: someone changed the ticket first (who and what)."""

    message: str


@dataclass
class TicketRefreshed(Message):
    """The ticket on screen moved on (a teammate, the CLI, a rule): read again in full, with
    the display names of who changed it."""

    detail: TicketDetail
    history: list[TicketSummary]
    names: dict[str, str]


@dataclass
class PresenceChanged(Message):
    """Who else has this ticket open (a heartbeat's answer)."""

    number: int
    present: list[Present]


# --- The knowledge base -------------------------------------------------------------------------


@dataclass
class KbCategoriesLoaded(Message):
    """The category tree, depth first."""

    categories: list[CategoryRead]


@dataclass
class KbArticlesListed(Message):
    """The articles of the category (or of the whole base) the tree's cursor is on."""

    key: str
    articles: list[ArticleSummary]


@dataclass
class KbSearched(Message):
    """A search's hits, best first, with their highlight spans."""

    query_text: str
    hits: list[SearchHit]


@dataclass
class KbArticleOpened(Message):
    """An article read in full, for the reader."""

    article: ArticleRead


@dataclass
class KbSuggested(Message):
    """The best articles for a ticket (the ticket screen's suggestions)."""

    number: int
    hits: list[SearchHit]


@dataclass
class ArticleSaved(Message):
    """The editor's article was saved."""

    article: ArticleRead


@dataclass
class ArticleStale(Message):
    """The editor's save was refused: someone changed the article first."""

    message: str


# --- what any screen's workers report (handled by screens.reporting.ReportsWorkerErrors) --------


@dataclass
class Notice(Message):
    """A worker's news for the agent, shown as a notification (``text`` is never markup)."""

    text: str
    severity: SeverityLevel = "information"
    timeout: float | None = None


Answer = TypeVar("Answer")
"""What the screen an :class:`OpenScreen` opens is dismissed with."""


@dataclass
class OpenScreen(Message, Generic[Answer]):
    """A worker has read what a screen or dialog needs: the screen shows ``screen`` and gives
    its answer to ``answered``."""

    screen: Screen[Answer]
    answered: Callable[[Answer | None], None] | None = None


# --- the ticket screen's workers ---------------------------------------------------------------


@dataclass
class TicketSent(Message):
    """A reply, note or customer message was added to ticket ``number`` (``done`` says what)."""

    number: int
    done: str


@dataclass
class TicketWritten(Message):
    """A change to the ticket on screen was stored: read it again (``done``: what to say)."""

    done: str | None = None


@dataclass
class TicketMerged(Message):
    """The ticket on screen was merged into ``target``: that one is shown instead."""

    source: int
    target: int


@dataclass
class ArticleOffered(Message):
    """The article the agent chose, read again, to ask how it goes into the reply."""

    article: ArticleRead
    number: int
    public: bool


@dataclass
class ArticleUsed(Message):
    """An article's link line or text, counted and linked, for the composer."""

    article: ArticleRead
    text: str
    how: str
    number: int
    public: bool


@dataclass
class ArticleDrafted(Message):
    """A draft article from the solved ticket, for the editor."""

    draft: ArticleDraft


# --- the queue's, the knowledge base's and the new-ticket form's workers ------------------------


@dataclass
class ChoicesLoaded(Message):
    """A picker's choices were read (``what``: which picker, e.g. ``assign``, ``tags``)."""

    what: str
    choices: list[Any]


@dataclass
class KbSearchRefused(Message):
    """A knowledge-base search was refused (a bad term, or too slow)."""

    text: str
    reason: str


@dataclass
class KbArticleWritten(Message):
    """An article was published or made a draft (``article``), deleted (``deleted``), or a
    change was refused because someone changed it first (``stale``: why)."""

    article: ArticleRead
    deleted: bool = False
    stale: str | None = None


@dataclass
class KbArticleToEdit(Message):
    """An article read again, to open in the editor."""

    article: ArticleRead


@dataclass
class CustomersFound(Message):
    """The customers matching what was typed in the requester picker."""

    typed: str
    found: list[CustomerRead]


@dataclass
class TicketFiled(Message):
    """The new-ticket form's ticket was filed (``ticket``), or refused (``refused``: why; both
    None: the write failed and the app reports it)."""

    ticket: TicketSummary | None = None
    refused: str | None = None


# --- Reports ------------------------------------------------------------------------------------


@dataclass
class ReportHeadlineRead(Message):
    """The headline numbers of a range (read first: the screen shows them at once)."""

    span: ReportRange
    headline: Headline


@dataclass
class ReportRead(Message):
    """The whole report of a range."""

    span: ReportRange
    report: Report


@dataclass
class ReportRefused(Message):
    """The filters do not parse or name nothing the desk has (``message`` says where)."""

    span: ReportRange
    message: str
