"""Macros on both stores: templates and their placeholders, saving, applying (alone and in bulk)
and the ``deskterm macro`` commands with their file format."""

from __future__ import annotations

import json
import tomllib

import pytest

from deskterm.desk.errors import InvalidInput, NotFound, PermissionDenied, StaleTicket
from deskterm.desk.people import directory as people
from deskterm.desk.tickets import macros
from deskterm.desk.tickets.macros import MacroActions, TemplateError, render

from .helpers import change, detail, new_ticket

GREETING = "Hi {{requester.first_name}},\n\nAbout {{ ticket.ref }} ({{ticket.subject}}).\n" \
           "Regards, {{agent.name}} for {{requester.name}}"


def _add(store, actor, name="Password reset", body=GREETING, **actions):
    return store.write(lambda s: macros.add_macro(s, actor=actor, name=name, body=body,
                                                  actions=MacroActions(**actions)))


def _apply(store, actor, number, name="Password reset", **options):
    return store.write(lambda s: macros.apply_macro(s, actor=actor, number=number,
                                                    macro_name=name, **options))


def _rendered(store, actor, number, body=GREETING):
    return render(body, ticket=detail(store, number), agent=actor)


# --- Rendering ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "first"), [
    ("Carol Jones", "Carol"),
    ("  Carol   Ann  Jones ", "Carol"),
    ("Jones, Carol", "Carol"),
    ("דנה כהן", "דנה"),
    ("王小明", "王小明"),
    ("Zoë", "Zoë"),
    ('"Bob" Smith', "Bob"),
])
def test_first_name_is_the_first_word_of_the_name(name, first):
    assert macros.first_name(name) == first


def test_every_placeholder_is_filled_in(store, admin):
    ticket = new_ticket(store, admin, requester_name="Carol Jones", subject="VPN drops")
    assert _rendered(store, admin, ticket.number) == (
        f"Hi Carol,\n\nAbout {ticket.ref} (VPN drops).\nRegards, Ada Admin for Carol Jones")


@pytest.mark.parametrize(("name", "first"), [("דנה כהן", "דנה"), ("王小明", "王小明")])
def test_hebrew_and_chinese_names(store, admin, name, first):
    ticket = new_ticket(store, admin, requester_name=name, requester_email="x@acme.test")
    text = _rendered(store, admin, ticket.number, "{{requester.first_name}}|{{requester.name}}")
    assert text == f"{first}|{name}"


def test_a_summary_renders_like_the_detail(store, admin):
    ticket = new_ticket(store, admin, requester_name="Carol Jones")
    assert render(GREETING, ticket=ticket, agent=admin) == _rendered(store, admin, ticket.number)


def test_an_empty_name_is_the_address_local_part(store, admin):
    ticket = new_ticket(store, admin, requester_email="dana.k@acme.test")
    assert _rendered(store, admin, ticket.number, "{{requester.first_name}}") == "dana.k"


@pytest.mark.parametrize("hostile", [
    "[@click=app.quit]Mallory[/]",
    "\x1b[2J\x1b]0;pwned\x07Eve",
    "{{agent.name}} {{ticket.ref}}",
    "[bold red]Boss[/bold red] \\[x]",
    "Bob\u202egnp.exe",
])
def test_hostile_values_are_inserted_as_they_are(store, admin, hostile):
    ticket = new_ticket(store, admin, requester_name=hostile, subject=hostile,
                        requester_email="m@evil.test")
    text = _rendered(store, admin, ticket.number, "<{{requester.name}}|{{ticket.subject}}>")
    stored = detail(store, ticket.number)
    assert text == f"<{stored.requester.name}|{stored.ticket.subject}>"
    assert "Ada Admin" not in text  # a placeholder in a value is not filled in


