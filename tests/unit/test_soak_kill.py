"""The quick version of bench/soak.py's kill: a writer SIGKILLed while it holds a transaction
(a new ticket, a reply, a bulk tag on every ticket) as two agents wait to write, on both stores.
The desk must keep nothing of it, pass ``PRAGMA integrity_check`` and FTS5's integrity-check
(SQLite), and the counter invariant (every committed change is one version) must hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parents[2] / "bench" / "soak.py"


def test_a_writer_killed_mid_transaction_leaves_the_desk_consistent(stores):
    url = stores.url(migrated=True)
    done = subprocess.run(
        [sys.executable, str(SOAK), "--db", url, "--kill-only", "--agents", "2", "--hot", "2"],
        capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "kill: a writer SIGKILLed holding a transaction" in done.stdout
    assert "ok: zero lost updates, zero errors" in done.stdout
