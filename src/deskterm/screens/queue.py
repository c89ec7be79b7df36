"""The queue: the agent's home. Views, a filter line, a virtual ticket table, live updates.

Everything that reads or writes the desk runs in a thread worker and posts a message back;
the screen only arranges what arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Protocol

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from deskterm.desk.filter.language import DEFAULT_SORT, QueryError, with_sort
from deskterm.desk.queue.builtin import BUILTIN_VIEWS, QueueStart, View

if TYPE_CHECKING:  # annotations only: the screen loads no store code
    from deskterm.desk.filter.resolved import ResolvedQuery
from deskterm.desk.reads import TicketSummary
from deskterm.desk.service import Desk, QueryStopped
from deskterm.desk.tickets.bulk import BULK_CONFIRM_OVER, BulkChange
from deskterm.messages import (
    AwayChanged,
    BulkApplied,
    ChoicesLoaded,
    DeskChanged,
    Notice,
    QueryRefused,
    QueueLoaded,
    RowsFetched,
    SavedViewsLoaded,
    SelectionFetched,
    SlaClockLoaded,
    ViewCounts,
)
from deskterm.screens.dialogs import Confirm, EditTags, SaveView, TagEdit, ViewName
from deskterm.screens.new_ticket import NewTicketForm
from deskterm.screens.palette import NamedCommands
from deskterm.screens.pickers import (
    Choice,
    Picker,
    ViewPicker,
    assignee_choices,
    macro_choices,
    priority_choices,
    status_choices,
)
from deskterm.screens.queue_layout import QueueLayout
from deskterm.screens.reporting import ReportsWorkerErrors
from deskterm.screens.ticket import TicketScreen
from deskterm.widgets.editors import SafeInput
from deskterm.widgets.ticket_table import COLUMNS, TicketTable

CHANGE_WAIT_SECONDS = 1.0
DESCENDING_FIRST = frozenset({"updated", "priority"})
"""Columns whose first click sorts newest / most urgent first."""
SORT_NAMES = {"number": "number"}
"""A column's sort name where it differs from its key."""


def sort_for_column(current: str, column: str) -> str:
    """The order a click on ``column`` asks for: that column, or the other direction of it."""
    name = SORT_NAMES.get(column, column)
    if current.lstrip("-") == name:
        return name if current.startswith("-") else f"-{name}"
    return f"-{name}" if name in DESCENDING_FIRST else name


class QueueCommands(NamedCommands):
    """Everything the queue can do, by name; a ticket by its ref (``#1042`` or ``1042``)."""

    def _queue(self) -> QueueScreen | None:
        screen = self.screen
        return screen if isinstance(screen, QueueScreen) else None

    def _go_to(self) -> Callable[[int], object] | None:
        queue = self._queue()
        return queue.go_to_ticket if queue is not None else None

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        queue = self._queue()
        if queue is None:
            return []
        commands: list[tuple[str, Callable[[], object], str]] = [
            (f"View: {view.name}", partial(queue.show_view, view.key), view.query or "every ticket")
            for view in queue.views
        ]
        commands += [
            ("Take the selected tickets", queue.action_take, "assign them to yourself"),
            ("Assign the selected tickets…", queue.action_assign, "pick an agent"),
            ("Set status of the selected tickets…", queue.action_set_status, "pick a status"),
            ("Set priority of the selected tickets…", queue.action_set_priority,
             "pick a priority"),
            ("Tag the selected tickets…", queue.action_edit_tags, "add or remove tags"),
            ("Select all matching tickets", queue.action_select_all, "every ticket of the filter"),
            ("Clear the selection", queue.table.clear_selection, ""),
            ("Save this view…", queue.action_save_view, "personal or shared with the team"),
            ("Sort by…", queue.action_pick_sort, "any column, either direction"),
            ("Filter…", queue.action_filter, "the filter language"),
            ("New ticket…", queue.action_new_ticket, "for a customer: log a call"),
        ]
        return commands


class Stoppable(Protocol):
    """The change watcher (``Desk.watch``) as the screen sees it: stopped when it goes."""

    def stop(self) -> None: ...


