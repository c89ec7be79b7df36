"""The filter language: parsing, errors that point at the term, and what it selects on both stores.

The parser is tested on its own (every term kind, quoting, negation, lists, sort, case, unicode,
errors), then with hypothesis on any text and on near-valid queries built from the grammar and
corrupted, and finally through ``query_tickets`` on a small desk on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, update
from sqlmodel import select

from deskterm.db.engine import Store
from deskterm.db.models import Message, Organization, Ticket
from deskterm.desk.errors import InvalidInput
from deskterm.desk.filter.language import (
    Age,
    FieldTerm,
    Period,
    QueryError,
    parse_query,
    to_filter,
)
from deskterm.desk.filter.resolved import resolve_query
from deskterm.desk.filter.ticket_filter import Clause, TextMatch, TicketFilter, TimeRange
from deskterm.desk.people import directory as people
from deskterm.desk.people.auth import resolve_actor
from deskterm.desk.reads import AgentRead
from deskterm.desk.setup import ensure_first_admin
from deskterm.desk.tickets import ticket as tickets
from deskterm.desk.tickets.reads import list_tickets, query_tickets

from .helpers import change, new_ticket

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def only_term(text: str) -> FieldTerm:
    [term] = parse_query(text).field_terms
    return term


def values(text: str) -> list[tuple[str, object]]:
    return [(value.op, value.meaning) for value in only_term(text).values]


def clauses(text: str) -> tuple[Clause, ...]:
    return to_filter(parse_query(text), now=NOW)[0].clauses


def error(text: str) -> QueryError:
    with pytest.raises(QueryError) as caught:
        to_filter(parse_query(text), now=NOW)
    return caught.value


def pointed(text: str) -> str:
    """The part of ``text`` the error of parsing it points at."""
    err = error(text)
    return text[err.position:err.position + err.length]


# --- Parsing: every term kind ------------------------------------------------------------------


def test_the_spec_example_parses_into_its_terms():
    parsed = parse_query(
        'status:open,pending priority:>=high assignee:me assignee:none group:billing tag:vpn '
        '-tag:spam requester:acme.com org:"Acme Corp" created:<7d updated:>2026-01-01 '
        'sort:-priority "printer jam"'
    )
    assert [(t.field, t.negated, [v.meaning for v in t.values]) for t in parsed.field_terms] == [
        ("status", False, ["open", "pending"]),
        ("priority", False, ["high"]),
        ("assignee", False, ["me"]),
        ("assignee", False, ["none"]),
        ("group", False, ["billing"]),
        ("tag", False, ["vpn"]),
        ("tag", True, ["spam"]),
        ("requester", False, ["acme.com"]),
        ("org", False, ["Acme Corp"]),
        ("created", False, [Age(timedelta(days=7), timedelta(days=1))]),
        ("updated", False, [Period(datetime(2026, 1, 1, tzinfo=UTC), timedelta(days=1))]),
    ]
    assert parsed.sort == "-priority"
    assert [(t.text, t.negated, t.phrase) for t in parsed.text_terms] == [
        ("printer jam", False, True)]


@pytest.mark.parametrize(("text", "expected"), [
    ("status:open", [("", "open")]),
    ("status:open,pending,on_hold", [("", "open"), ("", "pending"), ("", "on_hold")]),
    ("status:On-Hold", [("", "on_hold")]),
    ('status:"on hold"', [("", "on_hold")]),
    ("priority:URGENT", [("", "urgent")]),
    ("priority:>=high", [(">=", "high")]),
    ("priority:<normal,=urgent", [("<", "normal"), ("=", "urgent")]),
    ("type:Incident", [("", "incident")]),
    ("channel:EMAIL", [("", "email")]),
    ("tier:2", [("", 2)]),
    ("tier:>=2", [(">=", 2)]),
    ("assignee:ME", [("", "me")]),
    ("assignee:bert,none", [("", "bert"), ("", "none")]),
    ('group:"Level 2"', [("", "Level 2")]),
    ('group:"Level 2",billing', [("", "Level 2"), ("", "billing")]),
    ("tag:VPN", [("", "vpn")]),
    ("requester:Carol@Acme.com", [("", "carol@acme.com")]),
    ('org:"Acme Corp"', [("", "Acme Corp")]),
    ('organization:"Acme Corp"', [("", "Acme Corp")]),
    ('org:"say \\"hi\\" \\\\ bye"', [("", 'say "hi" \\ bye')]),
    ('org:Acme" "Corp', [("", "Acme Corp")]),
    ("created:<7d", [("<", Age(timedelta(days=7), timedelta(days=1)))]),
    ("created:>=12H", [(">=", Age(timedelta(hours=12), timedelta(hours=1)))]),
    ("updated:30m", [("", Age(timedelta(minutes=30), timedelta(minutes=1)))]),
    ("updated:<=2w", [("<=", Age(timedelta(weeks=2), timedelta(weeks=1)))]),
    ("updated:2026-01-01T09:00",
     [("", Period(datetime(2026, 1, 1, 9, tzinfo=UTC), timedelta(minutes=1)))]),
    ("updated:=2026-01-01T09:00:30",
     [("=", Period(datetime(2026, 1, 1, 9, 0, 30, tzinfo=UTC), timedelta(seconds=1)))]),
    ("sla:breached,At-Risk", [("", "breached"), ("", "at_risk")]),
    ("sla:none", [("", "none")]),
    ("sla:<1h,>=30m", [("<", 60), (">=", 30)]),
])
def test_field_values_are_read_with_their_operators(text, expected):
    assert values(text) == expected


def test_field_names_are_case_insensitive():
    parsed = parse_query("STATUS:open Priority:high TAG:vpn Sort:Created")
    assert [term.field for term in parsed.field_terms] == ["status", "priority", "tag"]
    assert parsed.sort == "created"


def test_a_leading_dash_negates_field_terms_and_text():
    parsed = parse_query('-status:closed -tag:spam,junk -assignee:me -refund -"out of office"')
    assert [(t.field, t.negated) for t in parsed.field_terms] == [
        ("status", True), ("tag", True), ("assignee", True)]
    assert [(t.text, t.negated) for t in parsed.text_terms] == [
        ("refund", True), ("out of office", True)]


def test_a_dash_inside_a_word_or_a_value_is_text():
    parsed = parse_query("re-install tag:follow-up")
    assert [(t.text, t.negated) for t in parsed.text_terms] == [("re-install", False)]
    assert parsed.field_terms[0].values[0].meaning == "follow-up"


def test_repeated_fields_are_kept_as_separate_terms():
    assert [c.values for c in clauses("tag:vpn tag:wifi")] == [("vpn",), ("wifi",)]


@pytest.mark.parametrize(("text", "order"), [
    ("", "-updated"),
    ("sort:updated", "updated"),
    ("sort:-created", "-created"),
    ("sort:+priority", "priority"),
    ("sort:-PRIORITY", "-priority"),
    ("sort:number", "number"),
    ("sort:relevance printer", "relevance"),
    ("sort:Relevance", "relevance"),
])
def test_sort_picks_the_order(text, order):
    parsed = parse_query(text)
    assert parsed.sort == order
    assert parsed.field_terms == ()
    assert to_filter(parsed, now=NOW)[1] == order


def test_relevance_has_no_other_direction():
    with pytest.raises(QueryError, match="unknown sort '-relevance'"):
        parse_query("printer sort:-relevance")


@pytest.mark.parametrize(("text", "words"), [
    ("printer jam", [("printer", False), ("jam", False)]),
    ('"printer jam"', [("printer jam", True)]),
    ('toner "paper  tray"   empty', [("toner", False), ("paper tray", True), ("empty", False)]),
    ("10:30 error", [("10:30", False), ("error", False)]),
    ('"re: invoice"', [("re: invoice", True)]),
    ("drukarka nie działa żółw", [("drukarka", False), ("nie", False), ("działa", False),
                                  ("żółw", False)]),
    ("המדפסת לא עובדת", [("המדפסת", False), ("לא", False), ("עובדת", False)]),
    ("打印机卡纸 无法打印", [("打印机卡纸", False), ("无法打印", False)]),
    ('"打印机 卡纸"', [("打印机 卡纸", True)]),
    ('50% off_peak "C:\\\\Users"', [("50%", False), ("off_peak", False), ("C:\\Users", True)]),
])
def test_bare_words_and_quoted_phrases_are_text_terms(text, words):
    parsed = parse_query(text)
    assert parsed.field_terms == ()
    assert [(t.text, t.phrase) for t in parsed.text_terms] == words


def test_empty_queries_and_empty_phrases_select_everything():
    for text in ("", "   ", '""', '"   "', "\t\n"):
        parsed = parse_query(text)
        assert (parsed.field_terms, parsed.text_terms, parsed.sort) == ((), (), "-updated")


def test_terms_keep_where_they_stand():
    text = 'tag:vpn  -"printer jam" org:"Acme Corp"'
    parsed = parse_query(text)
    spans = [(t.position, t.length) for t in (*parsed.field_terms, *parsed.text_terms)]
    assert [text[p:p + n] for p, n in spans] == ["tag:vpn", 'org:"Acme Corp"',
                                                 '-"printer jam"']
    value = parsed.field_terms[1].values[0]
    assert text[value.position:value.position + value.length] == '"Acme Corp"'


# --- From terms to a filter --------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("priority:>=high", ("high", "urgent")),
    ("priority:>normal", ("high", "urgent")),
    ("priority:<=normal", ("low", "normal")),
    ("priority:<low", ()),
    ("priority:low,>=high", ("low", "high", "urgent")),
    ("priority:=normal", ("normal",)),
])
def test_priority_comparisons_follow_low_normal_high_urgent(text, expected):
    assert clauses(text) == (Clause("priority", expected),)


def test_tier_comparisons():
    assert clauses("tier:>=2 -tier:3") == (Clause("tier", (2, 3)), Clause("tier", (3,), True))


@pytest.mark.parametrize(("text", "span"), [
    ("created:<7d", TimeRange(start=NOW - timedelta(days=7), start_inclusive=False)),
    ("created:<=7d", TimeRange(start=NOW - timedelta(days=7))),
    ("created:>7d", TimeRange(end=NOW - timedelta(days=7))),
    ("created:>=7d", TimeRange(end=NOW - timedelta(days=7), end_inclusive=True)),
    ("created:7d", TimeRange(start=NOW - timedelta(days=8), start_inclusive=False,
                             end=NOW - timedelta(days=7), end_inclusive=True)),
    ("created:<90m", TimeRange(start=NOW - timedelta(minutes=90), start_inclusive=False)),
    ("updated:2026-01-01", TimeRange(start=datetime(2026, 1, 1, tzinfo=UTC),
                                     end=datetime(2026, 1, 2, tzinfo=UTC))),
    ("updated:>2026-01-01", TimeRange(start=datetime(2026, 1, 2, tzinfo=UTC))),
    ("updated:>=2026-01-01", TimeRange(start=datetime(2026, 1, 1, tzinfo=UTC))),
    ("updated:<2026-01-01", TimeRange(end=datetime(2026, 1, 1, tzinfo=UTC))),
    ("updated:<=2026-01-01", TimeRange(end=datetime(2026, 1, 2, tzinfo=UTC))),
    ("updated:>2026-01-01T09:00", TimeRange(start=datetime(2026, 1, 1, 9, 1, tzinfo=UTC))),
])
def test_ages_count_back_from_now_and_dates_are_whole_utc_days_or_minutes(text, span):
    [clause] = clauses(text)
    assert clause.values == (span,)
    for moment in (span.start, span.end):
        assert moment is None or moment.utcoffset() == timedelta(0)


def test_text_terms_become_text_matches():
    flt, sort = to_filter(parse_query('toner -"paper tray" żółw'), now=NOW)
    assert flt.text == (TextMatch("toner"), TextMatch("paper tray", True), TextMatch("żółw"))
    assert (flt.clauses, sort) == ((), "-updated")


def test_to_filter_needs_an_aware_now():
    with pytest.raises(ValueError, match="aware"):
        to_filter(parse_query("created:<7d"), now=datetime(2026, 1, 1))


# --- Errors point at the term ------------------------------------------------------------------


@pytest.mark.parametrize(("text", "at", "message"), [
    ("status:open priority:>=hgh", ">=hgh",
     "priority:>=hgh — unknown priority 'hgh' (low, normal, high, urgent)"),
    ("tag:vpn foo:bar", "foo:bar", "foo:bar — unknown field 'foo' (status, priority, "),
    ("-Subject:x", "-Subject:x", "unknown field 'Subject'"),
    ("http://example.com", "http://example.com", 'quote it: "http://example.com"'),
    ("C:\\Users", "C:\\Users", "unknown field 'C'"),
    ("created:<7x", "<7x", "created:<7x — bad date or age '7x' (use 7d, 12h"),
    ("updated:2026-02-30", "2026-02-30", "'2026-02-30' is not a real date"),
    ("updated:>0999-01-01", ">0999-01-01", "year 999"),
    ("created:<99999999d", "<99999999d", "more than a hundred years"),
    ("status:open,closd", "closd", "status:open,closd — unknown status 'closd'"),
    ("status:>open", ">open", "status takes no comparison '>'"),
    ("type:bug", "bug", "unknown type 'bug' (question, incident, problem, task)"),
    ("channel:fax", "fax", "unknown channel 'fax'"),
    ("tier:4", "4", "tier '4' is not 1, 2 or 3"),
    ("tier:>=x", ">=x", "tier 'x' is not 1, 2 or 3"),
    ("priority:>=", ">=", "a value is missing after '>='"),
    ("group:", "group:", "group: — a value is missing (e.g. group:billing)"),
    ("tag:vpn,,wifi", "tag:vpn,,wifi", "a value is missing"),
    ('org:""', '""', "a value is empty"),
    ("sla:late", "late", "unknown sla 'late' (breached, at_risk, none, or time left: <1h"),
    ("sla:<2d", "<2d", "unknown sla '2d'"),
    ("sla:>breached", ">breached", "sla:breached takes no comparison '>'"),
    ("sort:colour", "colour", "unknown sort 'colour' (updated, created, priority, number"),
    ("sort:--updated", "--updated", "unknown sort"),
    ("sort:updated sort:created", "sort:created", "only one sort"),
    ("-sort:updated", "-sort:updated", "sort cannot be negated"),
    ("sort:updated,created", "sort:updated,created", "sort takes one order"),
    ("sort:>updated", ">updated", "sort takes no comparison"),
    ("tag:vpn -", "-", "'-' at column 9 leaves nothing out"),
])
def test_errors_name_the_term_and_point_at_it(text, at, message):
    err = error(text)
    assert message in str(err)
    assert text[err.position:err.position + err.length] == at


def test_an_unterminated_quote_points_at_the_quote():
    text = 'tag:vpn "printer jam'
    err = error(text)
    assert str(err).startswith("unterminated quote at column 9")
    assert (err.position, err.length) == (8, 12)


def test_a_control_character_is_refused_where_it_stands():
    err = error("printer\x00jam")
    assert (err.position, err.length) == (7, 1)
    assert "U+0000 at column 8" in str(err)


def test_a_query_error_is_invalid_input():
    assert isinstance(error("foo:bar"), InvalidInput)


def test_long_terms_are_shortened_in_messages():
    err = error("foo:" + "x" * 500)
    # the term twice, shortened to 60 characters, and the list of every field (27 of them)
    assert len(str(err)) < 460 and "x" * 61 not in str(err)
    assert err.length == 504


def test_the_pointer_draws_carets_under_the_term():
    text = "status:open priority:>=hgh"
    assert error(text).pointer(text) == (
        "status:open priority:>=hgh\n"
        "                     ^^^^^"
    )


def test_the_pointer_counts_wide_characters_twice_and_blanks_tabs():
    text = "打印机\tpriority:>=hgh"
    assert error(text).pointer(text).splitlines() == [
        "打印机 priority:>=hgh",
        "                ^^^^^",
    ]


def test_the_pointer_shows_one_caret_at_the_end_for_an_empty_span():
    assert QueryError("x", position=3, length=0).pointer("abc") == "abc\n   ^"


# --- Any input: only QueryError ----------------------------------------------------------------

FIELD_NAMES = ["status", "priority", "type", "channel", "tier", "assignee", "group", "tag",
               "requester", "org", "organization", "created", "updated", "sla", "sort",
               "Status", "PRIORITY", "foo", "subject", "x_1", "ü"]
VALUES = ["open", "pending", "on_hold", "closed", "low", "high", "urgent", "incident", "email",
          "1", "2", "3", "4", "me", "none", "bert", "billing", "vpn", "spam", "acme.com",
          "carol@acme.com", "@", "7d", "12h", "30m", "2w", "0d", "7x", "2026-01-01",
          "2026-01-01T09:00", "2026-02-30", "9999-12-31", "99999999w", "breached", "at_risk",
          "-priority", "updated", "%", "_", "\\", "'; DROP TABLE tickets; --", "żółw", "打印机",
          ""]
CORRUPTIONS = [*'":,-<>=\\ \t', "\x00", "\u202e", "\ud800", "é", "打"]


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def field_terms(draw) -> str:
    name = draw(st.sampled_from(FIELD_NAMES))
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        value = draw(st.sampled_from(VALUES) | st.text(max_size=8))
        op = draw(st.sampled_from(["", "", "<", "<=", ">", ">=", "="]))
        parts.append(op + (quoted(value) if draw(st.booleans()) else value))
    return draw(st.sampled_from(["", "", "-"])) + name + ":" + ",".join(parts)


@st.composite
def text_terms(draw) -> str:
    word = draw(st.sampled_from(["printer", "jam", "toner", "żółw", "המדפסת", "打印机", "%", "_",
                                 "\\", "DROP TABLE tickets"]) | st.text(min_size=1, max_size=8))
    shown = quoted(word) if draw(st.booleans()) else word
    return draw(st.sampled_from(["", "", "-"])) + shown


@st.composite
def near_valid_queries(draw) -> str:
    """Terms from the grammar's pieces, then a few characters inserted or deleted at random."""
    terms = draw(st.lists(field_terms() | text_terms(), max_size=6))
    text = " ".join(terms)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        if text and draw(st.booleans()):
            text = text[:at] + text[at + 1:]
        else:
            text = text[:at] + draw(st.sampled_from(CORRUPTIONS)) + text[at:]
    return text


