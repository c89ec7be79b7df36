"""Many mails filed in few transactions: a mailbox import and ``mail fetch``.

On PostgreSQL every commit waits for the server's disk flush: one transaction a mail held
the import of bench/intake_mail.py at 86-233 msg/s on the 2-core bench machine. A
:class:`MailFiling` files mails into one open transaction and commits it every
:data:`BATCH_MAILS` mails, :data:`BATCH_BYTES` of mail or :data:`BATCH_SECONDS` of work
(an open console hears of new mail that soon; a SQLite desk's other writers wait at most
about that long for its lock). What the caller reports as done outside the database (an
IMAP message marked seen) it reports only after the commit that holds it.

Nothing is half-applied and a failing mail loses no other: a mail is first filed straight
into the transaction (no savepoint: two round trips a mail fewer), and the bytes of every
mail of the open transaction are kept. When one fails part-way (a value the desk or the
database refuses, a deadlock), the transaction is rolled back whole and filed again, each
mail now in a savepoint of its own (:class:`~deskterm.db.batch.WriteBatch`): the one that
fails is rolled back to its savepoint alone and goes to the quarantine (in the same
transaction), the others stay. A mail that cannot be parsed fails before it writes anything
and goes straight to the quarantine. A failure a retry may cure (a deadlock, a busy SQLite
file, a requester made by another process meanwhile) commits what the transaction holds and
files that mail alone through :meth:`MailCases.ingest_mail` and its retries.

Threading and the seen-before check see the mails of the open transaction as they see stored
mail: an answer later in the same mailbox threads to the ticket an earlier mail of the same
transaction opened, and the same Message-ID twice is a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session

from deskterm import lazy
from deskterm.db import ticket_rows
from deskterm.db.batch import WriteBatch
from deskterm.db.engine import is_retryable
from deskterm.desk.errors import DeskError

if TYPE_CHECKING:
    from deskterm.db.models import Customer, MailSettings
    from deskterm.desk.mail import intake, outbox
    from deskterm.desk.mail import parse as mail_parse
    from deskterm.desk.mail import quarantine as mail_quarantine
    from deskterm.desk.mail.intake import Ingested
    from deskterm.desk.mail.parse import MailCaps, ParsedMail
    from deskterm.desk.service_mail import MailCases
else:
    intake = lazy.module("deskterm.desk.mail.intake")
    outbox = lazy.module("deskterm.desk.mail.outbox")
    mail_parse = lazy.module("deskterm.desk.mail.parse")
    mail_quarantine = lazy.module("deskterm.desk.mail.quarantine")

BATCH_MAILS = 100
"""Mails one transaction holds at most."""
BATCH_BYTES = 16 * 1024 * 1024
"""Bytes of mail one transaction holds at most (kept until it commits, to file them again)."""
BATCH_SECONDS = 0.2
"""Seconds of filing after which the transaction commits."""


class AlreadyFiled(Exception):
    """A mail found filed: its transaction (or savepoint) ends without a write."""

    def __init__(self, ingested: Ingested) -> None:
        super().__init__(ingested.outcome)
        self.ingested = ingested


def refusal(exc: Exception) -> str:
    """Why the desk or the database refused a mail, as one line (never the statement)."""
    if isinstance(exc, DeskError):
        return f"the desk refused it: {exc}"
    orig = getattr(exc, "orig", None)
    first = str(orig or exc).strip().splitlines()
    return f"the database refused it: {first[0] if first else type(exc).__name__}"


class MailFiling:
    """Mails filed into a shared transaction (see the module's docstring), committed by
    :meth:`commit` or :meth:`commit_if_due`; a context manager (committed at the end, rolled
    back if an exception ends it: the next run files those mails)."""

    def __init__(self, cases: MailCases, caps: MailCaps | None, *,
                 settings: MailSettings | None, mails: int = BATCH_MAILS,
                 seconds: float = BATCH_SECONDS, size: int = BATCH_BYTES) -> None:
        self._cases = cases
        self._caps = caps or intake.DEFAULT_CAPS
        self._settings = settings
        self._batch = WriteBatch(cases.store)
        self._held: list[tuple[bytes, str]] = []
        """The mails that wrote in the open transaction, to file again if it is rolled back."""
        self._held_bytes = 0
        self._stored: dict[str, Ingested] = {}
        """Message-IDs :meth:`look_ahead` found stored."""
        self._not_stored: set[str] = set()
        """Message-IDs :meth:`look_ahead` found nowhere, and not filed since."""
        self._senders: dict[str, Customer | None] = {}
        """The customers :meth:`look_ahead` found (or not) writing from the next mails'
        senders (emptied by any rollback: see deskterm.db.ticket_rows.know_customers)."""
        self.mails = mails
        self.seconds = seconds
        self.size = size

    def look_ahead(self, raws: list[bytes]) -> None:
        """Look up, in one statement, whether the next mails to be filed are stored already
        (:meth:`file` then asks nothing for each: a round trip a mail fewer)."""
        ids = {found for raw in raws if (found := intake.header_message_id(raw)) is not None}
        senders = {found for raw in raws if (found := intake.header_sender(raw)) is not None}
        self._stored, self._not_stored, self._senders = {}, set(), {}

        def ahead(session: Session) -> dict[str, Ingested]:
            # On PostgreSQL also who the senders are (a new ticket's requester is then not
            # looked up: a round trip a mail fewer).
            self._senders = intake.senders_among(session, sorted(senders))
            ticket_rows.know_customers(session, self._senders)
            return intake.filed_among(session, sorted(ids))

        try:
            self._stored = self._batch.read(ahead)
        except Exception as exc:
            if not is_retryable(exc) or self._held:
                raise
            self._batch.abandon()  # a busy SQLite file: each mail looks for itself, retried
            return
        self._not_stored = ids - self._stored.keys()

    def file(self, raw: bytes, source: str) -> Ingested:
        """File one mail (from ``source``) in the open transaction, or quarantine it there;
        it is stored once the transaction is committed."""
        try:
            # Seen before: answered from the header's Message-ID before anything is parsed
            # (a mailbox imported again pays one statement a mail).
            message_id = intake.header_message_id(raw)
            if message_id in self._stored:
                return self._stored[message_id]
            if message_id in self._not_stored:
                self._not_stored.discard(message_id)  # a second mail of this id looks again
            elif message_id is not None:
                seen = self._batch.read(lambda session: intake.filed(session, message_id))
                if seen is not None:
                    return seen
            try:
                parsed = mail_parse.parse_mail(raw, caps=self._caps)
            except mail_parse.Unparsable as exc:  # nothing written yet
                return self._hold(raw, source, self._quarantine(
                    raw, source, exc.reason, exc.message_id))
            return self._hold(raw, source, self._batch.run(
                self._filing(parsed, checked_id=message_id), savepoint=False))
        except (DeskError, DataError, IntegrityError):
            pass
        except Exception as exc:
            if not is_retryable(exc):
                raise
        # Part of this mail may be in the transaction: roll it back whole and file its mails
        # again, each in a savepoint (this one is quarantined, or, if it meets no failure
        # this time, filed).
        again, self._held, self._held_bytes = self._held, [], 0
        self._batch.abandon()
        for held_raw, held_source in again:
            self._hold(held_raw, held_source, self._safely(held_raw, held_source))
        return self._hold(raw, source, self._safely(raw, source))

    def _hold(self, raw: bytes, source: str, ingested: Ingested) -> Ingested:
        self._held.append((raw, source))
        self._held_bytes += len(raw)
        return ingested

    def _safely(self, raw: bytes, source: str) -> Ingested:
        """File one mail in a savepoint of the open transaction; what is refused goes to the
        quarantine."""
        try:
            try:
                return self._batch.run(self._filing(raw, check_seen=True))
            except AlreadyFiled as found:
                return found.ingested
            except IntegrityError:
                # Another process filed the same Message-ID at the same moment: it is there
                # now (its savepoint rolled back, the transaction goes on).
                try:
                    return self._batch.run(self._filing(raw, check_seen=True))
                except AlreadyFiled as found:
                    return found.ingested
                except (DeskError, DataError, IntegrityError) as again:
                    return self._quarantine(raw, source, refusal(again),
                                            intake.header_message_id(raw))
            except intake.Unparsable as exc:
                return self._quarantine(raw, source, exc.reason, exc.message_id)
            except (DeskError, DataError) as exc:
                return self._quarantine(raw, source, refusal(exc),
                                        intake.header_message_id(raw))
        except Exception as exc:
            if not is_retryable(exc):
                raise
        # A deadlock, a busy file, a requester made by another process meanwhile: commit what
        # the transaction holds (the other writer goes on) and file this mail alone, retried.
        self.commit()
        return self._cases.ingest_mail(raw, source=source, caps=self._caps)

    def _filing(self, mail: bytes | ParsedMail, *, check_seen: bool = False,
                checked_id: str | None = None) -> Callable[[Session], Ingested]:
        def filing(session: Session) -> Ingested:
            if check_seen:
                assert isinstance(mail, bytes)
                seen = intake.already_filed(session, mail)
                if seen is not None:
                    raise AlreadyFiled(seen)
            outbox.use_settings(session, self._settings)
            ticket_rows.know_customers(session, self._senders)
            parsed = mail if not isinstance(mail, bytes) else mail_parse.parse_mail(
                mail, caps=self._caps)
            ingested = intake.file_mail(session, parsed, checked_id=checked_id)
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
        """The open transaction holds :attr:`mails` mails or :attr:`size` bytes of mail, or
        is :attr:`seconds` old."""
        return (len(self._held) >= self.mails or self._held_bytes >= self.size
                or self._batch.age >= self.seconds)

    def commit_if_due(self) -> bool:
        """Commit if :attr:`due`; True if it did (every mail filed so far is stored)."""
        if not self.due:
            return False
        self.commit()
        return True

    def commit(self) -> None:
        """Store every mail filed so far."""
        self._held, self._held_bytes = [], 0
        self._batch.commit()

    def __enter__(self) -> MailFiling:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self._held, self._held_bytes = [], 0
            self._batch.abandon()


__all__ = ["BATCH_BYTES", "BATCH_MAILS", "BATCH_SECONDS", "AlreadyFiled", "MailFiling",
           "refusal"]
