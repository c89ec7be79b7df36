"""Command palette (``ctrl+p``) entries of each screen: its actions by name, and on the queue
and the ticket screen a ticket by its ref."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from deskterm.screens.pickers import ticket_number

if TYPE_CHECKING:
    from deskterm.screens.queue import QueueScreen
    from deskterm.screens.ticket import TicketScreen


class NamedCommands(Provider):
    """A screen's actions by name: ``_commands`` lists (title, action, help); where
    ``_go_to`` gives a way to open a ticket, its ref too (``#1042`` or ``1042``)."""

    @abstractmethod
    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        """Each screen's own: (title, action, help) for every command it offers."""

    def _go_to(self) -> Callable[[int], object] | None:
        return None

    async def discover(self) -> Hits:
        for title, command, help_text in self._commands():
            yield DiscoveryHit(title, command, help=help_text)

    async def search(self, query: str) -> Hits:
        go_to = self._go_to()
        number = ticket_number(query) if go_to is not None else None
        if go_to is not None and number is not None:
            yield Hit(1.0, f"Go to ticket #{number}", partial(go_to, number),
                      help="open it by its ref")
        matcher = self.matcher(query)
        for title, command, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, help=help_text)


class QueueCommands(NamedCommands):
    """Everything the queue can do, by name; a ticket by its ref (``#1042`` or ``1042``)."""

    def _queue(self) -> QueueScreen | None:
        from deskterm.screens.queue import QueueScreen

        screen = self.screen
        return screen if isinstance(screen, QueueScreen) else None

    def _go_to(self) -> Callable[[int], object] | None:
        queue = self._queue()
        return queue.go_to_ticket if queue is not None else None

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        queue = self._queue()
        if queue is None:
            return []
        commands: list[tuple[str, Callable[[], object], str]] = [
            (f"View: {view.name}", partial(queue.show_view, view.key), view.query or "every ticket")
            for view in queue.views
        ]
        commands += [
            ("Take the selected tickets", queue.action_take, "assign them to yourself"),
            ("Assign the selected tickets…", queue.action_assign, "pick an agent"),
            ("Set status of the selected tickets…", queue.action_set_status, "pick a status"),
            ("Set priority of the selected tickets…", queue.action_set_priority,
             "pick a priority"),
            ("Tag the selected tickets…", queue.action_edit_tags, "add or remove tags"),
            ("Select all matching tickets", queue.action_select_all, "every ticket of the filter"),
            ("Clear the selection", queue.table.clear_selection, ""),
            ("Save this view…", queue.action_save_view, "personal or shared with the team"),
            ("Sort by…", queue.action_pick_sort, "any column, either direction"),
            ("Filter…", queue.action_filter, "the filter language"),
            ("New ticket…", queue.action_new_ticket, "for a customer: log a call"),
        ]
        return commands


class TicketCommands(NamedCommands):
    """The ticket screen's actions by name; another ticket by its ref (``#1042``)."""

    def _ticket(self) -> TicketScreen | None:
        from deskterm.screens.ticket import TicketScreen

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
        ]
        if ticket.step is not None:
            commands += [
                ("Previous ticket of the view", partial(ticket.action_step, -1), ""),
                ("Next ticket of the view", partial(ticket.action_step, 1), ""),
            ]
        return commands


class KbCommands(NamedCommands):
    """The knowledge-base screen's actions by name."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        screen = self.screen
        if not hasattr(screen, "action_new") or not hasattr(screen, "action_toggle_publish"):
            return []
        return [
            ("Search the knowledge base", screen.action_search, "every article, best first"),
            ("New article", screen.action_new, "write one in Markdown"),
            ("Edit this article", screen.action_edit, "the one open in the reader"),
            ("Publish or unpublish this article", screen.action_toggle_publish,
             "published articles are suggested on tickets"),
            ("Delete this article", screen.action_delete, "asks first"),
        ]


class TicketKbCommands(NamedCommands):
    """The ticket screen's knowledge-base actions by name."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        screen = self.screen
        if not hasattr(screen, "action_article_from_ticket"):
            return []
        return [
            ("Create article from this ticket", screen.action_article_from_ticket,
             "a draft from the subject and the solving reply"),
            ("Insert a knowledge-base article…", screen.action_pick_article,
             "a link line or its text, into the reply"),
        ]

