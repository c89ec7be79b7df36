"""The ticket screen: header, the thread, the requester and their other tickets.

``escape`` goes back to the queue on the same row; ``[`` and ``]`` step through the queue's
current view. Customer text is shown through ``safe_text`` as plain ``Text``, never markup.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from deskterm.desk.errors import NotFound, PermissionDenied, StaleTicket
from deskterm.desk.reads import TicketDetail, TicketLinks, TicketSummary
from deskterm.desk.safe_text import cell_line
from deskterm.desk.service import Desk
from deskterm.desk.sla.clock import BREACHED, WARNING, SlaClock
from deskterm.desk.tickets.change import TicketChanges
from deskterm.desk.tickets.draft_saving import DraftText, DraftTimer, DraftWriter
from deskterm.desk.tickets.lifecycle import TICKET_TYPES
from deskterm.desk.tickets.macros import MacroRead, render
from deskterm.desk.tickets.presence import HEARTBEAT_SECONDS
from deskterm.messages import (
    MessagesArrived,
    Notice,
    OpenScreen,
    PresenceChanged,
    TicketLoaded,
    TicketMerged,
    TicketRefused,
    TicketSent,
    TicketStale,
    TicketWritten,
)
from deskterm.screens.dialogs import (
    Confirm,
    ConfirmToCustomer,
    EditTags,
    Escalate,
    Escalation,
    SendAs,
    TagEdit,
)
from deskterm.screens.palette import NamedCommands, TicketKbCommands
from deskterm.screens.pickers import (
    Choice,
    Picker,
    TicketPicker,
    assignee_choices,
    macro_choices,
    priority_choices,
    status_choices,
    ticket_choices,
)
from deskterm.screens.reporting import KeepsRefusal
from deskterm.screens.ticket_customer import (
    CUSTOMER,
    KIND_NAMES,
    CustomerMessages,
    composer_hint,
    composer_title,
)
from deskterm.screens.ticket_files import TicketFiles
from deskterm.screens.ticket_kb import TicketKnowledge
from deskterm.screens.ticket_layout import PANE_ACTIONS, TicketPanes, requester_line
from deskterm.screens.ticket_live import LiveTicket
from deskterm.timefmt import relative
from deskterm.widgets.editors import SafeInput, SafeTextArea
from deskterm.widgets.footer import KeysFooter
from deskterm.widgets.thread import ThreadView

Step = Callable[[int, int], int | None]
"""Given a ticket number and -1 / +1: the previous / next ticket of the queue's view."""


def header_text(ticket: TicketSummary, now: datetime) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{ticket.ref} ", style="bold")
    text.append(cell_line(ticket.subject), style="bold")
    return text


@dataclass(frozen=True)
class Outgoing:
    """A reply or note the agent sends: read on the UI thread, sent by a worker."""

    number: int
    body: str
    kind: str
    status: str | None
    minutes: int | None
    macro: str | None


def minutes_text(minutes: int) -> str:
    return f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


SLA_TARGETS = (("first_response", "first response"), ("next_response", "next response"),
               ("resolution", "resolution"))
_SLA_STYLES = {WARNING: "bold yellow", BREACHED: "bold red reverse"}


def sla_text(ticket: TicketSummary, now: datetime, clock: SlaClock | None) -> Text | None:
    """Each running SLA target: what it is, its due time (local time), business time left."""
    sla = ticket.sla
    if sla is None:
        return None
    clock = clock or SlaClock()
    text = Text(overflow="fold")
    text.append("SLA ", style="dim")
    if sla.paused_at is not None:
        text.append("paused", style="bold")
        text.append(f" since {relative(sla.paused_at, now)} (pending or on hold)", style="dim")
        return text
    shown = 0
    for target, label in SLA_TARGETS:
        state = clock.target_state(sla, target, now)
        due = getattr(sla, f"{target}_due_at")
        if state is None or due is None:
            continue
        if shown:
            text.append("  ")
        shown += 1
        text.append(f"{label} ", style="dim")
        left = ("breached " + state.text.lstrip("-") + " ago" if state.level == BREACHED
                else state.text + " left")
        text.append(left, style=_SLA_STYLES.get(state.level, ""))
        text.append(f" (due {due.astimezone():%a %d %b %H:%M})", style="dim")
    if not shown:
        text.append("every target met", style="dim")
    return text


def fields_text(ticket: TicketSummary, now: datetime, minutes_spent: int = 0,
                clock: SlaClock | None = None) -> Text:
    text = Text(overflow="fold")
    parts = [
        ("status", ticket.status.replace("_", " ")),
        ("priority", ticket.priority),
        ("type", ticket.type),
        ("assignee", ticket.assignee or "—"),
        ("group", ticket.group or "—"),
        ("tier", str(ticket.tier)),
        ("tags", ", ".join(ticket.tags) or "—"),
        ("created", relative(ticket.created_at, now)),
        ("updated", relative(ticket.updated_at, now)),
    ]
    if minutes_spent:
        parts.append(("spent", minutes_text(minutes_spent)))  # time spent on replies and notes
    for index, (label, value) in enumerate(parts):
        if index:
            text.append("  ")
        text.append(f"{label} ", style="dim")
        style = "bold red" if label == "priority" and value == "urgent" else (
            "bold yellow" if label == "priority" and value == "high" else "")
        text.append(cell_line(value), style=style)
    sla = sla_text(ticket, now, clock)
    if sla is not None:
        text.append("\n")
        text.append_text(sla)
    return text


