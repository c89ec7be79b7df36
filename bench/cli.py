"""How long the ``deskterm`` command takes to start, run and exit, next to Python's own floor.

Every figure is a fresh process, timed from spawning it to its exit, its output going to
/dev/null (not a terminal, as in a script):

- ``python -c pass`` (the floor) and ``python -c "import sqlalchemy"`` (what loading the store's
  library alone costs), measured in the same run, interleaved with the rest;
- ``deskterm --version`` and ``deskterm --help`` (target 0.15 s each: they load no store);
- ``deskterm ticket show REF`` and ``deskterm ticket list --limit 50`` on a demo desk (target
  0.6 s each);
- the console's first paint (``deskterm --db URL`` until ticket rows are on a 120x40
  pseudo-terminal, as bench/queue.py measures it), for scale.

The runs go round-robin (one of each, then again), so a change in the machine's load touches
every figure alike; each line gives p50, p95 and max of the wall time, the median CPU time
(user + system) the process used, the p50 as a multiple of ``import sqlalchemy``'s (a figure
that changes little with the load), and PASS/FAIL of its target on the p50. The load average is
printed before and after: on a busy machine the wall times grow, the CPU times much less.
Exits non-zero only when it cannot measure.

    .venv/bin/python bench/cli.py                     # a 20,000-ticket demo desk, 20 runs
    .venv/bin/python bench/cli.py --runs 50 --db sqlite:///desk.sqlite3
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass
class Figure:
    name: str
    argv: list[str]
    target: float | None
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)


class BenchError(Exception):
    """The bench could not measure (a command failed)."""


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def run_once(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one process, spawn to exit."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(list(argv), env=env, stdout=subprocess.DEVNULL,
                                   stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            errors.seek(0)
            raise BenchError(f"{' '.join(argv)} exited {code}: "
                             f"{errors.read().decode(errors='replace').strip()[:300]}")
    return wall, usage.ru_utime + usage.ru_stime


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:6.0f}ms"


def _load_queue_bench():
    """bench/queue.py as a module (loaded by path: its name is the standard library's
    ``queue``): its desk, its way of starting deskterm and its first-paint measurement."""
    spec = importlib.util.spec_from_file_location("bench_queue", HERE / "queue.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


queue_bench = _load_queue_bench()
deskterm_argv = queue_bench.deskterm_argv
ensure_desk = queue_bench.ensure_desk  # the same cached demo desk as bench/queue.py's


def a_ticket(url: str, env: dict[str, str]) -> str:
    """The ref of the ticket ``ticket list`` shows first."""
    out = subprocess.run([*deskterm_argv(), "--db", url, "ticket", "list", "--limit", "1"],
                         env=env, check=True, capture_output=True, text=True).stdout
    if not out.startswith("#"):
        raise BenchError(f"the desk at {url} holds no ticket")
    return out.split("\t", 1)[0]


def console_first_paints(url: str, env: dict[str, str], runs: int) -> list[float]:
    """The console's first paint, as bench/queue.py measures it."""
    console = [*deskterm_argv(), "--db", url]
    queue_bench.first_paint(console, env, queue_bench._has_rows)  # warm-up
    return [queue_bench.first_paint(console, env, queue_bench._has_rows).painted
            for _ in range(runs)]


def run(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="deskterm-bench-cli-"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DESKTERM_", "TEXTUAL"))
           and k not in ("COLUMNS", "LINES", "PYTHONDONTWRITEBYTECODE")}
    # as installed, deskterm's modules are compiled once (the warm-up writes their .pyc)
    env.update(TERM="xterm-256color", DESKTERM_CONFIG_DIR=str(work / "config"),
               DESKTERM_DATA_DIR=str(work / "data"))
    try:
        url = args.db or ensure_desk(args.tickets, env)
        ref = a_ticket(url, env)
        deskterm = [*deskterm_argv(), "--db", url]
        figures = [
            Figure("python -c pass", [sys.executable, "-c", "pass"], None),
            Figure('python -c "import sqlalchemy"', [sys.executable, "-c", "import sqlalchemy"],
                   None),
            Figure("deskterm --version", [*deskterm_argv(), "--version"], 0.15),
            Figure("deskterm --help", [*deskterm_argv(), "--help"], 0.15),
            Figure(f"deskterm ticket show {ref}", [*deskterm, "ticket", "show", ref], 0.6),
            Figure("deskterm ticket list --limit 50", [*deskterm, "ticket", "list", "--limit",
                                                       "50"], 0.6),
        ]
        load_before = os.getloadavg()
        print(f"deskterm's start on {url}: {os.cpu_count()} CPUs, load average "
              f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, Python "
              f"{sys.version.split()[0]}, {args.runs} runs of each (round-robin, after one "
              "warm-up)", flush=True)
        for figure in figures:  # warm-up: files in the page cache, .pyc written
            run_once(figure.argv, env)
        for _ in range(args.runs):
            for figure in figures:
                wall, cpu = run_once(figure.argv, env)
                figure.walls.append(wall)
                figure.cpus.append(cpu)
        paints = console_first_paints(url, env, args.console_runs) if args.console_runs else []
        load_after = os.getloadavg()

        missed = 0
        store = percentile(figures[1].walls, 50)
        print(f"\n  {'':<36} {'p50':>8} {'p95':>8} {'max':>8} {'cpu p50':>8} {'/sqla':>6}   "
              "target")
        for figure in figures:
            p50 = percentile(figure.walls, 50)
            verdict = ""
            if figure.target is not None:
                ok = p50 <= figure.target
                missed += not ok
                verdict = f"<= {figure.target * 1000:.0f} ms (p50) {'PASS' if ok else 'FAIL'}"
            print(f"  {figure.name:<36} {_ms(p50)} {_ms(percentile(figure.walls, 95))} "
                  f"{_ms(max(figure.walls))} {_ms(statistics.median(figure.cpus))} "
                  f"{p50 / store:5.2f}x   {verdict}")
        if paints:
            print(f"  {'console: first paint (rows on screen)':<36} {_ms(percentile(paints, 50))} "
                  f"{_ms(percentile(paints, 95))} {_ms(max(paints))} {'':>8} "
                  f"{percentile(paints, 50) / store:5.2f}x   "
                  f"({len(paints)} runs, as bench/queue.py)")
        floor = percentile(figures[0].walls, 50)
        over = [f"{f.name.removeprefix('deskterm ')} "
                f"+{(percentile(f.walls, 50) - floor) * 1000:.0f}"
                " ms" for f in figures[1:]]
        print("\n  over python -c pass (p50): " + "; ".join(over))
        print(f"\n{missed} target(s) missed" if missed else "\nevery target met", end="")
        print(f" (load average {load_before[0]:.2f} before, {load_after[0]:.2f} after)")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", metavar="URL", help="a desk to use (else a demo desk is seeded "
                        "into bench/.cache/ once)")
    parser.add_argument("--tickets", type=int, default=20_000,
                        help="tickets of the seeded desk (default 20,000)")
    parser.add_argument("--runs", type=int, default=20,
                        help="runs of each command (default 20)")
    parser.add_argument("--console-runs", type=int, default=3,
                        help="first paints of the console (default 3; 0 leaves it out)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs: at least 1")
    try:
        return run(args)
    except (BenchError, subprocess.CalledProcessError, OSError) as error:
        print(f"bench/cli.py: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
