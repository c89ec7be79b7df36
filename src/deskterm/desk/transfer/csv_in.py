"""Reading a CSV file of tickets: bytes to checked rows, streamed, every problem named.

The file is read line by line (never whole). Its encoding is UTF-8 (a byte-order mark is
skipped; a UTF-16 one switches to UTF-16), or what ``--encoding`` names; bytes that are not
text in it are kept as they are while reading, so the row and column holding them can be named
(:func:`deskterm.desk.limits.check_text` refuses them). The delimiter is the one of ``,`` ``;``
tab ``|`` under which the header names most known columns, unless ``--delimiter`` names one.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TypeVar

from deskterm.desk.errors import InvalidInput
from deskterm.desk.limits import check_name, check_text
from deskterm.desk.people.directory import MAX_DISPLAY_NAME, MAX_GROUP_NAME, normalize_email
from deskterm.desk.safe_text import clean_line
from deskterm.desk.tickets.checks import MAX_BODY, check_body, check_subject, normalize_tags
from deskterm.desk.tickets.lifecycle import (
    CHANNELS,
    PRIORITIES,
    PRIORITY_RANK,
    STATUSES,
    TICKET_TYPES,
)
from deskterm.desk.transfer.columns import (
    CHANNEL_WORDS,
    PRIORITY_WORDS,
    STATUS_WORDS,
    TYPE_WORDS,
    Mapping_,
    fold,
    map_header,
    parse_date,
    split_tags,
    word,
)

T = TypeVar("T")

DELIMITERS = (",", ";", "\t", "|")
MAX_EXTERNAL_ID = 200
MAX_ORGANIZATION = 200
csv.field_size_limit(min(sys.maxsize, MAX_BODY * 4 + 1))  # a body's cell, however quoted


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One ticket of a CSV file, checked; names are still names (matched when written)."""

    line: int
    external_id: str | None
    subject: str
    body: str | None
    status: str
    priority: int
    type: str
    channel: str
    requester_email: str | None
    requester_name: str | None
    organization: str | None
    assignee: str | None
    group: str | None
    tags: tuple[str, ...]
    created_at: datetime | None
    updated_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class Problem:
    """What is wrong, where: ``line`` of the file (its first line for a multi-line row) and the
    column's name in the header (None: the whole row)."""

    line: int
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column '{clean_line(self.column)[:60]}'"
                                       if self.column is not None else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class RawRow:
    line: int
    cells: list[str]


@dataclass(frozen=True)
class Options:
    """How to read the file (the command line's options)."""

    overrides: Mapping[str, str]
    delimiter: str | None = None
    encoding: str | None = None
    zone: tzinfo | None = None
    date_order: str | None = None


class CsvFile:
    """A CSV file of tickets, opened afresh by each :meth:`rows`."""

    def __init__(self, path: Path, options: Options) -> None:
        self.path = path
        self.options = options
        self.encoding = options.encoding or self._sniffed_encoding()
        self._reading: io.TextIOWrapper | None = None
        self._binary: io.BufferedReader | None = None
        self.header, self.delimiter = self._header()
        self.mapping: Mapping_ = map_header(self.header, options.overrides)
        if self.mapping.position("subject") is None:
            raise InvalidInput(self._unmapped("no column holds the subject (Subject, Title, "
                                              "Summary ...); name it with --map COLUMN=subject"))
        if (self.mapping.position("requester_email") is None
                and self.mapping.position("requester_name") is None):
            raise InvalidInput(self._unmapped(
                "no column names the requester (Requester, Requester email, Email, Customer "
                "...); name it with --map COLUMN=requester_email or requester_name"))

    def _unmapped(self, reason: str) -> str:
        shown = ", ".join(f"'{clean_line(name)[:40]}'" for name in self.header[:12])
        return f"{self._shown()}, line 1 (the header): {reason}. Columns read: {shown}" + (
            f" (separated by '{self.delimiter}'; another separator? --delimiter)"
            if len(self.header) < 3 else "")

    def _shown(self) -> str:
        return clean_line(str(self.path))

    def _open_bytes(self) -> io.BufferedReader:
        try:
            return open(self.path, "rb")  # noqa: SIM115  (closed by the caller)
        except OSError as exc:
            raise InvalidInput(f"{self._shown()}: cannot be read ({exc.strerror or exc})") from None

    def _sniffed_encoding(self) -> str:
        with self._open_bytes() as raw:
            start = raw.read(4)
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        return "utf-8-sig"

    def _text(self) -> io.TextIOWrapper:
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise InvalidInput(f"--encoding {clean_line(self.encoding)[:40]}: no such "
                               "encoding") from None
        self._binary = self._open_bytes()
        return io.TextIOWrapper(self._binary, encoding=self.encoding,
                                errors="surrogateescape", newline="")

    def _header(self) -> tuple[list[str], str]:
        with self._text() as text:
            try:
                first = text.readline()
            except UnicodeError as exc:
                raise InvalidInput(f"{self._shown()}: not {self.encoding} text ({exc})") from None
        if not first.strip():
            raise InvalidInput(f"{self._shown()}: empty file (a CSV file starts with a header "
                               "line naming its columns)")
        if "\x00" in first:
            raise InvalidInput(f"{self._shown()}: a binary file, not CSV text (or UTF-16 "
                               "without a byte-order mark: --encoding utf-16)")
        candidates = ((self.options.delimiter,) if self.options.delimiter else DELIMITERS)
        best: tuple[int, list[str], str] | None = None
        for delimiter in candidates:
            cells = next(csv.reader([first], delimiter=delimiter), [])
            known = len(map_header(cells, {}).columns) - map_header(cells, {}).columns.count(None)
            if best is None or known > best[0]:
                best = (known, cells, delimiter)
        assert best is not None
        header = [cell.strip() for cell in best[1]]
        for position, name in enumerate(header, start=1):
            try:
                check_text(name, field="header")
            except InvalidInput:
                raise InvalidInput(f"{self._shown()}, line 1, column {position}: not "
                                   f"{self.encoding} text (use --encoding, e.g. cp1252)") from None
        return header, best[2]

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def bytes_read(self) -> int:
        """How far :meth:`rows` has read the file (a progress bar's measure)."""
        if self._reading is None or self._reading.closed or self._binary is None:
            return self.size()
        return self._binary.tell()

    def rows(self) -> Iterator[RawRow]:
        """Every row after the header, with the line it starts on; blank lines skipped."""
        with self._text() as text:
            self._reading = text
            reader = csv.reader(text, delimiter=self.delimiter, strict=False)
            try:
                next(reader)
                line = reader.line_num + 1
                for cells in reader:
                    if cells and any(cell.strip() for cell in cells):
                        yield RawRow(line, cells)
                    line = reader.line_num + 1
            except csv.Error as exc:
                raise InvalidInput(f"{self._shown()}, line {reader.line_num}: not CSV ({exc})"
                                   ) from None
            except UnicodeError as exc:
                raise InvalidInput(f"{self._shown()}, near line {reader.line_num}: not "
                                   f"{self.encoding} text ({exc})") from None


