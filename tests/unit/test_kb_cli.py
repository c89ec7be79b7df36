"""``deskterm kb`` on both stores: import/export round trip, malformed files, search, errors."""

from __future__ import annotations

import fcntl
import json
import os
import resource
import signal
from pathlib import Path

import pytest

from deskterm.db.models import Article
from deskterm.desk.kb import articles as kb_articles

VPN = """---
title: "Reset a VPN token: step by step"
category: Network / VPN
tags: [vpn, Token, os:linux]
status: published
visibility: public
---

1. Open **Settings → VPN**.
2. Press *Reset*.
"""

PRINTER = """---
title: Printer jams
tags: printers, hardware
---
Open the tray, remove the paper.
"""

CHINESE = """---
title: 打印机无法连接
slug: printer-offline-zh
category: 硬件
status: published
---

请检查网络设置。
"""


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.md"))}


@pytest.fixture
def desk(cli, admin):
    return cli


def _articles(store):
    with store.read() as session:
        return {a.slug: a for a in kb_articles.list_articles(session)}


def test_import_then_export_then_import_then_export_is_byte_identical(desk, store, tmp_path):
    source = _write(tmp_path / "in", {"vpn-reset.md": VPN, "sub/printer-jams.md": PRINTER,
                                      "zh.md": CHINESE})

    first = desk("kb", "import", str(source))
    assert first.exit_code == 0, first.stderr
    assert "3 created, 0 updated, 0 unchanged" in first.stdout
    articles = _articles(store)
    assert set(articles) == {"vpn-reset", "printer-jams", "printer-offline-zh"}
    vpn = articles["vpn-reset"]
    assert (vpn.title, vpn.category, vpn.tags, vpn.status, vpn.visibility) == (
        "Reset a VPN token: step by step", "Network/VPN", ("os:linux", "token", "vpn"),
        "published", "public")
    assert articles["printer-jams"].status == "draft"

    assert desk("kb", "export", str(tmp_path / "out1")).exit_code == 0
    again = desk("kb", "import", str(tmp_path / "out1"))
    assert "0 created, 0 updated, 3 unchanged" in again.stdout
    assert desk("kb", "export", str(tmp_path / "out2")).exit_code == 0

    out1, out2 = _tree(tmp_path / "out1"), _tree(tmp_path / "out2")
    assert out1 == out2
    assert sorted(out1) == ["printer-jams.md", "printer-offline-zh.md", "vpn-reset.md"]
    assert out1["vpn-reset.md"].decode() == (
        '---\ntitle: "Reset a VPN token: step by step"\ncategory: Network/VPN\n'
        "tags: [os:linux, token, vpn]\nstatus: published\nvisibility: public\n---\n\n"
        "1. Open **Settings → VPN**.\n2. Press *Reset*.\n")


def test_reimport_updates_by_slug_and_never_duplicates(desk, store, tmp_path):
    source = _write(tmp_path / "in", {"vpn-reset.md": VPN})
    desk("kb", "import", str(source))
    (source / "vpn-reset.md").write_text(VPN.replace("Press *Reset*", "Press *Renew*"),
                                         encoding="utf-8")

    result = desk("kb", "import", str(source))

    assert "0 created, 1 updated" in result.stdout
    with store.read() as session:
        assert len(kb_articles.list_articles(session)) == 1
        assert "Renew" in kb_articles.get_article(session, article="vpn-reset").body


