"""Articles as files: Markdown with YAML front matter (``deskterm kb import`` / ``export``).

::

    ---
    title: Reset a VPN token
    category: Network/VPN
    tags: [token, vpn]
    status: published
    visibility: internal
    ---

    1. Open **Settings → VPN** ...

Keys: ``title`` (required), ``slug`` (else the file name without ``.md``), ``category`` (a path,
``A/B``), ``tags`` (a list, or names separated by commas), ``status`` (``draft``, the default, or
``published``), ``visibility`` (``internal``, the default, or ``public``). Any other key is
refused; so is a key given twice. :func:`format_article` writes the keys in that order, the slug
only when the file name does not say it (a slug too long for a file name, see
:func:`file_name`), so export -> import -> export gives the same bytes.

Errors are :class:`FileProblem`: the line (from 1) and what is wrong.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from deskterm.desk.errors import InvalidInput
from deskterm.desk.kb.articles import ArticleFields, check_fields
from deskterm.desk.safe_text import clean_line

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows: no lock, and no sweep of a killed export's temporary files
    fcntl = None

KEYS = ("title", "slug", "category", "tags", "status", "visibility")
FENCE = "---"
MAX_FILE_NAME = 255
"""Bytes in a file name: the limit of ext4, XFS, Btrfs, ZFS and APFS."""

_TEMP_PREFIX = ".deskterm-export-"
_TEMP_SUFFIX = ".tmp"

# A new file, never an existing one and never through a link (the name is ours and random).
_NEW_FILE = (os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_CLOEXEC", 0))


class FileProblem(InvalidInput):
    """What is wrong with an article file, and on which line (from 1)."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class _FrontMatter:
    data: dict[str, Any]
    lines: dict[str, int]
    """The file line of each key."""
    body: str


def _split(text: str) -> tuple[str, str, int]:
    """(front matter, body, number of the first front-matter line)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        raise FileProblem(1, "no front matter: the file must start with a '---' line, then "
                             "'title: ...', then '---'")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in (FENCE, "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), 2
    raise FileProblem(1, "the front matter opened by '---' is never closed by another '---'")


class UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a mapping that holds a key twice (PyYAML keeps the last
    one without a word, so ``title:`` twice would silently lose the first title)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: set[object] = set()
            for key_node, _value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # '<<' merges: keys given beside it override, as YAML says
                key = self.construct_object(key_node, deep=True)
                try:
                    again = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # an unhashable key: the base class says what is wrong with it
                if again:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping", node.start_mark,
                        f"duplicate key '{clean_line(str(key))[:40]}' (each key may be given "
                        "once)", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> object:
    """YAML read safely (no Python objects) and strictly (no key given twice)."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # a SafeLoader: no Python objects


def _front_matter(text: str) -> _FrontMatter:
    front, body, first = _split(text)
    try:
        node = yaml.compose(front, Loader=yaml.SafeLoader)
        data = load_yaml(front)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first + mark.line if mark is not None else first
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FileProblem(line, f"not valid YAML front matter: {problem}") from None
    if data is None:
        raise FileProblem(first, "the front matter is empty: it needs at least 'title: ...'")
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise FileProblem(first, "the front matter must be 'key: value' lines")
    lines = {}
    for key_node, _value in node.value:
        lines[str(key_node.value)] = first + key_node.start_mark.line
    return _FrontMatter(data=data, lines=lines, body=body)


def _text(meta: _FrontMatter, key: str) -> str | None:
    value = meta.data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FileProblem(meta.lines[key], f"{key} must be text (put it in quotes)")
    return value


def _tags(meta: _FrontMatter) -> tuple[str, ...]:
    value = meta.data.get("tags")
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part for part in value.split(",") if part.strip())
    if isinstance(value, list) and all(isinstance(tag, str) for tag in value):
        return tuple(value)
    raise FileProblem(meta.lines["tags"], "tags must be a list like [vpn, token] or names "
                                          "separated by commas")