@pytest.mark.parametrize(("body", "line", "shown"), [
    ("Hi {{requester.nam}}", 1, "{{requester.nam}}"),
    ("Hi,\n\nsee {{ ticket.status }} below", 3, "{{ ticket.status }}"),
    ("Hi {{requester.name}},\n{{agent.name", 2, "'{{agent.name'"),
    ("Hi {{ {{ticket.ref}}", 1, "'{{ {{ticket.ref}}'"),
    ("{{}}", 1, "{{}}"),
])
def test_an_unknown_placeholder_is_refused_at_save_with_its_line(store, admin, body, line, shown):
    with pytest.raises(TemplateError) as refused:
        _add(store, admin, body=body)
    assert refused.value.line == line
    assert str(refused.value).startswith(f"macro body, line {line}: ")
    assert shown in str(refused.value)
    with store.read() as session:
        assert macros.list_macros(session) == []


def test_a_body_without_placeholders_and_stray_braces_is_fine(store, admin):
    saved = _add(store, admin, body="Thanks! } {single} }} done")
    assert saved.body == "Thanks! } {single} }} done"


# --- Saving -------------------------------------------------------------------------------------


def test_add_get_list_update_remove(store, admin, agent):
    store.write(lambda s: people.add_group(s, name="Accounts"))
    saved = _add(store, agent, status="Pending", priority="high", group="Accounts",
                 assignee="me", add_tags=("Password", "password"), remove_tags=("new",))
    assert saved.actions == MacroActions(status="pending", priority="high", group="Accounts",
                                         assignee="me", add_tags=("password",),
                                         remove_tags=("new",))
    assert saved.created_by == "bert"
    _add(store, admin, name="apology", body="Sorry, {{requester.first_name}}.")
    with store.read() as session:
        assert [m.name for m in macros.list_macros(session)] == ["apology", "Password reset"]
        assert macros.get_macro(session, name="password RESET").id == saved.id
    renamed = store.write(lambda s: macros.update_macro(
        s, actor=agent, name="Password reset", new_name="Reset password",
        actions=MacroActions(status="solved")))
    assert (renamed.name, renamed.body, renamed.actions) == (
        "Reset password", GREETING, MacroActions(status="solved"))
    removed = store.write(lambda s: macros.remove_macro(s, actor=admin, name="reset password"))
    assert removed.id == saved.id
    with store.read() as session, pytest.raises(NotFound, match="no macro named"):
        macros.get_macro(session, name="Reset password")


@pytest.mark.parametrize(("actions", "message"), [
    ({"status": "closed"}, "cannot set status 'closed'"),
    ({"status": "new"}, "cannot set status 'new'"),
    ({"status": "done"}, "status 'done' is not one of"),
    ({"priority": "asap"}, "priority 'asap' is not one of"),
    ({"group": "Nowhere"}, "actions.group: no group named 'Nowhere'"),
    ({"assignee": "zed"}, "actions.assignee: no agent named 'zed'"),
    ({"add_tags": ("two words",)}, "actions.add_tags: 'two words' is not a tag"),
    ({"add_tags": ("vpn",), "remove_tags": ("VPN",)}, "'vpn' is both added and removed"),
])
def test_bad_action_values_are_refused(store, admin, actions, message):
    with pytest.raises(InvalidInput, match=message):
        _add(store, admin, **actions)


def test_a_deactivated_assignee_is_refused(store, admin, agent):
    store.write(lambda s: people.set_agent(s, username="bert", active=False))
    with pytest.raises(InvalidInput, match="deactivated"):
        _add(store, admin, assignee="bert")


def test_names_are_unique_whatever_their_case(store, admin):
    _add(store, admin)
    with pytest.raises(InvalidInput, match="already exists"):
        _add(store, admin, name="PASSWORD   reset")
    _add(store, admin, name="Other")
    with pytest.raises(InvalidInput, match="already exists"):
        store.write(lambda s: macros.update_macro(s, actor=admin, name="Other",
                                                  new_name="password reset"))
    for bad, message in (("  ", "must not be empty"), ("x" * 101, "longer than 100"),
                         ("tab\x1bname", "control characters")):
        with pytest.raises(InvalidInput, match=message):
            _add(store, admin, name=bad)


