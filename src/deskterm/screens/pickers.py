"""Fuzzy pickers: type to narrow, enter to choose, escape to cancel. They return a key."""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from deskterm.desk.queue.builtin import View
from deskterm.desk.queue.windows import AgentChoice
from deskterm.desk.safe_text import cell_line
from deskterm.desk.tickets.candidates import Candidate
from deskterm.desk.tickets.lifecycle import PRIORITIES, STATUSES
from deskterm.desk.tickets.macros import MacroRead
from deskterm.widgets.editors import SafeInput


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    detail: str = ""
    also: str = ""
    """Other words the typed text finds it by (not shown): a username, ``none`` ..."""


def status_choices() -> list[Choice]:
    """The statuses a ticket can be set to (``new`` is only ever the first)."""
    return [Choice(status, status.replace("_", " ")) for status in STATUSES if status != "new"]


def priority_choices() -> list[Choice]:
    """Priorities, most urgent first."""
    return [Choice(priority, priority) for priority in reversed(PRIORITIES)]


def assignee_choices(agents: Sequence[AgentChoice], *,
                     group: str | None = None) -> list[Choice]:
    """"Unassigned" first (found by ``none`` or ``nobody`` too), then the agents with their
    open tickets, ``group``'s members first. Unassigned is the key ``""``, which a change reads
    as :data:`~deskterm.desk.tickets.change.NONE` (an agent named ``none`` keeps its own key)."""
    ordered = sorted(agents, key=lambda a: (group is None or group not in a.groups,
                                            a.open_tickets, a.username))
    choices = [Choice(a.username, a.display_name,
                      f"{a.username} · {a.open_tickets:,} open"
                      + (f" · {group}" if group is not None and group in a.groups else ""),
                      also=a.username)
               for a in ordered]
    return [Choice("", "Unassigned", "nobody", also="none nobody"), *choices]


REF = re.compile(r"^\s*#?\s*(\d{1,9})\s*$", re.ASCII)  # not ١٢ (Arabic-Indic) as #12


def ticket_number(text: str) -> int | None:
    """The ticket ``#1042`` or ``1042`` names (None: it names none)."""
    found = REF.match(text)
    return int(found.group(1)) if found else None


def macro_choices(macros: Sequence[MacroRead]) -> list[Choice]:
    """Macros by name, with the start of their text."""
    return [Choice(m.name, m.name, cell_line(m.body)[:50]) for m in macros]


Picked = TypeVar("Picked")
"""What a picker is dismissed with (besides None: nothing was chosen)."""


