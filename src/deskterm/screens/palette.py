"""Command palette (``ctrl+p``) entries of the queue: go to a ticket, switch views, act."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from deskterm.screens.queue import QueueScreen

REF = re.compile(r"^\s*#?\s*(\d{1,9})\s*$", re.ASCII)  # not ١٢ (Arabic-Indic) as #12


class QueueCommands(Provider):
    """Everything the queue can do, by name; a ticket by its ref (``#1042`` or ``1042``)."""

    def _queue(self) -> QueueScreen | None:
        from deskterm.screens.queue import QueueScreen

        screen = self.screen
        return screen if isinstance(screen, QueueScreen) else None

    def _commands(self, queue: QueueScreen) -> list[tuple[str, Callable[[], object], str]]:
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

    async def discover(self) -> Hits:
        queue = self._queue()
        if queue is None:
            return
        for title, command, help_text in self._commands(queue):
            yield DiscoveryHit(title, command, help=help_text)

    async def search(self, query: str) -> Hits:
        queue = self._queue()
        if queue is None:
            return
        found = REF.match(query)
        if found:
            number = int(found.group(1))
            yield Hit(1.0, f"Go to ticket #{number}", partial(queue.go_to_ticket, number),
                      help="open it by its ref")
        matcher = self.matcher(query)
        for title, command, help_text in self._commands(queue):
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, help=help_text)


class NamedCommands(Provider):
    """A screen's actions by name: ``_commands`` lists (title, action, help)."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        for title, command, help_text in self._commands():
            yield DiscoveryHit(title, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, command, help_text in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, help=help_text)


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

