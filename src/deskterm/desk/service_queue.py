"""The desk's use cases on the queue: windows of a filter, counts, selection, bulk actions,
saved views and the choices its pickers offer (:class:`QueueCases`, part of
:class:`deskterm.desk.service.Desk`)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from deskterm import lazy
from deskterm.db.errors import QueryStopped
from deskterm.desk.people import access
from deskterm.desk.people import directory as people
from deskterm.desk.reads import GroupRead, TicketSummary
from deskterm.desk.service_core import DeskCore

if TYPE_CHECKING:
    from deskterm.desk.audit import snapshots
    from deskterm.desk.filter import language as filter_language
    from deskterm.desk.filter.resolved import ResolvedQuery
    from deskterm.desk.queue import builtin as queue_views
    from deskterm.desk.queue import views
    from deskterm.desk.queue import windows as queue
    from deskterm.desk.tickets import bulk as bulk_actions
    from deskterm.desk.tickets import macros
else:
    # Loaded on a use case's first call (deskterm.lazy): a CLI command pays only for its own.
    bulk_actions = lazy.module("deskterm.desk.tickets.bulk")
    macros = lazy.module("deskterm.desk.tickets.macros")
    filter_language = lazy.module("deskterm.desk.filter.language")
    queue = lazy.module("deskterm.desk.queue.windows")
    queue_views = lazy.module("deskterm.desk.queue.builtin")
    views = lazy.module("deskterm.desk.queue.views")
    snapshots = lazy.module("deskterm.desk.audit.snapshots")


@functools.cache
def _counter() -> ThreadPoolExecutor:
    """The threads that count a new filter's tickets beside its first rows (made on first
    use: the CLI never needs them)."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="deskterm-count")


@dataclass(frozen=True)
class QueueWindow:
    """Rows ``first`` on of a filter's ``total`` tickets, in its ``sort`` order."""

    sort: str
    total: int
    first: int
    rows: list[TicketSummary]
    resolved: ResolvedQuery
    """The filter resolved (names as ids, words estimated) with its total: pass it back to
    :meth:`QueueCases.queue_rows` and :meth:`QueueCases.matching_numbers` for its pages."""


