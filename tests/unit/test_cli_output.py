"""Every line the CLI prints is inert: tables (on a terminal and piped), plain lines, JSON and
errors carry no byte of an escape sequence, control character or bidi override from stored text
or from the user's own arguments, and Rich markup in data stays text.

The hostile text is written into the store directly (the domain may refuse some of it at the
door; what is already stored, imported or written by an older deskterm must still be inert).
One seeded desk per store serves every command.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from deskterm.cli import app, output
from deskterm.db.engine import Store
from deskterm.db.models import (
    Agent,
    Article,
    Customer,
    Event,
    Group,
    KbCategory,
    Macro,
    Message,
    Organization,
    Tag,
    Ticket,
)
from deskterm.desk import setup
from deskterm.desk.kb import articles as kb_articles
from deskterm.desk.kb import transfer
from deskterm.desk.people import directory as people
from deskterm.desk.people.identity import os_username
from deskterm.desk.tickets import change, macros
from deskterm.desk.tickets import ops as ticket_ops
from deskterm.desk.tickets import ticket as tickets

from ..conftest import StoreFactory
from ..tui.pty_term import PtyTerminal

SRC = Path(__file__).resolve().parents[2] / "src" / "deskterm"

# One of each: OSC 52 (clipboard), OSC 8 (link), CSI (clear, colour), DCS (a query whose answer
# comes back as typing), RIS (reset), 8-bit C1 CSI / OSC / NEL, bidi override and isolate, markup.
HOSTILE = ("A\x1b]52;c;ZXZpbA==\x07B\x1b]8;;http://osc8.evil/\x1b\\C\x1b]8;;\x1b\\D\x1b[2J\x1b[31mE"
           "\x1bP$q m\x1b\\F\x1bcG\x9b31mH\x9d0;t\x9cI\x85J\u202eK\u2066L"
           "[bold red]M[/][link=http://markup.evil]N[/link]")
SHORT = "n\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1bc\x9b31m\u202e[bold red]x[/]"  # names: 64 at most
CHANNEL = "ph\x1b]8;;x\x07\x1bc\u202eone"  # 16 at most
# What must never be seen: the payloads of the sequences above, and the characters themselves.
PAYLOADS = ("ZXZpbA==", "osc8.evil", "$q", "0;t")
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")
SLUG = "hostile-article"
FILE_FORMATS = ("macro", "kb")
"""``macro show`` and ``kb show`` print the file format (TOML, YAML front matter), which writes
such characters as ``\\u001b`` escapes: inert, and they round-trip."""


def assert_inert(out: str, *, terminal: bool = False, escaped: bool = False) -> None:
    """No escape sequence but (on a terminal) deskterm's own colours; no payload (unless the
    format shows it ``\\u001b``-escaped, as JSON and TOML do); no control character; Rich
    markup not obeyed (its colour is not there)."""
    if terminal:
        assert "\x1b[1;31m" not in out, "markup in data was read as markup"
        out = SGR.sub("", out)
    assert "\x1b" not in out, repr(out)
    assert not FORBIDDEN.search(out), repr(FORBIDDEN.search(out))
    for payload in () if escaped else PAYLOADS:
        assert payload not in out, payload


def _seed(url: str, me: str) -> None:
    """A desk whose every shown text is hostile: made through the domain, then overwritten."""
    store = Store(url)
    try:
        admin = store.write(lambda s: setup.ensure_first_admin(s, username=me))
        store.write(lambda s: people.add_agent(s, username="bert", display_name="Bert"))
        store.write(lambda s: people.add_group(s, name="network", description="d"))
        store.write(lambda s: people.add_member(s, group="network", username="bert"))
        for subject in ("first", "second"):
            store.write(lambda s, subject=subject: tickets.create_ticket(
                s, actor=admin, requester_email="carol@acme.test", requester_name="Carol",
                subject=subject, body="body", assignee="bert", group="network", tags=("vpn",)))
        store.write(lambda s: tickets.add_note(s, actor=admin, number=1001, body="note"))
        store.write(lambda s: tickets.update_ticket(
            s, actor=admin, number=1001, changes=change.TicketChanges(priority="high")))
        store.write(lambda s: ticket_ops.link(s, actor=admin, number=1001, other=1002))
        store.write(lambda s: macros.add_macro(s, actor=admin, name="m", body="hello"))
        store.write(lambda s: transfer.import_articles(s, actor=admin,
                                                       articles=[kb_articles.ArticleFields(
            slug=SLUG, title="title hostileword", body="body hostileword", category="cat",
            status="published")]))
        with Session(store.engine) as s:
            organization = Organization(name=HOSTILE)
            s.add(organization)
            s.flush()
            for customer in s.exec(select(Customer)):
                customer.name, customer.email = HOSTILE, f"{SHORT}@acme.test"
                customer.organization_id = organization.id
            for agent in s.exec(select(Agent).where(Agent.username == "bert")):
                agent.username, agent.display_name, agent.skills = SHORT, HOSTILE, [SHORT]
            for group in s.exec(select(Group)):
                group.name, group.description = SHORT, HOSTILE
            for tag in s.exec(select(Tag)):
                tag.name = SHORT
            for ticket in s.exec(select(Ticket)):
                ticket.subject, ticket.channel = HOSTILE, CHANNEL
            for message in s.exec(select(Message)):
                message.body = f"{HOSTILE}\n{HOSTILE}"
            for event in s.exec(select(Event)):
                event.old, event.new = HOSTILE, SHORT
            for macro in s.exec(select(Macro)):
                macro.name, macro.body = SHORT, HOSTILE
            for category in s.exec(select(KbCategory)):
                category.name = SHORT
            for article in s.exec(select(Article)):
                article.title, article.body = f"{HOSTILE} hostileword", f"{HOSTILE} hostileword"
            s.commit()
    finally:
        store.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
def hostile_url(request, tmp_path_factory, postgres_server):
    """One hostile desk per store for the whole module; its admin is this OS user."""
    if request.param == "postgres":
        postgres_server.require()
    factory = StoreFactory(kind=request.param, tmp_path=tmp_path_factory.mktemp("hostile"),
                           server=postgres_server)
    url = factory.url()
    _seed(url, os_username())
    yield url
    factory.cleanup()


def _run(url: str | None, *args: str):
    argv = (["--db", url] if url else []) + list(args)
    result = CliRunner().invoke(app, argv, catch_exceptions=False)
    return result


READS = [
    ("ticket", "list"), ("ticket", "show", "1001"), ("ticket", "show", "1002"),
    ("agent", "list"), ("group", "list"), ("macro", "list"), ("macro", "show", SHORT),
    ("kb", "list"), ("kb", "show", SLUG), ("kb", "search", "hostileword"),
]


@pytest.mark.parametrize("args", READS, ids=" ".join)
def test_piped_output_holds_no_byte_of_stored_escape_sequences(hostile_url, args):
    result = _run(hostile_url, *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip()
    assert_inert(result.stdout, escaped=args[1] == "show" and args[0] in FILE_FORMATS)
    assert_inert(result.stderr)


def test_ticket_show_cleans_the_channel_and_keeps_markup_as_text(hostile_url):
    out = _run(hostile_url, "ticket", "show", "1001").stdout
    assert "· channel phone · version" in out
    assert "[bold red]M[/][link=http://markup.evil]N[/link]" in out


@pytest.mark.parametrize("args", [(*a, "--json") for a in READS if a[:2] != ("macro", "show")],
                         ids=" ".join)
def test_json_is_ascii_and_gives_the_stored_text_back(hostile_url, args):
    result = _run(hostile_url, *args)
    assert result.exit_code == 0, result.stderr
    assert re.fullmatch(r"[ -~\n]*", result.stdout), "JSON must be printable ASCII"
    assert "HOSTILE" not in result.stdout
    assert {HOSTILE, SHORT} & set(_strings(json.loads(result.stdout))), \
        "lossless: json.loads gives the stored text back"


def _strings(value: object):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


_DRIVER = """
import json, sys
from deskterm.cli import app, output
for index, argv in enumerate(json.loads(sys.argv[1])):
    sys.stdout.write(f"\\n@@{index}@@\\n")
    sys.stdout.flush()
    try:
        app(argv, prog_name="deskterm")
    except SystemExit:
        pass
    sys.stdout.flush()
    sys.stderr.flush()
