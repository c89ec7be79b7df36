"""The desk's use cases on incoming mail: file one mail, import a mailbox, the quarantine.

One mail is filed whole or not at all. :meth:`MailCases.ingest_mail` files one in a
transaction of its own; a mailbox import and ``mail fetch`` file many a transaction through a
:class:`~deskterm.desk.service_mail_filing.MailFiling` (a commit waits for the disk). A mail
the intake refuses (:class:`~deskterm.desk.mail.intake.Unparsable`, a cap, a value the desk
or the database refuses) is rolled back and kept whole in the quarantine, and the run goes
on. Mail arrives as the desk, not as the agent running the import: its events have no acting
agent; any agent of the desk may run it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session

from deskterm import lazy
from deskterm.desk.errors import DeskError
from deskterm.desk.service_core import DeskCore
from deskterm.desk.service_mail_filing import (
    BATCH_BYTES,
    BATCH_MAILS,
    BATCH_SECONDS,
    AlreadyFiled,
    MailFiling,
    refusal,
)

if TYPE_CHECKING:
    from deskterm.desk.mail import intake, mailboxes, outbox
    from deskterm.desk.mail import quarantine as mail_quarantine
    from deskterm.desk.mail import settings as mail_settings
    from deskterm.desk.mail.intake import Ingested
    from deskterm.desk.mail.mailboxes import MailItem
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
AHEAD = 50
"""Messages of a mailbox read ahead, to look up their Message-IDs in one statement."""
AHEAD_BYTES = 8 * 1024 * 1024
"""A run read ahead also stops at this many bytes (memory stays bounded)."""


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
                raise AlreadyFiled(seen)
            ingested = intake.ingest(session, raw, source=source, caps=limits)
            self.on_ingested(session, ingested)
            return ingested

        try:
            return self._writing(filing)
        except AlreadyFiled as seen:
            return seen.ingested
        except intake.Unparsable as exc:
            return self._quarantine(raw, source, exc.reason, exc.message_id)
        except IntegrityError:
            # Another process filed the same Message-ID at the same moment: it is there now.
            try:
                return self._writing(filing)
            except AlreadyFiled as seen:
                return seen.ingested
            except (DeskError, DataError, IntegrityError) as again:
                return self._quarantine(raw, source, refusal(again),
                                        intake.header_message_id(raw))
        except (DeskError, DataError) as exc:
            return self._quarantine(raw, source, refusal(exc), intake.header_message_id(raw))

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
        done = 0
        try:
            with self.mail_filing() as filing:
                for items in _ahead(reader):
                    filing.look_ahead([item.raw for item in items if item.raw is not None])
                    for item in items:
                        done += 1
                        if item.raw is None:
                            report.unreadable.append((item.source,
                                                      item.problem or "unreadable"))
                        else:
                            self._file_one(filing, item.raw, item.source, report)
                        if progress is not None:
                            progress(done, report.total)
        finally:
            reader.close()
        return report

    @staticmethod
    def _file_one(filing: MailFiling, raw: bytes, source: str, report: MailImport) -> None:
        ingested = filing.file(raw, source)
        filing.commit_if_due()
        report.outcomes[ingested.outcome] = report.count(ingested.outcome) + 1
        if ingested.outcome == "quarantined":
            report.quarantined.append((source, ingested.reason or ""))
        elif ingested.outcome == "already-quarantined":
            report.still_quarantined.append((source, ingested.reason or ""))

    def mail_filing(self, *, caps: MailCaps | None = None, mails: int = BATCH_MAILS,
                    seconds: float = BATCH_SECONDS, size: int = BATCH_BYTES) -> MailFiling:
        """Many mails filed in few transactions (see :class:`MailFiling`); the mail settings
        are read once for all of them."""
        self.actor  # noqa: B018  (a stranger is refused before anything is filed)
        with self._reading() as session:
            settings = outbox.sending_settings(session)
        return MailFiling(self, caps, settings=settings, mails=mails, seconds=seconds,
                          size=size)

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
            reason = refusal(exc)
        self._writing(lambda session, _actor: mail_quarantine.set_reason(
            session, quarantine_id, reason))
        return intake.Ingested("quarantined", None, None, acknowledge=False, reason=reason,
                               quarantine_id=quarantine_id)

    def drop_quarantined(self, quarantine_id: int) -> QuarantinedMail:
        """Remove a quarantined mail for good."""
        return self._writing(lambda session, _actor: mail_quarantine.drop(
            session, quarantine_id))


def _ahead(reader: Iterable[MailItem]) -> Iterator[list[MailItem]]:
    """The mailbox's messages in runs of :data:`AHEAD` (at most :data:`AHEAD_BYTES`), whose
    Message-IDs one statement looks up."""
    run: list[MailItem] = []
    size = 0
    for item in reader:
        run.append(item)
        size += len(item.raw or b"")
        if len(run) >= AHEAD or size >= AHEAD_BYTES:
            yield run
            run, size = [], 0
    if run:
        yield run


__all__ = ["AHEAD", "AHEAD_BYTES", "MailCases", "MailImport", "Progress"]
