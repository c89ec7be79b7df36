"""``n`` / ``N`` on the queue: a new ticket for a customer, as an agent logging a call files it.

The form asks who (a requester picked from the desk's people by a fuzzy search on name or
e-mail, or a new one: name and e-mail), what (a subject and the customer's own words), how it
came in (the channel, ``phone`` unless changed), the group and the priority. ``ctrl+s``
files it through the desk's ``create_ticket`` (what ``deskterm ticket create`` calls), so every
value is checked there; a refusal is shown in the form, on the field it names, and nothing typed
is lost. Once filed the queue opens the new ticket. ``escape`` with something typed asks first.

The requester search runs in the store (``people.search_customers``: one ``LIKE`` over names
and addresses), in a worker, so a desk of a hundred thousand customers is not loaded into the
console; ``enter`` typed before the results of what was typed have arrived waits for them.
Names and addresses are shown as plain, cleaned text, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from deskterm.desk.errors import DeskError
from deskterm.desk.reads import CustomerRead, TicketSummary
from deskterm.desk.safe_text import clean_line
from deskterm.desk.service import Desk
from deskterm.desk.tickets.lifecycle import CHANNELS, PRIORITIES
from deskterm.messages import ChoicesLoaded, CustomersFound, TicketFiled
from deskterm.screens.dialogs import Confirm
from deskterm.screens.pickers import ChoicePicker
from deskterm.screens.reporting import ReportsWorkerErrors
from deskterm.widgets.editors import SafeInput, SafeSelect, SafeTextArea

DEFAULT_CHANNEL = "phone"
"""An agent filing a ticket in the console is most often logging a call."""

SEARCH_LIMIT = 30
"""People shown for what was typed (the best first)."""

SEARCH_READ = 200
"""People read from the store for what was typed, ranked here: a short text matches many (the
store's order only puts the names and addresses that start with it first)."""

UNSAVED_WORK = "Quit? The new ticket is not created yet."
UNSAVED_HINT = "Create the ticket (ctrl+s) or cancel it (escape) first"
"""What ``ctrl+q`` asks, and ``1`` / ``2`` say, while the form holds typed text (``DeskApp``)."""

NEW = "\0new"
"""The key of the picker's "new requester" choice (no e-mail address holds a NUL)."""


@dataclass(frozen=True)
class Requester:
    """Who the ticket is for: someone of the desk, or a new person (``new``)."""

    email: str
    name: str
    new: bool = False


def requester_label(customer: CustomerRead, width: int) -> Text:
    """One line of at most ``width`` cells for a person in the picker: name, address,
    organization (plain text, cut with an ellipsis)."""
    label = Text(clean_line(customer.name), no_wrap=True, overflow="ellipsis", end="")
    label.append(f"  {clean_line(customer.email or '')}", style="dim")
    if customer.organization:
        label.append(f" · {clean_line(customer.organization)}", style="dim")
    label.truncate(max(width, 10), overflow="ellipsis")
    return label


def ranked(typed: str, people: Sequence[CustomerRead]) -> list[CustomerRead]:
    """``people`` (found by the store) best first: a name or address that starts with what was
    typed, then a name with a word that does (``mar``: Kwame Martinez), then by Textual's fuzzy
    score on name and address; the store's order breaks ties."""
    words = " ".join(typed.lower().split())
    if not words:
        return list(people)
    matcher = Matcher(words)

    def rank(person: CustomerRead) -> tuple[bool, bool, float]:
        name, email = clean_line(person.name).lower(), person.email or ""
        return (not (name.startswith(words) or email.startswith(words)),
                not any(word.startswith(words) for word in name.split()),
                -matcher.match(f"{name} {email}"))

    return sorted(people, key=rank)


class RequesterPicker(ReportsWorkerErrors, ChoicePicker[Requester]):
    """Who the ticket is for: type a name or an e-mail; the last choice is a new person."""

    BINDINGS = [Binding("ctrl+n", "new_requester", "New requester",
                        id="requester-picker.new")]

    def __init__(self, desk: Desk) -> None:
        super().__init__("Requester: type a name or e-mail address", [])
        self.desk = desk
        self.people: dict[str, CustomerRead] = {}
        self._found_for: str | None = ""
        """The text the options are for (None while the first search runs)."""
        self._enter_waits = False

    def _fill(self, typed: str) -> None:
        """Search the store for ``typed`` (the options come with the results)."""
        self._found_for = None
        self._search(typed)

    # "pickers": keys typed after an ``enter`` wait for the choices (see ``DeskApp``).
    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def _search(self, typed: str) -> None:
        try:
            found = self.desk.search_customers(typed, limit=SEARCH_READ)
        except DeskError:
            found = []  # text no address can hold (invalid UTF-8): nobody
        self.post_message(CustomersFound(typed, found))

    def on_customers_found(self, message: CustomersFound) -> None:
        typed, found = message.typed, message.found
        if not self.is_attached or typed != self.query_one("#picker-input", SafeInput).value:
            return  # a newer search is on its way
        self._found_for = typed
        # The form files a ticket by address: someone known only by name (a phone requester
        # from an import) is not offered; a new requester with an address is.
        found = [p for p in found if p.email]
        self.people = {p.email: p for p in found if p.email}
        options = self.query_one("#picker-options", OptionList)
        options.clear_options()
        width = options.scrollable_content_region.width - 3  # a scrollbar may come
        new = Text("+ New requester", style="bold")
        if typed.strip():
            new.append(f": {clean_line(typed.strip())}", style="")
        new.append("  (ctrl+n)", style="dim")
        address = typed.strip().lower()
        # An address no one's starts with is a new person's: that choice comes first, marked.
        new_first = "@" in address and not any(email.startswith(address) for email in self.people)
        if new_first:
            options.add_option(Option(new, id=NEW))
        for person in ranked(typed, found)[:SEARCH_LIMIT]:
            options.add_option(Option(requester_label(person, width), id=person.email))
        if not new_first:
            options.add_option(Option(new, id=NEW))
        # As the other pickers: nothing is marked until the agent has typed or moved.
        if typed.strip():
            options.highlighted = 0
        if self._enter_waits:
            self._enter_waits = False
            self._submit()

    @on(SafeInput.Submitted, "#picker-input")
    def _enter(self, event: SafeInput.Submitted) -> None:
        # Picker's own handler (Textual calls each class's) would take a row of older results.
        event.prevent_default()
        self._submit()

    def _submit(self) -> None:
        typed = self.query_one("#picker-input", SafeInput).value
        if self._found_for != typed:
            self._enter_waits = True  # the results of what was typed are on their way
            return
        self._submitted()

    def take(self, key: str | None) -> None:
        """A key of the options (an address, or :data:`NEW`) becomes a :class:`Requester`."""
        if key == NEW:
            self.action_new_requester()
        elif key is None:
            self.dismiss(None)
        else:
            self.dismiss(Requester(key, self.people[key].name))  # keyed by their address

    @property
    def holds_unsaved_work(self) -> bool:
        """Opened again (``ctrl+r``) over a form with text: ``ctrl+q`` asks as the form does."""
        stack = self.app.screen_stack
        below = stack[-2] if len(stack) > 1 and stack[-1] is self else None
        return isinstance(below, NewTicketForm) and below.holds_unsaved_work

    UNSAVED_WORK = UNSAVED_WORK
    UNSAVED_HINT = UNSAVED_HINT

    def action_new_requester(self) -> AwaitComplete:
        """A person not in the desk yet: what was typed goes into the name or e-mail field."""
        typed = self.query_one("#picker-input", SafeInput).value.strip()
        if "@" in typed:
            return self.dismiss(Requester(typed, "", new=True))
        return self.dismiss(Requester("", typed, new=True))


@dataclass(frozen=True)
class NewTicket:
    """What the form files."""

    requester: Requester
    subject: str
    body: str
    channel: str
    group: str | None
    priority: str


FIELD_OF_ERROR = (
    ("requester name", "#new-name"),
    ("requester", "#new-email"),
    ("subject", "#new-subject"),
    ("body", "#new-body"),
    ("channel", "#new-channel"),
    ("priority", "#new-priority"),
    ("group", "#new-group"),
)
"""Where a refusal of the desk points the focus: the field its first word names."""


def field_of(error: str, requester_new: bool) -> str | None:
    """The id of the field a one-line refusal is about (``subject: must not be empty``)."""
    lowered = error.lower()
    for name, field in FIELD_OF_ERROR:
        if lowered.startswith(name) or f"{name} '" in lowered:
            if field in ("#new-email", "#new-name") and not requester_new:
                return "#new-requester"
            return field
    return None


class NewTicketForm(ReportsWorkerErrors, ModalScreen[int | None]):
    """The form; dismissed with the new ticket's number (None: nothing was filed)."""

    BINDINGS = [
        Binding("ctrl+s", "create", "Create", id="new-ticket.create", priority=True),
        Binding("ctrl+r", "pick_requester", "Requester", id="new-ticket.requester"),
        Binding("escape", "cancel", "Cancel", id="new-ticket.cancel"),
    ]

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.requester: Requester | None = None
        self._creating = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="new-ticket"):
            yield Static("New ticket", classes="dialog-title")
            with Horizontal(classes="form-row"):
                yield Label("Requester", classes="form-label")
                yield Button(Content("choose… (enter)"), id="new-requester", compact=True)
            with Horizontal(classes="form-row", id="new-person"):
                yield Label("New", classes="form-label")
                yield SafeInput(placeholder="name", id="new-name", max_length=200, compact=True)
                yield SafeInput(placeholder="e-mail address", id="new-email", max_length=320,
                                compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Subject", classes="form-label")
                yield SafeInput(placeholder="what it is about", id="new-subject",
                                max_length=500, compact=True)
            yield Label("The customer's words", classes="form-caption")
            yield SafeTextArea(id="new-body", soft_wrap=True,
                               placeholder="what the customer said or wrote")
            with Horizontal(classes="form-row", id="new-fields"):
                yield Label("Channel", classes="form-label")
                yield SafeSelect([(c, c) for c in CHANNELS], value=DEFAULT_CHANNEL,
                                 allow_blank=False, id="new-channel", compact=True)
                yield Label("Group", classes="form-label-inline")
                yield SafeSelect([], prompt="no group", id="new-group", compact=True)
                yield Label("Priority", classes="form-label-inline")
                yield SafeSelect([(p, p) for p in reversed(PRIORITIES)], value="normal",
                                 allow_blank=False, id="new-priority", compact=True)
            yield Static(id="new-ticket-error")
            yield Static("ctrl+s create · ctrl+r requester · tab next field · escape cancel",
                         classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#new-person").display = False
        self.query_one("#new-ticket-error").display = False
        self._load_groups()
        self.action_pick_requester()

    @work(thread=True, exclusive=True, group="pickers", exit_on_error=False)
    def _load_groups(self) -> None:
        groups = [g.name for g in self.desk.group_choices()]
        self.post_message(ChoicesLoaded("groups", groups))

    def on_choices_loaded(self, message: ChoicesLoaded) -> None:
        groups = message.choices
        select = self.query_one("#new-group", SafeSelect)
        chosen = select.value
        select.set_options([(name, name) for name in groups])
        if isinstance(chosen, str) and chosen in groups:
            select.value = chosen

    # --- the requester ----------------------------------------------------------------------

    @on(Button.Pressed, "#new-requester")
    def action_pick_requester(self) -> None:
        self.app.push_screen(RequesterPicker(self.desk), self._requester_chosen)

    def _requester_chosen(self, chosen: Requester | None) -> None:
        if chosen is None:
            if self.requester is None:
                self.query_one("#new-requester", Button).focus()
            return
        self.requester = chosen
        person = self.query_one("#new-person")
        button = self.query_one("#new-requester", Button)
        if chosen.new:
            person.display = True
            name, email = self.query_one("#new-name", SafeInput), self.query_one("#new-email",
                                                                                SafeInput)
            if chosen.name:
                name.value = chosen.name
            if chosen.email:
                email.value = chosen.email
            button.label = Content("a new requester (name and e-mail below)")
            (email if name.value else name).focus()
            return
        person.display = False
        button.label = Content(clean_line(f"{chosen.name} <{chosen.email}>"))
        self.query_one("#new-subject", SafeInput).focus()

    # --- filing -----------------------------------------------------------------------------

    def _typed(self) -> bool:
        """Something was typed or chosen that escape would throw away."""
        fields = [self.query_one(f"#new-{name}", SafeInput).value
                  for name in ("subject", "name", "email")]
        fields.append(self.query_one("#new-body", SafeTextArea).text)
        return self.requester is not None or any(value.strip() for value in fields)

    @property
    def holds_unsaved_work(self) -> bool:
        """ctrl+q asks before quitting (``DeskApp.action_quit``)."""
        return self._typed()

    UNSAVED_WORK = UNSAVED_WORK
    UNSAVED_HINT = UNSAVED_HINT

    def form(self) -> NewTicket | None:
        """What the form holds, or None (with the reason shown) when no requester is set."""
        chosen = self.requester
        if chosen is None:
            self.show_error("Choose the requester first (ctrl+r): someone of the desk or a new "
                            "person", "#new-requester")
            return None
        if chosen.new:
            chosen = Requester(self.query_one("#new-email", SafeInput).value.strip(),
                               self.query_one("#new-name", SafeInput).value.strip(), new=True)
            if not chosen.email:
                self.show_error("requester: the new person's e-mail address is needed",
                                "#new-email")
                return None
        group = self.query_one("#new-group", SafeSelect).value
        return NewTicket(
            requester=chosen,
            subject=self.query_one("#new-subject", SafeInput).value,
            body=self.query_one("#new-body", SafeTextArea).text,
            channel=str(self.query_one("#new-channel", SafeSelect).value),
            group=group if isinstance(group, str) else None,
            priority=str(self.query_one("#new-priority", SafeSelect).value),
        )

    def action_create(self) -> None:
        # ctrl+s acts as it arrives (a priority binding), while letters typed just before it in
        # the same burst may still wait in the focused field's queue: this runs after them.
        (self.focused or self).call_later(self._create_written)

    def _create_written(self) -> None:
        if self._creating:
            return
        wanted = self.form()
        if wanted is None:
            return
        self._creating = True
        self._create(wanted)

    @work(thread=True, exclusive=True, group="change", exit_on_error=False)
    def _create(self, wanted: NewTicket) -> None:
        try:
            ticket = self.desk.create_ticket(
                requester_email=wanted.requester.email,
                requester_name=wanted.requester.name or None, subject=wanted.subject,
                body=wanted.body, channel=wanted.channel, priority=wanted.priority,
                group=wanted.group)
        except DeskError as refused:
            self.post_message(TicketFiled(refused=str(refused)))
            return
        except BaseException:
            self.post_message(TicketFiled())  # the app reports the failure
            raise
        self.post_message(TicketFiled(ticket))

    def on_ticket_filed(self, message: TicketFiled) -> None:
        if message.ticket is not None:
            self._created(message.ticket)
            return
        self._creating = False
        if message.refused is not None:
            error = message.refused
            self.show_error(error, field_of(error, bool(self.requester and self.requester.new)))

    def _created(self, ticket: TicketSummary) -> None:
        self.notify(f"Created {ticket.ref} for {clean_line(ticket.requester_name)}", timeout=5)
        self.dismiss(ticket.number)

    def show_error(self, error: str, field: str | None) -> None:
        line = self.query_one("#new-ticket-error", Static)
        line.update(Text(clean_line(error), style="bold"))
        line.display = True
        if field is not None:
            self.query_one(field).focus()

    def action_cancel(self) -> None:
        if not self._typed():
            self.dismiss(None)
            return

        def answer(throw_away: bool | None) -> None:
            if throw_away:
                self.dismiss(None)

        self.app.push_screen(Confirm("Throw away this new ticket? What you typed is lost.",
                                     yes="Throw away"), answer)
