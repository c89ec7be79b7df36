"""The outbox: the desk's mail waiting to be sent, sent, or failed, and the desk's mail settings.

A public reply is queued in the reply's own transaction (:func:`queue_reply`, called by the
change kernel's ``add_message``), composed once (the same bytes and Message-ID on every
attempt), and its Message-ID is stored on the reply (``messages.source_message_id``), so the
customer's answer threads back to the ticket. Nothing is queued while the desk's mail is off
(:class:`~deskterm.db.models.MailSettings`), for an internal note, or for the customer's own
message. The sending (claims, leases, backoff) is :mod:`deskterm.desk.mail.sending`.

Kept light (no :mod:`email` until a mail is composed): the change kernel imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, func, select

from deskterm import lazy
from deskterm.db.models import Customer, MailSettings, Message, OutboxMail, Ticket, key
from deskterm.db.types import utcnow
from deskterm.desk.people import access
from deskterm.desk.reads import MailMark, ref

if TYPE_CHECKING:
    from deskterm.desk.mail import compose
else:
    compose = lazy.module("deskterm.desk.mail.compose")

SETTINGS_KEY = "deskterm.mail_settings"
"""Where a transaction keeps the settings it read (a bulk macro replies to thousands)."""
MAX_ERROR = 500
"""Characters of a failure's reason kept."""


def settings_row(session: Session) -> MailSettings | None:
    """The desk's mail settings as stored (None: never set)."""
    return session.get(MailSettings, 1)


def sending_settings(session: Session) -> MailSettings | None:
    """The settings if the desk e-mails its replies (on, with a From address), read once per
    transaction; None otherwise."""
    if SETTINGS_KEY not in session.info:
        row = settings_row(session)
        session.info[SETTINGS_KEY] = row if row is not None and row.enabled and \
            row.from_address else None
    found: MailSettings | None = session.info[SETTINGS_KEY]
    return found


def use_settings(session: Session, settings: MailSettings | None) -> None:
    """Let this transaction use ``settings`` (what :func:`sending_settings` gave another one
    moments ago: a mailbox import reads them once for the whole run)."""
    session.info[SETTINGS_KEY] = settings


def forget_settings(session: Session) -> None:
    """The settings changed in this transaction: read them again when next needed."""
    session.info.pop(SETTINGS_KEY, None)


def thread_message_ids(session: Session, number: int, *,
                       before: int | None = None) -> tuple[list[str], str | None]:
    """The Message-IDs of ticket ``number``'s thread (mail that came in, replies that went
    out), oldest first, and the one a reply answers: the customer's newest (else the newest)."""
    query = (select(Message.source_message_id, Message.author_customer_id)
             .where(Message.ticket_id == number, col(Message.source_message_id).is_not(None)))
    if before is not None:
        query = query.where(col(Message.id) < before)
    rows = session.exec(query.order_by(col(Message.created_at), col(Message.id))).all()
    ids = [mid for mid, _ in rows if mid]
    customers = [mid for mid, customer in rows if mid and customer is not None]
    return ids, (customers[-1] if customers else ids[-1] if ids else None)


def _failed(row: OutboxMail, reason: str) -> OutboxMail:
    row.state = "failed"
    row.last_error = reason[:MAX_ERROR]
    return row


def queue_reply(session: Session, *, ticket: Ticket, message: Message) -> OutboxMail | None:
    """Queue the public reply ``message`` (just added) to ``ticket``'s requester, if the desk
    e-mails replies; its Message-ID goes on the message. A requester the desk cannot write to
    (no address, an address it cannot send to) gets a ``failed`` row saying why, so the agent
    sees that the reply did not leave."""
    settings = sending_settings(session)
    if settings is None or settings.from_address is None:
        return None
    requester = session.get(Customer, ticket.requester_id)
    if requester is None:
        return None
    session.flush()  # the message's id
    number = key(ticket)
    row = OutboxMail(ticket_id=number, message_id=key(message), kind="reply",
                     to_address=(requester.email or "")[:320],
                     subject=compose.ticket_subject(ticket.subject, ref(number), reply=True))
    try:
        composed = compose.compose(
            from_address=settings.from_address, from_name=settings.from_name,
            to_address=requester.email, to_name=requester.name, subject=row.subject,
            body=message.body, date=message.created_at or utcnow(),
            thread=thread_message_ids(session, number, before=key(message)),
            ticket_ref=ref(number))
    except compose.Uncomposable as refused:
        session.add(_failed(row, str(refused)))
        return row
    row.raw, row.rfc_message_id = composed.raw, composed.message_id
    row.to_address = composed.to_address
    message.source_message_id = composed.message_id
    session.add(message)
    session.add(row)
    return row


