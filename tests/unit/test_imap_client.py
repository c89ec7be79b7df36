"""The IMAP side of ``mail fetch`` against a real dovecot (tests/imap_server.py): TLS and
STARTTLS, refusals as one line without the password, seen or moved only after the message is
stored, batches and --limit. The desk's side (tickets made, duplicates) is test_mail_fetch.py."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from deskterm.desk.mail import imap

SEEN = b"\\Seen"


def mail(n: int, subject: str = "Printer on fire") -> bytes:
    return (f"From: Customer {n} <c{n}@example.com>\r\nTo: help@desk.example\r\n"
            f"Subject: {subject} {n}\r\nMessage-ID: <m{n}@example.com>\r\n\r\n"
            f"Body {n}\r\n").encode()


@dataclass(frozen=True)
class Stored:
    outcome: str
    reason: str | None = None


class Desk:
    """Stands in for the desk's MailFiling: keeps what it is handed, stored at its commits
    (every ``every`` messages, or when asked), and can fail on one."""

    def __init__(self, fail_on: bytes | None = None, every: int | None = None) -> None:
        self.got: list[tuple[bytes, str]] = []
        """Committed."""
        self.pending: list[tuple[bytes, str]] = []
        self.fail_on = fail_on
        self.every = every

    def look_ahead(self, raws: list[bytes]) -> None:
        pass  # nothing stored to look up

    def file(self, raw: bytes, source: str) -> Stored:
        if self.fail_on is not None and self.fail_on in raw:
            raise RuntimeError("the database went away")
        self.pending.append((raw, source))
        return Stored("created")

    def commit_if_due(self) -> bool:
        if self.every is None or len(self.pending) < self.every:
            return False
        self.commit()
        return True

    def commit(self) -> None:
        self.got += self.pending
        self.pending = []


@pytest.mark.parametrize("security", ["tls", "starttls", "none"])
def test_fetches_unseen_and_marks_them_seen(imap_server, security):
    user = imap_server.add_user()
    imap_server.append(user, mail(1), mail(2), mail(3))
    desk = Desk()
    report = imap.fetch(imap_server.settings(user, security=security), desk)
    assert report.fetched == 3 and report.outcomes == {"created": 3}
    assert [raw.split(b"Subject: ")[1][:17] for raw, _ in desk.got] == [
        b"Printer on fire 1", b"Printer on fire 2", b"Printer on fire 3"]
    assert desk.got[0][1] == "imap:127.0.0.1/INBOX uid 1"
    assert all(SEEN in flags for flags in imap_server.flags(user).values())
    again = Desk()
    assert imap.fetch(imap_server.settings(user, security=security), again).fetched == 0
    assert again.got == []


def test_already_seen_mail_is_left_alone(imap_server):
    user = imap_server.add_user()
    imap_server.append(user, mail(1), mail(2))
    with imap_server.client(user) as client:
        client.select_folder("INBOX")
        client.add_flags([1], [SEEN])
    desk = Desk()
    imap.fetch(imap_server.settings(user), desk)
    assert [source for _, source in desk.got] == ["imap:127.0.0.1/INBOX uid 2"]


def test_wrong_password_is_one_line_without_it(imap_server):
    user = imap_server.add_user()
    wrong = "hunter2-\x1b[31m-not-it"
    with pytest.raises(imap.ImapFailure) as refused:
        imap.fetch(imap_server.settings(user, password=wrong), Desk())
    line = str(refused.value)
    assert "login refused for user" in line and user.name in line
    assert "hunter2" not in line and user.password not in line and "\n" not in line


def test_untrusted_certificate_and_closed_port(imap_server):
    user = imap_server.add_user()
    untrusted = replace(imap_server.settings(user), ca_file=None)
    with pytest.raises(imap.ImapFailure, match="certificate is not trusted"):
        imap.fetch(untrusted, Desk())
    from ..imap_server import free_port

    closed = replace(imap_server.settings(user), port=free_port())
    with pytest.raises(imap.ImapFailure, match="cannot connect"):
        imap.fetch(closed, Desk())


def test_a_ca_file_that_holds_no_certificates_is_one_line(imap_server, tmp_path):
    user = imap_server.add_user()
    for bad in (tmp_path / "missing.pem", tmp_path):
        with pytest.raises(imap.ImapFailure, match="cannot be read as certificates") as refused:
            imap.fetch(replace(imap_server.settings(user), ca_file=bad), Desk())
        assert str(bad) in str(refused.value) and "\n" not in str(refused.value)


def test_missing_folder_is_named(imap_server):
    user = imap_server.add_user()
    with pytest.raises(imap.ImapFailure, match="folder 'Nope' cannot be opened"):
        imap.fetch(imap_server.settings(user), Desk(), folder="Nope")


def test_move_after_storing(imap_server):
    user = imap_server.add_user()
    imap_server.append(user, mail(1), mail(2))
    settings = imap_server.settings(user, after="move", move_to="Desk/Done")
    report = imap.fetch(settings, Desk())
    assert report.fetched == 2
    assert imap_server.flags(user) == {}
    assert len(imap_server.flags(user, "Desk/Done")) == 2


def test_limit_leaves_the_rest_for_the_next_run(imap_server):
    user = imap_server.add_user()
    imap_server.append(user, *(mail(n) for n in range(1, 6)))
    first = Desk()
    report = imap.fetch(imap_server.settings(user), first, limit=2)
    assert (report.fetched, report.left) == (2, 3)
    second = Desk()
    report = imap.fetch(imap_server.settings(user), second)
    assert (report.fetched, report.left) == (3, 0)
    assert [s for _, s in first.got + second.got] == [
        f"imap:127.0.0.1/INBOX uid {n}" for n in range(1, 6)]


def test_batches_and_a_failure_mid_batch(imap_server, monkeypatch):
    """Messages committed before a failure are marked seen; those filed in the failed
    transaction, the failed one and the rest stay unseen for the next run."""
    monkeypatch.setattr(imap, "BATCH", 2)
    user = imap_server.add_user()
    imap_server.append(user, *(mail(n) for n in range(1, 6)))
    desk = Desk(fail_on=b"Body 4")
    progress: list[tuple[int, int]] = []
    with pytest.raises(RuntimeError):
        imap.fetch(imap_server.settings(user), desk,
                   progress=lambda done, total: progress.append((done, total)))
    assert progress == [(1, 5), (2, 5), (3, 5)]
    flags = imap_server.flags(user)
    assert [uid for uid, f in sorted(flags.items()) if SEEN in f] == [1, 2]
    assert [source for _, source in desk.pending] == ["imap:127.0.0.1/INBOX uid 3"]
    rest = Desk()
    assert imap.fetch(imap_server.settings(user), rest).fetched == 3


def test_a_commit_inside_a_batch_marks_those_messages_seen_even_if_a_later_one_fails(
        imap_server):
    user = imap_server.add_user()
    imap_server.append(user, *(mail(n) for n in range(1, 6)))
    desk = Desk(fail_on=b"Body 5", every=2)  # commits after messages 2 and 4
    with pytest.raises(RuntimeError):
        imap.fetch(imap_server.settings(user), desk)
    flags = imap_server.flags(user)
    assert [uid for uid, f in sorted(flags.items()) if SEEN in f] == [1, 2, 3, 4]
