"""A virtual ticket table: renders only the rows on screen, asks for the rows it lacks.

The table knows how many tickets match and holds a bounded window of rows around the view. When a
line it must paint is not in that window it paints a placeholder and posts :class:`NeedRows`; the
screen fetches them in a worker and hands them back with :meth:`put_rows`. Nothing here touches
the store, and customer text is drawn as plain ``Text`` (never markup) after ``safe_text``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from deskterm.desk.safe_text import cell_line
from deskterm.desk.sla.clock import BREACHED, WARNING, SlaClock, SlaState
from deskterm.desk.tickets.summary import TicketSummary
from deskterm.timefmt import relative

MAX_CACHED_ROWS = 3_000
SLA_TICK_SECONDS = 15
"""How often the rows on screen are re-rendered for the SLA countdown (no query)."""


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int  # 0: the subject, which takes the room left over
    value: Callable[[TicketSummary, datetime], str]
    drop: int = 0
    """0: always shown; else the table drops it when narrow, the highest first."""
    grow: int = 0
    """Cells it takes beyond ``width`` at most, when the table is wide."""


def _status(row: TicketSummary, _now: datetime) -> str:
    return row.status.replace("_", " ")


COLUMNS: tuple[Column, ...] = (
    Column("number", "Ref", 8, lambda r, _: r.ref),
    Column("priority", "Priority", 8, lambda r, _: r.priority),
    Column("status", "Status", 8, _status),
    # Business time left to the next SLA due time; counted by the table (its SLA clock).
    Column("sla", "SLA", 7, lambda r, _: ""),
    Column("subject", "Subject", 0, lambda r, _: r.subject),
    # Who asked matters most, then who has it and where it is; the organization least.
    Column("requester", "Requester", 15, lambda r, _: r.requester_name, drop=1, grow=15),
    Column("organization", "Organization", 13, lambda r, _: r.organization or "", drop=4,
           grow=13),
    Column("assignee", "Assignee", 9, lambda r, _: r.assignee or "—", drop=2, grow=9),
    Column("group", "Group", 9, lambda r, _: r.group or "—", drop=3, grow=9),
    Column("updated", "Updated", 9, lambda r, now: relative(r.updated_at, now)),
)
MIN_SUBJECT = 12
"""The subject's cells however narrow the table (the row ends in an ellipsis)."""
SUBJECT_BEFORE_EXTRAS = 22
"""A column that may be dropped shows only while the subject keeps this many cells (30 before
the SLA column took 8 of them): at 80
columns the subject has 33 and the requester, organization, assignee and group are in the
detail line under the table; at 120 every column shows."""
SUBJECT_AT_EASE = 60
"""Beyond this many cells for the subject, half the extra width goes to the names."""

Layout = tuple[tuple[Column, int], ...]
"""The columns shown, in order, each with its width."""


def column_layout(width: int, sorted_by: str = "") -> Layout:
    """The columns that fit in ``width`` cells (the selection mark's 2 included), and their
    widths: the optional ones dropped in :attr:`Column.drop` order as the table narrows (the
    one the rows are ``sorted_by`` kept), the names grown with half of what a wide table has
    beyond :data:`SUBJECT_AT_EASE`."""
    room = width - 2

    def subject_room(columns: list[Column]) -> int:
        return room - sum(c.width for c in columns) - (len(columns) - 1)

    shown = [c for c in COLUMNS if not c.drop or c.key == sorted_by]
    for column in sorted((c for c in COLUMNS if c not in shown), key=lambda c: c.drop):
        if subject_room([*shown, column]) < SUBJECT_BEFORE_EXTRAS:
            break
        shown.append(column)
    widths = {c.key: c.width for c in shown}
    subject = max(subject_room(shown), MIN_SUBJECT)
    extra = max(subject - SUBJECT_AT_EASE, 0) // 2
    growing = [c for c in COLUMNS if c in shown and c.grow]
    while extra and growing:
        for column in list(growing):
            if not extra:
                break
            widths[column.key] += 1
            subject -= 1
            extra -= 1
            if widths[column.key] >= column.width + column.grow:
                growing.remove(column)
    return tuple((c, widths[c.key] or subject) for c in COLUMNS if c in shown)


