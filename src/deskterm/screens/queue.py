"""The queue: the agent's home. Views, a filter line, a virtual ticket table, live updates."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Static
from textual.worker import get_current_worker

from deskterm.desk import queue
from deskterm.desk.query import QueryError, parse_query, to_filter
from deskterm.desk.reads import TicketSummary
from deskterm.desk.service import Desk
from deskterm.messages import (
    DeskChanged,
    QueryRefused,
    QueueLoaded,
    RowsFetched,
    SelectionFetched,
    ViewCounts,
)
from deskterm.screens.pickers import ViewPicker
from deskterm.widgets.ticket_table import TicketTable

CHANGE_WAIT_SECONDS = 1.0


class QueueScreen(Screen):
    """Tickets of the current view or filter, newest activity first."""

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="queue.filter"),
        Binding("v", "pick_view", "Views", id="queue.views"),
        Binding("escape", "cancel", "Back", show=False, id="queue.cancel"),
        Binding("asterisk", "select_all", "Select all", id="queue.select-all"),
    ]

    def __init__(self, desk: Desk, *, clock=None, watch: bool = True) -> None:
        super().__init__()
        self.desk = desk
        self.clock = clock or (lambda: datetime.now(UTC))
        self.view: queue.View | None = queue.BUILTIN_VIEWS[0]
        self.query_text = self.view.query
        self.counts: dict[str, int] = {}
        self._watch = watch

    def compose(self) -> ComposeResult:
        yield Static(id="views")
        with Horizontal(id="filter-bar"):
            yield Static("/ ", id="filter-prompt")
            yield Input(self.query_text, id="filter", select_on_focus=False,
                        placeholder='status:open tag:vpn "printer jam"')
        yield Static(id="filter-error")
        yield TicketTable(id="tickets", clock=self.clock)
        yield Static(id="queue-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter-error").display = False
        self.table.focus()
        self.reload()
        self.refresh_counts()
        if self._watch:
            self.watch_changes()

    @property
    def table(self) -> TicketTable:
        return self.query_one("#tickets", TicketTable)

    # --- loading -----------------------------------------------------------------------------

    def _resolve(self, text: str) -> queue.QueueQuery:
        where, sort = to_filter(parse_query(text), now=self.clock())
        return queue.QueueQuery(where=where, sort=sort)

    def reload(self, text: str | None = None, *, keep: bool = False) -> None:
        """Run ``text`` (default: the current query); ``keep`` holds the cursor where it is."""
        table = self.table
        start = round(table.scroll_offset.y) if keep else 0
        keep_number = table.cursor_row.number if keep and table.cursor_row else None
        self._load(text if text is not None else self.query_text, start,
                   max(table.page_size + 10, 60), keep_number)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self, text: str, start: int, count: int, keep_number: int | None) -> None:
        me = self.desk.actor.username
        try:
            resolved = self._resolve(text)

            def window(session):
                total = queue.count_matching(session, resolved, me=me)
                first = min(start, max(total - 1, 0))
                return total, first, queue.fetch_window(session, resolved, me=me, start=first,
                                                        count=count, total=total)

            total, first, rows = self.desk.read(window)
        except QueryError as error:
            self.post_message(QueryRefused(text, str(error), error.pointer(text)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(QueueLoaded(text, total, first, rows, keep_number))

    def on_queue_loaded(self, message: QueueLoaded) -> None:
        table = self.table
        if message.keep_number is None:
            table.reset(message.total)
        else:
            # A refresh: the same rows stay on screen and the cursor stays on its ticket.
            cursor = table.cursor
            for offset, row in enumerate(message.rows):
                if row.number == message.keep_number:
                    cursor = message.start + offset
                    break
            table.reset(message.total, keep=cursor)
        table.put_rows(message.start, message.rows, table.generation)
        self.query_text = message.query_text
        self.query_one("#filter-error").display = False
        self._show_status()

    def on_query_refused(self, message: QueryRefused) -> None:
        error = self.query_one("#filter-error", Static)
        error.update(f"{message.pointer}\n{message.message}")
        error.display = True

    @on(TicketTable.NeedRows)
    def _need_rows(self, event: TicketTable.NeedRows) -> None:
        self._fetch_rows(self.query_text, event.start, event.count, event.generation,
                         self.table.total, event.anchor)

    @work(thread=True, group="rows", exit_on_error=False)
    def _fetch_rows(self, text: str, start: int, count: int, generation: int, total: int,
                    anchor: TicketSummary | None) -> None:
        resolved = self._resolve(text)
        me = self.desk.actor.username
        rows = self.desk.read(lambda s: queue.fetch_window(
            s, resolved, me=me, start=start, count=count, total=total, anchor=anchor))
        self.post_message(RowsFetched(generation, start, rows))

    def on_rows_fetched(self, message: RowsFetched) -> None:
        self.table.put_rows(message.start, message.rows, message.generation)

    @work(thread=True, exclusive=True, group="counts", exit_on_error=False)
    def refresh_counts(self) -> None:
        me = self.desk.actor.username
        views = [(v.key, self._resolve(v.query)) for v in queue.BUILTIN_VIEWS]
        counts = self.desk.read(lambda s: {key: queue.count_matching(s, q, me=me)
                                           for key, q in views})
        self.post_message(ViewCounts(counts))

    def on_view_counts(self, message: ViewCounts) -> None:
        self.counts = message.counts
        self._show_views()

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def watch_changes(self) -> None:
        """Wait for other processes' commits; each one re-queries what is shown."""
        watcher = self.desk.watch()
        worker = get_current_worker()
        try:
            while not worker.is_cancelled:
                if watcher.wait(CHANGE_WAIT_SECONDS) and not worker.is_cancelled:
                    self.post_message(DeskChanged())
        finally:
            watcher.close()

    def on_desk_changed(self, _message: DeskChanged) -> None:
        self.reload(keep=True)
        self.refresh_counts()

    # --- showing -----------------------------------------------------------------------------

    def _show_views(self) -> None:
        line = []
        for view in queue.BUILTIN_VIEWS:
            count = self.counts.get(view.key)
            label = f" {view.name} {count:,} " if count is not None else f" {view.name} "
            current = self.view is not None and view.key == self.view.key
            line.append((label, "reverse" if current else ""))
        text = Text()
        for index, (label, style) in enumerate(line):
            if index:
                text.append("│", style="dim")
            text.append(label, style=style)
        self.query_one("#views", Static).update(text)

    def _show_status(self) -> None:
        table = self.table
        selected = f" · {len(table.selected):,} selected" if table.selected else ""
        view = self.view.name if self.view else "Filter"
        self.query_one("#queue-status", Static).update(
            f" {view}: {table.total:,} tickets{selected} · {self.desk.actor.username} "
            f"on {self.desk.where}"
        )
        self._show_views()

    @on(TicketTable.SelectionChanged)
    def _selection_changed(self) -> None:
        self._show_status()

    # --- actions -----------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    @on(Input.Submitted, "#filter")
    def _apply_filter(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.view = next((v for v in queue.BUILTIN_VIEWS if v.query == text), None)
        self.reload(text)
        self.table.focus()

    def action_cancel(self) -> None:
        field = self.query_one("#filter", Input)
        if field.has_focus:
            field.value = self.query_text
            self.query_one("#filter-error").display = False
            self.table.focus()
        elif self.table.selected:
            self.table.clear_selection()

    def action_pick_view(self) -> None:
        def chosen(key: str | None) -> None:
            if key is None:
                return
            self.view = next(v for v in queue.BUILTIN_VIEWS if v.key == key)
            self.query_one("#filter", Input).value = self.view.query
            self.reload(self.view.query)

        self.app.push_screen(ViewPicker(queue.BUILTIN_VIEWS, self.counts), chosen)

    @work(thread=True, exclusive=True, group="select", exit_on_error=False)
    def action_select_all(self) -> None:
        """``*``: select every ticket matching the filter (not only the loaded rows)."""
        resolved = self._resolve(self.query_text)
        me = self.desk.actor.username
        numbers, capped = self.desk.read(lambda s: queue.matching_numbers(s, resolved, me=me))
        self.post_message(SelectionFetched(set(numbers), capped))

    def on_selection_fetched(self, message: SelectionFetched) -> None:
        self.table.select(message.numbers)
        if message.capped:
            self.notify(f"Selected the first {len(message.numbers):,} matching tickets",
                        severity="warning")