def link_options(detail: TicketDetail) -> list[Option]:
    """The sidebar's links: merge pointers, the problem, its incidents, related tickets; each
    ticket is an option (``enter`` opens it), the titles are disabled options."""
    links = detail.links
    sections: list[tuple[str, list[tuple[int, str, str]]]] = []
    if detail.merged_into is not None:
        sections.append(("Merged into", [(detail.merged_into, "", "")]))
    if detail.merged_from:
        sections.append(("Merged here", [(n, "", "") for n in detail.merged_from]))
    for title, linked in (("Problem", (links.problem,) if links.problem else ()),
                          ("Incidents", links.incidents), ("Related", links.related)):
        if linked:
            sections.append((title, [(t.number, t.status, t.subject) for t in linked]))
    options: list[Option] = []
    for title, tickets in sections:
        options.append(Option(Text(title, style="bold"), disabled=True))
        for number, status, subject in tickets:
            options.append(Option(sidebar_line(number, status, subject), id=f"{title}:{number}"))
    return options


def sidebar_line(number: int, status: str, subject: str, rating: int | None = None) -> Text:
    """A ticket in the sidebar's lists: one line, cut to the sidebar's width (its CSS);
    ``rating``: the requester's CSAT score of it."""
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append(f"#{number} ", style="bold")
    if status:
        line.append(f"{status.replace('_', ' ')} ", style="dim")
    if rating is not None:
        line.append(f"★{rating} ", style=rating_style(rating))
    line.append(cell_line(subject))
    return line


def rating_style(score: int) -> str:
    """A CSAT score's colour: poor red, middling yellow, good green."""
    return "bold red" if score <= 2 else "bold yellow" if score == 3 else "bold green"


def rating_text(detail: TicketDetail) -> Text:
    """The ticket's own rating for the fields line (empty when it is not rated)."""
    text = Text(end="")
    rated = detail.rating
    if rated is not None:
        text.append("  CSAT ", style="dim")
        text.append(f"★{rated.score}/5", style=rating_style(rated.score))
        if rated.comment:
            text.append(f" “{cell_line(rated.comment)[:60]}”", style="italic")
    return text


def requester_ratings_line(detail: TicketDetail) -> Text:
    """The requester's ratings over their tickets, for the sidebar's card."""
    text = Text(end="")
    scores = [r.score for r in detail.requester_ratings]
    if scores:
        average = sum(scores) / len(scores)
        text.append("\nCSAT ", style="dim")
        text.append(f"{average:.1f}", style=rating_style(round(average)))
        text.append(f" over {len(scores)} rated ticket{'s' if len(scores) != 1 else ''}",
                    style="dim")
    return text


def minutes_value(text: str) -> int | None:
    """The composer's "time spent" field as a number of minutes (None: not given)."""
    value = text.strip()
    # ASCII digits only: "²".isdigit() is true and int("²") fails.
    return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else None


class Composer(Vertical):
    """The reply / internal-note editor at the foot of the ticket screen.

    ``tab`` and ``shift+tab`` go between the text and the time-spent field, and stay in the
    editor: the text takes no tab character, and the focus never leaves for the thread.
    """

    BINDINGS = [
        Binding("tab", "other_field", "Time spent", show=False, id="composer.next-field"),
        Binding("shift+tab", "other_field", "Text", show=False, id="composer.previous-field"),
    ]

    def __init__(self) -> None:
        super().__init__(id="composer")
        self.kind = "reply"
        self.requester = ""
        """The requester's name: a customer message is theirs."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="composer-top"):
            yield Static(id="composer-title")
            yield Static("time spent (min)", id="composer-minutes-label")
            yield SafeInput(id="composer-minutes", type="integer", max_length=4,
                            placeholder="—")
        yield SafeTextArea(id="composer-text", soft_wrap=True, show_line_numbers=False,
                           tab_behavior="focus")
        yield Static(composer_hint("reply"), id="composer-hint")

    def action_other_field(self) -> None:
        text = self.query_one("#composer-text", SafeTextArea)
        if text.has_focus and self.kind == CUSTOMER:
            return  # the customer's words have no time-spent field: the focus stays
        (self.query_one("#composer-minutes", SafeInput) if text.has_focus else text).focus()

    @property
    def minutes(self) -> int | None:
        if self.kind == CUSTOMER:
            return None
        return minutes_value(self.query_one("#composer-minutes", SafeInput).value)

    def restore(self, kind: str, body: str, minutes: int | None) -> None:
        self.start(kind)
        self.query_one(SafeTextArea).text = body
        self.query_one(SafeTextArea).move_cursor(self.query_one(SafeTextArea).document.end)
        self.query_one("#composer-minutes", SafeInput).value = str(minutes) if minutes else ""

    def start(self, kind: str) -> None:
        self.kind = kind
        self.set_class(kind == "note", "note")
        self.set_class(kind == CUSTOMER, "customer")
        self.query_one("#composer-title", Static).update(composer_title(kind, self.requester))
        self.query_one("#composer-hint", Static).update(composer_hint(kind))
        for minutes in self.query("#composer-minutes-label, #composer-minutes"):
            minutes.display = kind != CUSTOMER  # the customer's words: no time of the agent's
        self.display = True
        self.query_one(SafeTextArea).focus()
        self.refresh_bindings()  # the footer shows the editor's keys

    def close(self) -> None:
        """Hide the editor; its text stays until it is sent or cleared."""
        self.display = False
        self.refresh_bindings()

    @property
    def text(self) -> str:
        return self.query_one(SafeTextArea).text

    def clear(self) -> None:
        self.query_one(SafeTextArea).text = ""
        self.query_one("#composer-minutes", SafeInput).value = ""


class TicketCommands(NamedCommands):
    """The ticket screen's actions by name; another ticket by its ref (``#1042``)."""

    def _ticket(self) -> TicketScreen | None:
        screen = self.screen
        return screen if isinstance(screen, TicketScreen) else None

    def _go_to(self) -> Callable[[int], object] | None:
        ticket = self._ticket()
        return ticket.open_ticket if ticket is not None else None

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        ticket = self._ticket()
        if ticket is None:
            return []
        commands: list[tuple[str, Callable[[], object], str]] = [
            ("Reply to the requester", partial(ticket.action_compose, "reply"),
             "a public reply; ctrl+s sends"),
            ("Add an internal note", partial(ticket.action_compose, "note"), "agents only"),
            ("Take this ticket", ticket.action_take, "assign it to yourself"),
            ("Set status…", ticket.action_pick_status, "pick a status"),
            ("Set priority…", ticket.action_pick_priority, "pick a priority"),
            ("Assign…", ticket.action_pick_assignee, "pick an agent, or unassign"),
            ("Set group…", ticket.action_pick_group, "pick a group"),
            ("Edit tags…", ticket.action_edit_tags, "add or remove tags"),
            ("Set type…", ticket.action_pick_type, "question, incident, problem, task"),
            ("Apply a macro…", ticket.action_pick_macro, "its text into the reply"),
            ("Escalate…", ticket.action_escalate, "to the next tier, with a reason"),
            ("Merge into another ticket…", ticket.action_merge, "its messages move there"),
            ("Link to another ticket…", ticket.action_link, "related, or an incident"),
            ("Show or hide the audit events", ticket.action_toggle_events,
             "who changed what, in the thread"),
            ("Attachments…", ticket.action_pick_attachment, "list the files, save one"),
            ("Show or fold quoted text", ticket.action_toggle_quoted,
             "the history quoted in customers' mail"),
        ]
        if ticket.step is not None:
            commands += [
                ("Previous ticket of the view", partial(ticket.action_step, -1), ""),
                ("Next ticket of the view", partial(ticket.action_step, 1), ""),
            ]
        return commands


