"""The queue's layout, and the queue as the console opens, before the rest of deskterm is loaded.

:class:`QueueLayout` composes the queue (views bar, filter line, ticket table, status line, keys)
and draws its bars; :class:`~deskterm.screens.queue.QueueScreen` adds everything it does. The
console opens on :class:`OpeningScreen`, the same layout showing the first view's rows that a
separate process read (``deskterm.launch``), while this process loads the store; then the queue
takes its place with the same rows, and the keys typed meanwhile are replayed on it.

Nothing here imports the store or the domain's SQL: it is what the console can show first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Static

from deskterm.desk.queue.builtin import BUILTIN_VIEWS, QueueStart, View
from deskterm.widgets.editors import SafeInput
from deskterm.widgets.footer import KeysFooter
from deskterm.widgets.ticket_table import TicketTable


class QueueLayout(Screen):
    """The queue's widgets and how its bars read."""

    def __init__(self, query_text: str = "", *,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.query_text = query_text
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield Static(id="views")
        with Horizontal(id="filter-bar"):
            yield Static("/ ", id="filter-prompt")
            yield SafeInput(self.query_text, id="filter", select_on_focus=False,
                            placeholder='status:open tag:vpn "printer jam"')
        yield Static(id="filter-error")
        yield TicketTable(id="tickets", clock=self.clock)
        yield Static(id="ticket-detail")
        yield Static(id="queue-status")
        yield KeysFooter()

    @property
    def table(self) -> TicketTable:
        return self.query_one("#tickets", TicketTable)

    @on(TicketTable.ColumnsChanged, "#tickets")
    def _columns_changed(self, event: TicketTable.ColumnsChanged) -> None:
        """A narrow table: the line under it shows what its columns leave out."""
        self.query_one("#ticket-detail").display = bool(event.hidden)
        self.draw_detail()

    @on(TicketTable.Highlighted, "#tickets")
    def draw_detail(self) -> None:
        """The detail line: the highlighted ticket's requester, organization, assignee and
        group, those the table is too narrow to show."""
        detail = self.query_one("#ticket-detail", Static)
        if detail.display:
            fields = self.table.hidden_fields()
            line = Text(" ", no_wrap=True, overflow="ellipsis", end="")
            if fields is not None:
                line.append_text(fields)
            detail.update(line, layout=False)

    def draw_views(self, views: Sequence[View], current: str | None,
                   counts: dict[str, int]) -> None:
        """The views bar: each view with its count, the current one highlighted."""
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, view in enumerate(views):
            if index:
                text.append("│", style="dim")
            count = counts.get(view.key)
            label = f" {view.name} {count:,} " if count is not None else f" {view.name} "
            text.append(label, style="reverse" if view.key == current else "")
        self.query_one("#views", Static).update(text, layout=False)  # one line, always

    def draw_status(self, view: str, total: int, selected: int, me: str, where: str,
                    *, away: bool = False) -> None:
        """The status line: the view, how many tickets, the selection, who (away, when they
        are: automatic assignment skips them) and where."""
        chosen = f" · {selected:,} selected" if selected else ""
        line = Text(f" {view}: {total:,} tickets{chosen} · {me}", no_wrap=True,
                    overflow="ellipsis")
        if away:
            line.append(" (away)", style="bold yellow")
        line.append(f" on {where}")
        # one line: no need to lay the screen out again
        self.query_one("#queue-status", Static).update(line, layout=False)

    def show_rows(self, total: int, start: int, rows: Sequence, sort: str, *,
                  keep: int | None = None) -> None:
        """A result in the table: ``total`` tickets, ``rows`` from ``start``."""
        table = self.table
        table.sort = sort
        if keep is None:
            table.reset(total)
        else:
            table.reset(total, keep=keep)
        table.put_rows(start, rows, table.generation)


class OpeningScreen(QueueLayout):
    """The first view while deskterm opens: real rows, no actions yet (keys wait for the
    queue, which the app puts in this screen's place)."""

    AUTO_FOCUS = "#tickets"

    def __init__(self, query_text: str = "", *,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(query_text, clock=clock)
        self._mounted = False
        self._start: tuple[QueueStart, Callable[[], object] | None] | None = None

    def on_mount(self) -> None:
        self._mounted = True
        self.query_one("#filter-error").display = False
        self.draw_views(BUILTIN_VIEWS, None, {})
        if self._start is not None:
            self._draw_start(*self._start)

    def show_start(self, start: QueueStart,
                   painted: Callable[[], object] | None = None) -> None:
        """The first view's rows, as read by the opening process; ``painted`` is called once
        they are on the terminal. They may come before this screen is mounted (the opening
        process can be that quick): then they are drawn as it mounts."""
        self._start = (start, painted)
        if self._mounted:
            self._draw_start(start, painted)

    def _draw_start(self, start: QueueStart, painted: Callable[[], object] | None) -> None:
        view = BUILTIN_VIEWS[0]
        self.query_text = start.query_text
        self.query_one("#filter", SafeInput).value = start.query_text
        self.draw_views(BUILTIN_VIEWS, view.key, {view.key: start.total})
        self.show_rows(start.total, 0, start.rows, start.sort)
        self.draw_status(view.name, start.total, 0, start.me, start.where)
        if painted is not None:
            self.table.after_painted(painted)