def parse_article(text: str, *, file_slug: str) -> ArticleFields:
    """An article from the file format; ``file_slug`` is the file name without ``.md``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        meta = _front_matter(text)
    except RecursionError:  # PyYAML composes nested lists and maps by recursion
        raise FileProblem(1, "the front matter is nested too deeply") from None
    for key in meta.data:
        if str(key) not in KEYS:
            raise FileProblem(meta.lines.get(str(key), 2),
                              f"unknown key '{clean_line(str(key))[:40]}' (keys: "
                              f"{', '.join(KEYS)})")
    title = _text(meta, "title")
    if title is None:
        raise FileProblem(1, "no title: add 'title: ...' to the front matter")
    slug = _text(meta, "slug")
    fields = ArticleFields(
        slug=slug if slug is not None else file_slug, title=title, body=meta.body,
        category=_text(meta, "category"), tags=_tags(meta),
        status=_text(meta, "status") or "draft",
        visibility=_text(meta, "visibility") or "internal")
    try:
        return check_fields(fields)
    except InvalidInput as exc:
        field = str(exc).split(":", 1)[0]
        if field == "slug" and slug is None:
            raise FileProblem(1, f"the file name gives the slug '{clean_line(file_slug)[:60]}', "
                                 "which is not a slug: rename the file or add 'slug: ...'"
                              ) from None
        line = meta.lines.get(field, meta.lines.get(field.split(".")[0], 1))
        raise FileProblem(line, str(exc)) from None


def _scalar(value: str, *, in_list: bool = False) -> str:
    """``value`` as YAML: plain when it reads back the same, else double-quoted."""
    if value and value == value.strip() and "\n" not in value:
        try:
            loaded = yaml.safe_load(f"[{value}]" if in_list else f"k: {value}")
            if loaded == ([value] if in_list else {"k": value}):
                return value
        except yaml.YAMLError:
            pass
    return json.dumps(value, ensure_ascii=False)


def format_article(fields: ArticleFields) -> str:
    """The file's text for an article saved as ``{slug}.md``."""
    lines = [FENCE, f"title: {_scalar(fields.title)}"]
    if file_name(fields) != f"{fields.slug}.md":
        lines.append(f"slug: {_scalar(fields.slug)}")
    if fields.category:
        lines.append(f"category: {_scalar(fields.category)}")
    if fields.tags:
        lines.append("tags: [" + ", ".join(_scalar(tag, in_list=True) for tag in fields.tags)
                     + "]")
    lines += [f"status: {fields.status}", f"visibility: {fields.visibility}", FENCE, ""]
    text = "\n".join(lines) + "\n"
    return text + (fields.body + "\n" if fields.body else "")


def file_name(fields: ArticleFields) -> str:
    """``SLUG.md``; a slug too long for a file name (a CJK slug of 120 characters is 360 bytes)
    is cut and followed by a hash of the whole slug, which the file's front matter then gives,
    so export, import, export still gives the same files."""
    name = f"{fields.slug}.md"
    if len(name.encode()) <= MAX_FILE_NAME:
        return name
    digest = hashlib.sha256(fields.slug.encode()).hexdigest()[:16]
    room = MAX_FILE_NAME - len(f"-{digest}.md")
    return f"{fields.slug.encode()[:room].decode(errors='ignore')}-{digest}.md"


def _shown(path: Path) -> str:
    return clean_line(str(path))


def _check_file_names(names: Sequence[str], articles: Sequence[ArticleFields]) -> None:
    """Every name is a plain file name in the folder: no path separator, no NUL or other
    control character, no leading dot (``..``, a hidden file). A slug the desk checks never
    gives another; one stored by an older deskterm, another client or by hand might, and would
    write outside the folder (``../../.bashrc``) or name a file with escape sequences."""
    for name, fields in zip(names, articles, strict=True):
        if (name.startswith(".") or "/" in name or "\\" in name
                or (os.altsep is not None and os.altsep in name)
                or any(not ch.isprintable() for ch in name)):
            raise InvalidInput(f"article '{clean_line(fields.slug)[:80]}': its slug cannot be a "
                               "file name (a path, a control character or a leading dot); "
                               "change it, then export again; nothing was exported")


