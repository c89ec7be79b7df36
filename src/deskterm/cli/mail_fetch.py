"""``deskterm mail fetch``: the desk's IMAP mailbox (``[imap]`` in config.toml) onto the desk.

Each unseen message becomes a ticket or a message on the ticket it answers, in its own
transaction; what cannot be filed goes to the quarantine and the run goes on. On the server a
message is marked seen (or moved) only once it is on the desk, so a run can be repeated or
interrupted without a second ticket. Exit codes: 0 done; 1 bad settings or the server could not
be read (one line, never the password); 3 something was quarantined
(``deskterm mail quarantine list``). ``--watch`` fetches again every ``--interval`` seconds
until stopped; a failed round is reported and the next one tried.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli import lazy
from deskterm.cli.context import ctx_obj
from deskterm.cli.output import echo, error, stdout_is_terminal
from deskterm.config_mail import MailConfigError, MailServer

if TYPE_CHECKING:
    from deskterm.desk.mail import imap
    from deskterm.desk.mail.imap import FetchReport
    from deskterm.desk.service import Desk
else:
    imap = lazy.module("deskterm.desk.mail.imap")

QUARANTINED_EXIT = 3
SHOWN_OUTCOMES = ("created", "appended", "duplicate", "auto-reply-appended",
                  "auto-reply-skipped", "quarantined", "already-quarantined")


def _summary(report: FetchReport) -> str:
    counts = [f"{report.outcomes[o]} {o}" for o in SHOWN_OUTCOMES if report.outcomes.get(o)]
    counts += [f"{n} {o}" for o, n in sorted(report.outcomes.items())
               if o not in SHOWN_OUTCOMES and n]
    left = f"; {report.left} left for the next run (--limit)" if report.left else ""
    return (f"fetched {report.fetched} message(s) from {report.server} {report.folder}"
            + (f": {', '.join(counts)}" if counts else "") + left)


def _say_quarantined(report: FetchReport) -> None:
    for source, reason in report.quarantined_mail:
        error(f"quarantined {source}: {reason}")


def _one_round(desk: Desk, fetch: Callable[..., FetchReport]) -> FetchReport:
    """One fetch, with a progress bar on a terminal (quiet when piped)."""
    if not stdout_is_terminal():
        return fetch(progress=None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  transient=True) as bar:
        task = bar.add_task("fetching mail", total=None)
        return fetch(progress=lambda done, total: bar.update(task, completed=done,
                                                             total=total))


def fetch(
    ctx: typer.Context,
    watch: Annotated[bool, typer.Option(
        "--watch", help="Keep fetching, every --interval seconds, until stopped.")] = False,
    interval: Annotated[float, typer.Option(
        "--interval", metavar="S", min=1, max=86_400,
        help="Seconds between two fetches with --watch.")] = 60.0,
    limit: Annotated[int | None, typer.Option(
        "--limit", metavar="N", min=1,
        help="At most N messages per fetch (the oldest unseen first).")] = None,
    folder: Annotated[str | None, typer.Option(
        "--folder", metavar="F", help="Read folder F instead of [imap] folder.")] = None,
) -> None:
    """File the unseen mail of the [imap] mailbox as tickets or answers; mark it seen (or
    move it) on the server once filed. Exit 3 if something was quarantined."""
    context = ctx_obj(ctx)
    server = context.settings.imap
    if server is None:
        from deskterm import paths

        error(f"{paths.config_file()}: no [imap] table: set host, user and the password "
              "there first (see the README's mail section)")
        raise typer.Exit(1)
    if folder is not None and (not folder.strip() or not folder.isprintable()):
        error("--folder: must be a folder name on one line")
        raise typer.Exit(1)
    desk = context.desk()

    def fetch_once(progress: Callable[[int, int], None] | None) -> FetchReport:
        return desk.fetch_mail(server, folder=folder, limit=limit, progress=progress)

    if not watch:
        report = _one_round(desk, fetch_once)
        _say_quarantined(report)
        echo(_summary(report))
        if report.quarantined:
            raise typer.Exit(QUARANTINED_EXIT)
        return
    while True:
        try:
            report = _one_round(desk, fetch_once)
        except imap.ImapFailure as exc:  # the server down: said, and tried again next round
            error(str(exc))
        else:
            _say_quarantined(report)
            if report.fetched or report.left:
                echo(_summary(report))
        if context.settings.smtp is not None:
            _send_due(desk, context.settings.smtp)
        time.sleep(interval)


def _send_due(desk: Desk, server: MailServer) -> None:
    """``--watch`` with an ``[smtp]`` server also sends the outbox's due mail each round (the
    acknowledgements of what it filed, the agents' replies): a desk whose consoles close at
    night still answers. Mail that did not leave is said in one line and tried again later."""
    try:
        if not desk.outbox_due():
            return
        report = desk.drain_outbox(server)
    except (OSError, MailConfigError) as exc:  # the store or the password file: next round
        error(f"outbox: {exc}")
        return
    if report.sent:
        echo(f"sent {report.sent} mail{'' if report.sent == 1 else 's'}")
    if report.retried or report.failed:
        reason = next(iter(report.reasons.values()), "")
        error(f"outbox: {report.retried + report.failed} mail not sent yet: {reason}")
