"""The reports screen (``3``): the desk's numbers for a range of days.

The headline numbers come first (their own read, a fraction of the report's), then the
created/solved per day and backlog sparklines, and the agents' and groups' tables. ``r``
cycles the range (7, 30, 90 days, up to today), ``/`` types filters in the queue's own language
(``group:billing priority:>=high org:"Acme Corp"``), ``enter`` on a number or a row opens the
queue filtered to exactly the tickets behind it (:mod:`deskterm.desk.reports.drill`). The
numbers are read again when the desk changes (the queue's watcher passes its notices on); an
unchanged desk answers from the report cache. Names reach the tables only as ``Text``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Sparkline, Static

from deskterm.desk.filter.language import QueryError
from deskterm.desk.reports import drill
from deskterm.desk.reports.model import Headline, Report, ReportRange
from deskterm.desk.reports.render import average, hours_logged, percent, taken
from deskterm.desk.safe_text import cell_line, clean_line
from deskterm.desk.service import Desk, QueryStopped
from deskterm.messages import DeskChanged, ReportHeadlineRead, ReportRead, ReportRefused
from deskterm.screens.reporting import ReportsWorkerErrors
from deskterm.screens.sizing import SizeClasses
from deskterm.widgets.editors import SafeInput
from deskterm.widgets.footer import KeysFooter

RANGES = (7, 30, 90)
"""The ranges ``r`` cycles through, in days up to today."""


def _taken(head: Headline, seconds: float | None) -> str:
    """A time taken; ``…`` while only the headline's counts are in."""
    return "…" if head.one_touch is None else taken(seconds)


SLA_ROWS = (("first_response", "first response"), ("next_response", "next response"),
            ("resolution", "resolution"))
"""The headline's row of each SLA target (:data:`~deskterm.desk.reports.model.SLA_TARGETS`)."""


def _target(head: Headline, target: str) -> str:
    """A target's compliance and how many ended missed (what ``enter`` on it opens)."""
    found = next((t for t in head.sla or () if t.target == target), None)
    if found is None or not found.ended:
        return "-"
    return f"{percent(found.percent)} · {found.breached:,} missed"


