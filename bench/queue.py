"""How the queue console feels on a big desk, measured in a real pseudo-terminal (120x40).

The console runs as an agent runs it (``deskterm --db URL``) on a pseudo-terminal whose output
feeds a terminal emulator (pyte), so every figure is "until the screen shows it":

1. First paint: from spawning the process to ticket rows on screen; the same for a bare Textual
   app showing one static line (``bench/floor_app.py``, the floor), run in turns, and the ratio
   of their medians (target 1.5x); then all of it again while ``--busy`` processes spin in busy
   loops, one per CPU by default (target 2x). Also the p95s, when the first byte and the first
   frame came, and what importing costs, to show where the time goes.
2. Keystroke to repaint, on the table of every ticket (an empty filter): ``j``, ``pgdn``, ``G``
   (and ``g`` back up), each timed from the key to the screen showing the moved cursor or the new
   page with real rows (no loading placeholders).
3. Filters: ``/``, the query typed, ``enter``, timed from ``enter`` to the table showing the new
   result; each filter alternates with clearing it, so the result really changes.
4. Peak RSS of the console (VmHWM) before it quits.

Prints each figure, its target and PASS/FAIL. Exits non-zero only when it cannot measure.
Without ``--db`` it seeds a demo desk of ``--tickets`` once into ``bench/.cache/`` and reuses it.

    .venv/bin/python bench/queue.py --tickets 100000
    .venv/bin/python bench/queue.py                      # 1,000,000 tickets
    .venv/bin/python bench/queue.py --paint-only        # first paint only
    .venv/bin/python bench/queue.py --busy 0            # no pass with busy loops

Every figure has at least 20 samples (:data:`MIN_SAMPLES`) and is also given as a ratio to an
in-run baseline (a fixed pure-Python loop timed before each sample; first paint: the floor app),
so runs on a busy machine compare with runs on a quiet one; each figure prints the load average.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# This script has the standard library's ``queue`` module's name: its folder leaves the import
# path before anything (psycopg, concurrent.futures ...) imports the real one.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import contextlib
import math
import os
import pty
import re
import select
import shutil
import statistics
import struct
import subprocess
import tempfile
import termios
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fcntl import ioctl

import pyte

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
FLOOR_APP = HERE / "floor_app.py"
FLOOR_LINE = "floor: one static line"
COLS, ROWS = 120, 40

FILTERS = (
    # name, query, target p95 (s): issue 12's, to be met with a third to spare on a quiet machine
    ("rare word", "evil.example", 0.100),
    ("common word", "the", 0.700),
    ("field filter", "status:pending priority:high", 0.100),
    ("combined", "status:open vpn", 0.100),
)
"""Words from the demo's text (demo/text.py): ``evil.example`` is in about 1 ticket in
17,000 (the hostile samples), ``the`` in more than 4 in 5."""
ALL_TICKETS = ""
"""The filter the keys run on, and what each filter is cleared to: every ticket."""

FIRST_PAINT_TARGET = 1.0
FLOOR_RATIO_TARGET = 1.5
"""First rows against the floor's line, medians of the same run, on a quiet machine."""
BUSY_RATIO_TARGET = 2.0
"""The same while a busy loop runs on every core (``--busy``)."""
BUSY_LOOP = "while True: pass"
KEY_TARGET = 0.050
BOTTOM_TARGET = 0.035
"""``G``: the last page is prefetched, so the jump is a repaint."""
MIN_SAMPLES = 20
"""Fewest samples behind any figure: with fewer, a p95 is the slowest one or two."""
BASELINE_LOOPS = 200_000
"""The in-run baseline: this many turns of a pure-Python loop (about 10 ms on a quiet core),
timed before each sample. Figures are also given in baselines, which stay comparable between
runs on a busier or quieter machine where milliseconds do not."""
RSS_TARGET_MB = 300

KEYS = {"j": b"j", "k": b"k", "g": b"g", "G": b"G", "pgdn": b"\x1b[6~", "pgup": b"\x1b[5~",
        "/": b"/", "enter": b"\r", "ctrl+a": b"\x01", "ctrl+k": b"\x0b", "ctrl+q": b"\x11"}