def hidden_fields(row: TicketSummary, layout: Layout, now: datetime) -> Text:
    """The row's values of the columns ``layout`` leaves out, on one line: the requester (and
    their organization after a comma), then ``assignee …`` and ``group …``."""
    shown = {column.key for column, _ in layout}
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    for column in COLUMNS:
        if column.key in shown or not column.drop:
            continue
        value = cell_line(column.value(row, now))
        if column.key == "requester":
            line.append(value, style="bold")
            continue
        if column.key == "organization" and "requester" not in shown:
            if value:
                line.append(f", {value}")
            continue
        if line:
            line.append(" · ", style="dim")
        line.append(f"{column.title.lower()} ", style="dim")
        line.append(value or "—")
    return line


def fit_plain(text: str, width: int) -> str:
    """``text`` made safe, on one line, cut (with an ellipsis) or padded to exactly ``width``
    terminal cells.

    Measured in cells, so double-width (Chinese) and right-to-left text keep columns aligned.
    The same result as ``Text.truncate(width, overflow="ellipsis", pad=True)``, without building
    a ``Text``: the table paints thousands of cells a second while it scrolls.
    """
    text = cell_line(text)
    if text.isascii():
        size = len(text)
        if size > width:
            return text[: max(width - 1, 0)] + "…"
        return text + " " * (width - size)
    size = cell_len(text)
    if size > width:
        return set_cell_size(text, width - 1) + "…"
    return text + " " * (width - size)


def fit(text: str, width: int) -> Text:
    """:func:`fit_plain` as a ``Text`` (plain: customer text is never markup)."""
    return Text(fit_plain(text, width), no_wrap=True, end="")


