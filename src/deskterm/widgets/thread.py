"""A ticket's thread drawn with the line API: one widget however long the thread is.

Mounting a widget per message made a 500-message ticket take seconds to open and to scroll
(every message was three widgets to style and lay out). Here the thread is wrapped once per
width into a list of lines, and only the lines on screen are painted (and cached). Customer text
is drawn as plain ``Text`` after ``safe_text``, never as markup; the widget never touches the
store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from deskterm.desk.mail.files import AttachmentRead, human_size
from deskterm.desk.mail.quoting import split_quoted
from deskterm.desk.reads import EventRead, MailMark, MessageRead
from deskterm.desk.safe_text import cell_line, display_text
from deskterm.timefmt import absolute, ago

BAR = "▌"
"""The coloured bar down the left of a message (reply, customer, internal note)."""


def message_kind(message: MessageRead) -> str:
    """``customer``, ``reply`` (an agent's public reply) or ``note`` (internal)."""
    if message.author_kind == "customer":
        return "customer"
    return "reply" if message.public else "note"


MAIL_REASON_SHOWN = 80
"""Characters of a mail's failure reason shown in a reply's title (the outbox lists it whole)."""
MAIL_STYLES = {"queued": "yellow", "sending": "yellow", "sent": "green", "failed": "bold red"}


def mail_mark(mail: MailMark) -> str:
    """How a reply's e-mail is doing, in a few words: ``✉ sent``, ``✉ failed: 550 ...``."""
    reason = cell_line(mail.reason or "")
    if len(reason) > MAIL_REASON_SHOWN:
        reason = reason[:MAIL_REASON_SHOWN - 1] + "…"
    if mail.state == "failed":
        return f"✉ failed: {reason or 'unknown reason'}"
    if mail.state == "queued" and mail.attempts and reason:
        return f"✉ queued, will retry ({reason})"
    return f"✉ {mail.state}"


def message_title(message: MessageRead, now: datetime) -> Text:
    label = {"customer": "customer", "reply": "reply", "note": "internal note"}
    title = Text(no_wrap=True, overflow="ellipsis", end="")
    title.append(cell_line(message.author) or "(unknown)", style="bold")
    title.append(f"  {label[message_kind(message)]}  ", style="italic")
    if message.mail is not None:
        title.append(mail_mark(message.mail), style=MAIL_STYLES.get(message.mail.state, ""))
        title.append("  ")
    title.append(f"{ago(message.created_at, now)} · {absolute(message.created_at)}",
                 style="dim")
    return title


def event_text(event: EventRead, now: datetime) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    text.append(f"{cell_line(event.by)} changed {event.field}: ")
    text.append(cell_line(event.old or "—"))
    text.append(" → ")
    text.append(cell_line(event.new or "—"))
    text.append(f"  {ago(event.at, now)}")
    return text


def _wrapped(body: str, width: int, console: Console) -> list[Text]:
    """``body`` broken into lines of at most ``width`` cells (most lines fit: only the long
    ones go through Rich's word wrap, which is the costly part)."""
    lines: list[Text] = []
    for raw in body.expandtabs(4).split("\n"):
        if cell_len(raw) <= width:
            lines.append(Text(raw, end=""))
        else:
            lines.extend(Text(raw, end="").wrap(console, width, overflow="fold"))
    return lines


FOLDED = "… quoted text ({count} line{s}) — z to show"
"""The one dim line quoted history (of a customer's mail) is folded to."""


def folded_line(count: int) -> Text:
    return Text(FOLDED.format(count=count, s="" if count == 1 else "s"), style="dim", end="")


@dataclass(frozen=True)
class Part:
    """A customer's own text, or the history their mail quoted (folded)."""

    quoted: bool
    text: str


def mail_parts(body: str) -> list[Part]:
    """``body`` (cleaned) as its new text and the quoted history below it, if any."""
    new, history = split_quoted(body)
    history = history.rstrip()
    if not history:
        return [Part(False, body)]
    return [Part(False, new.rstrip()), Part(True, history)]


@dataclass(frozen=True)
class _Line:
    item: int
    """Index into the thread's items; -1 for the blank line between two items."""
    text: Text | None
    kind: str
    """``customer``, ``reply``, ``note``, ``event`` or ``gap``."""


class ThreadView(ScrollView, can_focus=True):
    """The messages of one ticket, in order, with the audit events between them if asked."""

    COMPONENT_CLASSES = {
        "thread--reply",
        "thread--customer",
        "thread--note",
        "thread--note-bar",
        "thread--event",
    }

    DEFAULT_CSS = """
    ThreadView > .thread--reply { color: $primary; }
    ThreadView > .thread--customer { color: $accent; }
    ThreadView > .thread--note { background: $warning 15%; }
    ThreadView > .thread--note-bar { color: $warning; }
    ThreadView > .thread--event { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.items: list[MessageRead | EventRead] = []
        self.now: datetime | None = None
        self._lines: list[_Line] = []
        self._starts: list[int] = []
        """The first line of each item."""
        self._wrapped_for = -1
        self._strips: dict[int, Strip] = {}
        self._to_end = False
        self._following = True
        """The reader is at the end (new messages scroll into view)."""
        self.show_quoted = False
        """Quoted history in customers' mail is shown (``z``), not folded to one line."""
        self._parts: dict[int, tuple[str, list[Part]]] = {}
        """A customer message's own text and quoted history, by message id (and body)."""
        self.files: dict[int, list[AttachmentRead]] = {}
        """The files that came with each message (by message id), named under it."""

    # --- what the screen calls -------------------------------------------------------------

    def show(self, messages: Sequence[MessageRead], events_: Sequence[EventRead], now: datetime,
             *, keep_place: bool = False, follow: bool = True) -> None:
        """Show ``messages`` (and ``events_``, merged by time) and scroll to the newest, or keep
        the reader's place with ``keep_place`` when nothing new arrived. ``follow=False``: new
        messages (someone else's, arriving live) scroll into view only for a reader who is at
        the end already; one who scrolled up to read stays where they are."""
        items: list[tuple[datetime, int, MessageRead | EventRead]] = [
            (m.created_at, 0, m) for m in messages]
        items += [(e.at, 1, e) for e in events_]
        items.sort(key=lambda item: (item[0], item[1]))
        grew = len(messages) > len(self.messages) and (follow or self.at_end)
        self.items = [item for _, _, item in items]
        self._parts = {m.id: self._parts[m.id] for m in messages if m.id in self._parts}
        self.now = now
        self._wrapped_for = -1
        self._wrap()
        if grew or not keep_place:
            # The first ticket may arrive before the widget has its size: the resize that
            # follows wraps again, and must land on the newest message too.
            self._to_end = True
            self.scroll_end(animate=False)
        self.refresh()

    def show_files(self, files: Sequence[AttachmentRead]) -> None:
        """Name ``files`` (a ticket's attachments) under the messages they came with."""
        by_message: dict[int, list[AttachmentRead]] = {}
        for file in files:
            by_message.setdefault(file.message_id, []).append(file)
        if by_message == self.files:
            return
        self.files = by_message
        self._wrapped_for = -1
        self._wrap()
        self.refresh()

    def toggle_quoted(self) -> bool:
        """Fold or show the quoted history of customers' mail; True when it is now shown."""
        self.show_quoted = not self.show_quoted
        self._wrapped_for = -1
        self._wrap()
        self.refresh()
        return self.show_quoted

    @property
    def has_quoted(self) -> bool:
        """Some customer message of the thread carries quoted history."""
        return any(part.quoted for item in self.items
                   if isinstance(item, MessageRead) and message_kind(item) == "customer"
                   for part in self._split(item))

    def _split(self, message: MessageRead) -> list[Part]:
        cached = self._parts.get(message.id)
        if cached is None or cached[0] != message.body:
            parts = mail_parts(display_text(message.body))
            cached = self._parts[message.id] = (message.body, parts)
        return cached[1]

    def _body_lines(self, message: MessageRead, width: int, console: Console) -> list[Text]:
        """The body as drawn: a customer's quoted history folded to one dim line (or dim)."""
        if message_kind(message) != "customer":
            return _wrapped(display_text(message.body), width, console)
        lines: list[Text] = []
        for part in self._split(message):
            if not part.quoted:
                lines += _wrapped(part.text, width, console)
            elif self.show_quoted:
                for line in _wrapped(part.text, width, console):
                    line.stylize("dim")
                    lines.append(line)
            else:
                lines.append(folded_line(part.text.count("\n") + 1))
        return lines

    def _file_lines(self, message: MessageRead, width: int, console: Console) -> list[Text]:
        files = self.files.get(message.id)
        if not files:
            return []
        names = " · ".join(f"{cell_line(f.filename)} ({human_size(f.size)})" for f in files)
        lines = _wrapped(f"Attached: {names} — A to save", width, console)
        for line in lines:
            line.stylize("dim")
        return lines

    def retime(self, now: datetime) -> None:
        """Re-draw the ages ("4m ago") for ``now``: only the title lines are made again, no
        body is wrapped, nothing is read."""
        self.now = now
        changed = False
        for index, start in enumerate(self._starts):
            if start >= len(self._lines) or index >= len(self.items):
                break
            item, line = self.items[index], self._lines[start]
            text = (event_text(item, now) if isinstance(item, EventRead)
                    else message_title(item, now))
            if line.text is None or text.plain != line.text.plain:
                self._lines[start] = _Line(index, text, line.kind)
                self._strips.pop(start, None)
                changed = True
        if changed:
            self.refresh()

    @property
    def at_end(self) -> bool:
        """The reader sees the newest message (or is being taken there)."""
        return self._to_end or self._following

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Kept as the reader scrolls, not worked out when asked: once the widget has shrunk
        # (the composer opened) the offset that was the end no longer is.
        self._following = new_value >= self.max_scroll_y

    def scroll_lines(self, lines: int) -> None:
        """Scroll ``lines`` down (up when negative), at once."""
        self._to_end = False
        self.scroll_relative(y=lines, animate=False)

    @property
    def messages(self) -> list[MessageRead]:
        return [item for item in self.items if isinstance(item, MessageRead)]

    def visible_items(self) -> list[MessageRead | EventRead]:
        """The items with at least one line on screen (top to bottom)."""
        top = round(self.scroll_offset.y)
        bottom = top + self.scrollable_content_region.height
        seen: list[int] = []
        for line in self._lines[top:bottom]:
            if line.item >= 0 and (not seen or seen[-1] != line.item):
                seen.append(line.item)
        return [self.items[index] for index in seen]

    def lines_of(self, item: MessageRead | EventRead) -> list[str]:
        """The plain text of ``item`` as drawn (title, then body lines)."""
        index = self.items.index(item)
        return [line.text.plain for line in self._lines
                if line.item == index and line.text is not None]

    # --- layout ----------------------------------------------------------------------------

    def _text_width(self) -> int:
        # The bar, a space either side of the text.
        return max(self.scrollable_content_region.width - 3, 8)

    def _wrap(self) -> None:
        """Break the thread into lines for the current width (once per width and content)."""
        width = self._text_width()
        if width == self._wrapped_for:
            return
        self._wrapped_for = width
        self._strips.clear()
        console = self.app.console
        now = self.now
        if now is None:  # nothing shown yet (show() sets the items and their time together)
            now = datetime.now(UTC)
        lines: list[_Line] = []
        starts: list[int] = []
        for index, item in enumerate(self.items):
            lines.append(_Line(-1, None, "gap"))
            starts.append(len(lines))
            if isinstance(item, EventRead):
                lines.append(_Line(index, event_text(item, now), "event"))
                continue
            kind = message_kind(item)
            lines.append(_Line(index, message_title(item, now), kind))
            for part in self._body_lines(item, width, console):
                lines.append(_Line(index, part, kind))
            for part in self._file_lines(item, width, console):
                lines.append(_Line(index, part, kind))
        self._lines = lines
        self._starts = starts
        self.virtual_size = Size(self.scrollable_content_region.width, len(lines))

    def on_resize(self, _event: events.Resize) -> None:
        # Kept while scrolling: the reply editor opening under the thread must not leave the
        # newest message below the fold.
        at_end = self.at_end
        self._wrap()
        self.virtual_size = Size(self.scrollable_content_region.width, len(self._lines))
        if at_end:
            self.scroll_end(animate=False)
        self._to_end = False

    # --- painting --------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        strip = self._strips.get(index)
        if strip is None:
            if len(self._strips) > 2_000:
                self._strips.clear()
            strip = self._strips[index] = self._paint(self._lines[index], width)
        return strip

    def _paint(self, line: _Line, width: int) -> Strip:
        base = self.rich_style
        if line.kind == "gap" or line.text is None:
            return Strip.blank(width, base)
        if line.kind == "event":
            base = base + self.get_component_rich_style("thread--event")
            bar = Segment("  ", base)
        elif line.kind == "note":
            base = base + Style(bgcolor=self.get_component_rich_style("thread--note").bgcolor)
            bar = Segment(BAR + " ", base + Style(
                color=self.get_component_rich_style("thread--note-bar").color))
        else:
            bar = Segment(BAR + " ", base + Style(
                color=self.get_component_rich_style(f"thread--{line.kind}").color))
        text = line.text.copy()
        text.truncate(width - 3, overflow="ellipsis", pad=True)
        segments = [bar]
        segments += [Segment(seg.text, base + seg.style if seg.style else base)
                     for seg in text.render(self.app.console)]
        segments.append(Segment(" ", base))
        return Strip(segments, width).crop(0, width)

    def on_unmount(self) -> None:
        self._strips.clear()

    # Jumps, not animations: on a long thread an animated scroll takes half a second.

    def action_scroll_home(self) -> None:
        self._to_end = False
        self.scroll_home(animate=False)

    def action_scroll_end(self) -> None:
        self.scroll_end(animate=False)

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)

    def action_page_up(self) -> None:
        self._to_end = False
        self.scroll_page_up(animate=False)
