"""``deskterm mail settings`` and ``deskterm mail outbox`` on both stores, sending to aiosmtpd on
loopback through config.toml's [smtp]."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ..smtp_server import nothing_listening, smtp_server


def _smtp_config(host: str, port: int) -> None:
    folder = Path(os.environ["DESKTERM_CONFIG_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(
        f'[smtp]\nhost = "{host}"\nport = {port}\nsecurity = "none"\n')


@pytest.fixture
def replied(cli, admin):
    """Mail is on and ticket #1001 has a public reply waiting in the outbox."""
    assert cli("mail", "settings", "--from", "help@desk.test", "--from-name", "Acme Help"
               ).exit_code == 0
    assert cli("ticket", "create", "--requester", "carol@acme.test", "--subject", "Printer",
               "--body", "It jams").exit_code == 0
    assert cli("ticket", "reply", "1001", "--body", "Try tray 2").exit_code == 0


def test_settings_are_shown_and_changed_by_an_admin(cli, admin, tmp_path):
    template = tmp_path / "ack.txt"
    template.write_text("Subject: Got it: {{ticket.subject}}\n\nHi {{requester.first_name}}\n")

    changed = cli("mail", "settings", "--from", "help@desk.test", "--ack-template",
                  str(template))
    shown = cli("mail", "settings", "--json")

    assert changed.exit_code == 0, changed.stderr
    assert changed.stdout == "mail on, from help@desk.test\n"
    data = json.loads(shown.stdout)
    assert (data["enabled"], data["from_address"]) == (True, "help@desk.test")
    assert data["ack_subject"] == "Got it: {{ticket.subject}}"
    assert data["custom_acknowledgement"] is True
    assert "Subject: Got it" in cli("mail", "settings", "--show").stdout
    assert cli("mail", "settings", "--off").stdout == "mail off, from help@desk.test\n"


def test_an_agent_cannot_change_the_mail_settings(cli, agent, as_user):
    as_user("bert")

    refused = cli("mail", "settings", "--from", "me@evil.test")

    assert refused.exit_code == 1
    assert refused.stderr.startswith("deskterm: only an admin can change the mail settings")


def test_a_bad_template_is_one_line_naming_the_file_and_line(cli, admin, tmp_path):
    template = tmp_path / "ack.txt"
    template.write_text("Subject: Hi\n\nHello {{customer.name}}\n")

    refused = cli("mail", "settings", "--ack-template", str(template))

    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1
    assert f"{template}, line 3: unknown placeholder" in refused.stderr
    assert cli("mail", "settings", "--ack-template", str(tmp_path / "none.txt")
               ).stderr.endswith("none.txt: no such file\n")


def test_outbox_sends_what_is_due_and_lists_it(cli, replied):
    with smtp_server() as server:
        _smtp_config(server.host, server.port)
        drained = cli("mail", "outbox", "--json")
        received = server.received

    assert drained.exit_code == 0, drained.stderr
    data = json.loads(drained.stdout)
    assert data["drained"] == {"sent": 1, "retried": 0, "failed": 0}
    assert [(m["ticket"], m["state"]) for m in data["outbox"]] == [(1001, "sent")]
    assert len(received) == 1
    listed = cli("mail", "outbox", "--no-send")
    assert listed.stdout.startswith("1\t#1001\treply\tcarol@acme.test\tsent\t1\tsent ")
    assert " · reply · " in cli("ticket", "show", "1001").stdout
    assert "· e-mail sent\nTry tray 2" in cli("ticket", "show", "1001").stdout


def test_outbox_says_when_mail_did_not_leave_and_retry_sends_it(cli, replied):
    down = nothing_listening()
    _smtp_config(down.host, down.port)

    failed = cli("mail", "outbox")

    assert failed.exit_code == 4
    assert "sent 0, put back 1, failed 0" in failed.stderr
    assert "\tqueued\t1\t" in failed.stdout and "refused" in failed.stdout.lower()
    with smtp_server() as server:
        _smtp_config(server.host, server.port)
        retried = cli("mail", "outbox", "--retry")
        assert len(server.received) == 1
    assert retried.exit_code == 0
    assert "\tsent\t2\t" in retried.stdout


def test_outbox_without_a_server_only_lists(cli, replied):
    listed = cli("mail", "outbox")
    retry = cli("mail", "outbox", "--retry")

    assert listed.exit_code == 0
    assert "no [smtp] server: nothing sent" in listed.stderr
    assert "\tqueued\t0\t" in listed.stdout
    assert retry.exit_code == 1
    assert "config.toml has no [smtp] server" in retry.stderr


def test_a_password_that_cannot_be_read_is_one_line_and_no_mail_is_tried(cli, replied,
                                                                         monkeypatch):
    monkeypatch.delenv("DESKTERM_SMTP_PASSWORD", raising=False)
    folder = Path(os.environ["DESKTERM_CONFIG_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(
        '[smtp]\nhost = "127.0.0.1"\nport = 2525\nsecurity = "none"\nuser = "desk"\n')

    refused = cli("mail", "outbox", "--json")

    assert refused.exit_code == 1
    assert refused.stderr.startswith("deskterm: ")
    assert refused.stderr.endswith("config.toml: [smtp]: the password variable "
                              "$DESKTERM_SMTP_PASSWORD is not set\n")
    listed = json.loads(cli("mail", "outbox", "--no-send", "--json").stdout)
    assert [(m["state"], m["attempts"]) for m in listed["outbox"]] == [("queued", 0)]
