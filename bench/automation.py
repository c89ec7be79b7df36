"""Issue 14 point 8: the three automation figures, one after the other, each against its own
same-run baseline (see each script's docstring):

1. bench/automation_rules.py — what 100 rules add to a created ticket (SQLite and PostgreSQL);
2. bench/automation_sla.py — recomputing the due times of 1,000,000 open tickets after a
   calendar change (SQLite);
3. bench/automation_run.py — an ``automate run`` pass over the 1,000,000-ticket desk.

``--desk FILE`` is a seeded 1,000,000-ticket SQLite demo desk (``deskterm demo --tickets
1000000``); it is only copied, never written. ``--only rules|sla|run`` runs one of them.

    .venv/bin/python bench/automation.py --desk /work/bench-cache/desk-1m.sqlite3
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--desk", type=Path, default=Path("/work/bench-cache/desk-1m.sqlite3"))
    parser.add_argument("--only", choices=("rules", "sla", "run"))
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    steps = {
        "rules": ["automation_rules.py", *(["--no-postgres"] if args.no_postgres else [])],
        "sla": ["automation_sla.py", "--db", str(args.desk)],
        "run": ["automation_run.py", "--desk", str(args.desk), "--sla",
                str(HERE.parent / "examples" / "sla.toml")],
    }
    failed = 0
    for name, (script, *extra) in steps.items():
        if args.only and name != args.only:
            continue
        print(f"== {script}", flush=True)
        failed |= subprocess.run([sys.executable, str(HERE / script), *extra]).returncode
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
