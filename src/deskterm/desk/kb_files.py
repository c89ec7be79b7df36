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
refused. :func:`format_article` writes the keys in that order, the slug only when the file name
does not say it, so export -> import -> export gives the same bytes.

Errors are :class:`FileProblem`: the line (from 1) and what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import yaml

from deskterm.desk.errors import InvalidInput
from deskterm.desk.kb import ArticleFields, check_fields
from deskterm.desk.safe_text import clean_line

KEYS = ("title", "slug", "category", "tags", "status", "visibility")
FENCE = "---"


class FileProblem(InvalidInput):
    """What is wrong with an article file, and on which line (from 1)."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


@dataclass(frozen=True)
class _FrontMatter:
    data: dict
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


def _front_matter(text: str) -> _FrontMatter:
    front, body, first = _split(text)
    try:
        node = yaml.compose(front, Loader=yaml.SafeLoader)
        data = yaml.safe_load(front)
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
    if fields.category:
        lines.append(f"category: {_scalar(fields.category)}")
    if fields.tags:
        lines.append("tags: [" + ", ".join(_scalar(tag, in_list=True) for tag in fields.tags)
                     + "]")
    lines += [f"status: {fields.status}", f"visibility: {fields.visibility}", FENCE, ""]
    text = "\n".join(lines) + "\n"
    return text + (fields.body + "\n" if fields.body else "")


def file_name(fields: ArticleFields) -> str:
    return f"{fields.slug}.md"


__all__ = ["KEYS", "FileProblem", "file_name", "format_article", "parse_article"]
