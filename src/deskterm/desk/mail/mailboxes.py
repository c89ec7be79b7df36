"""Mail from an mbox file or a Maildir folder, one message's bytes at a time.

The standard library's :mod:`mailbox` does the reading: an mbox is scanned once for where each
message starts (only those offsets are kept), then each message is read alone; a Maildir is a
folder of files, one a message (``cur/`` and ``new/``). Memory stays that of one message
however big the mailbox. The mailbox is only read: nothing is marked or moved.

Each message is named by its source: ``mbox:/abs/path#12`` (the 12th message) or
``maildir:/abs/path#1733.M1P2.host`` (its unique name), the quarantine's ``source``. An mbox
is read in its order; a Maildir's files in the order they were delivered (their names start
with the time), so an answer comes after the mail it answers.
"""

from __future__ import annotations

import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from deskterm.desk.errors import InvalidInput
from deskterm.desk.safe_text import clean_line

KINDS = ("mbox", "maildir")


@dataclass(frozen=True)
class MailItem:
    """One message of a mailbox: its bytes, or why they could not be read."""

    source: str
    raw: bytes | None
    problem: str | None = None


_MAILDIR_NAME = re.compile(r"(\d+)\.(?:M(\d+))?(?:P\d+)?(?:Q(\d+))?")


def delivery_order(name: str) -> tuple[int, int, int, str]:
    """A Maildir message's place in time, from its unique name (``1733577600.M12P9Q3.host``:
    seconds, then microseconds and the deliverer's counter), so an answer is filed after the
    mail it answers; a name of another form sorts by itself, after those."""
    found = _MAILDIR_NAME.match(name)
    if found is None:
        return (2**63, 0, 0, name)
    return (int(found.group(1)), int(found.group(2) or 0), int(found.group(3) or 0), name)


class MailboxReader:
    """The messages of one mbox file or Maildir folder, counted before they are read."""

    def __init__(self, kind: str, path: Path) -> None:
        if kind not in KINDS:
            raise InvalidInput(f"mailbox kind '{kind}' is not one of: {', '.join(KINDS)}")
        self.kind = kind
        shown = clean_line(str(path))
        if "\x00" in str(path):
            raise InvalidInput(f"{shown}: not a path (it holds a NUL character)")
        try:
            self.path = path.expanduser().absolute()
        except RuntimeError:  # ~user of no such user
            raise InvalidInput(f"{shown}: no such {kind} (unknown home folder)") from None
        if not self.path.exists():
            raise InvalidInput(f"{shown}: no such {'file' if kind == 'mbox' else 'folder'}")
        box: mailbox.Mailbox
        try:
            if kind == "mbox":
                if not self.path.is_file():
                    raise InvalidInput(f"{shown}: not an mbox file (it is a folder: "
                                       "`deskterm mail import maildir` reads Maildir folders)")
                box = mailbox.mbox(self.path, create=False)
            else:
                if not self.path.is_dir() or not (self.path / "cur").is_dir() or not (
                        self.path / "new").is_dir():
                    raise InvalidInput(f"{shown}: not a Maildir folder (it has no cur/ and "
                                       "new/ folders)")
                box = mailbox.Maildir(self.path, factory=None, create=False)
            self.keys = list(box.iterkeys())
            if kind == "maildir":
                self.keys.sort(key=delivery_order)
        except InvalidInput:
            raise
        except (OSError, mailbox.Error) as exc:
            reason = getattr(exc, "strerror", None) or clean_line(str(exc))
            raise InvalidInput(f"{shown}: cannot be read ({reason})") from None
        self.box = box

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self) -> Iterator[MailItem]:
        where = clean_line(str(self.path))
        for number, box_key in enumerate(self.keys, start=1):
            source = (f"mbox:{where}#{number}" if self.kind == "mbox"
                      else f"maildir:{where}#{clean_line(str(box_key))}")
            try:
                raw = self.box.get_bytes(box_key)
            except (OSError, KeyError, mailbox.Error) as exc:
                reason = getattr(exc, "strerror", None) or clean_line(str(exc)) or "gone"
                yield MailItem(source, None, f"cannot be read ({reason})")
                continue
            yield MailItem(source, raw)

    def close(self) -> None:
        self.box.close()


__all__ = ["KINDS", "MailItem", "MailboxReader"]
