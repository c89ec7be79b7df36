"""Change notices between processes: announced writes wake a watcher, quiet ones do not."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from deskterm.db.changes import ChangeWatcher
from deskterm.desk.tickets import ticket as tickets

from .helpers import new_ticket


def _in_another_process(store, code: str) -> None:
    url = store.url.render_as_string(hide_password=False)
    script = textwrap.dedent(f"""
        from deskterm.db.engine import Store
        from deskterm.desk.tickets import ticket as tickets
        from deskterm.desk.people.auth import resolve_actor
        store = Store({url!r})
        with store.read() as session:
            ada = resolve_actor(session, username="ada")
    """) + textwrap.dedent(code)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def test_a_write_by_another_process_wakes_the_watcher(store, admin):
    ticket = new_ticket(store, admin)
    watcher = ChangeWatcher(store)
    try:
        assert not watcher.wait(0.3)
        _in_another_process(store, f"""
            store.write(lambda s: tickets.add_note(s, actor=ada, number={ticket.number},
                                                   body="from elsewhere"))
        """)
        assert watcher.wait(5.0)
        assert not watcher.wait(0.3)  # one notice per change
    finally:
        watcher.close()


def test_quiet_bookkeeping_does_not_wake_the_watcher(store, admin):
    ticket = new_ticket(store, admin)
    watcher = ChangeWatcher(store)
    try:
        _in_another_process(store, f"""
            store.write(lambda s: tickets.mark_seen(s, agent="ada", number={ticket.number}),
                        quiet=True)
        """)
        assert not watcher.wait(1.0)
        store.write(lambda s: tickets.add_note(s, actor=admin, number=ticket.number, body="x"))
        assert watcher.wait(5.0)
    finally:
        watcher.close()
