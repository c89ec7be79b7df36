"""Hostile input, fuzzed: CSV and JSONL imports, e-mail intake, macro templates and files, and
knowledge-base Markdown, driven by hypothesis with random and hostile text on both stores.

Each must end in a result or in the domain's own error (:class:`DeskError`), never another
exception, and a refused import, macro or article leaves the desk exactly as it was: the rows
of every table are counted before and after. (The filter language is fuzzed in test_query.py,
the CLI's arguments in test_cli_fuzz.py; rules files are not here yet.)
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from deskterm.db.models import (
    Agent,
    Article,
    Customer,
    Event,
    Macro,
    Message,
    Organization,
    Tag,
    Ticket,
)
from deskterm.desk.automation import rulebook
from deskterm.desk.errors import DeskError
from deskterm.desk.kb import render
from deskterm.desk.kb.files import parse_article
from deskterm.desk.mail.intake import OUTCOMES
from deskterm.desk.service import Desk
from deskterm.desk.tickets.macros import PLACEHOLDERS, parse_macro_toml
from deskterm.desk.transfer import csv_in

from .mail_samples import mail

ESC = "\x1b"
HOSTILE = [
    f"{ESC}]52;c;SGVsbG8=\x07", f"{ESC}[2J", f"{ESC}P+q544e{ESC}\\", "\u009b31m", "\u202e",
    "[red]x[/]", "[@click=app.quit]q[/]", "\x00", "\udcff", "\r\n", "\t", "'", '"', ",", ";",
    "{{", "}}", "{{ticket.subject}}", "{{nope}}", "---", "\ufeff", "x" * 3000, "ｘ", "é",
    "\u0301" * 5, "\u200b", "漢字", "😀", "-1", "2147483648", "", " ", "null", "[]", "{}",
]
TEXT = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30),
                 st.lists(st.sampled_from(HOSTILE), max_size=4).map("".join))
SLOW = settings(max_examples=15, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])
TABLES = (Ticket, Message, Event, Customer, Organization, Tag, Agent, Article, Macro)


def counts(desk: Desk) -> dict[str, int]:
    """Rows of each table the inputs below could write."""
    with desk.store.read() as session:
        return {model.__name__: session.exec(select(func.count()).select_from(model)).one()
                for model in TABLES}


@pytest.fixture
def desk(store, admin):
    desk = Desk(store, admin)
    desk.create_ticket(requester_email="ann@acme.example", subject="VPN drops",
                       body="every hour")
    return desk


def _file(tmp_path: Path, data: bytes, suffix: str) -> Path:
    path = tmp_path / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    return path


# --- CSV ------------------------------------------------------------------------------------------

COLUMNS = ["Subject", "Description", "Status", "Priority", "Requester email", "Requester",
           "Tags", "Created at", "Updated at", "Assignee", "Group", "Type", "Via", "Id"]


@st.composite
def csv_files(draw) -> bytes:
    if draw(st.integers(0, 9)) == 0:  # now and then not a CSV file at all
        return draw(st.binary(max_size=200))
    header = draw(st.lists(st.one_of(st.sampled_from(COLUMNS), TEXT), min_size=1, max_size=8))
    rows = draw(st.lists(st.lists(TEXT, min_size=0, max_size=len(header) + 1), max_size=4))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1", "utf-8-sig"]))
    return out.getvalue().encode(encoding, errors="surrogateescape" if encoding == "utf-8"
                                 else "replace")


@given(data=csv_files(), skip_invalid=st.booleans())
@SLOW
def test_a_csv_import_is_whole_or_refused_with_nothing_written(desk, tmp_path, data,
                                                               skip_invalid):
    before = counts(desk)
    path = _file(tmp_path, data, ".csv")
    try:
        report = desk.import_csv(desk.open_csv(path, csv_in.Options(overrides={})),
                                 skip_invalid=skip_invalid)
    except DeskError:
        assert counts(desk) == before
        return
    after = counts(desk)
    assert after["Ticket"] - before["Ticket"] == report.created
    assert report.rows >= report.created


# --- JSONL ----------------------------------------------------------------------------------------

def _exported(desk: Desk) -> dict:
    lines: list[str] = []
    desk.export_jsonl(query=None, write=lines.append)
    return json.loads("".join(lines).splitlines()[0])


JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**64), 2**64), TEXT,
              st.floats(allow_nan=True)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6)


@given(data=st.data())
@SLOW
def test_a_jsonl_import_is_whole_or_refused_with_nothing_written(desk, tmp_path, data):
    line = _exported(desk)
    lines = []
    for _ in range(data.draw(st.integers(1, 3))):
        changed = json.loads(json.dumps(line))
        changed["number"] = data.draw(st.integers(-5, 2**40) | st.integers(5000, 5100))
        for key in data.draw(st.lists(st.sampled_from(sorted(line)), max_size=3)):
            if data.draw(st.booleans()):
                changed.pop(key, None)
            else:
                changed[key] = data.draw(JSON_VALUE)
        lines.append(json.dumps(changed, allow_nan=True))
    if data.draw(st.booleans()):
        lines.insert(data.draw(st.integers(0, len(lines))), data.draw(TEXT))
    path = _file(tmp_path, "\n".join(lines).encode("utf-8", "surrogateescape"), ".jsonl")
    before = counts(desk)
    try:
        report = desk.import_jsonl(path)
    except DeskError:
        assert counts(desk) == before
        return
    assert counts(desk)["Ticket"] - before["Ticket"] == report.created


# --- e-mail ---------------------------------------------------------------------------------------

@st.composite
def mails(draw) -> bytes:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.binary(max_size=400))
    header = draw(st.sampled_from(["Subject", "From", "Content-Type", "Content-Transfer-Encoding",
                                   "Message-ID", "In-Reply-To", "References", "Reply-To",
                                   "Auto-Submitted", "X-Garbage"]))
    value = draw(st.one_of(TEXT, st.sampled_from([
        "=?utf-8?b?G10yOzsbWzJK?=", "=?x-unknown?q?=1B=5B2J?=", "multipart/mixed; boundary=",
        'multipart/mixed; boundary="b"', "text/plain; charset=utf-7", "base64",
        "quoted-printable", "<a@b>" * 200, "auto-replied", "=?utf-8?q?=C0=AF?="])))
    body = draw(TEXT)
    if kind == 1:  # a well-formed mail with hostile text
        try:
            return mail(subject=draw(TEXT).replace("\n", " ").replace("\r", " "), body=body,
                        message_id=f"<{uuid.uuid4().hex}@fuzz.test>")
        except (ValueError, UnicodeError):  # the standard library refuses to build it
            return b"Subject: x\r\n\r\n" + body.encode("utf-8", "surrogateescape")
    raw = (f"From: Fuzz <fuzz@fuzz.test>\r\nMessage-ID: <{uuid.uuid4().hex}@fuzz.test>\r\n"
           f"{header}: {value}\r\n\r\n{body}\r\n")
    return raw.encode("utf-8", "surrogateescape") + draw(st.binary(max_size=100))


@given(raw=mails())
@SLOW
def test_any_mail_is_filed_or_quarantined_never_half(desk, raw):
    before = counts(desk)
    ingested = desk.ingest_mail(raw, source="fuzz")  # no exception at all: it is a daemon's
    after = counts(desk)
    assert ingested.outcome in OUTCOMES, ingested
    if ingested.outcome == "created":
        assert after["Ticket"] == before["Ticket"] + 1
    elif ingested.outcome in ("appended", "auto-reply-appended"):
        assert (after["Ticket"], after["Message"]) == (before["Ticket"], before["Message"] + 1)
    else:  # quarantined, a duplicate, an auto-reply skipped: nothing of it on the desk
        assert (after["Ticket"], after["Message"]) == (before["Ticket"], before["Message"])


# --- macros ---------------------------------------------------------------------------------------

TEMPLATE = st.lists(st.one_of(TEXT, st.sampled_from(
    [f"{{{{{name}}}}}" for name in PLACEHOLDERS] + ["{{", "}}", "{{ ticket.ref }}", "{", "}"])),
    max_size=6).map("".join)


@given(body=TEMPLATE)
@SLOW
def test_a_macro_template_is_refused_whole_or_sent_whole(desk, body):
    number = desk.list_tickets(limit=1).items[0].number
    name = f"m{uuid.uuid4().hex[:8]}"
    before = counts(desk)
    try:
        desk.add_macro(name, body=body)
    except DeskError:
        assert counts(desk) == before
        return
    version = desk.open_ticket(number).ticket.version
    try:
        desk.send(number, body=None, macro=name)
    except DeskError:
        assert desk.open_ticket(number).ticket.version == version
        return
    last = desk.open_ticket(number).messages[-1].body
    assert not any(f"{{{{{placeholder}}}}}" in last and f"{{{{{placeholder}}}}}" not in body
                   for placeholder in PLACEHOLDERS)


@given(text=st.one_of(TEXT, TEMPLATE, st.sampled_from([
    'name = "x"\nbody = "{{nope}}"', 'name = "x"\nbody = """\n{{\n"""', "[actions]\nstatus = 1",
    'name = "x"\nbody = "y"\n[actions]\nadd_tags = [[[[]]]]', "a = " + "[" * 400 + "]" * 400,
    'name = "x"\nname = "y"', 'name = "\\u001b[2J"\nbody = "b"'])))
@settings(max_examples=150, deadline=None)
def test_a_macro_file_parses_or_is_one_domain_error(text):
    try:
        parsed = parse_macro_toml(text)
    except DeskError as exc:
        assert "\n" not in str(exc)
        return
    assert parsed.name


# --- knowledge-base Markdown ----------------------------------------------------------------------

@st.composite
def articles(draw) -> str:
    meta = draw(st.lists(st.tuples(
        st.sampled_from(["title", "category", "tags", "status", "visibility", "slug", "x"]),
        st.one_of(TEXT.map(json.dumps), TEXT, st.sampled_from(
            ["[a, b]", "{a: 1}", "&a [*a, *a]", "!!python/object:os.system x", "- - - -",
             "[" * 100 + "]" * 100, "published", "public", "|\n  x"]))), max_size=5))
    front = "".join(f"{key}: {value}\n" for key, value in meta)
    body = draw(st.lists(st.one_of(TEXT, st.sampled_from(
        ["# Title", "[link](javascript:alert(1))", "![img](file:///etc/passwd)", "```",
         "<script>x</script>", "| a | b |\n|---|---|", "> " * 50, "* " * 50, "\n---\n"])),
        max_size=6).map("\n".join))
    if draw(st.booleans()):
        return f"---\n{front}---\n{body}"
    return draw(st.sampled_from(["", "---\n", f"---\n{front}", "\ufeff---\n"])) + body


@given(text=articles())
@settings(max_examples=150, deadline=None)
def test_an_article_file_parses_or_is_one_domain_error_and_renders_inert(text):
    try:
        fields = parse_article(text, file_slug="fuzz")
    except DeskError as exc:
        assert "\n" not in str(exc)
        return
    shown = render.safe_markdown(fields.body) + render.plain_text(fields.body)
    assert ESC not in shown and "\u009b" not in shown and "\u202e" not in shown


@given(text=articles())
@SLOW
def test_an_article_import_is_whole_or_refused_with_nothing_written(desk, text):
    try:
        fields = parse_article(text, file_slug=f"fuzz-{uuid.uuid4().hex[:8]}")
    except DeskError:
        return
    before = counts(desk)
    try:
        result = desk.import_articles([fields])
    except DeskError:
        assert counts(desk) == before
        return
    assert counts(desk)["Article"] - before["Article"] == len(result.created)


# --- rules files ----------------------------------------------------------------------------------

RULE_VALUES = st.one_of(
    TEXT.map(json.dumps), st.integers(-5, 10**12).map(str), st.sampled_from([
        "true", "[]", '["billing", "vpn"]', '"(?:a+)+$"', '"["', '"@group"', '"ada"', '"Billing"',
        '"urgent"', '">= 2"', '"< 1"', '"created"', '["created", "nope"]', "1.5", "{}",
        "[" * 200 + "]" * 200, '"\\u001b]52;c;SGVsbG8=\\u0007"', '"' + "x" * 5000 + '"']))
BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
TRIGGERS = ['["created"]', '["updated", "customer_reply"]', "[]", '"x"']
RULE_KEYS = st.sampled_from([*rulebook.CONDITIONS, *rulebook.ACTIONS, "nope", "name", "on"])


@st.composite
def rules_files(draw) -> str:
    rules = []
    for _ in range(draw(st.integers(0, 3))):
        lines = ["[[rule]]"]
        if draw(st.booleans()):
            lines.append(f"name = {draw(RULE_VALUES)}")
        if draw(st.booleans()):
            lines.append("on = " + draw(st.sampled_from(TRIGGERS)))
        for part in draw(st.lists(st.sampled_from(["when", "unless", "then", "oops"]),
                                  max_size=3, unique=True)):
            lines.append(f"[rule.{part}]")
            lines += [f"{key} = {value}" for key, value in draw(st.lists(
                st.tuples(RULE_KEYS, RULE_VALUES), max_size=3, unique_by=lambda kv: kv[0]))]
        rules.append("\n".join(lines))
    text = "\n\n".join(rules)
    return draw(st.one_of(st.just(text), TEXT, st.just(text + draw(TEXT))))


@given(text=rules_files())
@settings(max_examples=150, deadline=None)
def test_a_rules_file_parses_or_is_one_domain_error(text):
    try:
        specs = rulebook.parse_rules(text)
    except DeskError as exc:
        _assert_shown_inert(str(exc))
        return
    assert all(spec.name for spec in specs)


def _assert_shown_inert(message: str) -> None:
    """A rules file's refusal: a line per problem, none holding a control character (C0, C1:
    what escape sequences are made of) or a bidi control."""
    for line in message.splitlines():
        assert line and not any(unicodedata.category(ch) == "Cc" or ch in BIDI
                                for ch in line), repr(line)


@given(text=rules_files())
@SLOW
def test_a_rules_load_replaces_the_set_whole_or_changes_nothing(desk, text):
    desk.load_rules('[[rule]]\nname = "Keep"\non = ["created"]\n'
                    '[rule.when]\nsubject_any = ["vpn"]\n[rule.then]\nadd_tags = ["vpn"]\n')
    before = [rule.name for rule in desk.list_rules()]
    try:
        loaded = desk.load_rules(text)
    except DeskError as exc:
        _assert_shown_inert(str(exc))
        assert [rule.name for rule in desk.list_rules()] == before
        return
    assert [rule.name for rule in desk.list_rules()] == [rule.name for rule in loaded]
