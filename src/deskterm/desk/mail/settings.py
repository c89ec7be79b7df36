"""The desk's mail settings (who its mail is from, whether it is on) and the acknowledgement a new
e-mail ticket gets.

The acknowledgement is a template like a macro's body, with the same placeholders
(``{{requester.first_name}}``, ``{{ticket.ref}}``, ``{{ticket.subject}}`` ...;
``{{agent.name}}`` is the desk's From name). Its file is the subject on a first line
``Subject: ...``, an empty line, then the body; without that line, the default subject.
Whatever the subject says, the ticket's ``[#1042]`` is in it, so that the customer's answer
threads back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from deskterm.db.models import MailSettings, OutboxMail, Ticket
from deskterm.db.types import utcnow
from deskterm.desk.errors import InvalidInput
from deskterm.desk.limits import check_name, check_text
from deskterm.desk.mail import compose, outbox
from deskterm.desk.people.directory import normalize_email
from deskterm.desk.reads import ref
from deskterm.desk.tickets.macros import TemplateError, check_template, fill, first_name
from deskterm.desk.tickets.ticket import requester_row

DEFAULT_ACK_SUBJECT = "[{{ticket.ref}}] {{ticket.subject}}"
DEFAULT_ACK_BODY = """Hello {{requester.first_name}},

Thank you for writing to us. Your request is ticket {{ticket.ref}}: "{{ticket.subject}}".
We will answer as soon as we can.

To add to it, reply to this message (keep {{ticket.ref}} in the subject).

{{agent.name}}
"""
MAX_TEMPLATE = 20_000


@dataclass(frozen=True)
class MailSettingsRead:
    """The desk's mail settings as ``mail settings --show`` prints them."""

    enabled: bool
    from_address: str | None
    from_name: str
    acknowledge: bool
    ack_subject: str
    ack_body: str
    custom_acknowledgement: bool


def read_settings(session: Session) -> MailSettingsRead:
    row = outbox.settings_row(session) or MailSettings()
    return MailSettingsRead(
        enabled=row.enabled, from_address=row.from_address, from_name=row.from_name,
        acknowledge=row.acknowledge, ack_subject=row.ack_subject or DEFAULT_ACK_SUBJECT,
        ack_body=row.ack_body or DEFAULT_ACK_BODY,
        custom_acknowledgement=bool(row.ack_subject or row.ack_body))


def parse_ack_template(text: str, *, where: str) -> tuple[str, str]:
    """The subject and body of an acknowledgement file (see the module's docstring), each
    checked like a macro's body; InvalidInput naming ``where`` and the line otherwise."""
    text = check_text(text, field=where, max_length=MAX_TEMPLATE).replace("\r\n", "\n")
    subject, body, offset = "", text, 0
    first, _, rest = text.partition("\n")
    if first.lower().startswith("subject:"):
        subject = first.split(":", 1)[1].strip()
        body, offset = rest.removeprefix("\n"), 2 if rest.startswith("\n") else 1
        if "\n" in subject or not subject:
            raise InvalidInput(f"{where}, line 1: the subject is empty")
    if not body.strip():
        raise InvalidInput(f"{where}: the acknowledgement's body is empty")
    for part, base in ((subject, 0), (body, offset)):
        try:
            check_template(part)
        except TemplateError as bad:
            raise InvalidInput(f"{where}, line {bad.line + base}: {bad.problem}") from None
    return subject, body


def update_settings(session: Session, *, from_address: str | None = None,
                    from_name: str | None = None, enabled: bool | None = None,
                    acknowledge: bool | None = None,
                    ack_template: tuple[str, str] | None = None) -> MailSettingsRead:
    """Change what is given (an admin's; the caller checked). Setting a From address for the
    first time turns the desk's mail on unless ``enabled`` says otherwise; mail cannot be on
    without one."""
    row = outbox.settings_row(session)
    first_address = row is None or row.from_address is None
    if row is None:
        row = MailSettings()
    if from_address is not None:
        address = normalize_email(from_address, where="from address")
        try:
            compose.sendable_address(address)
        except compose.Uncomposable as refused:
            raise InvalidInput(f"from address: {refused}") from None
        row.from_address = address
        if first_address and enabled is None:
            enabled = True
    if from_name is not None:
        row.from_name = check_name(from_name, field="from name", max_length=compose.MAX_NAME) \
            if from_name.strip() else ""
    if enabled is not None:
        if enabled and row.from_address is None:
            raise InvalidInput("mail cannot be on without a From address: give --from")
        row.enabled = enabled
    if acknowledge is not None:
        row.acknowledge = acknowledge
    if ack_template is not None:
        row.ack_subject, row.ack_body = ack_template
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    outbox.forget_settings(session)
    return read_settings(session)


def queue_acknowledgement(session: Session, ticket_id: int) -> OutboxMail | None:
    """Queue the acknowledgement of the new e-mail ticket ``ticket_id`` to its requester (in
    the caller's transaction), if the desk sends mail and acknowledges; None otherwise. Marked
    ``Auto-Submitted: auto-replied``, so other desks do not answer it. Never to the desk's own
    address."""
    settings = outbox.sending_settings(session)
    if settings is None or not settings.acknowledge:
        return None
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    requester = requester_row(session, ticket)
    if requester.email and settings.from_address and \
            requester.email.lower() == settings.from_address.lower():
        return None
    name = requester.name.strip() or (requester.email or "").split("@", 1)[0]
    values = {
        "requester.name": name,
        "requester.first_name": first_name(name),
        "ticket.ref": ref(ticket_id),
        "ticket.subject": ticket.subject,
        "agent.name": settings.from_name or settings.from_address or "",
    }
    subject = fill(settings.ack_subject or DEFAULT_ACK_SUBJECT, values)
    if f"[{ref(ticket_id)}]" not in subject:
        subject = f"[{ref(ticket_id)}] {subject}"
    body = fill(settings.ack_body or DEFAULT_ACK_BODY, values)
    return outbox.queue_mail(session, number=ticket_id, kind="acknowledgement",
                             to_address=requester.email, to_name=requester.name,
                             subject=subject, body=body, auto=True)


__all__ = ["DEFAULT_ACK_BODY", "DEFAULT_ACK_SUBJECT", "MailSettingsRead", "parse_ack_template",
           "queue_acknowledgement", "read_settings", "update_settings"]
