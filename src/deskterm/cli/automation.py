"""``deskterm automate``: the desk's timers — SLA escalation, pending reminders, auto-close.

``automate run`` makes one pass; ``--watch`` keeps passing every ``--interval`` seconds (the
desk's setting by default). A console that is open runs the same passes in the background; the
lease in the store lets exactly one runner act at a time (a second one says who holds it).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli import lazy
from deskterm.cli.context import ctx_obj
from deskterm.cli.output import echo, error, print_json
from deskterm.desk.errors import InvalidInput
from deskterm.desk.reads import ref

if TYPE_CHECKING:
    from deskterm.desk.automation.runner import PassReport

lease = lazy.module("deskterm.desk.automation.lease")

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="The desk's timers: escalate tickets about to breach their SLA, remind "
                       "on pending tickets, close solved tickets; their settings.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _refs(numbers: list[int]) -> str:
    shown = ", ".join(ref(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def _say(report: PassReport, *, quiet_when_idle: bool) -> None:
    if not report.ran:
        echo(f"another runner holds the lease ({report.holder or 'someone'}): nothing done")
        return
    if report.changed or not quiet_when_idle:
        parts = [f"{label} {len(numbers)}" + (f" ({_refs(numbers)})" if numbers else "")
                 for label, numbers in (("escalated", report.escalated),
                                        ("reminded", report.reminded),
                                        ("closed", report.closed))]
        echo(f"{'; '.join(parts)} in {report.seconds:.2f} s")
    for problem in report.problems:
        error(problem)


@app.command()
def run(
    ctx: typer.Context,
    watch: Annotated[bool, typer.Option(
        "--watch", help="Keep passing, every --interval seconds, until stopped.")] = False,
    interval: Annotated[float | None, typer.Option(
        "--interval", metavar="S", min=1, max=86_400,
        help="Seconds between two passes with --watch (default: the desk's setting, "
             "automate settings --every).")] = None,
    json: JsonOpt = False,
) -> None:
    """One pass of the timers (or, with --watch, a pass every --interval seconds): escalate,
    remind, close. Exit 0; a pass another runner holds the lease for does nothing."""
    desk = ctx_obj(ctx).desk()
    holder = lease.holder_name("automate-watch" if watch else "automate-run")
    if not watch:
        report = desk.run_automation(holder=holder)
        if report.ran:
            desk.stop_automation(holder=holder)
        if json:
            print_json(report)
        else:
            _say(report, quiet_when_idle=False)
        return
    every = interval if interval is not None else float(desk.automation_settings().every_seconds)
    try:
        while True:
            report = desk.run_automation(holder=holder)
            if json:
                print_json(report)
            else:
                _say(report, quiet_when_idle=True)
            time.sleep(every)
    finally:
        desk.stop_automation(holder=holder)


@app.command()
def settings(
    ctx: typer.Context,
    close_after: Annotated[int | None, typer.Option(
        "--close-after", metavar="DAYS", help="Close solved tickets DAYS calendar days after "
        "they were solved (0: never; default 4).")] = None,
    remind_after: Annotated[int | None, typer.Option(
        "--remind-after", metavar="DAYS", help="Remind on tickets pending DAYS calendar days "
        "without a change (0: never; default 3).")] = None,
    every: Annotated[int | None, typer.Option(
        "--every", metavar="S", help="Seconds between two passes of a console's timer and "
        "of run --watch (default 60).")] = None,
    batch: Annotated[int | None, typer.Option(
        "--batch", metavar="N", help="At most N tickets of each kind of work in one pass "
        "(default 500).")] = None,
    json: JsonOpt = False,
) -> None:
    """Show the timers' settings, or change those given (admins only)."""
    desk = ctx_obj(ctx).desk()
    if (close_after, remind_after, every, batch) == (None,) * 4:
        current = desk.automation_settings()
    else:
        current = desk.set_automation_settings(
            close_solved_after_days=close_after, remind_pending_after_days=remind_after,
            every_seconds=every, batch=batch)
    if json:
        print_json(current)
        return
    echo(f"close solved after:   {current.close_solved_after_days or 'never'}"
         f"{' days' if current.close_solved_after_days else ''}")
    echo(f"remind pending after: {current.remind_pending_after_days or 'never'}"
         f"{' days' if current.remind_pending_after_days else ''}")
    echo(f"every:                {current.every_seconds} s")
    echo(f"batch:                {current.batch} tickets per kind of work and pass")


@app.command()
def status(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Who holds the runner's lease, until when, and when the last pass ended."""
    held = ctx_obj(ctx).desk().automation_lease()
    if json:
        print_json(held)
        return
    echo(f"lease:     {held.holder or 'free'}"
         + (f" until {held.expires_at:%Y-%m-%d %H:%M:%S} UTC" if held.expires_at else ""))
    echo("last pass: " + (f"{held.last_pass_at:%Y-%m-%d %H:%M:%S} UTC"
                          if held.last_pass_at else "never"))


__all__ = ["InvalidInput", "app"]
