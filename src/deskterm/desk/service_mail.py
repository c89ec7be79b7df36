"""The desk's use cases on incoming mail: file one mail, import a mailbox, the quarantine.

One mail is filed whole or not at all. :meth:`MailCases.ingest_mail` files one in a
transaction of its own; a mailbox import and ``mail fetch`` file many through a
:class:`MailFiling`: one transaction holds up to :data:`BATCH_MAILS` mails or
:data:`BATCH_SECONDS` of work, each mail in a savepoint of its own (on PostgreSQL each commit
waits for the server's disk flush: one a mail held the import at 86-233 msg/s; see
:mod:`deskterm.db.batch`). A mail the intake refuses
(:class:`~deskterm.desk.mail.intake.Unparsable`, a cap, a value the desk or the database
refuses) is rolled back to its savepoint, so nothing of it stays and the mails before it do,
and kept whole in the quarantine; the run goes on. A mail counts as stored (an IMAP message
marked seen) only once the commit that holds it is done. Mail arrives as the desk, not as
the agent running the import: its events have no acting agent; any agent of the desk may
run it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session

from deskterm import lazy
from deskterm.db.batch import WriteBatch
from deskterm.db.engine import is_retryable
from deskterm.desk.errors import DeskError
from deskterm.desk.service_core import DeskCore

if TYPE_CHECKING:
    from deskterm.db.models import MailSettings
    from deskterm.desk.mail import intake, mailboxes, outbox
    from deskterm.desk.mail import quarantine as mail_quarantine
    from deskterm.desk.mail import settings as mail_settings
    from deskterm.desk.mail.intake import Ingested
    from deskterm.desk.mail.parse import MailCaps
    from deskterm.desk.mail.quarantine import QuarantinedMail
else:
    intake = lazy.module("deskterm.desk.mail.intake")
    mailboxes = lazy.module("deskterm.desk.mail.mailboxes")
    outbox = lazy.module("deskterm.desk.mail.outbox")
    mail_quarantine = lazy.module("deskterm.desk.mail.quarantine")
    mail_settings = lazy.module("deskterm.desk.mail.settings")

Progress = Callable[[int, int], None]
"""``progress(done, total)`` after each message of an import."""
BATCH_MAILS = 100
"""Mails a transaction of :class:`MailFiling` holds at most."""
BATCH_SECONDS = 0.2
"""Seconds of filing after which a :class:`MailFiling` commits (an open console sees new mail
that soon; a SQLite desk's other writers wait at most that long for its lock)."""


@dataclass
class MailImport:
    """What an import of a mailbox did: how many mails had each outcome, and the problems."""

    total: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    """(source, reason) of each mail quarantined in this run."""
    still_quarantined: list[tuple[str, str]] = field(default_factory=list)
    """(source, reason) of each mail that was already in the quarantine."""
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    """(source, problem) of each message the mailbox could not give."""

    def count(self, outcome: str) -> int:
        return self.outcomes.get(outcome, 0)


class MailCases(DeskCore):
    """Filing incoming mail, and the quarantine."""

    def on_ingested(self, session: Session, ingested: Ingested) -> None:
        """Called in the mail's transaction after it was filed: the acknowledgement of a new
        ticket (``ingested.acknowledge``) is queued in the outbox, with the ticket or not at
        all."""
        if ingested.acknowledge and ingested.ticket_number is not None:
            mail_settings.queue_acknowledgement(session, ingested.ticket_number)

    def ingest_mail(self, raw: bytes, *, source: str,
                    caps: MailCaps | None = None) -> Ingested:
        """File one mail in one transaction; quarantine it (in its own) if it is refused.
        A mail already filed costs one read."""
        limits = caps or intake.DEFAULT_CAPS

        def filing(session: Session, _actor: object) -> Ingested:
            # Seen before: answered from the header's Message-ID before anything is parsed,
            # and the transaction rolled back (no write, no change announced). Asked in the
            # write transaction rather than a read of its own: a new mail pays one
            # transaction, not two.
            seen = intake.already_filed(session, raw)
            if seen is not None:
                raise _AlreadyFiled(seen)
            ingested = intake.ingest(session, raw, source=source, caps=limits)
            self.on_ingested(session, ingested)
            return ingested

        try:
            return self._writing(filing)
        except _AlreadyFiled as seen:
            return seen.ingested
        except intake.Unparsable as exc:
            return self._quarantine(raw, source, exc.reason, exc.message_id)
        except IntegrityError:
            # Another process filed the same Message-ID at the same moment: it is there now.
            try:
                return self._writing(filing)
            except _AlreadyFiled as seen:
                return seen.ingested
            except (DeskError, DataError, IntegrityError) as again:
                return self._quarantine(raw, source, _refusal(again),
                                        intake.header_message_id(raw))
        except (DeskError, DataError) as exc:
            return self._quarantine(raw, source, _refusal(exc), intake.header_message_id(raw))

    def _quarantine(self, raw: bytes, source: str, reason: str,
                    message_id: str | None) -> Ingested:
        kept, new = self._writing(lambda session, _actor: mail_quarantine.quarantine(
            session, raw, source=source, reason=reason, message_id=message_id))
        return intake.Ingested("quarantined" if new else "already-quarantined", None, None,
                               acknowledge=False, reason=kept.reason, quarantine_id=kept.id)

    def import_mailbox(self, kind: str, path: Path, *,
                       progress: Progress | None = None) -> MailImport:
        """File every message of an mbox file or a Maildir folder (through a
        :class:`MailFiling`); a second import of the same mailbox adds nothing."""
        reader = mailboxes.MailboxReader(kind, path)
        self.actor  # noqa: B018  (a stranger is refused before the first message is read)
        report = MailImport(total=len(reader))
        try:
            with self.mail_filing() as filing:
                for done, item in enumerate(reader, start=1):
                    if item.raw is None:
                        report.unreadable.append((item.source, item.problem or "unreadable"))
                    else:
                        ingested = filing.file(item.raw, item.source)
                        filing.commit_if_due()
                        report.outcomes[ingested.outcome] = report.count(ingested.outcome) + 1
                        if ingested.outcome == "quarantined":
                            report.quarantined.append((item.source, ingested.reason or ""))
                        elif ingested.outcome == "already-quarantined":
                            report.still_quarantined.append(
                                (item.source, ingested.reason or ""))
                    if progress is not None:
                        progress(done, report.total)
        finally:
            reader.close()
        return report

    def mail_filing(self, *, caps: MailCaps | None = None, mails: int = BATCH_MAILS,
                    seconds: float = BATCH_SECONDS) -> MailFiling:
        """Many mails filed in few transactions (see :class:`MailFiling`); the mail settings
        are read once for all of them."""
        self.actor  # noqa: B018  (a stranger is refused before anything is filed)
        with self._reading() as session:
            settings = outbox.sending_settings(session)
        return MailFiling(self, caps, settings=settings, mails=mails, seconds=seconds)

    # --- the quarantine ----------------------------------------------------------------------

    def mail_quarantine(self, *, limit: int = 1_000) -> list[QuarantinedMail]:
        """The quarantined mail, oldest first."""
        with self._reading() as session:
            return mail_quarantine.list_quarantine(session, limit=limit)

    def quarantined_mail(self, quarantine_id: int) -> tuple[QuarantinedMail, bytes]:
        """One quarantined mail with its bytes."""
        with self._reading() as session:
            return mail_quarantine.quarantined(session, quarantine_id)

    def retry_quarantined(self, quarantine_id: int, *,
                          caps: MailCaps | None = None) -> Ingested:
        """File a quarantined mail again; filed, it leaves the quarantine in the same
        transaction. Refused again, it stays, with the new reason."""
        kept, raw = self.quarantined_mail(quarantine_id)
        limits = caps or intake.DEFAULT_CAPS

        def filing(session: Session, _actor: object) -> Ingested:
            ingested = intake.ingest(session, raw, source=kept.source, caps=limits)
            self.on_ingested(session, ingested)
            mail_quarantine.drop(session, quarantine_id)
            return ingested

        try:
            return self._writing(filing)
        except intake.Unparsable as exc:
            reason = exc.reason
        except (DeskError, DataError, IntegrityError) as exc:
            reason = _refusal(exc)
        self._writing(lambda session, _actor: mail_quarantine.set_reason(
            session, quarantine_id, reason))
        return intake.Ingested("quarantined", None, None, acknowledge=False, reason=reason,
                               quarantine_id=quarantine_id)

    def drop_quarantined(self, quarantine_id: int) -> QuarantinedMail:
        """Remove a quarantined mail for good."""
        return self._writing(lambda session, _actor: mail_quarantine.drop(
            session, quarantine_id))


class MailFiling:
    """Mails filed one by one into a shared transaction, each in a savepoint of its own,
    committed by :meth:`commit` or :meth:`commit_if_due`; a context manager (committed at
    the end, rolled back if an exception ends it: those mails are filed by the next run).

    Threading and the seen-before check see the mails of the open transaction as they see
    stored mail: an answer later in the same mailbox threads to the ticket an earlier mail
    of the same batch opened, and the same Message-ID twice is a duplicate."""

    def __init__(self, cases: MailCases, caps: MailCaps | None, *,
                 settings: MailSettings | None, mails: int = BATCH_MAILS,
                 seconds: float = BATCH_SECONDS) -> None:
        self._cases = cases
        self._caps = caps or intake.DEFAULT_CAPS
        self._settings = settings
        self._batch = WriteBatch(cases.store)
        self.mails = mails
        self.seconds = seconds

    def file(self, raw: bytes, source: str) -> Ingested:
        """File one mail (from ``source``) in the open transaction, or quarantine it there;
        it is stored once the transaction is committed."""
        # Seen before: answered from the header's Message-ID before anything is parsed, a
        # read outside any savepoint (a mailbox imported again pays one statement a mail).
        message_id = intake.header_message_id(raw)
        if message_id is not None:
            seen = self._batch.read(lambda session: intake.filed(session, message_id))
            if seen is not None:
                return seen
        try:
            try:
                return self._batch.run(self._filing(raw, source, checked_id=message_id))
            except IntegrityError:
                # Another process filed the same Message-ID at the same moment: it is
                # there now (its savepoint rolled back, the batch goes on).
                try:
                    return self._batch.run(self._filing(raw, source, check_seen=True))
                except _AlreadyFiled as found:
                    return found.ingested
                except (DeskError, DataError, IntegrityError) as again:
                    return self._quarantine(raw, source, _refusal(again),
                                            intake.header_message_id(raw))
            except intake.Unparsable as exc:
                return self._quarantine(raw, source, exc.reason, exc.message_id)
            except (DeskError, DataError) as exc:
                return self._quarantine(raw, source, _refusal(exc), message_id)
        except Exception as exc:
            if not is_retryable(exc):
                raise
        # A deadlock, a busy file, a requester made by another process meanwhile: commit what
        # the batch holds (the other writer goes on) and file this mail alone, retried.
        self.commit()
        return self._cases.ingest_mail(raw, source=source, caps=self._caps)

    def _filing(self, raw: bytes, source: str, *, check_seen: bool = False,
                checked_id: str | None = None) -> Callable[[Session], Ingested]:
        def filing(session: Session) -> Ingested:
            if check_seen:
                seen = intake.already_filed(session, raw)
                if seen is not None:
                    raise _AlreadyFiled(seen)
            outbox.use_settings(session, self._settings)
            ingested = intake.ingest(session, raw, source=source, caps=self._caps,
                                     checked_id=checked_id)
            self._cases.on_ingested(session, ingested)
            return ingested

        return filing

    def _quarantine(self, raw: bytes, source: str, reason: str,
                    message_id: str | None) -> Ingested:
        kept, new = self._batch.run(lambda session: mail_quarantine.quarantine(
            session, raw, source=source, reason=reason, message_id=message_id))
        return intake.Ingested("quarantined" if new else "already-quarantined", None, None,
                               acknowledge=False, reason=kept.reason, quarantine_id=kept.id)

    @property
    def due(self) -> bool:
        """The open transaction holds :attr:`mails` mails or is :attr:`seconds` old."""
        return self._batch.units >= self.mails or self._batch.age >= self.seconds

    def commit_if_due(self) -> bool:
        """Commit if :attr:`due`; True if it did (every mail filed so far is stored)."""
        if not self.due:
            return False
        self.commit()
        return True

    def commit(self) -> None:
        """Store every mail filed so far."""
        self._batch.commit()

    def __enter__(self) -> MailFiling:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._batch.__exit__(kind, exc, tb)


class _AlreadyFiled(Exception):
    """A mail found filed: its write transaction ends without a write."""

    def __init__(self, ingested: Ingested) -> None:
        super().__init__(ingested.outcome)
        self.ingested = ingested


def _refusal(exc: Exception) -> str:
    """Why the desk or the database refused a mail, as one line (never the statement)."""
    if isinstance(exc, DeskError):
        return f"the desk refused it: {exc}"
    orig = getattr(exc, "orig", None)
    first = str(orig or exc).strip().splitlines()
    return f"the database refused it: {first[0] if first else type(exc).__name__}"


__all__ = ["BATCH_MAILS", "BATCH_SECONDS", "MailCases", "MailFiling", "MailImport", "Progress"]
