"""Keyset cursors as the desk hands them out, without the store: ``--after`` is read by the
store's lists (:mod:`.sql`'s ``decode_cursor``) and by the CLI's plain read of the newest
tickets (:mod:`deskterm.desk.plain_reads`) alike."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import TypeGuard


def encode_cursor(sort: str, value: object, number: int) -> str:
    """The cursor after the ticket ``number`` whose value in the order ``sort`` is ``value``."""
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, number], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unpack_cursor(cursor: str) -> tuple[object, object, object]:
    """(sort, value, number) as a cursor holds them, unchecked; ValueError or TypeError when it
    holds no such three."""
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    sort, value, number = json.loads(raw)
    return sort, value, number


def is_int32(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31


__all__ = ["encode_cursor", "is_int32", "unpack_cursor"]
