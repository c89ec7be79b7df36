"""How the ticket screen uses the terminal's size.

From 100 columns the sidebar (the requester, the links, suggested articles, the requester's
other tickets) stands beside the thread, a quarter of the width (36 to 60 cells). Narrower, the
thread has the whole width, a line under the header names the requester, and ``\\`` shows the
sidebar in the thread's place (``\\`` or ``escape`` brings the thread back). Under 30 lines the
reply editor is lower, so the thread keeps some room while the agent writes. A mixin of
:class:`~deskterm.screens.ticket.TicketScreen`.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList

from deskterm.desk.safe_text import cell_line
from deskterm.screens.sizing import SizeClasses

SIDE = "-side"
"""The ticket screen's class while the sidebar is shown in the thread's place."""

PANE_ACTIONS = frozenset({"show_side", "show_thread"})


def requester_line(name: str, email: str | None, organization: str | None) -> Text:
    """The requester on one line, for the header of a narrow ticket screen."""
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append("from ", style="dim")
    line.append(cell_line(name), style="bold")
    if email:
        line.append(f" <{cell_line(email)}>")
    if organization:
        line.append(f" · {cell_line(organization)}", style="dim")
    return line


class TicketPanes(SizeClasses):
    """The sidebar beside the thread, or behind ``\\`` when the terminal is narrow."""

    NARROW_BELOW = 100

    # One key, two bindings: the footer names the side it goes to.
    BINDINGS = [
        Binding("backslash", "show_side", "Sidebar", id="ticket.sidebar"),
        Binding("backslash", "show_thread", "Thread", id="ticket.thread"),
    ]

    @property
    def side(self) -> bool:
        """The sidebar is shown in the thread's place."""
        return self.has_class(SIDE)

    def pane_action_shown(self, action: str) -> bool:
        """Whether ``show_side`` / ``show_thread`` has something to do (the footer shows it)."""
        if action == "show_side":
            return self.narrow and not self.side
        return self.side

    def action_show_side(self) -> None:
        self.add_class(SIDE)
        lists = [widget for widget in self.query_one("#requester").query(OptionList)
                 if widget.display]
        if lists:
            lists[0].focus()
        self.refresh_bindings()

    def action_show_thread(self) -> None:
        self.remove_class(SIDE)
        self.query_one("#thread").focus()
        self.refresh_bindings()

    def narrow_changed(self, narrow: bool) -> None:
        """Narrow, the sidebar stays in sight if the agent is in it; wide again, the two are
        side by side."""
        if narrow:
            focused = self.focused
            side = self.query_one("#requester")
            if focused is not None and side in focused.ancestors:
                self.add_class(SIDE)
        else:
            self.remove_class(SIDE)
        super().narrow_changed(narrow)
