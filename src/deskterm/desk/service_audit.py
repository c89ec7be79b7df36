"""The desk's use case on its audit trail (:class:`AuditCases`, part of
:class:`deskterm.desk.service.Desk`): who changed what, tickets and setup together."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deskterm import lazy
from deskterm.desk.people.permissions import require_admin
from deskterm.desk.service_core import DeskCore

if TYPE_CHECKING:
    from deskterm.desk.audit import trail
else:
    trail = lazy.module("deskterm.desk.audit.trail")


class AuditCases(DeskCore):
    """The audit trail."""

    def audit_trail(self, query: trail.AuditQuery) -> list[trail.AuditRead]:
        """The changes ``query`` asks for, newest first (admins only)."""
        with self._reading() as session:
            require_admin(self._acting(session), "read the audit trail")
            return trail.list_changes(session, query)


__all__ = ["AuditCases"]
