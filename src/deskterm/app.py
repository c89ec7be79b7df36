"""DeskApp: the console. One place shows errors; screens do their I/O in thread workers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from deskterm.desk.errors import DeskError
from deskterm.desk.service import Desk
from deskterm.screens.queue import QueueScreen


def binding_ids() -> set[str]:
    """The id of every binding of the console (the names a keymap may use)."""
    from deskterm.screens import dialogs, pickers
    from deskterm.screens.queue import QueueScreen
    from deskterm.screens.ticket import SendAs, TicketScreen
    from deskterm.widgets.ticket_table import TicketTable

    owners = [DeskApp, QueueScreen, TicketScreen, TicketTable, SendAs, pickers.Picker,
              pickers.ViewPicker, dialogs.Confirm, dialogs.SaveView, dialogs.EditTags,
              dialogs.Ask, dialogs.Escalate]
    return {binding.id for owner in owners for binding in owner.BINDINGS
            if isinstance(binding, Binding) and binding.id}


class DeskApp(App[None]):
    """deskterm's console."""

    CSS_PATH = "deskterm.tcss"
    TITLE = "deskterm"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("question_mark", "keys", "Keys", id="app.keys"),
        Binding("1", "queue", "Queue", show=False, id="app.queue"),
    ]

    def __init__(self, desk: Desk, *, clock: Callable[[], datetime] | None = None,
                 keymap: dict[str, str] | None = None, watch: bool = True) -> None:
        super().__init__()
        self.desk = desk
        self.clock = clock
        self._keymap = keymap or {}
        self._watch = watch

    def on_mount(self) -> None:
        if self._keymap:
            unknown = sorted(set(self._keymap) - binding_ids())
            if unknown:
                self.notify(f"config.toml [keymap]: no key binding has the id "
                            f"{', '.join(repr(u) for u in unknown)}", severity="warning",
                            timeout=10)
            self.set_keymap(self._keymap)
        self.push_screen(QueueScreen(self.desk, clock=self.clock, watch=self._watch))

    def action_keys(self) -> None:
        """``?``: every key of the current screen, in the side panel."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_queue(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """Every worker's failure lands here: one notification, never a crash."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        if isinstance(error, DeskError):
            self.notify(str(error), severity="error", timeout=8)
        else:
            self.notify(f"{type(error).__name__}: {error}", title="Something went wrong",
                        severity="error", timeout=12)


def run_console(url: str, *, username: str, act_as: str | None = None,
                keymap: dict[str, str] | None = None) -> None:
    """Open the desk at ``url`` as ``username`` and run the console until the agent quits."""
    desk = Desk.open(url, username=username, act_as=act_as)
    try:
        DeskApp(desk, keymap=keymap).run()
    finally:
        desk.close()