def _written(folder: Path, name: str, exc: OSError) -> InvalidInput:
    return InvalidInput(f"{_shown(folder / name)}: cannot be written ({exc.strerror or exc})")


def _take_folder(folder: Path, directory: int) -> None:
    """Lock the folder against another export (``flock`` on it, let go of when the descriptor
    is closed, however this process ends); then temporary files found there are those of an
    export that was killed, and are removed."""
    if fcntl is None:
        return
    try:
        fcntl.flock(directory, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise InvalidInput(f"{_shown(folder)}: another export is writing there; try again when "
                           "it is done") from None
    for name in os.listdir(directory):
        if name.startswith(_TEMP_PREFIX) and name.endswith(_TEMP_SUFFIX):
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=directory)  # a link is removed, never followed


def write_articles(folder: Path, articles: Sequence[ArticleFields],
                   progress: Callable[[int], None] | None = None) -> None:
    """Write each article to ``folder`` as :func:`file_name`, all or nothing.

    Every file is written first under a hidden temporary name in ``folder`` (ending in ``.tmp``,
    so ``kb import`` never reads one), then each is renamed over its own name. A failure while
    writing (a full disk, a name taken by a directory) removes the temporary files and leaves
    the folder as it was. A rename replaces whatever has the name, a symbolic link included,
    and never writes through it: a planted ``vpn.md -> ~/.bashrc`` becomes a plain file and
    ``~/.bashrc`` is not touched; a stored slug that is not a plain file name (``../x``)
    stops the export before anything is written. The folder is opened once and every name is
    taken relative to it, so swapping the folder for a link midway changes nothing. Two exports
    into one folder do not mix: the second is refused while the first runs, and removes what a
    killed one left.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        directory = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise InvalidInput(f"{_shown(folder)}: cannot be created ({exc.strerror or exc})"
                           ) from None
    try:
        _take_folder(folder, directory)
        names = [file_name(fields) for fields in articles]
        _check_file_names(names, articles)
        for name in names:
            try:
                if stat.S_ISDIR(os.stat(name, dir_fd=directory, follow_symlinks=False).st_mode):
                    raise InvalidInput(f"{_shown(folder / name)}: is a directory; nothing was "
                                       "exported")
            except FileNotFoundError:
                pass
        token = secrets.token_hex(6)
        temporary: list[str] = []
        try:
            for done, (name, fields) in enumerate(zip(names, articles, strict=True), start=1):
                temp = f"{_TEMP_PREFIX}{token}-{done}{_TEMP_SUFFIX}"
                try:
                    fd = os.open(temp, _NEW_FILE, 0o666, dir_fd=directory)
                    temporary.append(temp)
                    with os.fdopen(fd, "wb") as handle:
                        handle.write(format_article(fields).encode("utf-8"))
                except OSError as exc:
                    raise _written(folder, name, exc) from None
                if progress is not None:
                    progress(done)
            for index, (temp, name) in enumerate(zip(temporary, names, strict=True)):
                try:
                    os.replace(temp, name, src_dir_fd=directory, dst_dir_fd=directory)
                except OSError as exc:
                    # Only a race (a directory made under the name since the check) gets here.
                    raise InvalidInput(f"{_shown(folder / name)}: cannot be written "
                                       f"({exc.strerror or exc}); {index} of {len(names)} "
                                       "file(s) were exported before it") from None
                temporary[index] = ""
        finally:
            for temp in temporary:
                if temp:
                    with contextlib.suppress(OSError):
                        os.unlink(temp, dir_fd=directory)
    finally:
        os.close(directory)


__all__ = ["KEYS", "FileProblem", "UniqueKeyLoader", "file_name", "format_article",
           "load_yaml", "parse_article", "write_articles"]