def test_only_its_creator_or_an_admin_changes_or_removes_a_macro(store, admin, agent):
    _add(store, admin)
    with pytest.raises(PermissionDenied, match="added by ada: only they or an admin"):
        store.write(lambda s: macros.update_macro(s, actor=agent, name="Password reset",
                                                  body="Mine now"))
    with pytest.raises(PermissionDenied):
        store.write(lambda s: macros.remove_macro(s, actor=agent, name="Password reset"))
    _add(store, agent, name="Bert's")
    store.write(lambda s: macros.update_macro(s, actor=agent, name="Bert's", body="Edited"))
    store.write(lambda s: macros.remove_macro(s, actor=admin, name="Bert's"))


# --- Applying -----------------------------------------------------------------------------------


def test_apply_sends_the_rendered_reply_and_makes_the_actions_as_one_version(store, admin,
                                                                             agent):
    store.write(lambda s: people.add_group(s, name="Accounts"))
    ticket = new_ticket(store, admin, requester_name="Carol Jones", tags=["new"])
    _add(store, admin, status="pending", priority="high", group="Accounts", assignee="me",
         add_tags=("password",), remove_tags=("new",))
    after = _apply(store, agent, ticket.number, minutes=5)
    assert (after.status, after.priority, after.group, after.assignee, after.tags) == (
        "pending", "high", "Accounts", "bert", ("password",))
    assert after.version == ticket.version + 1
    assert after.first_response_at is not None
    shown = detail(store, ticket.number)
    reply = shown.messages[-1]
    assert (reply.public, reply.author, reply.minutes) == (True, "Bert Agent", 5)
    assert reply.body == f"Hi Carol,\n\nAbout {ticket.ref} (Printer jams on page 2).\n" \
                         "Regards, Bert Agent for Carol Jones"
    changed = [(e.field, e.old, e.new, e.actor) for e in shown.events
               if e.version == after.version]
    assert sorted(changed) == [
        ("assignee", None, "bert", "bert"), ("group", None, "Accounts", "bert"),
        ("priority", "normal", "high", "bert"), ("status", "new", "pending", "bert"),
        ("tags", "new", "password", "bert"),
    ]
    assert shown.minutes_spent == 5


def test_apply_with_an_edited_body_as_a_note_and_another_status(store, admin):
    ticket = new_ticket(store, admin)
    change(store, admin, ticket.number, assignee="ada")
    _add(store, admin, status="pending", assignee="none")
    after = _apply(store, admin, ticket.number, body="Called them, {{not a placeholder}}",
                   public=False, send_as="on_hold")
    assert (after.status, after.assignee) == ("on_hold", None)
    note = detail(store, ticket.number).messages[-1]
    assert (note.public, note.body) == (False, "Called them, {{not a placeholder}}")
    assert after.first_response_at is None


def test_a_macro_without_actions_only_replies_and_opens_a_new_ticket(store, admin):
    ticket = new_ticket(store, admin)
    _add(store, admin)
    after = _apply(store, admin, ticket.number)
    assert after.status == "open"
    assert [e.field for e in detail(store, ticket.number).events][-1] == "status"


def test_apply_is_all_or_nothing(store, admin, agent):
    ticket = new_ticket(store, admin)
    _add(store, admin, assignee="bert", status="solved")
    store.write(lambda s: people.set_agent(s, username="bert", active=False))
    with pytest.raises(InvalidInput, match="macro 'Password reset': agent 'bert' is deactivated"):
        _apply(store, admin, ticket.number)
    store.write(lambda s: people.set_agent(s, username="bert", active=True))
    with pytest.raises(StaleTicket):
        _apply(store, admin, ticket.number, expected_version=99)
    with pytest.raises(InvalidInput, match="must not be empty"):
        _apply(store, admin, ticket.number, body="  ", send_as="open")
    shown = detail(store, ticket.number)
    assert len(shown.messages) == 1 and shown.ticket.version == ticket.version
    with pytest.raises(NotFound):
        _apply(store, admin, ticket.number, name="nope")


def test_a_closed_ticket_refuses_a_macro(store, admin):
    ticket = new_ticket(store, admin)
    change(store, admin, ticket.number, status="solved")
    change(store, admin, ticket.number, status="closed")
    _add(store, admin)
    with pytest.raises(PermissionDenied, match="closed is final"):
        _apply(store, admin, ticket.number)


