"""Composing the desk's mail: a reply or an acknowledgement as the exact bytes the outbox sends.

Every value that goes into a header (a subject, a name, an address, a Message-ID that came in
from outside) is made one clean line first (:func:`header_line`: controls, CR, LF and the
Unicode line separators become spaces), and addresses and Message-IDs must match a strict
pattern, so no value can start a header of its own; :mod:`email` with ``policy.SMTP`` then
refuses CR or LF in a header a second time and encodes what is not ASCII as RFC 2047 words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from deskterm.desk.safe_text import clean, clean_line

MAX_SUBJECT = 200
"""Characters of a subject kept (a line of a header stays short; the ticket keeps the whole)."""
MAX_NAME = 100
MAX_REFERENCES = 20
"""Message-IDs in References: the first of the thread and the newest (RFC 5322 suggests
trimming; some servers refuse very long headers)."""

_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}")
_MESSAGE_ID = re.compile(r"[!-;=?-~]{1,400}@[!-;=?-~]{1,400}")
"""A Message-ID without ``<>``: printable ASCII, no blanks, no angle brackets, one ``@`` at
least."""
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|antw|fwd?|wg)\s*(?:\[\d+\])?\s*:\s*)+",
                           re.IGNORECASE)


class Uncomposable(ValueError):
    """A mail that cannot be composed (an address the desk cannot send to); the reason is one
    line for the outbox's list and the ticket screen."""


@dataclass(frozen=True)
class Composed:
    """A message ready to send."""

    raw: bytes
    message_id: str
    """Without ``<>``."""
    subject: str
    to_address: str
    from_address: str


def header_line(value: str, *, limit: int) -> str:
    """``value`` as one clean line of at most ``limit`` characters: controls (CR and LF among
    them) and every Unicode line break become spaces, runs of blanks one space."""
    line = clean_line(value.replace("\r", " ").replace("\n", " "))
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"


def sendable_address(address: str | None) -> str:
    """``address`` as the desk sends to it (the domain in IDNA); Uncomposable if it is not one
    plain ``local@domain`` (SMTPUTF8 local parts are not sent)."""
    if not address:
        raise Uncomposable("the requester has no e-mail address")
    shown = header_line(address, limit=80)
    if address != address.strip() or any(not ch.isprintable() or ch.isspace() for ch in address):
        raise Uncomposable(f"'{shown}' is not an e-mail address")
    local, at, domain = address.rpartition("@")
    if not at or not _LOCAL.fullmatch(local) or len(local) > 64:
        raise Uncomposable(f"'{shown}' is not an address the desk can send to (the part "
                           "before @ must be plain ASCII)")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise Uncomposable(f"'{shown}': the domain is not a valid host name") from None
    if not _DOMAIN.fullmatch(ascii_domain) or len(ascii_domain) > 253:
        raise Uncomposable(f"'{shown}': the domain is not a valid host name")
    return f"{local}@{ascii_domain}"


def message_ids(values: Sequence[str | None]) -> list[str]:
    """The well-formed Message-IDs of ``values`` (``<>`` stripped), in order, once each; an id
    that came in from outside and is not one (blanks, brackets, controls) is left out."""
    seen: list[str] = []
    for value in values:
        if not value:
            continue
        value = value.strip().removeprefix("<").removesuffix(">")
        if _MESSAGE_ID.fullmatch(value) and value not in seen:
            seen.append(value)
    return seen


def ticket_subject(subject: str, ref: str, *, reply: bool) -> str:
    """``Re: [#1042] subject`` for a reply (``[#1042] subject`` with ``reply=False``): the
    customer's ``Re:``/``Aw:`` prefixes stripped, the ticket's reference once."""
    bare = _REPLY_PREFIX.sub("", header_line(subject, limit=MAX_SUBJECT * 2))
    tag = f"[{ref}]"
    titled = bare if tag in bare else f"{tag} {bare}".rstrip()
    return header_line(("Re: " if reply else "") + titled, limit=MAX_SUBJECT)


def domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"


def compose(*, from_address: str, from_name: str, to_address: str | None, to_name: str,
            subject: str, body: str, date: datetime,
            thread: tuple[Sequence[str | None], str | None] = ((), None),
            auto: bool = False, ticket_ref: str = "") -> Composed:
    """The message from the desk to a requester, as bytes with CRLF line ends.

    ``thread``: the thread's Message-IDs, oldest first, and the one answered
    (``In-Reply-To``); the first and the newest make ``References`` (:data:`MAX_REFERENCES`).
    ``auto``: sent by the desk itself (an acknowledgement), marked ``Auto-Submitted:
    auto-replied`` so that other desks and vacation replies do not answer it.
    """
    sender = sendable_address(from_address)
    recipient = sendable_address(to_address)
    message = EmailMessage(policy=policy.SMTP)
    try:
        message["From"] = Address(display_name=header_line(from_name, limit=MAX_NAME),
                                  addr_spec=sender)
        message["To"] = Address(display_name=header_line(to_name, limit=MAX_NAME),
                                addr_spec=recipient)
    except (ValueError, IndexError) as exc:  # the parser's own refusal, as one line
        raise Uncomposable(header_line(f"an address cannot be written: {exc}", limit=200)) \
            from None
    line = header_line(subject, limit=MAX_SUBJECT)
    message["Subject"] = line
    message["Date"] = format_datetime(date)
    message_id = make_msgid(idstring="deskterm", domain=domain_of(sender))
    message["Message-ID"] = message_id
    references, answered = message_ids(thread[0]), message_ids([thread[1]])
    if answered:
        message["In-Reply-To"] = f"<{answered[0]}>"
    if references:
        kept = references if len(references) <= MAX_REFERENCES else [
            references[0], *references[-(MAX_REFERENCES - 1):]]
        message["References"] = " ".join(f"<{mid}>" for mid in kept)
    if auto:
        message["Auto-Submitted"] = "auto-replied"
        message["X-Auto-Response-Suppress"] = "All"
    if ticket_ref:
        message["X-Deskterm-Ticket"] = header_line(ticket_ref, limit=20)
    text = clean(body).rstrip("\n") + "\n"
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    return Composed(raw=message.as_bytes(), message_id=message_id.strip("<>"), subject=line,
                    to_address=recipient, from_address=sender)


__all__ = ["Composed", "Uncomposable", "compose", "header_line", "message_ids",
           "sendable_address", "ticket_subject"]