class ChoicePicker(ModalScreen[Picked | None]):
    """Choose one of ``choices``; the typed text narrows them by fuzzy match and marks the
    best; ``enter`` takes the marked one (none is marked before the agent types or moves).
    What the chosen key becomes is the subclass's (:meth:`take`)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "next", show=False, id="picker.next"),
        Binding("up", "previous", show=False, id="picker.previous"),
    ]

    def __init__(self, title: str, choices: Sequence[Choice]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(self.title_text, id="picker-title")
            yield SafeInput(placeholder="type to narrow", id="picker-input")
            yield OptionList(id="picker-options")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#picker-input", SafeInput).focus()

    def typed_choice(self, typed: str) -> Choice | None:
        """A choice made of the typed text itself, put first (none here)."""
        return None

    def _fill(self, typed: str) -> None:
        options = self.query_one("#picker-options", OptionList)
        options.clear_options()
        matcher = Matcher(typed) if typed else None
        scored = []
        for choice in self.choices:
            score = (max(matcher.match(choice.label), matcher.match(choice.also))
                     if matcher else 1.0)
            if score > 0:
                scored.append((score, choice))
        if matcher:
            scored.sort(key=lambda pair: -pair[0])
        first = self.typed_choice(typed) if typed else None
        if first is not None:
            known = next((choice for choice in self.choices if choice.key == first.key), None)
            scored = [(1.0, known or first),
                      *((score, choice) for score, choice in scored if choice.key != first.key)]
        for _, choice in scored:
            label = Text(cell_line(choice.label), no_wrap=True, overflow="ellipsis")
            if choice.detail:
                label.append(f"  {cell_line(choice.detail)}", style="dim")
            options.add_option(Option(label, id=choice.key))
        # No row is chosen until the agent has typed or moved: an ``enter`` typed ahead
        # never takes a first row nobody saw.
        if scored and typed:
            options.highlighted = 0

    @on(SafeInput.Changed, "#picker-input")
    def _typed(self, event: SafeInput.Changed) -> None:
        self._fill(event.value)

    @on(SafeInput.Submitted, "#picker-input")
    def _submitted(self) -> None:
        options = self.query_one("#picker-options", OptionList)
        if options.highlighted is not None:
            self.take(options.get_option_at_index(options.highlighted).id)
        elif options.option_count:
            self.notify("Type to narrow or move to a choice (↓) first", severity="warning")
        else:
            self.notify("Nothing matches: change the text or escape", severity="warning")

    @on(OptionList.OptionSelected, "#picker-options")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self.take(event.option.id)

    @abstractmethod
    def take(self, key: str | None) -> None:
        """The choice ``key`` was taken (``enter``, or a click): dismiss the picker with what
        it stands for."""

    def action_next(self) -> None:
        self.query_one("#picker-options", OptionList).action_cursor_down()

    def action_previous(self) -> None:
        self.query_one("#picker-options", OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)


class Picker(ChoicePicker[str]):
    """A picker dismissed with the key of the choice taken."""

    def take(self, key: str | None) -> None:
        self.dismiss(key)


class ViewPicker(Picker):
    """``v``: the queue's views with their counts; ``ctrl+d`` deletes a saved one."""

    DELETE = "delete:"
    BINDINGS = [Binding("ctrl+d", "delete", "Delete saved view", id="views.delete")]

    def __init__(self, views: Sequence[View], counts: dict[str, int], *, me: str) -> None:
        super().__init__("Views", [
            Choice(view.key, view.name, " · ".join(part for part in (
                f"{counts[view.key]:,}" if view.key in counts else "",
                ("shared by " + view.owner if view.shared else "mine") if view.owner else "",
            ) if part))
            for view in views
        ])
        self.deletable = {view.key for view in views
                          if view.owner == me or (view.owner and view.shared)}

    def action_delete(self) -> None:
        options = self.query_one("#picker-options", OptionList)
        if options.highlighted is None:
            return
        key = options.get_option_at_index(options.highlighted).id
        if key in self.deletable:
            self.dismiss(f"{self.DELETE}{key}")
        else:
            self.notify("Built-in views cannot be deleted", severity="warning")


def ticket_choices(candidates: Sequence[Candidate], *, kind: str,
                   incidents: bool = False) -> list[Choice]:
    """Tickets to pick, keyed ``kind:number``, each shown as ``#1042 subject`` (what the typed
    text matches) with its status, requester and why it is offered. With ``incidents``, an
    open problem is offered twice: related, and ``#1050 (as its incident) subject`` with the
    key ``incident:number``."""
    choices = []
    for candidate in candidates:
        ticket = candidate.ticket
        label = f"{ticket.ref} {ticket.subject}"
        about = f"{ticket.status.replace('_', ' ')} · {ticket.requester_name}"
        if incidents and candidate.why == "open problem":
            # Told apart from the related row at the start: the end is cut when narrow.
            choices.append(Choice(f"incident:{ticket.number}",
                                  f"{ticket.ref} (as its incident) {ticket.subject}",
                                  f"{about} · open problem", also="incident"))
        choices.append(Choice(f"{kind}:{ticket.number}", label, f"{about} · {candidate.why}",
                              also=ticket.requester_name))
    return choices


class TicketPicker(Picker):
    """A ticket among likely ones, found by number or subject; or any ticket by its number
    typed (``#1042`` or ``1042``; ``incident #1042`` where ``incidents``). Keys are
    ``kind:number``."""

    def __init__(self, title: str, choices: Sequence[Choice], *, kind: str,
                 incidents: bool = False) -> None:
        super().__init__(title, choices)
        self.kind = kind
        self.incidents = incidents

    def typed_choice(self, typed: str) -> Choice | None:
        kind, text = self.kind, typed
        word, _, rest = typed.strip().partition(" ")
        if self.incidents and word.lower() == "incident":
            kind, text = "incident", rest
        number = ticket_number(text)
        if number is None:
            return None
        return Choice(f"{kind}:{number}", f"#{number}",
                      "make this ticket its incident" if kind == "incident" else "by its number")
