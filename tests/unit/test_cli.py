"""The admin CLI on both stores: what a user and a script see, exit codes, errors."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def desk(cli, admin):
    """A desk with an agent and a group."""
    added = cli("agent", "add", "bert", "--name", "Bert B", "--skills", "vpn, Printers")
    assert added.exit_code == 0
    assert cli("group", "add", "Network", "--description", "VPN and Wi-Fi").exit_code == 0
    assert cli("group", "add-member", "Network", "bert").exit_code == 0
    return cli


def _create(cli, *extra):
    return cli("ticket", "create", "--subject", "VPN drops hourly", "--body", "Since Monday.",
               "--requester", "carol@acme.test", *extra)


def test_init_creates_the_desk_and_makes_the_user_its_admin(stores, as_user, cli):
    url = stores.url(migrated=False)
    as_user("ada")
    result = cli("init", "--name", "Ada Admin", db=url)
    assert result.exit_code == 0, result.stderr
    assert "ada is its admin" in result.stdout
    listed = json.loads(cli("agent", "list", "--json", db=url).stdout)
    assert [(a["username"], a["role"]) for a in listed] == [("ada", "admin")]
    again = cli("init", db=url)
    assert again.exit_code == 0
    assert "already set up" in again.stdout


def test_a_command_on_an_empty_database_names_deskterm_init(stores, cli):
    result = cli("ticket", "list", db=stores.url(migrated=False))
    assert result.exit_code == 1
    assert "run `deskterm init`" in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_an_unknown_user_gets_one_line_naming_agent_add(desk, as_user):
    as_user("mallory")
    result = desk("ticket", "list")
    assert result.exit_code == 1
    assert result.stderr == ("deskterm: 'mallory' is not an agent of this desk: an admin can add "
                             "you with `deskterm agent add mallory`\n")


def test_admin_commands_are_refused_to_agents(desk, as_user):
    as_user("bert")
    result = desk("agent", "add", "eve")
    assert result.exit_code == 1
    assert "only an admin can add agents" in result.stderr


def test_as_is_honoured_for_admins_and_refused_to_agents(desk, as_user):
    created = json.loads(desk("--as", "bert", "ticket", "create", "--subject", "S", "--body", "B",
                              "--requester", "c@acme.test", "--json").stdout)
    shown = json.loads(desk("ticket", "show", created["ref"], "--json").stdout)
    assert shown["events"][0]["actor"] == "bert"
    as_user("bert")
    refused = desk("--as", "ada", "ticket", "list")
    assert refused.exit_code == 1
    assert "--as is for admins only" in refused.stderr


def test_agents_and_groups_list_as_json(desk):
    agents = json.loads(desk("agent", "list", "--json").stdout)
    bert = next(a for a in agents if a["username"] == "bert")
    assert bert["skills"] == ["printers", "vpn"]
    assert bert["groups"] == ["Network"]
    groups = json.loads(desk("group", "list", "--json").stdout)
    assert groups == [{"id": groups[0]["id"], "name": "Network", "description": "VPN and Wi-Fi",
                       "members": ["bert"], "assignment": "manual",
                       "restricted": False}]


def test_agent_set_and_deactivate(desk):
    assert desk("agent", "set", "bert", "--role", "admin", "--email", "b@desk.test").exit_code == 0
    assert desk("agent", "deactivate", "bert").exit_code == 0
    bert = next(a for a in json.loads(desk("agent", "list", "--json").stdout)
                if a["username"] == "bert")
    assert (bert["role"], bert["active"], bert["email"]) == ("admin", False, "b@desk.test")
    assert desk("agent", "set", "bert", "--active").exit_code == 0


def test_ticket_create_list_show_round_trip(desk):
    created = _create(desk, "--assignee", "bert", "--group", "Network", "--priority", "high",
                      "--tags", "vpn,remote")
    assert created.exit_code == 0, created.stderr
    assert created.stdout == "created #1001: VPN drops hourly\n"
    listed = json.loads(desk("ticket", "list", "--json").stdout)
    [row] = listed["tickets"]
    assert (row["ref"], row["status"], row["assignee"], row["group"], row["tags"]) == (
        "#1001", "open", "bert", "Network", ["remote", "vpn"])
    assert listed["next_cursor"] is None
    shown = desk("ticket", "show", "#1001")
    assert "VPN drops hourly" in shown.stdout
    assert "Since Monday." in shown.stdout


def test_ticket_list_filters(desk):
    _create(desk, "--assignee", "bert")
    _create(desk, "--priority", "urgent")
    _create(desk, "--group", "Network", "--tags", "wifi")
    def numbers(*args):
        return [t["number"] for t in json.loads(desk("ticket", "list", "--json", *args).stdout)
                ["tickets"]]
    assert numbers("--assignee", "bert") == [1001]
    assert numbers("--assignee", "none", "--sort", "number") == [1002, 1003]
    assert numbers("--priority", "urgent,high") == [1002]
    assert numbers("--group", "Network") == [1003]
    assert numbers("--tag", "wifi") == [1003]
    assert numbers("--status", "open") == [1001]
    assert numbers("--requester", "acme.test", "--sort", "-number") == [1003, 1002, 1001]


def test_ticket_list_query_speaks_the_filter_language(desk):
    _create(desk, "--assignee", "bert")
    _create(desk, "--priority", "urgent")
    _create(desk, "--group", "Network", "--tags", "wifi")

    def numbers(query, *args):
        result = desk("ticket", "list", "--json", "--query", query, *args)
        assert result.exit_code == 0, result.stderr
        return [t["number"] for t in json.loads(result.stdout)["tickets"]]

    assert numbers("assignee:bert") == [1001]
    assert numbers("assignee:none sort:number") == [1002, 1003]
    assert numbers("priority:>=high -tag:wifi") == [1002]
    assert numbers("group:Network tag:wifi") == [1003]
    assert numbers("sort:-number", "--limit", "2") == [1003, 1002]


def test_ticket_list_query_errors_name_the_column_and_exit_1(desk):
    bad = desk("ticket", "list", "--query", "status:open assignee:nobody")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("deskterm: --query, column 22: assignee:nobody")
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    both = desk("ticket", "list", "--query", "status:open", "--status", "open")
    assert both.exit_code == 2
    assert "Invalid value for '--query': it holds the whole filter" in both.stderr
    assert both.stderr.endswith("(see `deskterm ticket list --help`)\n")


def test_ticket_list_pages_with_the_cursor(desk):
    for _ in range(5):
        _create(desk)
    first = json.loads(desk("ticket", "list", "--json", "--limit", "3", "--sort",
                            "number").stdout)
    second = json.loads(desk("ticket", "list", "--json", "--limit", "3", "--sort", "number",
                             "--after", first["next_cursor"]).stdout)
    assert [t["number"] for t in first["tickets"] + second["tickets"]] == list(range(1001, 1006))
    assert second["next_cursor"] is None


def test_reply_note_and_set(desk):
    _create(desk)
    assert desk("ticket", "note", "1001", "--body", "Known issue").exit_code == 0
    replied = desk("ticket", "reply", "1001", "--body", "Try this.", "--status", "pending")
    assert replied.stdout == "replied on #1001 (now pending)\n"
    changed = json.loads(desk("ticket", "set", "1001", "--priority", "urgent", "--tags", "+vpn",
                              "--assignee", "bert", "--json").stdout)
    assert (changed["priority"], changed["tags"], changed["assignee"]) == ("urgent", ["vpn"],
                                                                           "bert")
    shown = json.loads(desk("ticket", "show", "1001", "--json").stdout)
    assert [(m["author_kind"], m["public"]) for m in shown["messages"]] == [
        ("customer", True), ("agent", False), ("agent", True)]


def test_reply_reads_the_body_from_stdin(desk):
    _create(desk)
    assert desk("ticket", "reply", "1001", "--body", "-", input="From a pipe\n").exit_code == 0
    shown = json.loads(desk("ticket", "show", "1001", "--json").stdout)
    assert shown["messages"][-1]["body"] == "From a pipe\n"


def test_a_stale_version_from_a_script_exits_1_naming_the_change(desk):
    _create(desk)
    desk("--as", "bert", "ticket", "set", "1001", "--priority", "high")
    result = desk("ticket", "set", "1001", "--status", "solved", "--version", "1")
    assert result.exit_code == 1
    assert "changed by bert" in result.stderr
    assert "priority normal → high" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ticket", "show", "abc"), "'abc' is not a ticket reference"),
        (("ticket", "show", "4242"), "no ticket #4242"),
        (("ticket", "set", "1001", "--priority", "asap"), "priority 'asap' is not one of"),
        (("ticket", "set", "1001", "--status", "closed"), "only a solved ticket can be closed"),
        (("ticket", "set", "1001", "--assignee", "ghost"), "no agent named 'ghost'"),
        (("ticket", "list", "--status", "done"), "status 'done' is not one of"),
        (("ticket", "list", "--after", "garbage"), "is not one this desk handed out"),
        (("ticket", "create", "--subject", "S", "--body", "B", "--requester", "nope"),
         "is not an e-mail address"),
        (("group", "add-member", "Nowhere", "bert"), "no group named 'Nowhere'"),
        (("agent", "add", "bad name!"), "must be an operating-system user name"),
    ],
)
def test_user_errors_are_one_line_on_stderr_with_exit_1(desk, args, message):
    _create(desk)
    result = desk(*args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.startswith("deskterm: ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [
        ("ticket", "set", "1001", "--bogus"),
        ("ticket", "set", "1001"),
        ("ticket", "create", "--subject", "only"),
        ("ticket", "list", "--limit", "many"),
        ("nonsense",),
        ("ticket", "set", "1001", "--tags", "+a,b"),
        ("ticket", "list", "--query", "status:open", "--sort", "number"),
        ("ticket", "list", "--limit", "0"),
        ("ticket", "list", "--limit", "1001"),
        ("ticket", "list", "--limit", "99999999999"),
        ("kb", "search", "vpn", "--limit", "0"),
        ("--as=", "ticket", "list"),
        ("--as", " ", "ticket", "list"),
    ],
)
def test_bad_usage_exits_2(desk, args):
    _create(desk)
    result = desk(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("deskterm: ") and result.stderr.count("\n") == 1
    assert "--help`)" in result.stderr


def test_a_root_option_without_its_value_names_deskterm_help(cli):
    result = cli("--as")
    assert result.exit_code == 2
    assert result.stderr == (
        "deskterm: Option '--as' requires an argument. (see `deskterm --help`)\n")


def test_help_shows_flags_as_flags_without_a_type(cli):
    for args in [(), ("ticket", "list"), ("ticket", "reply"), ("kb", "list"), ("agent", "set"),
                 ("kb", "import"), ("macro", "list")]:
        shown = cli(*args, "--help").stdout
        assert "<bool>" not in shown, args
        assert "--help" in shown and "Show this message and exit." in shown
    listing = cli("ticket", "list", "--help").stdout
    json_row = next(line for line in listing.splitlines() if line.strip().startswith("--json "))
    assert json_row.split("--json", 1)[1].split()[0] == "Print", json_row
    assert "<int range>" in listing  # options that take a value keep their type


def test_every_command_has_help(cli):
    for args in [(), ("init",), ("demo",), ("db",), ("db", "upgrade"), ("db", "current"),
                 ("agent",), ("agent", "add"), ("agent", "list"), ("agent", "set"),
                 ("agent", "deactivate"), ("group",), ("group", "add"), ("group", "list"),
                 ("group", "add-member"), ("ticket",), ("ticket", "create"), ("ticket", "list"),
                 ("ticket", "show"), ("ticket", "reply"), ("ticket", "note"), ("ticket", "set")]:
        result = cli(*args, "--help", db=None)
        assert result.exit_code == 0, args
        assert "Usage:" in result.stdout


def test_hostile_customer_text_reaches_stdout_without_escape_sequences(desk):
    subject = "Re: invoice [/] overdue [@click=app.quit]x[/]"
    body = "copy \x1b]52;c;ZXZpbA==\x07 link \x1b]8;;http://evil\x1b\\here\x1b]8;;\x1b\\ " \
           "csi \x9b31m flip \u202eevil"
    assert desk("ticket", "create", "--subject", subject, "--body", body, "--requester",
                "x@evil.test").exit_code == 0
    for args in (("ticket", "show", "1001"), ("ticket", "list")):
        out = desk(*args).stdout
        assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out
        assert "\u202e" not in out
        assert subject in out
    assert "copy  link here csi  flip evil" in desk("ticket", "show", "1001").stdout


def test_db_current_and_upgrade_on_an_up_to_date_desk(desk):
    current = json.loads(desk("db", "current", "--json").stdout)
    assert current["status"] == "up to date"
    assert "up to date" in desk("db", "upgrade").stdout
