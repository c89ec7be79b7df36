# ruff: noqa: E501  (the exports below are the lines other desks write)
"""``deskterm import csv`` on both stores: other desks' exports, re-imports, dry runs, rejects,
and every kind of malformed file refused by line and column with nothing half-applied."""

from __future__ import annotations

import gc
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from deskterm.desk.people import directory as people
from deskterm.desk.transfer import csv_import, csv_in

ZENDESK = """\
Id,Subject,Description,Status,Priority,Requester,Requester email,Assignee,Group,Tags,Created at,Updated at,Via
101,VPN drops,"It drops every hour.
Please help",Open,High,Ann Smith,Ann@Acme.com,,Network,"vpn, remote",2024-03-04T10:15:00Z,2024-03-05 11:00,Web Widget
102,Phone call about invoice,Caller asked about invoice 7,Solved,Low,Bob Caller,,,Billing,billing;invoice,04.03.2024 09:00,,Voice
103,Printer toner,Out of toner,Waiting on Customer,Urgent,Ann Smith,ann@acme.com,ada,network,,2024-03-06 08:00 +0100,,email
"""

FRESHDESK = """\
Ticket ID;Subject;Description;Status;Priority;Full name;Email;Agent;Group;Tags;Created time;Resolved time;Source;Type
7;Cannot log in;Password reset fails;Resolved;Medium;Cleo Park;cleo@beta.io;;;login;13/03/2024 14:05;14/03/2024 09:00;Portal;Incident
"""


OSTICKET = """\
Ticket Number,Date Created,Subject,From,From Email,Priority,Department,Help Topic,Source,Current Status,Last Updated,Agent Assigned
548213,2024-02-01 09:30:00,Cannot print,Dana Lee,dana@corp.example,Emergency,Support,Printers,Phone,Open,2024-02-02 10:00:00,
"""

HELPSCOUT = """\
Conversation ID,Number,Subject,Status,Customer Name,Customer Email Addresses,Tags,Created At,Type,Mailbox
1234567,88,Where is my order?,active,Eli Moss,eli@shop.example,orders shipping,2024-05-01T08:00:00Z,chat,Support
1234568,89,Refund please,closed,Fay <fay@shop.example>,,refund,2024-05-02T08:00:00Z,email,Support
"""


def _csv(tmp_path: Path, body: str | bytes, name: str = "tickets.csv") -> Path:
    path = tmp_path / name
    if isinstance(body, str):
        path.write_text(body, encoding="utf-8", newline="")
    else:
        path.write_bytes(body)
    return path


def _count(store, table: str) -> int:
    with store.engine.connect() as connection:
        return connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()


def _tickets(store) -> dict[str, tuple]:
    with store.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT t.external_id, t.id, t.subject, t.status, t.priority, t.channel, "
            "c.email, c.name, t.version FROM tickets t JOIN customers c "
            "ON c.id = t.requester_id ORDER BY t.id")).all()
    return {row[0]: tuple(row[1:]) for row in rows}


@pytest.fixture
def desk(cli, admin):
    return cli


@pytest.fixture(params=["read in process", "read beside"])
def reading(request, monkeypatch):
    """Both ways of reading a file: in the importing process (small files), and by a helper
    process beside it (big ones; here every file)."""
    if request.param == "read beside":
        monkeypatch.setattr(csv_in, "PARALLEL_BYTES", 0)
    return request.param


def test_a_zendesk_export_is_imported_with_its_people_dates_and_tags(desk, store, tmp_path, reading):
    result = desk("import", "csv", str(_csv(tmp_path, ZENDESK)))

    assert result.exit_code == 0, result.stderr
    assert "3 ticket(s) created, 0 updated" in result.stdout
    assert result.stdout.count("\n") == 1  # piped: no progress bar, one line
    tickets = _tickets(store)
    assert tickets["101"][:6] == (1001, "VPN drops", "open", 2, "web", "ann@acme.com")
    # a phone caller known only by name is a customer without an address, not a rejected row
    assert tickets["102"][2:7] == ("solved", 0, "phone", None, "Bob Caller")
    assert tickets["103"][2:6] == ("pending", 3, "email", "ann@acme.com")
    assert _count(store, "customers") == 2
    shown = desk("ticket", "show", "1001").stdout
    assert "It drops every hour.\nPlease help" in shown
    assert "tags remote, vpn" in shown
    assert "created 2024-03-04 10:15 UTC" in shown
    assert "updated 2024-03-05 11:00 UTC" in shown
    assert "created 2024-03-06 07:00 UTC" in desk("ticket", "show", "1003").stdout  # +0100
    assert "requester Bob Caller\n" in desk("ticket", "show", "1002").stdout
    assert gc.isenabled()  # (the import turns the cycle collector off while rows stream)


