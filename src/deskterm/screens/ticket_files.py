"""A ticket's attachments on the ticket screen: ``A`` lists them (name, type, size) in a
picker; ``enter`` on one asks where to save it (offered: ~/Downloads, or the current directory,
and the file's cleaned name; a folder given keeps that name), asks before replacing a file
that is there, and saves the bytes read through the use-case API
(``Desk.attachment_data``). A mixin of :class:`~deskterm.screens.ticket.TicketScreen`, which
owns ``desk``, ``number`` and ``detail``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.screen import Screen

from deskterm.desk.mail.files import (
    AttachmentRead,
    default_folder,
    human_size,
    save_bytes,
    save_name,
)
from deskterm.desk.safe_text import clean_line
from deskterm.messages import Notice, OpenScreen
from deskterm.screens.dialogs import Ask, ConfirmToCustomer
from deskterm.screens.pickers import Choice, Picker
from deskterm.screens.reporting import ReportsWorkerErrors
from deskterm.widgets.thread import ThreadView

if TYPE_CHECKING:
    from deskterm.desk.service import Desk


def attachment_choices(files: list[AttachmentRead]) -> list[Choice]:
    return [Choice(str(f.id), f.filename, f"{clean_line(f.content_type)} · {human_size(f.size)}",
                   also=f.content_type) for f in files]


def shown_path(path: Path) -> str:
    """A path for a notification or a question: one line, cleaned, home as ``~``."""
    text = str(path)
    home = str(Path.home())
    if home != "/" and (text == home or text.startswith(home + "/")):
        text = "~" + text[len(home):]
    return clean_line(text)


class FilesRead(Message):
    """A ticket's attachments, read for the thread."""

    def __init__(self, number: int, files: list[AttachmentRead]) -> None:
        super().__init__()
        self.number = number
        self.files = files


class TicketFiles(ReportsWorkerErrors, Screen):
    """The ticket screen's attachments (a mixin: see the module's docstring)."""

    if TYPE_CHECKING:  # the ticket screen's
        desk: Desk
        number: int

    @work(thread=True, exclusive=True, group="ticket-files", exit_on_error=False)
    def read_files(self, number: int) -> None:
        """The ticket's attachments, for the thread to name under their messages."""
        self.post_message(FilesRead(number, self.desk.ticket_attachments(number)))

    def on_files_read(self, message: FilesRead) -> None:
        if message.number == self.number:
            self.query_one(ThreadView).show_files(message.files)

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_pick_attachment(self) -> None:
        number = self.number
        files = self.desk.ticket_attachments(number)
        if not files:
            self.post_message(Notice(f"#{number} has no attachments", timeout=3))
            return
        by_id = {str(f.id): f for f in files}

        def chosen(key: str | None) -> None:
            if key is not None and key in by_id:
                self.ask_where_to_save(by_id[key])

        title = f"Attachments of #{number} ({len(files)}) · enter saves"
        self.post_message(OpenScreen(Picker(title, attachment_choices(files)), chosen))

    def ask_where_to_save(self, file: AttachmentRead) -> None:
        offered = default_folder() / save_name(file.filename)

        def answered(text: str | None) -> None:
            if text is not None:
                self.save_to(file, text)

        self.app.push_screen(Ask(f"Save {clean_line(file.filename)} ({human_size(file.size)}) "
                                 "as", value=str(offered),
                                 hint="A folder keeps the file's name · escape cancels"),
                             answered)

    def save_to(self, file: AttachmentRead, text: str) -> None:
        path = Path(text).expanduser()
        if path.is_dir():
            path = path / save_name(file.filename)
        if not path.parent.is_dir():
            self.notify(f"No folder {shown_path(path.parent)}: nothing was saved",
                        severity="warning", markup=False)
            return
        if path.exists() or path.is_symlink():
            if path.is_dir():
                self.notify(f"{shown_path(path)} is a folder: nothing was saved",
                            severity="warning", markup=False)
                return

            def replace(yes: bool | None) -> None:
                if yes:
                    self.save_attachment(file, path, replace=True)

            # only `y` replaces: an `enter` meant for the path never overwrites a file
            self.app.push_screen(ConfirmToCustomer(f"{shown_path(path)} exists. Replace it?",
                                                   yes="Replace", no="Keep it"), replace)
            return
        self.save_attachment(file, path, replace=False)

    @work(thread=True, group="attachments", exit_on_error=False)
    def save_attachment(self, file: AttachmentRead, path: Path, *, replace: bool) -> None:
        data = self.desk.attachment_data(self.number, file.id)
        try:
            save_bytes(path, data, replace=replace)
        except FileExistsError:
            self.post_message(Notice(f"{shown_path(path)} appeared meanwhile: nothing was "
                                     "saved (save again to replace it)", severity="warning"))
            return
        except OSError as exc:
            self.post_message(Notice(f"Cannot save to {shown_path(path)}: "
                                     f"{exc.strerror or exc}", severity="error"))
            return
        self.post_message(Notice(f"Saved {clean_line(file.filename)} "
                                 f"({human_size(len(data))}) to {shown_path(path)}"))
