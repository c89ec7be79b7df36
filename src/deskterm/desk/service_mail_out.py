"""The desk's use cases on e-mail out: its mail settings, the outbox and sending it
(:class:`MailOutCases`, part of :class:`deskterm.desk.service.Desk`).

Queueing is not a use case of its own: a public reply queues its mail in its own transaction
(see :mod:`deskterm.desk.mail.outbox`). Sending (:meth:`MailOutCases.drain_outbox`) is for
every agent's console and for ``mail outbox`` / ``mail fetch --watch``; the settings are an
admin's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from deskterm import lazy
from deskterm.desk.errors import InvalidInput
from deskterm.desk.people import access
from deskterm.desk.people.permissions import require_admin
from deskterm.desk.service_core import DeskCore

if TYPE_CHECKING:
    from deskterm.config_mail import MailServer
    from deskterm.desk.audit import snapshots
    from deskterm.desk.mail import outbox as mail_outbox
    from deskterm.desk.mail import sending as mail_sending
    from deskterm.desk.mail import settings as mail_prefs
else:
    mail_outbox = lazy.module("deskterm.desk.mail.outbox")
    snapshots = lazy.module("deskterm.desk.audit.snapshots")
    mail_sending = lazy.module("deskterm.desk.mail.sending")
    mail_prefs = lazy.module("deskterm.desk.mail.settings")

OUTBOX_LISTED = 200
"""How many mails ``mail outbox`` lists (newest first)."""


class MailOutCases(DeskCore):
    """The desk's mail settings and its mail_outbox."""

    def mail_settings(self) -> mail_prefs.MailSettingsRead:
        """The desk's mail settings (admins only)."""
        with self._reading() as session:
            require_admin(self._acting(session), "see the mail settings")
            return mail_prefs.read_settings(session)

    def set_mail_settings(self, *, from_address: str | None = None,
                          from_name: str | None = None, enabled: bool | None = None,
                          acknowledge: bool | None = None, ack_template: str | None = None,
                          ack_template_where: str = "acknowledgement template",
                          ) -> mail_prefs.MailSettingsRead:
        """Change the desk's From address and name, turn its mail on or off, set the
        acknowledgement's template (the text of its file) (admins only)."""
        template = (mail_prefs.parse_ack_template(ack_template, where=ack_template_where)
                    if ack_template is not None else None)
        if (from_address, from_name, enabled, acknowledge, template) == (None,) * 5:
            raise InvalidInput("nothing to change: give --from, --from-name, --on/--off, "
                               "--ack/--no-ack or --ack-template (or --show)")
        return self._audited(snapshots.mail, lambda session, _actor: mail_prefs.update_settings(
            session, from_address=from_address, from_name=from_name, enabled=enabled,
            acknowledge=acknowledge, ack_template=template), admin="change the mail settings")

    def outbox(self, *, failed_only: bool = False,
               limit: int = OUTBOX_LISTED) -> list[mail_outbox.OutboxRead]:
        """The outbox's mails, newest first (``failed_only``: those that failed)."""
        with self._reading() as session:
            return mail_outbox.list_outbox(
                session, states=("failed",) if failed_only else (), limit=limit,
                hidden=access.hidden_groups(session, self._acting(session)))

    def outbox_waiting(self, *, failed_too: bool = False) -> int:
        """How many mails are not sent yet (``failed_too``: and failed ones that can be)."""
        with self._reading() as session:
            return mail_outbox.count_waiting(session, failed_too=failed_too)

    def outbox_due(self) -> bool:
        """Whether a mail is due to be sent now (one small read)."""
        with self._reading() as session:
            return mail_sending.has_due(session)

    def drain_outbox(self, server: MailServer, *, retry: bool = False,
                     limit: int | None = None,
                     progress: Callable[[int], None] | None = None) -> mail_sending.DrainReport:
        """Send what is due through ``server`` (``retry``: now, failed mail too). Each mail is
        claimed, sent outside any transaction, and its outcome recorded (see
        :mod:`deskterm.desk.mail.sending`)."""
        self.actor  # noqa: B018  (a stranger is refused before anything is claimed)
        return mail_sending.drain(self.store, server, retry=retry, limit=limit, progress=progress)