def parse_and_convert(text: str) -> None:
    """Parse and convert ``text``; a QueryError must point inside it and draw its pointer."""
    try:
        parsed = parse_query(text)
        for term in (*parsed.field_terms, *parsed.text_terms):
            assert term.position >= 0 and term.position + term.length <= len(text)
        to_filter(parsed, now=NOW)
    except QueryError as err:
        assert 0 <= err.position <= len(text)
        assert err.length >= 0 and err.position + err.length <= len(text)
        assert str(err)
        assert err.pointer(text).count("\n") == 1


@given(st.text())
def test_any_text_parses_or_raises_a_query_error(text):
    parse_and_convert(text)


@given(near_valid_queries())
@settings(max_examples=400)
def test_near_valid_queries_parse_or_raise_a_query_error(text):
    parse_and_convert(text)


@st.composite
def valid_queries(draw) -> tuple[str, int, int]:
    fields = draw(st.lists(st.sampled_from([
        "status:open,pending", "-status:closed", "priority:>=high", "tier:<3", "assignee:me",
        "assignee:none", 'group:"Level 2",billing', "-tag:spam", "requester:acme.com",
        'org:"Acme Corp"', "created:<7d", "updated:>2026-01-01T09:00", "type:incident",
        "channel:email",
    ]), max_size=5))
    texts = draw(st.lists(st.sampled_from(['"printer jam"', "toner", "-refund", "żółw",
                                           "打印机", "50%"]), max_size=3))
    terms = draw(st.permutations(fields + texts))
    return " ".join(terms), len(fields), len(texts)


