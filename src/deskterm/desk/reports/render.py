"""A report as text for people: its sections as rows of cells (the CLI's tables), CSV, and
one self-contained HTML page with the charts as inline SVG (no scripts, no external files;
every text escaped), to e-mail to a manager."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass

from deskterm.desk.reports.model import Day, Report
from deskterm.desk.safe_text import clean_line


def taken(seconds: float | None) -> str:
    """A time taken, briefly: ``45m``, ``3h 27m``, ``2d 4h``; ``-`` for none."""
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def hours_logged(minutes: int | None) -> str:
    return "…" if minutes is None else f"{minutes // 60}h {minutes % 60:02d}m"


@dataclass(frozen=True)
class Section:
    """One table of the report: a title, column names, rows of plain text cells."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def headline_rows(report: Report) -> list[tuple[str, str]]:
    """(what, value) for the headline numbers, in the order the screen shows them."""
    head = report.headline
    return [
        ("Created", f"{head.created:,}"),
        ("Solved", f"{head.solved:,}"),
        ("Open now", f"{head.open_now:,}"),
        ("Unanswered", f"{head.created - (head.answered or 0):,}"),
        ("First response, median", taken(head.first_response.median)),
        ("First response, p90", taken(head.first_response.p90)),
        ("Resolution, median", taken(head.resolution.median)),
        ("Resolution, p90", taken(head.resolution.p90)),
        *_business_rows(report),
        *_sla_rows(report),
        *_csat_rows(report),
        ("Reopen rate", f"{percent(head.reopen_rate)} ({head.reopened or 0:,})"),
        ("One-touch resolution", f"{percent(head.one_touch_rate)} ({head.one_touch or 0:,})"),
        ("Time logged", hours_logged(head.minutes_logged)),
        ("Merged", f"{head.merged:,}"),
    ]


def _business_rows(report: Report) -> list[tuple[str, str]]:
    """The times in business hours, when any differ from the wall clock's (a calendar
    applies to some ticket)."""
    head = report.headline
    if (head.first_response_business == head.first_response
            and head.resolution_business == head.resolution):
        return []
    return [("First response, median (business hours)",
             taken(head.first_response_business.median)),
            ("First response, p90 (business hours)", taken(head.first_response_business.p90)),
            ("Resolution, median (business hours)", taken(head.resolution_business.median)),
            ("Resolution, p90 (business hours)", taken(head.resolution_business.p90))]


TARGET_NAMES = {"first_response": "first response", "next_response": "next response",
                "resolution": "resolution"}


def _sla_rows(report: Report) -> list[tuple[str, str]]:
    head = report.headline
    if head.sla is None:
        return []
    rows = [("SLA met", f"{percent(head.sla_percent)} "
             f"({sum(t.met for t in head.sla):,} of {sum(t.ended for t in head.sla):,})")]
    rows += [(f"SLA {TARGET_NAMES[t.target]}",
              f"{percent(t.percent)} ({t.met:,} of {t.ended:,})") for t in head.sla]
    rows.append(("SLA breaching now", f"{head.sla_breaching_now or 0:,}"))
    return rows


def average(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _csat_rows(report: Report) -> list[tuple[str, str]]:
    csat = report.headline.csat
    if csat is None:
        return []
    return [
        ("CSAT average", f"{average(csat.average)} ({csat.ratings:,} ratings)"),
        ("CSAT satisfied (4-5)", percent(csat.satisfied)),
        ("CSAT response rate", f"{percent(csat.response_rate)} ({csat.ratings:,} of "
                               f"{csat.solved:,} solved)"),
        ("CSAT 1/2/3/4/5", "/".join(f"{count:,}" for count in csat.distribution)),
    ]


def sections(report: Report) -> list[Section]:
    """Every table of the report, cells as plain text (cleaned for a terminal by the caller)."""
    def rows(*found: Sequence[object]) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(str(cell) for cell in row) for row in found)

    return [
        Section("Headline", ("what", "value"), rows(*headline_rows(report))),
        Section("Per day (UTC)", ("day", "created", "solved", "backlog"),
                rows(*((d.day, d.created, d.solved, d.backlog) for d in report.days))),
        Section("Agents", ("agent", "name", "solved", "reopened", "first response",
                           "SLA met", "CSAT", "open now", "time logged"),
                rows(*((a.username, a.name, a.solved, a.reopened,
                        taken(a.first_response_median), percent(a.sla_percent),
                        average(a.csat_average), a.open_now,
                        hours_logged(a.minutes_logged)) for a in report.agents))),
        Section("Groups", ("group", "created", "solved", "open now", "first response",
                           "resolution", "SLA met", "CSAT"),
                rows(*((g.name, g.created, g.solved, g.open_now,
                        taken(g.first_response_median), taken(g.resolution_median),
                        percent(g.sla_percent), average(g.csat_average))
                       for g in report.groups))),
        Section("Tags", ("tag", "tickets", "previous period", "trending"),
                rows(*((t.tag, t.tickets, t.previous, "yes" if t.trending else "")
                       for t in report.tags))),
        Section("Articles used most", ("article", "title", "tickets", "inserts", "links",
                                       "views"),
                rows(*((a.slug, a.title, a.tickets, a.inserts, a.links, a.views)
                       for a in report.articles))),
        Section("Searches that found nothing", ("where", "search", "times", "last"),
                rows(*((m.kind, m.query, m.times, f"{m.last:%Y-%m-%d %H:%M}")
                       for m in report.searches_without_results))),
    ]


