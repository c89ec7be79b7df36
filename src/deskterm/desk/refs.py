"""Ticket references as people type them (``#1042``), read without the store: the CLI parses
one before it knows whether the store's code has to load at all."""

from __future__ import annotations

import re

from deskterm.desk.errors import InvalidInput
from deskterm.desk.limits import INT_MAX

_REF = re.compile(r"#?([0-9]+)")


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


__all__ = ["parse_ref"]