@given(valid_queries())
def test_valid_queries_keep_every_term(query):
    text, fields, texts = query
    parsed = parse_query(text)
    assert (len(parsed.field_terms), len(parsed.text_terms)) == (fields, texts)
    flt, _ = to_filter(parsed, now=NOW)
    assert (len(flt.clauses), len(flt.text)) == (fields, texts)


# --- On a desk (SQLite and PostgreSQL) ---------------------------------------------------------


@dataclass(frozen=True)
class Desk:
    store: Store
    numbers: dict[str, int]

    def find(self, text: str, *, me: str | None = "ada", sort_matters: bool = False):
        """The names of the tickets ``text`` selects (a set, or a list when order matters)."""
        with self.store.read() as session:
            page = query_tickets(session, text, me=me, limit=100)
        names = {number: name for name, number in self.numbers.items()}
        found = [names[ticket.number] for ticket in page.items]
        return found if sort_matters else set(found)


def _set_times(store: Store, number: int, **times: datetime) -> None:
    store.write(lambda s: s.exec(update(Ticket).where(Ticket.id == number).values(**times)))


def build_desk(store: Store) -> None:
    """Seven tickets with different statuses, priorities, owners, groups, tags and texts, filed
    by ``ada`` (admin) and ``bert`` as the ``admin`` and ``agent`` fixtures make them. Built once
    per test process and store kind; each test gets a copy (``stores.store(seeded=...)``)."""
    ada = store.write(lambda s: ensure_first_admin(s, username="ada",
                                                   display_name="Ada Admin"))
    bert = store.write(lambda s: people.add_agent(s, username="bert", display_name="Bert Agent"))

    def orgs_and_groups(session) -> None:
        session.add(Organization(name="Acme Corp", domain="acme.com"))
        session.add(Organization(name="Globex", domain="globex.com"))
        people.add_group(session, name="billing")
        people.add_group(session, name="Level 2")

    store.write(orgs_and_groups)
    make = {
        "A": dict(requester_email="carol@acme.com", subject="Printer jams on page 2",
                  body="Every second page jams.", priority="high", assignee="ada",
                  group="billing", tags=["vpn"]),
        "B": dict(requester_email="dave@globex.com", subject="VPN drops every hour",
                  body="Since Monday the tunnel falls over.", priority="urgent",
                  assignee="bert", group="Level 2", tags=["vpn", "wifi"]),
        "C": dict(requester_email="erin@acme.com", subject="Win a free cruise",
                  body="Click here, it is 100% free!", priority="low", tags=["spam"]),
        "D": dict(requester_email="frank@initech.io", subject="Laptop will not boot",
                  body="Black screen after the logo, error_code 7.", assignee="bert"),
        "E": dict(requester_email="carol@acme.com", subject="Invoice 2041 is wrong",
                  body="Charged twice; the toner order saved in C:\\invoices was cancelled.",
                  group="billing"),
        "F": dict(requester_email="ming@globex.com", subject="המדפסת לא עובדת",
                  body="Drukarka nie działa. 打印机卡纸了。"),
        "G": dict(requester_email="gus@initech.io", subject="Password reset",
                  body="Locked out after the holidays."),
    }
    numbers = {name: new_ticket(store, ada, **fields).number for name, fields in make.items()}
    assert numbers == NUMBERS
    change(store, bert, numbers["B"], status="pending")
    store.write(lambda s: tickets.add_reply(s, actor=bert, number=numbers["D"],
                                            body="Please check whether the paper tray is empty."))
    change(store, bert, numbers["D"], status="solved")
    change(store, bert, numbers["G"], status="solved")  # solving it assigns it to bert
    _set_times(store, numbers["E"], created_at=datetime.now(UTC) - timedelta(days=30),
               updated_at=datetime(2025, 12, 15, 10, 0, tzinfo=UTC))
    _set_times(store, numbers["D"], updated_at=datetime(2026, 1, 1, 8, 0, tzinfo=UTC))


