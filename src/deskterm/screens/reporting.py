"""What a screen's workers report: their failures (shown by the app) and their news.

Textual does not bubble ``Worker.StateChanged`` from the node that ran the worker, so the
app's handler (``DeskApp.worker_failed``: one notification, never a crash) sees only its own
workers. A screen mixes this in (before ``Screen``) to send its workers' failures there.

Workers report by messages only, never by calling into the UI: a :class:`~deskterm.messages.
Notice` becomes a notification, an :class:`~deskterm.messages.OpenScreen` a dialog (or a
screen) whose answer goes to its callback, on the UI thread.
"""

from __future__ import annotations

from textual.worker import Worker

from deskterm.messages import Notice, OpenScreen


class ReportsWorkerErrors:
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report = getattr(self.app, "worker_failed", None)
        if report is not None:
            report(event)

    def on_notice(self, message: Notice) -> None:
        self.notify(message.text, severity=message.severity, markup=False,
                    **({"timeout": message.timeout} if message.timeout is not None else {}))

    def on_open_screen(self, message: OpenScreen) -> None:
        self.app.push_screen(message.screen, message.answered)
