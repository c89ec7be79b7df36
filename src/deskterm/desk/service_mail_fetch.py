"""The desk's use cases for mail on a server and for the files mail brought.

- :meth:`MailFetchCases.fetch_mail`: ``deskterm mail fetch``: the unseen messages of the
  ``[imap]`` mailbox onto the desk through a :class:`~deskterm.desk.service_mail_filing.MailFiling`
  (each message whole or not at all, the quarantine for what is refused), marked seen or
  moved on the server only after the commit that holds them (see
  :mod:`deskterm.desk.mail.imap`).
- :meth:`MailFetchCases.ticket_attachments` / :meth:`MailFetchCases.attachment_data`: the
  ticket screen's ``A`` (list a ticket's files; the bytes of one, to save).

A mixin of :class:`~deskterm.desk.service.Desk` beside ``MailCases`` (which it calls).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from deskterm import lazy
from deskterm.config_mail import MailServer
from deskterm.desk.service_core import DeskCore

if TYPE_CHECKING:
    from deskterm.desk.mail import files, imap
    from deskterm.desk.mail.files import AttachmentRead
    from deskterm.desk.mail.imap import FetchReport
    from deskterm.desk.mail.parse import MailCaps
    from deskterm.desk.service_mail_filing import MailFiling
else:  # the IMAP client loads only for ``mail fetch``
    files = lazy.module("deskterm.desk.mail.files")
    imap = lazy.module("deskterm.desk.mail.imap")


class MailFetchCases(DeskCore):
    """Fetching mail from the desk's IMAP mailbox; a ticket's attachments."""

    if TYPE_CHECKING:  # MailCases's, beside this mixin in Desk

        def mail_filing(self, *, caps: MailCaps | None = None, mails: int = ...,
                        seconds: float = ..., size: int = ...) -> MailFiling: ...

    def fetch_mail(self, server: MailServer, *, folder: str | None = None,
                   limit: int | None = None,
                   progress: Callable[[int, int], None] | None = None) -> FetchReport:
        """File the unseen mail of ``server``'s folder (or ``folder``), oldest first, at most
        ``limit``; ImapFailure (one line) when the server cannot be read."""
        self.actor  # noqa: B018  (a stranger is refused before the server is reached)
        with self.mail_filing() as filing:
            return imap.fetch(server, filing, folder=folder, limit=limit, progress=progress)

    def ticket_attachments(self, number: int) -> list[AttachmentRead]:
        """The files that came with ticket ``number``'s mail (names, types, sizes)."""
        with self._reading() as session:
            self._may_see(session, number)
            return files.ticket_attachments(session, number=number)

    def attachment_data(self, number: int, attachment_id: int) -> bytes:
        """The bytes of one file of ticket ``number``."""
        with self._reading() as session:
            self._may_see(session, number)
            return files.attachment_data(session, number=number, attachment_id=attachment_id)
