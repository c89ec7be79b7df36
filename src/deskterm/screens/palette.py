"""Command palette (``ctrl+p``) entries: a screen's actions by name (:class:`NamedCommands`), and
on the queue and the ticket screen a ticket by its ref. The queue's and the ticket screen's own
lists live beside those screens (``QueueCommands``, ``TicketCommands``), so this module imports
neither screen."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from functools import partial
from typing import Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from deskterm.screens.pickers import ticket_number


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


@runtime_checkable
class KbActions(Protocol):
    """What the knowledge-base screen offers in the palette."""

    def action_search(self) -> object: ...
    def action_new(self) -> object: ...
    def action_edit(self) -> object: ...
    def action_toggle_publish(self) -> object: ...
    def action_delete(self) -> object: ...


@runtime_checkable
class TicketKbActions(Protocol):
    """What the ticket screen offers of the knowledge base in the palette."""

    def action_article_from_ticket(self) -> object: ...
    def action_pick_article(self) -> object: ...


class KbCommands(NamedCommands):
    """The knowledge-base screen's actions by name."""

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        screen = self.screen
        if not isinstance(screen, KbActions):
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
        if not isinstance(screen, TicketKbActions):
            return []
        return [
            ("Create article from this ticket", screen.action_article_from_ticket,
             "a draft from the subject and the solving reply"),
            ("Insert a knowledge-base article…", screen.action_pick_article,
             "a link line or its text, into the reply"),
        ]

