"""Sending the outbox: claim what is due, send it outside any transaction, record what happened.

:func:`drain` is what ``deskterm mail outbox``, a running console and ``mail fetch --watch``
call. Each round claims up to :data:`BATCH` due mails in one short write transaction
(PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so two senders never take the same row; SQLite:
``BEGIN IMMEDIATE`` already lets one writer in at a time), marking them ``sending`` with this
sender's token and the time. The mails go out over one SMTP connection, and each outcome is
written in its own transaction, only if the row is still this sender's claim:

- accepted by the server: ``sent`` (never sent again);
- refused for good (a 5xx answer to the sender, the recipient or the data): ``failed`` with the
  server's reason;
- anything else (a 4xx answer, the server unreachable, a refused login, a timeout): ``queued``
  again, due after a backoff of 1 minute doubling up to 1 hour; after :data:`MAX_ATTEMPTS`
  attempts (about a day) ``failed``, saying so. ``mail outbox --retry`` sends failed mail again.

A sender that dies between the send and its record leaves the row ``sending``; after
:data:`LEASE` another sender may take it. That one case can send a mail twice (the server took
it, nobody wrote so down); it carries the same Message-ID both times, which mail programs use to
show it once. Nothing is ever dropped: a mail leaves the outbox only as ``sent`` or ``failed``.
"""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesHeaderParser
from typing import Literal

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from deskterm.config_mail import MailConfigError, MailServer
from deskterm.db.engine import Store
from deskterm.db.models import OutboxMail, key
from deskterm.db.types import utcnow
from deskterm.desk.safe_text import message_line

BATCH = 10
"""Mails claimed at a time (sent over one connection)."""
LEASE = timedelta(minutes=15)
"""How long a claim holds: longer than a batch can take (:data:`TIMEOUT` per step)."""
TIMEOUT = 30.0
"""Seconds the SMTP connection waits for the server at each step."""
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)
MAX_ATTEMPTS = 30
"""Attempts before a mail the server keeps refusing for now is ``failed``: 1+2+4+...+32
minutes, then hourly, is about a day."""

Outcome = Literal["sent", "retry", "failed"]


def backoff(attempts: int) -> timedelta:
    """How long a mail waits after its ``attempts``-th failed attempt."""
    doublings = min(max(attempts - 1, 0), 20)
    return min(FIRST_BACKOFF * (1 << doublings), MAX_BACKOFF)


def sender_token() -> str:
    """Who claims: this host and process, and a random part (one per drain)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Claimed:
    id: int
    raw: bytes
    to_address: str
    attempts: int


@dataclass
class DrainReport:
    """What a drain did: how many were sent, put back for later, or failed for good, and the
    reasons (one line each, by outbox id)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    reasons: dict[int, str] = field(default_factory=dict)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


def _due(now: datetime, *, retry: bool) -> ColumnElement[bool]:
    lease_over = and_(col(OutboxMail.state) == "sending", col(OutboxMail.claimed_at) < now - LEASE)
    if retry:
        return or_(col(OutboxMail.state) == "queued", lease_over,
                   and_(col(OutboxMail.state) == "failed", col(OutboxMail.raw).is_not(None)))
    return or_(and_(col(OutboxMail.state) == "queued", col(OutboxMail.next_attempt_at) <= now),
               lease_over)


def has_due(session: Session, *, now: datetime | None = None) -> bool:
    """Whether anything is due now (a read: a console asks before it claims)."""
    return session.exec(select(OutboxMail.id).where(_due(now or utcnow(), retry=False))
                        .limit(1)).first() is not None


def claim(session: Session, *, token: str, now: datetime, retry: bool = False,
          limit: int = BATCH, after: int = 0) -> list[Claimed]:
    """Up to ``limit`` due mails (of ids above ``after``), now this sender's (``sending``);
    with ``retry``, queued mail not yet due and failed mail too (a failed one starts its
    attempts again)."""
    rows = session.exec(
        select(OutboxMail).where(_due(now, retry=retry), col(OutboxMail.id) > after)
        .order_by(col(OutboxMail.id)).limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for row in rows:
        if row.raw is None:  # never composed: nothing to send (its reason says why)
            row.state = "failed"
            session.add(row)
            continue
        if row.state == "failed":
            row.attempts = 0
        row.state, row.claimed_by, row.claimed_at = "sending", token, now
        session.add(row)
        claimed.append(Claimed(key(row), row.raw, row.to_address, row.attempts))
    session.flush()
    return claimed


def record(session: Session, *, outbox_id: int, token: str, outcome: Outcome,
           reason: str | None, now: datetime) -> bool:
    """Write what became of a claimed mail, if it is still this sender's claim (False: the
    claim was lost, another sender has it)."""
    row = session.exec(select(OutboxMail).where(OutboxMail.id == outbox_id)
                       .with_for_update()).first()
    if row is None or row.state != "sending" or row.claimed_by != token:
        return False
    row.claimed_by, row.claimed_at = None, None
    if outcome == "sent":
        row.state, row.sent_at = "sent", now
        row.attempts += 1
    else:
        row.attempts += 1
        row.last_error = (reason or "unknown error")[:500]
        if outcome == "failed":
            row.state = "failed"
        elif row.attempts >= MAX_ATTEMPTS:
            row.state = "failed"
            row.last_error = f"gave up after {row.attempts} attempts: {row.last_error}"[:500]
        else:
            row.state, row.next_attempt_at = "queued", now + backoff(row.attempts)
    session.add(row)
    return True


# --- SMTP ---------------------------------------------------------------------------------------


class ServerUnavailable(Exception):
    """The server could not be reached or refused the login: every mail waits."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{code} {_text(text)}" for code, text in exc.recipients.values()]
        return message_line("recipient refused: " + "; ".join(parts))
    if isinstance(exc, smtplib.SMTPResponseException):
        return message_line(f"{exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, ssl.SSLError):
        return message_line(f"TLS: {exc.reason or exc}")
    if isinstance(exc, OSError) and exc.strerror:
        return message_line(exc.strerror)
    return message_line(str(exc)) or type(exc).__name__


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _permanent(exc: BaseException) -> bool:
    """A 5xx answer about this mail: sending it again will not help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return False


def connect(server: MailServer) -> smtplib.SMTP:
    """A logged-in SMTP connection to ``server`` (TLS, STARTTLS or none as configured);
    ServerUnavailable with one line (never the password) if it cannot be had."""
    connection: smtplib.SMTP | None = None
    try:
        context = server.tls_context()
        if server.security == "tls":
            connection = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT,
                                          context=context)
        else:
            connection = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT)
            if server.security == "starttls":
                connection.starttls(context=context)
        if server.user is not None:
            password = server.password()
            connection.login(server.user, password or "")
        return connection
    except MailConfigError as exc:
        _close(connection)
        raise ServerUnavailable(message_line(str(exc))) from None
    except smtplib.SMTPAuthenticationError as exc:
        _close(connection)
        raise ServerUnavailable(f"{server.address}: login refused: {_reason(exc)}") from None
    except (OSError, smtplib.SMTPException) as exc:
        _close(connection)
        raise ServerUnavailable(f"{server.address}: {_reason(exc)}") from None


