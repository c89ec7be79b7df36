"""Reading a CSV file of tickets: bytes to checked rows, streamed, every problem named.

The file is read line by line (never whole). Its encoding is UTF-8 (a byte-order mark is
skipped; a UTF-16 one switches to UTF-16), or what ``--encoding`` names; bytes that are not
text in it are kept as they are while reading, so the row and column holding them can be named
(:func:`deskterm.desk.limits.check_text` refuses them). The delimiter is the one of ``,`` ``;``
tab ``|`` under which the header names most known columns, unless ``--delimiter`` names one.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import multiprocessing
import operator
import pickle
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from email.utils import parseaddr
from pathlib import Path
from typing import Any, NamedTuple

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
)
from deskterm.desk.transfer.columns import (
    CHANNEL_WORDS,
    PRIORITY_WORDS,
    STATUS_WORDS,
    Mapping_,
    fold,
    from_spreadsheet_safe,
    map_header,
    parse_date,
    split_tags,
    ticket_type,
    word,
)

DELIMITERS = (",", ";", "\t", "|")
MAX_EXTERNAL_ID = 200
MAX_ORGANIZATION = 200
csv.field_size_limit(min(sys.maxsize, MAX_BODY * 4 + 1))  # a body's cell, however quoted


@dataclass(slots=True)
class TicketRow:
    """One ticket of a CSV file, checked; names are still names (matched when written).
    (Not frozen: a frozen dataclass's ``__init__`` costs twice as much, on every row.)"""

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
    extra: object = None
    """What the checker's ``extra`` made of the row (the caller's own use)."""


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


class RawRow(NamedTuple):
    """A row of the file as read: the line it starts on, its cells. (A named tuple: made twice
    for every row, and a frozen dataclass's ``__init__`` took ten times as long.)"""

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
            return open(self.path, "rb")
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
                    if cells and "".join(cells).strip():  # (not only spaces)
                        yield RawRow(line, cells)
                    line = reader.line_num + 1
            except csv.Error as exc:
                raise InvalidInput(f"{self._shown()}, line {reader.line_num}: not CSV ({exc})"
                                   ) from None
            except UnicodeError as exc:
                raise InvalidInput(f"{self._shown()}, near line {reader.line_num}: not "
                                   f"{self.encoding} text ({exc})") from None


def _name_check(field: str, limit: int) -> Callable[[str], str]:
    return lambda value: check_name(value, field=field, max_length=limit)


def _priority(value: str) -> int:
    return PRIORITY_RANK[word(value, PRIORITY_WORDS, "priority", PRIORITIES)]


def _requester_name(value: str) -> str:
    return clean_line(check_name(value, field="name", max_length=10_000))[:MAX_DISPLAY_NAME]


_DATES = ("created_at", "updated_at", "solved_at", "closed_at")
_REPEATING = frozenset({"status", "priority", "type", "channel", "requester_email",
                        "requester_name", "organization", "assignee", "group", "tags"})
"""Columns whose cells repeat down a file (a requester has many tickets, a desk a few groups):
their checks remember what they made of each cell, as it was (a check is a pure function whose
results are never changed: strings, numbers, tuples; a refused cell is checked again each time,
so every row gets its own problem)."""
_REMEMBERED = 50_000
"""Most cells a check remembers (it forgets them all and starts again past that)."""


class RowChecker:
    """Turns the cells of a row into a :class:`TicketRow`, or the problems of its cells.

    The check of each mapped column is chosen once, not per row: a row is one loop over them
    (half the time of an import is spent here)."""

    def __init__(self, source: CsvFile,
                 extra: Callable[[TicketRow], object] | None = None) -> None:
        """``extra``: a function of a checked row, its result kept in the row's ``extra``
        (computed where the row is checked: in the reading process, if there is one)."""
        self.extra = extra
        self.header = source.header
        self.width = len(source.header)
        self.positions = {field: i for i, field in enumerate(source.mapping.columns)
                          if field is not None}
        zone: tzinfo = source.options.zone or UTC
        order = source.options.date_order

        def date(value: str) -> datetime:
            return parse_date(value, zone=zone, order=order)

        checks: dict[str, Callable[[str], object]] = {
            "external_id": _name_check("id", MAX_EXTERNAL_ID),
            "subject": check_subject,
            "body": lambda value: check_body(value, where="description"),
            "status": lambda value: word(value, STATUS_WORDS, "status", STATUSES),
            "priority": _priority,
            "type": ticket_type,
            "channel": lambda value: CHANNEL_WORDS.get(fold(value), "import"),
            "requester_email": lambda value: normalize_email(value, where="e-mail"),
            "requester_name": _requester_name,
            "organization": _name_check("organization", MAX_ORGANIZATION),
            "assignee": _name_check("assignee", 320),
            "group": _name_check("group", MAX_GROUP_NAME),
            "tags": lambda value: normalize_tags(split_tags(value), where="tag"),
            **dict.fromkeys(_DATES, date),
        }
        # (field, its column's position and name, its check, what the check made of each
        # cell seen before: columns of _REPEATING only)
        self.checks: list[tuple[str, int, str, Callable[[str], object],
                                dict[str, object] | None]] = [
            (field, position, self.header[position], checks[field],
             {} if field in _REPEATING else None)
            for field, position in self.positions.items()]

    def check(self, raw: RawRow) -> TicketRow | list[Problem]:
        cells = raw.cells
        if len(cells) != self.width:
            return [Problem(raw.line, None, f"{len(cells)} cells, the header has {self.width} "
                            "(a cell with an unquoted separator, or a wrong delimiter?)")]
        problems: list[Problem] = []
        found: dict[str, object] = {}
        for field, position, column, check, known in self.checks:
            value = cells[position]
            if known is not None and value in known:
                # (A cell seen before, as it was: what its check made of it. Inline, as the
                # rest of this loop: it runs for every cell of the file.)
                found[field] = known[value]
                continue
            if value[:1] == "'":
                value = from_spreadsheet_safe(value)
            stripped = value.strip()
            if field != "body":  # a body keeps its own spaces and lines
                value = stripped
            if not stripped:
                if field == "subject":
                    problems.append(Problem(raw.line, column, "empty: a ticket needs a subject"))
                continue
            try:
                result = found[field] = check(value)
            except InvalidInput as exc:
                problems.append(Problem(raw.line, column, str(exc)))
                continue
            if known is not None:
                if len(known) >= _REMEMBERED:
                    known.clear()
                known[cells[position]] = result
        kind = found.get("type")
        if isinstance(kind, tuple):  # (type, the channel it tells, if any)
            found["type"] = kind[0]
            if kind[1] is not None and "channel" not in found:
                found["channel"] = kind[1]
        if "requester_email" not in found and "requester_name" in found:
            # "From: Ann Smith <ann@acme.com>", or an address alone, in the name's column
            name, address = parseaddr(str(found["requester_name"]))
            if "@" in address:
                try:
                    found["requester_email"] = normalize_email(address, where="e-mail")
                    found["requester_name"] = name.strip() or None
                    if found["requester_name"] is None:
                        del found["requester_name"]
                except InvalidInput:
                    pass
        if ("requester_email" not in found and "requester_name" not in found
                and not any(cells[self.positions[f]].strip() for f in
                            ("requester_email", "requester_name") if f in self.positions)):
            problems.append(Problem(raw.line, None, "no requester: an e-mail address or a "
                                    "name is needed"))
        if problems:
            return problems
        get = found.get
        row = TicketRow(
            line=raw.line, external_id=get("external_id"),  # type: ignore[arg-type]
            subject=found["subject"],  # type: ignore[arg-type]
            body=get("body"),  # type: ignore[arg-type]
            status=get("status", "new"),  # type: ignore[arg-type]
            priority=get("priority", PRIORITY_RANK["normal"]),  # type: ignore[arg-type]
            type=get("type", "question"),  # type: ignore[arg-type]
            channel=get("channel", "import"),  # type: ignore[arg-type]
            requester_email=get("requester_email"),  # type: ignore[arg-type]
            requester_name=get("requester_name"),  # type: ignore[arg-type]
            organization=get("organization"),  # type: ignore[arg-type]
            assignee=get("assignee"),  # type: ignore[arg-type]
            group=get("group"),  # type: ignore[arg-type]
            tags=get("tags", ()),  # type: ignore[arg-type]
            created_at=get("created_at"),  # type: ignore[arg-type]
            updated_at=get("updated_at"),  # type: ignore[arg-type]
            solved_at=get("solved_at"),  # type: ignore[arg-type]
            closed_at=get("closed_at"),  # type: ignore[arg-type]
        )
        if self.extra is not None:
            row.extra = self.extra(row)
        return row


assert set(CHANNELS) >= set(CHANNEL_WORDS.values())


# --- Reading and checking beside the import --------------------------------------------------

Checked = tuple[RawRow, TicketRow | list[Problem]]
"""A row of the file and what its check made of it."""

PARALLEL_BYTES = 4 * 1024 * 1024
"""Files at least this big are read and checked by a helper process (see :func:`checked_rows`)."""
_CHUNK_ROWS = 1_000
_PIPE_BYTES = 1024 * 1024
"""The pipe's size (Linux's most for an unprivileged process, by default): 2-3 chunks."""
_F_SETPIPE_SZ = 1031
_FIELDS = TicketRow.__slots__
_DATE_AT = tuple(_FIELDS.index(name) for name in _DATES)
_VALUES = operator.attrgetter(*_FIELDS)
"""A row's values in the order of its fields (one call, not one ``getattr`` per field)."""


def _reader(source: CsvFile, checker: RowChecker, cells_of_accepted: bool, out: Any) -> None:
    """The helper process: reads and checks, sends chunks of results down ``out``."""
    try:
        chunk: list[tuple[Any, ...]] = []
        seen: set[str] = set()
        for raw in source.rows():
            checked = checker.check(raw)
            if isinstance(checked, list):
                chunk.append((raw.line, raw.cells, checked))
                continue
            again = checked.external_id in seen  # (a duplicate id: refused by the caller)
            if checked.external_id is not None:
                seen.add(checked.external_id)
            values = list(_VALUES(checked))
            if checked.extra is not None:
                # The dates travel as the store takes them, in ``extra`` (made by the check's
                # ``extra``): their datetimes stay here (pickling them both ways was a tenth
                # of the time the two processes spent passing rows).
                for at in _DATE_AT:
                    values[at] = None
            chunk.append((raw.line, raw.cells if again or (cells_of_accepted and
                                                           checked.assignee) else None,
                          tuple(values)))
            if len(chunk) >= _CHUNK_ROWS:
                out.send_bytes(pickle.dumps(("rows", chunk, source.bytes_read()), protocol=5))
                chunk = []
        out.send_bytes(pickle.dumps(("rows", chunk, source.size()), protocol=5))
        out.send_bytes(pickle.dumps(("end",), protocol=5))
    except InvalidInput as exc:
        out.send_bytes(pickle.dumps(("refused", str(exc)), protocol=5))
    except BaseException as exc:  # told to the importing process, which raises it
        out.send_bytes(pickle.dumps(("failed", f"{type(exc).__name__}: {exc}"), protocol=5))
    finally:
        out.close()


class CheckedRows:
    """Every row of a file with its check, and how far the file was read then (0: ask
    :meth:`CsvFile.bytes_read`); see :func:`checked_rows`. :meth:`close` when done."""

    def __init__(self, source: CsvFile, checker: RowChecker, *, cells_of_accepted: bool,
                 parallel: bool) -> None:
        self.source = source
        self.checker = checker
        self.helper: Any = None
        self.receive: Any = None
        if parallel:
            # Forked now, before the import opens its connection (the helper never uses one).
            import fcntl  # (Linux only, as fork here)

            context = multiprocessing.get_context("fork")
            self.receive, send = context.Pipe(duplex=False)
            with contextlib.suppress(OSError):  # room for the helper to run a few chunks ahead
                fcntl.fcntl(send.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)
            self.helper = context.Process(
                target=_reader, args=(source, checker, cells_of_accepted, send), daemon=True,
                name="deskterm-csv-reader")
            self.helper.start()
            send.close()

    def __iter__(self) -> Iterator[tuple[Checked, int]]:
        if self.helper is None:
            for raw in self.source.rows():
                yield (raw, self.checker.check(raw)), 0
            return
        while True:
            try:
                message = pickle.loads(self.receive.recv_bytes())
            except EOFError:
                raise InvalidInput(f"{self.source._shown()}: the reading process stopped "
                                   f"(exit code {self.helper.exitcode})") from None
            if message[0] == "end":
                return
            if message[0] == "refused":
                raise InvalidInput(message[1])
            if message[0] == "failed":
                raise RuntimeError(f"reading {self.source._shown()} failed: {message[1]}")
            _kind, chunk, read = message
            for line, cells, result in chunk:
                raw = RawRow(line, cells if cells is not None else [])
                yield (raw, result if isinstance(result, list) else TicketRow(*result)), read

    def close(self) -> None:
        if self.helper is None:
            return
        self.receive.close()
        if self.helper.is_alive():
            self.helper.terminate()
        self.helper.join()
        self.helper.close()
        self.helper = None


def checked_rows(source: CsvFile, checker: RowChecker, *, cells_of_accepted: bool = True,
                 parallel: bool | None = None) -> CheckedRows:
    """The rows of ``source`` with their checks (a :class:`CheckedRows`; close it when done).

    A file of at least :data:`PARALLEL_BYTES` (or ``parallel=True``) is read and checked by a
    helper process (forked, on Linux), a thousand rows at a time, while the caller writes what
    it has; the pipe between them holds a few chunks, so memory stays bounded. The helper
    sends the cells of a refused row, and of a checked row only where the caller may still
    refuse it: its id came before, or it names an assignee and ``cells_of_accepted``.
    When the checker has an ``extra`` (the import's dates as the store takes them), a row from
    the helper comes without its four datetimes: ``extra`` carries them.
    """
    if parallel is None:
        parallel = source.size() >= PARALLEL_BYTES
    forks = "fork" in multiprocessing.get_all_start_methods() and sys.platform == "linux"
    return CheckedRows(source, checker, cells_of_accepted=cells_of_accepted,
                       parallel=parallel and forks)
