"""``deskterm ticket show`` and ``ticket list`` without a filter read in plain SQL
(deskterm.desk.plain_reads, deskterm.db.plain_reads): the very values and the very output of the
store's path, on both stores; whatever the plain path does not cover is the store's, refusals
word for word."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from deskterm.cli import app, output
from deskterm.cli import tickets as cli_tickets
from deskterm.cli.context import CliContext
from deskterm.db.engine import Store
from deskterm.desk import plain_reads, setup
from deskterm.desk.filter.cursors import encode_cursor
from deskterm.desk.mail import settings as mail_settings
from deskterm.desk.people import directory as people
from deskterm.desk.people.identity import os_username
from deskterm.desk.reads import as_json
from deskterm.desk.tickets import change as tickets_change
from deskterm.desk.tickets import ops as ticket_ops
from deskterm.desk.tickets import reads as ticket_reads
from deskterm.desk.tickets import ticket as tickets

from ..conftest import sqlite_template

HOSTILE = ("\x1b[2J\x1b]52;c;SGVsbG8=\x07 \u202eevil\u202c \u200f\u05e9\u05dc\u05d5\u05dd "
           "\u2066iso\u2069 \U0001f600 e\u0301 \ufeff \x85 \u2028line\u2029para\r\n\ttab \x9b31m")
"""Escape sequences (OSC 52 too), bidi overrides, isolates and marks, an emoji, a combining
accent, a zero-width no-break space, C1 controls, line and paragraph separators: no NUL."""
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TICKETS = 14


def seed_plain(store: Store) -> None:
    """ada (admin), bert (agent, in "Réseau ✓ 网络"); 14 tickets (#1001 ...) with replies,
    internal notes, customer messages, minutes, field changes, tags, a merge, related tickets,
    a problem with incidents; some unassigned and in no group; a requester in an organization
    and others in none; hostile text everywhere it can be shown; update times shared three by
    three (ties for the cursors), some on a whole second (no microseconds to show)."""

    def work(session) -> None:
        ada = setup.ensure_first_admin(session, username="ada", display_name="Ada Admin")
        bert = people.add_agent(session, username="bert", display_name="Bert ✓ Baker")
        people.add_group(session, name="Réseau ✓ 网络")
        people.add_member(session, group="Réseau ✓ 网络", username="bert")
        for i in range(TICKETS):
            tickets.create_ticket(
                session, actor=ada, requester_email=("carol@acme.test", "dave@else.test")[i % 2],
                requester_name=("Carol", "Dave")[i % 2], subject=f"Subject {i}",
                body=f"Body {i}", priority=("low", "normal", "high", "urgent")[i % 4],
                assignee=("bert", None, "ada")[i % 3],
                group="Réseau ✓ 网络" if i % 4 == 0 else None,
                tags=(("zeta", "alpha", "mid-one"), (), ("vpn",))[i % 3],
                ticket_type="problem" if i == 3 else "question",
            )
        session.flush()
        mail_settings.update_settings(session, from_address="help@desk.test")
        tickets.add_reply(session, actor=bert, number=1001, body="A reply\n\nwith lines",
                          minutes=25)  # e-mailed: its mark is read too
        mail_settings.update_settings(session, enabled=False)
        tickets.add_note(session, actor=ada, number=1001, body="An internal note", minutes=95)
        tickets.add_note(session, actor=bert, number=1002, body="Noted, no time")
        tickets.add_customer_message(session, number=1001, email="carol@acme.test",
                                     body="Any news?")
        tickets.update_ticket(session, actor=ada, number=1001, changes=tickets_change.TicketChanges(
            priority="urgent", status="pending", add_tags=("escalated",)))
        tickets.update_ticket(session, actor=ada, number=1002, changes=tickets_change.TicketChanges(
            assignee="", group=""))
        ticket_ops.merge(session, actor=ada, source=1003, target=1001)
        ticket_ops.merge(session, actor=ada, source=1009, target=1001)
        ticket_ops.link(session, actor=ada, number=1001, other=1002)
        ticket_ops.link(session, actor=ada, number=1006, other=1001)
        for incident in (1005, 1007, 1008):
            ticket_ops.link(session, actor=ada, number=incident, other=1004, kind="incident")
        session.flush()
        # Hostile text where it is shown, and what no command writes (an organization; the
        # times, three tickets to one, every other one on a whole second).
        session.execute(text("INSERT INTO organizations (name, domain, created_at) "
                             "VALUES (:name, 'acme.test', :at)"),
                        {"name": f"Acme {HOSTILE}", "at": _stored(store, NOW)})
        session.execute(text("UPDATE customers SET organization_id = (SELECT id FROM "
                             "organizations) WHERE email = 'carol@acme.test'"))
        session.execute(text("UPDATE customers SET name = :name WHERE email = 'dave@else.test'"),
                        {"name": f"Dave {HOSTILE}"})
        session.execute(text("UPDATE tickets SET subject = :subject WHERE id IN (1001, 1002, "
                             "1004, 1006)"), {"subject": f"Printer {HOSTILE}"})
        session.execute(text("UPDATE messages SET body = body || :tail"), {"tail": HOSTILE})
        session.execute(text("UPDATE outbox SET state = 'sent', attempts = 2, last_error = :e, "
                             "sent_at = :at"), {"e": f"451 {HOSTILE}", "at": _stored(store, NOW)})
        session.execute(text("UPDATE events SET new = :new WHERE field = 'priority'"),
                        {"new": f"urgent {HOSTILE}"})
        for index in range(TICKETS):
            when = NOW - timedelta(hours=index // 3, microseconds=(index // 3) % 2 * 123456)
            session.execute(text("UPDATE tickets SET updated_at = :when WHERE id = :number"),
                            {"when": _stored(store, when), "number": 1001 + index})

    store.write(work)


def _stored(store: Store, when: datetime):
    """A time as the store writes it (SQLite: the text of SQLAlchemy's dialect)."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f") if store.is_sqlite else when


def _store_detail(url: str, number: int):
    store = Store(url)
    try:
        with store.read() as session:
            return tickets.get_ticket(session, number=number)
    finally:
        store.dispose()


def _store_page(url: str, *, limit: int, after: str | None):
    store = Store(url)
    try:
        with store.read() as session:
            return ticket_reads.list_tickets(session, limit=limit, cursor=after, me="ada")
    finally:
        store.dispose()


def _zones(detail) -> list:
    summaries = [detail.ticket, *detail.links.related, *detail.links.incidents]
    return ([(s.created_at.tzinfo, s.updated_at.tzinfo) for s in summaries]
            + [m.created_at.tzinfo for m in detail.messages] + [e.at.tzinfo for e in detail.events])


# --- the values ------------------------------------------------------------------------------


def test_every_ticket_read_in_plain_sql_is_the_stores(stores):
    url = stores.url(seeded=seed_plain)
    for number in range(1001, 1001 + TICKETS):
        plain = plain_reads.ticket_detail(url, number=number, username="ada", act_as=None)
        stored = _store_detail(url, number)
        assert plain == stored, number
        assert _zones(plain) == _zones(stored)
        assert as_json(plain) == as_json(stored)
    # What makes the comparison worth something: the seeded desk holds all of it.
    first = plain_reads.ticket_detail(url, number=1001, username="ada", act_as=None)
    assert first.merged_from == (1003, 1009) and first.minutes_spent == 120
    assert {m.author_kind for m in first.messages} == {"agent", "customer"}
    assert {m.public for m in first.messages} == {True, False}
    (mailed,) = [m for m in first.messages if m.mail is not None]
    assert (mailed.mail.state, mailed.mail.attempts, mailed.mail.at) == ("sent", 2, NOW)
    assert [t.number for t in first.links.related] == [1002, 1006]
    assert first.requester.organization.startswith("Acme \x1b[2J")
    assert HOSTILE in first.ticket.subject and len(first.ticket.tags) > 3
    assert first.ticket.tags == tuple(sorted(first.ticket.tags))
    assert any(HOSTILE in (event.new or "") for event in first.events)
    problem = plain_reads.ticket_detail(url, number=1004, username="ada", act_as=None)
    assert [t.number for t in problem.links.incidents] == [1005, 1007, 1008]
    incident = plain_reads.ticket_detail(url, number=1005, username="ada", act_as=None)
    assert incident.links.problem.number == 1004
    merged = plain_reads.ticket_detail(url, number=1003, username="bert", act_as=None)
    assert merged.merged_into == 1001 and merged.ticket.status == "closed"
    bare = plain_reads.ticket_detail(url, number=1002, username="ada", act_as="bert")
    assert bare.ticket.assignee is None and bare.ticket.group is None
    assert bare.requester.organization is None and bare.ticket.tags == ()


@pytest.mark.parametrize("limit", [1, 4, 1_000])
def test_every_page_of_the_newest_tickets_is_the_stores_cursors_included(stores, limit):
    url = stores.url(seeded=seed_plain)
    after, pages = None, 0
    while pages <= TICKETS:
        plain = plain_reads.newest_tickets(url, username="ada", act_as=None, limit=limit,
                                           after=after)
        assert plain == _store_page(url, limit=limit, after=after)
        assert [(t.created_at.tzinfo, t.updated_at.tzinfo) for t in plain.items] == \
            [(UTC, UTC)] * len(plain.items)
        pages += 1
        if plain.next_cursor is None:
            break
        after = plain.next_cursor
    assert pages == -(-TICKETS // limit)  # ties cut by a page's end included


def test_a_cursor_in_another_zone_or_without_microseconds_pages_as_the_stores(stores):
    url = stores.url(seeded=seed_plain)
    for moment, number in ((NOW - timedelta(hours=1), 1005), (NOW - timedelta(hours=2), 1008),
                           (NOW.astimezone(datetime.fromisoformat(
                               "2026-01-01T00:00+05:30").tzinfo), 1001)):
        cursor = encode_cursor("-updated", moment, number)
        plain = plain_reads.newest_tickets(url, username="ada", act_as=None, limit=4,
                                           after=cursor)
        assert plain == _store_page(url, limit=4, after=cursor) and plain.items


def test_the_plain_list_takes_the_stores_largest_page():
    assert plain_reads.MAX_PAGE == ticket_reads.MAX_PAGE


# --- the command's output ----------------------------------------------------------------------


def _invoke(url: str, *args: str):
    result = CliRunner().invoke(app, ["--db", url, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _through_the_store(monkeypatch, url: str, *args: str):
    with monkeypatch.context() as patch:
        patch.setattr(CliContext, "plain", lambda self, read: None)
        return _invoke(url, *args)


def _in_plain_sql(monkeypatch, url: str, *args: str):
    def no_store(self, **_options):
        raise AssertionError("the store was opened")

    with monkeypatch.context() as patch:
        patch.setattr(CliContext, "store", no_store)
        return _invoke(url, *args)


def _both_ways(monkeypatch, url: str, *args: str):
    """The command's exit code, stdout and stderr when it may read in plain SQL, and when it
    must read through the store."""
    return _invoke(url, *args), _through_the_store(monkeypatch, url, *args)


SHOWN = [("ticket", "show", str(n)) for n in range(1001, 1001 + TICKETS)] + [
    ("ticket", "show", "#01001", "--json"), ("ticket", "show", "1002", "--json"),
    ("ticket", "show", "1004", "--json"), ("ticket", "show", "1005", "--json"),
    ("ticket", "show", "1003", "--json"),
]
LISTED = [("ticket", "list"), ("ticket", "list", "--json"), ("ticket", "list", "--limit", "4"),
          ("ticket", "list", "--limit", "4", "--json"), ("ticket", "list", "--sort", "-updated"),
          ("ticket", "list", "--limit", "3", "--after", "")]


@pytest.mark.parametrize("terminal", [False, True])
def test_the_commands_print_what_the_stores_path_prints(stores, monkeypatch, as_user,
                                                        terminal):
    url = stores.url(seeded=seed_plain)
    if terminal:  # styled lines, and the hint of a next page on stderr
        monkeypatch.setattr(output, "stdout_is_terminal", lambda: True)
        monkeypatch.setattr(cli_tickets, "stdout_is_terminal", lambda: True)
    for args in SHOWN + LISTED:
        plain = _in_plain_sql(monkeypatch, url, *args)  # the store is never opened
        assert plain == _through_the_store(monkeypatch, url, *args), args
        assert plain[0] == 0 and plain[1]
    err = _in_plain_sql(monkeypatch, url, "ticket", "list", "--limit", "4")[2]
    assert ("more: --after " in err) is terminal
    # the next pages, with the cursor the first one handed out
    cursor = _invoke(url, "ticket", "list", "--limit", "4", "--json")[1].split(
        '"next_cursor": "')[1].split('"')[0]
    for args in (("ticket", "list", "--limit", "4", "--after", cursor),
                 ("ticket", "list", "--limit", "4", "--after", cursor, "--json")):
        assert _in_plain_sql(monkeypatch, url, *args) == _through_the_store(monkeypatch, url,
                                                                            *args)


def test_a_filter_or_another_order_is_the_stores_path(monkeypatch, tmp_path, as_user):
    path = tmp_path / "desk.sqlite3"
    shutil.copyfile(sqlite_template(seeded=seed_plain), path)
    url = f"sqlite:///{path}"
    for args in (("--status", "open"), ("--assignee", "none"), ("--tag", "vpn"),
                 ("--sort", "-created"), ("--sort", "updated"), ("--query", "status:open"),
                 ("--status", "")):
        with pytest.raises(AssertionError, match="the store was opened"):
            _in_plain_sql(monkeypatch, url, "ticket", "list", *args)


# --- what the plain path leaves to the store -----------------------------------------------------


def _behind(store: Store) -> None:
    store.write(lambda s: s.execute(text("UPDATE alembic_version SET version_num = '0007'")))


def _deactivate_bert(store: Store) -> None:
    store.write(lambda s: people.set_agent(s, username="bert", active=False))


REFUSED = [
    # (os user, global options, command, change to the desk)
    ("nobody", (), ("ticket", "show", "1001"), None),               # an unknown agent
    ("nobody", (), ("ticket", "list"), None),
    ("bert", (), ("ticket", "show", "1001"), _deactivate_bert),    # a deactivated one
    ("bert", (), ("ticket", "list", "--json"), _deactivate_bert),
    ("bert", ("--as", "ada"), ("ticket", "show", "1001"), None),   # --as by an agent
    ("bert", ("--as", "ada"), ("ticket", "list"), None),
    ("ada", ("--as", "nobody"), ("ticket", "show", "1001"), None),  # --as someone unknown
    ("ada", (), ("ticket", "show", "1001"), _behind),               # an out-of-date schema
    ("ada", (), ("ticket", "list"), _behind),
    ("ada", (), ("ticket", "show", "4242"), None),                  # no such ticket
    ("ada", (), ("ticket", "show", "#2147483647"), None),
    ("ada", (), ("ticket", "show", "12a"), None),                   # not a reference
    ("ada", (), ("ticket", "show", "99999999999"), None),
    ("ada", (), ("ticket", "list", "--after", "bm90IGEgY3Vyc29y"), None),  # not a cursor
    ("ada", (), ("ticket", "list", "--after", encode_cursor("-created", "2026-03-02T09:30:00+00:00",
                                                           1001)), None),
    ("ada", (), ("ticket", "list", "--after", encode_cursor("-updated", "2026-03-02T09:30:00",
                                                           1001)), None),  # no zone
    ("ada", (), ("ticket", "list", "--after", encode_cursor("-updated", 5, 1001)), None),
    ("ada", (), ("ticket", "list", "--after", encode_cursor("-updated", "2026-03-02T09:30:00Z",
                                                           2**31)), None),
]


@pytest.mark.parametrize(("username", "options", "command", "change"), REFUSED)
def test_what_the_plain_path_does_not_cover_is_refused_as_the_store_refuses_it(
        stores, monkeypatch, as_user, username, options, command, change):
    url = stores.url(seeded=seed_plain)
    if change is not None:
        store = Store(url)
        try:
            change(store)
        finally:
            store.dispose()
    as_user(username)
    assert _refused_the_same(monkeypatch, url, *options, *command)


def _refused_the_same(monkeypatch, url: str, *args: str) -> bool:
    given, stored = _both_ways(monkeypatch, url, *args)
    assert given == stored
    assert given[0] == 1 and given[1] == "" and given[2].startswith("deskterm: ")
    assert given[2].count("\n") == 1
    return True


@pytest.mark.parametrize(("url", "refused"), [
    ("sqlite:///{folder}/missing.sqlite3", True),
    ("sqlite:///{folder}", True),                               # a directory
    ("sqlite:///{folder}/desk.sqlite3?mode=ro", False),         # a query string SQLAlchemy reads
    ("sqlite:///{folder}/desk%2Esqlite3", None),                # an escape it may decode
    ("sqlite+pysqlite:///{folder}/desk.sqlite3", False),        # another driver's name
    ("postgresql://postgres@127.0.0.1:1/desk?connect_timeout=1", True),  # a query string
    ("postgresql://postgres@127.0.0.1:1/desk", True),           # no server there
])
@pytest.mark.parametrize("command", [("ticket", "show", "1001"), ("ticket", "list")])
def test_a_desk_the_plain_path_does_not_read_is_the_stores_to_open_or_refuse(
        tmp_path, monkeypatch, as_user, url, refused, command):
    shutil.copyfile(sqlite_template(seeded=seed_plain), tmp_path / "desk.sqlite3")
    url = url.format(folder=tmp_path)
    with pytest.raises(plain_reads.NotCovered):
        plain_reads.ticket_detail(url, number=1001, username="ada", act_as=None)
    with pytest.raises(plain_reads.NotCovered):
        plain_reads.newest_tickets(url, username="ada", act_as=None, limit=50, after=None)
    given, stored = _both_ways(monkeypatch, url, *command)
    assert given == stored
    if refused is not None:
        assert (given[0], given[2].startswith("deskterm: ")) == ((1, True) if refused
                                                                 else (0, False))
    assert not (tmp_path / "missing.sqlite3").exists()  # nothing was created


def test_an_unforeseen_failure_of_the_plain_path_falls_back_to_the_store(tmp_path, monkeypatch,
                                                                       as_user):
    path = tmp_path / "desk.sqlite3"
    shutil.copyfile(sqlite_template(seeded=seed_plain), path)
    url = f"sqlite:///{path}"

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug in the plain path")

    expected = [_through_the_store(monkeypatch, url, "ticket", "show", "1001", "--json"),
                _through_the_store(monkeypatch, url, "ticket", "list", "--json")]
    monkeypatch.setattr(plain_reads, "read_ticket", broken)
    monkeypatch.setattr(plain_reads, "read_newest", broken)
    assert [_invoke(url, "ticket", "show", "1001", "--json"),
            _invoke(url, "ticket", "list", "--json")] == expected
    assert expected[0][0] == 0 and expected[1][0] == 0


# --- what the plain path loads -----------------------------------------------------------------


HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "textual", "deskterm.db.models",
         "deskterm.db.engine", "deskterm.desk.tickets.ticket", "deskterm.desk.tickets.reads",
         "deskterm.desk.filter.sql", "deskterm.desk.people.auth")


@pytest.mark.parametrize("command", [("ticket", "show", "1001"), ("ticket", "show", "1001",
                                                                   "--json"),
                                     ("ticket", "list", "--limit", "50")])
def test_the_covered_commands_load_no_store_code(tmp_path, command):
    path = tmp_path / "desk.sqlite3"
    shutil.copyfile(sqlite_template(seeded=seed_plain), path)
    url = f"sqlite:///{path}"
    me = os_username()
    if me not in ("ada", "bert"):  # the process runs as the operating-system user
        store = Store(url)
        try:
            store.write(lambda s: people.add_agent(s, username=me))
        finally:
            store.dispose()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c",
         "import sys; from deskterm.launch import main; sys.argv[0] = 'deskterm'; main()",
         "--db", url, *command], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith(("#1001", "{", "#"))
    loaded = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()
              if line.startswith("import time:")}
    assert "deskterm.desk.plain_reads" in loaded
    assert not {name for name in loaded if name.startswith(HEAVY)}


def test_a_ticket_reference_is_read_without_the_store():
    run = subprocess.run([sys.executable, "-c", "import sys; from deskterm.desk.tickets.checks "
                          "import parse_ref; print(parse_ref('#42'), 'sqlalchemy' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert run.stdout == "42 False\n"
