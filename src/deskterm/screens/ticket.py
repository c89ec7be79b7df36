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
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from deskterm.desk import queue
from deskterm.desk.errors import StaleTicket
from deskterm.desk.lifecycle import PRIORITIES, STATUSES, TICKET_TYPES
from deskterm.desk.people import list_groups
from deskterm.desk.reads import EventRead, MessageRead, TicketDetail, TicketSummary
from deskterm.desk.safe_text import clean, clean_line
from deskterm.desk.service import Desk
from deskterm.desk.thread import messages_after
from deskterm.desk.ticket_reads import requester_history
from deskterm.desk.tickets import (
    TicketChanges,
    add_note,
    add_reply,
    get_ticket,
    mark_seen,
    update_ticket,
)
from deskterm.messages import MessagesArrived, TicketLoaded, TicketStale
from deskterm.screens.dialogs import Confirm, EditTags, TagEdit
from deskterm.screens.pickers import Choice, Picker
from deskterm.timefmt import absolute, ago

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
        ("created", ago(ticket.created_at, now)),
        ("updated", ago(ticket.updated_at, now)),
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
    title.append(f"{ago(message.created_at, now)} · {absolute(message.created_at)}",
                 style="dim")
    return title


def event_text(event: EventRead, now: datetime) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis", style="dim")
    text.append(f"{event.actor or 'system'} changed {event.field}: ")
    text.append(clean_line(event.old or "—"))
    text.append(" → ")
    text.append(clean_line(event.new or "—"))
    text.append(f"  {ago(event.at, now)}")
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


SEND_AS_KEYS = {"o": "open", "p": "pending", "s": "solved"}


class SendAs(ModalScreen[str | None]):
    """The one-key "send as" choice: ``o`` open, ``p`` pending, ``s`` solved, ``enter`` the
    preselected one (the ticket's current status where it is one of them)."""

    BINDINGS = [
        Binding("o", "send('open')", "Open", id="send-as.open"),
        Binding("p", "send('pending')", "Pending", id="send-as.pending"),
        Binding("s", "send('solved')", "Solved", id="send-as.solved"),
        Binding("enter", "send_default", "Send", id="send-as.default"),
        Binding("escape", "cancel", "Cancel", id="send-as.cancel"),
    ]

    def __init__(self, current: str) -> None:
        super().__init__()
        self.default = current if current in SEND_AS_KEYS.values() else "open"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Send as", classes="dialog-title")
            line = Text()
            for key, status in SEND_AS_KEYS.items():
                chosen = status == self.default
                line.append(f" {key} ", style="bold reverse" if chosen else "bold")
                line.append(f" {status}   ", style="bold" if chosen else "")
            yield Static(line)
            yield Static(f"enter sends as {self.default} · escape goes back to the text",
                         classes="dialog-hint")

    def action_send(self, status: str) -> None:
        self.dismiss(status)

    def action_send_default(self) -> None:
        self.dismiss(self.default)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Composer(Vertical):
    """The reply / internal-note editor at the foot of the ticket screen."""

    def __init__(self) -> None:
        super().__init__(id="composer")
        self.kind = "reply"

    def compose(self) -> ComposeResult:
        yield Static(id="composer-title")
        yield TextArea(id="composer-text", soft_wrap=True, show_line_numbers=False)
        yield Static("ctrl+s send · escape close (the text stays)", id="composer-hint")

    def start(self, kind: str) -> None:
        self.kind = kind
        self.set_class(kind == "note", "note")
        title = "Reply to the requester" if kind == "reply" else "Internal note (agents only)"
        self.query_one("#composer-title", Static).update(Text(title, style="bold"))
        self.display = True
        self.query_one(TextArea).focus()

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def clear(self) -> None:
        self.query_one(TextArea).text = ""


