"""``deskterm mail fetch`` against a real dovecot: the summary, --limit, --folder, --watch,
exit codes (0, 1, 3) and refusals as one line without the password."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from sqlmodel import func, select

from deskterm.db.models import OutboxMail, Ticket
from deskterm.paths import config_file

from .mail_samples import mail


def _all_sent(store) -> bool:
    with store.read() as session:
        states = session.exec(select(OutboxMail.state)).all()
    return bool(states) and all(state == "sent" for state in states)

PASSWORD_VARIABLE = "TEST_DESK_IMAP_PASSWORD"


def configure(server, user, monkeypatch, *, password: str | None = None,
              security: str = "tls", extra: str = "") -> None:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    port = server.tls_port if security == "tls" else server.plain_port
    path.write_text(f"""[imap]
host = "127.0.0.1"
port = {port}
security = "{security}"
user = "{user.name}"
password_env = "{PASSWORD_VARIABLE}"
ca_file = "{server.ca_file}"
{extra}""")
    monkeypatch.setenv(PASSWORD_VARIABLE, user.password if password is None else password)


def tickets(store) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(Ticket)).one()


def test_fetch_reports_what_it_filed(cli, store, admin, imap_server, monkeypatch):
    user = imap_server.add_user()
    configure(imap_server, user, monkeypatch, security="starttls")
    imap_server.append(user, mail(message_id="<c1@acme.test>"),
                       mail(subject="Re: VPN drops", message_id="<c2@acme.test>",
                            in_reply_to="<c1@acme.test>"))
    result = cli("mail", "fetch")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == (f"fetched 2 message(s) from 127.0.0.1:"
                                     f"{imap_server.plain_port} INBOX: 1 created, 1 appended")
    again = cli("mail", "fetch")
    assert again.exit_code == 0 and "fetched 0 message(s)" in again.stdout


def test_limit_and_folder(cli, store, admin, imap_server, monkeypatch):
    user = imap_server.add_user()
    configure(imap_server, user, monkeypatch)
    imap_server.append(user, *(mail(subject=f"Case {n}", message_id=f"<l{n}@acme.test>")
                               for n in range(3)), folder="Support")
    assert "fetched 0 message(s)" in cli("mail", "fetch").stdout  # INBOX is empty
    first = cli("mail", "fetch", "--folder", "Support", "--limit", "2")
    assert first.exit_code == 0
    assert "2 created; 1 left for the next run (--limit)" in first.stdout
    assert tickets(store) == 2
    rest = cli("mail", "fetch", "--folder", "Support")
    assert "fetched 1 message(s)" in rest.stdout and tickets(store) == 3
    missing = cli("mail", "fetch", "--folder", "Nope")
    assert missing.exit_code == 1 and "folder 'Nope' cannot be opened" in missing.stderr
    hostile = cli("mail", "fetch", "--folder", "Nope\x1b[2J")
    assert hostile.exit_code == 1 and "\x1b" not in hostile.stderr
    assert hostile.stderr == "deskterm: --folder: must be a folder name on one line\n"


def test_wrong_password_one_line_exit_1_never_shown(cli, store, admin, imap_server,
                                                    monkeypatch):
    user = imap_server.add_user()
    wrong = "s3cr3t-Hunter2-wrong"
    configure(imap_server, user, monkeypatch, password=wrong)
    imap_server.append(user, mail())
    result = cli("mail", "fetch")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "login refused for user" in result.stderr
    for secret in (wrong, user.password):
        assert secret not in result.stdout + result.stderr
    assert tickets(store) == 0


def test_no_imap_settings_and_an_unset_password(cli, store, admin, imap_server,
                                                monkeypatch):
    result = cli("mail", "fetch")
    assert result.exit_code == 1 and "no [imap] table" in result.stderr
    user = imap_server.add_user()
    configure(imap_server, user, monkeypatch)
    monkeypatch.delenv(PASSWORD_VARIABLE)
    unset = cli("mail", "fetch")
    assert unset.exit_code == 1
    assert "[imap]: password_env: the variable it names is not set" in unset.stderr
    assert PASSWORD_VARIABLE not in unset.stderr  # a misplaced password is never quoted


def test_a_quarantined_message_exit_3_and_the_rest_filed(cli, store, admin, imap_server,
                                                         monkeypatch):
    user = imap_server.add_user()
    configure(imap_server, user, monkeypatch)
    imap_server.append(user, mail(message_id="<q1@acme.test>"),
                       b"Subject: no sender\r\n\r\nhello\r\n",
                       mail(subject="Printer", message_id="<q2@acme.test>"))
    result = cli("mail", "fetch")
    assert result.exit_code == 3
    assert "2 created, 1 quarantined" in result.stdout
    assert result.stderr == ("deskterm: quarantined imap:127.0.0.1/INBOX uid 2: no sender "
                             "address (From)\n")
    assert tickets(store) == 2
    listed = cli("mail", "quarantine", "list")
    assert "INBOX uid 2" in listed.stdout


@pytest.mark.parametrize("stores", ["sqlite"], indirect=True)
def test_watch_keeps_fetching(store, admin, imap_server, monkeypatch, tmp_path):
    user = imap_server.add_user()
    configure(imap_server, user, monkeypatch)
    imap_server.append(user, mail(message_id="<w1@acme.test>"))
    import pwd

    from deskterm.desk.people import directory as people

    me = pwd.getpwuid(os.getuid()).pw_name  # the process runs as this machine's user
    store.write(lambda s: people.add_agent(s, username=me, display_name="Mail Fetcher"))
    url = store.url.render_as_string(hide_password=False)
    env = dict(os.environ)
    process = subprocess.Popen(
        [sys.executable, "-m", "deskterm", "--db", url, "mail", "fetch", "--watch",
         "--interval", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    # Its lines are read as they come: a pass reports after its commit, so the second mail can
    # be in the desk a moment before the line saying so is written.
    said: list[str] = []
    reader = threading.Thread(target=lambda: said.extend(iter(process.stdout.readline, "")),
                              daemon=True)
    reader.start()

    def fetched() -> int:
        return sum("fetched 1 message(s)" in line for line in list(said))

    try:
        deadline = time.monotonic() + 20
        while tickets(store) < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        imap_server.append(user, mail(subject="Second", message_id="<w2@acme.test>"))
        while (tickets(store) < 2 or fetched() < 2) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert tickets(store) == 2
        assert process.poll() is None  # still watching
    finally:
        process.terminate()
        process.wait(timeout=10)
        reader.join(timeout=10)
    assert fetched() == 2, (said, process.stderr.read())


@pytest.mark.parametrize("stores", ["sqlite"], indirect=True)
def test_watch_sends_the_acknowledgement_of_what_it_filed(store, admin, imap_server,
                                                          monkeypatch):
    import pwd

    from deskterm.desk.mail import settings as mail_settings
    from deskterm.desk.people import directory as people

    from ..smtp_server import smtp_server

    me = pwd.getpwuid(os.getuid()).pw_name
    store.write(lambda s: people.add_agent(s, username=me, display_name="Mail Fetcher"))
    store.write(lambda s: mail_settings.update_settings(s, from_address="help@desk.test"))
    user = imap_server.add_user()
    with smtp_server() as smtp:
        configure(imap_server, user, monkeypatch, extra=(
            f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\n'))
        imap_server.append(user, mail(message_id="<ack1@acme.test>"))
        process = subprocess.Popen(
            [sys.executable, "-m", "deskterm", "--db",
             store.url.render_as_string(hide_password=False), "mail", "fetch", "--watch",
             "--interval", "1"], env=dict(os.environ), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        # Its lines are read as they come: the sender says "sent" after the commit that marks
        # the mail sent, so the desk knows a moment before the line is written.
        said: list[str] = []
        reader = threading.Thread(target=lambda: said.extend(iter(process.stdout.readline, "")),
                                  daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 20
            while not smtp.received and time.monotonic() < deadline:
                time.sleep(0.1)
            while not (_all_sent(store) and any("sent 1 mail" in line for line in list(said))) \
                    and time.monotonic() < deadline:
                time.sleep(0.1)
            assert process.poll() is None  # still watching
        finally:
            process.terminate()
            process.wait(timeout=10)
            reader.join(timeout=10)
        out, err = "".join(said), process.stderr.read()
        assert len(smtp.received) == 1, (out, err)
        acknowledgement = smtp.received[0]
    assert b"[#" in acknowledgement.data and b"Auto-Submitted: auto-replied" in acknowledgement.data
    assert "sent 1 mail" in out