class QueueScreen(ReportsWorkerErrors, QueueLayout):
    """Tickets of the current view or filter, newest activity first."""

    COMMANDS = Screen.COMMANDS | {QueueCommands}
    AUTO_FOCUS = "#tickets"

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="queue.filter"),
        Binding("v", "pick_view", "Views", id="queue.views"),
        Binding("ctrl+s", "save_view", "Save view", id="queue.save-view"),
        Binding("o", "pick_sort", "Sort", id="queue.sort"),
        Binding("t", "take", "Take", id="queue.take"),
        Binding("a", "assign", "Assign", id="queue.assign"),
        Binding("s", "set_status", "Status", id="queue.status"),
        Binding("p", "set_priority", "Priority", id="queue.priority"),
        Binding("T", "edit_tags", "Tags", id="queue.tags"),
        Binding("m", "macro", "Macro", id="queue.macro"),
        Binding("asterisk", "select_all", "Select all", id="queue.select-all"),
        # Not in the footer (it is full at 120 columns); `?` and the palette list it.
        Binding("n,N", "new_ticket", "New ticket", show=False, id="queue.new-ticket"),
        Binding("Z", "toggle_away", "Away / back", show=False, id="queue.away"),
        Binding("escape", "cancel", "Clear", show=False, id="queue.cancel"),
    ]

    def __init__(self, desk: Desk, *, clock: Callable[[], datetime] | None = None,
                 watch: bool = True, start: QueueStart | None = None) -> None:
        views: list[View] = list(BUILTIN_VIEWS)
        now = clock or (lambda: datetime.now(UTC))
        super().__init__(views[0].query, clock=now)
        self.clock: Callable[[], datetime] = now
        self.desk = desk
        self.views = views
        self.view: View | None = self.views[0]
        self.counts: dict[str, int] = {}
        self._start = start
        """The first view as the console opened on it (read by another process)."""
        self._watch = watch
        self._watcher: Stoppable | None = None
        self._resolved: ResolvedQuery | None = None
        """The filter shown, resolved once by the load that showed it: its pages reuse it."""
        self._away: bool | None = None
        """Whether this agent is away (None: as the desk opened, ``desk.actor.away``)."""

    def on_mount(self) -> None:
        self.query_one("#filter-error").display = False
        self.table.focus()
        start, self._start = self._start, None
        view = self.view
        if start is not None and view is not None and start.query_text == self.query_text:
            self.counts[view.key] = start.total
            self.on_queue_loaded(QueueLoaded(start.query_text, start.total, 0, list(start.rows),
                                             None, start.sort))
        else:
            self.reload()
        self.load_saved_views()
        self.load_sla_clock()
        if self._watch:
            self.watch_changes()

    @property
    def me(self) -> str:
        return self.desk.actor.username

    def _resolved_for(self, text: str) -> ResolvedQuery | str:
        """``text`` as the last load resolved it (its pages reuse that: no name looked up
        again), else the text itself, resolved by the use case (a page of a filter the queue
        has moved on from). Read on the UI thread, where ``_resolved`` is set."""
        resolved = self._resolved
        if resolved is not None and resolved.matches(text, me=self.me):
            return resolved
        return text

    # --- loading -----------------------------------------------------------------------------

    def reload(self, text: str | None = None, *, keep: bool = False) -> None:
        """Run ``text`` (default: the current query); ``keep`` holds the cursor where it is."""
        table = self.table
        start = round(table.scroll_offset.y) if keep else 0
        keep_number = table.cursor_row.number if keep and table.cursor_row else None
        self._load(text if text is not None else self.query_text, start,
                   max(table.page_size + 10, 60), keep_number, typed=not keep)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self, text: str, start: int, count: int, keep_number: int | None, *,
              typed: bool = False) -> None:
        try:
            window = self.desk.queue_window(text, start=start, count=count, now=self.clock())
        except QueryError as error:
            self.post_message(QueryRefused(text, str(error), error.pointer(text)))
            return
        except QueryStopped as stopped:  # too slow or too large: the table keeps what it shows
            self.post_message(QueryRefused(text, str(stopped), ""))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(QueueLoaded(text, window.total, window.first, window.rows,
                                          keep_number, window.sort, window.resolved))
        if typed and window.total == 0:  # after the rows are on their way: never a wait
            self.desk.record_queue_miss(window.resolved)

    def on_queue_loaded(self, message: QueueLoaded) -> None:
        self._resolved = message.resolved
        table = self.table
        keep = None
        if message.keep_number is not None:
            # A refresh: the same rows stay on screen and the cursor stays on its ticket.
            keep = table.cursor
            for offset, row in enumerate(message.rows):
                if row.number == message.keep_number:
                    keep = message.start + offset
                    break
        self.show_rows(message.total, message.start, message.rows, message.sort, keep=keep)
        if message.query_text != self.query_text:
            self.query_text = message.query_text
            self.query_one("#filter", SafeInput).value = message.query_text
        self._hide_error()
        self._show_status()

    def _hide_error(self) -> None:
        error = self.query_one("#filter-error")
        if error.display:  # showing or hiding it lays the screen out again: only when it must
            error.display = False

    def on_query_refused(self, message: QueryRefused) -> None:
        error = self.query_one("#filter-error", Static)
        error.update(Text("\n".join(line for line in (message.pointer, message.message) if line)))
        error.display = True
        field = self.query_one("#filter", SafeInput)
        field.focus()  # fix the term where it is
        field.value = message.query_text

    @on(TicketTable.NeedRows)
    def _need_rows(self, event: TicketTable.NeedRows) -> None:
        self._fetch_rows(self._resolved_for(self.query_text), event.start, event.count,
                         event.generation, self.table.total, event.anchor)

    @work(thread=True, group="rows", exit_on_error=False)
    def _fetch_rows(self, query: ResolvedQuery | str, start: int, count: int, generation: int,
                    total: int, anchor: TicketSummary | None) -> None:
        try:
            rows = self.desk.queue_rows(query, start=start, count=count, total=total,
                                        anchor=anchor, now=self.clock())
        except QueryStopped as stopped:  # the rows already shown stay
            text = query if isinstance(query, str) else query.query_text or ""
            self.post_message(QueryRefused(text, str(stopped), ""))
            return
        self.post_message(RowsFetched(generation, start, rows))

    def on_rows_fetched(self, message: RowsFetched) -> None:
        self.table.put_rows(message.start, message.rows, message.generation)

    @work(thread=True, exclusive=True, group="sla-clock", exit_on_error=False)
    def load_sla_clock(self) -> None:
        self.post_message(SlaClockLoaded(self.desk.sla_clock()))

    def on_sla_clock_loaded(self, message: SlaClockLoaded) -> None:
        message.stop()
        self.table.set_sla_clock(message.clock)

    @work(thread=True, exclusive=True, group="saved-views", exit_on_error=False)
    def load_saved_views(self) -> None:
        self.post_message(SavedViewsLoaded(self.desk.list_views()))

    def on_saved_views_loaded(self, message: SavedViewsLoaded) -> None:
        current = message.select or (self.view.key if self.view else None)
        self.views = [*BUILTIN_VIEWS, *(View(
            f"saved:{v.id}", v.name, v.query, owner=v.owner, shared=v.shared)
            for v in message.views)]
        self.view = next((v for v in self.views if v.key == current), None)
        self._show_views()
        self.refresh_counts()

    @work(thread=True, exclusive=True, group="counts", exit_on_error=False)
    def refresh_counts(self) -> None:
        # A saved view naming a group since deleted is shown without a count.
        queries = {view.key: view.query for view in self.views}
        self.post_message(ViewCounts(self.desk.count_views(queries, now=self.clock())))

    def on_view_counts(self, message: ViewCounts) -> None:
        self.counts = message.counts
        self._show_views()

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def watch_changes(self) -> None:
        """Wait for other processes' commits; each one re-queries what is shown."""
        watcher = self._watcher = self.desk.watch()
        worker = get_current_worker()
        try:
            while not worker.is_cancelled:
                if watcher.wait(CHANGE_WAIT_SECONDS) and not worker.is_cancelled:
                    self.post_message(DeskChanged())
        finally:
            watcher.close()

    def on_unmount(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()  # the console quits at once, not after the next poll

    def on_desk_changed(self, message: DeskChanged) -> None:
        message.stop()
        wake_outbox = getattr(self.app, "wake_outbox", None)  # a reply may be waiting
        if wake_outbox is not None:
            wake_outbox()
        self.reload(keep=True)
        self.refresh_counts()
        self.load_sla_clock()  # an `sla load` may have changed the policies
        # The console's one watcher: the screens above the queue (a ticket) hear it too.
        for screen in self.app.screen_stack:
            if screen is not self:
                screen.post_message(DeskChanged())

    # --- showing -----------------------------------------------------------------------------

    def _show_views(self) -> None:
        self.draw_views(self.views, self.view.key if self.view else None, self.counts)

    def _show_status(self) -> None:
        table = self.table
        away = self.desk.actor.away if self._away is None else self._away
        self.draw_status(self.view.name if self.view else "Filter", table.total,
                         len(table.selected), self.me, self.desk.where, away=away)
        self._show_views()

    def action_toggle_away(self) -> None:
        """``Z``: mark yourself away (automatic assignment skips you) or back."""
        away = self.desk.actor.away if self._away is None else self._away
        self._set_away(not away)

    @work(thread=True, exclusive=True, group="away", exit_on_error=False)
    def _set_away(self, away: bool) -> None:
        agent = self.desk.set_away(self.me, away)
        self.post_message(AwayChanged(agent.away))

    def on_away_changed(self, message: AwayChanged) -> None:
        self._away = message.away
        self._show_status()
        self.notify("You are away: automatic assignment skips you (Z when back)"
                    if message.away else "You are back: automatic assignment includes you")

    @on(TicketTable.SelectionChanged)
    def _selection_changed(self) -> None:
        self._show_status()

    # --- the filter, views and order ---------------------------------------------------------

    def show_query(self, text: str, view: View | None = None) -> None:
        """Run ``text`` as the queue's filter (``view``: the view it comes from)."""
        self.view = view if view is not None else next(
            (v for v in self.views if v.query == text), None)
        self.query_one("#filter", SafeInput).value = text
        self.reload(text)
        self.table.focus()

    def action_filter(self) -> None:
        """``/``: the filter with its whole text selected, the cursor at its end: typing
        replaces it, an arrow key or ``end`` keeps it to edit, ``ctrl+u`` clears it."""
        field = self.query_one("#filter", SafeInput)
        field.focus()
        field.select_all()

    @on(SafeInput.Submitted, "#filter")
    def _apply_filter(self, event: SafeInput.Submitted) -> None:
        self.show_query(event.value.strip())

    def action_cancel(self) -> None:
        field = self.query_one("#filter", SafeInput)
        if field.has_focus:
            field.value = self.query_text
            self._hide_error()
            self.table.focus()
        elif self.table.selected:
            self.table.clear_selection()

    def action_pick_view(self) -> None:
        def chosen(key: str | None) -> None:
            if key is None:
                return
            if key.startswith(ViewPicker.DELETE):
                self.delete_view(key.removeprefix(ViewPicker.DELETE))
                return
            self.show_view(key)

        self.app.push_screen(ViewPicker(self.views, self.counts, me=self.me), chosen)

    def show_view(self, key: str) -> None:
        view = next((v for v in self.views if v.key == key), None)
        if view is not None:
            self.show_query(view.query, view)

    def action_save_view(self) -> None:
        saved = self.view if self.view and self.view.key.startswith("saved:") else None
        mine = saved if saved is not None and saved.owner == self.me else None

        def named(answer: ViewName | None) -> None:
            if answer is not None:
                self._save_view(answer.name, answer.shared, self.query_text)

        self.app.push_screen(SaveView(self.query_text, name=mine.name if mine else "",
                                      shared=mine.shared if mine else False), named)

    @work(thread=True, group="saved-views", exit_on_error=False)
    def _save_view(self, name: str, shared: bool, text: str) -> None:
        saved = self.desk.save_view(name, query=text, shared=shared)
        self.post_message(Notice(f"Saved view “{saved.name}”"
                                  + (" (shared with the team)" if saved.shared else "")))
        self.post_message(SavedViewsLoaded(self.desk.list_views(), select=f"saved:{saved.id}"))

    @work(thread=True, group="saved-views", exit_on_error=False)
    def delete_view(self, key: str) -> None:
        view = next((v for v in self.views if v.key == key), None)
        if view is None:
            return
        self.desk.delete_view(view.name)
        self.post_message(Notice(f"Deleted view “{view.name}”"))
        self.post_message(SavedViewsLoaded(self.desk.list_views()))

    def action_pick_sort(self) -> None:
        current = self.table.sort
        choices = [Choice("relevance", "Relevance", "the best matches of the words first")]
        for column in COLUMNS:
            sort = sort_for_column(current, column.key)
            label = column.title
            detail = "descending" if sort.startswith("-") else "ascending"
            choices.append(Choice(sort, label, detail))

        def chosen(sort: str | None) -> None:
            if sort is not None:
                self.sort_by(sort)

        self.app.push_screen(Picker("Sort by", choices), chosen)

    @on(TicketTable.HeaderClicked)
    def _header_clicked(self, event: TicketTable.HeaderClicked) -> None:
        self.sort_by(sort_for_column(self.table.sort, event.column))

    def sort_by(self, sort: str) -> None:
        try:
            text = with_sort(self.query_text, sort)
        except QueryError:
            return  # the query on screen always parses; nothing to re-sort otherwise
        view = self.view if self.view and sort == DEFAULT_SORT else None
        self.show_query(text, view)

    # --- opening tickets ---------------------------------------------------------------------

    @on(TicketTable.Open)
    def _open(self, event: TicketTable.Open) -> None:
        self.go_to_ticket(event.number)

    def go_to_ticket(self, number: int) -> None:
        """Open ticket ``number``; back on the queue, the cursor is on the last one seen."""
        def back(last: int | None) -> None:
            index = self.table.index_of(last) if last is not None else None
            if index is not None:
                self.table.cursor = index
            self.reload(keep=True)  # what the agent did there (and the seen marks) shows

        self.app.push_screen(TicketScreen(self.desk, number, step=self.step, clock=self.clock),
                             back)

    def action_new_ticket(self) -> None:
        """A ticket for a customer (a call being logged); the new ticket opens once filed."""
        def filed(number: int | None) -> None:
            if number is not None:
                self.go_to_ticket(number)

        self.app.push_screen(NewTicketForm(self.desk), filed)

    def step(self, number: int, delta: int) -> int | None:
        """The ticket before (-1) or after (+1) ``number`` in this view; the cursor follows."""
        index = self.table.index_of(number)
        if index is None:
            return None
        row = self.table.row_at(index + delta)
        if row is None:
            return None
        self.table.cursor = index + delta
        return row.number

    # --- selection and bulk actions ----------------------------------------------------------

    def _targets(self) -> list[int]:
        """The selected tickets, or else the one under the cursor."""
        if self.table.selected:
            return sorted(self.table.selected)
        row = self.table.cursor_row
        return [row.number] if row else []

    def action_select_all(self) -> None:
        """``*``: select every ticket matching the filter (not only the loaded rows)."""
        self._select_all(self._resolved_for(self.query_text))

    @work(thread=True, exclusive=True, group="select", exit_on_error=False)
    def _select_all(self, query: ResolvedQuery | str) -> None:
        numbers, capped = self.desk.matching_numbers(query, now=self.clock())
        self.post_message(SelectionFetched(set(numbers), capped))

    def on_selection_fetched(self, message: SelectionFetched) -> None:
        self.table.select(message.numbers)
        if message.capped:
            self.notify(f"Selected the first {len(message.numbers):,} matching tickets",
                        severity="warning")

    def bulk(self, change: BulkChange) -> None:
        """Apply ``change`` to the targets, asking first when there are many."""
        numbers = self._targets()
        if not numbers:
            self.notify("No ticket under the cursor", severity="warning")
            return
        if len(numbers) > BULK_CONFIRM_OVER:
            def confirmed(yes: bool | None) -> None:
                if yes:
                    self._apply_bulk(numbers, change)

            self.app.push_screen(Confirm(
                f"{change.describe().capitalize()} on {len(numbers):,} tickets?",
                yes="Apply"), confirmed)
        else:
            self._apply_bulk(numbers, change)

    @work(thread=True, exclusive=True, group="bulk", exit_on_error=False)
    def _apply_bulk(self, numbers: list[int], change: BulkChange) -> None:
        result = self.desk.bulk(numbers, change)
        self.post_message(BulkApplied(result.summary(), bool(result.skipped)))

    def on_bulk_applied(self, message: BulkApplied) -> None:
        self.notify(message.summary, severity="warning" if message.partial else "information")
        if self.table.selected:
            self.table.clear_selection()
        self.reload(keep=True)
        self.refresh_counts()

    def action_take(self) -> None:
        self.bulk(BulkChange(take=True))

    def action_set_status(self) -> None:
        self._pick("Status", status_choices(),
                   lambda status: BulkChange(status=status))

    def action_set_priority(self) -> None:
        self._pick("Priority", priority_choices(),
                   lambda priority: BulkChange(priority=priority))

    def _pick(self, title: str, choices: list[Choice],
              change: Callable[[str], BulkChange]) -> None:
        count = len(self._targets())
        if not count:
            self.notify("No ticket under the cursor", severity="warning")
            return

        def chosen(key: str | None) -> None:
            if key is not None:
                self.bulk(change(key))

        self.app.push_screen(Picker(f"{title} of {count:,} ticket{'s' if count > 1 else ''}",
                                    choices), chosen)

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_assign(self) -> None:
        agents = self.desk.agent_choices()
        choices = assignee_choices(agents)
        self.post_message(ChoicesLoaded("assign", choices))

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_edit_tags(self) -> None:
        known = self.desk.tag_names()
        self.post_message(ChoicesLoaded("tags", known))

    def _edit_tags(self, known: list[str]) -> None:
        count = len(self._targets())
        if not count:
            self.notify("No ticket under the cursor", severity="warning")
            return

        def edited(edit: TagEdit | None) -> None:
            if edit is not None:
                self.bulk(BulkChange(add_tags=edit.add, remove_tags=edit.remove))

        self.app.push_screen(EditTags(count, known), edited)

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_macro(self) -> None:
        """``m``: send a macro to each selected ticket (its own rendered text) and make its
        actions."""
        macros = self.desk.list_macros()
        if not macros:
            self.post_message(Notice("No macros yet: `deskterm macro add FILE`",
                                     severity="warning"))
            return
        self.post_message(ChoicesLoaded("macro", macro_choices(macros)))

    def on_choices_loaded(self, message: ChoicesLoaded) -> None:
        """A bulk action's choices are read: the picker opens (if any ticket is targeted)."""
        if message.what == "assign":
            self._pick("Assign", message.choices, lambda username: BulkChange(assignee=username))
        elif message.what == "tags":
            self._edit_tags(message.choices)
        elif message.what == "macro":
            self._pick_macro(message.choices)

    def _pick_macro(self, choices: list[Choice]) -> None:
        numbers = self._targets()
        if not numbers:
            self.notify("No ticket under the cursor", severity="warning")
            return

        def chosen(name: str | None) -> None:
            if name is None:
                return
            if len(numbers) > BULK_CONFIRM_OVER:
                def confirmed(yes: bool | None) -> None:
                    if yes:
                        self._apply_macro(numbers, name)

                self.app.push_screen(Confirm(
                    f"Send macro “{name}” to {len(numbers):,} tickets?", yes="Send"), confirmed)
            else:
                self._apply_macro(numbers, name)

        self.app.push_screen(Picker(f"Macro for {len(numbers):,} ticket"
                                    f"{'s' if len(numbers) > 1 else ''}", choices), chosen)

    @work(thread=True, exclusive=True, group="bulk", exit_on_error=False)
    def _apply_macro(self, numbers: list[int], name: str) -> None:
        result = self.desk.bulk_macro(numbers, name)
        self.post_message(BulkApplied(result.summary(), bool(result.skipped)))