REF = re.compile(r"^\W{0,3}(#\d{3,})\s")
COUNT = re.compile(r"([\d,]+) tickets")


class BenchError(Exception):
    """The bench could not measure (the console did not start, the screen never showed it)."""


# --- a pseudo-terminal and what it shows ---------------------------------------------------


class Terminal:
    """A process on a COLS x ROWS pseudo-terminal, its output fed to a pyte screen."""

    def __init__(self, argv: Sequence[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.started = time.perf_counter()
        try:
            self.process = subprocess.Popen(list(argv), stdin=slave, stdout=slave, stderr=slave,
                                            env=env, start_new_session=True)
        finally:
            os.close(slave)
        self.fd = master
        self.screen = pyte.Screen(COLS, ROWS)
        self._stream = pyte.ByteStream(self.screen)
        self.first_output: float | None = None
        self.last_output = 0.0
        self.closed = False

    def pump(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for output, then take all there is; True if any came.
        Everything waiting is read (and timed) before the emulator parses any of it."""
        chunks = []
        while not self.closed:
            ready, _, _ = select.select([self.fd], [], [], 0 if chunks else timeout)
            if not ready:
                break
            try:
                data = os.read(self.fd, 1 << 16)
            except OSError:
                data = b""
            if not data:
                self.closed = True
                break
            self.last_output = time.perf_counter()
            if self.first_output is None:
                self.first_output = self.last_output
            chunks.append(data)
        if chunks:
            self._stream.feed(b"".join(chunks))
        return bool(chunks)

    def wait_for(self, predicate: Callable[[Terminal], bool], what: str,
                 timeout: float) -> float:
        """When the output that made ``predicate`` hold arrived (``BenchError`` on timeout)."""
        deadline = time.perf_counter() + timeout
        while not predicate(self):
            if self.closed or time.perf_counter() > deadline:
                state = "the process ended" if self.closed else f"nothing after {timeout:.0f} s"
                raise BenchError(f"waiting for {what}: {state}; the screen:\n{self.text()}")
            self.pump(0.02)
        return self.last_output

    def settle(self, quiet: float = 0.1, timeout: float = 10.0) -> None:
        """Read until the output has been quiet for ``quiet`` s."""
        deadline = time.perf_counter() + timeout
        while self.pump(quiet) and time.perf_counter() < deadline:
            pass

    def send(self, data: bytes) -> float:
        sent = time.perf_counter()
        os.write(self.fd, data)
        return sent

    def text(self) -> str:
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        """The screen's lines. pyte's own ``display`` fails (IndexError) on a cell left empty by
        a double-width character whose first half was overwritten; such a cell reads as a
        space here."""
        try:
            return self.screen.display
        except IndexError:
            from wcwidth import wcwidth

            found = []
            for y in range(self.screen.lines):
                row = self.screen.buffer[y]
                chars: list[str] = []
                wide = False
                for x in range(self.screen.columns):
                    if wide:
                        wide = False
                        continue
                    data = row[x].data or " "
                    chars.append(data)
                    wide = wcwidth(data[0]) == 2
                found.append("".join(chars))
            return found

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kb = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
        return kb / 1024

    def quit(self, timeout: float = 30.0) -> float:
        """ctrl+q; seconds until the process has exited."""
        sent = self.send(KEYS["ctrl+q"])
        deadline = sent + timeout
        while self.process.poll() is None and time.perf_counter() < deadline:
            self.pump(0.02)
        if self.process.poll() is None:
            raise BenchError(f"still running {timeout:.0f} s after ctrl+q")
        return time.perf_counter() - sent

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


# --- reading the queue off the screen ------------------------------------------------------


@dataclass(frozen=True)
class Table:
    refs: tuple[str, ...]
    cursor: str | None
    placeholders: int
    count: str | None

    @property
    def ready(self) -> bool:
        """Real rows (or none at all) and nothing still loading."""
        return self.placeholders == 0 and (bool(self.refs) or self.count == "0")


def read_table(term: Terminal) -> Table:
    """The rows on screen, the cursor's row (the one painted in another background), the
    loading placeholders, and the count the status line shows."""
    refs, backgrounds, placeholders, count = [], [], 0, None
    for y, line in enumerate(term.lines()):
        match = REF.match(line)
        if match:
            refs.append(match.group(1))
            backgrounds.append(term.screen.buffer[y][match.start(1)].bg)
        elif line.strip() == "…":
            placeholders += 1
        elif count is None and (found := COUNT.search(line)):
            count = found.group(1).replace(",", "")
    cursor = None
    if len(refs) >= 2:
        usual = statistics.mode(backgrounds)
        odd = [ref for ref, bg in zip(refs, backgrounds, strict=True) if bg != usual]
        cursor = odd[0] if len(odd) == 1 else None
    elif refs:
        cursor = refs[0]
    return Table(tuple(refs), cursor, placeholders, count)


# --- measuring -----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


@dataclass
class Paint:
    first_byte: float
    first_frame: float
    """The first screen with anything on it (the layout, before the rows)."""
    painted: float
    exit: float
    """From ctrl+q to the process gone."""


def first_paint(argv: Sequence[str], env: dict[str, str],
                painted: Callable[[Terminal], bool]) -> Paint:
    term = Terminal(argv, env)
    frame: list[float] = []

    def done(t: Terminal) -> bool:
        if not frame and t.text().strip():
            frame.append(t.last_output)
        return painted(t)

    try:
        shown = term.wait_for(done, "the first paint", timeout=180)
        term.settle(0.2)
        exit_seconds = term.quit()
        return Paint(term.first_output - term.started, frame[0] - term.started,
                     shown - term.started, exit_seconds)
    finally:
        term.close()


def _has_rows(term: Terminal) -> bool:
    return bool(read_table(term).refs)


def until_settled(term: Terminal, changed: Callable[[Table], bool], what: str,
                  timeout: float, quiet: float = 0.1) -> float:
    """When the table last changed: waits for ``changed(table)`` with no row still loading,
    then reads on until the output has been quiet for ``quiet`` s, so a result painted over
    several frames (the rows, then the count in the status line) counts from its last one."""
    done = term.wait_for(lambda t: (now := read_table(t)).ready and changed(now), what, timeout)
    shown = read_table(term)
    while term.pump(quiet):
        now = read_table(term)
        if now != shown and now.ready:
            shown, done = now, term.last_output
    return done


def press(term: Terminal, key: str, hidden: list[str], timeout: float = 60.0) -> float:
    """Seconds from ``key`` to the table repainted (other rows or another cursor row); notes
    in ``hidden`` when the cursor then is not on screen."""
    before = read_table(term)
    sent = term.send(KEYS[key])
    done = until_settled(term, lambda now: (now.cursor, now.refs) != (before.cursor, before.refs),
                         f"the repaint after {key!r}", timeout)
    if read_table(term).cursor is None:
        hidden.append(key)
    return done - sent


def apply_filter(term: Terminal, query: str, timeout: float = 180.0) -> float:
    """``/``, the old query erased, the new one typed, ``enter``: seconds from ``enter`` to the
    table showing a result other than the one before."""
    term.send(KEYS["/"])
    term.wait_for(filter_focused, "the filter input to take the focus", 30)
    # Textual runs the action bound to a key (home, delete to the end) after the characters
    # already read have been typed in: erase, let it happen, then type (again, if it did not).
    for _attempt in range(5):
        term.send(KEYS["ctrl+a"] + KEYS["ctrl+k"])
        term.settle(0.15)
        if not query:
            break
        term.send(query.encode())
        try:
            term.wait_for(lambda t: filter_line(t) == query, f"{query!r} in the filter", 5)
            break
        except BenchError:
            continue
    else:
        raise BenchError(f"could not type {query!r} into the filter; the screen:\n{term.text()}")
    term.settle(0.1)
    before = read_table(term)
    sent = term.send(KEYS["enter"])
    done = until_settled(term, lambda now: (now.count, now.refs) != (before.count, before.refs),
                         f"the result of {query!r}", timeout, quiet=0.5)
    return done - sent


def filter_focused(term: Terminal) -> bool:
    """The filter input has the focus: painted in another background than its prompt."""
    for y, line in enumerate(term.lines()):
        if line.startswith("/ "):
            row = term.screen.buffer[y]
            return any(row[x].bg != row[0].bg for x in range(2, len(line)))
    return False


def filter_line(term: Terminal) -> str | None:
    """What the filter input shows (the line after the ``/`` prompt)."""
    for line in term.lines():
        if line.startswith("/ "):
            return line[2:].strip()
    return None


# --- the desk and the environment ----------------------------------------------------------


def deskterm_argv() -> list[str]:
    """How an agent starts deskterm: the ``deskterm`` script installed beside this Python
    (it imports ``deskterm.launch`` and calls ``main``), else ``python -m deskterm``, which
    runs the same through runpy (about 10 ms more)."""
    script = Path(sys.executable).with_name("deskterm")
    if script.is_file():
        return [sys.executable, str(script)]
    return [sys.executable, "-m", "deskterm"]


def ensure_desk(tickets: int, env: dict[str, str]) -> str:
    """A demo desk of ``tickets`` tickets in bench/.cache, seeded once."""
    path = CACHE / f"queue-{tickets}.sqlite3"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        part = path.with_name(path.name + ".part")
        for leftover in (part, Path(f"{part}-wal"), Path(f"{part}-shm")):
            leftover.unlink(missing_ok=True)
        print(f"seeding {tickets:,} demo tickets into {path} (once) ...", flush=True)
        started = time.perf_counter()
        subprocess.run([*deskterm_argv(), "--db", f"sqlite:///{part}", "demo",
                        "--tickets", str(tickets)], env=env, check=True, stdout=subprocess.DEVNULL)
        part.rename(path)
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
    else:  # seeded by an older deskterm: bring the schema up to this one's
        subprocess.run([*deskterm_argv(), "--db", f"sqlite:///{path}", "db", "upgrade"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
    return f"sqlite:///{path}"


def import_seconds(env: dict[str, str]) -> dict[str, float]:
    """Best of 3 fresh interpreters: Python alone, deskterm.cli, then deskterm.app on top."""
    code = ("import time; t=time.perf_counter(); import deskterm.cli; a=time.perf_counter(); "
            "import deskterm.app; b=time.perf_counter(); print(a-t, b-a)")
    runs, bare = [], []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        bare.append(time.perf_counter() - started)
        out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                             capture_output=True, text=True).stdout.split()
        runs.append((float(out[0]), float(out[1])))
    return {"python": min(bare), "deskterm.cli": min(r[0] for r in runs),
            "deskterm.app": min(r[1] for r in runs)}


# --- the report ----------------------------------------------------------------------------


def baseline_once() -> float:
    """Seconds for :data:`BASELINE_LOOPS` turns of a plain loop (no I/O: CPU and scheduler)."""
    started = time.perf_counter()
    total = 0
    for turn in range(BASELINE_LOOPS):
        total += turn
    return time.perf_counter() - started


class Report:
    def __init__(self) -> None:
        self.failed = 0
        self.baselines: list[float] = []

    def sampled(self, measure: Callable[[], float]) -> float:
        """``measure()``, the in-run baseline timed just before it."""
        self.baselines.append(baseline_once())
        return measure()

    def baseline(self) -> float:
        return statistics.median(self.baselines) if self.baselines else baseline_once()

    @staticmethod
    def line(text: str) -> None:
        print(text, flush=True)

    def check(self, name: str, value: float, limit: float, unit: str = "s") -> None:
        ok = value <= limit
        self.failed += not ok
        shown = f"{value * 1000:.0f} ms" if unit == "ms" else (
            f"{value:.2f} s" if unit == "s" else f"{value:.2f}{unit}")
        target = f"{limit * 1000:.0f} ms" if unit == "ms" else (
            f"{limit:.2f} s" if unit == "s" else f"{limit:g}{unit}")
        self.line(f"  {name:<44} {shown:>10}   target <= {target:<8} {'PASS' if ok else 'FAIL'}")

    def summary(self) -> None:
        if self.baselines:
            self.line(f"\nin-run baseline ({BASELINE_LOOPS:,} turns of a Python loop, timed "
                      f"before each sample): p50 {self.baseline() * 1000:.1f} ms, p95 "
                      f"{percentile(self.baselines, 95) * 1000:.1f} ms, n={len(self.baselines)}")
        self.line((f"\n{self.failed} target(s) missed" if self.failed
                   else "\nevery target met") + f" (load average {_load()})")

    def spread(self, name: str, values: Sequence[float], limit: float | None) -> None:
        p50, p95 = percentile(values, 50), percentile(values, 95)
        base = self.baseline()
        self.line(f"  {name:<38} n={len(values):<3} p50 {p50 * 1000:7.1f} ms   "
                  f"p95 {p95 * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms   "
                  f"(p50 {p50 / base:5.1f}x, p95 {p95 / base:5.1f}x the baseline; "
                  f"load {_load()})")
        if limit is not None:
            self.check(f"{name} p95", p95, limit, "ms")


def _load() -> str:
    return "/".join(f"{load:.1f}" for load in os.getloadavg())


@contextlib.contextmanager
def busy_loops(count: int) -> Iterator[None]:
    """``count`` processes spinning in Python (as many as cores: every core busy) for as long
    as the block runs."""
    loops = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(count)]
    try:
        time.sleep(0.5)  # under way, and the scheduler has seen them run
        yield
    finally:
        for loop in loops:
            loop.kill()
        for loop in loops:
            loop.wait(10)


def first_paint_pass(report: Report, label: str, console: Sequence[str], floor: Sequence[str],
                     env: dict[str, str], runs: int, *, ratio_target: float = FLOOR_RATIO_TARGET,
                     absolute_target: float | None = FIRST_PAINT_TARGET) -> None:
    """Process start to the first rows, the console's against the floor's, run in turns (so a
    change of load touches both alike), after one warm-up run of each (the desk file in the
    page cache)."""
    def floor_shown(term: Terminal) -> bool:
        return FLOOR_LINE in term.text()

    load_before = _load()
    first_paint(console, env, _has_rows)
    first_paint(floor, env, floor_shown)
    consoles, floors = [], []
    for _ in range(runs):
        consoles.append(first_paint(console, env, _has_rows))
        floors.append(first_paint(floor, env, floor_shown))

    def med(paints: list[Paint], field: str) -> float:
        return statistics.median(getattr(p, field) for p in paints)

    painted = [p.painted for p in consoles]
    floor_painted = [p.painted for p in floors]
    p50, p95 = percentile(painted, 50), percentile(painted, 95)
    floor50, floor95 = percentile(floor_painted, 50), percentile(floor_painted, 95)
    report.line(f"\nfirst paint, {label}: process start to rows on screen, {runs} runs of each "
                f"(load average {load_before} before, {_load()} after)")
    report.line(f"  console: rows p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(painted):.2f} s; "
                f"first byte {med(consoles, 'first_byte'):.2f} s, first frame "
                f"{med(consoles, 'first_frame'):.2f} s; quitting takes "
                f"{med(consoles, 'exit'):.2f} s")
    report.line(f"  floor:   its line p50 {floor50:.2f} s, p95 {floor95:.2f} s, max "
                f"{max(floor_painted):.2f} s; first byte {med(floors, 'first_byte'):.2f} s")
    if absolute_target is not None:
        report.check(f"first paint p50 ({label})", p50, absolute_target)
    report.check(f"first paint / floor, p50 ({label})", p50 / floor50, ratio_target, "x")
    report.line(f"  (p95 / floor p95: {p95 / floor95:.2f}x)")


def run(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="deskterm-bench-"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DESKTERM_", "TEXTUAL")) and k not in ("COLUMNS", "LINES")}
    env.update(TERM="xterm-256color", DESKTERM_CONFIG_DIR=str(work / "config"),
               DESKTERM_DATA_DIR=str(work / "data"))
    report = Report()
    try:
        url = args.db or ensure_desk(args.tickets, env)
        console = [*deskterm_argv(), "--db", url]
        floor = [sys.executable, "-P", str(FLOOR_APP)]  # -P: bench/queue.py is not ``queue``
        runs = max(args.repeat, 1)
        if runs < MIN_SAMPLES:
            report.line(f"note: --repeat {runs} gives fewer than {MIN_SAMPLES} samples per "
                        "figure: its p95s are the slowest samples, not a tail")
        report.line(f"queue console on {url}: {COLS}x{ROWS} pseudo-terminal, "
                    f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f}), Python "
                    f"{sys.version.split()[0]}, repeat {runs}")

        # 1. First paint, on a quiet machine (as quiet as it is) and with every core busy.
        first_paint_pass(report, "quiet", console, floor, env, runs)
        if args.busy:
            with busy_loops(args.busy):
                first_paint_pass(report, f"{args.busy} busy loops", console, floor, env, runs,
                                 ratio_target=BUSY_RATIO_TARGET, absolute_target=None)
        imports = import_seconds(env)
        report.line(f"  imports (best of 3): python itself {imports['python']:.2f} s, "
                    f"deskterm.cli {imports['deskterm.cli']:.2f} s, then deskterm.app "
                    f"{imports['deskterm.app']:.2f} s")
        if args.paint_only:
            report.summary()
            return 0

        # 2-4. One session: keys on every ticket, then the filters, then the peak RSS.
        term = Terminal(console, env)
        try:
            term.wait_for(_has_rows, "the first rows", timeout=180)
            term.settle(0.3)
            clear = [apply_filter(term, ALL_TICKETS)]
            report.line(f"\nkeystroke to repaint, on every ticket ({read_table(term).count} "
                        "tickets)")
            hidden: list[str] = []
            downs = [report.sampled(lambda: press(term, "j", hidden))
                     for _ in range(max(10 * runs, MIN_SAMPLES))]
            pages = [report.sampled(lambda: press(term, "pgdn", hidden))
                     for _ in range(max(6 * runs, MIN_SAMPLES))]
            bottoms, tops = [], []
            for _ in range(max(2 * runs, MIN_SAMPLES)):
                bottoms.append(report.sampled(lambda: press(term, "G", hidden)))
                tops.append(report.sampled(lambda: press(term, "g", hidden)))
            report.spread("j", downs, KEY_TARGET)
            report.spread("pgdn", pages, KEY_TARGET)
            report.spread("G (bottom)", bottoms, BOTTOM_TARGET)
            report.spread("g (top; no target)", tops, None)
            if hidden:
                counts = ", ".join(f"{key} {hidden.count(key)}x" for key in dict.fromkeys(hidden))
                report.line(f"  BUG: the cursor's row was not on screen after {counts}")

            report.line("\nfilter: enter to the new result on screen")
            for name, query, limit in FILTERS:
                times = []
                for _ in range(max(runs, MIN_SAMPLES)):
                    times.append(report.sampled(lambda q=query: apply_filter(term, q)))
                    count = read_table(term).count
                    clear.append(apply_filter(term, ALL_TICKETS))
                report.spread(f"{name} {query!r} ({int(count or 0):,})", times, limit)
            report.line(f"  (clearing the filter, every ticket: p50 "
                        f"{percentile(clear, 50) * 1000:.0f} ms, p95 "
                        f"{percentile(clear, 95) * 1000:.0f} ms)")

            report.line("\nmemory")
            report.check("peak RSS of the console (VmHWM)", term.peak_rss_mb(), RSS_TARGET_MB,
                         " MB")
            term.quit()
        finally:
            term.close()
        report.summary()
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", metavar="URL", help="a seeded desk to use (else one is seeded "
                        "into bench/.cache/ once)")
    parser.add_argument("--tickets", type=int, default=1_000_000,
                        help="tickets of the seeded desk (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=MIN_SAMPLES,
                        help="first-paint runs and runs of each filter; the keys run 10x (j), "
                        "6x (pgdn), 2x (G, g) this many times; every figure but the first "
                        f"paint gets at least {MIN_SAMPLES} samples whatever it says "
                        f"(default {MIN_SAMPLES})")
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 2, metavar="N",
                        help="measure the first paint again while N processes spin in busy "
                        "loops (default: one per CPU, every core busy; 0: skip)")
    parser.add_argument("--paint-only", action="store_true",
                        help="measure the first paint only (no keys, filters or memory)")
    args = parser.parse_args()
    try:
        return run(args)
    except (BenchError, subprocess.CalledProcessError, OSError) as error:
        print(f"bench/queue.py: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
