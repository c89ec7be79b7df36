"""``deskterm mail outbox`` and ``deskterm mail settings``: the desk's mail going out.

``outbox`` sends what is due through config.toml's ``[smtp]`` server (``--retry``: everything
waiting, failed mail too) and lists the outbox; ``settings`` shows or changes who the desk's
mail is from and its acknowledgement (admins only). See :mod:`deskterm.desk.mail.sending`
for the claims and the backoff.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli import output
from deskterm.cli.context import ctx_obj
from deskterm.cli.output import echo, echo_text, print_json, print_table
from deskterm.desk.errors import InvalidInput
from deskterm.desk.safe_text import clean_line

if TYPE_CHECKING:
    from deskterm.desk.mail.outbox import OutboxRead
    from deskterm.desk.mail.settings import MailSettingsRead

NOT_SENT_EXIT = 4
"""``mail outbox``'s exit code when a mail of this run did not leave (put back or failed)."""

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _when(row: OutboxRead) -> str:
    if row.state == "sent" and row.sent_at is not None:
        return "sent " + row.sent_at.strftime("%Y-%m-%d %H:%M")
    if row.state == "queued":
        return "next " + row.next_attempt_at.strftime("%Y-%m-%d %H:%M")
    return "-"


def outbox(
    ctx: typer.Context,
    retry: Annotated[bool, typer.Option(
        "--retry", help="Send everything waiting now, failed mail too.")] = False,
    failed: Annotated[bool, typer.Option("--failed", help="List only failed mail.")] = False,
    no_send: Annotated[bool, typer.Option(
        "--no-send", help="Only list; send nothing.")] = False,
    json: JsonOpt = False,
) -> None:
    """Send the mail that is due (config.toml [smtp]) and list the outbox, newest first."""
    context = ctx_obj(ctx)
    desk = context.desk()
    server = None if no_send else context.settings.smtp
    if retry and server is None:
        raise InvalidInput("--retry sends mail: config.toml has no [smtp] server" if not no_send
                           else "--retry sends mail: not with --no-send")
    report = None
    if server is not None:
        server.password()  # a password that cannot be read is refused before any mail is tried
        total = desk.outbox_waiting(failed_too=retry)
        report = _with_progress(total, lambda progress: desk.drain_outbox(
            server, retry=retry, progress=progress))
    rows = desk.outbox(failed_only=failed)
    if json:
        summary = {"sent": report.sent, "retried": report.retried, "failed": report.failed} \
            if report is not None else None
        print_json({"drained": summary, "outbox": rows})
    else:
        if report is not None and report.handled:
            echo(f"sent {report.sent}, put back {report.retried}, failed {report.failed}",
                 err=True)
        elif server is None and not no_send:
            echo("config.toml has no [smtp] server: nothing sent", err=True)
        print_table(["id", "ticket", "kind", "to", "state", "tries", "when", "reason"],
                    [[r.id, f"#{r.ticket}", r.kind, r.to_address, r.state, r.attempts,
                      _when(r), r.last_error or ""] for r in rows],
                    give_way=["reason", "to"])
    if report is not None and (report.retried or report.failed):
        raise typer.Exit(NOT_SENT_EXIT)


def _with_progress(total: int, work):
    """``work(progress)`` with a progress bar on a terminal (quiet when piped)."""
    if not output.stdout_is_terminal() or total < 2:
        return work(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  transient=True) as bar:
        task = bar.add_task("sending mail", total=total)
        return work(lambda step: bar.advance(task, step))


def _read_template(path: Path) -> str:
    shown = clean_line(str(path))
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{shown}: is a directory, not a template") from None
    except OSError as exc:
        raise InvalidInput(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{shown}: not UTF-8 text") from None


def _show(found: MailSettingsRead) -> None:
    echo(f"mail:            {'on' if found.enabled else 'off'}")
    echo(f"from:            {clean_line(found.from_address or '-')}")
    echo(f"from name:       {clean_line(found.from_name or '-')}")
    echo(f"acknowledgement: {'on' if found.acknowledge else 'off'}"
         f"{' (custom)' if found.custom_acknowledgement else ' (default)'}")
    echo()
    echo_text(f"Subject: {found.ack_subject}\n\n{found.ack_body}", nl=False)


def settings(
    ctx: typer.Context,
    from_address: Annotated[str | None, typer.Option(
        "--from", metavar="ADDR", help="The address the desk's mail is from.")] = None,
    from_name: Annotated[str | None, typer.Option(
        "--from-name", metavar="NAME", help="The name it is from (\"\" for none).")] = None,
    ack_template: Annotated[Path | None, typer.Option(
        "--ack-template", metavar="FILE",
        help="The acknowledgement: 'Subject: ...', an empty line, then the body; "
             "placeholders as in macros.")] = None,
    on: Annotated[bool | None, typer.Option(
        "--on/--off", help="E-mail public replies (and acknowledgements) or not.")] = None,
    ack: Annotated[bool | None, typer.Option(
        "--ack/--no-ack", help="Acknowledge new e-mail tickets or not.")] = None,
    show: Annotated[bool, typer.Option("--show", help="Show the settings.")] = False,
    json: JsonOpt = False,
) -> None:
    """Show or change the desk's mail settings (admins only); the server is config.toml's
    [smtp]."""
    desk = ctx_obj(ctx).desk()
    changing = (from_address, from_name, ack_template, on, ack) != (None,) * 5
    if changing:
        template = _read_template(ack_template) if ack_template is not None else None
        found = desk.set_mail_settings(
            from_address=from_address, from_name=from_name, enabled=on, acknowledge=ack,
            ack_template=template,
            ack_template_where=clean_line(str(ack_template)) if ack_template else "")
    else:
        found = desk.mail_settings()
    if json:
        print_json(found)
    elif changing and not show:
        echo(f"mail {'on' if found.enabled else 'off'}, from "
             f"{clean_line(found.from_address or '-')}")
    else:
        _show(found)
