"""The view the console opens on, read without loading the store (see ``deskterm.launch``).

The first built-in view (:data:`~deskterm.desk.queue.builtin.BUILTIN_VIEWS`, "My open") is read
by the plain statements of :mod:`deskterm.db.opening` into the very :class:`QueueStart` that
``queue.opening_window`` makes through the store (a test compares the two on both stores, ties
in the order included). When the plain path cannot answer (:class:`NotCovered`: another opening
view, a URL or a schema it does not read, a refusal to word) the caller takes the store's path.

Nothing here imports SQLAlchemy, SQLModel or the models.
"""

from __future__ import annotations

from deskterm.db.choices import PRIORITIES
from deskterm.db.opening import NotCovered, TicketRow, display_url, read_first_window, reading
from deskterm.desk.queue.builtin import BUILTIN_VIEWS, UNSOLVED, QueueStart
from deskterm.desk.tickets.summary import SlaTimes, TicketSummary

__all__ = ["COVERED_QUERY", "WINDOW", "NotCovered", "plain_first_view", "ticket_summary"]

COVERED_QUERY = f"assignee:me {UNSOLVED}"
"""The one view the plain statements read: the acting agent's unsolved tickets."""
COVERED_SORT = "-updated"
"""Its order (the filter language's default), the ticket number breaking ties."""
STATUSES = tuple(UNSOLVED.removeprefix("status:").split(","))
WINDOW = 60
"""Rows read for the first screen (as ``queue.opening_window``)."""


def ticket_summary(row: TicketRow, tags: tuple[str, ...]) -> TicketSummary:
    try:
        priority = PRIORITIES[row.priority]
    except (IndexError, TypeError):
        raise NotCovered(f"priority {row.priority!r}") from None
    return TicketSummary(
        number=row.number, subject=row.subject, status=row.status, priority=priority,
        type=row.type, channel=row.channel, tier=row.tier, requester_name=row.requester_name,
        requester_email=row.requester_email, organization=row.organization,
        assignee=row.assignee, group=row.group, tags=tags, created_at=row.created_at,
        updated_at=row.updated_at, first_response_at=row.first_response_at,
        solved_at=row.solved_at, reopens=row.reopens, version=row.version,
        customer_replied_at=row.customer_replied_at, unseen_reply=row.unseen_reply,
        sla=None if row.sla_policy_id is None else SlaTimes(
            policy_id=row.sla_policy_id, due_at=row.sla_due_at,
            first_response_due_at=row.first_response_due_at,
            next_response_due_at=row.next_response_due_at,
            resolution_due_at=row.resolution_due_at, paused_at=row.sla_paused_at),
    )


def plain_first_view(url: str, *, username: str, act_as: str | None) -> QueueStart:
    """The console's first view at ``url`` as ``username`` (``--as act_as``), read in plain
    SQL; :class:`NotCovered` when only the store's path can tell."""
    view = BUILTIN_VIEWS[0]
    if view.query != COVERED_QUERY:
        raise NotCovered(f"the opening view is {view.query!r}")
    with reading(url) as reader:
        window = read_first_window(reader, username=username, act_as=act_as,
                                   statuses=STATUSES, count=WINDOW)
    rows = tuple(ticket_summary(row, window.tags.get(row.number, ())) for row in window.rows)
    return QueueStart(view.query, window.total, rows, COVERED_SORT, window.me,
                      display_url(url))
