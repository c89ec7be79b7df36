"""A ticket's attachments as the ticket screen lists and saves them.

Listing reads names, types and sizes only (the bytes are a deferred column). Saving writes the
bytes to the path the agent named: a new file is created exclusively (``O_EXCL``: never through a
symbolic link or over a file that appeared meanwhile); replacing an existing file (after the
agent said yes) writes a temporary file beside it and renames it over, so a failure leaves the
old file whole and a symbolic link at that path is replaced, not written through.
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from deskterm.db.models import Attachment, Message, Ticket
from deskterm.desk.errors import NotFound
from deskterm.desk.safe_text import clean_line

NAME_BYTES = 200
"""A saved file's name is cut to this many bytes (UTF-8), its extension kept."""


@dataclass(frozen=True)
class AttachmentRead:
    """One file of a ticket: what the picker lists."""

    id: int
    message_id: int
    filename: str
    content_type: str
    size: int


def human_size(size: int) -> str:
    """``size`` bytes as people read it: 812 B, 3.2 KB, 14 KB, 3.2 MB."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"


def ticket_attachments(session: Session, *, number: int) -> list[AttachmentRead]:
    """The files of ticket ``number``'s messages, oldest message first."""
    rows = session.exec(  # the bytes are a deferred column: not read here
        select(Attachment)
        .join(Message, col(Message.id) == Attachment.message_id)
        .where(Message.ticket_id == number)
        .order_by(col(Attachment.message_id), col(Attachment.id))).all()
    if not rows and session.get(Ticket, number) is None:
        raise NotFound(f"no ticket #{number}")
    return [AttachmentRead(row.id or 0, row.message_id, row.filename, row.content_type,
                           row.size) for row in rows]


def attachment_data(session: Session, *, number: int, attachment_id: int) -> bytes:
    """The bytes of one file of ticket ``number`` (NotFound for another ticket's)."""
    data = session.exec(
        select(Attachment.data)
        .join(Message, col(Message.id) == Attachment.message_id)
        .where(Attachment.id == attachment_id, Message.ticket_id == number)).first()
    if data is None:
        raise NotFound(f"#{number} has no attachment {attachment_id}")
    return bytes(data)


def save_name(filename: str) -> str:
    """``filename`` as a safe name for one file in a folder the agent chose: no folders (``/``
    or ``\\``), no control or formatting characters, no leading dots (hidden files, ``..``),
    at most :data:`NAME_BYTES` bytes; ``attachment`` when nothing is left."""
    name = clean_line(unicodedata.normalize("NFC", filename))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cf", "Cc", "Zl", "Zp"))
    name = name.strip().lstrip(".").strip()
    if not name:
        return "attachment"
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension.encode()) > 16:
        stem, extension = name, ""
    while len((stem + (f".{extension}" if extension else "")).encode()) > NAME_BYTES:
        stem = stem[:-1]
    return stem + (f".{extension}" if extension else "")


def default_folder() -> Path:
    """Where a saved attachment goes unless the agent says otherwise: ~/Downloads when it
    exists, else the current directory."""
    downloads = Path.home() / "Downloads"
    return downloads if downloads.is_dir() else Path.cwd()


def save_bytes(path: Path, data: bytes, *, replace: bool = False) -> None:
    """Write ``data`` to ``path``: a new file, or with ``replace`` one that replaces what is
    there. FileExistsError when ``path`` exists and ``replace`` is false; OSError as it is."""
    if not replace:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(descriptor, "wb") as new:  # closes the descriptor
                new.write(data)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return
    handle, temporary = tempfile.mkstemp(prefix=".deskterm-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
