"""The mail quarantine: mail the intake could not file, kept whole with the reason.

A mail lands here when it cannot be parsed, breaks a cap (size, header, MIME parts, nesting)
or holds something the desk refuses; the run that met it goes on. The same bytes arriving
again are not kept twice (their SHA-256 is looked up), so importing a mailbox again adds
nothing here either. An agent lists and reads them, retries one (after raising a cap or
fixing the desk: it is filed, and leaves the quarantine in the same transaction) or drops it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from deskterm.db.models import MailQuarantine, key
from deskterm.db.types import utcnow
from deskterm.desk.errors import NotFound
from deskterm.desk.limits import INT_MAX
from deskterm.desk.mail.parse import readable
from deskterm.desk.safe_text import clean_line

MAX_SOURCE = 200
MAX_REASON = 2_000


@dataclass(frozen=True)
class QuarantinedMail:
    """One quarantined mail, without its bytes."""

    id: int
    received_at: datetime
    source: str
    reason: str
    message_id: str | None
    size: int


def shorten_source(source: str) -> str:
    """``source`` on one line, at most :data:`MAX_SOURCE` characters (the middle of a long
    path gives way: its start and its message number stay)."""
    text = clean_line(readable(source))
    if len(text) <= MAX_SOURCE:
        return text
    keep = (MAX_SOURCE - 1) // 2
    return text[:keep] + "…" + text[-(MAX_SOURCE - 1 - keep):]


def _read(row: MailQuarantine, size: int) -> QuarantinedMail:
    return QuarantinedMail(id=key(row), received_at=row.received_at, source=row.source,
                           reason=row.reason, message_id=row.message_id, size=size)


def quarantine(session: Session, raw: bytes, *, source: str, reason: str,
               message_id: str | None = None) -> tuple[QuarantinedMail, bool]:
    """Keep ``raw`` with ``reason``; returns it and whether it is new (False: the same bytes
    were already here, and stay as they were)."""
    digest = hashlib.sha256(raw).hexdigest()
    known = session.exec(select(MailQuarantine).where(MailQuarantine.sha256 == digest)).first()
    if known is not None:
        return _read(known, len(raw)), False
    clean_id = clean_line(readable(message_id))[:998] if message_id else None
    row = MailQuarantine(received_at=utcnow(), source=shorten_source(source),
                         reason=clean_line(readable(reason))[:MAX_REASON] or "unknown",
                         message_id=clean_id or None, sha256=digest, raw=raw)
    session.add(row)
    session.flush()
    return _read(row, len(raw)), True


def list_quarantine(session: Session, *, limit: int = 1_000) -> list[QuarantinedMail]:
    """The quarantined mail, oldest first."""
    rows = session.exec(  # the bytes are deferred: only their length is read
        select(MailQuarantine, func.length(col(MailQuarantine.raw)))
        .order_by(col(MailQuarantine.received_at), col(MailQuarantine.id))
        .limit(limit)
    ).all()
    return [_read(row, size or 0) for row, size in rows]


def quarantined(session: Session, quarantine_id: int) -> tuple[QuarantinedMail, bytes]:
    """One quarantined mail and its bytes; NotFound if there is none."""
    row = session.get(MailQuarantine, quarantine_id) if 1 <= quarantine_id <= INT_MAX else None
    if row is None:
        raise NotFound(f"no quarantined mail {quarantine_id} (see `deskterm mail quarantine "
                       "list`)")
    return _read(row, len(row.raw)), row.raw


def set_reason(session: Session, quarantine_id: int, reason: str) -> None:
    """A retry failed again: the newer reason replaces the older."""
    row = session.get(MailQuarantine, quarantine_id)
    if row is not None:
        row.reason = clean_line(readable(reason))[:MAX_REASON] or "unknown"
        session.add(row)
        session.flush()


def drop(session: Session, quarantine_id: int) -> QuarantinedMail:
    """Remove a quarantined mail for good; returns what it was."""
    read, _ = quarantined(session, quarantine_id)
    row = session.get(MailQuarantine, quarantine_id)
    session.delete(row)
    session.flush()
    return read


__all__ = ["MAX_SOURCE", "QuarantinedMail", "drop", "list_quarantine", "quarantine",
           "quarantined", "set_reason", "shorten_source"]
