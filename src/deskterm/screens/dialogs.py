"""Small modal questions: confirm, name a view, edit tags, escalate, send as. Each returns its
answer on dismiss."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from deskterm.desk.errors import TransitionRefused
from deskterm.desk.tickets.lifecycle import check_transition, reply_statuses
from deskterm.widgets.editors import SafeInput, SafeSelect


class Confirm(ModalScreen[bool]):
    """A yes/no question: ``y`` or ``enter`` confirms, ``n`` or ``escape`` declines."""

    ENTER_TAKES_A_DEFAULT = True
    """An ``enter`` typed before this was on screen is dropped (see ``DeskApp``)."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-title", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="primary", id="yes")
                yield Button(f"{self.no} (n)", id="no")

    def on_mount(self, event: events.Mount) -> None:
        self.query_one("#yes", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ConfirmToCustomer(Confirm):
    """The question before agents' text (an internal article, an internal note) goes toward a
    customer: only ``y`` (or a click on its button) says yes; ``enter`` is on the other
    answer, so a key meant for something else never sends it."""

    def on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # not Confirm's own handler, which focuses the yes button
        self.query_one("#no").focus()


@dataclass(frozen=True)
class ViewName:
    name: str
    shared: bool


class SaveView(ModalScreen[ViewName | None]):
    """``ctrl+s`` on the queue: a name for the current filter and sort, personal or shared."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="save-view.cancel")]

    def __init__(self, query_text: str, *, name: str = "", shared: bool = False) -> None:
        super().__init__()
        self.query_text = query_text
        self.initial_name = name
        self.initial_shared = shared

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Save this view", classes="dialog-title")
            yield Static(self.query_text or "(every ticket)", classes="dialog-detail",
                         markup=False)
            yield SafeInput(self.initial_name, placeholder="name, e.g. VPN escalations",
                            id="view-name", max_length=60)
            yield Checkbox("Share with the team", self.initial_shared, id="view-shared")
            yield Static("enter saves · escape cancels", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#view-name", SafeInput).focus()

    @on(SafeInput.Submitted, "#view-name")
    def _save(self, event: SafeInput.Submitted) -> None:
        name = event.value.strip()
        if not name:
            self.notify("A view needs a name", severity="warning")
            return
        self.dismiss(ViewName(name, self.query_one("#view-shared", Checkbox).value))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class TagEdit:
    add: tuple[str, ...]
    remove: tuple[str, ...]


def parse_tag_edit(text: str) -> TagEdit:
    """``vpn -spam +billing`` adds vpn and billing and removes spam."""
    add: list[str] = []
    remove: list[str] = []
    for word in text.replace(",", " ").split():
        if word.startswith("-"):
            if word[1:]:
                remove.append(word[1:])
        elif word.lstrip("+"):
            add.append(word.lstrip("+"))
    return TagEdit(tuple(add), tuple(remove))


class EditTags(ModalScreen[TagEdit | None]):
    """``T`` on the queue: tags to add (``vpn`` or ``+vpn``) and remove (``-spam``)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="edit-tags.cancel")]

    def __init__(self, count: int, known: list[str]) -> None:
        super().__init__()
        self.count = count
        self.known = known

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Tags on {self.count:,} ticket{'s' if self.count != 1 else ''}",
                         classes="dialog-title")
            yield SafeInput(placeholder="vpn +billing -spam", id="tag-edit")
            yield Static("add: name or +name · remove: -name · enter applies",
                         classes="dialog-hint")
            if self.known:
                yield Static("known: " + " ".join(self.known[:30]), classes="dialog-detail",
                             markup=False)

    def on_mount(self) -> None:
        self.query_one("#tag-edit", SafeInput).focus()

    @on(SafeInput.Submitted, "#tag-edit")
    def _apply(self, event: SafeInput.Submitted) -> None:
        edit = parse_tag_edit(event.value)
        self.dismiss(edit if edit.add or edit.remove else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Ask(ModalScreen[str | None]):
    """One line of text: ``enter`` answers (an empty answer is refused), ``escape`` cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="ask.cancel")]

    def __init__(self, title: str, *, placeholder: str = "", hint: str = "",
                 value: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.placeholder = placeholder
        self.hint = hint
        self.value = value
        """The answer offered (the agent edits it), the cursor at its end."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield SafeInput(self.value, placeholder=self.placeholder, id="ask-input")
            if self.hint:
                yield Static(self.hint, classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#ask-input", SafeInput).focus()

    @on(SafeInput.Submitted, "#ask-input")
    def _answer(self, event: SafeInput.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())
        else:
            self.notify("An answer is needed (escape cancels)", severity="warning")

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class Escalation:
    reason: str
    group: str | None


class Escalate(ModalScreen[Escalation | None]):
    """``e`` on a ticket: the reason (required) and, optionally, the group to hand it to.

    ``enter`` escalates wherever the focus is, as the hint says: on the group list too, which
    Textual's ``Select`` would otherwise open again (``space`` or ``down`` opens it); only
    while the list is open does ``enter`` choose the group under the cursor.
    """

    BINDINGS = [
        Binding("enter", "escalate", "Escalate", id="escalate.escalate", priority=True),
        Binding("escape", "cancel", "Cancel", id="escalate.cancel"),
    ]

    def __init__(self, ref: str, tier: int, groups: list[str], current: str | None) -> None:
        super().__init__()
        self.ref = ref
        self.tier = tier
        self.groups = groups
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Escalate {self.ref} to tier {self.tier + 1}", classes="dialog-title")
            yield SafeInput(placeholder="why (kept as an internal note)", id="escalate-reason")
            yield SafeSelect([(name, name) for name in self.groups], prompt="keep the group"
                             + (f" ({self.current})" if self.current else ""),
                             id="escalate-group", allow_blank=True)
            yield Static("enter escalates · tab, then space: another group · escape cancels",
                         classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#escalate-reason", SafeInput).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the group list is open, its own enter chooses a group.
        return action != "escalate" or not self.query_one("#escalate-group", SafeSelect).expanded

    def action_escalate(self) -> None:
        reason_input = self.query_one("#escalate-reason", SafeInput)
        reason = reason_input.value.strip()
        if not reason:
            self.notify("Say why: the reason is kept as an internal note", severity="warning")
            reason_input.focus()
            return
        group = self.query_one("#escalate-group", SafeSelect).value
        self.dismiss(Escalation(reason, group if isinstance(group, str) else None))

    def action_cancel(self) -> None:
        self.dismiss(None)


SEND_AS_KEYS = {"o": "open", "p": "pending", "h": "on_hold", "s": "solved"}
"""The one-key answers of "send as", each a status of :data:`lifecycle.REPLY_STATUSES`."""


class SendAs(ModalScreen[str | None]):
    """The one-key "send as" choice: ``o`` open, ``p`` pending, ``h`` on hold, ``s`` solved,
    ``enter`` the preselected one. Only what the lifecycle allows from the ticket's status is
    offered (a solved ticket: open or solved); another key says why it is not."""

    ENTER_TAKES_A_DEFAULT = True
    """An ``enter`` typed before this was on screen is dropped (see ``DeskApp``)."""

    BINDINGS = [
        Binding("o", "send('open')", "Open", id="send-as.open"),
        Binding("p", "send('pending')", "Pending", id="send-as.pending"),
        Binding("h", "send('on_hold')", "On hold", id="send-as.on-hold"),
        Binding("s", "send('solved')", "Solved", id="send-as.solved"),
        Binding("enter", "send_default", "Send", id="send-as.default"),
        Binding("escape", "cancel", "Cancel", id="send-as.cancel"),
    ]

    def __init__(self, current: str, *, ref: str = "This ticket",
                 preselect: str | None = None) -> None:
        """``current``: the ticket's status; ``preselect``: what ``enter`` sends as, when
        allowed (a macro's status), else the current status, else open."""
        super().__init__()
        self.current = current
        self.ref = ref
        self.allowed = reply_statuses(current)
        self.default = next((status for status in (preselect, current, "open")
                             if status in self.allowed), "open")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Send as", classes="dialog-title")
            line = Text()
            for key, status in SEND_AS_KEYS.items():
                name = status.replace("_", " ")
                if status not in self.allowed:
                    line.append(f" {key}  {name}   ", style="dim strike")
                    continue
                chosen = status == self.default
                line.append(f" {key} ", style="bold reverse" if chosen else "bold")
                line.append(f" {name}   ", style="bold" if chosen else "")
            yield Static(line)
            yield Static(f"enter sends as {self.default.replace('_', ' ')} · escape goes back "
                         "to the text", classes="dialog-hint")

    def action_send(self, status: str) -> None:
        if status not in self.allowed:
            try:
                check_transition(self.ref, self.current, status)
            except TransitionRefused as refused:
                self.notify(str(refused), severity="warning", markup=False)
            return
        self.dismiss(status)

    def action_send_default(self) -> None:
        self.action_send(self.default)

    def action_cancel(self) -> None:
        self.dismiss(None)
