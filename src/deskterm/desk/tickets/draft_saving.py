"""When the text being typed is stored as a draft, and how: the timing rule and the one writer.

A debounce alone (store after a pause) loses everything typed by someone who never pauses:
6 s of steady typing then kill -9 lost all 30 words. So the rule has a maximum wait as well:
the text is stored ``PAUSE`` after the last keystroke, and never later than ``MAX_WAIT`` after
the first keystroke not stored yet. ``MAX_WAIT`` leaves room under one second for the write
itself, so a killed console loses at most the last second of typing.

The writes run off the UI thread, one at a time (:class:`DraftWriter`): a text handed over
while another is being written waits, and a newer text of the same ticket replaces it, so the
newest text wins and an older one is never written after a newer one. Both pieces are plain
objects (the time is passed in), so the rule is tested without a terminal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

PAUSE = 0.3
"""Seconds after the last keystroke when the text is stored."""

MAX_WAIT = 0.6
"""Seconds after the first keystroke not stored yet when the text is stored at the latest,
even while the typing goes on."""


class DraftTimer:
    """When the editor's text is due to be stored (times in seconds of a monotonic clock)."""

    def __init__(self, *, pause: float = PAUSE, max_wait: float = MAX_WAIT) -> None:
        if pause <= 0 or max_wait <= 0:
            raise ValueError("a draft's pause and maximum wait must be positive")
        self.pause = pause
        self.max_wait = max_wait
        self._first: float | None = None
        self._last: float | None = None

    def typed(self, now: float) -> float:
        """The text changed at ``now``: the time it is due to be stored."""
        if self._first is None:
            self._first = now
        self._last = now
        return min(now + self.pause, self._first + self.max_wait)

    @property
    def due(self) -> float | None:
        """When the text is to be stored; None when everything typed is stored."""
        if self._first is None or self._last is None:
            return None
        return min(self._last + self.pause, self._first + self.max_wait)

    @property
    def unsaved(self) -> bool:
        """Something was typed since the text was last handed to the writer."""
        return self._first is not None

    def stored(self) -> None:
        """The text as it is now was handed to the writer (or sent, or thrown away)."""
        self._first = self._last = None


@dataclass(frozen=True)
class DraftText:
    """What an agent is writing on a ticket, as it was when it was handed to the writer."""

    number: int
    kind: str
    body: str
    minutes: int | None


class DraftWriter:
    """Writes drafts one at a time, the newest text of each ticket, with ``write``.

    :meth:`put` hands a text over and says whether a writer thread must be started (none is
    running); that thread runs :meth:`write_pending` until nothing is left. :meth:`flush`
    writes what is left in the calling thread (a console quitting: no new thread would run).
    :meth:`sending` is held while a message is written, so that no draft of it is written back
    after the message discarded it.
    """

    def __init__(self, write: Callable[[DraftText], None]) -> None:
        self._write = write
        self._state = threading.Lock()  # guards the fields below; never held while writing
        self._writing = threading.Lock()  # held for each write (and while sending)
        self._pending: dict[int, DraftText] = {}
        self._running = False
        self._sending: set[int] = set()

    def put(self, text: DraftText) -> bool:
        """Queue ``text`` in place of an older one of its ticket; True when the caller must
        start a thread running :meth:`write_pending`."""
        with self._state:
            if text.number in self._sending:
                return False  # the message is being sent: its draft is being discarded
            self._pending[text.number] = text
            if self._running:
                return False
            self._running = True
            return True

    @property
    def pending(self) -> list[DraftText]:
        """The texts waiting to be written."""
        with self._state:
            return list(self._pending.values())

    def write_pending(self) -> None:
        """Write the queued texts, one at a time, until none is left (a writer thread)."""
        try:
            while self._write_next(last=True):
                pass
        except BaseException:
            with self._state:  # the next put starts a new writer
                self._running = False
            raise

    def flush(self) -> None:
        """Write every queued text now, in this thread (waits for a write under way)."""
        while self._write_next(last=False):
            pass

    def _write_next(self, *, last: bool) -> bool:
        with self._writing:
            with self._state:
                if not self._pending:
                    if last:
                        self._running = False
                    return False
                text = self._pending.pop(next(iter(self._pending)))
            self._write(text)
            return True

    @contextmanager
    def sending(self, number: int) -> Iterator[None]:
        """Hold while a message of ticket ``number`` is written (and its draft discarded): the
        queued drafts of that ticket are dropped and none is taken until :meth:`sent`. A
        failed send takes drafts again at once."""
        with self._writing:
            with self._state:
                self._pending.pop(number, None)
                self._sending.add(number)
            try:
                yield
            except BaseException:
                self.sent(number)
                raise

    def sent(self, number: int) -> None:
        """The sent text is out of the editor: drafts of ticket ``number`` are taken again."""
        with self._state:
            self._sending.discard(number)
