"""DeskApp: the console. One place shows errors; screens do their I/O in thread workers.

Importing this module loads Textual and the queue's layout, not the store: the console can be
on screen (:class:`~deskterm.screens.queue_layout.OpeningScreen`) while the desk and its SQL
are still loading in a worker (see ``deskterm.launch``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import weakref
from collections.abc import Callable, Coroutine
from datetime import datetime
from functools import partial
from types import FrameType
from typing import TYPE_CHECKING, Literal, Protocol, overload

from textual import events, on, work
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.dom import DOMNode
from textual.driver import Driver
from textual.message import Message
from textual.message_pump import MessagePump
from textual.notifications import SeverityLevel
from textual.screen import Screen, ScreenResultCallbackType, ScreenResultType
from textual.widget import AwaitMount
from textual.worker import Worker, WorkerState, get_current_worker

from deskterm.desk.errors import DeskError
from deskterm.desk.queue.builtin import QueueStart
from deskterm.desk.safe_text import clean, clean_line
from deskterm.screens.queue_layout import OpeningScreen
from deskterm.widgets.editors import is_text_field

if TYPE_CHECKING:
    from deskterm.config_mail import MailServer
    from deskterm.desk.service import Desk


class Opening(Protocol):
    """A desk being opened while the console starts (``deskterm.launch.Opening``)."""

    def first(self) -> QueueStart:
        """The first view's rows (blocks until read); raises ``StartRefused`` with one line."""

    def ready(self) -> QueueStart | None:
        """The first view's rows if they have been read already (never waits); else None."""

    def open(self) -> Desk:
        """The desk, opened in this process (loads the store: slow, run in a worker)."""

    def opened(self) -> None:
        """The queue is on screen with the desk open: the start is over."""


SignalHandler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None
"""What ``signal.signal`` takes and gives back: a function, ``SIG_DFL`` / ``SIG_IGN``, or None
(a handler not installed from Python)."""
MAIL_EVERY = 30.0
"""Seconds between two looks at the outbox by a console that sends mail (it looks sooner when
the desk changes: a reply just sent goes out within a second or two)."""

TIMERS_FIRST = 10.0
"""Seconds after the desk opens before the console's first pass of the desk's timers
(escalation, reminders, auto-close): the start is not slowed by it."""

ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
"""Signals on which the console stores the drafts and ends (SIGHUP: the terminal is gone, as
when an SSH connection drops)."""

HANG_UP_GRACE = 10
"""Seconds SIGHUP leaves the console to store the drafts and exit; after that it ends at once
(the output to a terminal that hung up may block for good)."""


START_PAINT_WAIT = 2.0
"""Seconds the console waits for the first rows to be painted before it loads the store
(after that it loads it all the same)."""

KEY_SETTLE_TIMEOUT = 1.0
"""Seconds after which a key that never came back (its widget was removed on the way) stops
holding the keys typed after it."""


KEYS_WAIT_FOR = frozenset({"pickers", "change", "ticket", "load"})
"""Groups of the workers a key may start that the next key depends on: a picker's choices
being read (it opens when they are), a ticket's change being written and the ticket read
again (a second change is checked against the version the first one left), a filter's rows
being read (``/vpn`` enter enter opens the first ticket of the new result, not of the old).
The keys typed meanwhile wait for them."""


class KeySettled(Message):
    """Follows a key up from the widget it went to: when it reaches the app, that key has been
    handled by the widget, the screen and their bindings."""

    def __init__(self, serial: int) -> None:
        super().__init__()
        self.serial = serial


class StartRead(Message):
    """The opening worker has read the first view's rows: the opening screen shows them and
    sets ``painted`` once they are on the terminal."""

    def __init__(self, start: QueueStart, painted: threading.Event) -> None:
        super().__init__()
        self.start = start
        self.painted = painted