NUMBERS = {name: 1001 + i for i, name in enumerate("ABCDEFG")}
"""The numbers ``build_desk`` files its tickets under, A first."""


@pytest.fixture
def desk(stores) -> Desk:
    return Desk(stores.store(seeded=build_desk), NUMBERS)


@pytest.fixture
def admin(desk) -> AgentRead:
    """``ada`` of the desk (the conftest's ``admin`` would make a second store)."""
    with desk.store.read() as session:
        return resolve_actor(session, username="ada")


ALL = set("ABCDEFG")

SELECTIONS = [
    ("status:open,pending", {"A", "B"}),
    ("-status:new", {"A", "B", "D", "G"}),
    ("status:solved -status:solved", set()),
    ("status:new,open status:open,pending", {"A"}),
    ("priority:>=high", {"A", "B"}),
    ("priority:<normal", {"C"}),
    ("-priority:normal", {"A", "B", "C"}),
    ("assignee:me", {"A"}),
    ("assignee:none", {"C", "E", "F"}),
    ("assignee:me,none", {"A", "C", "E", "F"}),
    ("assignee:bert", {"B", "D", "G"}),
    ("-assignee:me", ALL - {"A"}),
    ("-assignee:bert", {"A", "C", "E", "F"}),
    ("-assignee:none", {"A", "B", "D", "G"}),
    ("group:billing", {"A", "E"}),
    ('group:"Level 2"', {"B"}),
    ("group:none", {"C", "D", "F", "G"}),
    ("group:BILLING", {"A", "E"}),  # names in any case
    ('group:"level 2"', {"B"}),
    ("assignee:BERT,Ada", {"A", "B", "D", "G"}),
    ("-group:Billing", {"B", "C", "D", "F", "G"}),
    ("-group:billing", {"B", "C", "D", "F", "G"}),
    ("tag:vpn", {"A", "B"}),
    ("tag:vpn,spam", {"A", "B", "C"}),
    ("tag:vpn tag:wifi", {"B"}),
    ("-tag:spam", ALL - {"C"}),
    ("tag:vpn -tag:wifi", {"A"}),
    ("requester:acme.com", {"A", "C", "E"}),
    ("requester:carol@acme.com", {"A", "E"}),
    ("requester:CAROL@ACME.COM", {"A", "E"}),
    ("requester:cme.com", set()),
    ("requester:initech.io,carol@acme.com", {"A", "D", "E", "G"}),
    ('org:"Acme Corp"', {"A", "C", "E"}),
    ('org:"ACME corp"', {"A", "C", "E"}),  # names in any case
    ('organization:"Acme Corp",Globex', {"A", "B", "C", "E", "F"}),
    ("-org:Globex", {"A", "C", "D", "E", "G"}),
    ("created:<7d", ALL - {"E"}),
    ("created:>7d", {"E"}),
    ("created:>1d created:<60d", {"E"}),
    ("updated:>2026-01-01", ALL - {"D", "E"}),
    ("updated:2026-01-01", {"D"}),
    ("updated:<=2026-01-01", {"D", "E"}),
    ("updated:<2026-01-01T08:00", {"E"}),
    ("updated:>=2025-12-15T10:00", ALL),
    ("toner", {"E"}),
    ("TONER", {"E"}),
    ('"paper tray"', {"D"}),
    ('"tray paper"', set()),
    ("jams", {"A"}),
    ("-jams", ALL - {"A"}),
    ("page -jams", set()),
    ("działa", {"F"}),
    ("打印机", {"F"}),
    ("卡纸", {"F"}),
    ("המדפסת", {"F"}),
    ("type:question channel:cli tier:1", ALL),
    ("type:incident", set()),
    ("tier:>=2", set()),
    ("status:open,pending priority:>=high tag:vpn -assignee:bert", {"A"}),
    ("", ALL),
]


