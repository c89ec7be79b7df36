"""Workers' failures of a screen, shown by the app.

Textual does not bubble ``Worker.StateChanged`` from the node that ran the worker, so the
app's handler (``DeskApp.worker_failed``: one notification, never a crash) sees only its own
workers. A screen mixes this in (before ``Screen``) to send its workers' failures there.
"""

from __future__ import annotations

from textual.worker import Worker


class ReportsWorkerErrors:
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report = getattr(self.app, "worker_failed", None)
        if report is not None:
            report(event)
