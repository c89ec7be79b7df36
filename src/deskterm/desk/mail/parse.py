"""One mail's bytes as the desk files them: sender, subject, ids, text and files, within caps.

The standard library's ``email`` package reads the message (``policy.default``), guarded by
:class:`MailCaps` checked on the bytes *before* it parses anything, so an absurd message costs
no more than a scan of its bytes: its total size, its header block's size and count of fields,
and an upper bound on its MIME parts (lines starting ``--``); after parsing, the parts are
counted exactly and their nesting depth measured. A message over a cap, or one the parser or
the desk cannot make sense of (no sender address), raises :class:`Unparsable` with the reason:
the intake keeps it whole in the quarantine.

What is taken:

- **sender**: the first address of ``From`` (then ``Reply-To``), lower-cased; its display name
  without control characters.
- **Message-ID**: without ``<>``; one that is missing, not printable ASCII or too long is
  replaced by ``<sha256 of the bytes>@deskterm.invalid``, so the same bytes are still
  recognised when they come again (every import is idempotent).
- **In-Reply-To and References**: every ``<id>`` in them, the last :data:`MAX_REFERENCES`.
- **text**: the ``text/plain`` body preferred; else the HTML one turned into text
  (:mod:`.html_text`); a charset Python does not know, or bytes that do not match the declared
  one, are read as UTF-8 if they are, else as Windows-1252 (no byte is refused).
- **attachments**: every other leaf part (a forwarded mail, ``message/rfc822``, is one file),
  its file name cleaned (no folders, no control characters, at most 255 characters).
- **auto-reply**: why the message was sent by a machine (:func:`auto_reply_reason`), or None.

Text from headers may hold bytes that are not UTF-8 (``policy.default`` hands them over as lone
surrogates): they are decoded as UTF-8 if they are, else as Windows-1252.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from deskterm.desk.mail.html_text import html_to_text
from deskterm.desk.safe_text import clean_line


class Unparsable(Exception):
    """A mail the intake cannot file; ``reason`` is one line for the quarantine."""

    def __init__(self, reason: str, *, message_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message_id = message_id


@dataclass(frozen=True)
class MailCaps:
    """What a mail may hold before it goes to the quarantine (the defaults are generous for a
    person's mail and bound what one message can cost)."""

    max_bytes: int = 25 * 1024 * 1024
    """The whole message (a provider's usual limit; attachments are base64 inside it)."""
    max_header_bytes: int = 256 * 1024
    max_headers: int = 1_000
    """Header fields (a mail that went through many relays holds a hundred or so)."""
    max_parts: int = 500
    max_depth: int = 20
    """Nesting of multiparts and forwarded mails."""
    max_attachment_bytes: int = 10 * 1024 * 1024
    """One file; a bigger one is not kept and the message says so (the mail is still filed)."""
    max_attachments: int = 100


DEFAULT_CAPS = MailCaps()
MAX_REFERENCES = 100
MAX_MESSAGE_ID = 998
MAX_FILENAME = 255
MAX_CONTENT_TYPE = 127
_ID_IN_BRACKETS = re.compile(rb"<([!-;=?-~]{1,998})>")
_PLAIN_ID = re.compile(r"[!-;=?-~]{1,998}")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MULTIPART_LINES = re.compile(rb"^--", re.MULTILINE)
_FIELD_START = re.compile(rb"^[^ \t\r\n]", re.MULTILINE)
_SURROGATES = re.compile("[\ud800-\udfff]")
MAX_CACHED_HEADER = 256
HEADER_CACHE_SIZE = 1_024


class _RememberedHeaders(HeaderRegistry):
    """``policy.default``'s header objects, each short (name, value) parsed once: a mail's
    ``Content-Type`` is read several times while its parts are walked, and the same values
    come in mail after mail. A header object is immutable, so sharing it is safe; the cache
    is bounded in entries and in the length of what it keeps."""

    def __init__(self) -> None:
        super().__init__()
        self._known: dict[tuple[str, str], BaseHeader] = {}

    def __call__(self, name: str, value: str) -> BaseHeader:
        if len(value) > MAX_CACHED_HEADER:
            return super().__call__(name, value)
        found = self._known.get((name, value))
        if found is None:
            found = super().__call__(name, value)
            if len(self._known) >= HEADER_CACHE_SIZE:
                self._known.clear()
            self._known[(name, value)] = found
        return found


POLICY = policy.default.clone(header_factory=_RememberedHeaders())
"""``policy.default`` whose header objects are remembered (:class:`_RememberedHeaders`)."""
_PARSER = BytesParser(policy=POLICY)


@dataclass(frozen=True)
class MailFile:
    """An attachment as it came: cleaned name, type and bytes."""

    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class ParsedMail:
    """What the intake needs of one mail."""

    message_id: str
    sender_email: str
    sender_name: str
    subject: str
    body: str
    replying_to: tuple[str, ...]
    """In-Reply-To's ids, then References' from the newest; each once."""
    auto_reply: str | None
    files: tuple[MailFile, ...] = ()
    left_out: tuple[str, ...] = field(default_factory=tuple)
    """Attachments not kept (over a cap), each as one line for the message."""


def readable(text: str) -> str:
    """``text`` from a header or a part without lone surrogates (undecodable bytes): those
    bytes read as UTF-8 if they are, else as Windows-1252."""
    if not _SURROGATES.search(text):
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text)
    return decode_bytes(raw, None)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes of a text part: in ``charset`` if Python knows it and they match it, else UTF-8,
    else Windows-1252 (whose few undefined bytes become U+FFFD)."""
    for name in (charset, "utf-8"):
        if not name:
            continue
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
    return data.decode("cp1252", errors="replace")


def _header_block(raw: bytes, caps: MailCaps) -> bytes:
    end = _HEADER_END.search(raw, 0, caps.max_header_bytes + 4)
    if end is None:
        if len(raw) > caps.max_header_bytes:
            raise Unparsable(f"the header is over {caps.max_header_bytes:,} bytes (the cap)")
        return raw
    return raw[:end.start()]


def check_caps(raw: bytes, caps: MailCaps = DEFAULT_CAPS) -> None:
    """Refuse (:class:`Unparsable`) a message over a cap that can be seen in its bytes."""
    if len(raw) > caps.max_bytes:
        raise Unparsable(f"the message is {len(raw):,} bytes, over the cap of "
                         f"{caps.max_bytes:,}")
    if not raw.strip():
        raise Unparsable("the message is empty")
    header = _header_block(raw, caps)
    fields = len(_FIELD_START.findall(header))
    if fields > caps.max_headers:
        raise Unparsable(f"the header holds {fields:,} fields, over the cap of "
                         f"{caps.max_headers:,}")
    # Every MIME part starts at a boundary line ("--boundary"), so this bounds the parts
    # before the parser builds them (a "-- " signature line counts too: the bound is loose).
    dashes = len(_MULTIPART_LINES.findall(raw))
    if dashes > 2 * caps.max_parts + 10:
        raise Unparsable(f"the message has {dashes:,} lines that may start MIME parts, over "
                         f"the cap of {caps.max_parts:,} parts")


def _header_text(msg: Message, name: str) -> str | None:
    """A header's decoded text (encoded words decoded); 8-bit text that is not UTF-8, or a
    header the parser fails on, read from its raw bytes."""
    raw = _raw_header(msg, name)
    if raw is None:
        return None
    if _SURROGATES.search(raw):
        return " ".join(readable(raw).split())
    if "=?" not in raw:  # nothing encoded: the text as written (a header object costs ~0.1 ms)
        return " ".join(raw.split())
    try:
        value = msg.get(name)
    except Exception:  # the email package's header parsers fail on some hostile input
        value = raw
    return readable(str(value if value is not None else raw))


def _raw_header(msg: Message, name: str) -> str | None:
    wanted = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == wanted:
            return str(value)
    return None


def _raw_header_bytes(msg: Message, name: str) -> bytes:
    value = _raw_header(msg, name) or ""
    return value.encode("ascii", "replace") if not _SURROGATES.search(value) else \
        value.encode("utf-8", "surrogateescape")


_MESSAGE_ID_FIELD = re.compile(rb"^message-id[ \t]*:(.*(?:\r?\n[ \t].*)*)",
                               re.IGNORECASE | re.MULTILINE)


def header_message_id(raw: bytes, caps: MailCaps = DEFAULT_CAPS) -> str | None:
    """The Message-ID :func:`parse_mail` would give ``raw``, read from the header's bytes
    alone (no parse); None when the header is over its cap (the parse will say so)."""
    try:
        header = _header_block(raw, caps)
    except Unparsable:
        return None
    found = _MESSAGE_ID_FIELD.search(header)
    return _id_from(found.group(1) if found else b"", raw)


_FROM_FIELD = re.compile(rb"^from[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_ADDRESS_IN_BRACKETS = re.compile(rb"<([^<>@\s]+@[^<>@\s]+)>\s*$")
_BARE_ADDRESS = re.compile(rb"^\s*([^<>@\s\"(),;:]+@[^<>@\s\"(),;:]+)\s*$")


def header_sender(raw: bytes, caps: MailCaps = DEFAULT_CAPS) -> str | None:
    """The address of a plain ``From: Name <address>`` (or ``From: address``) header, read
    from the header's bytes alone (no parse), lower-cased: a hint only, for looking up the
    senders of many mails in one statement (the parse decides who wrote; None when the
    header is anything less plain)."""
    try:
        header = _header_block(raw, caps)
    except Unparsable:
        return None
    found = _FROM_FIELD.search(header)
    if found is None:
        return None
    value = found.group(1)
    address = _ADDRESS_IN_BRACKETS.search(value) or _BARE_ADDRESS.match(value)
    if address is None:
        return None
    try:
        return address.group(1).decode("ascii").lower()
    except UnicodeDecodeError:
        return None


def _id_from(value: bytes, raw: bytes) -> str:
    found = _ID_IN_BRACKETS.search(value)
    if found is not None:
        return found.group(1).decode("ascii")
    plain = value.strip().decode("ascii", "replace")
    if _PLAIN_ID.fullmatch(plain) and "@" in plain:
        return plain
    return f"{hashlib.sha256(raw).hexdigest()}@deskterm.invalid"


def _message_id(msg: Message, raw: bytes) -> str:
    return _id_from(_raw_header_bytes(msg, "message-id"), raw)


def _replying_to(msg: Message) -> tuple[str, ...]:
    found: list[str] = []
    in_reply_to = _ID_IN_BRACKETS.findall(_raw_header_bytes(msg, "in-reply-to"))
    references = _ID_IN_BRACKETS.findall(_raw_header_bytes(msg, "references"))
    for value in [*in_reply_to, *reversed(references)]:
        text = value.decode("ascii")
        if text not in found:
            found.append(text)
        if len(found) >= MAX_REFERENCES:
            break
    return tuple(found)


def _sender(msg: Message) -> tuple[str, str]:
    """(address, display name) of the first usable address of From, then Reply-To.

    The address is read from the header's structure before encoded words are decoded, so a
    display name that decodes to ``Bcc: x@y`` or a line break is only ever a name."""
    for name in ("from", "reply-to"):
        for display, address in _addresses(msg, name):
            address = address.strip().lower()
            if _looks_like_address(address):
                return address, clean_line(readable(display))[:200]
    raise Unparsable("no sender address (From)")


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    raw = _raw_header(msg, name)
    if raw is None:
        return []
    if not _SURROGATES.search(raw):
        try:
            header = msg.get(name)
            found = [(a.display_name, a.addr_spec) for a in getattr(header, "addresses", ())]
            if found:
                return found
        except Exception:  # a header policy.default cannot parse: read it plainly below
            pass
    text = " ".join(readable(raw).split())
    bracketed = _LAST_BRACKETED.search(text)
    if bracketed is not None:  # "any display name <address>": the address is what counts
        return [(_decoded_words(text[:bracketed.start()]).strip(' "'), bracketed.group(1))]
    try:
        return getaddresses([text])
    except Exception:
        return [parseaddr(text)]


_LAST_BRACKETED = re.compile(r"<([^<>\s]+@[^<>\s]+)>\s*$")


def _decoded_words(text: str) -> str:
    try:
        return str(make_header(decode_header(text)))
    except Exception:  # a broken encoded word stays as it is written
        return text


_ADDRESS = re.compile(r"[^@\s<>\"()\[\],;:\\]+@[^@\s<>\"()\[\],;:\\]+\.[^@\s<>\"()\[\],;:\\]+")


def _looks_like_address(address: str) -> bool:
    return (len(address) <= 320 and _ADDRESS.fullmatch(address) is not None
            and address.isprintable())


def auto_reply_reason(msg: Message, sender: str) -> str | None:
    """Why ``msg`` was written by a machine (an out-of-office, a bounce, a list), or None.

    A machine's mail never opens a ticket nor gets an acknowledgement: two desks answering
    each other's acknowledgements would write forever.
    """
    # Read as written: these are tokens, and parsing each header costs a header object.
    submitted = readable(_raw_header(msg, "auto-submitted") or "").split(";")[0].strip().lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {clean_line(submitted)[:40]}"
    precedence = readable(_raw_header(msg, "precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponse"):
        if _raw_header(msg, name) is not None:
            return f"{name.title()} header"
    local = sender.split("@", 1)[0]
    if local in ("mailer-daemon", "postmaster"):
        return f"sent by {local}"
    if msg.get_content_type() == "multipart/report":
        return "a delivery or read report (multipart/report)"
    if (_raw_header(msg, "return-path") or "").strip() == "<>":
        return "a bounce (empty Return-Path)"
    return None


def _walk(part: Message, depth: int, caps: MailCaps) -> Iterator[Message]:
    """The leaf parts under ``part`` (a forwarded mail is a leaf), nesting within the cap."""
    if depth > caps.max_depth:
        raise Unparsable(f"MIME parts nested over {caps.max_depth} deep (the cap)")
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        payload = part.get_payload()
        if isinstance(payload, list):
            for child in payload:
                if isinstance(child, Message):
                    yield from _walk(child, depth + 1, caps)
        return
    yield part


def _count_parts(msg: Message, caps: MailCaps) -> None:
    count = 0
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        count += 1
        if count > caps.max_parts:
            raise Unparsable(f"the message has more than {caps.max_parts:,} MIME parts "
                             "(the cap)")
        if depth > caps.max_depth:
            raise Unparsable(f"MIME parts nested over {caps.max_depth} deep (the cap)")
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload if isinstance(child, Message))


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    as_written = part.get_payload()
    if not isinstance(payload, bytes) or (not payload.strip() and isinstance(as_written, str)
                                          and as_written.strip()):
        # Not decodable as its transfer encoding says (base64 that is not): as written.
        payload = str(as_written).encode("utf-8", "surrogateescape")
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(payload, charset)


def _is_attachment(part: Message) -> bool:
    try:
        disposition = part.get_content_disposition()
        filename = part.get_filename()
    except Exception:
        return True
    if disposition == "attachment" or filename:
        return True
    return part.get_content_maintype() != "text"


def _filename(part: Message, number: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    name = clean_line(readable(str(name))).replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = name.lstrip(".").strip() or ""
    if not name:
        subtype = part.get_content_subtype() if part.get_content_type() != "message/rfc822" \
            else "eml"
        name = f"attachment-{number}.{re.sub(r'[^a-z0-9]', '', subtype.lower())[:10] or 'bin'}"
    if len(name) > MAX_FILENAME:
        _stem, dot, extension = name.rpartition(".")
        keep = extension if dot and len(extension) <= 16 else ""
        name = (name[:MAX_FILENAME - len(keep) - 2] + "…" + ("." + keep if keep else ""))
    return name


def _file_bytes(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message):
            try:
                return inner.as_bytes(policy=policy.compat32)
            except Exception:
                return str(inner).encode("utf-8", "surrogateescape")
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    return str(part.get_payload()).encode("utf-8", "surrogateescape")


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MB" if count >= 1024 * 1024 else f"{count:,} bytes"


def _body_and_files(msg: EmailMessage, caps: MailCaps
                    ) -> tuple[str, tuple[MailFile, ...], tuple[str, ...]]:
    leaves = list(_walk(msg, 0, caps))
    body_part: Message | None
    try:
        body_part = msg.get_body(preferencelist=("plain", "html"))
    except Exception:
        body_part = None
    if body_part is None:
        body_part = next((p for p in leaves if p.get_content_maintype() == "text"
                          and not _is_attachment(p)), None)
    body = ""
    if body_part is not None:
        text = _part_text(body_part)
        body = html_to_text(text) if body_part.get_content_subtype() == "html" else text
        if not body.strip() and body_part.get_content_subtype() == "plain":
            html = next((p for p in leaves if p.get_content_type() == "text/html"), None)
            if html is not None:
                body = html_to_text(_part_text(html))
    if not body.strip() and not msg.is_multipart() and msg.get_content_maintype() != "text":
        # A multipart without a boundary (or other unreadable structure): the text as it
        # stands, so the agent still reads what the customer wrote.
        body = _part_text(msg)
    files: list[MailFile] = []
    left_out: list[str] = []
    for part in leaves:
        if part is body_part or not _is_attachment(part):
            continue
        name = _filename(part, len(files) + len(left_out) + 1)
        data = _file_bytes(part)
        if len(data) > caps.max_attachment_bytes:
            left_out.append(f"[attachment {name} ({_size(len(data))}) not kept: over the "
                            f"{_size(caps.max_attachment_bytes)} limit per file]")
            continue
        if len(files) >= caps.max_attachments:
            left_out.append(f"[attachment {name} not kept: over {caps.max_attachments} "
                            "files in one message]")
            continue
        content_type = clean_line(readable(part.get_content_type()))[:MAX_CONTENT_TYPE] \
            or "application/octet-stream"
        files.append(MailFile(filename=name, content_type=content_type, data=data))
    return body, tuple(files), tuple(left_out)


def parse_mail(raw: bytes, *, caps: MailCaps = DEFAULT_CAPS) -> ParsedMail:
    """The desk's view of one mail (see the module's docstring); :class:`Unparsable` if it
    breaks a cap or cannot be read."""
    check_caps(raw, caps)
    try:
        msg = _PARSER.parsebytes(raw)
    except Exception as exc:  # the parser is lenient; what it still refuses is quarantined
        raise Unparsable(f"the email parser failed: {clean_line(str(exc))[:200]}") from None
    assert isinstance(msg, EmailMessage)  # policy.default makes EmailMessage
    message_id = _message_id(msg, raw)
    try:
        _count_parts(msg, caps)
        sender_email, sender_name = _sender(msg)
        subject = clean_line(_header_text(msg, "subject") or "")
        body, files, left_out = _body_and_files(msg, caps)
        replying_to = _replying_to(msg)
        auto = auto_reply_reason(msg, sender_email)
    except Unparsable as exc:
        exc.message_id = message_id
        raise
    except RecursionError:
        raise Unparsable("MIME parts nested too deeply to read",
                         message_id=message_id) from None
    except Exception as exc:  # a part the email package cannot decode
        raise Unparsable(f"cannot be read: {type(exc).__name__}: "
                         f"{clean_line(str(exc))[:200]}", message_id=message_id) from None
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    return ParsedMail(message_id=message_id, sender_email=sender_email,
                      sender_name=sender_name, subject=subject, body=body,
                      replying_to=replying_to, auto_reply=auto, files=files,
                      left_out=left_out)


__all__ = [
    "DEFAULT_CAPS",
    "MailCaps",
    "MailFile",
    "ParsedMail",
    "Unparsable",
    "auto_reply_reason",
    "check_caps",
    "decode_bytes",
    "header_message_id",
    "header_sender",
    "parse_mail",
    "readable",
]