def test_people_and_groups_already_on_the_desk_are_matched_not_made_again(desk, store, admin,
                                                                         tmp_path):
    from deskterm.desk.tickets.ticket import create_ticket

    def existing(session):
        people.add_group(session, name="NETWORK")
        people.add_agent(session, username="bert", display_name="Bert Agent",
                         email="bert@desk.test")
        create_ticket(session, actor=admin, requester_email="ann@acme.com", subject="Old",
                      body="old")

    store.write(existing)
    body = ("Subject,Email,Group,Assignee\n"
            "One,ANN@acme.com,network,Bert Agent\nTwo,ann@acme.com,Network,bert@desk.test\n")

    result = desk("import", "csv", str(_csv(tmp_path, body)))

    assert result.exit_code == 0, result.stderr
    assert "2 ticket(s) created, 0 updated\n" in result.stdout  # nobody new
    assert _count(store, "customers") == 1 and _count(store, "agent_groups") == 1
    with store.engine.connect() as connection:
        assignees = connection.execute(text(
            "SELECT DISTINCT a.username FROM tickets t JOIN agents a ON a.id = t.assignee_id"
        )).scalars().all()
    assert assignees == ["bert"]


def test_imported_text_is_found_by_search(desk, store, tmp_path):
    desk("import", "csv", str(_csv(tmp_path, ZENDESK)))

    assert "#1002" in desk("ticket", "list", "--query", "invoice").stdout
    assert "#1001" in desk("ticket", "list", "--query", "hour").stdout


def test_a_freshdesk_export_with_semicolons_and_day_first_dates_is_read(desk, store, tmp_path):
    result = desk("import", "csv", str(_csv(tmp_path, FRESHDESK)))

    assert result.exit_code == 0, result.stderr
    with store.engine.connect() as connection:
        row = connection.execute(text("SELECT status, type, channel, solved_at FROM tickets")).one()
    assert row[:3] == ("solved", "incident", "web")
    assert "2024-03-14" in str(row[3])


def test_importing_the_same_file_again_updates_instead_of_duplicating(desk, store, tmp_path, reading):
    path = _csv(tmp_path, ZENDESK)
    desk("import", "csv", str(path))
    path.write_text(ZENDESK.replace("VPN drops,", "VPN drops daily,"), encoding="utf-8")

    again = desk("import", "csv", str(path))

    assert again.exit_code == 0, again.stderr
    assert "0 ticket(s) created, 3 updated" in again.stdout
    tickets = _tickets(store)
    assert len(tickets) == 3
    assert tickets["101"][1] == "VPN drops daily"
    assert tickets["101"][7] == 2  # its version went up
    assert "#1001" in desk("ticket", "list", "--query", "daily").stdout


