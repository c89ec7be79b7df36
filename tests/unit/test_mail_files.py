"""A ticket's attachments through the use-case API (both stores), and saving one: a clean
name, never through a symbolic link, never over a file unless asked."""

from __future__ import annotations

import pytest

from deskterm.desk.errors import NotFound
from deskterm.desk.mail.files import save_bytes, save_name
from deskterm.desk.service import Desk

from .mail_samples import mail


def test_attachments_listed_without_their_bytes_and_read_one_by_one(store, admin):
    desk = Desk(store, username="ada")
    created = desk.ingest_mail(mail(attachments=[
        ("a.txt", "text/plain", b"alpha"), ("b.png", "image/png", b"\x89PNG..")]), source="t")
    other = desk.ingest_mail(mail(message_id="<other@acme.test>", subject="Other", attachments=[
        ("c.txt", "text/plain", b"gamma")]), source="t")
    files = desk.ticket_attachments(created.ticket_number)
    assert [(f.filename, f.content_type, f.size) for f in files] == [
        ("a.txt", "text/plain", 5), ("b.png", "image/png", 6)]
    assert desk.attachment_data(created.ticket_number, files[1].id) == b"\x89PNG.."
    (theirs,) = desk.ticket_attachments(other.ticket_number)
    with pytest.raises(NotFound):  # another ticket's file is not this ticket's
        desk.attachment_data(created.ticket_number, theirs.id)
    with pytest.raises(NotFound):
        desk.ticket_attachments(99_999)


@pytest.mark.parametrize(("given", "saved"), [
    ("report.pdf", "report.pdf"),
    ("../../.bashrc", "bashrc"),
    ("C:\\Users\\x\\evil.exe", "evil.exe"),
    ("\x1b]52;c;aGk=\x07a\u202eb.txt", "ab.txt"),
    ("..", "attachment"),
    ("", "attachment"),
    ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
])
def test_save_name(given, saved):
    assert save_name(given) == saved


def test_save_bytes_never_overwrites_unless_asked_nor_writes_through_a_link(tmp_path):
    target = tmp_path / "file.txt"
    save_bytes(target, b"one")
    with pytest.raises(FileExistsError):
        save_bytes(target, b"two")
    assert target.read_bytes() == b"one"
    save_bytes(target, b"two", replace=True)
    assert target.read_bytes() == b"two"
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep")
    link = tmp_path / "link.txt"
    link.symlink_to(victim)
    with pytest.raises(FileExistsError):
        save_bytes(link, b"evil")
    save_bytes(link, b"new", replace=True)  # the link is replaced, not written through
    assert victim.read_bytes() == b"keep" and not link.is_symlink()
    assert link.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt", "link.txt", "victim"]
