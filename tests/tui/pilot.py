"""Helpers for driving the console with Textual's Pilot."""

from __future__ import annotations

import asyncio
import time

from textual.pilot import Pilot
from textual.worker import WorkerState

BUSY = (WorkerState.PENDING, WorkerState.RUNNING)
FOREVER = ("watch", "mail-out", "timers")
"""Workers that run as long as the console: the change watcher, the outbox's sender."""


async def settle(pilot: Pilot, timeout: float = 15.0) -> None:
    """Wait until every worker but those that run for ever (:data:`FOREVER`) is done and the
    screen has caught up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause()
        busy = [w for w in pilot.app.workers if w.group not in FOREVER and w.state in BUSY]
        if not busy:
            await pilot.pause()
            if not [w for w in pilot.app.workers if w.group not in FOREVER and w.state in BUSY]:
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"workers still busy after {timeout} s")


async def until(pilot: Pilot, condition, timeout: float = 10.0, what: str = "condition") -> None:
    """Wait until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause()
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def type_text(pilot: Pilot, text: str) -> None:
    for char in text:
        await pilot.press(char if char != " " else "space")