def queue_mail(session: Session, *, number: int, kind: str, to_address: str | None,
               to_name: str, subject: str, body: str, auto: bool) -> OutboxMail | None:
    """Queue a mail of the desk's own (``kind`` ``acknowledgement``) about ticket ``number``,
    if the desk sends mail; not part of the thread."""
    settings = sending_settings(session)
    if settings is None or settings.from_address is None:
        return None
    row = OutboxMail(ticket_id=number, kind=kind, to_address=(to_address or "")[:320],
                     subject=compose.header_line(subject, limit=compose.MAX_SUBJECT))
    try:
        composed = compose.compose(
            from_address=settings.from_address, from_name=settings.from_name,
            to_address=to_address, to_name=to_name, subject=subject, body=body, date=utcnow(),
            thread=thread_message_ids(session, number), auto=auto, ticket_ref=ref(number))
    except compose.Uncomposable as refused:
        session.add(_failed(row, str(refused)))
        return row
    row.raw, row.rfc_message_id = composed.raw, composed.message_id
    row.to_address = composed.to_address
    session.add(row)
    return row


def marks_of(session: Session, message_ids: list[int]) -> dict[int, MailMark]:
    """``{message id: its mail's mark}`` for the messages of ``message_ids`` that were queued."""
    if not message_ids:
        return {}
    rows = session.exec(select(OutboxMail)
                        .where(col(OutboxMail.message_id).in_(message_ids))).all()
    return {row.message_id: MailMark(row.state, row.attempts, row.last_error, row.sent_at)
            for row in rows if row.message_id is not None}


def ticket_marks(session: Session, number: int) -> tuple[tuple[int, str, int], ...]:
    """``(message id, state, attempts)`` of each queued reply on ticket ``number``: part of the
    ticket's stamp, so a reply's mark changing refreshes an open ticket screen."""
    rows = session.exec(
        select(OutboxMail.message_id, OutboxMail.state, OutboxMail.attempts)
        .join(Message, col(Message.id) == col(OutboxMail.message_id))
        .where(Message.ticket_id == number)
        .order_by(col(OutboxMail.message_id))).all()
    return tuple((mid, state, attempts) for mid, state, attempts in rows if mid is not None)


@dataclass(frozen=True)
class OutboxRead:
    """One mail of the outbox as ``mail outbox`` lists it."""

    id: int
    ticket: int
    kind: str
    to_address: str
    subject: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def list_outbox(session: Session, *, states: tuple[str, ...], limit: int,
                hidden: tuple[int, ...] = ()) -> list[OutboxRead]:
    """The mails in ``states`` (all when empty), newest first; none of a ticket in the
    ``hidden`` groups (restricted from the agent asking)."""
    query = select(OutboxMail).order_by(col(OutboxMail.id).desc()).limit(limit)
    visible = access.visible_condition(hidden)
    if visible is not None:
        query = query.join(Ticket, col(Ticket.id) == col(OutboxMail.ticket_id)).where(visible)
    if states:
        query = query.where(col(OutboxMail.state).in_(states))
    return [OutboxRead(id=key(row), ticket=row.ticket_id, kind=row.kind,
                       to_address=row.to_address, subject=row.subject, state=row.state,
                       attempts=row.attempts, next_attempt_at=row.next_attempt_at,
                       last_error=row.last_error, created_at=row.created_at, sent_at=row.sent_at)
            for row in session.exec(query).all()]


def count_waiting(session: Session, *, failed_too: bool) -> int:
    """Mails not sent yet (queued or being sent; ``failed_too``: failed ones that can be)."""
    states = ["queued", "sending"]
    query = select(func.count()).select_from(OutboxMail)
    condition: ColumnElement[bool] = col(OutboxMail.state).in_(states)
    if failed_too:
        condition = or_(condition, and_(col(OutboxMail.state) == "failed",
                                        col(OutboxMail.raw).is_not(None)))
    return session.exec(query.where(condition)).one()


__all__ = ["MailMark", "OutboxRead", "count_waiting", "forget_settings", "list_outbox",
           "marks_of", "queue_mail", "queue_reply", "sending_settings", "settings_row",
           "thread_message_ids", "ticket_marks"]