def test_a_re_import_with_new_people_and_tags_in_later_batches_updates_and_searches(
        desk, store, tmp_path, monkeypatch):
    monkeypatch.setattr(csv_import, "BATCH", 1)  # updates come after inserts began
    path = _csv(tmp_path, ZENDESK)
    desk("import", "csv", str(path))
    path.write_text(ZENDESK.replace("Printer toner,Out of toner", "Printer ink,Out of magenta")
                    .replace("vpn, remote", "vpn, brandnew").replace("ann@acme.com,ada",
                                                                    "newcomer@acme.com,ada")
                    + "104,Another,Body,Open,High,Eve,eve@x.io,,,fresh,2024-03-04,,web\n",
                    encoding="utf-8")

    again = desk("import", "csv", str(path))

    assert again.exit_code == 0, again.stderr
    assert "1 ticket(s) created, 3 updated" in again.stdout
    assert "#1003" in desk("ticket", "list", "--query", "magenta").stdout
    assert "#1003" not in desk("ticket", "list", "--query", "toner").stdout
    assert "#1004" in desk("ticket", "list", "--query", "another").stdout
    assert "tags brandnew, vpn" in desk("ticket", "show", "1001").stdout


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(desk, store, tmp_path):
    result = desk("import", "csv", str(_csv(tmp_path, ZENDESK)), "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert "would have 3 ticket(s) created" in result.stdout
    assert "2 new requester(s)" in result.stdout
    assert _count(store, "tickets") == _count(store, "customers") == 0


def test_an_osticket_export_is_read(desk, store, tmp_path):
    result = desk("import", "csv", str(_csv(tmp_path, OSTICKET)))

    assert result.exit_code == 0, result.stderr
    tickets = _tickets(store)
    assert tickets["548213"][1:7] == ("Cannot print", "open", 3, "phone", "dana@corp.example",
                                      "Dana Lee")


def test_a_help_scout_export_is_read_its_type_telling_the_channel(desk, store, tmp_path):
    result = desk("import", "csv", str(_csv(tmp_path, HELPSCOUT)))

    assert result.exit_code == 0, result.stderr
    tickets = _tickets(store)
    assert tickets["1234567"][2:7] == ("open", 1, "chat", "eli@shop.example", "Eli Moss")
    # a "Name <address>" in the name's column, the address column empty
    assert tickets["1234568"][2:7] == ("closed", 1, "email", "fay@shop.example", "Fay")
    assert "tags orders, shipping" in desk("ticket", "show", "1001").stdout


def test_map_overrides_a_column_and_can_ignore_one(desk, store, tmp_path):
    body = "Ref,Headline,Who,Notes\nA-1,Broken chair,dan@x.io,ignore me\n"
    path = _csv(tmp_path, body)

    result = desk("import", "csv", str(path), "--map", "Headline=subject", "--map",
                  "Who=requester_email", "--map", "Ref=external_id", "--map", "Notes=-")

    assert result.exit_code == 0, result.stderr
    assert _tickets(store)["A-1"][1:2] == ("Broken chair",)


def test_an_unknown_assignee_is_a_problem_unless_agents_may_be_created(desk, store, tmp_path, reading):
    path = _csv(tmp_path, "Subject,Email,Assignee\nHelp,e@x.io,Zed Agent\n")

    refused = desk("import", "csv", str(path))
    assert refused.exit_code == 1
    assert "line 2, column 'Assignee': no agent 'Zed Agent'" in refused.stderr

    made = desk("import", "csv", str(path), "--create-agents")
    assert made.exit_code == 0, made.stderr
    assert "1 new agent(s)" in made.stdout
    assert "zed.agent" in desk("agent", "list").stdout
    with store.engine.connect() as connection:  # (a json column, by binary COPY on PostgreSQL)
        skills = connection.execute(text(
            "SELECT CAST(skills AS TEXT) FROM agents WHERE username = 'zed.agent'")).scalar()
    assert json.loads(skills) == []


def test_the_agents_and_groups_an_import_makes_are_in_the_audit_log(desk, store, tmp_path):
    path = _csv(tmp_path, "Subject,Email,Assignee,Group\nHelp,e@x.io,Zed Agent,Returns\n")
    refused = desk("import", "csv", str(path), "--dry-run", "--create-agents")
    assert refused.exit_code == 0, refused.stderr
    assert _count(store, "audit_log") == 0  # a dry run writes nothing, its log neither

    made = desk("import", "csv", str(path), "--create-agents")
    assert made.exit_code == 0, made.stderr
    trail = desk("audit", "--json")
    assert trail.exit_code == 0, trail.stderr
    rows = {(row["kind"], row["object"]): row for row in json.loads(trail.stdout)
            if row["kind"] in ("agent", "group")}
    agent, group = rows[("agent", "zed.agent")], rows[("group", "Returns")]
    assert (agent["actor"], agent["field"], agent["via"]) == ("ada", "created", "import csv")
    assert json.loads(agent["new"])["display_name"] == "Zed Agent"
    assert (group["actor"], group["field"]) == ("ada", "created")


def test_an_agent_may_not_import(cli, agent, as_user, store, tmp_path):
    as_user("bert")
    result = cli("import", "csv", str(_csv(tmp_path, ZENDESK)))

    assert result.exit_code == 1
    assert "only an admin can import tickets" in result.stderr
    assert _count(store, "tickets") == 0


def test_skip_invalid_imports_the_good_rows_and_writes_the_rest_with_a_reason(desk, store,
                                                                              tmp_path, reading):
    body = ZENDESK + "104,Bad one,x,Exploded,High,Eve,eve@x.io,,,,2024-03-04,,web\n"
    path = _csv(tmp_path, body)

    result = desk("import", "csv", str(path), "--skip-invalid")

    assert result.exit_code == 0, result.stderr
    assert "3 ticket(s) created" in result.stdout
    rejects = (tmp_path / "tickets.csv.rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects[0].endswith(",reason")
    assert rejects[1].startswith("104,Bad one,")
    assert "line 6: Status: 'Exploded' is not a status" in rejects[1]


def test_rows_refused_after_their_check_are_written_whole_to_the_rejects(desk, store, tmp_path,
                                                                         reading):
    body = ("Id,Subject,Email,Assignee\n"
            "1,First,a@x.io,\n"
            "2,Unknown agent,b@x.io,Zed <script>\n"
            "1,Same id,c@x.io,\n"
            "3,Fine,d@x.io,ada\n")
    path = _csv(tmp_path, body)

    result = desk("import", "csv", str(path), "--skip-invalid")

    assert result.exit_code == 0, result.stderr
    assert "2 ticket(s) created" in result.stdout
    rejects = (tmp_path / "tickets.csv.rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects[1].startswith("2,Unknown agent,b@x.io,Zed <script>,")
    assert "no agent 'Zed <script>'" in rejects[1]
    assert rejects[2].startswith("1,Same id,c@x.io,,")
    assert "is also the id of line 2" in rejects[2]
    assert sorted(_tickets(store)) == ["1", "3"]


# --- Malformed files: one clear line per problem, nothing written, no traceback --------------


def _refused(desk, store, path: Path, *args: str) -> str:
    result = desk("import", "csv", str(path), *args)
    assert result.exit_code == 1, result.stdout
    assert "Traceback" not in result.stderr
    assert _count(store, "tickets") == _count(store, "customers") == 0
    return result.stderr


def test_every_bad_cell_is_listed_with_its_line_and_column(desk, store, tmp_path, reading):
    body = ("Subject,Email,Status,Created\n"
            "Fine,a@x.io,open,2024-01-02\n"
            "Bad status,b@x.io,exploded,2024-01-02\n"
            "Bad date,c@x.io,open,2024-02-31\n"
            "Ambiguous date,c@x.io,open,03/04/2024\n"
            "Bad address,not-an-address,open,2024-01-02\n")

    stderr = _refused(desk, store, _csv(tmp_path, body))

    assert "line 3, column 'Status': 'exploded' is not a status" in stderr
    assert "line 4, column 'Created': '2024-02-31' is not a date" in stderr
    assert "line 5, column 'Created': '03/04/2024': day and month could be either" in stderr
    assert "line 6, column 'Email': e-mail: 'not-an-address' is not an e-mail address" in stderr
    assert "nothing was imported: 4 problem(s) in 4 of 5 row(s)" in stderr


def test_rows_written_before_a_bad_row_are_rolled_back(desk, store, tmp_path, reading, monkeypatch):
    monkeypatch.setattr(csv_import, "BATCH", 1)  # the first rows are written before the bad one
    body = ZENDESK + "104,Bad one,x,Exploded,High,Eve,eve@x.io,,,,2024-03-04,,web\n"

    stderr = _refused(desk, store, _csv(tmp_path, body))

    assert "line 6, column 'Status'" in stderr
    assert _count(store, "tags") == _count(store, "agent_groups") == 0
    assert gc.isenabled()  # back on after a refused import too


def test_an_import_leaves_the_cycle_collector_off_if_it_was_off(desk, store, tmp_path):
    source = csv_in.CsvFile(_csv(tmp_path, ZENDESK), csv_in.Options(overrides={}))
    gc.disable()
    try:
        assert csv_import.import_csv(store, source).created == 3
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert _count(store, "tickets") == 3


def test_ragged_rows_are_named(desk, store, tmp_path):
    body = "Subject,Email,Status\nOne,a@x.io,open\nTwo,b@x.io\nThree,c@x.io,open,extra\n"

    stderr = _refused(desk, store, _csv(tmp_path, body))

    assert "line 3: 2 cells, the header has 3" in stderr
    assert "line 4: 4 cells, the header has 3" in stderr


def test_a_wrong_delimiter_is_named_with_the_columns_it_read(desk, store, tmp_path):
    stderr = _refused(desk, store, _csv(tmp_path, "Subject;Email\nOne;a@x.io\n"),
                      "--delimiter", ",")

    assert "line 1 (the header): no column holds the subject" in stderr
    assert "'Subject;Email'" in stderr
    assert "another separator? --delimiter" in stderr


def test_a_byte_order_mark_is_skipped(desk, store, tmp_path):
    path = _csv(tmp_path, "\ufeffSubject,Email\nOne,a@x.io\n".encode())

    result = desk("import", "csv", str(path))

    assert result.exit_code == 0, result.stderr
    assert _count(store, "tickets") == 1


def test_utf16_with_its_byte_order_mark_is_read(desk, store, tmp_path):
    path = _csv(tmp_path, "Subject\tEmail\nZażółć\ta@x.io\n".encode("utf-16"))

    result = desk("import", "csv", str(path))

    assert result.exit_code == 0, result.stderr
    assert _tickets(store)[None][1] == "Zażółć"


def test_bytes_that_are_not_utf8_are_named_by_line_and_column(desk, store, tmp_path, reading):
    path = _csv(tmp_path, "Subject,Email\nOne,a@x.io\nCaf\xe9 cr\xe8me,b@x.io\n".encode("latin-1"))

    stderr = _refused(desk, store, path)
    assert "line 3, column 'Subject': subject: not valid UTF-8 text" in stderr

    result = desk("import", "csv", str(path), "--encoding", "latin-1")
    assert result.exit_code == 0, result.stderr
    assert _count(store, "tickets") == 2


def test_duplicate_ids_in_one_file_are_a_problem(desk, store, tmp_path, reading):
    body = "Id,Subject,Email\n7,One,a@x.io\n7,Two,b@x.io\n"

    stderr = _refused(desk, store, _csv(tmp_path, body))

    assert "line 3, column 'Id': id '7' is also the id of line 2" in stderr


def test_an_empty_or_binary_file_is_one_line(desk, store, tmp_path):
    assert "empty file" in _refused(desk, store, _csv(tmp_path, b"", "empty.csv"))
    assert "binary file" in _refused(desk, store, _csv(tmp_path, b"\x00\x01\x02PK\n", "x.csv"))
    assert "cannot be read" in _refused(desk, store, tmp_path / "missing.csv")


def test_hostile_text_is_stored_as_given_and_printed_inert(desk, store, tmp_path):
    hostile = "Pwn \x1b]8;;http://evil\x07link\x1b]8;;\x07 \x1b[2J\u202e"
    body = f'Subject,Name,Status\n"{hostile}","\x1b[31mMallory",open\n"x",y,"\x1b[5mbad"\n'

    stderr = _refused(desk, store, _csv(tmp_path, body))

    assert "\x1b" not in stderr and "\u202e" not in stderr
    assert "line 3, column 'Status'" in stderr


def test_a_requester_without_an_address_is_found_and_shown(desk, store, tmp_path):
    desk("import", "csv", str(_csv(tmp_path, ZENDESK)))

    with store.read() as session:
        found = people.search_customers(session, text="bob")
    assert [(c.name, c.email) for c in found] == [("Bob Caller", None)]


def _schema(store, sqlite_types: str = "'table', 'index', 'trigger'") -> set[tuple]:
    """The desk's constraints and indexes (SQLite: its ``sqlite_master`` entries of those
    types), to compare before and after."""
    with store.engine.connect() as connection:
        if store.is_sqlite:
            return set(connection.execute(text(
                "SELECT type, name, sql FROM sqlite_master WHERE type IN "
                f"({sqlite_types})")).all())
        return set(connection.execute(text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = current_schema()::regnamespace "
            "UNION ALL SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema()")).all())


def test_an_import_into_an_empty_desk_leaves_every_constraint_and_index_in_place(desk, store,
                                                                                 tmp_path):
    before = _schema(store, "'index', 'trigger'")
    result = desk("import", "csv", str(_csv(tmp_path, ZENDESK)))

    assert result.exit_code == 0, result.stderr
    assert _schema(store, "'index', 'trigger'") == before
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"), \
            store.engine.begin() as connection:  # and they hold again
        connection.execute(text("INSERT INTO ticket_tags (ticket_id, tag_id) "
                                "VALUES (1001, 999999)"))
    with pytest.raises(IntegrityError, match=r"(?i)check"), store.engine.begin() as connection:
        connection.execute(text("UPDATE tickets SET status = 'exploded' WHERE id = 1001"))


def test_an_import_killed_halfway_leaves_the_desk_as_it_was(desk, store, tmp_path):
    """``kill -9`` in the middle of a first import (batches written by COPY or executemany,
    the big tables' indexes, foreign keys and search triggers dropped, the search index half
    built beside the desk, the reading helper at work): nothing of it is in the desk, whose
    schema is whole, and the same file imports in full afterwards."""
    tickets = 5 * csv_import.BATCH
    path = _csv(tmp_path, "Id,Subject,Description,Requester email,Created at\n" + "".join(
        f"k-{n},Printer {n} jams,Paper stuck {n},p{n % 50}@example.com,2024-03-05T12:34:56Z\n"
        for n in range(tickets)))
    before, customers = _schema(store), _count(store, "customers")
    url = store.url.render_as_string(hide_password=False)
    killed = subprocess.run([sys.executable, "-c", (
        "import os, signal\n"
        "from pathlib import Path\n"
        "from deskterm.db.engine import Store\n"
        "from deskterm.desk.transfer.csv_import import import_csv\n"
        "from deskterm.desk.transfer.csv_in import CsvFile, Options\n"
        "batches = []\n"
        "def progress(read):\n"
        "    batches.append(read)\n"
        "    if len(batches) == 3:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        f"import_csv(Store({url!r}), CsvFile(Path({str(path)!r}), Options(overrides={{}})), "
        "progress=progress, parallel=True)\n")], capture_output=True, text=True, timeout=120)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (_count(store, "tickets"), _count(store, "messages"), _count(store, "customers")) \
        == (0, 0, customers)
    assert _schema(store) == before
    if store.is_sqlite:
        with store.engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    result = desk("import", "csv", str(path))
    assert result.exit_code == 0, result.stderr
    assert _count(store, "tickets") == tickets
    assert "Printer 7777 jams" in desk("ticket", "list", "--query", "7777").stdout  # searched
    assert _schema(store) == before


def test_the_connection_of_an_import_checks_constraints_again_after_it(store, admin):
    from deskterm.db.ticket_import import TicketLoad

    for commit in (True, False):
        with TicketLoad(store, checked=True) as load:
            connection = load.connection
            if store.is_sqlite:
                assert connection.execute("PRAGMA ignore_check_constraints").fetchone() == (1,)
            if commit:
                load.commit()
        if store.is_sqlite:  # (back in the pool as the desk's other connections are)
            assert connection.execute("PRAGMA ignore_check_constraints").fetchone() == (0,)
            assert connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
    with pytest.raises(IntegrityError, match=r"(?i)check"), store.engine.begin() as connection:
        connection.execute(text("UPDATE agents SET role = 'exploded'"))


def _side_files(store) -> list[str]:
    from deskterm.db import bulk

    if not store.is_sqlite:
        return []
    folder = Path(store.url.database).parent
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(bulk.SIDE_PREFIX))


def test_an_import_into_an_empty_desk_leaves_its_search_index_and_statistics_ready(
        desk, store, tmp_path, reading):
    """SQLite: the index is built on a thread into a scratch file and copied in (the file
    gone after); PostgreSQL: the big tables analyzed after the commit, side by side."""
    result = desk("import", "csv", str(_csv(tmp_path, ZENDESK + HELPSCOUT_ROWS)))

    assert result.exit_code == 0, result.stderr
    assert _side_files(store) == []
    assert "#1001" in desk("ticket", "list", "--query", "hour").stdout  # a body
    assert "#1003" in desk("ticket", "list", "--query", "toner").stdout  # a subject
    assert "#1004" in desk("ticket", "list", "--query", "注文").stdout  # CJK (trigram)
    # Later writes go on indexing into the copied index.
    created = desk("ticket", "create", "--subject", "Keyboard sticky", "--requester",
                   "ann@acme.com", "--body", "the spacebar squeaks")
    assert created.exit_code == 0, created.stderr
    assert "#1005" in desk("ticket", "list", "--query", "squeaks").stdout
    assert "#1001" in desk("ticket", "list", "--query", "hour").stdout
    with store.engine.connect() as connection:
        if store.is_sqlite:
            assert connection.execute(text(
                "INSERT INTO search_text(search_text, rank) VALUES ('integrity-check', 0)"
            )).rowcount is not None
        else:
            analyzed = dict(connection.execute(text(
                "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname IN ('tickets', 'messages', 'customers')")).all())
            assert analyzed == {"tickets": True, "messages": True, "customers": True}
            assert connection.execute(text(
                "SELECT COUNT(*) FROM pg_stats WHERE tablename = 'messages' "
                "AND attname = 'body'")).scalar() == 1
            autovacuum = connection.execute(text("SHOW autovacuum")).scalar() == "on"
            # The search expression's statistics too, unless autovacuum will make them.
            assert connection.execute(text(
                "SELECT COUNT(*) FROM pg_stats WHERE tablename = 'search_messages_body'"
            )).scalar() == (0 if autovacuum else 1)


HELPSCOUT_ROWS = "104,注文が届きません,まだ届いていません,Open,High,Gus,gus@x.jp,,,,2024-03-04,,web\n"


def test_a_failing_search_build_rolls_the_import_back_and_leaves_no_scratch_file(
        desk, store, tmp_path, monkeypatch):
    from deskterm.db import search_load

    if store.is_sqlite:
        def broken(self):  # (the thread's load; the import's own has nothing pending)
            if self.pending:
                raise RuntimeError("disk full")

        monkeypatch.setattr(search_load.SqliteSearchLoad, "flush", broken)
    else:  # (PostgreSQL builds its search indexes in the transaction: a GIN index fails)
        monkeypatch.setattr(csv_import, "BATCH", 1)
    body = ZENDESK if store.is_sqlite else ZENDESK + "104,Bad,x,Exploded,High,E,e@x.io,,,,,,\n"

    result = desk("import", "csv", str(_csv(tmp_path, body)))

    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    if store.is_sqlite:
        assert "building the search index failed: disk full" in result.stderr
    assert _count(store, "tickets") == _count(store, "messages") == 0
    assert _side_files(store) == []


def test_updates_after_inserts_into_an_empty_desk_keep_the_search_index_whole(desk, store):
    """A load that updates stored text after its first inserts (none of the importers does
    into an empty desk today): SQLite takes in what its search thread indexed so far, then
    indexes the rest itself; every text is found, the old one no more."""
    from deskterm.db.ticket_import import TicketLoad
    from deskterm.db.types import utcnow

    with TicketLoad(store, checked=True) as load:
        now = load.value(utcnow())
        [customer] = load.new_ids("customers", 1)
        load.insert("customers", [(customer, "Ann", "ann@acme.com", None, False, "standard",
                                   now)])
        first, second = load.ticket_numbers(2)
        load.insert("tickets", [(number, subject, "open", 2, "question", "web", customer, None,
                                 None, 1, now, now, None, None, None, 0, 1, None, None, None)
                                for number, subject in ((first, "Scanner jammed"),
                                                        (second, "Mouse lost"))])
        ids = load.new_ids("messages", 2)
        load.insert("messages", [(ids[0], first, None, customer, True, "paper everywhere", now,
                                  None, None, None)])
        load.update_tickets([("Scanner fixed", "open", 2, "question", "web", customer, None,
                              None, now, now, None, None, first)])
        load.insert("messages", [(ids[1], second, None, customer, True, "under the desk", now,
                                  None, None, None)])
        load.commit()

    def found(words: str) -> list[int]:
        shown = desk("ticket", "list", "--query", words).stdout
        return [number for number in (first, second) if f"#{number}" in shown]

    assert found("paper") == [first]
    assert found("fixed") == [first]
    assert found("jammed") == []
    assert found("mouse") == [second]
    assert found("desk") == [second]
    assert _side_files(store) == []


def test_a_utc_time_without_a_zone_reads_as_the_general_way_does():
    """parse_date's shortcut for ``2024-03-05 12:34:56`` in UTC (the common export form) gives
    what the general way gives (an aware UTC time), and leaves every other form to it."""
    from datetime import UTC, datetime, timedelta, timezone

    from deskterm.desk.errors import InvalidInput
    from deskterm.desk.transfer.columns import parse_date

    for text_ in ("2024-03-05 12:34:56", "2024-03-05T12:34:56"):
        parsed = parse_date(text_, zone=UTC, order=None)
        assert parsed == datetime(2024, 3, 5, 12, 34, 56, tzinfo=UTC)
        assert parsed.tzinfo is UTC
    # Another zone: the general way, converted to UTC.
    plus_two = timezone(timedelta(hours=2))
    assert parse_date("2024-03-05 12:34:56", zone=plus_two, order=None) == datetime(
        2024, 3, 5, 10, 34, 56, tzinfo=UTC)
    # Nineteen characters that are not ISO: read by the general way.
    assert parse_date("13/03/2024 14:05:00", zone=UTC, order=None) == datetime(
        2024, 3, 13, 14, 5, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="either way round"):
        parse_date("04/03/2024 10:15:00", zone=UTC, order=None)
    # The year's range holds on the shortcut too.
    with pytest.raises(InvalidInput, match="out of range"):
        parse_date("1800-01-01 00:00:00", zone=UTC, order=None)
    # ISO in UTC with its "Z" (the other shortcut): whatever the zone asked for rows without.
    for zone in (UTC, plus_two):
        for text_ in ("2024-03-05T12:34:56Z", "2024-03-05 12:34:56Z"):
            parsed = parse_date(text_, zone=zone, order=None)
            assert parsed == datetime(2024, 3, 5, 12, 34, 56, tzinfo=UTC)
            assert parsed.tzinfo is UTC
    with pytest.raises(InvalidInput, match="out of range"):
        parse_date("1800-01-01T00:00:00Z", zone=UTC, order=None)
    with pytest.raises(InvalidInput, match="not a date"):
        parse_date("2024-13-05T12:34:56Z", zone=UTC, order=None)
    assert parse_date("2024-03-04T10:15:00+01:00", zone=UTC, order=None) == datetime(
        2024, 3, 4, 9, 15, tzinfo=UTC)


def _first_import_beside_a_reader(store, path: Path, hold: float = 0.0) -> tuple[dict, float]:
    """Another session reads customers (and so holds them) while the first import into the
    empty desk starts; once the import waits for a table (and ``hold`` seconds more), that
    session takes the ticket counter's row (as filing a ticket does) and commits. What the
    import did, and how long the other session's counter update waited."""
    import threading
    import time

    from deskterm.desk.transfer.csv_in import CsvFile, Options

    outcome: dict = {}
    other = store.engine.raw_connection()
    try:
        connection = other.driver_connection
        cursor = connection.cursor()
        cursor.execute("SELECT COUNT(*) FROM customers")

        def run() -> None:
            try:
                outcome["report"] = csv_import.import_csv(
                    store, CsvFile(path, Options(overrides={})), parallel=False)
            except Exception as exc:  # (looked at below)
                outcome["error"] = exc

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + 30
        with store.engine.connect() as watcher:
            while time.monotonic() < deadline and thread.is_alive() and not watcher.execute(text(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()")).scalar():
                time.sleep(0.05)
        time.sleep(hold)
        started = time.monotonic()
        cursor.execute("UPDATE counters SET value = value WHERE name = 'ticket_number'")
        waited = time.monotonic() - started
        connection.commit()
        thread.join(60)
    finally:
        other.close()
    return outcome, waited


def test_the_first_import_into_an_empty_desk_waits_for_a_session_without_a_deadlock(
        desk, store, tmp_path, monkeypatch):
    """PostgreSQL: the first import drops foreign keys, which locks the tables on both ends
    (customers, agents ...). It takes those locks before the ticket counter's row, so a
    session that holds customers and then wants the counter goes first and the import after
    (taken at its first insert, after the counter, the two waited for each other). SQLite
    has one write lock, taken at the import's BEGIN IMMEDIATE: no order to get wrong."""
    if store.is_sqlite:
        pytest.skip("SQLite: one write lock for the whole file")
    from deskterm.db import ticket_import

    monkeypatch.setattr(ticket_import, "LOCK_WAIT", 60.0)  # (a loaded machine)
    outcome, waited = _first_import_beside_a_reader(store, _csv(tmp_path, ZENDESK))

    assert "error" not in outcome, outcome.get("error")
    assert outcome["report"].committed and outcome["report"].created == 3
    assert waited < 5  # (not held up by the import: it had not taken the counter yet)
    assert _count(store, "tickets") == 3


def test_the_first_import_gives_up_on_a_desk_held_by_another_session(desk, store, tmp_path,
                                                                     monkeypatch):
    """PostgreSQL: a session holding customers longer than the import waits for its tables:
    the import is refused as busy, nothing changed, and the other session's work stands."""
    if store.is_sqlite:
        pytest.skip("SQLite: one write lock for the whole file (its busy wait is tested "
                    "with the store)")
    from deskterm.db import ticket_import
    from deskterm.db.errors import StoreBusy

    monkeypatch.setattr(ticket_import, "LOCK_WAIT", 0.3)
    with store.engine.connect() as connection:
        counter = connection.execute(text(
            "SELECT value FROM counters WHERE name = 'ticket_number'")).scalar()

    outcome, _waited = _first_import_beside_a_reader(store, _csv(tmp_path, ZENDESK), hold=2.0)

    assert isinstance(outcome.get("error"), StoreBusy), outcome
    assert "try the import again" in str(outcome["error"])
    assert _count(store, "tickets") == _count(store, "customers") == 0
    with store.engine.connect() as connection:
        assert connection.execute(text(
            "SELECT value FROM counters WHERE name = 'ticket_number'")).scalar() == counter
    result = desk("import", "csv", str(_csv(tmp_path, ZENDESK)))  # and it goes in later
    assert result.exit_code == 0, result.stderr
    assert _count(store, "tickets") == 3
