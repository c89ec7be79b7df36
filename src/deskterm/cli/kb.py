"""``deskterm kb``: the knowledge base from the command line, and articles as files.

A file is Markdown with YAML front matter (see :mod:`deskterm.desk.kb.files` and the README).
``kb import DIR`` reads every ``*.md`` under DIR, checks them all, and saves them in one
transaction: a bad file is reported with its path and line and nothing is saved, unless
``--skip-invalid`` (then the bad ones are reported and the rest saved). ``kb export DIR`` writes
every article or none (:func:`deskterm.desk.kb.files.write_articles`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli import lazy
from deskterm.cli.context import ctx_obj
from deskterm.cli.output import (
    echo,
    echo_text,
    error,
    print_json,
    print_table,
    with_progress,
)
from deskterm.desk.errors import InvalidInput
from deskterm.desk.limits import MAX_READ
from deskterm.desk.safe_text import clean_line

if TYPE_CHECKING:  # named in annotations only: the modules load when a command uses them
    from deskterm.desk.kb.articles import ArticleFields
    from deskterm.desk.kb.transfer import ImportResult

# The desk's modules bring the store with them: loaded when a command first uses them.
kb_transfer = lazy.module("deskterm.desk.kb.transfer")
kb_files = lazy.module("deskterm.desk.kb.files")

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                  help="Knowledge base: search, list and show articles; import and export files.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
DirArg = Annotated[Path, typer.Argument(metavar="DIR", help="A directory of article files.")]


def _shown(path: Path) -> str:
    return clean_line(str(path))


def _markdown_files(folder: Path) -> list[Path]:
    if not folder.exists():
        raise InvalidInput(f"{_shown(folder)}: no such directory")
    if not folder.is_dir():
        raise InvalidInput(f"{_shown(folder)}: not a directory")
    try:
        return sorted(path for path in folder.rglob("*.md") if path.is_file())
    except OSError as exc:
        raise InvalidInput(f"{_shown(folder)}: cannot be read ({exc.strerror or exc})") from None


def _read(path: Path) -> ArticleFields:
    """The article in one file; a problem is one line naming the file (and the line)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_READ + 1)
        if len(data) > MAX_READ:
            raise InvalidInput(f"{_shown(path)}: larger than {MAX_READ:,} bytes, not an "
                               "article file")
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{_shown(path)}: not UTF-8 text") from None
    except OSError as exc:
        raise InvalidInput(f"{_shown(path)}: cannot be read ({exc.strerror or exc})") from None
    try:
        return kb_files.parse_article(text, file_slug=path.stem)
    except InvalidInput as exc:
        raise InvalidInput(f"{_shown(path)}, {exc}" if str(exc).startswith("line ")
                           else f"{_shown(path)}: {exc}") from None


@app.command("import")
def import_(
    ctx: typer.Context,
    folder: DirArg,
    skip_invalid: Annotated[bool, typer.Option(
        "--skip-invalid", help="Save the good files and report the bad ones.")] = False,
    rejects: Annotated[Path | None, typer.Option(
        "--rejects", metavar="FILE", help="With --skip-invalid: also write the reasons here.")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Create or update articles (by slug) from the Markdown files under DIR."""
    files = _markdown_files(folder)
    if not files:
        raise InvalidInput(f"{_shown(folder)}: no article files (*.md)")
    articles: list[ArticleFields] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path in files:
        try:
            fields = _read(path)
        except InvalidInput as exc:
            problems.append(str(exc))
            continue
        if fields.slug in seen:
            problems.append(f"{_shown(path)}: slug '{fields.slug}' is also the slug of "
                            f"{_shown(seen[fields.slug])}")
            continue
        seen[fields.slug] = path
        articles.append(fields)
    if problems and not skip_invalid:
        for line in problems:
            error(line)
        error(f"nothing was imported ({len(problems)} bad file(s) of {len(files)}; fix them, "
              "or use --skip-invalid)")
        raise typer.Exit(1)
    if rejects is not None:  # first: an unwritable path stops the import before anything
        try:
            rejects.write_text("".join(f"{line}\n" for line in problems), encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"--rejects {_shown(rejects)}: cannot be written "
                               f"({exc.strerror or exc}); nothing was imported") from None
    for line in problems:
        error(f"skipped {line}")
    desk = ctx_obj(ctx).desk()
    result: ImportResult = with_progress(
        len(articles), "importing articles",
        lambda progress: desk.import_articles(articles, progress=progress))
    if json:
        print_json({"created": result.created, "updated": result.updated,
                    "unchanged": result.unchanged, "skipped": problems})
        return
    skipped = f", {len(problems)} skipped" if problems else ""
    echo(f"imported {_shown(folder)}: {len(result.created)} created, "
               f"{len(result.updated)} updated, {len(result.unchanged)} unchanged{skipped}")


@app.command()
def export(ctx: typer.Context, folder: DirArg) -> None:
    """Write every article to DIR as SLUG.md (the format `kb import` reads), all or nothing;
    a file of the same name is replaced (a symbolic link too, never written through)."""
    articles = ctx_obj(ctx).desk().export_articles()
    with_progress(len(articles), "exporting articles",
                   lambda progress: kb_files.write_articles(folder, articles, progress))
    echo(f"exported {len(articles)} article(s) to {_shown(folder)}")


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(metavar="QUERY", help='Words and "phrases".')],
    limit: Annotated[int, typer.Option("--limit", min=1, max=500,
                                       help="At most this many.")] = 20,
    status: Annotated[str | None, typer.Option("--status",
                                               help="draft or published.")] = None,
    json: JsonOpt = False,
) -> None:
    """Articles holding every word of QUERY, best match first."""
    hits = ctx_obj(ctx).desk().search_articles(query, limit=limit, status=status,
                                              record_miss=True)
    if json:
        print_json([{"slug": h.article.slug, "title": h.article.title,
                     "category": h.article.category, "status": h.article.status,
                     "visibility": h.article.visibility, "score": h.score,
                     "snippet": h.snippet} for h in hits])
        return
    print_table(["slug", "title", "category", "status", "snippet"],
                [[h.article.slug, h.title, h.article.category or "-", h.article.status,
                  h.snippet] for h in hits],
                give_way=["snippet", "title", "category"])


@app.command("list")
def list_(
    ctx: typer.Context,
    category: Annotated[str | None, typer.Option(
        "--category", metavar="PATH", help="Only this category (and those under it).")] = None,
    json: JsonOpt = False,
) -> None:
    """List the articles by title."""
    found = ctx_obj(ctx).desk().list_articles(category=category or None, subcategories=True,
                                              limit=1_000_000)
    if json:
        print_json(found)
        return
    print_table(["slug", "title", "category", "status", "visibility", "views", "used"],
                [[a.slug, a.title, a.category or "-", a.status, a.visibility, a.views,
                  a.insert_count + a.link_count] for a in found],
                give_way=["title", "category"])


@app.command()
def show(ctx: typer.Context,
         slug: Annotated[str, typer.Argument(metavar="SLUG", help="The article's slug.")],
         json: JsonOpt = False) -> None:
    """Show an article in the file format (or as JSON)."""
    article = ctx_obj(ctx).desk().get_article(slug)
    if json:
        print_json(article)
        return
    echo_text(kb_files.format_article(kb_transfer.article_fields(article)), nl=False)