class TicketScreen(CustomerMessages, LiveTicket, TicketKnowledge, TicketFiles, TicketPanes):
    """One ticket: read the thread, answer, change its fields."""

    COMMANDS = Screen.COMMANDS | {TicketCommands, TicketKbCommands}

    BINDINGS = [
        Binding("escape", "back", "Back", id="ticket.back"),
        Binding("r", "compose('reply')", "Reply", id="ticket.reply"),
        Binding("n", "compose('note')", "Note", id="ticket.note"),
        # Not in the footer (it is full at 120 columns); `?` and the README list it.
        Binding("c", "compose('customer')", "Customer message", show=False,
                id="ticket.customer-message"),
        Binding("ctrl+s", "send", "Send", id="ticket.send", priority=True),
        # Only terminals speaking the kitty keyboard protocol tell ctrl+enter from enter (most,
        # tmux and SSH sessions among them, send a plain enter): ctrl+s stays the way to send.
        Binding("ctrl+enter", "send", "Send", id="ticket.send-ctrl-enter", show=False,
                priority=True),
        Binding("t", "take", "Take", id="ticket.take"),
        Binding("s", "pick_status", "Status", id="ticket.status"),
        Binding("p", "pick_priority", "Priority", id="ticket.priority"),
        Binding("a", "pick_assignee", "Assign", id="ticket.assign"),
        Binding("g", "pick_group", "Group", id="ticket.group"),
        Binding("T", "edit_tags", "Tags", id="ticket.tags"),
        Binding("y", "pick_type", "Type", show=False, id="ticket.type"),
        Binding("m", "pick_macro", "Macro", id="ticket.macro"),
        Binding("e", "escalate", "Escalate", id="ticket.escalate"),
        Binding("M", "merge", "Merge", show=False, id="ticket.merge"),
        Binding("L", "link", "Link", show=False, id="ticket.link"),
        Binding("k", "pick_article", "KB article", show=False, id="ticket.kb-insert"),
        Binding("K", "article_from_ticket", "Article from ticket", show=False,
                id="ticket.kb-article"),
        # Not in the footer (120 columns hold the keys above); `?` lists them.
        Binding("left_square_bracket", "step(-1)", "Previous", show=False, id="ticket.previous"),
        Binding("right_square_bracket", "step(1)", "Next", show=False, id="ticket.next"),
        Binding("E", "toggle_events", "Events", show=False, id="ticket.events"),
        Binding("A", "pick_attachment", "Attachments", show=False, id="ticket.attachments"),
        Binding("z", "toggle_quoted", "Quoted text", show=False, id="ticket.quoted"),
        Binding("enter", "open_merged", "Open merged-into", id="ticket.open-merged"),
        Binding("j,down", "scroll_thread(1)", "Down", show=False, id="ticket.down"),
        Binding("up", "scroll_thread(-1)", "Up", show=False, id="ticket.up"),  # k: KB
    ]

    WHILE_WRITING = frozenset({"back", "send"})
    """The screen's actions that still work while the editor is open (it takes every letter)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Asked once per key binding whenever the bindings change: no DOM query here (a query
        # walks every message of the thread, and a 500-message thread made each change slow).
        composer = self._composer
        writing = composer is not None and composer.display
        if action == "send":
            return writing
        if action in PANE_ACTIONS:
            return not writing and self.pane_action_shown(action)
        if action == "open_merged":
            return not writing and self.merged_into is not None
        return action in self.WHILE_WRITING or not writing

    def __init__(self, desk: Desk, number: int, *, step: Step | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.desk = desk
        self.number = number
        self.step = step
        self.clock = clock or (lambda: datetime.now(UTC))
        self.detail: TicketDetail | None = None
        self.history: list[TicketSummary] = []
        self.links = TicketLinks()
        self.macro: str | None = None
        """The macro whose text is in the composer: its actions are made on send."""
        self.macro_status: str | None = None
        self.show_events = False
        self._draft_timing = DraftTimer()
        self.drafts = DraftWriter(self._write_draft)
        self._draft_timer: Timer | None = None
        self._composer: Composer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="ticket-header"):
            yield Static(id="ticket-title")
            yield Static(id="ticket-requester")  # narrow: the sidebar is behind a key
            yield Static(id="ticket-fields")
            yield Static(id="ticket-banner")
            yield Static(id="ticket-presence")
        with Horizontal(id="ticket-body"):
            yield ThreadView(id="thread")
            with Vertical(id="requester"):
                yield Static(id="requester-card")
                yield OptionList(id="links")
                yield Static("Suggested articles", id="kb-suggest-title")
                yield OptionList(id="kb-suggestions")
                yield Static("Other tickets", id="history-title")
                yield OptionList(id="history")
        self._composer = Composer()
        yield self._composer
        yield KeysFooter()

    def on_mount(self) -> None:
        self.composer.display = False
        self.query_one("#ticket-presence").display = False
        self.query_one("#kb-suggest-title").display = False
        self.query_one("#kb-suggestions").display = False
        self._suggested: int | None = None
        self._files_for: tuple[int, tuple[int, ...]] | None = None
        """The ticket and messages whose attachments the thread names (read again when new
        messages come)."""
        # The editor's own widgets: at unmount, when the draft is stored a last time, the
        # screen's children are already gone from its queries.
        self._typing = (self.composer, self.query_one("#composer-text", SafeTextArea),
                        self.query_one("#composer-minutes", SafeInput))
        self._presence_lock = threading.Lock()
        self._left = False
        self._restored: set[int] = set()
        self._shown: int | None = None
        self.load()
        self.heartbeat_timer = self.set_interval(HEARTBEAT_SECONDS, self.beat)

    def on_unmount(self) -> None:
        self.heartbeat_timer.stop()
        # Leaving the ticket (escape) or quitting (ctrl+q, a signal, a lost terminal): what
        # was typed since the last save is stored now.
        if self.app.is_running:
            self.save_draft()
        else:
            try:
                self.store_drafts()
            except Exception as error:  # quitting, and the store is gone: said after the exit
                app = self.app
                if isinstance(app, KeepsRefusal):
                    app.refusal = f"your draft could not be stored: {cell_line(str(error))}"
        if self.app.is_running:
            self.app.run_worker(lambda: self._leave(self.number, last=True), thread=True,
                                group="presence", exit_on_error=False)
        else:
            # The console is quitting: a worker started now would never run, and teammates
            # would see this agent for another 25 s. One small delete, written before exit.
            self._leave(self.number, last=True)

    # --- presence and drafts -----------------------------------------------------------------

    def beat(self) -> None:
        """The heartbeat: tell the team this ticket is open here (and written on)."""
        writing = self.composer.display and bool(self.composer.text.strip())
        self._beat(self.number, "writing" if writing else "viewing")

    @work(thread=True, exclusive=True, group="presence", exit_on_error=False)
    def _beat(self, number: int, activity: str) -> None:
        with self._presence_lock:  # never after the leave: that would bring the agent back
            if self._left or number != self.number:
                return
            self.desk.heartbeat(number, activity=activity)
        others = self.desk.present(number)
        if not get_current_worker().is_cancelled:  # a newer heartbeat has fresher news
            self.post_message(PresenceChanged(number, others))

    def _leave(self, number: int, *, last: bool = False) -> None:
        """This agent no longer has ticket ``number`` open (``last``: nor any other here)."""
        with self._presence_lock:
            self._left = self._left or last
            self.desk.leave(number)

    @work(thread=True, group="presence-leave", exit_on_error=False)
    def _left_ticket(self, number: int) -> None:
        self._leave(number)

    def on_presence_changed(self, message: PresenceChanged) -> None:
        if message.number != self.number:
            return
        line = self.query_one("#ticket-presence", Static)
        line.display = bool(message.present)
        text = Text()
        for index, person in enumerate(message.present):
            if index:
                text.append(" · ")
            text.append(cell_line(person.display_name),
                        style="bold yellow" if person.activity == "writing" else "bold")
            text.append(" is writing a reply" if person.activity == "writing"
                        else " is viewing this ticket")
        line.update(text)

    @on(SafeTextArea.Changed, "#composer-text")
    @on(SafeInput.Changed, "#composer-minutes")
    def _typed(self) -> None:
        if not self.composer.display:
            return
        now = time.monotonic()
        due = self._draft_timing.typed(now)
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(max(due - now, 0.01), self.save_draft)

    def save_draft(self) -> None:
        """Have what is in the composer stored, if it changed since last time (the timer
        calls this a pause after the last keystroke, or at the maximum wait)."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        if self._hand_over():
            # The app's worker, not the screen's: it finishes when the screen is gone.
            self.app.run_worker(self.drafts.write_pending, thread=True, group="drafts",
                                exit_on_error=False)

    def store_drafts(self) -> None:
        """Store what was typed and not stored yet, in this thread, before returning: the
        console is ending (a worker might never run). A signal handler calls this too, so it
        touches no timer and starts no worker."""
        self._hand_over()
        self.drafts.flush()

    def _hand_over(self) -> bool:
        """Give the writer the text if it changed; True when a writer must be started."""
        if not self._draft_timing.unsaved:
            return False
        self._draft_timing.stored()
        composer, editor, minutes = self._typing
        return self.drafts.put(
            DraftText(self.number, composer.kind, editor.text, minutes_value(minutes.value)))

    def _write_draft(self, text: DraftText) -> None:
        self.desk.save_draft(text.number, kind=text.kind, body=text.body, minutes=text.minutes)

    @property
    def composer(self) -> Composer:
        assert self._composer is not None, "composed"
        return self._composer

    def ticket_screen(self, number: int) -> TicketScreen:
        """A screen like this one (its desk, its clock) for ticket ``number``."""
        return type(self)(self.desk, number, clock=self.clock)

    @property
    def last_message_id(self) -> int:
        """The newest message on screen (what the agent has read), but not those that came
        live while they were writing (see ``LiveTicket.read_before_writing``)."""
        if self.read_before_writing is not None:
            return self.read_before_writing
        if self.detail is None or not self.detail.messages:
            return 0
        return max(message.id for message in self.detail.messages)

    @work(thread=True, exclusive=True, group="ticket", exit_on_error=False)
    def load(self) -> None:
        number = self.number
        try:
            page = self.desk.ticket_page(number)
        except (PermissionDenied, NotFound) as refused:
            if self.detail is not None:
                raise
            self.post_message(TicketRefused(str(refused)))  # nothing to show: the screen goes
            return
        self.post_message(TicketLoaded(page.detail, page.history, page.draft))
        self.desk.mark_seen(number)

    def on_ticket_refused(self, message: TicketRefused) -> None:
        self.app.notify(message.text, severity="error", markup=False, timeout=8)
        self.dismiss(None)

    def on_ticket_loaded(self, message: TicketLoaded) -> None:
        self.detail = message.detail
        self.history = message.history
        self.links = message.detail.links
        self.number = message.detail.ticket.number
        # A reload of the ticket on screen keeps the reader's place unless something new came.
        self._show(keep_place=self._shown == self.number)
        self._shown = self.number
        draft = message.draft
        if draft is not None and self.number not in self._restored and not self.composer.text:
            self.composer.restore(draft.kind, draft.body, draft.minutes)
            self.notify(f"Your draft {KIND_NAMES.get(draft.kind, draft.kind)} is back", timeout=4)
        self._restored.add(self.number)
        self.beat()
        if self._suggested != self.number:
            self._suggested = self.number
            self.suggest_articles(self.number)

    def _show(self, *, keep_place: bool = False) -> None:
        if self.detail is None:
            return
        now = self.clock()
        self.show_header(now)
        self.show_sidebar()
        self.show_thread(now, keep_place=keep_place)
        if not self.composer.display:
            self.query_one(ThreadView).focus()

    def show_header(self, now: datetime) -> None:
        """The title, the fields line (its ages for ``now``) and the merge banner."""
        detail = self.detail
        if detail is None:
            return
        ticket = detail.ticket
        self.query_one("#ticket-title", Static).update(header_text(ticket, now))
        fields = fields_text(ticket, now, detail.minutes_spent, self._sla_clock())
        if detail.rating is not None:
            fields.append_text(rating_text(detail))
        self.query_one("#ticket-fields", Static).update(fields)
        self.show_banner()

    def _sla_clock(self) -> SlaClock | None:
        """The queue's SLA clock (its policies' calendars), when the queue has loaded it."""
        for screen in self.app.screen_stack:
            clock = getattr(getattr(screen, "table", None), "sla_clock", None)
            if isinstance(clock, SlaClock):
                return clock
        return None

    def show_sidebar(self, *, keep_highlight: bool = False) -> None:
        """The requester's card, the links and the requester's other tickets (``keep_highlight``:
        a list's cursor stays on its row, as when the ticket is refreshed live)."""
        detail = self.detail
        if detail is None:
            return
        requester = detail.requester
        self.query_one("#ticket-requester", Static).update(
            requester_line(requester.name, requester.email, requester.organization))
        self.composer.requester = requester.name
        card = Text()
        card.append(cell_line(requester.name) + "\n", style="bold")
        card.append(cell_line(requester.email or "no e-mail address") + "\n")
        card.append(cell_line(requester.organization or "no organization") + "\n", style="dim")
        card.append(f"tier {requester.tier} · "
                    f"{'internal' if requester.internal else 'external'}", style="dim")
        card.append_text(requester_ratings_line(detail))
        self.query_one("#requester-card", Static).update(card)
        links = self.query_one("#links", OptionList)
        was = links.highlighted if keep_highlight else None
        options = link_options(detail)
        links.set_options(options)
        links.display = bool(options)
        if options:
            # The first ticket (option 0 is its section's title).
            links.highlighted = was if was is not None and was < len(options) else 1
        history = self.query_one("#history", OptionList)
        was = history.highlighted if keep_highlight else None
        history.clear_options()
        rated = {r.ticket: r.score for r in detail.requester_ratings}
        for other in self.history:
            history.add_option(Option(sidebar_line(other.number, other.status, other.subject,
                                                   rated.get(other.number)),
                                      id=str(other.number)))
        if self.history:
            history.highlighted = was if was is not None and was < len(self.history) else 0
        else:
            history.add_option(Option(Text("none", style="dim"), disabled=True))

    def show_thread(self, now: datetime, *, keep_place: bool = False,
                    follow: bool = True) -> None:
        """The thread (see :meth:`ThreadView.show` for ``keep_place`` and ``follow``)."""
        detail = self.detail
        if detail is None:
            return
        self.query_one(ThreadView).show(
            detail.messages, detail.events if self.show_events else (), now,
            keep_place=keep_place, follow=follow)
        ids = (detail.ticket.number, tuple(message.id for message in detail.messages))
        if ids != self._files_for:  # new messages may have brought files
            self._files_for = ids
            self.read_files(detail.ticket.number)

    @on(OptionList.OptionSelected, "#history, #links")
    def _open_other(self, event: OptionList.OptionSelected) -> None:
        """``enter`` on one of the requester's other tickets, or on a linked one."""
        if event.option.id:
            number = int(event.option.id.rpartition(":")[2])
            self.app.push_screen(TicketScreen(self.desk, number, clock=self.clock))

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def open_ticket(self, number: int) -> None:
        """Another ticket by its ref (the palette's ``#1042``), over this one: ``escape``
        comes back here."""
        if number == self.number:
            self.post_message(Notice(f"#{number} is the ticket on screen"))
        elif not self.desk.find_tickets([number]):
            self.desk.require_ticket_access(number)  # restricted: the refusal's one line
            self.post_message(Notice(f"No ticket #{number}", severity="warning"))
        else:
            self.post_message(OpenScreen(TicketScreen(self.desk, number, clock=self.clock)))

    @on(OptionList.OptionSelected, "#kb-suggestions")
    def _suggestion_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.use_article(int(event.option.id))

    def action_back(self) -> None:
        if self.composer.display:
            self.composer.close()  # the text stays until sent
            self.query_one("#thread").focus()
            return
        if self.side:
            self.action_show_thread()
            return
        self.dismiss(self.number)

    # --- answering ---------------------------------------------------------------------------

    def action_compose(self, kind: str) -> None:
        if self.detail is None:
            return
        if self.detail.ticket.status == "closed":
            self.notify("This ticket is closed: file what the customer said as a new ticket (n "
                        "in the queue)" if kind == CUSTOMER else
                        "This ticket is closed: a customer writing again opens a follow-up",
                        severity="warning")
            return
        composer = self.composer
        was = composer.kind
        if kind == "reply" and was == "note" and composer.text.strip():
            # An internal note's text (an internal article, what agents say among themselves)
            # never becomes a public reply without the agent saying so.
            def answered(yes: bool | None) -> None:
                composer.start("reply" if yes else "note")

            self.app.push_screen(ConfirmToCustomer(
                "The editor holds an internal note. Make its text a public reply the customer "
                "will see?", yes="Make it a reply", no="Keep it a note"), answered)
            return
        if was != kind and composer.text.strip():
            self.notify(f"The text in the editor was a {KIND_NAMES.get(was, was)}: it is now a "
                        f"{KIND_NAMES.get(kind, kind)}", severity="warning", timeout=6)
        composer.start(kind)

    def action_send(self) -> None:
        # ctrl+s acts as it arrives (a priority binding), while letters typed just before it in
        # the same burst may still wait in the editor's queue: this runs after them.
        (self.focused or self.composer).call_later(self._send_written)

    def _send_written(self) -> None:
        composer = self.composer
        if not composer.display or self.detail is None:
            return
        body = composer.text
        if not body.strip():
            self.notify("Nothing to send yet", severity="warning")
            return
        if composer.kind == CUSTOMER:
            self.send_customer_message(body)
            return
        if composer.kind == "note":
            self._check_then_send(body, "note", None)
            return

        unsolved = [t for t in self.links.incidents if t.status not in ("solved", "closed")]

        def chosen(status: str | None) -> None:
            if status is None:
                return
            if status == "solved" and unsolved and self.macro is None:
                def all_of_them(yes: bool | None) -> None:
                    if yes:
                        self._solve_problem(body, True)
                    else:
                        self._check_then_send(body, "reply", status)

                self.app.push_screen(Confirm(
                    f"This problem has {len(unsolved)} unsolved incident"
                    f"{'s' if len(unsolved) > 1 else ''}. Solve them too, with this reply?",
                    yes="Solve all"), all_of_them)
                return
            self._check_then_send(body, "reply", status)

        # A macro that sets a status preselects it; the agent may still choose another.
        ticket = self.detail.ticket
        self.app.push_screen(SendAs(ticket.status, ref=ticket.ref, preselect=self.macro_status),
                             chosen)

    @work(thread=True, exclusive=True, group="send", exit_on_error=False)
    def _solve_problem(self, body: str, incidents: bool) -> None:
        number = self.number
        with self.drafts.sending(number):
            solved = self.desk.solve_problem(number, body=body, incidents=incidents)
        others = [n for n in solved if n != number]
        self.post_message(TicketSent(
            number, f"Solved, with {len(others)} incident{'s' if len(others) != 1 else ''}"
            + (": " + ", ".join(f"#{n}" for n in others) if others else "")))

    def _outgoing(self, body: str, kind: str, status: str | None) -> Outgoing:
        """What is sent, read from the screen and the composer here, before a worker sends it."""
        return Outgoing(self.number, body, kind, status, self.composer.minutes, self.macro)

    def _check_then_send(self, body: str, kind: str, status: str | None) -> None:
        """Send, unless someone wrote on the ticket since the agent read it: then ask."""
        self._check_and_send(self._outgoing(body, kind, status), self.last_message_id)

    @work(thread=True, exclusive=True, group="send", exit_on_error=False)
    def _check_and_send(self, outgoing: Outgoing, seen: int) -> None:
        newer = self.desk.messages_after(outgoing.number, seen)
        if newer:
            self.post_message(MessagesArrived(newer, outgoing.body, outgoing.kind,
                                              outgoing.status))
            return
        self._send(outgoing)

    def on_messages_arrived(self, message: MessagesArrived) -> None:
        who = ", ".join(sorted({cell_line(m.author) for m in message.messages}))
        count = len(message.messages)
        self.load()  # show them in the thread

        def answer(send: bool | None) -> None:
            if send:
                self._send_now(self._outgoing(message.body, message.kind, message.status))

        self.app.push_screen(Confirm(
            f"{count} new message{'s' if count > 1 else ''} from {who} arrived since you "
            f"opened this ticket (now shown in the thread). Send your "
            f"{'reply' if message.kind == 'reply' else 'note'} anyway?", yes="Send"), answer)

    @work(thread=True, exclusive=True, group="send", exit_on_error=False)
    def _send_now(self, outgoing: Outgoing) -> None:
        self._send(outgoing)

    def _send(self, outgoing: Outgoing) -> None:
        number, kind, status, macro = (outgoing.number, outgoing.kind, outgoing.status,
                                       outgoing.macro)
        with self.drafts.sending(number):  # no draft of this text written back after it
            self.desk.send(number, body=outgoing.body, kind=kind, status=status,
                           minutes=outgoing.minutes, macro=macro)
        done = ("Internal note added" if kind == "note"
                else f"Reply sent; the ticket is {(status or '').replace('_', ' ')}")
        if macro is not None:
            done += f" (macro “{macro}” applied)"
        self.post_message(TicketSent(number, done))

    def on_ticket_sent(self, message: TicketSent) -> None:
        self._sent(message.number, message.done)

    def _sent(self, number: int, done: str) -> None:
        self.macro = self.macro_status = None
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        self._draft_timing.stored()
        self.composer.clear()
        self.composer.close()
        self.drafts.sent(number)
        self.notify(cell_line(done), markup=False)  # holds the macro's name
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
            self.desk.change(number, changes, expected_version=version)
        except StaleTicket as stale:
            self.post_message(TicketStale(str(stale)))
            return
        self.post_message(TicketWritten())

    def on_ticket_written(self, message: TicketWritten) -> None:
        if message.done:
            self.notify(message.done, markup=False)
        self.load()

    def on_ticket_stale(self, message: TicketStale) -> None:
        self.notify(f"{message.message} — reloaded; nothing was changed", severity="error",
                    timeout=10)
        self.load()

    def _pick(self, title: str, choices: list[Choice],
              changes: Callable[[str], TicketChanges]) -> None:
        self.app.push_screen(Picker(title, choices), self._picked(changes))

    def _picked(self, changes: Callable[[str], TicketChanges]) -> Callable[[str | None], None]:
        """What a picker's choice does: ``changes(key)`` made on the ticket."""

        def chosen(key: str | None) -> None:
            if key is not None:
                self.change(changes(key))

        return chosen

    def action_take(self) -> None:
        self.change(TicketChanges(assignee=self.desk.actor.username))

    def action_pick_status(self) -> None:
        self._pick("Status", status_choices(),
                   lambda status: TicketChanges(status=status))

    def action_pick_priority(self) -> None:
        self._pick("Priority", priority_choices(),
                   lambda priority: TicketChanges(priority=priority))

    def action_pick_type(self) -> None:
        self._pick("Type", [Choice(t, t) for t in TICKET_TYPES],
                   lambda kind: TicketChanges(type=kind))

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_pick_assignee(self) -> None:
        agents = self.desk.agent_choices()
        group = self.detail.ticket.group if self.detail else None
        choices = assignee_choices(agents, group=group)
        self.post_message(OpenScreen(Picker("Assign", choices),
                                     self._picked(lambda username: TicketChanges(
                                         assignee=username))))

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_pick_group(self) -> None:
        groups = self.desk.group_choices()
        choices = [Choice(g.name, g.name, f"{len(g.members)} agents") for g in groups]
        choices.append(Choice("", "No group", ""))
        self.post_message(OpenScreen(Picker("Group", choices),
                                     self._picked(lambda name: TicketChanges(group=name))))

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_edit_tags(self) -> None:
        known = self.desk.tag_names()

        def edited(edit: TagEdit | None) -> None:
            if edit is not None:
                self.change(TicketChanges(add_tags=edit.add, remove_tags=edit.remove))

        self.post_message(OpenScreen(EditTags(1, known), edited))

    def action_step(self, delta: int) -> None:
        if self.step is None:
            return
        self.save_draft()  # before the editor is emptied for the next ticket
        number = self.step(self.number, delta)
        if number is None:
            self.notify("No more tickets in this view" if delta > 0 else
                        "This is the first ticket of the view", severity="warning")
            return
        self.composer.clear()
        self.composer.close()
        self._left_ticket(self.number)
        self.number = number
        self.load()

    def action_toggle_events(self) -> None:
        self.show_events = not self.show_events
        self._show(keep_place=True)

    def action_toggle_quoted(self) -> None:
        thread = self.query_one(ThreadView)
        if not thread.has_quoted:
            self.notify("No quoted text in this ticket's mail", timeout=3)
            return
        thread.toggle_quoted()

    def action_scroll_thread(self, lines: int) -> None:
        self.query_one(ThreadView).scroll_lines(lines * 3)

    # --- macros, escalation, merging, links --------------------------------------------------

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_pick_macro(self) -> None:
        macros = self.desk.list_macros()
        if not macros:
            self.post_message(Notice("No macros yet: `deskterm macro add FILE`",
                                     severity="warning"))
            return
        by_name = {m.name: m for m in macros}
        choices = macro_choices(macros)

        def chosen(name: str | None) -> None:
            if name is not None and self.detail is not None:
                self.use_macro(by_name[name])

        self.post_message(OpenScreen(Picker("Macro", choices), chosen))

    def use_macro(self, macro: MacroRead) -> None:
        """Put ``macro``'s text in the composer; its actions are made when it is sent."""
        if self.detail is None:
            return
        body = render(macro, ticket=self.detail, agent=self.desk.actor)
        self.macro = macro.name
        self.macro_status = macro.actions.status
        self.composer.restore("reply", body, self.composer.minutes)
        actions = macro.actions.describe() if hasattr(macro.actions, "describe") else ""
        self.notify(cell_line(f"Macro “{macro.name}” in the composer"
                               + (f"; on send: {actions}" if actions else "")),
                    markup=False, timeout=5)

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_escalate(self) -> None:
        if self.detail is None:
            return
        ticket = self.detail.ticket
        if ticket.tier >= 3:
            self.post_message(Notice(f"{ticket.ref} is already at tier 3", severity="warning"))
            return
        groups = [g.name for g in self.desk.group_choices()]

        def escalated(answer: Escalation | None) -> None:
            if answer is not None:
                self._escalate(answer, ticket.version)

        self.post_message(OpenScreen(Escalate(ticket.ref, ticket.tier, groups, ticket.group),
                                     escalated))

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def _escalate(self, answer: Escalation, version: int) -> None:
        number = self.number
        try:
            done = self.desk.escalate(number, reason=answer.reason, group=answer.group,
                                      expected_version=version)
        except StaleTicket as stale:
            self.post_message(TicketStale(str(stale)))
            return
        self.post_message(TicketWritten(f"Escalated to tier {done.tier}"
                                        + (f" ({done.group})" if done.group else "")))

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_merge(self) -> None:
        if self.detail is None:
            return
        source, number = self.detail.ticket.ref, self.number
        candidates = self.desk.ticket_candidates(number, purpose="merge")
        self.post_message(OpenScreen(
            TicketPicker(f"Merge {source} into which ticket? (its number, or type to find it)",
                         ticket_choices(candidates, kind="merge"), kind="merge"),
            self._merge_into))

    def _merge_into(self, key: str | None) -> None:
        if key is not None:
            self._ask_merge(self.number, int(key.partition(":")[2]))

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def _ask_merge(self, source: int, target: int) -> None:
        """Show what the ticket is merged into (subject, requester) before it is done."""
        found = self.desk.find_tickets([target])
        if not found:
            self.post_message(Notice(f"No ticket #{target}", severity="warning"))
            return
        into = found[0]

        def sure(yes: bool | None) -> None:
            if yes:
                self._merge(target)

        self.post_message(OpenScreen(Confirm(
            f"Merge #{source} into {into.ref} “{cell_line(into.subject)}” from "
            f"{cell_line(into.requester_name)} ({into.status.replace('_', ' ')})? Its "
            f"messages move there and #{source} is closed.", yes="Merge"), sure))

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def _merge(self, target: int) -> None:
        source = self.number
        self.desk.merge(source, into=target)
        self.post_message(TicketMerged(source, target))

    def on_ticket_merged(self, message: TicketMerged) -> None:
        self.notify(f"Merged #{message.source} into #{message.target}")
        self._open_instead(message.target)

    def _open_instead(self, number: int) -> None:
        self.save_draft()
        self._left_ticket(self.number)
        self.number = number
        self.composer.clear()
        self.composer.close()
        self.load()

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def action_link(self) -> None:
        if self.detail is None:
            return
        ticket, number = self.detail.ticket, self.number
        candidates = self.desk.ticket_candidates(number, purpose="link")
        # An incident of a problem already, or a problem: no "as its incident" rows.
        incidents = ticket.type != "problem" and self.links.problem is None

        def chosen(key: str | None) -> None:
            if key is not None:
                kind, _, other = key.partition(":")
                self._link(int(other), kind)

        self.post_message(OpenScreen(
            TicketPicker(f"Link {ticket.ref} to which ticket? (its number, or type to find it"
                         + ("; incident #1042: an incident of that problem)" if incidents
                            else ")"),
                         ticket_choices(candidates, kind="related", incidents=incidents),
                         kind="related", incidents=incidents),
            chosen))

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def _link(self, other: int, kind: str) -> None:
        number = self.number
        self.desk.link(number, other, kind=kind)
        self.post_message(TicketWritten(f"Linked to #{other}"
                                        + (" as its incident" if kind == "incident" else "")))