class TicketTable(ScrollView, can_focus=True):
    """The queue's rows. Keys: j/k, arrows, g/G, pgup/pgdn, enter, x."""

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="queue.down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="queue.up"),
        Binding("g,home", "top", "Top", show=False, id="queue.top"),
        Binding("G,end", "bottom", "Bottom", show=False, id="queue.bottom"),
        Binding("pageup", "page_up", "Page up", show=False, id="queue.page-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="queue.page-down"),
        Binding("enter", "open", "Open", id="queue.open"),
        Binding("x", "toggle_select", "Select", id="queue.select"),
    ]

    COMPONENT_CLASSES = {
        "ticket-table--header",
        "ticket-table--cursor",
        "ticket-table--selected",
        "ticket-table--urgent",
        "ticket-table--high",
        "ticket-table--unseen",
        "ticket-table--sla-warning",
        "ticket-table--sla-breached",
        "ticket-table--placeholder",
        "ticket-table--empty",
    }

    DEFAULT_CSS = """
    TicketTable { background: $surface; overflow-x: hidden; overflow-y: scroll; }
    TicketTable > .ticket-table--header { text-style: bold; background: $panel; }
    TicketTable > .ticket-table--cursor { background: $primary 40%; }
    TicketTable:focus > .ticket-table--cursor { background: $primary; color: $text; }
    TicketTable > .ticket-table--selected { color: $accent; text-style: bold; }
    TicketTable > .ticket-table--urgent { color: $error; text-style: bold; }
    TicketTable > .ticket-table--high { color: $warning; text-style: bold; }
    TicketTable > .ticket-table--unseen { color: $success; text-style: bold; }
    TicketTable > .ticket-table--sla-warning { color: $warning; text-style: bold; }
    TicketTable > .ticket-table--sla-breached { color: $error; text-style: bold reverse; }
    TicketTable > .ticket-table--placeholder { color: $text-muted; }
    TicketTable > .ticket-table--empty { color: $text-muted; text-style: italic; }
    """

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class NeedRows(Message):
        """The table must paint rows it does not hold: fetch ``count`` rows from ``start``."""

        def __init__(self, table: TicketTable, start: int, count: int, generation: int,
                     anchor: TicketSummary | None) -> None:
            super().__init__()
            self.table = table
            self.start = start
            self.count = count
            self.generation = generation
            self.anchor = anchor
            """The row just before ``start``, when the table holds it: fetch after it."""

        @property
        def control(self) -> TicketTable:
            return self.table

    class Open(Message):
        """Enter on a row."""

        def __init__(self, table: TicketTable, number: int) -> None:
            super().__init__()
            self.table = table
            self.number = number

        @property
        def control(self) -> TicketTable:
            return self.table

    class Highlighted(Message):
        """The cursor is on another row (``number`` is None while that row is loading)."""

        def __init__(self, table: TicketTable, index: int, number: int | None) -> None:
            super().__init__()
            self.table = table
            self.index = index
            self.number = number

        @property
        def control(self) -> TicketTable:
            return self.table

    class SelectionChanged(Message):
        def __init__(self, table: TicketTable, count: int) -> None:
            super().__init__()
            self.table = table
            self.count = count

        @property
        def control(self) -> TicketTable:
            return self.table

    def __init__(self, *, clock: Callable[[], datetime] | None = None, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._clock = clock or (lambda: datetime.now(UTC))
        self.total = 0
        self.generation = 0
        self.loaded = False
        self._rows: dict[int, TicketSummary] = {}
        self._missing: set[int] = set()
        self._requested: set[int] = set()
        self._request_scheduled = False
        self._prefetch_scheduled = False
        self.selected: set[int] = set()
        self.sort = "-updated"
        """The order the rows come in (the header marks its column)."""
        self._strips: dict[int, tuple[tuple, Strip]] = {}
        """Painted rows by index, with what they were painted from: a cursor move repaints two
        lines, and a scroll only the rows that came into view."""
        self._layout_for: tuple[tuple[int, str], Layout] = ((-1, ""), ())
        self._hidden: tuple[str, ...] | None = None
        """The keys of the columns left out (None until the table has its width)."""
        self._styles_for: dict[tuple[str | None, bool], Style] = {}
        self._cells_for: dict[int, tuple[tuple, list[str]]] = {}
        self.empty_message = "No tickets match."
        self._after_painted: Callable[[], object] | None = None
        self.sla_clock = SlaClock()
        """The policies' calendars (``Desk.sla_clock``); until loaded, around the clock."""

    def on_mount(self) -> None:
        # The SLA countdown moves without asking the desk: the rows on screen are re-rendered
        # (each cell is kept for its 30-second slot of the clock, so this repaints them when
        # the slot turns).
        self.set_interval(SLA_TICK_SECONDS, self.refresh)

    def set_sla_clock(self, clock: SlaClock) -> None:
        """Count down in these policies' business hours from now on."""
        self.sla_clock = clock
        self._cells_for.clear()
        self._strips.clear()
        self.refresh()

    def sla_state(self, row: TicketSummary, now: datetime) -> SlaState | None:
        return self.sla_clock.state(row.sla, now)

    # --- what the screen calls -------------------------------------------------------------

    def reset(self, total: int, *, keep: int | None = None) -> None:
        """A new result set of ``total`` rows; the cursor goes to the top (or row ``keep``)."""
        self.generation += 1
        self.total = total
        self.loaded = True
        self._rows.clear()
        self._strips.clear()
        self._missing.clear()
        self._requested.clear()
        self.virtual_size = Size(self._width(), total + 1)
        self._check_columns()  # sorted by a column: it shows, however narrow the table
        target = min(keep or 0, max(total - 1, 0))
        self.cursor = target
        if keep is None:
            self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def put_rows(self, start: int, rows: Sequence[TicketSummary], generation: int) -> None:
        """Rows ``start``… of the current result set, fetched by the screen."""
        if generation != self.generation:
            return
        for offset, row in enumerate(rows):
            self._rows[start + offset] = row
            self._requested.discard(start + offset)
        for index in range(start, start + max(len(rows), 1)):
            self._requested.discard(index)
        self._evict()
        self.refresh()
        if self.row_at(self.cursor) is not None:
            self._post_highlight()
        self._schedule_prefetch()

    def after_painted(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once a frame showing the current result set (its rows, or that
        there are none) has been drawn."""
        self._after_painted = callback
        self.refresh()

    def row_at(self, index: int) -> TicketSummary | None:
        return self._rows.get(index)

    @property
    def cursor_row(self) -> TicketSummary | None:
        return self._rows.get(self.cursor)

    def index_of(self, number: int) -> int | None:
        """Where ticket ``number`` is among the loaded rows."""
        for index, row in self._rows.items():
            if row.number == number:
                return index
        return None

    def clear_selection(self) -> None:
        self.selected.clear()
        self.post_message(self.SelectionChanged(self, 0))
        self.refresh()

    def select(self, numbers: set[int]) -> None:
        self.selected = set(numbers)
        self.post_message(self.SelectionChanged(self, len(self.selected)))
        self.refresh()

    # --- geometry --------------------------------------------------------------------------

    def _width(self) -> int:
        return self.scrollable_content_region.width

    @property
    def shown_columns(self) -> Layout:
        """The columns shown at the table's width, with their widths."""
        key = (self._width(), self.sort.lstrip("-"))
        if self._layout_for[0] != key:
            self._layout_for = (key, column_layout(*key))
        return self._layout_for[1]

    @property
    def hidden(self) -> tuple[str, ...]:
        """The keys of the columns the table is too narrow to show."""
        shown = {column.key for column, _ in self.shown_columns}
        return tuple(column.key for column in COLUMNS if column.key not in shown)

    def hidden_fields(self) -> Text | None:
        """The cursor row's values of the columns left out (None: every column shows, or
        the row is loading)."""
        row = self.cursor_row
        if row is None or not self.hidden:
            return None
        return hidden_fields(row, self.shown_columns, self._clock())

    @property
    def page_size(self) -> int:
        return max(self.size.height - 1, 1)

    class ColumnsChanged(Message):
        """The table's width shows other columns: ``hidden`` are the keys of those left out."""

        def __init__(self, table: TicketTable, hidden: tuple[str, ...]) -> None:
            super().__init__()
            self.table = table
            self.hidden = hidden

        @property
        def control(self) -> TicketTable:
            return self.table

    def on_resize(self, _event: events.Resize) -> None:
        self.virtual_size = Size(self._width(), self.total + 1)
        self._check_columns()

    def _check_columns(self) -> None:
        """Tell the screen when the columns left out change (the width or the order did)."""
        if not self.size:
            return  # not laid out yet: its first resize tells
        hidden = self.hidden
        if hidden != self._hidden:
            self._hidden = hidden
            self.post_message(self.ColumnsChanged(self, hidden))

    # --- painting --------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        if self._after_painted is not None and self.loaded:
            # Handled once the frame being drawn now is out: on the next turn of the loop.
            callback, self._after_painted = self._after_painted, None
            self.call_after_refresh(callback)
        width = self._width()
        if y == 0:
            return self._header_strip(width)
        index = round(self.scroll_offset.y) + y - 1
        if index >= self.total:
            if self.total == 0 and self.loaded and y == 2:
                return self._text_strip(Text("  " + self.empty_message), width,
                                        "ticket-table--empty")
            return Strip.blank(width, self._style(None))
        row = self._rows.get(index)
        if row is None:
            self._want(index)
            return self._text_strip(Text("  …"), width, "ticket-table--placeholder",
                                    cursor=index == self.cursor)
        return self._row_strip(row, index, width)

    def _header_strip(self, width: int) -> Strip:
        line = Text("  ", end="")
        sorted_by = self.sort.lstrip("-")
        arrow = "▼" if self.sort.startswith("-") else "▲"
        for position, (column, cell_width) in enumerate(self.shown_columns):
            if position:
                line.append(" ")
            if column.key == sorted_by:
                title = Text(column.title, end="")
                title.truncate(cell_width - 2, overflow="ellipsis")
                line.append_text(fit(f"{title.plain} {arrow}", cell_width))
            else:
                line.append_text(fit(column.title, cell_width))
        return self._text_strip(line, width, "ticket-table--header")

    def column_at(self, x: int) -> str | None:
        """The key of the column under screen column ``x`` of the table."""
        left = 2
        for column, cell_width in self.shown_columns:
            if left <= x < left + cell_width + 1:
                return column.key
            left += cell_width + 1
        return None

    def _row_strip(self, row: TicketSummary, index: int, width: int) -> Strip:
        now = self._clock()
        selected = row.number in self.selected
        key = (id(row), index == self.cursor, selected, width, self.has_focus,
               int(now.timestamp() // 30))
        cached = self._strips.get(index)
        if cached is not None and cached[0] == key:
            return cached[1]
        if len(self._strips) > 4 * MAX_CACHED_ROWS // 10:
            self._strips.clear()
        strip = self._paint_row(row, index, width, now, selected)
        self._strips[index] = (key, strip)
        return strip

    def _style(self, component: str | None, cursor: bool = False) -> Style:
        """The widget's style with a component class's (and the cursor's) on top, computed
        once until the styles change (focus, theme): asking Textual costs more than a row."""
        key = (component, cursor)
        style = self._styles_for.get(key)
        if style is None:
            style = self.rich_style
            if component:
                style = style + self._component(component)
            if cursor:
                style = style + self._component("ticket-table--cursor")
            self._styles_for[key] = style
        return style

    def _component(self, name: str) -> Style:
        """A component class's own style (to put on top of a row's)."""
        key = (f"component:{name}", False)
        style = self._styles_for.get(key)
        if style is None:
            style = self._styles_for[key] = self.get_component_rich_style(name)
        return style

    def notify_style_update(self) -> None:
        self._styles_for.clear()
        self._strips.clear()
        super().notify_style_update()

    def _cells(self, row: TicketSummary, layout: Layout, now: datetime) -> list[str]:
        """The row's cells, each fitted to its column (kept while the row and layout are)."""
        key = (id(row), id(layout), int(now.timestamp() // 30))
        cached = self._cells_for.get(row.number)
        if cached is not None and cached[0] == key:
            return cached[1]
        cells = [fit_plain(self._sla_text(row, now) if column.key == "sla"
                           else column.value(row, now), cell_width)
                 for column, cell_width in layout]
        if len(self._cells_for) > MAX_CACHED_ROWS:
            self._cells_for.clear()
        self._cells_for[row.number] = (key, cells)
        return cells

    def _sla_text(self, row: TicketSummary, now: datetime) -> str:
        state = self.sla_state(row, now)
        return state.text if state is not None else ""

    def _paint_row(self, row: TicketSummary, index: int, width: int, now: datetime,
                   selected: bool) -> Strip:
        layout = self.shown_columns
        cells = self._cells(row, layout, now)
        cursor = index == self.cursor
        base = self._style(None, cursor)
        # Plain segments straight from the cells: the mark, then the cells with a space between
        # (the priority cell in its colour when urgent or high).
        if selected:
            segments = [Segment("✓", base + self._component("ticket-table--selected")),
                        Segment(" ", base)]
        elif row.unseen_reply:  # the customer wrote since the assignee last looked
            segments = [Segment("• ", base + self._component("ticket-table--unseen"))]
        else:
            segments = [Segment("  ", base)]
        plain: list[str] = []
        for position, ((column, _width), cell) in enumerate(zip(layout, cells, strict=True)):
            if position:
                plain.append(" ")
            if column.key == "priority" and row.priority in ("urgent", "high"):
                segments.append(Segment("".join(plain), base))
                mark = self._component(f"ticket-table--{row.priority}")
                segments.append(Segment(cell, base + mark))
                plain = []
            elif column.key == "sla" and row.sla is not None and (
                    level := self._sla_level(row, now)) is not None:
                segments.append(Segment("".join(plain), base))
                segments.append(Segment(cell, base + self._component(
                    f"ticket-table--sla-{level}")))
                plain = []
            else:
                plain.append(cell)
        segments.append(Segment("".join(plain), base))
        strip = Strip([segment for segment in segments if segment.text])
        if strip.cell_length != width:  # narrower than the columns: end in an ellipsis
            return self._fitted_strip(strip, width, base)
        return strip

    def _sla_level(self, row: TicketSummary, now: datetime) -> str | None:
        """``warning`` or ``breached`` (their styles), else None."""
        state = self.sla_state(row, now)
        if state is None or state.level not in (WARNING, BREACHED):
            return None
        return state.level

    def _fitted_strip(self, strip: Strip, width: int, base: Style) -> Strip:
        if strip.cell_length < width:
            return strip.extend_cell_length(width, base)
        return Strip([*strip.crop(0, width - 1), Segment("…", base)], width)

    def _text_strip(self, line: Text, width: int, component: str | None, *,
                    cursor: bool = False) -> Strip:
        base = self._style(component, cursor)
        line.truncate(width, overflow="ellipsis", pad=True)
        segments = [Segment(seg.text, base + seg.style if seg.style else base)
                    for seg in line.render(self.app.console)]
        return Strip(segments, width).crop(0, width)

    # --- fetching --------------------------------------------------------------------------

    def _want(self, index: int) -> None:
        if index in self._requested:
            return
        self._missing.add(index)
        if not self._request_scheduled:
            self._request_scheduled = True
            self.call_after_refresh(self._request_missing)

    def _request_missing(self) -> None:
        self._request_scheduled = False
        if not self._missing:
            return
        start, end = min(self._missing), max(self._missing)
        self._missing.clear()
        margin = self.page_size
        start = max(start - margin, 0)
        while start in self._rows and start < end:
            start += 1
        end = min(end + margin, self.total - 1)
        while end in self._rows and end > start:
            end -= 1
        count = end - start + 1
        if count <= 0:
            return
        self._requested.update(range(start, end + 1))
        self.post_message(self.NeedRows(self, start, count, self.generation,
                                        self._rows.get(start - 1)))

    def _schedule_prefetch(self) -> None:
        if not self._prefetch_scheduled:
            self._prefetch_scheduled = True
            self.call_after_refresh(self._prefetch)

    def _prefetch(self) -> None:
        """Ask for the page after (then before) the one on screen before it is needed, and for
        the last page, so ``pgdn``, scrolling and ``G`` find their rows already there."""
        self._prefetch_scheduled = False
        if not self.loaded or not self.total:
            return
        page = self.page_size
        top = round(self.scroll_offset.y)
        ranges = ((top + page, top + 2 * page, False), (top - page, top, True),
                  (self.total - page - 1, self.total, False))
        for start, end, backwards in ranges:
            start, end = max(start, 0), min(end, self.total)
            wanted = [i for i in range(start, end)
                      if i not in self._rows and i not in self._requested]
            if not wanted:
                continue
            first = max(wanted[-1] - 2 * page + 1, 0) if backwards else wanted[0]
            last = min(first + 2 * page, self.total) - 1
            block = [i for i in range(first, last + 1)
                     if i not in self._rows and i not in self._requested]
            if block:
                self._requested.update(block)
                self.post_message(self.NeedRows(self, block[0], block[-1] - block[0] + 1,
                                                self.generation, self._rows.get(block[0] - 1)))
            return  # one request at a time: the rows' arrival asks for the next

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self._schedule_prefetch()

    def _evict(self) -> None:
        if len(self._rows) <= MAX_CACHED_ROWS:
            return
        top = round(self.scroll_offset.y)
        keep_from, keep_to = top - MAX_CACHED_ROWS // 3, top + MAX_CACHED_ROWS // 3
        ends = 2 * self.page_size  # the first and the last pages stay, for g and G
        for index in [i for i in self._rows if not keep_from <= i <= keep_to
                      and ends <= i < self.total - ends]:
            del self._rows[index]

    # --- the cursor ------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        top = round(self.scroll_offset.y)
        visible = self.page_size
        if new < top:
            self.scroll_to(y=new, animate=False, immediate=True)
            self.refresh()
        elif new >= top + visible:
            self.scroll_to(y=new - visible + 1, animate=False, immediate=True)
            self.refresh()
        else:
            # Only the two rows whose look changed (1: the header line).
            width = self.size.width
            self.refresh(*(Region(0, index - top + 1, width, 1) for index in {old, new}
                           if top <= index < top + visible))
        self._post_highlight()

    def _post_highlight(self) -> None:
        row = self._rows.get(self.cursor)
        self.post_message(self.Highlighted(self, self.cursor, row.number if row else None))

    def _move(self, index: int) -> None:
        if self.total:
            self.cursor = max(0, min(index, self.total - 1))

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_top(self) -> None:
        self._move(0)

    def action_bottom(self) -> None:
        self._move(self.total - 1)

    def action_page_down(self) -> None:
        self.scroll_to(y=round(self.scroll_offset.y) + self.page_size, animate=False,
                       immediate=True)
        self._move(self.cursor + self.page_size)

    def action_page_up(self) -> None:
        self.scroll_to(y=max(round(self.scroll_offset.y) - self.page_size, 0), animate=False,
                       immediate=True)
        self._move(self.cursor - self.page_size)

    def action_open(self) -> None:
        row = self.cursor_row
        if row is not None:
            self.post_message(self.Open(self, row.number))

    def action_toggle_select(self) -> None:
        row = self.cursor_row
        if row is None:
            return
        self.selected.symmetric_difference_update({row.number})
        self.post_message(self.SelectionChanged(self, len(self.selected)))
        self._move(self.cursor + 1)
        self.refresh()

    class HeaderClicked(Message):
        """A click on a column title: sort by that column."""

        def __init__(self, table: TicketTable, column: str) -> None:
            super().__init__()
            self.table = table
            self.column = column

        @property
        def control(self) -> TicketTable:
            return self.table

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column = self.column_at(event.x)
            if column is not None:
                self.post_message(self.HeaderClicked(self, column))
            return
        index = round(self.scroll_offset.y) + event.y - 1
        if 0 <= index < self.total:
            self.cursor = index
            if event.chain == 2:
                self.action_open()


__all__ = ["COLUMNS", "TicketTable", "column_layout", "fit", "fit_plain", "hidden_fields"]