@pytest.mark.parametrize(("text", "expected"), SELECTIONS,
                         ids=[text or "empty" for text, _ in SELECTIONS])
def test_queries_select_the_right_tickets(desk, text, expected):
    assert desk.find(text) == expected


def test_sort_by_priority_descending_breaks_ties_by_newest_number(desk):
    assert desk.find("sort:-priority", sort_matters=True) == ["B", "A", "G", "F", "E", "D", "C"]
    assert desk.find("sort:priority -tag:vpn", sort_matters=True) == ["C", "D", "E", "F", "G"]


def test_the_default_order_is_the_latest_update_first(desk):
    assert desk.find("", sort_matters=True)[-2:] == ["D", "E"]


def test_pages_of_a_query_continue_with_the_cursor(desk):
    with desk.store.read() as session:
        first = query_tickets(session, "-tag:spam sort:number", me="ada", limit=4)
        rest = query_tickets(session, "-tag:spam sort:number", me="ada", limit=4,
                             cursor=first.next_cursor)
    numbers = [t.number for t in first.items + rest.items]
    assert numbers == sorted(desk.numbers[n] for n in ALL - {"C"})
    assert rest.next_cursor is None


@pytest.mark.parametrize(("text", "at", "message"), [
    ("group:biling", "biling", "group:biling — no group named 'biling'"),
    ("assignee:ada,nobody", "nobody", "no agent named 'nobody'"),
    ('status:open org:"Nope Inc"', '"Nope Inc"', "no organization named 'Nope Inc'"),
    ("requester:nobody@acme.com", "nobody@acme.com", "no customer with e-mail"),
    ("requester:a@b", "a@b", "is not an e-mail address"),
    ("tag:vpn -group:\"billing' OR '1'='1\"", "\"billing' OR '1'='1\"", "no group named"),
])
def test_unknown_names_are_query_errors_at_the_value(desk, text, at, message):
    with desk.store.read() as session, pytest.raises(QueryError) as caught:
        query_tickets(session, text, me="ada")
    err = caught.value
    assert message in str(err)
    assert text[err.position:err.position + err.length] == at