def test_bulk_sends_each_ticket_its_own_reply_and_skips_what_cannot_take_it(store, admin):
    first = new_ticket(store, admin, requester_name="Dana Cohen", requester_email="d@a.test")
    second = new_ticket(store, admin, requester_name="王小明", requester_email="w@a.test")
    closed = new_ticket(store, admin)
    change(store, admin, closed.number, status="solved")
    change(store, admin, closed.number, status="closed")
    _add(store, admin, body="Hi {{requester.first_name}} ({{ticket.ref}})", status="pending",
         add_tags=("outage",))
    result = store.write(lambda s: macros.apply_macro_bulk(
        s, actor=admin, numbers=[first.number, second.number, closed.number, 99999],
        macro_name="password reset"))
    assert result.changed == (first.number, second.number)
    assert dict(result.skipped) == {closed.number: "closed", 99999: "not found"}
    assert "macro Password reset: reply, status pending, tagged outage" in result.summary()
    for ticket, name in ((first, "Dana"), (second, "王小明")):
        shown = detail(store, ticket.number)
        assert shown.messages[-1].body == f"Hi {name} ({ticket.ref})"
        assert (shown.ticket.status, shown.ticket.tags) == ("pending", ("outage",))
    assert len(detail(store, closed.number).messages) == 1


def test_macro_change_is_the_actions_as_a_bulk_change(store, admin):
    saved = _add(store, admin, assignee="me", status="solved", add_tags=("a",))
    bulk = macros.macro_change(saved)
    assert (bulk.take, bulk.assignee, bulk.status, bulk.add_tags) == (True, None, "solved",
                                                                      ("a",))
    assert saved.actions.describe() == "assigned to the sender, status solved, tagged a"


# --- The file format ----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    GREETING,
    "ends with a quote'",
    "has ''' three quotes and \"double\" ones and a \\ backslash",
    "\ncontrol \x1b[31m and \r\n and bidi \u202e and C1 \x9b",
    "tab\there",
])
def test_the_file_format_reads_back_what_it_writes(store, admin, body):
    saved = _add(store, admin, name='Odd "name" \\ ok', body=body, status="solved",
                 add_tags=("a", "b"))
    text = macros.macro_toml(saved)
    parsed = macros.parse_macro_toml(text)
    assert (parsed.name, parsed.body, parsed.actions) == (saved.name, saved.body, saved.actions)
    assert not any(0x80 <= ord(ch) <= 0x9f or (ord(ch) < 0x20 and ch not in "\n\t")
                   for ch in text)


# --- The CLI ------------------------------------------------------------------------------------

FILE = '''name = "Password reset"
body = """
Hi {{requester.first_name}},

your password is reset ({{ticket.ref}}).
{{agent.name}}"""

[actions]
status = "pending"
add_tags = ["password"]
'''


@pytest.fixture
def desk(cli, admin, agent):
    return cli


