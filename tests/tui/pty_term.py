"""Run a program in a pseudo-terminal and read its screen through a terminal emulator (pyte).

    with PtyTerminal([deskterm, "--db", url]) as term:
        term.wait_for(lambda t: "#1001" in t.text(), what="the first row")
        term.send(b"j")
        ...
        assert term.wait_exit() == 0

``raw`` keeps every byte the program wrote, for assertions on what reached the terminal.
"""

from __future__ import annotations

import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Sequence
from fcntl import ioctl

import pyte

CONTROLLING_TERMINAL = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.argv[1], sys.argv[1:])")
"""Run before the program (in its new session): the pseudo-terminal becomes its controlling
terminal, as a login shell's is, so that closing the terminal's side sends it SIGHUP."""

KEYS = {
    "enter": b"\r",
    "escape": b"\x1b",
    "up": b"\x1b[A",
    "down": b"\x1b[B",
    "pageup": b"\x1b[5~",
    "pagedown": b"\x1b[6~",
    "ctrl+q": b"\x11",
}


class PtyTerminal:
    """A child process on a ``cols`` x ``rows`` pseudo-terminal, and what it shows."""

    def __init__(self, argv: Sequence[str], *, env: dict[str, str] | None = None,
                 cols: int = 120, rows: int = 40) -> None:
        env = dict(os.environ if env is None else env)
        env.pop("COLUMNS", None)  # would override the terminal's size
        env.pop("LINES", None)
        env["TERM"] = "xterm-256color"
        master, slave = pty.openpty()
        ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", CONTROLLING_TERMINAL, *argv], stdin=slave,
                stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True)
        finally:
            os.close(slave)
        self.fd = master
        self.screen = pyte.Screen(cols, rows)
        self._stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self.last_output = 0.0
        """``time.perf_counter()`` when output last arrived."""
        self.closed = False

    # --- reading -----------------------------------------------------------------------------

    def pump(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for output and take everything that is there; True if any."""
        got = False
        while not self.closed:
            ready, _, _ = select.select([self.fd], [], [], 0 if got else timeout)
            if not ready:
                break
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # EIO: the child closed its side
                data = b""
            if not data:
                self.closed = True
                break
            self.last_output = time.perf_counter()
            self.raw.extend(data)
            self._stream.feed(data)
            got = True
        return got

    def wait_for(self, predicate: Callable[[PtyTerminal], bool], *, timeout: float = 30.0,
                 what: str = "the screen") -> float:
        """Read until ``predicate(self)`` holds; returns when the output that made it hold
        arrived. Raises ``TimeoutError`` with the screen when it does not in ``timeout`` s."""
        deadline = time.perf_counter() + timeout
        while True:
            if predicate(self):
                return self.last_output
            if self.closed or time.perf_counter() > deadline:
                state = "exited" if self.closed else f"still nothing after {timeout} s"
                raise TimeoutError(f"waiting for {what}: {state}; the screen:\n{self.text()}")
            self.pump(0.05)

    def settle(self, quiet: float = 0.15, *, timeout: float = 10.0) -> None:
        """Read until no output came for ``quiet`` s (or ``timeout`` s passed)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and self.pump(quiet):
            pass

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def lines(self) -> list[str]:
        return list(self.screen.display)

    # --- writing and ending ------------------------------------------------------------------

    def send(self, data: bytes | str) -> float:
        """Write keys (bytes as a terminal sends them, or a name from ``KEYS``); returns when."""
        if isinstance(data, str):
            data = KEYS.get(data, data.encode())
        sent = time.perf_counter()
        os.write(self.fd, data)
        return sent

    def wait_exit(self, timeout: float = 15.0) -> int:
        """Read until the program exits; its exit code (raises ``TimeoutError``)."""
        deadline = time.perf_counter() + timeout
        while self.process.poll() is None:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"still running after {timeout} s; the screen:\n{self.text()}")
            if not self.pump(0.05) and self.closed:
                time.sleep(0.01)
        self.pump(0)
        return self.process.returncode

    def hang_up(self) -> None:
        """Close the terminal's side, as a dropped SSH connection does: the kernel sends the
        program SIGHUP, and its reads and writes on the terminal fail from then on."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        self.closed = True

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> PtyTerminal:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()