BAD = {
    "no-front.md": ("Just text\n", "no-front.md, line 1: no front matter"),
    "unclosed.md": ("---\ntitle: x\n", "unclosed.md, line 1: the front matter opened"),
    "yaml.md": ("---\ntitle: x\ntags: [a, b\n---\nbody\n", "yaml.md, line "),
    "unknown.md": ("---\ntitle: x\n\nauthor: bob\n---\n", "unknown.md, line 4: unknown key"),
    "status.md": ("---\ntitle: x\nstatus: live\n---\n", "status.md, line 3: status: 'live'"),
    "tags.md": ("---\ntitle: x\ntags: [has space]\n---\n", "tags.md, line 3: tags:"),
    "notitle.md": ("---\nstatus: draft\n---\n", "notitle.md, line 1: no title"),
    "Bad Name.md": ("---\ntitle: x\n---\n", "Bad Name.md, line 1: the file name gives"),
    "category.md": ("---\ntitle: x\ncategory: A//B\n---\n", "category.md, line 3: category:"),
    "twice.md": ("---\ntitle: x\nstatus: draft\ntitle: y\n---\n",
                 "twice.md, line 4: not valid YAML front matter: duplicate key 'title'"),
    "nested.md": ("---\ntitle: x\ntags: {a: 1, a: 2}\n---\n",
                  "nested.md, line 3: not valid YAML front matter: duplicate key 'a'"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_malformed_file_is_reported_with_its_path_and_line_and_nothing_is_applied(
        desk, store, tmp_path, name):
    text, expected = BAD[name]
    source = _write(tmp_path / "in", {"a-good.md": PRINTER, name: text})

    result = desk("kb", "import", str(source))

    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("deskterm: ")
    assert expected in lines[0], lines[0]
    assert str(source) in lines[0]
    assert "nothing was imported" in lines[-1]
    assert "Traceback" not in result.stderr + result.stdout
    assert _articles(store) == {}


def test_skip_invalid_reports_the_bad_files_and_applies_the_rest(desk, store, tmp_path):
    source = _write(tmp_path / "in", {"printer-jams.md": PRINTER, "bad.md": "no front\n",
                                      "worse.md": "---\nstatus: x\n---\n"})
    rejects = tmp_path / "rejects.txt"

    result = desk("kb", "import", str(source), "--skip-invalid", "--rejects", str(rejects))

    assert result.exit_code == 0, result.stderr
    assert "1 created" in result.stdout and "2 skipped" in result.stdout
    assert result.stderr.count("deskterm: skipped ") == 2
    assert set(_articles(store)) == {"printer-jams"}
    assert len(rejects.read_text().splitlines()) == 2


def test_two_files_with_one_slug_are_refused(desk, store, tmp_path):
    source = _write(tmp_path / "in", {"a/x.md": PRINTER, "b/x.md": PRINTER})
    result = desk("kb", "import", str(source))
    assert result.exit_code == 1
    assert "slug 'x' is also the slug of" in result.stderr
    assert _articles(store) == {}


def test_missing_or_empty_directories_are_one_line(desk, tmp_path):
    for args in (("kb", "import", str(tmp_path / "nope")),
                 ("kb", "import", str(_write(tmp_path / "empty", {})))):
        result = desk(*args)
        assert result.exit_code == 1
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stderr.startswith("deskterm: ")
        assert "Traceback" not in result.stderr + result.stdout
    (tmp_path / "file").write_text("x")
    result = desk("kb", "import", str(tmp_path / "file"))
    assert result.exit_code == 1 and "not a directory" in result.stderr


def test_search_lists_the_best_match_first(desk, tmp_path):
    desk("kb", "import", str(_write(tmp_path / "in", {
        "vpn-reset.md": VPN, "printer-jams.md": PRINTER,
        "lease.md": "---\ntitle: Renew the lease\n---\nIf the VPN drops, renew it.\n"})))

    result = desk("kb", "search", "vpn", "--json")

    assert result.exit_code == 0, result.stderr
    hits = json.loads(result.stdout)
    assert [hit["slug"] for hit in hits] == ["vpn-reset", "lease"]
    plain = desk("kb", "search", "vpn", "--limit", "1")
    assert plain.stdout.startswith("vpn-reset\t")
    assert desk("kb", "search", "nothing-like-it").stdout == ""


def test_list_and_show(desk, tmp_path):
    desk("kb", "import", str(_write(tmp_path / "in", {"vpn-reset.md": VPN,
                                                      "printer-jams.md": PRINTER})))

    listed = desk("kb", "list", "--json")
    assert [a["slug"] for a in json.loads(listed.stdout)] == ["printer-jams", "vpn-reset"]
    only = desk("kb", "list", "--category", "network")
    assert only.stdout.startswith("vpn-reset\t")
    shown = desk("kb", "show", "vpn-reset")
    assert shown.stdout.startswith("---\ntitle: ")
    assert json.loads(desk("kb", "show", "vpn-reset", "--json").stdout)["body"].startswith("1.")
    missing = desk("kb", "show", "nope")
    assert missing.exit_code == 1 and "no article 'nope'" in missing.stderr
    assert desk("kb", "list", "--category", "Nowhere").exit_code == 1


def test_show_prints_no_escape_sequences(desk, store, admin):
    store.write(lambda s: kb_articles.create_article(s, actor=admin, title="Evil\x1b]0;x\x07",
                                                     body="a\x1b[2Jb", slug="evil"))
    shown = desk("kb", "show", "evil")
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout


# --- export: long slugs, all or nothing, never through a link ------------------------------------

LONG_SLUG = "打印机" * 40  # 120 characters, 360 bytes: too long for a file name


def _long_slug_article(store, admin):
    store.write(lambda s: kb_articles.create_article(s, actor=admin, title="打印机无法连接",
                                                     slug=LONG_SLUG,
                                                     body="请检查网络设置。", status="published"))


def test_a_slug_too_long_for_a_file_name_is_cut_with_a_hash_and_round_trips(desk, store, admin,
                                                                           tmp_path):
    _long_slug_article(store, admin)

    first = desk("kb", "export", str(tmp_path / "out1"))
    again = desk("kb", "import", str(tmp_path / "out1"))
    second = desk("kb", "export", str(tmp_path / "out2"))

    assert first.exit_code == again.exit_code == second.exit_code == 0, first.stderr
    [name] = _tree(tmp_path / "out1")
    assert len(name.encode()) <= 255
    assert name.startswith("打印机") and name != f"{LONG_SLUG}.md"
    assert "0 created, 0 updated, 1 unchanged" in again.stdout
    assert _tree(tmp_path / "out1") == _tree(tmp_path / "out2")
    assert f"slug: {LONG_SLUG}\n" in _tree(tmp_path / "out1")[name].decode()


def test_export_replaces_a_planted_link_and_never_writes_through_it(desk, store, admin,
                                                                   tmp_path):
    _write(tmp_path / "in", {"vpn-reset.md": VPN})
    desk("kb", "import", str(tmp_path / "in"))
    bashrc = tmp_path / "home" / ".bashrc"
    bashrc.parent.mkdir()
    bashrc.write_text("export PATH=/usr/bin\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "vpn-reset.md").symlink_to(bashrc)

    result = desk("kb", "export", str(out))

    assert result.exit_code == 0, result.stderr
    assert bashrc.read_text() == "export PATH=/usr/bin\n"
    assert not (out / "vpn-reset.md").is_symlink()
    assert (out / "vpn-reset.md").read_text(encoding="utf-8").startswith("---\ntitle: \"Reset")
    assert sorted(os.listdir(out)) == ["vpn-reset.md"]


@pytest.mark.parametrize("slug", ["../../escaped", "sub/dir", "..", ".hidden",
                                  "a\x1b]52;c;QQ==\x07b"])
def test_a_stored_slug_that_is_not_a_file_name_stops_the_export_before_anything_is_written(
        desk, store, admin, tmp_path, slug):
    # What an older deskterm, another client or a hand edit could have left in the store.
    article = store.write(lambda s: kb_articles.create_article(s, actor=admin, title="VPN",
                                                               body="Text.", slug="vpn"))

    def plant(session) -> None:
        row = session.get(Article, article.id)
        row.slug = slug
        session.add(row)

    store.write(plant)
    work = tmp_path / "work"
    desk("kb", "import", str(_write(work / "in", {"printer-jams.md": PRINTER})))
    out = work / "a" / "b" / "out"

    result = desk("kb", "export", str(out))

    assert result.exit_code == 1
    assert "its slug cannot be a file name" in result.stderr
    assert result.stderr.endswith("nothing was exported\n") and result.stderr.count("\n") == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert sorted(os.listdir(out)) == []
    assert [p.name for p in work.rglob("*") if not p.is_dir()] == ["printer-jams.md"]


def test_export_onto_a_directory_of_an_articles_name_writes_nothing(desk, store, tmp_path):
    desk("kb", "import", str(_write(tmp_path / "in", {"vpn-reset.md": VPN,
                                                      "printer-jams.md": PRINTER})))
    out = _write(tmp_path / "out", {"vpn-reset.md": "my own notes\n"})
    (out / "printer-jams.md").mkdir()

    result = desk("kb", "export", str(out))

    assert result.exit_code == 1
    assert result.stderr == (f"deskterm: {out / 'printer-jams.md'}: is a directory; nothing "
                             "was exported\n")
    assert sorted(os.listdir(out)) == ["printer-jams.md", "vpn-reset.md"]
    assert (out / "vpn-reset.md").read_text() == "my own notes\n"


@pytest.fixture
def file_size_limit():
    """Files this process writes may grow to ``limit(n)`` bytes (a full disk, for one test)."""
    before_signal = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    before = resource.getrlimit(resource.RLIMIT_FSIZE)
    yield lambda n: resource.setrlimit(resource.RLIMIT_FSIZE, (n, before[1]))
    resource.setrlimit(resource.RLIMIT_FSIZE, before)
    signal.signal(signal.SIGXFSZ, before_signal)


def test_an_export_that_fails_half_way_leaves_the_folder_as_it_was(desk, store, tmp_path,
                                                                   file_size_limit):
    big = PRINTER.replace("Open the tray", "Open the tray. " * 2000)
    desk("kb", "import", str(_write(tmp_path / "in", {"a-small.md": VPN.replace(
        "title: ", "slug: a-small\ntitle: "), "z-big.md": big})))
    out = _write(tmp_path / "out", {"a-small.md": "my own notes\n"})

    file_size_limit(4_000)  # the small article fits, the big one does not
    try:
        result = desk("kb", "export", str(out))
    finally:
        file_size_limit(resource.RLIM_INFINITY)

    assert result.exit_code == 1
    assert result.stderr.startswith(f"deskterm: {out / 'z-big.md'}: cannot be written (File "
                                    "too large)")
    assert sorted(os.listdir(out)) == ["a-small.md"]
    assert (out / "a-small.md").read_text() == "my own notes\n"


def test_an_export_removes_what_a_killed_export_left_and_refuses_to_run_beside_another(
        desk, store, tmp_path):
    desk("kb", "import", str(_write(tmp_path / "in", {"vpn-reset.md": VPN})))
    out = _write(tmp_path / "out", {".deskterm-export-0a1b2c-1.tmp": "half an article"})
    folder = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)  # another export, running
        busy = desk("kb", "export", str(out))
    finally:
        os.close(folder)

    done = desk("kb", "export", str(out))

    assert busy.exit_code == 1
    assert busy.stderr == (f"deskterm: {out}: another export is writing there; try again when "
                           "it is done\n")
    assert done.exit_code == 0, done.stderr
    assert sorted(os.listdir(out)) == ["vpn-reset.md"]
