"""``deskterm mail import mbox|maildir`` and ``mail quarantine``: exit codes, idempotency,
one line per problem; on both stores."""

from __future__ import annotations

import json
import mailbox

import pytest

from .mail_samples import mail

pytestmark = pytest.mark.usefixtures("admin")

TRUNCATED = (b"From: giulia@acme.test\r\nSubject: cut\r\nMessage-ID: <cut@acme.test>\r\n"
             b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n"
             b"--zz\r\nContent-Type: text/plain\r\n\r\nhalf a mes")
NO_SENDER = b"Subject: who?\r\nMessage-ID: <anon@x.test>\r\n\r\nno From at all\r\n"


def _mbox(path, messages):
    box = mailbox.mbox(path)
    for raw in messages:
        box.add(raw)
    box.close()
    return path


def _maildir(path, messages):
    box = mailbox.Maildir(path)
    for raw in messages:
        box.add(raw)
    box.close()
    return path


def good_mail():
    return [mail(),
            mail(message_id="<m2@acme.test>", subject="Re: VPN drops", body="Still.",
                 in_reply_to="<m1@acme.test>"),
            mail(sender="zoe@new.test", message_id="<z1@new.test>", subject="Printer"),
            mail(sender="MAILER-DAEMON@mx.test", message_id="<b1@mx.test>",
                 subject="Undeliverable", headers={"Auto-Submitted": "auto-replied"})]


def test_import_mbox_files_each_mail_and_a_second_import_adds_nothing(cli, tmp_path):
    path = _mbox(tmp_path / "in.mbox", good_mail())

    first = cli("mail", "import", "mbox", str(path))
    again = cli("mail", "import", "mbox", str(path), "--json")

    assert first.exit_code == 0, first.stderr
    assert first.stdout.strip().endswith("4 message(s): 2 new ticket(s), 1 answer(s) on "
                                         "tickets, 1 auto-reply(ies) skipped")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["outcomes"] == {"duplicate": 3, "auto-reply-skipped": 1}
    listed = cli("ticket", "list", "--json")
    assert len(json.loads(listed.stdout)["tickets"]) == 2


def test_import_maildir_files_its_mail(cli, tmp_path):
    path = _maildir(tmp_path / "Maildir", good_mail()[:3])

    result = cli("mail", "import", "maildir", str(path))

    assert result.exit_code == 0, result.stderr
    assert "2 new ticket(s), 1 answer(s) on tickets" in result.stdout


@pytest.mark.parametrize("kind", ["mbox", "maildir"])
def test_a_bad_mail_is_quarantined_the_rest_filed_and_the_exit_code_is_3(cli, tmp_path, kind):
    messages = [mail(), NO_SENDER, mail(sender="zoe@new.test", message_id="<z1@new.test>")]
    path = (_mbox(tmp_path / "in.mbox", messages) if kind == "mbox"
            else _maildir(tmp_path / "Maildir", messages))

    result = cli("mail", "import", kind, str(path))
    again = cli("mail", "import", kind, str(path))

    assert result.exit_code == 3
    assert "2 new ticket(s), 1 quarantined" in result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"deskterm: quarantined {kind}:") and "no sender address" in line
    assert again.exit_code == 3  # still there, nothing added
    assert "2 already filed, 1 already in the quarantine" in again.stdout
    (line,) = again.stderr.splitlines()
    assert line.startswith(f"deskterm: still in the quarantine from an earlier run: {kind}:")
    listed = json.loads(cli("mail", "quarantine", "list", "--json").stdout)
    assert len(listed) == 1 and listed[0]["reason"] == "no sender address (From)"


def test_quarantine_show_retry_and_drop(cli, tmp_path):
    path = _mbox(tmp_path / "in.mbox", [NO_SENDER, NO_SENDER.replace(b"who?", b"me?")])
    assert cli("mail", "import", "mbox", str(path)).exit_code == 3

    shown = cli("mail", "quarantine", "show", "1")
    assert shown.exit_code == 0
    assert "reason: no sender address (From)" in shown.stdout
    assert "no From at all" in shown.stdout

    saved = tmp_path / "kept.eml"
    assert cli("mail", "quarantine", "show", "1", "--save", str(saved)).exit_code == 0
    assert saved.read_bytes().rstrip() == NO_SENDER.rstrip()
    refused = cli("mail", "quarantine", "show", "1", "--save", str(saved))
    assert refused.exit_code == 1 and "the file exists" in refused.stderr

    retried = cli("mail", "quarantine", "retry", "1")
    assert retried.exit_code == 3 and "still quarantined" in retried.stdout

    dropped = cli("mail", "quarantine", "drop", "1")
    assert dropped.exit_code == 0
    assert [q["id"] for q in json.loads(cli("mail", "quarantine", "list", "--json").stdout)
            ] == [2]
    missing = cli("mail", "quarantine", "show", "1")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("deskterm: no quarantined mail 1")


def test_a_truncated_multipart_is_still_filed_with_the_text_it_has(cli, tmp_path):
    path = _mbox(tmp_path / "in.mbox", [TRUNCATED])

    result = cli("mail", "import", "mbox", str(path))

    assert result.exit_code == 0, result.stderr
    shown = json.loads(cli("ticket", "show", "1001", "--json").stdout)
    assert shown["messages"][0]["body"].startswith("half a mes")


@pytest.mark.parametrize("args, said", [
    (["mbox", "nowhere.mbox"], "nowhere.mbox: no such file"),
    (["maildir", "nowhere"], "nowhere: no such folder"),
    (["mbox", "."], "not an mbox file"),
    (["maildir", "plain.txt"], "not a Maildir folder"),
])
def test_a_missing_or_wrong_mailbox_is_one_line_and_exit_1(cli, tmp_path, monkeypatch, args,
                                                           said):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plain.txt").write_text("hello")

    result = cli("mail", "import", *args)

    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and said in result.stderr
    assert "Traceback" not in result.stderr


def test_a_mailed_ticket_shows_in_the_cli_with_the_desk_as_its_creator(cli, tmp_path):
    path = _mbox(tmp_path / "in.mbox", good_mail()[:2])
    cli("mail", "import", "mbox", str(path))

    shown = cli("ticket", "show", "1001")
    as_json = json.loads(cli("ticket", "show", "1001", "--json").stdout)

    assert shown.exit_code == 0, shown.stderr
    assert "Still." in shown.stdout and "The VPN drops every hour." in shown.stdout
    assert as_json["ticket"]["channel"] == "email"
    assert [e["actor"] for e in as_json["events"]] == [None]


def test_quarantined_text_reaches_the_terminal_without_escape_sequences(cli, tmp_path):
    hostile = (b"Subject: \x1b]52;c;ZXZpbA==\x07hi\r\nX-Note: \x9b31m\r\n\r\n"
               b"body \x1b[2J\x1b]8;;https://evil.test\x07link\x1b]8;;\x07 [bold]x[/bold]\r\n")
    path = _mbox(tmp_path / "in.mbox", [hostile])
    imported = cli("mail", "import", "mbox", str(path))

    listed = cli("mail", "quarantine", "list")
    shown = cli("mail", "quarantine", "show", "1")

    assert imported.exit_code == 3
    for output in (imported.stderr, listed.stdout, shown.stdout):
        assert "\x1b" not in output and "\x9b" not in output and "\x07" not in output
    assert "[bold]x[/bold]" in shown.stdout and "link" in shown.stdout
