"""`make lint` refuses a module importing another module's private name, also inside deskterm
(where ruff's PLC2701 does not look: it skips imports within one top-level package)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "tools" / "private_imports.py"


def _check(*roots: Path | str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CHECK), *map(str, roots)], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)


def test_the_code_imports_no_private_name():
    done = _check("src", "tests", "bench")

    assert (done.returncode, done.stdout) == (0, "")


def test_a_private_name_imported_inside_the_package_fails_the_check(tmp_path):
    module = tmp_path / "deskterm" / "desk" / "tickets" / "probe.py"
    module.parent.mkdir(parents=True)
    module.write_text("from __future__ import annotations\n\n"
                      "from deskterm.desk.tickets.change import __name__, _as_text\n"
                      "from .checks import _REF\n")

    done = _check(tmp_path)

    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{module}:3: imports _as_text from deskterm.desk.tickets.change, a private name",
        f"{module}:4: imports _REF from .checks, a private name",
    ]