sys.stdout.write("\\n@@end@@\\n")
"""


def test_on_a_terminal_only_deskterm_s_own_colours_reach_it(hostile_url):
    """Tables, the ticket's lines and errors written to a real terminal (a pty): one process
    runs every command."""
    commands = [["--db", hostile_url, *args] for args in READS]
    commands.append(["--db", hostile_url, "ticket", "set", "1001", "--priority", "low",
                     "--version", "1"])
    with PtyTerminal([sys.executable, "-c", _DRIVER, json.dumps(commands)], cols=200) as term:
        term.wait_for(lambda t: b"@@end@@" in t.raw, timeout=90, what="every command")
        raw = bytes(term.raw)
    parts = raw.decode("utf-8").split("@@")
    outputs = {int(parts[i]): parts[i + 1] for i in range(1, len(parts) - 2, 2)}
    assert len(outputs) == len(commands)
    for index, out in outputs.items():
        assert out.strip(), commands[index]
        command = commands[index][2:]
        assert_inert(out, terminal=True,
                     escaped=command[1:2] == ["show"] and command[0] in FILE_FORMATS)
    assert "\x1b[1m" in outputs[0], "the table's header is bold: the terminal path was taken"
    assert "[bold red]" in outputs[0] + outputs[3]
    assert "was changed by" in outputs[len(commands) - 1]


# --- error lines ------------------------------------------------------------------------------

def test_a_stale_version_error_shows_the_changes_cleaned(hostile_url):
    result = _run(hostile_url, "ticket", "set", "1001", "--priority", "low", "--version", "1")
    assert result.exit_code == 1
    assert "was changed by" in result.stderr
    assert result.stderr.count("\n") == 1
    assert_inert(result.stderr)


@pytest.mark.parametrize("args", [
    ("ticket", "show", SHORT),
    ("ticket", "list", "--assignee", HOSTILE),
    ("ticket", "list", "--query", f"status:{SHORT}"),
    ("ticket", "set", "1001", "--group", HOSTILE),
    ("group", "add-member", HOSTILE, "bert"),
    ("macro", "show", HOSTILE),
    ("kb", "show", HOSTILE),
    ("kb", "list", "--category", HOSTILE),
], ids=lambda args: " ".join(a if a.isprintable() else "HOSTILE" for a in args))
def test_errors_that_echo_the_user_s_arguments_are_one_clean_line(hostile_url, args):
    result = _run(hostile_url, *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("deskterm: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert_inert(result.stderr)
    assert result.stdout == ""


@pytest.mark.parametrize("args", [
    ("ticket", "list", f"--{SHORT}"),
    ("ticket", "list", "--limit", HOSTILE),
    ("ticket", SHORT),
    (SHORT,),
    (f"--{SHORT}", "ticket", "list"),
], ids=lambda args: " ".join(a if a.isprintable() else "HOSTILE" for a in args))
def test_a_wrong_command_line_is_one_clean_line_naming_the_help(hostile_url, args):
    result = _run(hostile_url, *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("deskterm: ") and "--help`)" in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert_inert(result.stderr, escaped=True)  # Click quotes a bad word as repr(): '\x1b]52'
    assert result.stdout == ""


def test_a_hostile_database_url_is_one_clean_line(tmp_path):
    for url in (f"sqlite://{SHORT}:pw@host/x", f"postgresql//{SHORT}", f"{HOSTILE}://x/y",
                f"postgresql://u:pw@host:{SHORT}/db"):
        result = _run(url, "ticket", "list")
        assert result.exit_code == 1
        assert result.stderr.count("\n") == 1, result.stderr
        assert_inert(result.stderr)


def test_a_config_error_naming_a_hostile_path_is_one_clean_line(tmp_path, monkeypatch):
    folder = tmp_path / f"cfg{SHORT.replace('/', '')}"
    folder.mkdir()
    (folder / "config.toml").write_text("database_url = [\n")
    monkeypatch.setenv("DESKTERM_CONFIG_DIR", str(folder))
    result = _run(None, "ticket", "list")
    assert result.exit_code == 1
    assert "not valid TOML" in result.stderr
    assert_inert(result.stderr)


def test_kb_import_problems_naming_hostile_files_are_clean_lines(hostile_url, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / f"bad{SHORT.replace('/', '')}.md").write_text("no front matter\n")
    result = _run(hostile_url, "kb", "import", str(folder))
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 2  # the file's line, then "nothing was imported"
    assert_inert(result.stderr)


def test_the_console_s_refusal_is_one_clean_line(tmp_path):
    """``deskterm`` (the console) refuses a broken config before it draws anything."""
    folder = tmp_path / f"cfg{SHORT.replace('/', '')}"
    folder.mkdir()
    (folder / "config.toml").write_text("database_url = [\n")
    env = {**__import__("os").environ, "DESKTERM_CONFIG_DIR": str(folder)}
    with PtyTerminal([sys.executable, "-m", "deskterm"], env=env) as term:
        assert term.wait_exit(timeout=60) == 1
        raw = bytes(term.raw).decode("utf-8")
    assert raw.startswith("deskterm: ") and "not valid TOML" in raw
    assert raw.count("\n") == 1
    assert_inert(raw)


# --- one way out ------------------------------------------------------------------------------

_PRINTS = {"print", "echo", "secho", "write"}


def _bare_prints(path: Path) -> list[str]:
    """Calls that write to the terminal other than through deskterm.cli.output."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    functions = [node for node in ast.walk(tree)
                 if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    allowed_lines = {line for f in functions
                     if path.name == "launch.py" and f.name in ("_refuse", "_show_version")
                     for line in range(f.lineno, (f.end_lineno or f.lineno) + 1)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or node.lineno in allowed_lines:
            continue
        func = node.func
        text = ast.unparse(func)
        if isinstance(func, ast.Name) and func.id == "print":
            found.append(f"{path.name}:{node.lineno}: {text}")
        elif text == "os.write" and node.args and isinstance(node.args[0], ast.Constant):
            found.append(f"{path.name}:{node.lineno}: {text}")  # os.write(1 or 2, ...)
        elif isinstance(func, ast.Attribute) and func.attr in _PRINTS and (
            text.startswith(("typer.", "click.", "sys.stdout", "sys.stderr"))
            or "Console" in text or "console" in text.lower()
        ):
            found.append(f"{path.name}:{node.lineno}: {text}")
    return found


def test_the_cli_prints_only_through_its_output_module():
    files = [p for p in (SRC / "cli").glob("*.py") if p.name != "output.py"]
    files.append(SRC / "launch.py")
    found = [line for path in files for line in _bare_prints(path)]
    assert found == [], "print through deskterm.cli.output (echo, error, print_json, " \
                        f"print_table): {found}"


def test_the_scan_finds_a_bare_print(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("import sys, typer\nfrom rich.console import Console\n"
                       "def f(x):\n    print(x)\n    typer.echo(x)\n    sys.stdout.write(x)\n"
                       "    Console().print(x)\n    click.echo(x)\n    os.write(2, x)\n"
                       "    os.write(pipe, x)\n")
    assert len(_bare_prints(planted)) == 6


def test_a_plain_line_keeps_stored_text_on_it_and_a_block_keeps_its_lines(capsys):
    output.echo("added group ops\ndeskterm: fake\tline")
    output.echo_text("first line\n\tsecond\x1b[2J line")
    output.error("no group 'a\nb\x1b]52;c;ZXZpbA==\x07'")
    out, err = capsys.readouterr()
    assert out == "added group ops deskterm: fake line\nfirst line\n\tsecond line\n"
    assert err == "deskterm: no group 'a; b'\n"