def _write(tmp_path, text, name="macro.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_cli_add_list_show_edit_remove(desk, tmp_path, as_user):
    path = _write(tmp_path, FILE)
    as_user("bert")
    added = desk("macro", "add", path)
    assert (added.exit_code, added.stdout) == (0, "added macro 'Password reset'\n")
    listed = desk("macro", "list")
    assert listed.stdout.split("\t")[:3] == ["Password reset", "status pending, tagged password",
                                             "bert"]
    as_json = json.loads(desk("macro", "list", "--json").stdout)
    assert as_json[0]["actions"]["add_tags"] == ["password"]
    shown = desk("macro", "show", "password reset")
    assert shown.exit_code == 0
    assert tomllib.loads(shown.stdout) == tomllib.loads(FILE)
    edited = _write(tmp_path, shown.stdout.replace("Password reset", "Reset").replace(
        'status = "pending"', 'status = "solved"'), "edited.toml")
    assert desk("macro", "edit", "Password reset", edited).stdout == "saved macro 'Reset'\n"
    one = json.loads(desk("macro", "show", "Reset", "--json").stdout)
    assert (one["name"], one["actions"]["status"], one["created_by"]) == ("Reset", "solved",
                                                                          "bert")
    assert desk("macro", "remove", "Reset").stdout == "removed macro 'Reset'\n"
    assert json.loads(desk("macro", "list", "--json").stdout) == []


def test_cli_apply(desk, tmp_path):
    created = json.loads(desk("ticket", "create", "--subject", "Locked out", "--body", "Help",
                              "--requester", "carol@acme.test", "--requester-name",
                              "Carol Jones", "--json").stdout)
    assert desk("macro", "add", _write(tmp_path, FILE)).exit_code == 0
    applied = desk("macro", "apply", "Password reset", created["ref"], "--minutes", "3")
    assert applied.stdout == f"applied 'Password reset' on {created['ref']} (now pending)\n"
    shown = json.loads(desk("ticket", "show", created["ref"], "--json").stdout)
    assert shown["messages"][-1]["body"] == (
        f"Hi Carol,\n\nyour password is reset ({created['ref']}).\nAda Admin")
    assert shown["minutes_spent"] == 3


@pytest.mark.parametrize(("text", "expected"), [
    ('name = "x"\nbody = "hi"\nstatus = \n', "macro.toml, line 3, column 10: not valid TOML"),
    ('body = "hi"\n', "macro.toml: no 'name'"),
    ('name = "x"\n', "macro.toml: no 'body'"),
    ('name = "x"\nbody = 3\n', "macro.toml: 'body' must be a text value"),
    ('name = "x"\nbody = "hi"\ncolour = "red"\n', "macro.toml: unknown key 'colour'"),
    ('name = "x"\nbody = """\nHi,\n\nsee {{ticket.status}}."""\n',
     "macro.toml, line 5: unknown placeholder {{ticket.status}}"),
    ('name = "x"\nbody = "Hi,\\nsee {{ticket.status}}."\n',
     "macro.toml: macro body, line 2: unknown placeholder {{ticket.status}}"),
    ("name = 'x'\nbody = '''Hi {{agent.name'''\n", "macro.toml, line 2: '{{' is never closed"),
    ('name = "x"\nbody = "hi"\n[actions]\nstatus = "closed"\n',
     "macro.toml: actions.status: a macro cannot set status 'closed'"),
    ('name = "x"\nbody = "hi"\n[actions]\ngroup = "Nowhere"\n',
     "macro.toml: actions.group: no group named 'Nowhere'"),
    ('name = "x"\nbody = "hi"\n[actions]\nadd_tags = "vpn"\n',
     "macro.toml: actions.add_tags: must be a list of tag names"),
    ('name = "x"\nbody = "hi"\n[actions]\nreply = "yes"\n',
     "macro.toml: actions: unknown action 'reply'"),
])
def test_cli_bad_files_are_one_line_naming_the_file(desk, tmp_path, text, expected):
    path = _write(tmp_path, text)
    result = desk("macro", "add", path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"deskterm: {tmp_path / expected}"), result.stderr
    assert result.stderr.count("\n") == 1
    assert json.loads(desk("macro", "list", "--json").stdout) == []


def test_cli_missing_and_unreadable_files(desk, tmp_path):
    missing = desk("macro", "add", str(tmp_path / "nope.toml"))
    assert (missing.exit_code, missing.stderr) == (
        1, f"deskterm: {tmp_path / 'nope.toml'}: no such file\n")
    (tmp_path / "bin.toml").write_bytes(b"name = \"\xff\"\n")
    assert "not UTF-8 text" in desk("macro", "add", str(tmp_path / "bin.toml")).stderr
    assert "is a directory" in desk("macro", "add", str(tmp_path)).stderr
    unknown = desk("macro", "edit", "nope", _write(tmp_path, FILE))
    assert (unknown.exit_code, unknown.stderr) == (
        1, "deskterm: no macro named 'nope' (see `deskterm macro list`)\n")
    assert desk("macro", "show").exit_code == 2


def test_cli_an_agent_cannot_remove_an_admins_macro(desk, tmp_path, as_user):
    assert desk("macro", "add", _write(tmp_path, FILE)).exit_code == 0
    as_user("bert")
    refused = desk("macro", "remove", "Password reset")
    assert refused.exit_code == 1
    assert "only they or an admin can remove it" in refused.stderr