class DeskRefused(Message):
    """The desk cannot be opened: ``reason`` (one line) for stderr, and the console ends."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class DeskOpened(Message):
    """The opening worker has loaded and opened the desk: the queue takes over."""

    def __init__(self, desk: Desk, start: QueueStart) -> None:
        super().__init__()
        self.desk = desk
        self.start = start


class TimersTrouble(Message):
    """A pass of the desk's timers failed (``reason``, one line): said once."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class MailTrouble(Message):
    """The outbox's mail could not all be sent (``reason``, one line): said once, not at every
    try."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class StartRefused(Exception):
    """The desk cannot be opened (no schema, an old one, a stranger ...): one line for stderr."""


def binding_ids() -> set[str]:
    """The id of every binding of the console (the names a keymap may use)."""
    from deskterm.screens import dialogs, pickers
    from deskterm.screens.kb import KbScreen
    from deskterm.screens.kb_editor import ArticleEditor
    from deskterm.screens.kb_widgets import ArticleList, InsertAs
    from deskterm.screens.new_ticket import NewTicketForm, RequesterPicker
    from deskterm.screens.queue import QueueScreen
    from deskterm.screens.reports import ReportsScreen
    from deskterm.screens.ticket import Composer, TicketScreen
    from deskterm.widgets.ticket_table import TicketTable

    owners = [DeskApp, QueueScreen, TicketScreen, Composer, TicketTable, dialogs.SendAs,
              pickers.Picker, pickers.ViewPicker, dialogs.Confirm, dialogs.SaveView,
              dialogs.EditTags, dialogs.Ask, dialogs.Escalate, KbScreen, ArticleList,
              ArticleEditor, InsertAs, NewTicketForm, RequesterPicker, ReportsScreen]
    # Through each class's bases too: a mixin's bindings (ticket_layout.TicketPanes) count.
    return {binding.id for owner in owners for base in owner.__mro__
            for binding in vars(base).get("BINDINGS", ())
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
        Binding("2", "knowledge_base", "Knowledge base", show=False, id="app.kb"),
        Binding("3", "reports", "Reports", show=False, id="app.reports"),
    ]

    def __init__(self, desk: Desk | None = None, *, opening: Opening | None = None,
                 clock: Callable[[], datetime] | None = None,
                 keymap: dict[str, str] | None = None, watch: bool = True,
                 signals: bool = False, help_center_url: str | None = None,
                 smtp: MailServer | None = None, timers: bool = False) -> None:
        """``signals``: end on SIGTERM and SIGHUP, drafts stored first (only the console's own
        process: a test's event loop keeps its handlers). ``help_center_url``: the setting
        (links to articles' pages in replies). ``smtp``: config.toml's server; the console
        sends the outbox's mail through it in the background. ``timers``: run the desk's timers
        (escalation, pending reminders, auto-close) in the background (the console's own process
        does; tests choose)."""
        super().__init__()
        if (desk is None) == (opening is None):
            raise ValueError("DeskApp needs a desk or an opening desk")
        self.desk = desk
        self.clock = clock
        self._opening = opening
        self._keymap = keymap or {}
        self.help_center_url = help_center_url
        self._smtp = smtp
        self._mail_due = threading.Event()
        self._desk_timers = timers
        self._timers_stop = threading.Event()
        self._timers_trouble: str | None = None
        self._mail_trouble: str | None = None
        self._watch = watch
        self._signals = signals
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handlers: dict[int, SignalHandler] = {}
        self._ending = False
        self._held: list[tuple[int, events.Key]] = []
        """Keys typed while the keys before them are still acting (see :meth:`on_event`)."""
        self._waiting = False
        """A key is acting, a screen or a picker is opening, or the desk is opening."""
        self._desk_opening = False
        self._key_serial = 0
        self._in_flight: int | None = None
        self._typed_into_focus = False
        """Letters went straight into the focused field since the last key that acts."""
        self._opening_screens: list[AwaitMount] = []
        self._arrived = 0
        """Keys that have come from the terminal so far."""
        self._shown_after: weakref.WeakKeyDictionary[Screen, int] = weakref.WeakKeyDictionary()
        """For each screen pushed, how many keys had come when it was on screen."""
        self._tasks: set[asyncio.Future[None]] = set()
        self.refusal: str | None = None
        """One line for stderr once the terminal is back: why the desk could not be opened,
        or what could not be stored when a signal ended the console."""

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Every notification (a screen's ``notify`` lands here) as plain, cleaned text:
        messages hold article titles, macro and group names and the domain's errors, which
        must never be parsed as markup (a ``[@click=…]`` would run an action) nor carry
        escape sequences; ``markup`` is ignored."""
        super().notify(clean(message), title=clean_line(title), severity=severity,
                       timeout=timeout, markup=False)

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver, its input parser keeping a bracketed paste one paste (no
        keystrokes from a pasted ESC: see ``deskterm.paste_guard``)."""
        from deskterm import paste_guard

        paste_guard.install()
        return super().get_driver_class()

    def on_mount(self) -> None:
        if self._signals:
            # Not the event loop's signal handlers: a terminal that hung up can block the
            # loop on output, and the drafts must be stored all the same. A Python handler
            # runs in the main thread even while it waits.
            self._loop = asyncio.get_running_loop()
            for signum in ENDING_SIGNALS:
                self._handlers[signum] = signal.signal(signum, self._signalled)
        if self._keymap:
            self.set_keymap(self._keymap)
        if self.desk is not None:
            self._show_queue(self.desk, None)
            self._start_mail()
            self._start_timers()
        elif self._opening is not None:
            self._waiting = self._desk_opening = True
            screen = OpeningScreen(clock=self.clock)
            self.push_screen(screen)
            painted = threading.Event()
            early = self._opening.ready()
            if early is not None:  # drawn in the screen's first frame
                screen.show_start(early, painted.set)
            self._open_desk(painted, shown=early is not None)

    def _show_queue(self, desk: Desk, start: QueueStart | None) -> AwaitMount | AwaitComplete:
        from deskterm.screens.queue import QueueScreen  # the store's code: loaded by now

        if self._keymap:
            unknown = sorted(set(self._keymap) - binding_ids())
            if unknown:
                self.notify(f"config.toml [keymap]: no key binding has the id "
                            f"{', '.join(repr(u) for u in unknown)}", severity="warning",
                            timeout=10)
        queue = QueueScreen(desk, clock=self.clock, watch=self._watch, start=start)
        if isinstance(self.screen, OpeningScreen):
            return self.switch_screen(queue)
        return self.push_screen(queue)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def _open_desk(self, painted: threading.Event, *, shown: bool) -> None:
        """Show the first view as soon as it is read (unless ``shown`` already), then load and
        open the desk here. It reports by messages (:class:`StartRead`, :class:`DeskRefused`,
        :class:`DeskOpened`), as every worker does."""
        assert self._opening is not None
        try:
            start = self._opening.first()
            if not shown:
                self.post_message(StartRead(start, painted))
            # Loading the store holds the interpreter's lock about half the time: begun at
            # once, it slowed the painting of the rows (read in a few milliseconds now) by as
            # much as the painting itself.
            painted.wait(START_PAINT_WAIT)
            desk = self._opening.open()
            import deskterm.screens.queue  # noqa: F401  (loaded here, not on the event loop)
        except (StartRefused, DeskError) as refused:
            self.post_message(DeskRefused(str(refused)))
            return
        except Exception as error:  # the store's own errors: one line, like the CLI's
            self.post_message(DeskRefused(_one_line(str(error)) or type(error).__name__))
            return
        self.post_message(DeskOpened(desk, start))

    def on_start_read(self, message: StartRead) -> None:
        screen = self.screen
        if isinstance(screen, OpeningScreen):
            # ``painted`` is set once the rows are on the terminal.
            screen.show_start(message.start, message.painted.set)
        else:
            message.painted.set()

    def on_desk_refused(self, message: DeskRefused) -> None:
        self.refusal = message.reason  # printed by whoever ran the app, once the terminal is back
        self.exit(return_code=1)

    async def on_desk_opened(self, message: DeskOpened) -> None:
        desk = self.desk = message.desk
        await self._show_queue(desk, message.start)
        self._start_mail()
        self._start_timers()
        self._desk_opening = False
        self._opening_screens.clear()
        self.call_after_refresh(self._release_keys)  # on the queue, mounted and focused
        if self._opening is not None:
            self._opening.opened()

    # Keys act one after the other, each on what the one before it left on screen.
    #
    # Textual hands every key to the focused widget as it arrives, but what a key does happens
    # later: its binding runs when it has bubbled back up, a pushed screen mounts in its own
    # task and an input takes the focus in a callback after that. Keys typed quickly (a paste,
    # a laggy SSH link) would all reach the widget that had the focus when they arrived: the
    # letters meant for a picker would act on the screen behind it. So the app holds each key
    # until the one before it has come back up (:class:`KeySettled`), the screens it pushed
    # are mounted with their focus set, the workers it started that the next key depends on
    # (``KEYS_WAIT_FOR``: a picker's choices, a ticket's change) are done, and the messages
    # it led to are handled; then it hands on the next one. ctrl+q never waits.

    if TYPE_CHECKING:  # Textual's own overloads: the return type follows ``wait_for_dismiss``
        @overload
        def push_screen(self, screen: Screen[ScreenResultType] | str,
                        callback: ScreenResultCallbackType[ScreenResultType] | None = None,
                        wait_for_dismiss: Literal[False] = False, *,
                        mode: str | None = None) -> AwaitMount: ...

        @overload
        def push_screen(self, screen: Screen[ScreenResultType] | str,
                        callback: ScreenResultCallbackType[ScreenResultType] | None = None,
                        wait_for_dismiss: Literal[True] = True, *,
                        mode: str | None = None) -> asyncio.Future[ScreenResultType]: ...

    def push_screen(self, screen: Screen[ScreenResultType] | str,
                    callback: ScreenResultCallbackType[ScreenResultType] | None = None,
                    wait_for_dismiss: bool = False, *,
                    mode: str | None = None) -> AwaitMount | asyncio.Future[ScreenResultType]:
        """Textual's ``push_screen``; the keys typed next wait until the screen is mounted."""
        pushed: AwaitMount | asyncio.Future[ScreenResultType]
        if wait_for_dismiss:
            pushed = super().push_screen(screen, callback, True, mode=mode)
        else:
            pushed = super().push_screen(screen, callback, False, mode=mode)
        if isinstance(pushed, AwaitMount):
            self._opening_screens.append(pushed)
            if isinstance(screen, Screen):
                self._in_background(self._mark_shown(screen, pushed))
        return pushed

    async def _mark_shown(self, screen: Screen, mounted: AwaitMount) -> None:
        await mounted
        self._shown_after[screen] = self._arrived

    def _in_background(self, coroutine: Coroutine[object, object, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _unseen_enter(self, arrival: int, event: events.Key) -> bool:
        """``enter`` typed before the screen on top was shown, where it takes a preselected
        answer (a screen with ``ENTER_TAKES_A_DEFAULT``): the agent has not seen that answer."""
        if event.key != "enter" or not getattr(self.screen, "ENTER_TAKES_A_DEFAULT", False):
            return False
        shown_after = self._shown_after.get(self.screen)
        return shown_after is None or arrival <= shown_after

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            split = escape_then_key(event, typing=self._types_into_focus(event))
            if split is not None:
                for key in split:
                    await self.on_event(key)
                return
            self._arrived += 1
            if not self._waiting:
                if self._types_into_focus(event):
                    self._typed_into_focus = True
                    await super().on_event(event)
                else:
                    await self._send_key(self._arrived, event)
            elif self._quits(event.key):  # ctrl+q at once, even while the desk opens
                await self._check_bindings(event.key, priority=True)
            else:
                self._held.append((self._arrived, event))
            return
        await super().on_event(event)

    def _types_into_focus(self, event: events.Key) -> bool:
        """A letter for the focused text field: it goes in without waiting, since it opens
        nothing and moves no focus (the field takes every printable key)."""
        focused = self.focused
        return (event.is_printable and is_text_field(focused)
                and not getattr(focused, "read_only", False))

    def _quits(self, key: str) -> bool:
        return any(binding.action in ("quit", "app.quit")
                   for binding in self._bindings.key_to_bindings.get(key, ()))

    async def _send_key(self, arrival: int, event: events.Key) -> None:
        self._waiting = True
        await self._typed_keys_taken()
        if self._unseen_enter(arrival, event):
            self.notify("enter typed before this question was shown: ignored — read it, "
                        "then answer", severity="warning")
            self.call_later(self._release_keys)
            return
        self._key_serial += 1
        serial = self._in_flight = self._key_serial
        target = self.focused or self.screen
        await super().on_event(event)
        if not target.post_message(KeySettled(serial)):
            self.call_later(self._key_settled, serial)
        self.set_timer(KEY_SETTLE_TIMEOUT, partial(self._key_settled, serial))

    async def _typed_keys_taken(self) -> None:
        """Letters handed straight to the focused field are in it before the next key acts:
        a priority binding (``ctrl+s`` sends what the editor holds) runs in the app at once,
        while the letters still wait in the field's queue. A callback queued behind them
        runs once the field has taken them."""
        focused = self.focused
        if not self._typed_into_focus or focused is None:
            return
        self._typed_into_focus = False
        taken = asyncio.Event()
        if focused.call_later(taken.set):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(taken.wait(), KEY_SETTLE_TIMEOUT)

    def on_key_settled(self, message: KeySettled) -> None:
        message.stop()
        # After the callbacks the key queued (an input taking the focus): they come first.
        self.call_later(self._key_settled, message.serial)

    def _key_settled(self, serial: int) -> None:
        if serial != self._in_flight:
            return  # settled already (this is the time-out), or a later key's
        self._in_flight = None
        self._wait_for_openings()

    def _wait_for_openings(self) -> None:
        self._in_background(self._openings_done())

    async def _openings_done(self) -> None:
        """Wait for what the last key set going (see :meth:`on_event`), then release the next."""
        try:
            await self._wait_for_what_keys_started()
        finally:  # whatever went wrong there, the keys must not stay held
            self.call_later(self._release_keys)

    async def _wait_for_what_keys_started(self) -> None:
        deadline = asyncio.get_running_loop().time() + KEY_SETTLE_TIMEOUT
        while True:
            screens, self._opening_screens = self._opening_screens, []
            loading = self._keys_wait_for()
            for mounted in screens:
                await mounted
            for worker in loading:
                with contextlib.suppress(Exception):  # its failure is reported elsewhere
                    await worker.wait()
            # The messages the key led to (an input's Submitted that dismisses a picker, the
            # callbacks that focus an input) are handled before the next key goes anywhere.
            while not self._quiet() and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.001)
            # ... and what those messages started (a filter's Submitted starts its rows' read).
            if not screens and not loading and not self._opening_screens \
                    and not self._keys_wait_for():
                return

    def _keys_wait_for(self) -> list[Worker[object]]:
        """The running workers the next key waits for (:data:`KEYS_WAIT_FOR`)."""
        return [worker for worker in self.workers
                if worker.group in KEYS_WAIT_FOR and not worker.is_finished]

    def _quiet(self) -> bool:
        """No message waits in the app, the screen on top, or the focused widget and its
        parents (the screens below may be busy with live updates: they do not count)."""
        pumps: list[MessagePump] = [self, self.screen]
        node: DOMNode | None = self.focused
        while node is not None and node is not self.screen:
            pumps.append(node)
            node = node.parent
        return all(pump.message_queue_size == 0 for pump in pumps)

    async def _release_keys(self) -> None:
        """The next held key, now that what the one before it opened has the focus."""
        if self._desk_opening or self._in_flight is not None:
            return
        self._waiting = False
        while self._held and self._types_into_focus(self._held[0][1]):
            self._typed_into_focus = True
            await super().on_event(self._held.pop(0)[1])
        if self._held:
            await self._send_key(*self._held.pop(0))

    def _signalled(self, signum: int, frame: FrameType | None) -> None:
        self.end_on_signal(signum)

    def end_on_signal(self, signum: int) -> None:
        """SIGTERM or SIGHUP: store what every screen holds (the drafts), then end as
        ``ctrl+q`` does, with exit code 128 + the signal's number.

        This runs inside the signal handler, between two steps of the main thread: it only
        reads the editors and writes to the store, and leaves the exit to the event loop."""
        code = 128 + signum
        if signum == signal.SIGHUP:
            signal.signal(signal.SIGALRM, lambda *_: os._exit(code))
            signal.alarm(HANG_UP_GRACE)
        if self._ending:
            return
        self._ending = True
        for screen in reversed(self.screen_stack):
            store = getattr(screen, "store_drafts", None)
            if store is None:
                continue
            try:
                store()
            except Exception as error:  # the store is gone too: say so, end all the same
                self.refusal = f"your draft could not be stored: {clean_line(str(error))}"
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.exit, None, code)

    # --- the outbox -------------------------------------------------------------------------

    def _start_mail(self) -> None:
        if self._smtp is not None and self._watch:
            self.send_mail()

    def wake_outbox(self) -> None:
        """The desk changed (a reply may be waiting): look at the outbox now."""
        self._mail_due.set()

    @work(thread=True, exclusive=True, group="mail-out", exit_on_error=False)
    def send_mail(self) -> None:
        """Send the outbox's due mail (``desk.drain_outbox``) every :data:`MAIL_EVERY` seconds
        and whenever the desk changes; another console or ``mail outbox`` sending at the same
        time never sends a mail twice (each mail is claimed). A server that refuses or cannot
        be reached is said once, not at every try."""
        worker = get_current_worker()
        waited = MAIL_EVERY
        while not worker.is_cancelled:
            if waited >= MAIL_EVERY or self._mail_due.is_set():
                self._mail_due.clear()
                waited = 0.0
                self._send_due_mail()
            self._mail_due.wait(1.0)  # in slices: quitting never waits for the interval
            waited += 1.0

    def _send_due_mail(self) -> None:
        desk, server = self.desk, self._smtp
        if desk is None or server is None:
            return
        trouble = None
        try:
            if desk.outbox_due():
                report = desk.drain_outbox(server)
                if report.retried or report.failed:
                    trouble = next(iter(report.reasons.values()), None)
        except Exception as error:  # the store's errors: said once, tried again later
            trouble = _one_line(str(error)) or type(error).__name__
        if trouble is not None and trouble != self._mail_trouble:
            self.post_message(MailTrouble(trouble))
        self._mail_trouble = trouble

    def on_mail_trouble(self, message: MailTrouble) -> None:
        self.notify(f"Mail not sent yet: {message.reason}", title="Outbox", severity="warning",
                    timeout=10)

    # --- the desk's timers -------------------------------------------------------------------

    def _start_timers(self) -> None:
        if self._desk_timers:
            self.run_timers()

    @work(thread=True, exclusive=True, group="timers", exit_on_error=False)
    def run_timers(self) -> None:
        """A pass of the desk's timers (``desk.run_automation``: SLA escalation, pending
        reminders, auto-close) every ``automate settings --every`` seconds, the first
        :data:`TIMERS_FIRST` seconds after the desk opened. Every open console runs this; the
        lease in the store lets one act at a time (the others' passes do nothing)."""
        worker = get_current_worker()
        desk = self.desk
        if desk is None:
            return
        holder = desk.runner_name("console")
        waited, every = 0.0, TIMERS_FIRST
        try:
            while not worker.is_cancelled and not self._timers_stop.is_set():
                if waited >= every:
                    waited = 0.0
                    every = self._timers_pass(desk, holder)
                self._timers_stop.wait(1.0)  # in slices: quitting never waits for the interval
                waited += 1.0
        finally:
            with contextlib.suppress(Exception):  # the store may be gone at exit
                desk.stop_automation(holder=holder)

    def _timers_pass(self, desk: Desk, holder: str) -> float:
        """One pass; the seconds until the next (the desk's setting, read each time)."""
        trouble = None
        every = 60.0
        try:
            desk.run_automation(holder=holder)
            every = float(desk.automation_settings().every_seconds)
        except Exception as error:  # the store's errors: said once, tried again later
            trouble = _one_line(str(error)) or type(error).__name__
        if trouble is not None and trouble != self._timers_trouble:
            self.post_message(TimersTrouble(trouble))
        self._timers_trouble = trouble
        return every

    def on_timers_trouble(self, message: TimersTrouble) -> None:
        self.notify(f"The desk's timers could not run: {message.reason}", title="Automation",
                    severity="warning", timeout=10)

    def on_unmount(self) -> None:
        self._timers_stop.set()
        self._mail_due.set()
        for signum, handler in self._handlers.items():  # the screens have stored their drafts
            signal.signal(signum, handler)

    def action_keys(self) -> None:
        """``?``: every key of the current screen, in the side panel."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def _unsaved_work(self) -> bool:
        """The screen on top holds text not saved yet (the article editor): say so, stay."""
        if getattr(self.screen, "holds_unsaved_work", False):
            self.notify(getattr(self.screen, "UNSAVED_HINT", "Save the article (ctrl+s) or "
                                "leave the editor (escape) first"), severity="warning")
            return True
        return False

    async def action_quit(self) -> None:
        """``ctrl+q``; on the article editor with unsaved changes it asks first (``ctrl+q``
        again, or ``y``, quits). The ticket editor's text is stored as a draft on the way out."""
        if getattr(self.screen, "holds_unsaved_work", False):
            from deskterm.screens.dialogs import Confirm

            def answer(quit_anyway: bool | None) -> None:
                if quit_anyway:
                    self.exit()

            self.push_screen(Confirm(getattr(self.screen, "UNSAVED_WORK", "Quit? Your changes "
                                             "to the article are not saved."), yes="Quit"),
                             answer)
            return
        self.exit()

    def action_queue(self) -> None:
        if self._unsaved_work():
            return
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_knowledge_base(self) -> None:
        """``2``: the knowledge base; the one already open (under a ticket, say) comes back."""
        if self.desk is None or self._desk_opening or self._unsaved_work():
            return
        from deskterm.screens.kb import KbScreen  # the store's code: loaded by now

        for depth, screen in enumerate(reversed(self.screen_stack)):
            if isinstance(screen, KbScreen):
                for _ in range(depth):
                    self.pop_screen()
                return
        self.push_screen(KbScreen(self.desk))

    def action_reports(self) -> None:
        """``3``: the reports; the one already open comes back."""
        if self.desk is None or self._desk_opening or self._unsaved_work():
            return
        from deskterm.screens.reports import ReportsScreen  # the store's code: loaded by now

        for depth, screen in enumerate(reversed(self.screen_stack)):
            if isinstance(screen, ReportsScreen):
                for _ in range(depth):
                    self.pop_screen()
                return
        self.push_screen(ReportsScreen(self.desk, clock=self.clock,
                                       open_query=self.show_in_queue))

    def show_in_queue(self, text: str) -> None:
        """The queue, on top again, filtered by ``text`` (the reports' ``enter``)."""
        from deskterm.screens.queue import QueueScreen

        self.action_queue()
        if isinstance(self.screen, QueueScreen):
            self.screen.show_query(text)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        self.worker_failed(event)

    def worker_failed(self, event: Worker.StateChanged) -> None:
        """Every worker's failure lands here: one notification, never a crash. (Textual
        does not bubble ``Worker.StateChanged``: a screen's workers report through
        :class:`~deskterm.screens.reporting.ReportsWorkerErrors`.)"""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        if isinstance(error, DeskError):
            self.notify(str(error), severity="error", timeout=8)
        else:
            self.notify(f"{type(error).__name__}: {error}", title="Something went wrong",
                        severity="error", timeout=12)


_OPTION_DIGITS = dict(zip("¡™£¢∞§¶•ªº–≠", "1234567890-=", strict=True))
"""What Textual makes of escape and a digit, ``-`` or ``=`` read together (the characters
macOS types with Option and that key): ``\x1b3`` is ``£``."""


def escape_then_key(event: events.Key, *, typing: bool) -> tuple[events.Key, events.Key] | None:
    """``escape`` and the key after it, when a terminal read them together and Textual made one
    key of them: ``escape`` then ``3`` typed fast (a burst, a paste, a laggy SSH link) arrives
    as ``\x1b3``, which Textual reads as Alt (Option) and the key, ``£`` here, ``alt+j`` for
    ``j``. deskterm binds nothing to Alt, so the agent meant both keys: leave the ticket,
    then show the reports. A ``£`` typed into a text field (``typing``) is kept as it is.
    None when ``event`` is one key."""
    key, character = event.key, event.character
    if key.startswith("alt+") and character is not None and len(character) == 1 \
            and character.isprintable():
        base = events.Key(key.removeprefix("alt+"), character)
    elif not typing and character in _OPTION_DIGITS:
        digit = _OPTION_DIGITS[character]
        base = events.Key(digit if digit.isdigit() else {"-": "minus", "=": "equals_sign"}[digit],
                          digit)
    else:
        return None
    return events.Key("escape", "\x1b"), base


def _one_line(text: str) -> str:
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())
