"""A filter resolved once (:mod:`deskterm.desk.filter.resolved`): each name looked up once, the
words' estimates made once, and every count, window and page after it reading no name again;
on SQLite and PostgreSQL. The statements are counted with a SQLAlchemy event on the engine."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

import pytest

from deskterm.desk.filter import language
from deskterm.desk.filter.language import QueryError
from deskterm.desk.filter.resolved import ResolvedQuery, resolve_filter, resolve_query
from deskterm.desk.filter.ticket_filter import TextMatch, TicketFilter
from deskterm.desk.queue import windows as queue
from deskterm.desk.tickets.reads import list_tickets

from .helpers import statements
from .test_query import NOW, NUMBERS, Desk, build_desk

NAME_TABLES = ("agents", "agent_groups", "organizations", "customers", "tags")
READ_TABLES = (*NAME_TABLES, "agent_group_members")
_FROM = re.compile(r"\bFROM\s+(\w+)", re.IGNORECASE)
ESTIMATE = re.compile(r"LIMIT 20000|EXPLAIN")
"""What a word's estimate reads (SQLite: a capped count of its documents; PostgreSQL: the
planner's estimate)."""


@pytest.fixture
def desk(stores) -> Desk:
    """test_query's seven-ticket desk (a copy of its template)."""
    return Desk(stores.store(seeded=build_desk), NUMBERS)




def name_reads(seen: list[str]) -> Counter:
    """How many statements read each table that names live in (first FROM of each)."""
    counted: Counter = Counter()
    for statement in seen:
        found = _FROM.search(statement)
        if found and found.group(1).lower() in READ_TABLES:
            counted[found.group(1).lower()] += 1
    return counted


def resolving(desk: Desk, text: str) -> tuple[ResolvedQuery, Counter]:
    with desk.store.read() as session, statements(desk.store) as seen:
        resolved = resolve_query(session, text, me="ada", now=NOW)
    return resolved, name_reads(seen)


def test_each_name_is_looked_up_once_however_often_the_filter_names_it(desk):
    _, once = resolving(desk, 'assignee:bert,me group:billing org:"Acme Corp" tag:vpn '
                              "requester:carol@acme.com")
    assert set(NAME_TABLES) <= set(once)
    resolved, repeated = resolving(
        desk, 'assignee:bert,bert -assignee:bert,me group:billing,billing -group:billing '
              'org:"Acme Corp" org:"Acme Corp" tag:vpn,VPN -tag:vpn requester:carol@acme.com '
              'requester:carol@acme.com assignee:me')
    assert repeated == once
    assert once["tags"] == 1  # every tag of the filter in one read
    assert [clause.field for clause in resolved.clauses] == [
        "assignee", "assignee", "group", "group", "org", "org", "tag", "tag", "requester",
        "requester", "assignee"]
    assert all(isinstance(value, int) for clause in resolved.clauses for value in clause.values)


def test_the_resolved_query_holds_ids_and_selects_as_the_names_do(desk):
    resolved, _ = resolving(desk, 'group:"Level 2" assignee:bert,none sort:number')
    group, assignee = resolved.clauses
    assert group.values != ("Level 2",) and all(isinstance(v, int) for v in group.values)
    assert assignee.values[1] is None  # none: unassigned
    with desk.store.read() as session:
        page = list_tickets(session, where=resolved, sort=resolved.sort)
    assert [t.number for t in page.items] == [desk.numbers["B"]]


def test_counts_windows_and_pages_reuse_it_reading_no_name_and_no_estimate(desk):
    text = "assignee:bert,none -tag:spam group:none,billing,\"Level 2\" org:\"Acme Corp\" printer"
    with desk.store.read() as session:
        resolved = resolve_query(session, text, me="ada", now=NOW)
        with statements(desk.store) as seen:
            total = queue.count_matching(session, resolved, me="ada")
            rows = queue.fetch_window(session, resolved, me="ada", start=0, count=1,
                                      total=total)
            queue.fetch_window(session, resolved, me="ada", start=1, count=1, total=total,
                               anchor=rows[-1] if rows else None)
            queue.fetch_window(session, resolved, me="ada", start=max(total - 1, 0), count=1,
                               total=total)
            queue.matching_numbers(session, resolved, me="ada")
            list_tickets(session, where=resolved, sort=resolved.sort, limit=1)
    assert not name_reads(seen)
    assert not [statement for statement in seen if ESTIMATE.search(statement)]
    assert seen  # the windows were read


def test_a_word_is_estimated_once_when_resolved(desk):
    with desk.store.read() as session, statements(desk.store) as seen:
        resolved = resolve_filter(session, TicketFilter(text=(TextMatch("toner"),)))
    assert len(resolved.text) == 1
    estimates = [statement for statement in seen if ESTIMATE.search(statement)]
    assert 1 <= len(estimates) <= 2  # SQLite: one capped count; PostgreSQL: subjects, bodies


def test_an_unknown_name_is_still_refused_at_its_value_with_the_same_message(desk):
    text = "assignee:bert,bert,nobody group:billing"
    with desk.store.read() as session, pytest.raises(QueryError) as caught:
        resolve_query(session, text, me="ada", now=NOW)
    assert str(caught.value) == ("assignee:bert,bert,nobody — no agent named 'nobody' "
                                 "(see `deskterm agent list`)")
    assert text[caught.value.position:][:caught.value.length] == "nobody"


def test_the_parser_reads_no_desk():
    source = language.__file__
    with open(source, encoding="utf-8") as handle:
        code = handle.read()
    assert "Session" not in code and "sqlalchemy" not in code and "sqlmodel" not in code


def test_count_of_one_common_word_in_the_index_alone_matches_the_count_through_tickets(desk):
    """The index-only count (SQLite, for a word too common to be "rare") against the usual
    one through ``tickets`` (the word is rare on this small desk: forced common here)."""
    with desk.store.read() as session:
        resolved = resolve_filter(session, TicketFilter(text=(TextMatch("the"),)))
        [word] = resolved.text
        common = replace(resolved, text=(replace(word, plan=replace(word.plan, rare=False)),))
        through_tickets = queue.count_matching(session, resolved, me=None)
        assert through_tickets == 4  # B, D (its body and its reply), E, G
        assert queue.count_matching(session, common, me=None) == through_tickets


def test_the_tags_of_every_clause_are_read_at_once(desk):
    resolved, reads = resolving(desk, "tag:vpn -tag:spam tag:wifi,nosuchtag")
    assert reads["tags"] == 1
    assert [len(clause.values) for clause in resolved.clauses] == [1, 1, 1]  # nosuchtag: none
    assert desk.find("tag:vpn -tag:spam tag:wifi,nosuchtag") == {"B"}