class ReportTable(DataTable):
    """A report's table, moved as the queue is: j/k as well as the arrows, g/G as home/end
    (``enter`` after a burst of j's must open the row the j's reached, not the first)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="reports.down"),
        Binding("k", "cursor_up", "Up", show=False, id="reports.up"),
        Binding("g", "scroll_top", "Top", show=False, id="reports.top"),
        Binding("G", "scroll_bottom", "Bottom", show=False, id="reports.bottom"),
    ]


NAME_CELLS = 30
"""The most cells an agent's or group's name takes in the report's tables (cut with an
ellipsis): a name written by an import can be any length, and the numbers after it must stay
on the screen."""


def name_cell(name: str) -> Text:
    """An agent's or group's name for a table cell: one clean line, at most :data:`NAME_CELLS`
    wide; never markup."""
    cell = Text(cell_line(name), no_wrap=True, end="")
    cell.truncate(NAME_CELLS, overflow="ellipsis")
    return cell


def headline_cells(head: Headline) -> list[tuple[str, str, str]]:
    """(key, what, value) for each headline number; the key names its drill-down."""
    return [
        ("created", "Created", f"{head.created:,}"),
        ("solved", "Solved", f"{head.solved:,}"),
        ("open_now", "Open now", f"{head.open_now:,}"),
        ("unanswered", "Unanswered", "…" if head.answered is None else
         f"{head.created - head.answered:,}"),
        ("frt_median", "First response, median", _taken(head, head.first_response.median)),
        ("frt_business", "  in business hours", _taken(head, head.first_response_business.median)),
        ("frt_p90", "First response, p90", _taken(head, head.first_response.p90)),
        ("resolution_median", "Resolution, median", _taken(head, head.resolution.median)),
        ("resolution_business", "  in business hours",
         _taken(head, head.resolution_business.median)),
        ("resolution_p90", "Resolution, p90", _taken(head, head.resolution.p90)),
        ("sla", "SLA met", "…" if head.sla is None else
         f"{percent(head.sla_percent)} ({sum(t.ended for t in head.sla):,})"),
        *((f"sla_{target}", f"  {what}", "…" if head.sla is None else _target(head, target))
          for target, what in SLA_ROWS),
        ("sla_now", "SLA breaching now", "…" if head.sla_breaching_now is None else
         f"{head.sla_breaching_now:,}"),
        ("csat", "CSAT average", "…" if head.csat is None else
         f"{average(head.csat.average)} ({head.csat.ratings:,})"),
        *((f"csat_{score}", f"  rated {score}", "…" if head.csat is None else
           f"{head.csat.distribution[score - 1]:,}") for score in (5, 4, 3, 2, 1)),
        ("csat_rate", "CSAT response rate", "…" if head.csat is None else
         f"{percent(head.csat.response_rate)} ({head.csat.ratings:,} of "
         f"{head.csat.solved:,})"),
        ("reopened", "Reopen rate", "…" if head.reopened is None else
         f"{percent(head.reopen_rate)} ({head.reopened:,})"),
        ("one_touch", "One-touch", "…" if head.one_touch is None else
         f"{percent(head.one_touch_rate)} ({head.one_touch:,})"),
        ("logged", "Time logged", hours_logged(head.minutes_logged)),
        ("merged", "Merged", f"{head.merged:,}"),
    ]


def _rated(span: ReportRange, score: int) -> Callable[[], str | None]:
    return lambda: drill.rated_score(span, score)


def drill_query(span: ReportRange, head: Headline, key: str) -> str | None:
    """The queue filter behind a headline number (None: a key that names none)."""
    found: dict[str, Callable[[], str | None]] = {
        "created": lambda: drill.created(span),
        "solved": lambda: drill.solved(span),
        "open_now": lambda: drill.open_now(span),
        "unanswered": lambda: drill.unanswered(span),
        "frt_median": lambda: drill.slow_first_response(span, head.first_response.median or 0),
        "frt_p90": lambda: drill.slow_first_response(span, head.first_response.p90 or 0),
        "resolution_median": lambda: drill.slow_resolution(span, head.resolution.median or 0),
        "resolution_p90": lambda: drill.slow_resolution(span, head.resolution.p90 or 0),
        "reopened": lambda: drill.reopened(span),
        "one_touch": lambda: drill.one_touch(span),
        "merged": lambda: drill.merged(span),
        "sla_now": lambda: drill.breaching_now(span),
        "frt_business": lambda: drill.slow_first_response_business(
            span, head.first_response_business.median or 0),
        "resolution_business": lambda: drill.slow_resolution_business(
            span, head.resolution_business.median or 0),
        "sla": lambda: drill.sla_any_missed(span),
        "sla_first_response": lambda: drill.sla_missed(span, "first_response"),
        "sla_next_response": lambda: drill.sla_missed(span, "next_response"),
        "logged": lambda: drill.logged(span),
        "sla_resolution": lambda: drill.sla_missed(span, "resolution"),
        "csat": lambda: drill.rated(span),
        "csat_rate": lambda: drill.rated(span),
        **{f"csat_{score}": _rated(span, score) for score in (1, 2, 3, 4, 5)},
    }
    make = found.get(key)
    return make() if make is not None else None




class ReportsScreen(ReportsWorkerErrors, SizeClasses):
    """The desk's numbers: headline, charts, agents and groups, for a range and filters."""

    AUTO_FOCUS = "#report-headline"
    NARROW_BELOW = 80
    """The headline (46 columns) and the charts stay side by side down to 80 columns: stacked,
    the charts went below the 21 lines of the headline, off an 80x24 terminal."""
    BINDINGS = [
        Binding("escape", "back", "Back", id="reports.back"),
        Binding("r", "next_range", "Range", id="reports.range"),
        Binding("slash", "filter", "Filters", id="reports.filter"),
    ]

    def __init__(self, desk: Desk, *, clock: Callable[[], datetime] | None = None,
                 open_query: Callable[[str], object] | None = None) -> None:
        """``open_query(text)``: show the queue filtered by ``text`` (the app's)."""
        super().__init__()
        self.desk = desk
        self.clock = clock or (lambda: datetime.now(UTC))
        self.open_query = open_query
        self.days = RANGES[1]
        self.query_text = ""
        self.good_query = ""
        """The last filters the desk accepted (a refused one gives way to them)."""
        self.span = self._span()
        self.headline: Headline | None = None
        self.report: Report | None = None

    def _span(self) -> ReportRange:
        today = self.clock().astimezone(UTC).date()
        return ReportRange.days(today - timedelta(days=self.days - 1), today, self.query_text)

    def compose(self) -> ComposeResult:
        yield Static(id="report-title")
        with Horizontal(id="report-filter-bar"):
            yield Static("/", id="report-filter-prompt")
            yield SafeInput(placeholder="filters: group:billing assignee:ada org:\"Acme Corp\" "
                            "channel:email tag:vpn priority:>=high", id="report-filter")
        yield Static(id="report-error")
        with VerticalScroll(id="report-body"):
            with Horizontal(id="report-top"):
                yield ReportTable(id="report-headline", cursor_type="row", zebra_stripes=True)
                with Vertical(id="report-charts"):
                    yield Static("Created per day", classes="report-chart-title",
                                 id="report-created-title")
                    yield Sparkline([], id="report-created")
                    yield Static("Solved per day", classes="report-chart-title",
                                 id="report-solved-title")
                    yield Sparkline([], id="report-solved")
                    yield Static("Backlog at each day's end", classes="report-chart-title",
                                 id="report-backlog-title")
                    yield Sparkline([], id="report-backlog")
            yield Static("Agents · enter: what they solved", classes="report-table-title")
            yield ReportTable(id="report-agents", cursor_type="row", zebra_stripes=True)
            yield Static("Groups · enter: what they got", classes="report-table-title")
            yield ReportTable(id="report-groups", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#report-error").display = False
        self.query_one("#report-headline", DataTable).add_columns("number", "value")
        self.query_one("#report-agents", DataTable).add_columns(
            "agent", "solved", "reopened", "first response", "SLA met", "CSAT", "open now",
            "time logged")
        self.query_one("#report-groups", DataTable).add_columns(
            "group", "created", "solved", "open now", "first response", "resolution",
            "SLA met", "CSAT")
        self._show_title()
        self.load()

    # --- reading -----------------------------------------------------------------------------

    def load(self) -> None:
        self.span = self._span()
        self._show_title()
        self._read(self.span)

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def _read(self, span: ReportRange) -> None:
        """The headline first (what the screen shows at once), then the whole report."""
        try:
            self.post_message(ReportHeadlineRead(span, self.desk.report_headline(span)))
            self.post_message(ReportRead(span, self.desk.report(span)))
        except (QueryError, QueryStopped) as refused:
            self.post_message(ReportRefused(span, str(refused)))

    def on_report_headline_read(self, message: ReportHeadlineRead) -> None:
        if message.span != self.span:
            return
        self.good_query = message.span.query
        self.query_one("#report-error").display = False
        if self.report is None or self.report.range != message.span:
            self._show_headline(message.headline)  # else the report's is newer and whole

    def _show_headline(self, head: Headline) -> None:
        self.headline = head
        table = self.query_one("#report-headline", DataTable)
        row = table.cursor_row
        # The columns made anew each time: a DataTable's columns only ever widen, so their
        # widths (and the rendered cells) would depend on which numbers came first, the
        # headline's or the whole report's, and that on timing.
        table.clear(columns=True)
        table.add_columns("number", "value")
        for key, what, value in headline_cells(head):
            table.add_row(Text(what), Text(value, justify="right"), key=key)
        if 0 <= row < table.row_count:
            table.move_cursor(row=row)

    def on_report_read(self, message: ReportRead) -> None:
        if message.span != self.span:
            return
        report = self.report = message.report
        self._show_headline(report.headline)
        days = report.days
        for name, values in (("created", [d.created for d in days]),
                             ("solved", [d.solved for d in days]),
                             ("backlog", [d.backlog for d in days])):
            self.query_one(f"#report-{name}", Sparkline).data = values or [0]
        last = days[-1] if days else None
        top = max((d.created for d in days), default=0)
        self.query_one("#report-created-title", Static).update(
            Text(f"Created/day · max {top:,}" + (f" · today {last.created:,}" if last
                                                 else "")))
        self.query_one("#report-solved-title", Static).update(
            Text(f"Solved/day · max {max((d.solved for d in days), default=0):,}"))
        self.query_one("#report-backlog-title", Static).update(
            Text(f"Backlog at day's end · now {last.backlog:,}" if last else "Backlog"))
        agents = self.query_one("#report-agents", DataTable)
        keep = agents.cursor_row
        agents.clear()
        for agent in report.agents:
            agents.add_row(name_cell(agent.name), str(agent.solved), str(agent.reopened),
                           taken(agent.first_response_median), percent(agent.sla_percent),
                           average(agent.csat_average), str(agent.open_now),
                           hours_logged(agent.minutes_logged), key=agent.username)
        if 0 <= keep < agents.row_count:
            agents.move_cursor(row=keep)
        groups = self.query_one("#report-groups", DataTable)
        keep = groups.cursor_row
        groups.clear()
        for group in report.groups:
            groups.add_row(name_cell(group.name), str(group.created), str(group.solved),
                           str(group.open_now), taken(group.first_response_median),
                           taken(group.resolution_median), percent(group.sla_percent),
                           average(group.csat_average),
                           key="" if group.name == "(none)" else f"={group.name}")
        if 0 <= keep < groups.row_count:
            groups.move_cursor(row=keep)

    def on_report_refused(self, message: ReportRefused) -> None:
        if message.span != self.span:
            return
        error = self.query_one("#report-error", Static)
        error.update(Text(f"{message.message} · still showing the filters before",
                          style="bold red"))
        error.display = True
        self.query_text = self.good_query  # the numbers shown are theirs
        self.span = self._span()
        self._show_title()

    def on_desk_changed(self, message: DeskChanged) -> None:
        message.stop()
        self._read(self.span)

    # --- showing -----------------------------------------------------------------------------

    def _show_title(self) -> None:
        span = self.span
        title = Text("Reports ", style="bold")
        title.append(f"{span.since:%Y-%m-%d} to {span.until - timedelta(days=1):%Y-%m-%d} "
                     f"(last {self.days} days, UTC)")
        if span.query:
            title.append(" · ")
            title.append(clean_line(span.query), style="italic")
        title.append("  r: range  /: filters  enter: the tickets", style="dim")
        self.query_one("#report-title", Static).update(title)

    # --- keys --------------------------------------------------------------------------------

    def action_next_range(self) -> None:
        self.days = RANGES[(RANGES.index(self.days) + 1) % len(RANGES)]
        self.load()

    def action_filter(self) -> None:
        self.query_one("#report-filter", SafeInput).focus()

    @on(SafeInput.Submitted, "#report-filter")
    def _filtered(self, event: SafeInput.Submitted) -> None:
        self.query_text = event.value.strip()
        self.load()
        self.query_one("#report-headline", DataTable).focus()

    def action_back(self) -> None:
        field = self.query_one("#report-filter", SafeInput)
        if field.has_focus:
            self.query_one("#report-headline", DataTable).focus()
            return
        self.dismiss(None)

    @on(DataTable.RowSelected)
    def _drill(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value or ""
        query: str | None = None
        if event.data_table.id == "report-headline" and self.headline is not None:
            query = drill_query(self.span, self.headline, key)
        elif event.data_table.id == "report-agents":
            query = drill.agent(self.span, key)
        elif event.data_table.id == "report-groups":
            query = drill.group(self.span, key[1:] if key else None)
        if query is None:
            self.notify("This number is not a set of tickets", severity="information")
            return
        if self.open_query is not None:
            self.open_query(query)
