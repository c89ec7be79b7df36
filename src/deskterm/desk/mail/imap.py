"""Reading the desk's mailbox over IMAP (``deskterm mail fetch``).

One run: connect (TLS from the first byte, STARTTLS before the login, or none on this machine
only), log in with the password read now, select the folder, list the UIDs of unseen messages,
and fetch them in batches with ``BODY.PEEK[]`` (reading does not mark them seen). Each message
is handed to a :class:`Filing` (the use case :class:`~deskterm.desk.service_mail_filing.MailFiling`:
each message in a savepoint of a transaction shared by several; what cannot be parsed goes to
the quarantine). Only after the commit that holds them are messages marked ``\\Seen`` (or
moved to ``move_to``: MOVE where the server has it, else COPY, ``\\Deleted`` and an expunge
of those UIDs): each fetched batch is committed before the next is fetched, so no transaction
waits on the network. A crash in between leaves a message unseen: the
next run fetches it again and intake skips it as a duplicate (its Message-ID is stored), so a
run can be repeated or interrupted at any point without a second ticket.

Every failure (unreachable, refused certificate, refused login, missing folder, a server
error) is one :class:`ImapFailure` line naming the server; the password is never in it.
"""

from __future__ import annotations

import socket
import ssl
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from deskterm.config_mail import MailConfigError, MailServer
from deskterm.desk.errors import DeskError
from deskterm.desk.safe_text import message_line

BATCH = 25
"""Messages fetched per round trip (and marked seen together once all of them are stored)."""
BATCH_BYTES = 16 * 1024 * 1024
"""A batch also stops growing at this many bytes (by the sizes the server lists)."""
TIMEOUT = 60.0
"""Seconds a connection may wait on the server."""
SEEN = b"\\Seen"
QUARANTINED = ("quarantined", "already-quarantined")
"""The outcomes :meth:`Desk.ingest_mail` gives a message it kept in the quarantine."""


class ImapFailure(DeskError):
    """The mail server could not be read: one line naming it, never the password."""


class Ingested(Protocol):
    """What ingesting one message tells (``deskterm.desk.mail.intake.Ingested``)."""

    @property
    def outcome(self) -> str: ...

    @property
    def reason(self) -> str | None: ...


class Filing(Protocol):
    """Messages onto the desk (``deskterm.desk.service_mail_filing.MailFiling``)."""

    def look_ahead(self, raws: list[bytes]) -> None:
        """Whether the next messages are stored already, looked up in one statement."""

    def file(self, raw: bytes, source: str) -> Ingested:
        """One message filed in the open transaction (stored at its commit)."""

    def commit_if_due(self) -> bool:
        """Commit if the open transaction is full or old enough; True if it did."""

    def commit(self) -> None:
        """Store every message filed so far."""


@dataclass
class FetchReport:
    """What one run did."""

    server: str
    folder: str
    outcomes: Counter[str] = field(default_factory=Counter)
    """How many messages had each outcome (created, appended, duplicate, quarantined ...)."""
    left: int = 0
    """Unseen messages left on the server for a later run (``--limit``)."""
    quarantined_mail: list[tuple[str, str]] = field(default_factory=list)
    """(source, reason) of each message kept in the quarantine."""

    @property
    def fetched(self) -> int:
        return sum(self.outcomes.values())

    @property
    def quarantined(self) -> int:
        return sum(self.outcomes.get(outcome, 0) for outcome in QUARANTINED)


def fetch(server: MailServer, filing: Filing, *, folder: str | None = None,
          limit: int | None = None,
          progress: Callable[[int, int], None] | None = None) -> FetchReport:
    """Put the unseen messages of ``folder`` (default: the server's) onto the desk, oldest
    first, at most ``limit``; ``progress(done, total)`` after each. ImapFailure for a server
    that cannot be read; what ``filing`` raises stops the run (the messages committed before
    it are marked as done first; those of the open transaction stay unseen)."""
    folder = folder or server.folder
    where = f"imap {server.address}"
    report = FetchReport(server=server.address, folder=folder)
    with _connected(server, where) as client:
        _select(client, folder, where)
        if server.after == "move":
            _ensure_folder(client, server.move_to or "", where)
        sizes = _unseen(client, where)
        chosen = sorted(sizes)
        if limit is not None:
            report.left = max(0, len(chosen) - limit)
            chosen = chosen[:limit]
        total = len(chosen)
        for batch in _batches(chosen, sizes):
            done: list[int] = []  # committed: marked seen (or moved) at the end of the batch
            filed: list[int] = []  # in the open transaction
            try:
                found = _call(where, partial(client.fetch, batch, ["BODY.PEEK[]"]))
                filing.look_ahead([raw for data in found.values()
                                   if isinstance(raw := data.get(b"BODY[]"), bytes)])
                for uid in batch:
                    data = found.get(uid)
                    raw = data.get(b"BODY[]") if data else None
                    if not isinstance(raw, bytes):
                        continue  # expunged by another client meanwhile
                    source = f"imap:{server.host}/{folder} uid {uid}"
                    result = filing.file(raw, source)
                    filed.append(uid)
                    if filing.commit_if_due():
                        done, filed = done + filed, []
                    report.outcomes[result.outcome] += 1
                    if result.outcome in QUARANTINED:
                        report.quarantined_mail.append((source, result.reason or ""))
                    if progress is not None:
                        progress(report.fetched, total)
                filing.commit()
                done, filed = done + filed, []
            finally:
                if done:
                    _after(client, server, done, where)
    return report