class TicketScreen(Screen):
    """One ticket: read the thread, answer, change its fields."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="ticket.back"),
        Binding("r", "compose('reply')", "Reply", id="ticket.reply"),
        Binding("n", "compose('note')", "Note", id="ticket.note"),
        Binding("ctrl+s", "send", "Send", id="ticket.send", priority=True),
        Binding("t", "take", "Take", id="ticket.take"),
        Binding("s", "pick_status", "Status", id="ticket.status"),
        Binding("p", "pick_priority", "Priority", id="ticket.priority"),
        Binding("a", "pick_assignee", "Assign", id="ticket.assign"),
        Binding("g", "pick_group", "Group", id="ticket.group"),
        Binding("T", "edit_tags", "Tags", id="ticket.tags"),
        Binding("y", "pick_type", "Type", show=False, id="ticket.type"),
        Binding("left_square_bracket", "step(-1)", "Previous", id="ticket.previous"),
        Binding("right_square_bracket", "step(1)", "Next", id="ticket.next"),
        Binding("E", "toggle_events", "Events", show=False, id="ticket.events"),
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
        yield Composer()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Composer).display = False
        self.load()

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    @property
    def last_message_id(self) -> int:
        """The newest message on screen (what the agent has read)."""
        if self.detail is None or not self.detail.messages:
            return 0
        return max(message.id for message in self.detail.messages)

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
        if self.history:
            history.highlighted = 0
        else:
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
        if not self.composer.display:
            thread.focus()

    @on(OptionList.OptionSelected, "#history")
    def _open_other(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.push_screen(TicketScreen(self.desk, int(event.option.id),
                                              clock=self.clock))

    def action_back(self) -> None:
        if self.composer.display:
            self.composer.display = False  # the text stays until sent
            self.query_one("#thread").focus()
            return
        self.dismiss(self.number)

    # --- answering ---------------------------------------------------------------------------

    def action_compose(self, kind: str) -> None:
        if self.detail is None:
            return
        if self.detail.ticket.status == "closed":
            self.notify("This ticket is closed: a customer writing again opens a follow-up",
                        severity="warning")
            return
        self.composer.start(kind)

    def action_send(self) -> None:
        composer = self.composer
        if not composer.display or self.detail is None:
            return
        body = composer.text
        if not body.strip():
            self.notify("Nothing to send yet", severity="warning")
            return
        if composer.kind == "note":
            self._check_then_send(body, "note", None)
            return

        def chosen(status: str | None) -> None:
            if status is not None:
                self._check_then_send(body, "reply", status)

        self.app.push_screen(SendAs(self.detail.ticket.status), chosen)

    @work(thread=True, exclusive=True, group="send", exit_on_error=False)
    def _check_then_send(self, body: str, kind: str, status: str | None) -> None:
        """Send, unless someone wrote on the ticket since the agent read it: then ask."""
        seen, number = self.last_message_id, self.number
        newer = self.desk.read(lambda s: messages_after(s, number=number, after_id=seen))
        if newer:
            self.post_message(MessagesArrived(newer, body, kind, status))
            return
        self._send(body, kind, status)

    def on_messages_arrived(self, message: MessagesArrived) -> None:
        who = ", ".join(sorted({clean_line(m.author) for m in message.messages}))
        count = len(message.messages)
        self.load()  # show them in the thread

        def answer(send: bool | None) -> None:
            if send:
                self._send_now(message.body, message.kind, message.status)

        self.app.push_screen(Confirm(
            f"{count} new message{'s' if count > 1 else ''} from {who} arrived since you "
            f"opened this ticket (now shown in the thread). Send your "
            f"{'reply' if message.kind == 'reply' else 'note'} anyway?", yes="Send"), answer)

    @work(thread=True, exclusive=True, group="send", exit_on_error=False)
    def _send_now(self, body: str, kind: str, status: str | None) -> None:
        self._send(body, kind, status)

    def _send(self, body: str, kind: str, status: str | None) -> None:
        number = self.number
        if kind == "note":
            self.desk.write(lambda s, actor: add_note(s, actor=actor, number=number, body=body))
            done = "Internal note added"
        else:
            self.desk.write(lambda s, actor: add_reply(s, actor=actor, number=number, body=body,
                                                       status=status))
            done = f"Reply sent; the ticket is {status}"
        self.app.call_from_thread(self._sent, done)

    def _sent(self, done: str) -> None:
        self.composer.clear()
        self.composer.display = False
        self.notify(done)
        self.load()

    # --- fields ------------------------------------------------------------------------------

    def change(self, changes: TicketChanges) -> None:
        """Apply ``changes`` against the version on screen (a stale one is refused)."""
        if self.detail is not None:
            self._change(changes, self.detail.ticket.version)

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def _change(self, changes: TicketChanges, version: int) -> None:
        number = self.number
        try:
            self.desk.write(lambda s, actor: update_ticket(
                s, actor=actor, number=number, changes=changes, expected_version=version))
        except StaleTicket as stale:
            self.post_message(TicketStale(str(stale)))
            return
        self.app.call_from_thread(self.load)

    def on_ticket_stale(self, message: TicketStale) -> None:
        self.notify(f"{message.message} — reloaded; nothing was changed", severity="error",
                    timeout=10)
        self.load()

    def _pick(self, title: str, choices: list[Choice], changes) -> None:
        def chosen(key: str | None) -> None:
            if key is not None:
                self.change(changes(key))

        self.app.push_screen(Picker(title, choices), chosen)

    def action_take(self) -> None:
        self.change(TicketChanges(assignee=self.desk.actor.username))

    def action_pick_status(self) -> None:
        self._pick("Status", [Choice(s, s.replace("_", " ")) for s in STATUSES if s != "new"],
                   lambda status: TicketChanges(status=status))

    def action_pick_priority(self) -> None:
        self._pick("Priority", [Choice(p, p) for p in reversed(PRIORITIES)],
                   lambda priority: TicketChanges(priority=priority))

    def action_pick_type(self) -> None:
        self._pick("Type", [Choice(t, t) for t in TICKET_TYPES],
                   lambda kind: TicketChanges(type=kind))

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_pick_assignee(self) -> None:
        agents = self.desk.read(queue.agent_choices)
        group = self.detail.ticket.group if self.detail else None
        agents.sort(key=lambda a: (group not in a.groups, a.open_tickets, a.username))
        choices = [Choice(a.username, a.display_name,
                          f"{a.username} · {a.open_tickets:,} open"
                          + (f" · {group}" if group in a.groups else "")) for a in agents]
        choices.append(Choice("", "Unassigned", "nobody"))
        self.app.call_from_thread(self._pick, "Assign", choices,
                                  lambda username: TicketChanges(assignee=username))

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_pick_group(self) -> None:
        groups = self.desk.read(list_groups)
        choices = [Choice(g.name, g.name, f"{len(g.members)} agents") for g in groups]
        choices.append(Choice("", "No group", ""))
        self.app.call_from_thread(self._pick, "Group", choices,
                                  lambda name: TicketChanges(group=name))

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_edit_tags(self) -> None:
        known = self.desk.read(queue.tag_names)

        def edited(edit: TagEdit | None) -> None:
            if edit is not None:
                self.change(TicketChanges(add_tags=edit.add, remove_tags=edit.remove))

        self.app.call_from_thread(self.app.push_screen, EditTags(1, known), edited)

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
