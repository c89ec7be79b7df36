"""Bounded queries on both stores: the filter's caps, punctuation left out, reads stopped after
their time (and the message that says so), a read too large for the database, reads stopped when
the store closes, and on PostgreSQL no query left running by a killed client."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy import event, text

from deskterm.db.engine import Store
from deskterm.db.errors import QueryStopped
from deskterm.desk.filter.language import MAX_LENGTH, MAX_TERMS, QueryError, parse_query
from deskterm.desk.kb import search as kb_search
from deskterm.desk.queue import windows as queue
from deskterm.desk.service import Desk

from .helpers import new_ticket

NEVER_ENDING = {
    # Both run far longer than any test (minutes), never for ever: a broken bound fails slowly.
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 2000000000) "
              "SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(600)",
}
FEW_SECONDS = 10.0


def slow_sql(store: Store) -> str:
    return NEVER_ENDING[store.url.get_backend_name()]


def bounded(store: Store, read_timeout: float) -> Store:
    """Another Store on the same database with another read timeout (disposed by the caller)."""
    return Store(store.url.render_as_string(hide_password=False), read_timeout=read_timeout)


# --- The caps -----------------------------------------------------------------------------------


def test_a_filter_with_more_terms_than_the_cap_is_refused_at_the_first_extra_term():
    text_ = " ".join(f"w{i}" for i in range(312))
    with pytest.raises(QueryError) as caught:
        parse_query(text_)
    assert str(caught.value) == f"the filter has 312 terms; at most {MAX_TERMS}"
    assert text_[caught.value.position:].startswith(f"w{MAX_TERMS} ")
    assert caught.value.pointer(text_).splitlines()[1].lstrip().startswith("^")


def test_a_filter_at_the_caps_is_accepted():
    terms = ["status:open", "-tag:spam", *(f"word{i}" for i in range(MAX_TERMS - 2))]
    parsed = parse_query(" ".join(terms))
    assert len(parsed.field_terms) + len(parsed.text_terms) == MAX_TERMS
    long = '"' + "a" * (MAX_LENGTH - 2) + '"'
    assert parse_query(long).text_terms[0].text == "a" * (MAX_LENGTH - 2)


def test_a_filter_longer_than_the_cap_is_refused_pointing_past_the_cap():
    text_ = "printer " * 1125
    with pytest.raises(QueryError) as caught:
        parse_query(text_)
    assert str(caught.value) == f"the filter is 9,000 characters; at most {MAX_LENGTH:,}"
    assert (caught.value.position, caught.value.length) == (MAX_LENGTH, 9_000 - MAX_LENGTH)


def test_the_length_cap_comes_before_any_other_complaint():
    with pytest.raises(QueryError, match="characters; at most"):
        parse_query("\x00" + '"' * 5_000)


def test_the_cli_says_a_capped_filter_in_one_line(cli, admin):
    result = cli("ticket", "list", "--query", " ".join(["(a)"] * 312))
    assert result.exit_code == 1
    assert result.stderr == (f"deskterm: --query, column {MAX_TERMS * 4 + 1}: the filter has "
                             f"312 terms; at most {MAX_TERMS}\n")
    result = cli("ticket", "list", "--query", "x" * 9_000)
    assert result.exit_code == 1
    assert result.stderr == (f"deskterm: --query, column {MAX_LENGTH + 1}: the filter is 9,000 "
                             f"characters; at most {MAX_LENGTH:,}\n")


def test_kb_search_has_the_same_caps(cli, store, admin):
    result = cli("kb", "search", " ".join(["vpn"] * 312))
    assert (result.exit_code, result.stderr) == (
        1, f"deskterm: the search has 312 terms; at most {MAX_TERMS}\n")
    result = cli("kb", "search", "x" * 9_000)
    assert (result.exit_code, result.stderr) == (
        1, f"deskterm: the search is 9,000 characters; at most {MAX_LENGTH:,}\n")
    with store.read() as session:
        assert kb_search.search_articles(session, query=" ".join(["vpn"] * MAX_TERMS)) == []


# --- Punctuation ----------------------------------------------------------------------------------


def test_terms_without_letters_or_digits_are_left_out_of_the_filter():
    parsed = parse_query('printer ( ) ... -w3 -( :-) "--" "!?" ﹙')
    assert [(term.text, term.negated) for term in parsed.text_terms] == [
        ("printer", False), ("w3", True)]


def test_a_filter_of_punctuation_runs_like_no_filter_on_both_stores(store, admin):
    numbers = {new_ticket(store, admin, subject=f"Printer {i} (again)", body="Jam :-)").number
               for i in range(3)}
    with store.read() as session:
        punctuation = queue.resolve(session, " ".join(["("] * MAX_TERMS), me="ada",
                                    now=datetime.now(UTC))
        assert punctuation.where.text == ()
        assert queue.count_matching(session, punctuation, me="ada") == len(numbers)


# --- Time ---------------------------------------------------------------------------------------


def test_a_read_past_its_time_is_stopped_and_says_so(store, admin):
    slow = bounded(store, 0.2)
    desk = Desk(slow, admin)
    try:
        started = time.monotonic()
        with pytest.raises(QueryStopped) as caught, slow.read() as session:
            session.execute(text(slow_sql(slow))).all()
        assert str(caught.value) == ("the search took longer than 0.2 s and was stopped: "
                                     "narrow the filter")
        assert time.monotonic() - started < FEW_SECONDS
        # The desk on that store answers the queue's next read.
        assert desk.queue_window("status:new", start=0, count=10).total == 0
    finally:
        slow.dispose()


def test_writes_are_not_bound_by_the_read_timeout(store, admin):
    # 1 ms on PostgreSQL; on SQLite a deadline already passed at the first look at the clock.
    strict = bounded(store, 0.001 if not store.is_sqlite else 0.0)
    work = ("SELECT pg_sleep(0.3), 300000" if not store.is_sqlite else
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 300000) "
            "SELECT 0, count(*) FROM c")
    try:
        with pytest.raises(QueryStopped, match="took longer than"), strict.read() as session:
            session.execute(text(work)).all()
        assert strict.write(lambda session: session.execute(text(work)).one()[1]) == 300_000
        with strict.read() as session:  # short reads still pass
            assert session.execute(text("SELECT 1")).scalar() == 1
    finally:
        strict.dispose()


def test_a_read_too_large_for_the_database_says_so(store):
    # SQLite: "Expression tree is too large"; PostgreSQL: "stack depth limit exceeded".
    terms = 1_001 if store.is_sqlite else 100_000
    with pytest.raises(QueryStopped) as caught, store.read() as session:
        session.execute(text("SELECT " + " + ".join(["1"] * terms))).scalar()
    assert str(caught.value) == ("the search is too large for the database to run: use fewer "
                                 "or shorter terms")


def test_closing_the_store_stops_a_read_running_in_another_thread(store, admin):
    closing = bounded(store, 600)
    started = threading.Event()
    event.listen(closing.engine, "before_cursor_execute", lambda *args: started.set())
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            with closing.read() as session:
                session.execute(text(slow_sql(closing))).all()
        except BaseException as exc:  # handed to the test's thread
            outcome.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    assert started.wait(FEW_SECONDS)
    time.sleep(0.2)  # the statement reaches the database
    closing.dispose()
    reader.join(FEW_SECONDS)
    assert not reader.is_alive()
    assert [str(exc) for exc in outcome] == ["the search was stopped: deskterm is closing"]
    assert isinstance(outcome[0], QueryStopped)


INTERRUPTED_CLIENT = """
import sys
from sqlalchemy import text
from deskterm.db.engine import Store
store = Store(sys.argv[1], read_timeout=600)
try:
    print("reading", flush=True)
    with store.read() as session:
        session.execute(text(sys.argv[2])).all()
