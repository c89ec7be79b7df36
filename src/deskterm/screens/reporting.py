"""What a screen's workers report: their failures (shown by the app) and their news.

Textual does not bubble ``Worker.StateChanged`` from the node that ran the worker, so the
app's handler (``DeskApp.worker_failed``: one notification, never a crash) sees only its own
workers. A screen mixes this in (before ``Screen``) to send its workers' failures there.

Workers report by messages only, never by calling into the UI: a :class:`~deskterm.messages.
Notice` becomes a notification, an :class:`~deskterm.messages.OpenScreen` a dialog (or a
screen) whose answer goes to its callback, on the UI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from textual.worker import Worker

from deskterm.messages import Answer, Notice, OpenScreen

if TYPE_CHECKING:
    from textual.widget import Widget as ScreenPart
else:
    ScreenPart = object  # the screen it is mixed into is the widget


@runtime_checkable
class ReportsFailures(Protocol):
    """The console's app (``DeskApp``) as a screen sees it."""

    def worker_failed(self, event: Worker.StateChanged) -> None:
        """One notification for a worker that failed, never a crash."""


@runtime_checkable
class KeepsRefusal(Protocol):
    """The console's app (``DeskApp``): a line for stderr once the terminal is back."""

    refusal: str | None


class ReportsWorkerErrors(ScreenPart):
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        app = self.app
        if isinstance(app, ReportsFailures):
            app.worker_failed(event)

    def on_notice(self, message: Notice) -> None:
        # No timeout (None): the notification's default one.
        self.notify(message.text, severity=message.severity, markup=False,
                    timeout=message.timeout)

    def on_open_screen(self, message: OpenScreen[Answer]) -> None:
        self.app.push_screen(message.screen, message.answered)
