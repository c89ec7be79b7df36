"""A customer's mail becomes a ticket, or a message on the ticket it answers.

:func:`ingest` parses one mail (:mod:`.parse`, within its caps) and files it in the caller's
transaction, through the ticket kernel (``create_ticket`` / ``add_customer_message``: the same
lifecycle, version and audit as any change; mail arrives as the desk, so its events have no
acting agent). The rules, in order:

1. **Seen before**: a Message-ID already stored on a message is a ``duplicate``; nothing is
   written, so importing the same mailbox twice, or fetching a mail again after a crash, adds
   nothing.
2. **Threading**: In-Reply-To, then References (newest first), matched against the
   Message-IDs of stored messages (a customer's mail, or a reply the desk sent); else a
   ``[#1042]`` in the subject, for a ticket whose requester is the sender or writes from the
   sender's domain (anyone else's mail with a stranger's number opens a ticket of its own,
   rather than reaching into that customer's ticket). A merged ticket's mail goes to the
   ticket it was merged into; a mail answering a closed ticket opens a follow-up ticket
   pointing back to it (the kernel's rule).
3. **Machines**: an auto-reply or bounce (:func:`~.parse.auto_reply_reason`) never opens a
   ticket and never gets an acknowledgement. One that threads to a ticket is kept there as
   an internal message of its sender (an agent sees that a reply bounced) without reopening
   it, changing its version or counting as the customer's answer; one that threads nowhere,
   or to a closed ticket, is skipped.
4. **Otherwise** a new ticket, channel ``email``, the requester found by address or created
   (a new one joins the organization whose domain is the sender's, or a parent of it:
   ``eu.acme.com`` finds ``acme.com``); its acknowledgement is the caller's to queue.

The text part is stored whole, quoted history included (:mod:`.quoting` splits it for display).
A text longer than a message may be (1,000,000 characters) is cut there and kept whole as the
attachment ``message.txt``; attachments over their cap are named in the text instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import bindparam
from sqlalchemy import select as rows_of  # (SQLModel's select types at most 4 columns)
from sqlmodel import Session, col, select

from deskterm.db.models import Attachment, Customer, Message, Organization, Ticket, key
from deskterm.db.ticket_rows import customer_rows, writes_together
from deskterm.db.types import utcnow
from deskterm.desk.errors import InvalidInput
from deskterm.desk.mail.parse import (
    DEFAULT_CAPS,
    MailCaps,
    MailFile,
    ParsedMail,
    Unparsable,
    header_message_id,
    header_sender,
    parse_mail,
)
from deskterm.desk.people.directory import get_or_create_customer, normalize_email
from deskterm.desk.tickets.change import lock_ticket
from deskterm.desk.tickets.checks import MAX_BODY, MAX_SUBJECT
from deskterm.desk.tickets.ticket import file_customer_message, file_mail_ticket

OUTCOMES = ("created", "appended", "duplicate", "auto-reply-appended", "auto-reply-skipped",
            "quarantined", "already-quarantined")
"""What :func:`ingest` (and the use case around it) did with a mail."""
_SUBJECT_REF = re.compile(r"\[#([0-9]{1,10})\]")
MAX_MERGE_HOPS = 50


# Built once, the values bound per call (building a statement costs more than a look-up).
_KNOWN_IDS = rows_of(col(Message.source_message_id), col(Message.ticket_id),
                     col(Ticket.merged_into_id), col(Ticket.requester_id),
                     col(Customer.email)).join(
    Ticket, col(Ticket.id) == col(Message.ticket_id)).join(
    Customer, col(Customer.id) == col(Ticket.requester_id)).where(
    col(Message.source_message_id).in_(bindparam("ids", expanding=True)))
_MESSAGE_BY_ID = select(Message.id).where(col(Message.source_message_id) == bindparam("id"))
_FILED = select(Message.id, Message.ticket_id).where(
    col(Message.source_message_id) == bindparam("id"))
_FILED_MANY = select(Message.source_message_id, Message.id, Message.ticket_id).where(
    col(Message.source_message_id).in_(bindparam("ids", expanding=True)))
_MERGED_INTO = select(Ticket.merged_into_id).where(col(Ticket.id) == bindparam("number"))


class _Known(NamedTuple):
    """A stored message that a mail names (its own Message-ID, or one it answers)."""

    ticket: int
    merged_into: int | None
    requester_id: int
    requester_email: str | None


@dataclass(frozen=True)
class Ingested:
    """What became of one mail."""

    outcome: str
    """One of :data:`OUTCOMES`."""
    ticket_number: int | None
    message_db_id: int | None
    acknowledge: bool
    """A new ticket from a person (not a machine): the caller queues its acknowledgement."""
    reason: str | None = None
    """Why it was quarantined or skipped."""
    quarantine_id: int | None = None


def ingest(session: Session, raw: bytes, *, source: str, caps: MailCaps = DEFAULT_CAPS,
           checked_id: str | None = None) -> Ingested:
    """File the mail ``raw`` (from ``source``, e.g. ``mbox:/path#12``) in ``session``'s
    transaction; :class:`Unparsable` if it must go to the quarantine instead. ``checked_id``:
    a Message-ID this transaction has just looked for (:func:`filed`) and not found."""
    return file_mail(session, parse_mail(raw, caps=caps), checked_id=checked_id)


def file_mail(session: Session, mail: ParsedMail, *, checked_id: str | None = None) -> Ingested:
    """File an already parsed mail (see the module's docstring for the rules)."""
    # One look-up answers "seen before?", "which stored mail does it answer?" and "was its
    # ticket merged?"; none for a new mail that answers nothing and whose Message-ID was just
    # looked for. Plain look-ups of values, on the session's connection (the ORM's result
    # machinery cost more than the query); nothing is pending in the session yet.
    ids = [mail.message_id, *mail.replying_to] if mail.message_id != checked_id \
        else list(mail.replying_to)
    known: dict[str | None, _Known] = {
        row[0]: _Known(row[1], row[2], row[3], row[4]) for row in session.connection().execute(
            _KNOWN_IDS, {"ids": ids})} if ids else {}
    if mail.message_id in known:
        return Ingested("duplicate", known[mail.message_id].ticket, _message_of(session, mail),
                        acknowledge=False)
    number = _thread(session, mail, known)
    body, files = _body(mail)
    if mail.auto_reply is not None:
        if number is None:
            return Ingested("auto-reply-skipped", None, None, acknowledge=False,
                            reason=mail.auto_reply)
        message = _machine_message(session, number, mail, body)
        if message is None:
            return Ingested("auto-reply-skipped", number, None, acknowledge=False,
                            reason=f"{mail.auto_reply}, to a closed ticket")
        _store_files(session, key(message), files)
        return Ingested("auto-reply-appended", number, key(message), acknowledge=False,
                        reason=mail.auto_reply)
    if mail.sender_email.rsplit("@", 1)[1].count(".") > 1:  # a parent domain may have an org
        _requester(session, mail)
    if number is None:
        filed_in, message_id = file_mail_ticket(
            session, requester_email=mail.sender_email, requester_name=mail.sender_name or None,
            subject=_subject(mail.subject), body=body, source_message_id=mail.message_id)
        outcome = "created"
    else:
        # The answer's sender is most often the ticket's requester, whom the thread look-up
        # named: no look-up of the sender by address.
        answered = next((known[i] for i in mail.replying_to if i in known), None)
        author = answered.requester_id if answered is not None and answered.ticket == number \
            and answered.requester_email == mail.sender_email.lower() else None
        filed_in, message_id = file_customer_message(
            session, number=number, body=body, email=mail.sender_email,
            name=mail.sender_name or None, source_message_id=mail.message_id, channel="email",
            author_id=author)
        outcome = "appended" if filed_in == number else "created"  # a follow-up
    _store_files(session, message_id, files)
    return Ingested(outcome, filed_in, message_id, acknowledge=outcome == "created")


def _message_of(session: Session, mail: ParsedMail) -> int | None:
    session.flush()
    found: int | None = session.connection().execute(
        _MESSAGE_BY_ID, {"id": mail.message_id}).scalar()
    return found


def already_filed(session: Session, raw: bytes) -> Ingested | None:
    """A ``duplicate`` if the Message-ID of ``raw`` (read from its header alone) is stored,
    else None: a mailbox imported again, or a mail fetched again, costs a read, not a
    parse and a write. A header too big to read this way is left to :func:`ingest`."""
    message_id = header_message_id(raw)
    return None if message_id is None else filed(session, message_id)


def filed(session: Session, message_id: str) -> Ingested | None:
    """A ``duplicate`` if a message with ``message_id`` is stored, else None."""
    found = session.connection().execute(_FILED, {"id": message_id}).first()
    if found is None:
        return None
    return Ingested("duplicate", found[1], found[0], acknowledge=False)


def senders_among(session: Session, addresses: list[str]) -> dict[str, Customer | None]:
    """On PostgreSQL (where each look-up is a round trip), the customers writing from the
    senders ``addresses`` of the next mails (:func:`header_sender`), by address (None: none
    yet), in one statement, for :func:`~deskterm.db.ticket_rows.know_customers`; elsewhere
    nothing (each mail looks its sender up)."""
    if not writes_together(session):
        return {}
    usable = []
    for address in addresses:
        try:
            usable.append(normalize_email(address, where="sender"))
        except InvalidInput:
            continue  # (the mail's parse says what is wrong with it)
    return customer_rows(session, usable)


def filed_among(session: Session, message_ids: list[str]) -> dict[str, Ingested]:
    """A ``duplicate`` for each of ``message_ids`` that is stored (one look-up for many)."""
    if not message_ids:
        return {}
    return {row[0]: Ingested("duplicate", row[2], row[1], acknowledge=False)
            for row in session.connection().execute(_FILED_MANY, {"ids": message_ids})}


def _subject(subject: str) -> str:
    subject = subject.strip() or "(no subject)"
    return subject if len(subject) <= MAX_SUBJECT else subject[:MAX_SUBJECT - 1] + "…"


def _body(mail: ParsedMail) -> tuple[str, list[MailFile]]:
    files = list(mail.files)
    body = mail.body.replace("\x00", "").rstrip()
    if len(body) > MAX_BODY - 2_000:
        files.append(MailFile("message.txt", "text/plain",
                              body.encode("utf-8", "surrogatepass")))
        body = body[:MAX_BODY - 2_000] + "\n\n[the text goes on: the whole of it is the " \
            "attachment message.txt]"
    if mail.left_out:
        body = (body + "\n\n" if body.strip() else "") + "\n".join(mail.left_out)
    if not body.strip():
        body = "(no text)" if not files else "(no text; see the attachments)"
    return body, files


def _thread(session: Session, mail: ParsedMail, known: dict[str | None, _Known]) -> int | None:
    """The ticket ``mail`` answers, or None (see the module's docstring); ``known``: the
    tickets (and the ticket each was merged into) of the stored Message-IDs it names."""
    answered = next((known[i] for i in mail.replying_to if i in known), None)
    if answered is not None:
        return answered.ticket if answered.merged_into is None \
            else _merged_target(session, answered.merged_into)
    by_subject = _by_subject(session, mail) if "[#" in mail.subject else None
    return _merged_target(session, by_subject) if by_subject is not None else None


def _by_subject(session: Session, mail: ParsedMail) -> int | None:
    for match in _SUBJECT_REF.finditer(mail.subject):
        number = int(match.group(1))
        if not 1 <= number <= 2**31 - 1:
            continue
        row = session.exec(select(Ticket.id, Customer.email)
                           .join(Customer, col(Customer.id) == col(Ticket.requester_id))
                           .where(Ticket.id == number)).first()
        if row is None:
            continue
        requester = row[1]
        if requester is None:  # a requester known only by name: no address to compare
            continue
        if requester == mail.sender_email or (
                requester.rsplit("@", 1)[-1] == mail.sender_email.rsplit("@", 1)[-1]):
            return number
    return None


def _merged_target(session: Session, number: int) -> int:
    """The ticket ``number`` was merged into (through every merge), or ``number``."""
    for _ in range(MAX_MERGE_HOPS):
        target = session.connection().execute(_MERGED_INTO, {"number": number}).scalar()
        if target is None:
            return number
        number = target
    return number


def organization_for(session: Session, domain: str) -> Organization | None:
    """The organization whose domain is ``domain`` or the nearest parent of it."""
    labels = domain.lower().split(".")
    candidates = [".".join(labels[at:]) for at in range(len(labels) - 1)]
    if not candidates:
        return None
    rows = session.exec(select(Organization)
                        .where(col(Organization.domain).in_(candidates))).all()
    by_domain = {row.domain: row for row in rows}
    return next((by_domain[c] for c in candidates if c in by_domain), None)


def _requester(session: Session, mail: ParsedMail) -> Customer:
    """The sender as a customer: found by address, or new (in the organization of its domain,
    or of a parent domain)."""
    known = session.exec(select(Customer).where(Customer.email == mail.sender_email)).first()
    if known is not None:
        return known
    customer = get_or_create_customer(session, email=mail.sender_email,
                                      name=mail.sender_name or None)
    domain = mail.sender_email.rsplit("@", 1)[1]
    if customer.organization_id is None:
        organization = organization_for(session, domain)
        if organization is not None:
            customer.organization_id = organization.id
            session.add(customer)
            session.flush()
    return customer


def _machine_message(session: Session, number: int, mail: ParsedMail,
                     body: str) -> Message | None:
    """An auto-reply or bounce on ticket ``number``: an internal message of its sender (None
    on a closed ticket, which takes nothing more). Like a note it is insert-only: the ticket's
    status, version and the customer's last answer stay as they were, so no agent's change
    in progress is refused for it."""
    ticket = lock_ticket(session, number, actor=None)
    if ticket.status == "closed":
        return None
    sender = get_or_create_customer(session, email=mail.sender_email,
                                    name=mail.sender_name or None)
    message = Message(ticket_id=number, author_customer_id=sender.id, public=False,
                      body=f"[automatic mail: {mail.auto_reply}]\n\n{body}",
                      created_at=utcnow(), source_message_id=mail.message_id)
    session.add(message)
    session.flush()
    return message


def _store_files(session: Session, message_id: int, files: list[MailFile]) -> None:
    for file in files:
        session.add(Attachment(message_id=message_id, filename=file.filename,
                               content_type=file.content_type, size=len(file.data),
                               sha256=file.sha256, data=file.data))
    if files:
        session.flush()


__all__ = ["DEFAULT_CAPS", "OUTCOMES", "Ingested", "MailCaps", "Unparsable", "already_filed",
           "file_mail", "filed", "filed_among", "header_message_id", "header_sender", "ingest",
           "organization_for", "senders_among"]
