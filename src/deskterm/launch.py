"""``deskterm``: the console opens at once; every other command goes to the CLI.

Loading the store's code (SQLAlchemy, SQLModel, the models, the domain) costs about twice what
loading Textual does, and the console can show nothing before it has the first view's rows. So
``deskterm`` with no command (``--db`` and ``--as`` allowed) splits its start in two:

- a child process, forked before anything heavy is imported, reads the first view's count and
  top rows in plain SQL (``deskterm.desk.opening``: the standard library's ``sqlite3``, or
  psycopg; the schema's revision and the agent checked by plain queries too), sends them back
  through a pipe and exits. It loads the store's code (SQLAlchemy, SQLModel, the models: 0.6 s)
  only when the plain path cannot answer: a refusal to word, a URL or schema it does not read;
- meanwhile this process loads Textual and opens the console on the queue's layout
  (:class:`~deskterm.screens.queue_layout.OpeningScreen`); the rows are drawn as they arrive,
  and once they are on the terminal this process loads the store's code and opens the desk
  itself, in a worker. The queue takes the opening screen's place with the same rows; keys
  typed in between wait and are replayed on it.

The child's reading takes some 50 ms, so the rows come about when Textual is ready to draw
them. A refusal (no schema, an out-of-date one, an unknown agent) is the same one line on
stderr and exit code 1 as from the CLI. Without ``fork`` (Windows) the child's part runs in
the worker instead.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from deskterm.desk.errors import DeskError
from deskterm.desk.people.identity import os_username
from deskterm.desk.safe_text import message_line

if TYPE_CHECKING:
    from deskterm.desk.queue.builtin import QueueStart
    from deskterm.desk.service import Desk
# What only the console's half uses (the settings: tomllib, platformdirs; the queue's views;
# pickle, threading, datetime) is imported there: every other command goes to the CLI, whose
# --version and --help must start at once.

_GLOBAL_OPTIONS = ("--db", "--as")
GC_THRESHOLDS = (10_000, 20, 20)
"""The console's collector after start-up (see :meth:`Opening.opened`)."""
_UNDECODABLE = re.compile("[\ud800-\udfff]")
"""What Python makes of an argument's bytes that are not UTF-8."""


def console_args(argv: Sequence[str]) -> dict[str, str | None] | None:
    """``--db URL`` / ``--as NAME`` when that is all there is (the console); else None.

    Read as the CLI (Click) reads them, so that whatever the CLI would take for "no command"
    opens the console here, and the CLI never has to: an option's value is the next argument
    whatever it starts with (``--db -x`` is the URL ``-x``, refused as the console refuses any
    URL it cannot open), and a last ``--`` ends the options."""
    found: dict[str, str | None] = {"--db": None, "--as": None}
    items = list(argv)
    while items:
        item = items.pop(0)
        if item == "--" and not items:
            break
        name, equals, value = item.partition("=")
        if name not in _GLOBAL_OPTIONS:
            return None
        if not equals:
            if not items:
                return None  # let the CLI say what is missing
            value = items.pop(0)
        if not value.strip():
            return None  # the CLI says it is empty (bad usage), the console does not open
        found[name] = value
    return found


def _show_version() -> None:
    """``deskterm --version`` (the CLI's answer, without loading the CLI: a constant line)."""
    from deskterm import __version__

    sys.stdout.write(f"deskterm {__version__}\n")


def main() -> None:
    """The ``deskterm`` command."""
    # Pydantic (under SQLModel and Typer) looks for plugins in every installed package's
    # metadata when it builds its first class: some 40 ms of every start, for plugins that have
    # nothing to watch here (the models are never validated by Pydantic). A value the user set
    # is kept.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
    if sys.argv[1:] == ["--version"]:  # for scripts that check it: no CLI to load (Typer)
        _show_version()
        return
    options = console_args(sys.argv[1:])
    if options is None:
        # As for the console: no garbage collection while the libraries load (they make
        # hundreds of thousands of objects and no garbage); the CLI collects again once its
        # store is open (deskterm.cli.context), or never, in a process that opens none.
        gc.disable()
        from deskterm.cli import main as cli_main

        cli_main()
        return
    for name, value in options.items():
        if value is not None and _UNDECODABLE.search(value):  # as the CLI refuses it
            _refuse(f"{name}: not valid UTF-8 text (an undecodable byte); nothing was done")
            sys.exit(1)
    sys.exit(open_console(db=options["--db"], act_as=options["--as"]))


def _refuse(reason: str) -> None:
    """The console's refusal to start: one line on stderr, cleaned, any password hidden (the
    CLI's errors are written the same way, by deskterm.cli.output)."""
    sys.stderr.write(f"deskterm: {message_line(reason)}\n")
    sys.stderr.flush()


