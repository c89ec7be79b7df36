"""The ticket screen: header, the thread, the requester and their other tickets.

``escape`` goes back to the queue on the same row; ``[`` and ``]`` step through the queue's
current view. Customer text is shown through ``safe_text`` as plain ``Text``, never markup.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from deskterm.desk.reads import EventRead, MessageRead, TicketDetail, TicketSummary
from deskterm.desk.safe_text import clean, clean_line
from deskterm.desk.service import Desk
from deskterm.desk.ticket_reads import requester_history
from deskterm.desk.tickets import get_ticket, mark_seen
from deskterm.messages import TicketLoaded
from deskterm.timefmt import absolute, relative

Step = Callable[[int, int], int | None]
"""Given a ticket number and -1 / +1: the previous / next ticket of the queue's view."""


def header_text(ticket: TicketSummary, now: datetime) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{ticket.ref} ", style="bold")
    text.append(clean_line(ticket.subject), style="bold")
    return text


def fields_text(ticket: TicketSummary, now: datetime) -> Text:
    text = Text(overflow="fold")
    parts = [
        ("status", ticket.status.replace("_", " ")),
        ("priority", ticket.priority),
        ("type", ticket.type),
        ("assignee", ticket.assignee or "—"),
        ("group", ticket.group or "—"),
        ("tier", str(ticket.tier)),
        ("tags", ", ".join(ticket.tags) or "—"),
        ("created", f"{relative(ticket.created_at, now)} ago"),
        ("updated", f"{relative(ticket.updated_at, now)} ago"),
    ]
    for index, (label, value) in enumerate(parts):
        if index:
            text.append("  ")
        text.append(f"{label} ", style="dim")
        style = "bold red" if label == "priority" and value == "urgent" else (
            "bold yellow" if label == "priority" and value == "high" else "")
        text.append(clean_line(value), style=style)
    return text


def message_title(message: MessageRead, now: datetime) -> Text:
    kind = "reply" if message.public else "internal note"
    if message.author_kind == "customer":
        kind = "customer"
    title = Text(no_wrap=True, overflow="ellipsis")
    title.append(clean_line(message.author) or "(unknown)", style="bold")
    title.append(f"  {kind}  ", style="italic")
    title.append(f"{relative(message.created_at, now)} ago · {absolute(message.created_at)}",
                 style="dim")
    return title


def event_text(event: EventRead, now: datetime) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis", style="dim")
    text.append(f"{event.actor or 'system'} changed {event.field}: ")
    text.append(clean_line(event.old or "—"))
    text.append(" → ")
    text.append(clean_line(event.new or "—"))
    text.append(f"  {relative(event.at, now)} ago")
    return text


class MessageView(Vertical):
    """One message of the thread; internal notes carry the ``note`` class."""

    def __init__(self, message: MessageRead, now: datetime) -> None:
        classes = "message" if message.public else "message note"
        if message.author_kind == "customer":
            classes += " customer"
        super().__init__(classes=classes)
        self.message = message
        self.now = now

    def compose(self) -> ComposeResult:
        yield Static(message_title(self.message, self.now), classes="message-title")
        yield Static(Text(clean(self.message.body)), classes="message-body")


class TicketScreen(Screen):
    """One ticket, read in full."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="ticket.back"),
        Binding("left_square_bracket", "step(-1)", "Previous", id="ticket.previous"),
        Binding("right_square_bracket", "step(1)", "Next", id="ticket.next"),
        Binding("E", "toggle_events", "Events", id="ticket.events"),
        Binding("j,down", "scroll_thread(1)", "Down", show=False, id="ticket.down"),
        Binding("k,up", "scroll_thread(-1)", "Up", show=False, id="ticket.up"),
    ]

    def __init__(self, desk: Desk, number: int, *, step: Step | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.desk = desk
        self.number = number
        self.step = step
        self.clock = clock or (lambda: datetime.now(UTC))
        self.detail: TicketDetail | None = None
        self.history: list[TicketSummary] = []
        self.show_events = False

    def compose(self) -> ComposeResult:
        with Vertical(id="ticket-header"):
            yield Static(id="ticket-title")
            yield Static(id="ticket-fields")
        with Horizontal(id="ticket-body"):
            yield VerticalScroll(id="thread")
            with Vertical(id="requester"):
                yield Static(id="requester-card")
                yield Static("Other tickets", id="history-title")
                yield OptionList(id="history")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="ticket", exit_on_error=False)
    def load(self) -> None:
        number = self.number

        def read(session):
            detail = get_ticket(session, number=number)
            history = requester_history(session, email=detail.requester.email, limit=50)
            return detail, [t for t in history if t.number != number]

        detail, history = self.desk.read(read)
        self.post_message(TicketLoaded(detail, history))
        self.desk.write(lambda s, actor: mark_seen(s, agent=actor.username, number=number))

    def on_ticket_loaded(self, message: TicketLoaded) -> None:
        self.detail = message.detail
        self.history = message.history
        self.number = message.detail.ticket.number
        self._show()

    def _show(self) -> None:
        detail = self.detail
        if detail is None:
            return
        now = self.clock()
        ticket = detail.ticket
        self.query_one("#ticket-title", Static).update(header_text(ticket, now))
        self.query_one("#ticket-fields", Static).update(fields_text(ticket, now))
        requester = detail.requester
        card = Text()
        card.append(clean_line(requester.name) + "\n", style="bold")
        card.append(clean_line(requester.email) + "\n")
        card.append(clean_line(requester.organization or "no organization") + "\n", style="dim")
        card.append(f"tier {requester.tier} · "
                    f"{'internal' if requester.internal else 'external'}", style="dim")
        self.query_one("#requester-card", Static).update(card)
        history = self.query_one("#history", OptionList)
        history.clear_options()
        for other in self.history:
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(f"{other.ref} ", style="bold")
            line.append(f"{other.status.replace('_', ' ')} ", style="dim")
            line.append(clean_line(other.subject))
            history.add_option(Option(line, id=str(other.number)))
        if not self.history:
            history.add_option(Option(Text("none", style="dim"), disabled=True))
        thread = self.query_one("#thread", VerticalScroll)
        thread.remove_children()
        items = [(m.created_at, 0, MessageView(m, now)) for m in detail.messages]
        if self.show_events:
            items += [(e.at, 1, Static(event_text(e, now), classes="event"))
                      for e in detail.events]
        items.sort(key=lambda item: (item[0], item[1]))
        thread.mount_all([widget for _, _, widget in items])
        thread.scroll_end(animate=False)
        thread.focus()

    @on(OptionList.OptionSelected, "#history")
    def _open_other(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.push_screen(TicketScreen(self.desk, int(event.option.id),
                                              clock=self.clock))

    def action_back(self) -> None:
        self.dismiss(self.number)

    def action_step(self, delta: int) -> None:
        if self.step is None:
            return
        number = self.step(self.number, delta)
        if number is None:
            self.notify("No more tickets in this view" if delta > 0 else
                        "This is the first ticket of the view", severity="warning")
            return
        self.number = number
        self.load()

    def action_toggle_events(self) -> None:
        self.show_events = not self.show_events
        self._show()

    def action_scroll_thread(self, lines: int) -> None:
        thread = self.query_one("#thread", VerticalScroll)
        thread.scroll_relative(y=lines * 3, animate=False)
