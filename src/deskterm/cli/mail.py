"""``deskterm mail``: mail into the desk from mailboxes, and the quarantine.

``mail import mbox PATH`` / ``mail import maildir PATH`` file every message, each whole or not
at all, several a transaction (:meth:`deskterm.desk.service.Desk.import_mailbox`); importing
again adds nothing.
Exit codes: 0 everything filed (or already there, or an auto-reply skipped), 3 something is in
the quarantine, 1 bad input (no such mailbox, a message that could not be read).
``mail outbox`` and ``mail settings`` (the desk's mail going out) are in
:mod:`deskterm.cli.mail_outbox`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli import mail_fetch, mail_outbox
from deskterm.cli.context import ctx_obj
from deskterm.cli.output import (
    echo,
    echo_text,
    error,
    print_json,
    print_table,
    stdout_is_terminal,
)
from deskterm.desk.errors import InvalidInput
from deskterm.desk.safe_text import clean_line

if TYPE_CHECKING:
    from deskterm.desk.mail.intake import Ingested
    from deskterm.desk.service_mail import MailImport

EXIT_QUARANTINED = 3
"""Something was quarantined (or still is): the run went on, the exit code says so."""

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="E-mail: fetch it over IMAP, import mailboxes; the quarantine of mail "
                       "that could not be filed; the outbox and the desk's mail settings.")
import_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                         help="File the mail of an mbox file or a Maildir folder.")
quarantine_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                             help="Mail that could not be filed: list, show, retry, drop.")
app.add_typer(import_app, name="import")
app.add_typer(quarantine_app, name="quarantine")
app.command("fetch")(mail_fetch.fetch)
app.command("outbox")(mail_outbox.outbox)
app.command("settings")(mail_outbox.settings)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
IdArg = Annotated[int, typer.Argument(metavar="ID", min=1, max=2**31 - 1,
                                      help="The quarantined mail's id (see `list`).")]

OUTCOME_WORDS = (
    ("created", "new ticket(s)"),
    ("appended", "answer(s) on tickets"),
    ("duplicate", "already filed"),
    ("auto-reply-appended", "auto-reply(ies) kept on tickets"),
    ("auto-reply-skipped", "auto-reply(ies) skipped"),
    ("quarantined", "quarantined"),
    ("already-quarantined", "already in the quarantine"),
)


@contextmanager
def _progress(description: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal (its total known once the mailbox is counted); nothing
    when piped."""
    if not stdout_is_terminal():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  transient=True) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _import(ctx: typer.Context, kind: str, path: Path, json: bool) -> None:
    desk = ctx_obj(ctx).desk()
    with _progress(f"importing {kind}") as progress:
        report: MailImport = desk.import_mailbox(kind, path, progress=progress)
    for source, reason in report.quarantined:
        error(f"quarantined {source}: {reason}")
    for source, reason in report.still_quarantined:
        error(f"still in the quarantine from an earlier run: {source}: {reason}")
    for source, problem in report.unreadable:
        error(f"{source}: {problem}")
    if json:
        print_json({"messages": report.total, "outcomes": report.outcomes,
                    "quarantined": [{"source": s, "reason": r} for s, r in report.quarantined],
                    "still_quarantined": [{"source": s, "reason": r}
                                          for s, r in report.still_quarantined],
                    "unreadable": [{"source": s, "problem": p} for s, p in report.unreadable]})
    else:
        parts = [f"{report.count(outcome)} {words}" for outcome, words in OUTCOME_WORDS
                 if report.count(outcome)]
        if report.unreadable:
            parts.append(f"{len(report.unreadable)} unreadable")
        echo(f"imported {kind} {clean_line(str(path))}: {report.total} message(s)"
             + (f": {', '.join(parts)}" if parts else ""))
    if report.unreadable:
        raise typer.Exit(1)
    if report.quarantined or report.still_quarantined:
        raise typer.Exit(EXIT_QUARANTINED)


