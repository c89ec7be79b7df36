"""The bad inputs that once ended in a traceback (issue 10), on both stores: one line naming the
field and exit code 1 now; NUL removed from free text the same way on SQLite and PostgreSQL;
names unique whatever their case; a full or closed stdout never a traceback."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from deskterm.cli import app, failures
from deskterm.cli.context import CliContext
from deskterm.db import migrate
from deskterm.db.engine import Store
from deskterm.db.models import Group
from deskterm.desk import setup
from deskterm.desk.errors import InvalidInput
from deskterm.desk.kb import articles
from deskterm.desk.limits import MAX_READ
from deskterm.desk.people import directory as people
from deskterm.desk.tickets import macros
from deskterm.desk.tickets import ticket as tickets

from .helpers import detail

SURROGATE = "\udcff"  # what Python makes of the byte 0xff in an argument
REF_WORDS = "is not a ticket reference"
CREATE = ["ticket", "create", "--subject", "VPN", "--body", "Down.", "--requester",
          "carol@acme.test"]

# (command line, what the one line on stderr says)
BAD_INPUTS = [
    (["ticket", "show", "2147483648"], REF_WORDS),
    (["ticket", "show", "99999999999"], REF_WORDS),
    (["ticket", "show", "²"], REF_WORDS),
    (["ticket", "show", "١٢"], REF_WORDS),
    (["ticket", "show", "#١٢"], REF_WORDS),
    (["ticket", "show", "0"], REF_WORDS),
    (["ticket", "merge", "1001", "--into", "99999999999"], REF_WORDS),
    (["ticket", "link", "1001", "2147483648"], REF_WORDS),
    (["ticket", "unlink", "99999999999", "1001"], REF_WORDS),
    (["ticket", "solve-problem", "99999999999", "--body", "x"], REF_WORDS),
    (["macro", "apply", "greeting", "99999999999"], REF_WORDS),
    (["ticket", "set", "1001", "--priority", "high", "--version", "99999999999"],
     "version: 99999999999 is not between 1 and 2,147,483,647"),
    (["ticket", "reply", "1001", "--body", "x", "--version", "2147483648"], "version: "),
    (["ticket", "escalate", "1001", "--reason", "r", "--version", "99999999999"], "version: "),
    (["ticket", "reply", "1001", "--body", "x", "--minutes", "99999999999"], "time spent"),
    ([*CREATE, "--tier", "99999999999"], "tier"),
    ([*CREATE, "--channel", "x" * 17], "channel: "),
    ([*CREATE, "--channel", "\x1b[31mred"], "channel: "),
    ([*CREATE, "--channel", "fax"], "is not one of: email, web, phone, chat, cli, import, api"),
    (["agent", "add", "x" * 65], "username"),
    (["agent", "add", "bob\n"], "username"),
    (["agent", "add", "eve", "--name", "x" * 201], "display name: longer than 200"),
    (["agent", "add", "eve", "--name", "Eve\nAdmin"], "display name: must not hold control"),
    (["agent", "add", "eve", "--name", "Eve\x00"], "display name: must not hold control"),
    (["agent", "add", "eve", "--email", "eve\x00@acme.test"], "email: must not hold control"),
    (["agent", "add", "eve", "--skills", "vpn\x1b[2J"], "skill: must not hold control"),
    (["agent", "add", "Ada"], "differing only in case"),
    (["agent", "set", "ada", "--name", "Ada\x00"], "display name: must not hold control"),
    (["init", "--name", "Ada\x00"], "display name: must not hold control"),  # set up already
    (["init", "--email", "ada@@acme"], "email"),
    (["group", "add", "Net\x1b[31m"], "group name: must not hold control"),
    (["group", "add", "Level\n2"], "group name: must not hold control"),
    (["group", "add", "NETWORK"], "differing only in case"),
    (["group", "add", "g" * 101], "group name: longer than 100"),
    (["group", "add-member", "Net\x00", "ada"], "no group named"),
    (["ticket", "list", "--assignee", "ada\x00"], "assignee: a name must not hold NUL"),
    (["ticket", "list", "--tag", "vpn\x00"], "tag: a name must not hold NUL"),
    (["--as", "ada\x00", "ticket", "list"], "is not an agent of this desk"),
    (["ticket", "list", "-q", "created:<999999999w"], "more than a hundred years"),
    (["ticket", "list", "-q", "created:<١٢d"], "bad date or age"),
    ([*CREATE[:3], f"VPN{SURROGATE}", *CREATE[4:]], "--subject: not valid UTF-8"),
    ([*CREATE[:5], f"Down{SURROGATE}", *CREATE[6:]], "--body: not valid UTF-8"),
    ([*CREATE[:7], f"carol{SURROGATE}@acme.test"], "--requester: not valid UTF-8"),
    (["ticket", "reply", "1001", f"--body=x{SURROGATE}"], "--body: not valid UTF-8"),
    (["ticket", "list", "--group", f"g{SURROGATE}"], "--group: not valid UTF-8"),
    (["ticket", "list", "-q", f"x{SURROGATE}"], "--query: not valid UTF-8"),
    (["agent", "add", f"e{SURROGATE}"], "username: not valid UTF-8"),
    (["group", "add", f"g{SURROGATE}"], "name: not valid UTF-8"),
    (["kb", "search", f"a{SURROGATE}"], "QUERY: not valid UTF-8"),
    (["kb", "show", f"a{SURROGATE}"], "SLUG: not valid UTF-8"),
    (["macro", "show", f"m{SURROGATE}"], "NAME: not valid UTF-8"),
    (["macro", "add", f"m{SURROGATE}.toml"], "FILE: not valid UTF-8"),
    (["kb", "import", f"d{SURROGATE}"], "DIR: not valid UTF-8"),
    (["kb", "export", f"d{SURROGATE}"], "DIR: not valid UTF-8"),
    (["--as", f"x{SURROGATE}", "ticket", "list"], "--as: not valid UTF-8"),
    (["macro", "add", "deep.toml"], "nested too deeply"),
    (["kb", "import", "good", "--skip-invalid", "--rejects", "missing/rejects.txt"],
     "--rejects missing/rejects.txt: cannot be written"),
    (["kb", "import", "good", "--skip-invalid", "--rejects", "good"],
     "--rejects good: cannot be written"),
    (["export", "csv", "--output", "."], ".: Is a directory"),  # found by test_cli_fuzz
    (["export", "jsonl", "--output", "good"], "good: Is a directory"),
]


def _invoke(url: str, *argv: str, input: str | None = None):
    """``deskterm --db URL ARGV`` as the test user, exceptions caught as a user would meet them."""
    return CliRunner().invoke(app, ["--db", url, *argv], input=input, catch_exceptions=True)


@pytest.fixture
def desk_url(admin, store, as_user, tmp_path, monkeypatch) -> str:
    """The CLI on a desk with ticket #1001, group Network and macro greeting, in a folder with
    a deeply nested macro file and a KB folder holding one good and one bad article."""
    store.write(lambda s: people.add_group(s, name="Network"))
    store.write(lambda s: tickets.create_ticket(
        s, actor=admin, requester_email="carol@acme.test", subject="VPN drops", body="Monday."))
    store.write(lambda s: macros.add_macro(s, actor=admin, name="greeting", body="Hello"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deep.toml").write_text('name = "deep"\nbody = "x"\nz = ' + "[" * 5000
                                        + "]" * 5000 + "\n")
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "ok.md").write_text("---\ntitle: Fine\n---\nText.\n")
    (tmp_path / "good" / "bad.md").write_text("---\ntitle: [\n---\nText.\n")
    return store.url.render_as_string(hide_password=False)


def test_each_known_bad_input_is_one_line_naming_it_and_exit_1(desk_url):
    wrong = []
    for argv, says in BAD_INPUTS:
        result = _invoke(desk_url, *argv)
        lines = result.stderr.splitlines()
        if (result.exit_code != 1 or not isinstance(result.exception, SystemExit | None)
                or len(lines) != 1 or says not in lines[0] or "Traceback" in result.stdout):
            wrong.append((argv[:4], result.exit_code, lines[:2], repr(result.exception)))
    assert wrong == []


LONG = "x" * 50_000


@pytest.mark.parametrize("argv", [
    ["--as", LONG, "ticket", "list"],
    ["ticket", "set", "1001", "--status", LONG],
    ["ticket", "set", "1001", "--priority", LONG],
    ["ticket", "list", "--sort", LONG],
    ["ticket", "show", LONG],
    ["group", "add-member", LONG, "ada"],
    ["kb", "show", LONG],
], ids=lambda argv: " ".join(a[:10] for a in argv))
def test_an_overlong_argument_is_not_echoed_whole(desk_url, argv):
    result = _invoke(desk_url, *argv)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.stderr[:300]
    assert len(result.stderr) < 400 and "x" * 30 in result.stderr, result.stderr[:300]


def test_a_deeply_nested_article_file_is_named_with_its_line(desk_url, tmp_path):
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "a.md").write_text("---\ntitle: x\ntags: " + "[" * 5000 + "]" * 5000
                                            + "\n---\nbody\n")
    result = _invoke(desk_url, "kb", "import", "deep")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "deskterm: deep/a.md, line 1: the front matter is nested too deeply")


def test_nul_is_removed_from_free_text_the_same_on_both_stores(desk_url, store, admin):
    assert _invoke(desk_url, "ticket", "reply", "1001", "--body", "one\x00two").exit_code == 0
    assert _invoke(desk_url, "ticket", "note", "1001", "--body", "-",
                   input="three\x00four").exit_code == 0
    created = _invoke(desk_url, "ticket", "create", "--subject", "Print\x00er", "--body",
                      "Jam\x00med", "--requester", "dan@acme.test", "--requester-name",
                      "Dan\x00 D")
    assert created.exit_code == 0, created.stderr
    assert _invoke(desk_url, "group", "add", "Billing", "--description",
                   "Invo\x00ices").exit_code == 0
    shown = detail(store, 1001)
    assert [m.body for m in shown.messages][-2:] == ["onetwo", "threefour"]
    new = detail(store, 1002)
    assert (new.ticket.subject, new.messages[0].body, new.requester.name) == (
        "Printer", "Jammed", "Dan D")
    with store.read() as session:
        assert [g.description for g in people.list_groups(session) if g.name == "Billing"] == [
            "Invoices"]
    article = store.write(lambda s: articles.create_article(s, actor=admin, title="Ti\x00tle",
                                                            body="Bo\x00dy"))
    assert (article.title, article.body) == ("Title", "Body")
    macro = store.write(lambda s: macros.add_macro(s, actor=admin, name="nul", body="Hi\x00!"))
    assert macro.body == "Hi!"


def test_endless_input_is_refused_not_read_until_memory_runs_out(desk_url, store, tmp_path):
    endless = "\x00" * (MAX_READ + 1)  # what `< /dev/zero` gives
    note = _invoke(desk_url, "ticket", "note", "1001", "--body", "-", input=endless)
    (tmp_path / "huge.toml").write_bytes(b'name = "huge"\nbody = "' + b"x" * MAX_READ + b'"\n')
    huge = _invoke(desk_url, "macro", "add", "huge.toml")

    assert note.exit_code == 1 and note.stderr == (
        "deskterm: standard input: more than 4,000,000 characters (a text is at most "
        "1,000,000); nothing was done\n")
    assert huge.exit_code == 1 and huge.stderr == (
        "deskterm: huge.toml: larger than 4,000,000 bytes, not a macro file\n")
    assert len(detail(store, 1001).messages) == 1
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "a.md").write_bytes(b"---\ntitle: Big\n---\n" + b"x" * MAX_READ)
    article = _invoke(desk_url, "kb", "import", "big")
    assert article.exit_code == 1 and article.stderr.startswith(
        "deskterm: big/a.md: larger than 4,000,000 bytes, not an article file\n")
    # Up to the limit nothing is cut: NUL is removed and the rest is refused by its length.
    long_note = _invoke(desk_url, "ticket", "note", "1001", "--body", "-",
                        input="x" * 1_000_001 + "\x00" * 2_000_000)
    assert long_note.stderr == "deskterm: note: longer than 1,000,000 characters\n"
    kept = _invoke(desk_url, "ticket", "note", "1001", "--body", "-",
                   input="ok" + "\x00" * (MAX_READ - 2))
    assert kept.exit_code == 0 and detail(store, 1001).messages[-1].body == "ok"


def test_group_names_are_unique_whatever_their_case_beyond_ascii(store):
    store.write(lambda s: people.add_group(s, name="Réseau"))
    with pytest.raises(InvalidInput, match="group 'Réseau' already exists"):
        store.write(lambda s: people.add_group(s, name="RÉSEAU"))


def test_a_value_the_database_still_refuses_is_one_short_line(desk_url, monkeypatch):
    def refused_by_the_store(session, *, number):
        session.add(Group(name="Network"))  # the unique constraint, past every check
        session.flush()

    monkeypatch.setattr(tickets, "get_ticket", refused_by_the_store)
    # through the store (its plain read, deskterm.desk.plain_reads, would never get there)
    monkeypatch.setattr(CliContext, "plain", lambda self, read: None)
    result = _invoke(desk_url, "ticket", "show", "1001")
    assert result.exit_code == 1
    assert result.stderr.startswith("deskterm: the database refused the change: ")
    assert result.stderr.count("\n") == 1
    assert "INSERT" not in result.stderr and "[parameters" not in result.stderr


@pytest.mark.parametrize(("error", "says"), [
    (RecursionError("maximum recursion depth exceeded"), "nested too deeply to read"),
    (UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates not allowed"), "not valid UTF-8"),
    (FileNotFoundError(2, "No such file or directory", "out/x"),
     "out/x: No such file or directory"),
    (OSError(28, "No space left on device"), "cannot write the output: No space left on device"),
])
def test_the_top_level_names_each_unnamed_failure_in_one_line(error, says):
    assert says in failures.describe(error)
    assert failures.describe(KeyError("a bug")) is None


def _deskterm(url: str, *args: str, stdout) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "deskterm", "--db", url, *args], env=env,
                          stdout=stdout, stderr=subprocess.PIPE, timeout=60)


@pytest.fixture
def os_user_desk(tmp_path) -> str:
    """A SQLite desk (what is tested here is the terminal's side) with a ticket, where the
    operating-system user running the tests is the admin."""
    store = Store(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    migrate.upgrade(store)
    admin = store.write(lambda s: setup.ensure_first_admin(s, username=getpass.getuser()))
    store.write(lambda s: tickets.create_ticket(
        s, actor=admin, requester_email="carol@acme.test", subject="VPN drops", body="Monday."))
    store.dispose()
    return str(store.url)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [("ticket", "show", "1001", "--json"), ("--help",)])
def test_a_full_stdout_is_one_line_not_a_traceback(os_user_desk, args):
    with open("/dev/full", "w") as full:
        result = _deskterm(os_user_desk, *args, stdout=full)
    assert result.returncode == 1
    assert result.stderr.decode() == (
        "deskterm: cannot write the output: No space left on device\n")


def test_a_closed_pipe_ends_quietly(os_user_desk):
    reader, writer = os.pipe()
    os.close(reader)
    try:
        result = _deskterm(os_user_desk, "ticket", "list", "--json", stdout=writer)
    finally:
        os.close(writer)
    assert result.returncode == 1
    assert result.stderr == b""


@pytest.mark.parametrize("option", ["--db", "--as"])
def test_the_console_refuses_an_option_that_is_not_utf8_before_opening(tmp_path, option):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run([sys.executable, "-m", "deskterm", option, f"x{SURROGATE}"],
                            env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                            cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.decode() == (
        f"deskterm: {option}: not valid UTF-8 text (an undecodable byte); nothing was done\n")
    assert list(tmp_path.iterdir()) == []


def test_the_cli_without_a_command_refuses_and_opens_nothing(tmp_path):
    # `deskterm` alone opens the console from deskterm.launch, before the CLI loads; the CLI
    # itself never starts it (it never imports Textual), so here it is a usage error.
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{tmp_path / 'desk.sqlite3'}"])

    assert result.exit_code == 2
    assert result.stderr == "deskterm: Missing command. (see `deskterm --help`)\n"
    assert list(tmp_path.iterdir()) == []