def test_resolve_query_checks_names_before_anyone_builds_sql(desk):
    with desk.store.read() as session:
        resolved = resolve_query(session, 'group:"Level 2" sort:number', me="ada")
        assert [t.number for t in list_tickets(session, where=resolved,
                                               sort=resolved.sort).items] == [
            desk.numbers["B"]]
        with pytest.raises(QueryError, match="no group named 'Level 3'") as caught:
            resolve_query(session, 'tag:vpn group:"Level 3"', me="ada")
    assert (caught.value.position, caught.value.length) == (14, 9)


def test_group_names_match_under_unicode_case_folding(desk, admin):
    desk.store.write(lambda s: people.add_group(s, name="Straße"))
    filed = new_ticket(desk.store, admin, group="Straße").number
    with desk.store.read() as session:
        for typed in ("STRASSE", "straße", "Straße"):
            assert [t.number for t in query_tickets(session, f"group:{typed}").items] == [
                filed], typed
        with pytest.raises(QueryError, match="no group named 'STRAS'"):
            resolve_query(session, "group:STRAS", me="ada")


def test_me_without_an_acting_agent_is_a_query_error(desk):
    with desk.store.read() as session, pytest.raises(QueryError, match="acting agent") as caught:
        query_tickets(session, "tag:vpn assignee:me", me=None)
    assert (caught.value.position, caught.value.length) == (17, 2)