# -- the connection ----------------------------------------------------------------------------


@contextmanager
def _connected(server: MailServer, where: str) -> Iterator[IMAPClient]:
    """A logged-in client; logged out (quietly) at the end."""
    password = server.password()  # a MailConfigError (unset variable, open file) comes first
    if server.user is None or password is None:
        raise ImapFailure(f"{server.where}: user: is missing (the desk's mailbox login)")
    try:
        context = server.tls_context() if server.security != "none" else None
    except MailConfigError as exc:
        raise ImapFailure(f"{where}: {exc}") from None
    try:
        client = IMAPClient(server.host, port=server.port, ssl=server.security == "tls",
                            ssl_context=context, timeout=TIMEOUT)
    except Exception as exc:
        raise _failure(exc, where, password) from None
    try:
        try:
            if server.security == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise ImapFailure(f"{where}: the server does not offer STARTTLS (use "
                                      "security = \"tls\" with its TLS port)")
                client.starttls(context)
            client.login(server.user, password)
        except ImapFailure:
            raise
        except LoginError:
            raise ImapFailure(f"{where}: login refused for user '{server.user}' (check the "
                              "user and the password)") from None
        except Exception as exc:
            raise _failure(exc, where, password) from None
        yield client
    finally:
        try:
            client.logout()
        except Exception:  # already closed or broken: nothing more to say
            with suppress(Exception):
                client.shutdown()


def _failure(exc: BaseException, where: str, password: str) -> ImapFailure:
    """One line for what went wrong talking to the server."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = f"the server's certificate is not trusted ({exc.verify_message}); give its " \
                 "CA as ca_file"
    elif isinstance(exc, ssl.SSLError):
        reason = f"TLS failed ({exc.reason or exc})"
    elif isinstance(exc, socket.gaierror):
        reason = f"unknown host ({exc.strerror})"
    elif isinstance(exc, TimeoutError | socket.timeout):
        reason = "no answer (timed out)"
    elif isinstance(exc, OSError):
        reason = f"cannot connect ({exc.strerror or exc})"
    elif isinstance(exc, IMAPClientError):
        reason = f"the server said: {_text(exc)}"
    else:
        reason = f"{type(exc).__name__}: {_text(exc)}"
    line = message_line(f"{where}: {reason}")
    if password:
        line = line.replace(password, "***")
    return ImapFailure(line)


def _text(exc: BaseException) -> str:
    value = exc.args[0] if exc.args else exc
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _call(where: str, command: Callable[[], Any]) -> Any:
    """A command after the login, its failure as one line."""
    try:
        return command()
    except ImapFailure:
        raise
    except (IMAPClientError, OSError) as exc:
        raise _failure(exc, where, "") from None


# -- the mailbox ---------------------------------------------------------------------------------


def _select(client: IMAPClient, folder: str, where: str) -> None:
    try:
        client.select_folder(folder)
    except IMAPClientError as exc:
        raise ImapFailure(message_line(f"{where}: folder '{folder}' cannot be opened "
                                       f"({_text(exc)})")) from None
    except OSError as exc:
        raise _failure(exc, where, "") from None


def _ensure_folder(client: IMAPClient, folder: str, where: str) -> None:
    """The folder messages are moved to, made if the mailbox has none of that name."""
    if not _call(where, lambda: client.folder_exists(folder)):
        _call(where, lambda: client.create_folder(folder))


def _unseen(client: IMAPClient, where: str) -> dict[int, int]:
    """UID -> size of every unseen message not marked for deletion."""
    uids = _call(where, lambda: client.search(["UNSEEN", "UNDELETED"]))
    sizes: dict[int, int] = {}
    for start in range(0, len(uids), 1000):
        part = list(uids[start:start + 1000])
        found = _call(where, partial(client.fetch, part, ["RFC822.SIZE"]))
        for uid, data in found.items():
            size = data.get(b"RFC822.SIZE")
            sizes[int(uid)] = int(size) if isinstance(size, int) else 0
    return sizes


def _batches(uids: Sequence[int], sizes: dict[int, int]) -> Iterator[list[int]]:
    batch: list[int] = []
    weight = 0
    for uid in uids:
        if batch and (len(batch) >= BATCH or weight + sizes.get(uid, 0) > BATCH_BYTES):
            yield batch
            batch, weight = [], 0
        batch.append(uid)
        weight += sizes.get(uid, 0)
    if batch:
        yield batch


def _after(client: IMAPClient, server: MailServer, uids: list[int], where: str) -> None:
    """The stored messages marked seen, or moved to ``move_to``."""
    if server.after == "move" and server.move_to:
        target = server.move_to
        if client.has_capability("MOVE"):
            _call(where, lambda: client.move(uids, target))
            return
        _call(where, lambda: client.copy(uids, target))
        _call(where, lambda: client.add_flags(uids, [SEEN, b"\\Deleted"]))
        if client.has_capability("UIDPLUS"):
            _call(where, lambda: client.uid_expunge(uids))
        else:  # expunges every \Deleted message of the folder: the only way without UIDPLUS
            _call(where, lambda: client.expunge())
        return
    _call(where, lambda: client.add_flags(uids, [SEEN]))