class QueueCases(DeskCore):
    """The queue: what a filter holds, and acting on many tickets."""

    def _resolved(self, session: Session, query: str | ResolvedQuery,
                  now: datetime | None) -> ResolvedQuery:
        """``query`` resolved once: the text now, or as a window of it resolved it before."""
        if not isinstance(query, str):
            return query
        return queue.resolve(session, query, me=self._acting(session).username,
                             now=now or datetime.now(UTC))

    def opening_window(self, *, now: datetime | None = None,
                       count: int = 60) -> queue_views.QueueStart:
        """The first built-in view's count and top rows: what the console opens on."""
        with self._reading() as session:
            return queue.opening_window(session, me=self._acting(session).username,
                                        where=self.where, now=now or datetime.now(UTC),
                                        count=count)

    def queue_window(self, query: str | ResolvedQuery, *, start: int, count: int,
                     now: datetime | None = None) -> QueueWindow:
        """The filter ``query``'s count and ``count`` rows from ``start`` (moved back to the
        last row when fewer match). A bad term: ``QueryError``; too slow: ``QueryStopped``."""
        with self._reading() as session:
            resolved = self._resolved(session, query, now)
            me = self._acting(session).username
            if start == 0:  # a new filter: its count and its first rows at once
                total, rows = self._count_beside(session, resolved, me, count)
                return QueueWindow(resolved.sort, total, 0, rows, resolved.with_total(total))
            total = queue.count_matching(session, resolved, me=me)
            first = min(start, max(total - 1, 0))
            rows = queue.fetch_window(session, resolved, me=me, start=first, count=count,
                                      total=total)
            return QueueWindow(resolved.sort, total, first, rows, resolved.with_total(total))

    def record_queue_miss(self, resolved: ResolvedQuery) -> None:
        """A filter that found nothing: its words (if it had any) go to the log of searches
        that found nothing. Field terms alone (``status:pending``) are no search."""
        words = " ".join(match.text for match in resolved.where.text if not match.negated)
        if words:
            self.record_search_miss("queue", words)

    def _count_beside(self, session: Session, resolved: ResolvedQuery, me: str,
                      count: int) -> tuple[int, list[TicketSummary]]:
        """The count of ``resolved`` (on a connection of its own, in another thread) while
        this session reads its first ``count`` rows: the slower of the two, not their sum
        (``status:open vpn`` on a million tickets: 15 ms and 12 ms). The first rows need no
        total: a window from row 0 is read from the front of the order."""

        def counted() -> int:
            with self.store.read() as counting:
                return queue.count_matching(counting, resolved, me=me)

        counting = _counter().submit(counted)
        try:
            rows = queue.fetch_window(session, resolved, me=me, start=0, count=count,
                                      total=count)
        except BaseException:
            counting.cancel()
            with contextlib.suppress(Exception):
                counting.result()  # never leave a read running behind a refused one
            raise
        return counting.result(), rows

    def queue_rows(self, query: str | ResolvedQuery, *, start: int, count: int, total: int,
                   anchor: TicketSummary | None = None,
                   now: datetime | None = None) -> list[TicketSummary]:
        """Rows ``start`` to ``start + count`` of the filter ``query`` (``anchor``: the row
        before ``start``, which makes a deep page as quick as the first)."""
        with self._reading() as session:
            resolved = self._resolved(session, query, now)
            return queue.fetch_window(session, resolved, me=self._acting(session).username,
                                      start=start, count=count, total=total, anchor=anchor)

    def count_views(self, queries: Mapping[str, str], *,
                    now: datetime | None = None) -> dict[str, int]:
        """How many tickets each filter (by key) holds, in one read; a filter that no longer
        resolves (a group since deleted) or takes too long has no count."""
        counts: dict[str, int] = {}
        with self._reading() as session:
            me = self._acting(session).username
            for key, text in queries.items():
                try:
                    counts[key] = queue.count_matching(
                        session, self._resolved(session, text, now), me=me)
                except (filter_language.QueryError, QueryStopped):
                    continue
        return counts

    def matching_numbers(self, query: str | ResolvedQuery, *,
                         now: datetime | None = None) -> tuple[list[int], bool]:
        """The numbers of the tickets the filter holds, in its order, and whether the list was
        cut at the selection's cap."""
        with self._reading() as session:
            return queue.matching_numbers(session, self._resolved(session, query, now),
                                          me=self._acting(session).username)

    def bulk(self, numbers: Sequence[int],
             change: bulk_actions.BulkChange) -> bulk_actions.BulkResult:
        """Make ``change`` on every ticket of ``numbers`` in one transaction (those it cannot
        apply to are skipped, with the reason)."""
        return self._writing(lambda session, actor: bulk_actions.apply_bulk(
            session, actor=actor, numbers=numbers, change=change))

    def bulk_macro(self, numbers: Sequence[int], macro: str, *,
                   public: bool = True) -> bulk_actions.BulkResult:
        """Send the macro on every ticket of ``numbers`` (its text rendered for each)."""
        return self._writing(lambda session, actor: macros.apply_macro_bulk(
            session, actor=actor, numbers=numbers, macro_name=macro, public=public))

    # --- choices -------------------------------------------------------------------------------

    def agent_choices(self) -> list[queue.AgentChoice]:
        """The agents one can assign a ticket to."""
        with self._reading() as session:
            return queue.agent_choices(session)

    def group_choices(self) -> list[GroupRead]:
        """The groups this agent may put a ticket in: every group for an admin; for an agent,
        those open to them (a restricted group's members only)."""
        with self._reading() as session:
            hidden = access.hidden_groups(session, self._acting(session))
            return [group for group in people.list_groups(session) if group.id not in hidden]

    def tag_names(self) -> list[str]:
        """The tags in use, most used first."""
        with self._reading() as session:
            return queue.tag_names(session)

    # --- saved views ---------------------------------------------------------------------------

    def list_views(self) -> list[views.SavedViewRead]:
        """This agent's views and those the team shares."""
        with self._reading() as session:
            return views.list_views(session, me=self._acting(session).username)

    def save_view(self, name: str, *, query: str, shared: bool = False) -> views.SavedViewRead:
        """Save the filter ``query`` (its sort with it) as view ``name``; ``shared``: for the
        whole team (replacing a teammate's shared view is an admin's)."""
        sort = filter_language.parse_query(query).sort
        return self._audited(snapshots.views, lambda session, actor: views.save_view(
            session, actor=actor, name=name, query=query, sort=sort, shared=shared))

    def delete_view(self, name: str) -> None:
        """Delete this agent's view ``name``, or the shared one (its owner or an admin)."""
        self._audited(snapshots.views,
                      lambda session, actor: views.delete_view(session, actor=actor, name=name))


__all__ = ["QueueCases", "QueueWindow"]