def test_a_bad_cursor_stays_invalid_input(desk):
    with desk.store.read() as session, pytest.raises(InvalidInput, match="cursor") as caught:
        query_tickets(session, "tag:vpn", me="ada", cursor="garbage")
    assert not isinstance(caught.value, QueryError)


def ticket_count(store: Store) -> tuple[int, int]:
    with store.read() as session:
        return (session.exec(select(func.count()).select_from(Ticket)).one(),
                session.exec(select(func.count()).select_from(Message)).one())


@pytest.mark.parametrize(("text", "expected"), [
    ('"\'; DROP TABLE tickets; --"', set()),
    ("'; DROP TABLE tickets; --", set()),
    ("tag:\"x' OR 1=1 --\"", set()),
    ("requester:\"%' OR 1=1 --\"", set()),
    ('"100%"', {"C"}),
    ("error_code", {"D"}),
    ('"C:\\\\invoices"', {"E"}),
    ('"%" -"_" \\', ALL),  # no letter or digit: left out, like punctuation inside a word
    ("requester:%", set()),
    ("requester:_cme.com", set()),
    ("tag:%", set()),
])
def test_injection_and_wildcards_are_inert(desk, text, expected):
    before = ticket_count(desk.store)
    assert desk.find(text) == expected
    assert ticket_count(desk.store) == before