def open_console(*, db: str | None, act_as: str | None) -> int:
    """Run the console on the desk at ``db`` (or the configured one); the exit code."""
    # No garbage collection while starting: loading the libraries makes hundreds of thousands
    # of objects and no garbage, and every collection would walk them all. The child never
    # collects; this process collects again once the desk is open (Opening.opened), after
    # putting what it loaded out of the collector's way.
    gc.disable()
    from deskterm.config import ConfigError, load_settings

    try:
        settings = load_settings()
        url = settings.resolved_database_url(db)
        username = os_username()
    except (ConfigError, DeskError) as refused:
        _refuse(str(refused))
        return 1
    opening = Opening(url, username=username, act_as=act_as)
    app = None
    try:
        from deskterm.app import DeskApp  # Textual, while the child opens the desk

        app = DeskApp(opening=opening, keymap=settings.keymap, signals=True,
                      help_center_url=settings.help_center_url, smtp=settings.smtp,
                      timers=True)
        app.run()
        if app.refusal:
            _refuse(app.refusal)
        return app.return_code or 0
    finally:
        opening.close()
        if app is not None and app.desk is not None:
            app.desk.close()


def first_view(url: str, *, username: str, act_as: str | None) -> QueueStart:
    """The first view (the child's work): read in plain SQL when that can answer, without
    loading the store (``deskterm.desk.opening``); else through the store, which also words
    any refusal."""
    from deskterm.desk.opening import plain_first_view

    try:
        return plain_first_view(url, username=username, act_as=act_as)
    except Exception:  # NotCovered, or anything unforeseen: the store's path is the authority
        return store_first_view(url, username=username, act_as=act_as)


def store_first_view(url: str, *, username: str, act_as: str | None) -> QueueStart:
    """Open the desk, read the first view, close it."""
    from deskterm.desk.service import Desk

    desk = Desk.open(url, username=username, act_as=act_as)
    try:
        return desk.opening_window()
    finally:
        desk.close()


class Opening:
    """The desk being opened for the console: first by a child process, then here."""

    def __init__(self, url: str, *, username: str, act_as: str | None) -> None:
        self.url = url
        self.username = username
        self.act_as = act_as
        self._pid: int | None = None
        self._fd: int | None = None
        self._answer: QueueStart | str | None = None
        """What the child sent: the first view, or the one line of its refusal."""
        import threading

        self._lock = threading.Lock()
        if hasattr(os, "fork"):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns
                os.close(read)
                self._child(write)
            os.close(write)
            self._pid, self._fd = pid, read

    def _child(self, fd: int) -> None:
        try:
            try:
                view = first_view(self.url, username=self.username, act_as=self.act_as)
                answer: tuple[str, object] = ("ok", view)
            except BaseException as error:
                answer = ("refused", message_line(str(error)) or type(error).__name__)
            import pickle

            data = pickle.dumps(answer)
            while data:
                data = data[os.write(fd, data):]
        finally:
            os._exit(0)

    def first(self) -> QueueStart:
        """The first view (blocks until the child has sent it)."""
        from deskterm.app import StartRefused

        if self._answer is None and self._fd is None:  # no fork: do the child's part here
            from deskterm.config import ConfigError
            from deskterm.db.errors import StoreError

            try:
                return first_view(self.url, username=self.username, act_as=self.act_as)
            except (DeskError, ConfigError, StoreError) as refused:
                raise StartRefused(message_line(str(refused))) from None
        with self._lock:
            if self._answer is None:
                self._answer = self._read_answer()
            answer = self._answer
        if isinstance(answer, str):
            raise StartRefused(answer)
        return answer

    def ready(self) -> QueueStart | None:
        """The first view if the child has already sent it (never waits); else None.

        The child is usually done before Textual is loaded here: the console then draws its
        first frame with the rows in it, rather than an empty one and then the rows."""
        with self._lock:
            if self._answer is None:
                if self._pid is None or self._fd is None:
                    return None
                # Exited: all it wrote is in the pipe (a first view is far below the pipe's
                # 64 KiB; a child blocked on a fuller pipe has not exited).
                if os.waitpid(self._pid, os.WNOHANG)[0] == 0:
                    return None
                self._pid = None
                self._answer = self._read_answer()
            answer = self._answer
        return None if isinstance(answer, str) else answer  # a refusal is the worker's to report

    def _read_answer(self) -> QueueStart | str:
        """The child's answer, from the pipe: ("ok", the first view) or ("refused", a line)."""
        fd = self._fd
        assert fd is not None  # read once, before _reap closes it
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        self._reap(locked=True)
        if not chunks:
            return "the desk could not be opened (its opening process ended)"
        import pickle

        kind, value = pickle.loads(b"".join(chunks))
        return value if kind == "ok" else str(value)

    def open(self) -> Desk:
        """The desk, opened in this process (imports the store's code)."""
        from deskterm.desk.service import Desk

        return Desk.open(self.url, username=self.username, act_as=self.act_as)

    def opened(self) -> None:
        """Start-up is over: what was loaded stays (frozen), garbage is collected again, in
        fewer and shorter pauses than Python's defaults (700, 10, 10) give a console: with the
        start-up frozen, a full collection would come every ~70,000 allocations (a few seconds
        of scrolling) and walk every row and strip on screen, up to 10 ms that land on a key's
        repaint; with these, a young collection scans at most 10,000 objects (about 1 ms) and a
        full one comes about 60x less often."""
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        gc.enable()

    def _reap(self, *, locked: bool = False) -> None:
        if not locked:
            with self._lock:  # the worker that read the answer, or close() as the console quits
                self._reap(locked=True)
            return
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._pid is not None:
            os.waitpid(self._pid, 0)
            self._pid = None

    def close(self) -> None:
        """Stop the child if the console quit before it answered."""
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGTERM)
        self._reap()