@import_app.command("mbox")
def import_mbox(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="An mbox file.")],
    json: JsonOpt = False,
) -> None:
    """File every message of an mbox file (each whole or not at all; again adds nothing)."""
    _import(ctx, "mbox", path, json)


@import_app.command("maildir")
def import_maildir(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(metavar="PATH", help="A Maildir folder.")],
    json: JsonOpt = False,
) -> None:
    """File every message of a Maildir folder (cur/ and new/; nothing is marked or moved)."""
    _import(ctx, "maildir", path, json)


@quarantine_app.command("list")
def quarantine_list(ctx: typer.Context, json: JsonOpt = False) -> None:
    """The quarantined mail, oldest first, with why each could not be filed."""
    kept = ctx_obj(ctx).desk().mail_quarantine()
    if json:
        print_json(kept)
        return
    if not kept:
        echo("the quarantine is empty")
        return
    print_table(["ID", "RECEIVED", "SOURCE", "SIZE", "REASON"],
                [[q.id, q.received_at.strftime("%Y-%m-%d %H:%M"), q.source, q.size, q.reason]
                 for q in kept], give_way=("REASON", "SOURCE"))


@quarantine_app.command("show")
def quarantine_show(
    ctx: typer.Context,
    quarantine_id: IdArg,
    save: Annotated[Path | None, typer.Option(
        "--save", metavar="FILE", help="Write the mail's bytes, as they came, to FILE "
        "(refused if FILE exists).")] = None,
    json: JsonOpt = False,
) -> None:
    """One quarantined mail: why, from where, and its text (cleaned for the terminal)."""
    kept, raw = ctx_obj(ctx).desk().quarantined_mail(quarantine_id)
    if save is not None:
        try:
            with save.open("xb") as file:
                file.write(raw)
        except FileExistsError:
            raise InvalidInput(f"--save {clean_line(str(save))}: the file exists; nothing "
                               "was written") from None
        except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
            reason = getattr(exc, "strerror", None) or clean_line(str(exc))
            raise InvalidInput(f"--save {clean_line(str(save))}: cannot be written "
                               f"({reason})") from None
    if json:
        print_json({**_as_dict(kept), "raw": raw.decode("utf-8", "replace")})
        return
    echo(f"quarantined mail {kept.id}, received {kept.received_at.isoformat()}")
    echo(f"source: {kept.source}")
    echo(f"reason: {kept.reason}")
    echo(f"Message-ID: {kept.message_id or '-'}")
    echo(f"size: {kept.size:,} bytes")
    echo()
    echo_text(raw.decode("utf-8", "replace"))


def _as_dict(kept: object) -> dict[str, object]:
    from dataclasses import asdict

    return asdict(kept)  # type: ignore[call-overload]  # a dataclass read model


def _said(result: Ingested) -> str:
    if result.outcome == "quarantined":
        return f"still quarantined: {result.reason}"
    if result.ticket_number is None:
        return f"{result.outcome}: {result.reason or 'nothing filed'}"
    return f"{result.outcome}: #{result.ticket_number}"


@quarantine_app.command("retry")
def quarantine_retry(ctx: typer.Context, quarantine_id: IdArg, json: JsonOpt = False) -> None:
    """File a quarantined mail again (it leaves the quarantine once filed)."""
    result = ctx_obj(ctx).desk().retry_quarantined(quarantine_id)
    if json:
        print_json(result)
    else:
        echo(f"mail {quarantine_id}: {_said(result)}")
    if result.outcome == "quarantined":
        raise typer.Exit(EXIT_QUARANTINED)


@quarantine_app.command("drop")
def quarantine_drop(ctx: typer.Context, quarantine_id: IdArg) -> None:
    """Remove a quarantined mail for good."""
    kept = ctx_obj(ctx).desk().drop_quarantined(quarantine_id)
    echo(f"dropped quarantined mail {kept.id} ({kept.source})")
