"""Full-text search on both stores: words and phrases in many alphabets, Chinese substrings, text
written after the ticket (replies, notes, customer messages, subject changes), negation, field
clauses, hostile terms, a bulk-loaded demo desk, relevance order, and the migration."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlmodel import select

from deskterm.db import migrate, search
from deskterm.db.engine import Store
from deskterm.db.models import Message, Ticket
from deskterm.demo.generator import seed_demo
from deskterm.desk.filter.language import query_tickets
from deskterm.desk.filter.sql import RELEVANCE
from deskterm.desk.filter.ticket_filter import TextMatch, TicketFilter
from deskterm.desk.queue import windows as queue
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.reads import list_tickets

from .helpers import change, new_ticket

CHINESE = "自从昨天更新后，客户端每隔几分钟就断开一次。重启和重新安装都没有用。"


def found(store: Store, query: str) -> set[int]:
    """The numbers of every ticket ``query`` (the filter language) selects."""
    numbers, cursor = set(), None
    with store.read() as session:
        while True:
            page = query_tickets(session, query, limit=200, cursor=cursor)
            numbers.update(item.number for item in page.items)
            cursor = page.next_cursor
            if cursor is None:
                return numbers


def matching(store: Store, *terms: TextMatch, sort: str = "-updated") -> list[int]:
    with store.read() as session:
        page = list_tickets(session, where=TicketFilter(text=terms), sort=sort, limit=1_000)
    return [item.number for item in page.items]


@pytest.fixture
def desk(store, admin):
    """Tickets in several languages; returns their numbers by a short name."""
    made = {}

    def file(name, subject, body, email="carol@acme.test"):
        made[name] = new_ticket(store, admin, subject=subject, body=body,
                                requester_email=email).number

    file("printer", "Printer jams on page 2", "Every second page jams in the printer tray.")
    file("jam", "Toner low", "The jam is gone but the printer shows a toner warning.")
    file("polish", "Zamówienie nr 1234", "Zażółć gęślą jaźń: proszę o fakturę do zamówienia.",
         "jan@firma.test")
    file("russian", "Принтер не печатает", "Добрый день! Принтер на третьем этаже не печатает.",
         "ivan@firma.test")
    file("hebrew", "המדפסת לא עובדת", "שלום, המדפסת בקומה השלישית לא מדפיסה.",
         "dana@firma.test")
    file("persian", "چاپگر کار نمی‌کند", "سلام، چاپگر طبقه سوم چاپ نمی‌کند. لطفا بررسی کنید.",
         "sara@firma.test")
    file("chinese", "VPN经常断开", CHINESE, "wei@firma.test")
    return made


# --- What a term finds --------------------------------------------------------------------------


def test_an_english_word_finds_subjects_and_bodies(store, desk):
    assert found(store, "printer") == {desk["printer"], desk["jam"]}
    assert found(store, "toner") == {desk["jam"]}
    assert found(store, "tray") == {desk["printer"]}


def test_case_does_not_matter(store, desk):
    assert found(store, "PRINTER") == found(store, "printer") == found(store, "Printer")


def test_a_phrase_needs_its_words_together_and_in_order(store, desk):
    assert found(store, '"printer tray"') == {desk["printer"]}
    assert found(store, '"tray printer"') == set()
    assert found(store, '"every page"') == set()  # "Every second page": not adjacent
    assert found(store, '"second page jams"') == {desk["printer"]}
    assert found(store, '"printer jams"') == {desk["printer"]}  # the subject


def test_words_are_whole_words(store, desk):
    assert found(store, "print") == set()
    assert found(store, "jams") == {desk["printer"]}


def test_polish_words_with_diacritics_in_any_case(store, desk):
    assert found(store, "zażółć") == {desk["polish"]}
    assert found(store, "Zamówienie") == found(store, "zamówienie") == {desk["polish"]}
    assert found(store, "ZAMÓWIENIE") == {desk["polish"]}
    assert found(store, "jaźń") == {desk["polish"]}


def test_russian_hebrew_and_persian_words(store, desk):
    assert found(store, "принтер") == found(store, "ПРИНТЕР") == {desk["russian"]}
    assert found(store, "печатает") == {desk["russian"]}
    assert found(store, "המדפסת") == {desk["hebrew"]}
    assert found(store, "השלישית") == {desk["hebrew"]}
    assert found(store, "چاپگر") == {desk["persian"]}
    assert found(store, "بررسی") == {desk["persian"]}
    assert found(store, "نمی‌کند") == {desk["persian"]}  # with its zero-width non-joiner


def test_chinese_is_found_by_substrings_of_any_length(store, desk):
    assert found(store, "断开") == {desk["chinese"]}  # two characters, also in the subject
    assert found(store, "安装") == {desk["chinese"]}  # two characters, only in the body
    assert found(store, "每隔几分钟") == {desk["chinese"]}
    assert found(store, "重新安装都没有用") == {desk["chinese"]}
    assert found(store, "断") == {desk["chinese"]}
    assert found(store, "打印机") == set()


def test_a_latin_word_written_against_chinese_characters_is_found(store, desk):
    assert found(store, "vpn") == {desk["chinese"]}


def test_several_terms_must_all_match(store, desk):
    assert found(store, "printer toner") == {desk["jam"]}
    assert found(store, "printer tray") == {desk["printer"]}
    assert found(store, "printer принтер") == set()


def test_negated_terms_leave_tickets_out(store, desk):
    everything = set(desk.values())
    assert found(store, "-printer") == everything - {desk["printer"], desk["jam"]}
    assert found(store, "printer -toner") == {desk["printer"]}
    assert found(store, "-断开") == everything - {desk["chinese"]}
    assert found(store, '-"printer tray"') == everything - {desk["printer"]}


def test_terms_combine_with_field_clauses(store, admin, desk):
    change(store, admin, desk["printer"], status="open", priority="high")
    change(store, admin, desk["jam"], status="open", priority="low")
    change(store, admin, desk["russian"], status="open", priority="high")

    assert found(store, "status:open priority:high printer") == {desk["printer"]}
    assert found(store, "status:open printer") == {desk["printer"], desk["jam"]}
    assert found(store, "priority:high -printer status:open") == {desk["russian"]}
    assert found(store, "requester:firma.test printer") == set()
    assert found(store, "requester:firma.test принтер") == {desk["russian"]}


@pytest.mark.parametrize("term", ['"', "AND", "OR", "NOT", "NEAR(", "NEAR(a b)", "*", "-", "^",
                                  ":", "a:b", "(", ")", "{", "}", "'", "\\", "%", "_", "''",
                                  '"a" OR "b"', "printer*", "^printer", "col:printer", "+", "~",
                                  "\u200f", " ", "a\u0000b"])
def test_terms_with_search_syntax_are_only_text(store, desk, term):
    for negated in (False, True):
        numbers = matching(store, TextMatch(term, negated))
        assert set(numbers) <= set(desk.values())


def test_search_syntax_around_a_word_is_punctuation(store, desk):
    printers = {desk["printer"], desk["jam"]}
    for term in ("printer*", "^printer", "(printer)", '"printer"', "printer-", "printer:"):
        assert set(matching(store, TextMatch(term))) == printers, term


@pytest.mark.parametrize("query", ['"\\""', '"AND"', "NEAR(", '"*"', '"-"', "^", '":"',
                                   '"NEAR(printer tray)"', "printer AND", 'OR "a"', '"))"'])
def test_queries_with_search_syntax_do_not_fail(store, desk, query):
    found(store, query)


def test_a_filter_term_without_letters_or_digits_is_left_out(store, desk):
    everything = set(desk.values())
    for query in ("!", '"*"', '-"*"', "-!", "%", "_", "\\", "( ( ( ...", "-w3 -(", ":-)"):
        assert found(store, query) == everything, query
    assert found(store, "printer ( ) ...") == found(store, "printer")


def test_a_term_without_letters_or_digits_finds_nothing_and_reads_nothing(store, desk):
    """Below the filter language: the condition is a constant, no statement reads a message."""
    statements = []
    with store.read() as session:
        for negated in (False, True):
            condition = search.ticket_condition(session, ":-)", negated=negated)
            statements.append(str(condition.compile(session.get_bind())))
    assert [number for term in (TextMatch("("), TextMatch("...")) for number in
            matching(store, term)] == []
    assert set(matching(store, TextMatch("(", negated=True))) == set(desk.values())
    assert not any("messages" in sql or "LIKE" in sql.upper() for sql in statements)


# --- Text written later ---------------------------------------------------------------------------


def test_a_reply_is_searchable_as_soon_as_it_is_written(store, admin, desk):
    assert found(store, "fuser") == set()

    store.write(lambda s: tickets.add_reply(s, actor=admin, number=desk["jam"],
                                            body="Please replace the fuser unit."))

    assert found(store, "fuser") == {desk["jam"]}


def test_an_internal_note_is_searchable(store, admin, desk):
    store.write(lambda s: tickets.add_note(s, actor=admin, number=desk["russian"],
                                           body="Заказали новый картридж у поставщика."))

    assert found(store, "картридж") == {desk["russian"]}


def test_a_customer_message_is_searchable(store, desk):
    store.write(lambda s: tickets.add_customer_message(
        s, number=desk["chinese"], email="wei@firma.test", body="请问有进展吗？问题依然存在。"))

    assert found(store, "进展") == {desk["chinese"]}
    assert found(store, "问题依然存在") == {desk["chinese"]}


def test_a_changed_subject_is_searched_by_its_new_words(store, desk):
    def rename(session):
        ticket = session.get(Ticket, desk["jam"])
        ticket.subject = "Cartridge warning"
        session.add(ticket)

    store.write(rename)

    assert found(store, "cartridge") == {desk["jam"]}
    assert found(store, "toner") == {desk["jam"]}  # still in its body
    assert found(store, "low") == set()  # only the old subject had it


def test_a_deleted_ticket_leaves_the_index(store, desk):
    def delete(session):
        for message in session.exec(select(Message).where(Message.ticket_id == desk["jam"])):
            session.delete(message)
        session.delete(session.get(Ticket, desk["jam"]))

    store.write(delete)

    assert found(store, "toner") == set()
    assert found(store, "printer") == {desk["printer"]}
    _check_index(store)


def _check_index(store: Store) -> None:
    if store.is_sqlite:
        with store.engine.begin() as connection:
            for table in (search.TEXT_TABLE, search.CJK_TABLE):
                connection.execute(text(f"INSERT INTO {table}({table}) VALUES ('integrity-check')"))


# --- The queue's use: counts, windows, every SQL form --------------------------------------------


def test_counts_and_windows_agree_with_lists(store, admin, desk):
    query = queue.QueueQuery(where=TicketFilter(text=(TextMatch("printer"),)))
    with store.read() as session:
        total = queue.count_matching(session, query, me="ada")
        window = queue.fetch_window(session, query, me="ada", start=0, count=40, total=total)
    assert total == 2
    assert [row.number for row in window] == matching(store, TextMatch("printer"))


@pytest.mark.parametrize("rare", [True, False])
@pytest.mark.parametrize("budget", [0, 10**9])
def test_every_form_of_the_sql_selects_the_same_tickets(store, desk, monkeypatch, rare, budget):
    """A term compiles to a collected set, a walked set (SQLite) or per-ticket probes, by how
    common it is and the statement; all must agree."""
    terms = [TextMatch("printer"), TextMatch("printer", True), TextMatch("断开"),
             TextMatch("每隔几分钟"), TextMatch("断开", True), TextMatch('"printer tray"')]
    expected = {term: (matching(store, term), _counted(store, term)) for term in terms}
    if not rare:
        monkeypatch.setattr(search, "RARE_DOCUMENTS", 0)
    monkeypatch.setattr(search, "PROBE_BUDGET", budget)
    monkeypatch.setattr(search, "PROBE_BUDGET_POSTGRES", budget)

    for term in terms:
        assert (matching(store, term), _counted(store, term)) == expected[term], term


def _counted(store: Store, term: TextMatch) -> int:
    with store.read() as session:
        return queue.count_matching(session, queue.QueueQuery(TicketFilter(text=(term,))),
                                    me="ada")


# --- Relevance ------------------------------------------------------------------------------------


def test_relevance_puts_the_best_match_first(store, admin):
    once = new_ticket(store, admin, subject="Laptop battery",
                      body="The laptop also shows a docking message now and then.").number
    twice = new_ticket(store, admin, subject="Docking station flickers",
                       body="The docking station makes both monitors flicker.").number
    new_ticket(store, admin, subject="Unrelated", body="Nothing to see.")

    assert matching(store, TextMatch("docking"), sort=RELEVANCE) == [twice, once]
    assert matching(store, TextMatch("docking")) == [twice, once]  # newest first anyway
    change(store, admin, once, priority="high")  # now the newest
    assert matching(store, TextMatch("docking")) == [once, twice]
    assert matching(store, TextMatch("docking"), sort=RELEVANCE) == [twice, once]


def test_relevance_pages_visit_every_match_once(store, admin):
    numbers = [new_ticket(store, admin, subject=f"Monitor {i}",
                          body="monitor " * (i % 4 + 1)).number for i in range(9)]
    seen, cursor = [], None
    with store.read() as session:
        while True:
            page = list_tickets(session, where=TicketFilter(text=(TextMatch("monitor"),)),
                                sort=RELEVANCE, limit=2, cursor=cursor)
            seen.extend(item.number for item in page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
    assert sorted(seen) == sorted(numbers)
    assert len(seen) == len(numbers)


def test_relevance_without_words_or_with_too_many_matches_is_the_newest_first(store, admin,
                                                                              monkeypatch):
    for i in range(5):
        new_ticket(store, admin, subject=f"Printer {i}", body="printer")
    newest_first = matching(store, TextMatch("printer"))

    assert matching(store, sort=RELEVANCE) == newest_first
    monkeypatch.setattr(search, "RANK_DOCUMENTS", 3)
    with store.read() as session:
        first = list_tickets(session, where=TicketFilter(text=(TextMatch("printer"),)),
                             sort=RELEVANCE, limit=3)
        rest = list_tickets(session, where=TicketFilter(text=(TextMatch("printer"),)),
                            sort=RELEVANCE, limit=3, cursor=first.next_cursor)
    assert [item.number for item in first.items + rest.items] == newest_first


def _queue_window(store: Store, text: str, start: int = 0, count: int = 50) -> list[int]:
    now = datetime.now(UTC)
    with store.read() as session:
        resolved = queue.resolve(session, text, me=None, now=now)
        total = queue.count_matching(session, resolved, me=None)
        rows = queue.fetch_window(session, resolved, me=None, start=start, count=count,
                                  total=total)
    return [row.number for row in rows]


def test_the_queue_sorts_a_search_by_relevance(store, admin):
    once = new_ticket(store, admin, subject="Laptop battery",
                      body="The laptop also shows a docking message now and then.").number
    twice = new_ticket(store, admin, subject="Docking station flickers",
                       body="The docking station makes both monitors flicker.").number
    change(store, admin, once, priority="high")  # the newest, so first in the usual order

    assert _queue_window(store, "docking") == [once, twice]
    assert _queue_window(store, "docking sort:relevance") == [twice, once]
    assert _queue_window(store, "docking sort:relevance", start=1) == [once]
    with store.read() as session:
        resolved = queue.resolve(session, "docking sort:relevance", me=None,
                                 now=datetime.now(UTC))
        assert queue.matching_numbers(session, resolved, me=None) == ([twice, once], False)


def test_a_relevance_queue_of_too_common_words_is_newest_first(store, admin, monkeypatch):
    numbers = [new_ticket(store, admin, subject=f"Printer {i}", body="printer").number
               for i in range(5)]
    monkeypatch.setattr(search, "RANK_DOCUMENTS", 3)
    assert _queue_window(store, "printer sort:relevance") == numbers[::-1]
    assert _queue_window(store, "sort:relevance") == numbers[::-1]


# --- Bulk loads -----------------------------------------------------------------------------------

DEMO_NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)


def _texts(store: Store) -> dict[int, list[str]]:
    with store.read() as session:
        texts = {number: [subject] for number, subject in session.exec(
            select(Ticket.id, Ticket.subject))}
        for number, body in session.exec(select(Message.ticket_id, Message.body)):
            texts[number].append(body)
    return texts


def _word_oracle(texts: dict[int, list[str]], word: str) -> set[int]:
    return {number for number, parts in texts.items()
            if any(word in re.findall(r"\w+", part.lower()) for part in parts)}


def _first_word(texts: dict[int, list[str]], script: str) -> str:
    """A word of at least five letters of ``script`` (a character class), found in the desk."""
    for parts in texts.values():
        for part in parts:
            words = [w for w in re.findall(r"\w+", part.lower())
                     if len(w) >= 5 and re.fullmatch(f"[{script}]+", w)]
            if words:
                return words[0]
    raise AssertionError(f"no word in [{script}]")


def test_a_bulk_loaded_demo_desk_is_searchable(store, admin):
    seed_demo(store, tickets=300, seed=5, admin="ada", now=DEMO_NOW)
    texts = _texts(store)
    chinese = next(run for parts in texts.values() for part in parts
                   for run in re.findall("[\u4e00-\u9fff]{4,}", part))

    words = ["printer", "invoice", "the", _first_word(texts, "а-жз-ик-яА-ЖЗ-ИК-Я"),
             _first_word(texts, "\u05d0-\u05ea"), _first_word(texts, "\u0627-\u06cc")]
    for word in words:
        expected = _word_oracle(texts, word)
        assert expected, word
        assert found(store, word) == expected, word
    for piece in (chinese[:2], chinese[:3], chinese):
        assert found(store, piece) == {number for number, parts in texts.items()
                                       if any(piece in part for part in parts)}, piece
    _check_index(store)

    # The triggers are back after the load: new text is searchable at once.
    with store.read() as session:
        number = session.exec(select(Ticket.id).where(Ticket.status != "closed")).first()
    store.write(lambda s: tickets.add_note(s, actor=admin, number=number,
                                           body="Escalated to the zeppelin team."))
    assert found(store, "zeppelin") == {number}


# --- Schema ---------------------------------------------------------------------------------------


def test_the_migration_indexes_existing_tickets_and_its_downgrade_removes_search(store, admin):
    number = new_ticket(store, admin, subject="Scanner offline",
                        body="客户端每隔几分钟就断开 since Monday").number
    assert _search_objects(store)

    migrate.downgrade(store, "0002")
    assert not _search_objects(store)

    migrate.upgrade(store)  # 0003 indexes the tickets already there
    assert found(store, "scanner") == found(store, "monday") == {number}
    assert found(store, "断开") == found(store, "每隔几分钟") == {number}
    _check_index(store)


def _search_objects(store: Store) -> list[str]:
    with store.engine.connect() as connection:
        if store.is_sqlite:
            sql = "SELECT name FROM sqlite_master"
        else:
            sql = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        return [name for (name,) in connection.execute(text(sql))
                if search.is_search_object(name)]


def test_the_triggers_test_the_same_scripts_the_code_does(store):
    if not store.is_sqlite:
        pytest.skip("SQLite triggers")
    with store.engine.connect() as connection:
        triggers = connection.execute(text(
            "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND sql LIKE '%GLOB%'")).all()
    # Tickets' and messages' insert and change triggers, and the knowledge base's own.
    assert sum(table in ("tickets", "messages") for table, _sql in triggers) == 4
    assert all(f"GLOB '*[{search.CJK_CLASS}]*'" in sql for _table, sql in triggers)
    for low, high in search.CJK_RANGES:
        for code in (low - 1, low, high, high + 1):
            ch = chr(code)
            with store.engine.connect() as connection:
                globbed = connection.execute(text("SELECT :t GLOB :p"), {
                    "t": f"a{ch}b", "p": f"*[{search.CJK_CLASS}]*"}).scalar()
            assert bool(globbed) == search.has_cjk(f"a{ch}b"), hex(code)
