"""What a ticket's fields and messages may hold: references (``#1042``), tags, subjects, bodies,
minutes, versions and Message-IDs."""

from __future__ import annotations

import re
from collections.abc import Iterable

from deskterm.desk.errors import InvalidInput
from deskterm.desk.limits import INT_MAX, check_int, check_name, check_text, shown_number
from deskterm.desk.safe_text import clean_line

_TAG = re.compile(r"[\w][\w.:/+-]{0,63}")
_REF = re.compile(r"#?([0-9]+)")
MAX_SUBJECT = 500
MAX_BODY = 1_000_000


def parse_ref(text: str) -> int:
    """A ticket number from ``#1042`` or ``1042``: ASCII digits only, 1 to :data:`INT_MAX`.

    ``str.isdigit`` and ``int`` also take ``²`` and Arabic-Indic digits (``١٢`` is 12), which
    nobody means as a ticket number.
    """
    found = _REF.fullmatch(text.strip())
    if not found:
        raise InvalidInput(f"'{text[:40]}' is not a ticket reference like #1042")
    digits = found.group(1).lstrip("0") or "0"
    if len(digits) > len(str(INT_MAX)) or not 1 <= int(digits) <= INT_MAX:
        raise InvalidInput(f"'{text[:40]}' is not a ticket reference like #1042 (numbers run "
                           f"from 1 to {INT_MAX})")
    return int(digits)


def in_range(number: int) -> bool:
    """Whether ``number`` can be a ticket's number (the store's integers are 32-bit)."""
    return 1 <= number <= INT_MAX


def normalize_tags(tags: Iterable[str], *, where: str = "tags") -> tuple[str, ...]:
    """Lower-cased, de-duplicated, validated tag names, in sorted order."""
    cleaned = set()
    for raw in tags:
        tag = raw.strip().lower()
        if not tag:
            continue
        if not _TAG.fullmatch(tag):
            raise InvalidInput(
                f"{where}: '{clean_line(raw)[:80]}' is not a tag (letters, digits, '_', '-', "
                "'.', ':', '/', '+'; no spaces; at most 64)"
            )
        cleaned.add(tag)
    return tuple(sorted(cleaned))


def check_subject(subject: str) -> str:
    """A subject: one line of at most :data:`MAX_SUBJECT` characters."""
    subject = " ".join(check_text(subject, field="subject").split())
    if not subject:
        raise InvalidInput("subject: must not be empty")
    if len(subject) > MAX_SUBJECT:
        raise InvalidInput(f"subject: longer than {MAX_SUBJECT} characters")
    return subject


MAX_MINUTES = 24 * 60


def check_minutes(minutes: int | None) -> int | None:
    """Minutes spent (None: not given): 1 to :data:`MAX_MINUTES`."""
    if minutes is not None and not 0 < minutes <= MAX_MINUTES:
        raise InvalidInput(f"time spent {shown_number(minutes)} must be between 1 and "
                           f"{MAX_MINUTES} minutes")
    return minutes


def check_version(version: int | None) -> int | None:
    """A version a change was made against (``--version N``): 1 to :data:`INT_MAX`."""
    if version is not None:
        check_int(version, field="version")
    return version


def check_body(body: str, *, where: str = "body") -> str:
    """A message body: not empty, at most :data:`MAX_BODY` characters."""
    body = check_text(body, field=where)
    if not body.strip():
        raise InvalidInput(f"{where}: must not be empty")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"{where}: longer than {MAX_BODY:,} characters")
    return body


MAX_MESSAGE_ID = 998


def check_message_id(message_id: str | None) -> str | None:
    """An e-mail Message-ID (RFC 5322 lines hold at most 998 characters)."""
    if message_id is None:
        return None
    return check_name(message_id, field="message id", max_length=MAX_MESSAGE_ID)