except BaseException as exc:
    print(type(exc).__name__, exc)
"""


def test_ctrl_c_during_a_read_is_an_interruption_not_a_timeout(store):
    url = store.url.render_as_string(hide_password=False)
    client = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTED_CLIENT, url, slow_sql(store)], stdout=subprocess.PIPE,
        text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        # Past its imports (a Ctrl-C there is not this test's business, and takes over a second
        # on a busy machine); then the read has started, or not: Ctrl-C is Ctrl-C either way.
        assert client.stdout.readline() == "reading\n"
        time.sleep(0.2)
        client.send_signal(signal.SIGINT)
        output, _ = client.communicate(timeout=FEW_SECONDS)
    finally:
        client.kill()
    assert output.strip() == "KeyboardInterrupt"


# --- A killed client (PostgreSQL) ---------------------------------------------------------------

KILLED_CLIENT = """
import sys
from sqlalchemy import text
from deskterm.db.engine import Store
store = Store(sys.argv[1], read_timeout=600)
with store.read() as session:
    session.execute(text("SELECT pg_sleep(600) AS killed_client_marker")).all()
"""


def running_marker(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND query LIKE '%killed_client_marker%' AND pid <> pg_backend_pid() "
            "AND datname = current_database()").fetchone()[0]


def wait_for(condition, seconds: float = FEW_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_a_client_killed_mid_query_leaves_no_query_running(store):
    if store.is_sqlite:
        pytest.skip("PostgreSQL: SQLite runs inside the client")
    url = store.url.set(drivername="postgresql").render_as_string(hide_password=False)
    client = subprocess.Popen([sys.executable, "-c", KILLED_CLIENT, url])
    try:
        assert wait_for(lambda: running_marker(url) == 1)
    finally:
        client.send_signal(signal.SIGKILL)
        client.wait()
    assert wait_for(lambda: running_marker(url) == 0)


def test_a_refused_tag_is_named_on_one_clean_line():
    from deskterm.desk.errors import InvalidInput
    from deskterm.desk.tickets.checks import normalize_tags

    with pytest.raises(InvalidInput) as refused:
        normalize_tags(["\x1b]52;c;SGVsbG8=\x07\r\n" + "x" * 500])
    message = str(refused.value)
    assert "\n" not in message and "\r" not in message and "\x1b" not in message
    assert "is not a tag" in message and len(message) < 250
