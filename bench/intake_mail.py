"""How fast an mbox is filed, end to end, against bare parsing of the same mail.

Writes an mbox of ``--messages`` realistic mails (new requests from a few hundred people in
some dozens of companies, answers threading by In-Reply-To, some HTML-only, some with a small
attachment, some auto-replies, quoted history below the answers), then in the same run:

1. **baseline**: the same mbox read with :mod:`mailbox` and each message parsed by the
   standard library's ``email`` (``policy.default``), its text body taken (``get_body`` +
   ``get_content``): what any intake pays before it files anything;
2. **import**: ``Desk.import_mailbox`` into a new desk (SQLite in a temporary file, or
   ``--db URL`` of an empty database): caps, parse, thread, requester and organization,
   ticket or message, attachments, the full-text index (SQLite's triggers, PostgreSQL's GIN
   index), mails committed together (``MailFiling``: up to 100 a transaction, or 0.2 s),
   commits included;
3. **again**: the same import a second time (every mail a duplicate: nothing is added);
4. **the kernel alone**: ``create_ticket`` in one transaction each, no mail: the floor
   under what filing a new mail can cost.

Prints messages per second for each, the import's ratio to the baseline, and the process's
peak RSS (the mbox is streamed: the peak does not grow with the file).

    .venv/bin/python bench/intake_mail.py --messages 3000
    .venv/bin/python bench/intake_mail.py --db postgresql://postgres@127.0.0.1/bench_mail
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

# bench/queue.py would stand in for the standard library's queue (psycopg imports it)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import mailbox
import os
import random
import resource
import shutil
import tempfile
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from sqlmodel import func, select, text

from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.db.models import Message, Organization, Ticket
from deskterm.desk import setup
from deskterm.desk.service import Desk
from deskterm.desk.tickets.ticket import create_ticket

ADMIN = "bench"
WORDS = [
    "printer", "vpn", "invoice", "password", "reset", "laptop", "screen", "network", "slow",
    "error", "login", "account", "billing", "refund", "order", "shipping", "delivery", "update",
    "install", "license", "server", "mail", "backup", "drive", "calendar", "access", "token",
    "certificate", "firewall", "wifi", "monitor", "keyboard",
]


def _paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def write_mbox(path: Path, count: int, seed: int = 7) -> int:
    """An mbox of ``count`` mails; returns its size in bytes."""
    rng = random.Random(seed)
    domains = [f"company{n}.example" for n in range(40)]
    people = [(f"Person {n}", f"person{n}@{rng.choice(domains)}") for n in range(400)]
    sent: list[tuple[str, str, str]] = []  # (message id, sender, subject) of earlier mails
    box = mailbox.mbox(path)
    box.lock()
    for n in range(count):
        msg = EmailMessage()
        roll = rng.random()
        if sent and roll < 0.30:  # an answer in a thread
            parent_id, sender, subject = rng.choice(sent[-300:])
            msg["In-Reply-To"] = f"<{parent_id}>"
            msg["References"] = f"<{parent_id}>"
            subject = subject if subject.startswith("Re:") else f"Re: {subject}"
            name = next(p[0] for p in people if p[1] == sender)
        else:
            name, sender = rng.choice(people)
            subject = " ".join(rng.choice(WORDS) for _ in range(5)).capitalize()
        message_id = f"bench-{n}@{sender.split('@')[1]}"
        msg["From"] = f"{name} <{sender}>"
        msg["To"] = "support@desk.example"
        msg["Subject"] = subject
        msg["Date"] = "Mon, 07 Dec 2026 09:00:00 +0000"
        msg["Message-ID"] = f"<{message_id}>"
        if rng.random() < 0.03:
            msg["Auto-Submitted"] = "auto-replied"
        text = "\n\n".join(_paragraph(rng, rng.randint(15, 60))
                           for _ in range(rng.randint(1, 4)))
        if "In-Reply-To" in msg:
            text += ("\n\nOn Mon, 7 Dec 2026 at 09:00, Support wrote:\n"
                     + "\n".join(f"> {_paragraph(rng, 12)}" for _ in range(6)))
        if rng.random() < 0.05:
            msg.set_content(f"<html><body><p>{text.replace(chr(10) * 2, '</p><p>')}</p>"
                            "</body></html>", subtype="html")
        else:
            msg.set_content(text)
        if rng.random() < 0.05:
            msg.add_attachment(rng.randbytes(20_000), maintype="application",
                               subtype="octet-stream", filename=f"log-{n}.bin")
        box.add(msg.as_bytes(policy=policy.SMTP))
        sent.append((message_id, sender, subject))
    box.flush()
    box.unlock()
    box.close()
    return path.stat().st_size


def baseline(path: Path) -> int:
    """Parse every message of the mbox with bare ``email``; returns how many."""
    parser = BytesParser(policy=policy.default)
    box = mailbox.mbox(path, create=False)
    count = 0
    for key in box.iterkeys():
        msg = parser.parsebytes(box.get_bytes(key))
        body = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
        if body is not None:
            body.get_content()
        count += 1
    box.close()
    return count


def server_cpu(store: Store) -> float | None:
    """CPU seconds the PostgreSQL backends serving this database have used so far (read from
    /proc: the server runs on this machine), or None (SQLite, or not readable)."""
    if store.is_sqlite:
        return None
    with store.read() as session:
        pids = session.exec(text("SELECT pid FROM pg_stat_activity "
                                 "WHERE datname = current_database()")).all()
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for (pid,) in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return total


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3_000, help="mails in the mbox")
    parser.add_argument("--db", default=None, help="an empty database to use (default: a "
                        "new SQLite file in a temporary directory)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="deskterm-bench-mail-"))
    url = args.db or f"sqlite:///{workdir / 'desk.sqlite3'}"
    mbox_path = workdir / "in.mbox"
    store = Store(url)
    try:
        size = write_mbox(mbox_path, args.messages)
        print(f"mbox: {args.messages:,} messages, {size / 1e6:.1f} MB; peak RSS so far "
              f"{peak_rss_mb():.0f} MB")
        migrate.upgrade(store)
        store.write(lambda s: setup.ensure_first_admin(s, username=ADMIN))
        store.write(lambda s: [s.add(Organization(name=f"Company {n}",
                                                  domain=f"company{n}.example"))
                               for n in range(0, 40, 2)])
        desk = Desk(store, username=ADMIN)

        started, cpu = time.perf_counter(), time.process_time()
        parsed = baseline(mbox_path)
        base_s, base_cpu = time.perf_counter() - started, time.process_time() - cpu
        base_rate = parsed / base_s
        print(f"baseline (mailbox + email policy.default, text body): {parsed:,} in "
              f"{base_s:.2f} s = {base_rate:,.0f} msg/s ({parsed / base_cpu:,.0f} msg/s of "
              "this process's CPU time)")

        desk.actor  # noqa: B018  (the pool's connection opened before the server is measured)
        server_before = server_cpu(store)
        started, cpu = time.perf_counter(), time.process_time()
        report = desk.import_mailbox("mbox", mbox_path)
        import_s, import_cpu = time.perf_counter() - started, time.process_time() - cpu
        server_after = server_cpu(store)
        rate = report.total / import_s
        print(f"import into {store.display_url}: {report.total:,} in {import_s:.2f} s = "
              f"{rate:,.0f} msg/s ({rate / base_rate:.2f}x the baseline; "
              f"{report.total / import_cpu:,.0f} msg/s of CPU time, the database server's "
              f"not counted); {dict(sorted(report.outcomes.items()))}")
        if server_before is not None and server_after is not None:
            server_s = server_after - server_before
            print(f"  CPU a mail: this process {1000 * import_cpu / report.total:.2f} ms, the "
                  f"server's backends {1000 * server_s / report.total:.2f} ms: "
                  f"{report.total / (import_cpu + server_s):,.0f} msg/s if neither waited "
                  "for the other, the disk or a busy CPU")

        started = time.perf_counter()
        again = desk.import_mailbox("mbox", mbox_path)
        again_s = time.perf_counter() - started
        print(f"again (all duplicates): {again.total / again_s:,.0f} msg/s; "
              f"{dict(sorted(again.outcomes.items()))}")
        floor = min(500, report.total)
        started, cpu = time.perf_counter(), time.process_time()
        for n in range(floor):
            store.write(lambda s, n=n: create_ticket(
                s, actor=None, requester_email=f"floor{n % 50}@company{n % 40}.example",
                subject=f"Floor {n}", body=_paragraph(random.Random(n), 120), channel="email",
                source_message_id=f"floor-{n}@bench"))
        floor_s, floor_cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"the kernel alone (create_ticket, one transaction each, no parsing): "
              f"{floor / floor_s:,.0f} tickets/s ({floor / floor_cpu:,.0f}/s of CPU time)")
        with store.read() as session:
            tickets = session.exec(select(func.count()).select_from(Ticket)).one()
            messages = session.exec(select(func.count()).select_from(Message)).one()
        print(f"desk: {tickets:,} tickets, {messages:,} messages; peak RSS {peak_rss_mb():.0f} "
              f"MB (mbox {size / 1e6:.1f} MB)")
        target = 300
        print(f"target >= {target} msg/s end to end: {'met' if rate >= target else 'MISSED'}"
              f"; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    finally:
        store.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