def csv_text(report: Report) -> str:
    """Every section as CSV rows ``section, <its columns...>``, a header row before each."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for section in sections(report):
        writer.writerow(["section", *section.columns])
        for row in section.rows:
            writer.writerow([section.title, *(_csv_safe(cell) for cell in row)])
    return out.getvalue()


def _csv_safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula (``=``, ``+``, ``-``, ``@`` first)."""
    risky = cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and cell != "-"
                                             and not cell[1:2].isdigit())
    return f"'{cell}" if risky else cell


# --- HTML ------------------------------------------------------------------------------------


def _bars(days: Sequence[Day], *, width: int = 720, height: int = 160) -> str:
    """Created and solved per day as paired bars."""
    if not days:
        return ""
    top = max(1, *(max(d.created, d.solved) for d in days))
    slot = width / len(days)
    bar = max(1.0, slot / 2 - 1)
    parts = []
    for index, d in enumerate(days):
        x = index * slot
        for offset, value, color in ((0, d.created, "#4878d0"), (bar, d.solved, "#6acc64")):
            h = value / top * (height - 20)
            parts.append(f'<rect x="{x + offset:.1f}" y="{height - h:.1f}" width="{bar:.1f}" '
                         f'height="{h:.1f}" fill="{color}"><title>{html.escape(d.day)}: '
                         f'{value}</title></rect>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'role="img" aria-label="created and solved per day">{"".join(parts)}'
            f'<text x="0" y="12" font-size="11">max {top}</text></svg>')


def _line(days: Sequence[Day], *, width: int = 720, height: int = 120) -> str:
    """The backlog at each day's end as a line."""
    if not days:
        return ""
    top = max(1, *(d.backlog for d in days))
    low = min(0, *(d.backlog for d in days))
    step = width / max(1, len(days) - 1)
    points = " ".join(
        f"{index * step:.1f},{height - (d.backlog - low) / (top - low or 1) * (height - 20):.1f}"
        for index, d in enumerate(days))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'role="img" aria-label="backlog at each day\'s end"><polyline points="{points}" '
            f'fill="none" stroke="#d65f5f" stroke-width="2"/>'
            f'<text x="0" y="12" font-size="11">max {top}</text></svg>')


def _table(section: object) -> str:
    assert isinstance(section, Section)
    head = "".join(f"<th>{html.escape(clean_line(c))}</th>" for c in section.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(clean_line(cell))}</td>"
                                    for cell in row) + "</tr>" for row in section.rows)
    return (f"<h2>{html.escape(section.title)}</h2><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def html_page(report: Report) -> str:
    """One page, nothing outside it: inline CSS and SVG, no scripts, every text escaped."""
    span = report.range
    title = f"deskterm report, {span.since:%Y-%m-%d} up to {span.until:%Y-%m-%d} (UTC)"
    found = sections(report)
    filters = (f"<p>Filters: <code>{html.escape(clean_line(span.query))}</code></p>"
               if span.query.strip() else "<p>The whole desk.</p>")
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse;margin-bottom:1.5em}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
        "th{background:#f0f0f0}.legend span{display:inline-block;width:1em;height:.8em}"
        "</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{filters}"
        f"<p>Made {report.made_at:%Y-%m-%d %H:%M} UTC.</p>"
        + _table(found[0])
        + "<h2>Created and solved per day</h2><p class=\"legend\">"
          "<span style=\"background:#4878d0\"></span> created "
          "<span style=\"background:#6acc64\"></span> solved</p>"
        + _bars(report.days)
        + "<h2>Backlog at each day's end</h2>" + _line(report.days)
        + "".join(_table(section) for section in found[1:])
        + "</body></html>\n"
    )
