"""The PostgreSQL password from the environment or a file only its owner can read, and never
printed: a whole run of commands (lists, shows, writes, ``--json``, every kind of error, log
records) with a known password given every way (and as the IMAP and SMTP servers' password),
all of their output searched for it."""

from __future__ import annotations

import logging

import pytest
from typer.testing import CliRunner

from deskterm import db_password, paths
from deskterm.cli import app

from .test_secrets import NEEDLES, PASSWORD, assert_no_secret, refusing_server  # noqa: F401


@pytest.fixture(autouse=True)
def _no_password_file():
    yield
    db_password.use_file(None)  # the settings of one test must not reach the next


def _config(text: str, mode: int) -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def _password_file(tmp_path, mode: int):
    path = tmp_path / "desk.password"
    path.write_text(PASSWORD + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def _run(*argv: str):
    result = CliRunner().invoke(app, list(argv), catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o604])
def test_a_password_file_others_can_read_is_refused_with_one_line(mode, tmp_path):
    path = _password_file(tmp_path, mode)
    _config(f'database_url = "postgresql://desk@127.0.0.1:1/desk"\n'
            f'database_password_file = "{path}"\n', 0o644)

    code, output = _run("ticket", "list")

    assert code == 1
    assert output == (f"deskterm: {paths.config_file()}: database_password_file: {path} can be "
                      f"read by others (mode {mode:04o}): chmod 600 it\n")
    assert_no_secret(output)


def test_a_config_file_holding_the_password_must_be_its_owners_alone():
    _config(f'database_url = "postgresql://desk:{PASSWORD}@127.0.0.1:1/desk"\n', 0o644)

    code, output = _run("ticket", "list")

    assert code == 1
    assert output.count("\n") == 1
    assert "database_url holds a password and the file can be read by others (mode 0644): " \
        "chmod 600 it" in output
    assert_no_secret(output)


def test_the_password_as_a_setting_is_refused_without_being_shown():
    _config(f'database_password_file = "{PASSWORD}"\n', 0o600)

    code, output = _run("ticket", "list")

    assert code == 1 and "must be the full path of a file" in output
    assert_no_secret(output)


@pytest.mark.parametrize("source", ["env", "file"])
def test_the_password_reaches_the_server_and_no_output(source, refusing_server, tmp_path,  # noqa: F811
                                                       monkeypatch):
    url = f"postgresql://postgres@127.0.0.1:{refusing_server.port}/db"
    if source == "env":
        monkeypatch.setenv("DESKTERM_DATABASE_PASSWORD", PASSWORD)
        _config(f'database_url = "{url}"\n', 0o644)
    else:
        _config(f'database_url = "{url}"\n'
                f'database_password_file = "{_password_file(tmp_path, 0o600)}"\n', 0o644)
    before = len(refusing_server.passwords)

    for command in (["ticket", "list"], ["ticket", "show", "1"], ["db", "current", "--json"],
                    ["init"]):
        code, output = _run(*command)
        assert code == 1 and "password authentication failed" in output, output
        assert_no_secret(output)
    sent = refusing_server.passwords[before:]
    assert sent == [PASSWORD] * len(sent)
    assert len(refusing_server.passwords) > before, "the password was sent"


RUN = [
    ["init", "--name", "Ada Admin", "--email", "ada@desk.example"],
    ["db", "current"], ["db", "current", "--json"], ["db", "upgrade"],
    ["agent", "add", "bert", "--name", "Bert"], ["agent", "list"], ["agent", "list", "--json"],
    ["group", "add", "Network"], ["group", "add-member", "Network", "bert"],
    ["group", "list", "--json"],
    ["ticket", "create", "--subject", "VPN drops", "--body", "every hour",
     "--requester", "ann@acme.example", "--group", "Network"],
    ["ticket", "list"], ["ticket", "list", "--json"], ["ticket", "list", "--status", "new"],
    ["ticket", "list", "--query", "status:new vpn", "--json"],
    ["ticket", "show", "1001"], ["ticket", "show", "1001", "--json"],
    ["ticket", "set", "1001", "--priority", "high", "--json"],
    ["ticket", "set", "1001", "--priority", "low", "--version", "1"],  # stale: refused
    ["ticket", "reply", "1001", "--body", "Try the new client", "--status", "pending"],
    ["ticket", "note", "1001", "--body", "internal"],
    ["ticket", "show", "9999"], ["ticket", "set", "1001", "--status", "bogus"],
    ["ticket", "list", "--query", "nosuch:term"], ["ticket", "list", "--limit", "0"],
    ["kb", "search", "vpn", "--json"], ["kb", "list"], ["macro", "list", "--json"],
    ["mail", "settings", "--show", "--json"], ["mail", "quarantine", "list", "--json"],
    ["export", "jsonl"], ["export", "csv"],
    ["mail", "fetch"], ["mail", "outbox", "--retry", "--json"],  # servers that refuse to connect
    ["--as", "nobody", "ticket", "list"], ["no-such-command"],
]


@pytest.mark.postgres
@pytest.mark.parametrize("given", ["url", "env", "file"])
def test_no_output_of_a_whole_run_holds_the_password(given, stores, as_user, tmp_path,
                                                      monkeypatch, caplog):
    """The test server trusts local logins, so it takes any password: each way of giving one
    is used for a real desk, and every line any command printed or logged is searched."""
    if stores.kind != "postgres":
        pytest.skip("the password is PostgreSQL's")
    url = stores.url(migrated=False)
    # The mail servers' passwords too: the same one, from their variables.
    monkeypatch.setenv("DESKTERM_IMAP_PASSWORD", PASSWORD)
    monkeypatch.setenv("DESKTERM_SMTP_PASSWORD", PASSWORD)
    servers = ('[imap]\nhost = "127.0.0.1"\nport = 1\nuser = "desk"\nsecurity = "none"\n'
               '[smtp]\nhost = "127.0.0.1"\nport = 1\nuser = "desk"\nsecurity = "none"\n')
    _config(servers, 0o644)
    if given == "url":
        url = url.replace("postgresql://postgres@", f"postgresql://postgres:{PASSWORD}@")
        assert PASSWORD in url
    elif given == "env":
        monkeypatch.setenv("DESKTERM_DATABASE_PASSWORD", PASSWORD)
    else:
        _config(f'database_password_file = "{_password_file(tmp_path, 0o400)}"\n' + servers,
                0o644)
    caplog.set_level(logging.DEBUG)
    outputs = []
    # The whole run once (the variable); the other ways, what opens the store each way.
    run = RUN if given == "env" else [
        c for c in RUN if c[0] in ("init", "agent", "group", "ticket", "mail")
        and c[1] in ("add", "add-member", "create", "show", "set", "fetch", "--name")]
    for command in run:
        code, output = _run("--db", url, *command)
        outputs.append((command, code, output))
        assert_no_secret(output)
    codes = {" ".join(command): code for command, code, _ in outputs}
    assert codes["init --name Ada Admin --email ada@desk.example"] == 0, outputs[0]
    assert codes["ticket show 1001 --json"] == 0 and codes["ticket show 9999"] == 1
    assert codes["ticket set 1001 --priority low --version 1"] == 1
    assert codes["mail fetch"] == 1, outputs
    for record in caplog.records:
        for needle in NEEDLES:
            assert needle not in record.getMessage()