class RowChecker:
    """Turns the cells of a row into a :class:`TicketRow`, or the problems of its cells."""

    def __init__(self, source: CsvFile) -> None:
        self.header = source.header
        self.width = len(source.header)
        self.positions = {field: i for i, field in enumerate(source.mapping.columns)
                          if field is not None}
        self.zone = source.options.zone
        self.order = source.options.date_order

    def check(self, raw: RawRow) -> TicketRow | list[Problem]:
        cells = raw.cells
        if len(cells) != self.width:
            return [Problem(raw.line, None, f"{len(cells)} cells, the header has {self.width} "
                            "(a cell with an unquoted separator, or a wrong delimiter?)")]
        problems: list[Problem] = []
        at = self.positions

        def cell(field: str) -> str:
            position = at.get(field)
            return cells[position].strip() if position is not None else ""

        def refuse(field: str, reason: str) -> None:
            problems.append(Problem(raw.line, self.header[at[field]], reason))

        def checked(field: str, check: Callable[[str], T]) -> T | None:
            value = cell(field)
            if not value:
                return None
            try:
                return check(value)
            except InvalidInput as exc:
                refuse(field, str(exc))
                return None

        external_id = checked("external_id", lambda v: check_name(
            v, field="id", max_length=MAX_EXTERNAL_ID))
        subject = checked("subject", check_subject)
        if subject is None and not cell("subject"):
            refuse("subject", "empty: a ticket needs a subject")
        # The body keeps its own spaces and lines (the cell as it is, not stripped).
        body = checked("body", lambda v: check_body(cells[at["body"]], where="description"))
        status = checked("status", lambda v: word(v, STATUS_WORDS, "status", STATUSES))
        priority = checked("priority", lambda v: PRIORITY_RANK[
            word(v, PRIORITY_WORDS, "priority", PRIORITIES)])
        kind = checked("type", lambda v: word(v, TYPE_WORDS, "type", TICKET_TYPES))
        channel = checked("channel", lambda v: CHANNEL_WORDS.get(fold(v), "import"))
        email = checked("requester_email", lambda v: normalize_email(v, where="e-mail"))
        name = checked("requester_name", lambda v: clean_line(check_name(
            v, field="name", max_length=10_000))[:MAX_DISPLAY_NAME])
        if email is None and name is None and not cell("requester_email"):
            problems.append(Problem(raw.line, None, "no requester: an e-mail address or a "
                                    "name is needed"))
        organization = checked("organization", lambda v: check_name(
            v, field="organization", max_length=MAX_ORGANIZATION))
        assignee = checked("assignee", lambda v: check_name(v, field="assignee",
                                                             max_length=320))
        group = checked("group", lambda v: check_name(v, field="group",
                                                       max_length=MAX_GROUP_NAME))
        tags = checked("tags", lambda v: normalize_tags(split_tags(v), where="tag"))
        dates = {field: checked(field, lambda v: parse_date(v, zone=self.zone_or_utc,
                                                            order=self.order))
                 for field in ("created_at", "updated_at", "solved_at", "closed_at")}
        if problems:
            return problems
        assert subject is not None  # else a problem was listed
        return TicketRow(
            line=raw.line, external_id=external_id, subject=subject, body=body,
            status=status or "new",
            priority=PRIORITY_RANK["normal"] if priority is None else priority,
            type=kind or "question", channel=channel or "import", requester_email=email,
            requester_name=name, organization=organization, assignee=assignee, group=group,
            tags=tags or (), created_at=dates["created_at"], updated_at=dates["updated_at"],
            solved_at=dates["solved_at"], closed_at=dates["closed_at"],
        )

    @property
    def zone_or_utc(self) -> tzinfo:
        from datetime import UTC

        return self.zone or UTC


assert set(CHANNELS) >= set(CHANNEL_WORDS.values())