def _close(connection: smtplib.SMTP | None) -> None:
    if connection is None:
        return
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


def envelope_sender(raw: bytes) -> str:
    """The address the mail is from (its ``From``), for the SMTP envelope."""
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    addresses = getattr(headers["From"], "addresses", ())
    return addresses[0].addr_spec if addresses else ""


def send_one(connection: smtplib.SMTP, mail: Claimed) -> tuple[Outcome, str | None]:
    """Hand one mail to the server: ``sent``, ``retry`` or ``failed`` with the reason.
    A connection that broke raises (the caller opens another for the next mail)."""
    try:
        refused = connection.sendmail(envelope_sender(mail.raw), [mail.to_address], mail.raw)
    except smtplib.SMTPServerDisconnected:
        raise
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
        # (an SMTPException is an OSError too: only the server's answers are caught here)
        return ("failed" if _permanent(exc) else "retry"), _reason(exc)
    if refused:  # one recipient only: sendmail raises when it is refused; kept for safety
        return "retry", message_line(f"recipient refused: {refused}")
    return "sent", None


def drain(store: Store, server: MailServer, *, retry: bool = False, limit: int | None = None,
          connect_to: Callable[[MailServer], smtplib.SMTP] = connect,
          progress: Callable[[int], None] | None = None,
          clock: Callable[[], datetime] = utcnow) -> DrainReport:
    """Send what is due in the outbox through ``server`` (with ``retry``: everything waiting,
    failed mail too); stops when nothing is due or after ``limit`` mails. ``progress`` is told
    each mail handled; ``clock`` is what "now" is (a test moves it on)."""
    report = DrainReport()
    token = sender_token()
    connection: smtplib.SMTP | None = None
    after = 0  # each mail is tried once per drain
    try:
        while limit is None or report.handled < limit:
            now = clock()
            size = BATCH if limit is None else min(BATCH, limit - report.handled)

            def claiming(session: Session, now: datetime = now, size: int = size,
                         after: int = after) -> list[Claimed]:
                return claim(session, token=token, now=now, retry=retry, limit=size,
                             after=after)

            batch = store.write(claiming, quiet=True)
            if not batch:
                break
            after = batch[-1].id
            for position, mail in enumerate(batch):
                outcome: Outcome
                try:
                    if connection is None:
                        connection = connect_to(server)
                    outcome, reason = send_one(connection, mail)
                except ServerUnavailable as down:
                    # Every mail of the batch waits for the server: one attempt each.
                    for rest in batch[position:]:
                        _record(store, report, rest, token, "retry", str(down), clock)
                        if progress is not None:
                            progress(1)
                    return report
                except (smtplib.SMTPServerDisconnected, OSError) as broken:
                    _close(connection)
                    connection = None
                    outcome, reason = "retry", f"{server.address}: {_reason(broken)}"
                _record(store, report, mail, token, outcome, reason, clock)
                if progress is not None:
                    progress(1)
    finally:
        _close(connection)
    return report


def _record(store: Store, report: DrainReport, mail: Claimed, token: str, outcome: Outcome,
            reason: str | None, clock: Callable[[], datetime]) -> None:
    kept = store.write(lambda session: record(session, outbox_id=mail.id, token=token,
                                              outcome=outcome, reason=reason, now=clock()))
    if not kept:
        return
    if outcome == "sent":
        report.sent += 1
    elif outcome == "failed" or mail.attempts + 1 >= MAX_ATTEMPTS:
        report.failed += 1
    else:
        report.retried += 1
    if reason is not None:
        report.reasons[mail.id] = reason


__all__ = ["BATCH", "LEASE", "MAX_ATTEMPTS", "Claimed", "DrainReport", "ServerUnavailable",
           "backoff", "claim", "connect", "drain", "has_due", "record", "send_one",
           "sender_token"]
