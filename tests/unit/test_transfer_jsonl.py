"""``deskterm export jsonl`` and ``import jsonl``: export -> import into an empty desk -> export
gives the same bytes, on each store and across them (SQLite -> PostgreSQL -> SQLite); CSV
export read back by ``import csv``; malformed JSONL refused by line with nothing written."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from deskterm.db.engine import Store
from deskterm.db.models import Attachment, Message
from deskterm.desk import setup
from deskterm.desk.people import directory as people
from deskterm.desk.service import Desk
from deskterm.desk.tickets import ops
from deskterm.desk.tickets.ticket import (
    add_customer_message,
    add_note,
    add_reply,
    create_ticket,
)
from deskterm.desk.transfer.csv_import import ImportRefused

from ..conftest import sqlite_template

HOSTILE = "Pwn \x1b]8;;http://evil\x07link\x1b]8;;\x07 \x1b[2J\u202e ёжик 打印机 🎉 \\ \" '"


def _admin(session):
    return setup.ensure_first_admin(session, username="ada", display_name="Ada Admin")


def _fill(store: Store) -> None:
    """A small desk holding every kind of thing a ticket carries."""

    def work(session):
        ada = _admin(session)
        bert = people.add_agent(session, username="bert", display_name="Bert Agent",
                                email="bert@desk.test")
        people.add_group(session, name="Network")
        session.execute(text("INSERT INTO organizations (name, domain, created_at) VALUES "
                             "('Acme', 'acme.com', CURRENT_TIMESTAMP)"))
        first = create_ticket(session, actor=ada, requester_email="ann@acme.com",
                              requester_name="Ann Smith", subject="VPN drops " + HOSTILE,
                              body="It drops.\n\n" + HOSTILE, priority="high",
                              assignee="bert", group="Network", tags=["vpn", "remote"])
        add_reply(session, actor=bert, number=first.number, body="Try again", minutes=5)
        add_note(session, actor=bert, number=first.number, body="Internal " + HOSTILE)
        add_customer_message(session, number=first.number, body="Still drops",
                             source_message_id="abc@mail.acme.com")
        caller = people.add_customer_without_email(session, name="Caller on the phone")
        second = create_ticket(session, actor=ada, requester_email=None,
                               requester_id=caller.id, subject="Phone: invoice",
                               body="Asked about invoice 7", channel="phone")
        third = create_ticket(session, actor=ada, requester_email="zoe@other.org",
                              subject="Same VPN", body="Me too")
        ops.link(session, actor=ada, number=second.number, other=first.number)
        ops.merge(session, actor=ada, source=third.number, target=first.number)
        message = session.exec(
            Message.__table__.select().where(Message.ticket_id == first.number)).first()
        data = b"\x00\x01binary\xff" * 10
        session.add(Attachment(message_id=message.id, filename="log.txt",
                               content_type="text/plain", size=len(data),
                               sha256=hashlib.sha256(data).hexdigest(), data=data))

    store.write(work)


def _empty_desk(store: Store) -> Desk:
    store.write(_admin)
    return Desk(store, username="ada")


def _export(store: Store) -> bytes:
    out = io.StringIO()
    Desk(store, username="ada").export_jsonl(query=None, write=out.write)
    return out.getvalue().encode("utf-8")


def _import(store: Store, data: bytes, tmp_path: Path) -> None:
    path = tmp_path / f"{uuid.uuid4().hex}.jsonl"
    path.write_bytes(data)
    report = Desk(store, username="ada").import_jsonl(path)
    assert report.committed


def test_export_import_export_gives_the_same_bytes_on_one_store(stores, tmp_path):
    source = stores.store()
    _fill(source)
    exported = _export(source)
    target = stores.store()
    _empty_desk(target)

    _import(target, exported, tmp_path)

    assert _export(target) == exported
    lines = [json.loads(line) for line in exported.decode().splitlines()]
    assert [t["number"] for t in lines] == [1001, 1002, 1003]
    assert exported.isascii()
    first = lines[0]
    assert first["subject"] == "VPN drops " + " ".join(HOSTILE.split())
    assert [m["public"] for m in first["messages"]][:3] == [True, True, False]
    assert first["messages"][0]["attachments"][0]["filename"] == "log.txt"
    assert lines[1]["requester"]["email"] is None
    assert lines[1]["links"][0]["other"] == 1001
    assert lines[2]["merged_into"] == 1001


@pytest.mark.postgres
def test_sqlite_to_postgresql_to_sqlite_gives_the_same_bytes(tmp_path, postgres_server):
    postgres_server.require()
    made: list[Store] = []

    def sqlite_store() -> Store:
        path = tmp_path / f"desk-{uuid.uuid4().hex[:8]}.sqlite3"
        shutil.copyfile(sqlite_template(), path)
        made.append(Store(f"sqlite:///{path}"))
        return made[-1]

    name = postgres_server.create(migrated=True)
    try:
        source = sqlite_store()
        _fill(source)
        exported = _export(source)
        postgres = Store(postgres_server.url(name))
        made.append(postgres)
        _empty_desk(postgres)
        _import(postgres, exported, tmp_path)
        assert _export(postgres) == exported
        back = sqlite_store()
        _empty_desk(back)
        _import(back, _export(postgres), tmp_path)
        assert _export(back) == exported
        # the imported desk works: search finds the text, numbers go on after the highest
        with back.read() as session:
            found = session.execute(text("SELECT value FROM counters "
                                         "WHERE name = 'ticket_number'")).scalar()
        assert found == 1004
    finally:
        for store in made:
            store.dispose()
        postgres_server.drop(name)


def test_the_agents_and_groups_an_import_makes_are_in_the_audit_log(stores, tmp_path, cli,
                                                                    admin):
    source = stores.store()
    _fill(source)
    path = tmp_path / "desk.jsonl"
    path.write_bytes(_export(source))

    assert cli("import", "jsonl", str(path), "--dry-run").exit_code == 0
    assert json.loads(cli("audit", "--json", "--kind", "agent,group").stdout) == []

    result = cli("import", "jsonl", str(path))
    assert result.exit_code == 0, result.stderr
    rows = json.loads(cli("audit", "--json", "--kind", "agent,group").stdout)
    assert {(r["kind"], r["object"], r["field"], r["actor"], r["via"]) for r in rows} == {
        ("agent", "bert", "created", "ada", "import jsonl"),
        ("group", "Network", "created", "ada", "import jsonl")}
    bert = next(r for r in rows if r["object"] == "bert")
    assert json.loads(bert["new"])["display_name"] == "Bert Agent"


def test_an_imported_desk_is_searchable_and_numbers_continue(stores, tmp_path, cli, admin):
    source = stores.store()
    _fill(source)
    exported = _export(source)
    path = tmp_path / "desk.jsonl"
    path.write_bytes(exported)

    result = cli("import", "jsonl", str(path))

    assert result.exit_code == 0, result.stderr
    assert "3 ticket(s) with" in result.stdout
    assert "#1002" in cli("ticket", "list", "--query", "invoice").stdout
    made = cli("ticket", "create", "--requester", "new@x.io", "--subject", "Next",
               "--body", "b")
    assert "#1004" in made.stdout


def test_export_with_a_query_writes_only_those_tickets_to_a_file(stores, cli, tmp_path, store):
    _fill(store)
    path = tmp_path / "phone.jsonl"

    result = cli("export", "jsonl", "--query", "invoice", "-o", str(path))

    assert result.exit_code == 0, result.stderr
    assert [json.loads(line)["number"] for line in path.read_text().splitlines()] == [1002]


def test_a_part_of_a_desk_leaves_out_links_to_tickets_it_does_not_hold(stores, cli, store,
                                                                       tmp_path):
    _fill(store)
    path = tmp_path / "part.jsonl"
    cli("export", "jsonl", "--query", "invoice", "-o", str(path))  # #1002, linked to #1001
    target = stores.store()
    _empty_desk(target)

    result = cli("import", "jsonl", str(path), db=target.url.render_as_string(
        hide_password=False))

    assert result.exit_code == 0, result.stderr
    assert "1 ticket(s)" in result.stdout
    assert "1 link(s) or merge pointer(s) to tickets not in the file" in result.stdout


def test_a_csv_export_is_read_back_by_import_csv(stores, cli, store, tmp_path):
    _fill(store)
    path = tmp_path / "desk.csv"
    assert cli("export", "csv", "-o", str(path)).exit_code == 0
    target = stores.store()
    _empty_desk(target)
    url = target.url.render_as_string(hide_password=False)

    result = cli("import", "csv", str(path), "--create-agents", db=url)

    assert result.exit_code == 0, result.stderr
    assert "3 ticket(s) created" in result.stdout
    with target.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT external_id, subject, status FROM tickets ORDER BY id")).all()
    assert [r[0] for r in rows] == ["1001", "1002", "1003"]
    assert rows[2][2] == "closed"


def test_a_csv_export_quotes_formulas_and_import_takes_the_quote_off(stores, cli, store,
                                                                     tmp_path):
    store.write(lambda s: create_ticket(s, actor=_admin(s), requester_email="m@x.io",
                                        subject='=HYPERLINK("http://evil","click")',
                                        body="@SUM(1+1)\nrest"))
    path = tmp_path / "desk.csv"
    cli("export", "csv", "-o", str(path))
    assert "'=HYPERLINK" in path.read_text(encoding="utf-8")
    target = stores.store()
    _empty_desk(target)

    result = cli("import", "csv", str(path), db=target.url.render_as_string(hide_password=False))

    assert result.exit_code == 0, result.stderr
    with target.engine.connect() as connection:
        subject, body = connection.execute(text(
            "SELECT t.subject, m.body FROM tickets t JOIN messages m ON m.ticket_id = t.id")).one()
    assert (subject, body) == ('=HYPERLINK("http://evil","click")', "@SUM(1+1)\nrest")


def test_malformed_lines_are_listed_and_nothing_is_written(stores, cli, store, tmp_path):
    _fill(store)
    good = _export(store).decode().splitlines()
    target = stores.store()
    _empty_desk(target)
    url = target.url.render_as_string(hide_password=False)
    broken = json.loads(good[1])
    broken["status"] = "exploded"
    lines = [good[0], "{not json", json.dumps(broken), '{"format": "other"}',
             "[" * 100_000, good[2], good[0]]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = cli("import", "jsonl", str(path), db=url)

    assert result.exit_code == 1
    assert "line 2: not JSON" in result.stderr
    assert "line 3: 'status' is not one of" in result.stderr
    assert "line 4: not a deskterm ticket" in result.stderr
    assert "line 5: not JSON" in result.stderr
    assert "line 7: ticket #1001 is also on line 1" in result.stderr
    assert "Traceback" not in result.stderr
    with target.engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM tickets")).scalar() == 0


def test_a_line_longer_than_the_cap_is_a_problem_of_its_line(store, admin, tmp_path,
                                                              monkeypatch):
    from deskterm.desk.transfer import jsonl_in

    monkeypatch.setattr(jsonl_in, "MAX_LINE", 1000)
    path = tmp_path / "long.jsonl"
    path.write_text('{"format": "' + "x" * 5000 + '"}\n{not json\n', encoding="utf-8")

    with pytest.raises(ImportRefused) as refused:
        Desk(store, username="ada").import_jsonl(path)

    assert [str(p) for p in refused.value.report.problems] == [
        "line 1: longer than 1,000 characters", "line 2: not JSON (Expecting property name "
        "enclosed in double quotes: line 1 column 2 (char 1))"]


def test_numbers_already_on_the_desk_are_refused(store, tmp_path):
    _fill(store)
    path = tmp_path / "again.jsonl"
    path.write_bytes(_export(store))

    with pytest.raises(ImportRefused) as refused:
        Desk(store, username="ada").import_jsonl(path)

    assert "ticket #1001 is already on this desk" in str(refused.value.report.problems[0])