def test_an_injection_through_an_unknown_field_is_a_query_error(desk):
    before = ticket_count(desk.store)
    with desk.store.read() as session, pytest.raises(QueryError, match="unknown field 'subject'"):
        query_tickets(session, "subject:'; DROP TABLE tickets; --", me="ada")
    assert ticket_count(desk.store) == before


def test_the_filter_fields_work_through_list_tickets_too(desk):
    where = TicketFilter(statuses=("new",), clauses=(Clause("tag", ("spam",), negated=True),),
                         text=(TextMatch("toner"),))
    with desk.store.read() as session:
        page = list_tickets(session, where=where)
    assert [t.number for t in page.items] == [desk.numbers["E"]]


@given(near_valid_queries() | st.text(max_size=40))
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_queries_on_a_real_store_only_raise_query_errors(desk, text):
    with desk.store.read() as session:
        try:
            page = query_tickets(session, text, me="ada", limit=20)
        except QueryError:
            return
    assert {ticket.number for ticket in page.items} <= set(desk.numbers.values())
    assert ticket_count(desk.store)[0] == len(desk.numbers)


def test_control_characters_are_refused_but_other_marks_are_text():
    for ch in ("\x00", "\x07", "\x7f", "\x9b"):
        with pytest.raises(QueryError, match="cannot be searched for"):
            parse_query(f"a{ch}b")
    assert [t.text for t in parse_query("\u202eabc x\u200by").text_terms] == [
        "\u202eabc", "x\u200by"]
