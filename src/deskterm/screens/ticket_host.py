"""What the ticket screen's mixins use of the screen they are mixed into.

:class:`~deskterm.screens.ticket.TicketScreen` is put together from mixins, each a module of
its own (the customer's words, ``ticket_customer``; the knowledge base, ``ticket_kb``; live
updates and ticking ages, ``ticket_live``). Each reads the ticket on screen and calls back into
the screen: :class:`TicketHost` names what it may use, and the screen has to provide it (the
type checker holds the screen to it, and each mixin to what is named here).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.screen import Screen

    from deskterm.desk.reads import TicketDetail, TicketLinks, TicketSummary
    from deskterm.desk.service import Desk
    from deskterm.desk.tickets.draft_saving import DraftWriter
    from deskterm.screens.ticket import Composer


class TicketHost(Protocol):
    """The ticket screen as its mixins see it (besides being a Textual ``Screen``)."""

    desk: Desk
    number: int
    """The ticket on screen (it changes with ``[`` and ``]``)."""
    detail: TicketDetail | None
    """The ticket as last read (None until the first read)."""
    history: list[TicketSummary]
    """The requester's other tickets."""
    links: TicketLinks
    clock: Callable[[], datetime]
    show_events: bool
    """The audit events are shown in the thread."""
    drafts: DraftWriter

    @property
    def composer(self) -> Composer:
        """The reply / note / customer-message editor at the foot of the screen."""
        ...

    def show_header(self, now: datetime) -> None: ...

    def show_sidebar(self, *, keep_highlight: bool = False) -> None: ...

    def show_thread(self, now: datetime, *, keep_place: bool = False,
                    follow: bool = True) -> None: ...

    def ticket_screen(self, number: int) -> Screen[int]:
        """A ticket screen like this one for ticket ``number`` (to push over this one)."""
        ...


if TYPE_CHECKING:
    class TicketScreenPart(Screen[int], TicketHost):
        """The base of a ticket screen mixin for the type checker: a screen with what
        :class:`TicketHost` names. At run time a mixin's base is ``object``: the screen
        provides all of it."""

else:
    TicketScreenPart = object
