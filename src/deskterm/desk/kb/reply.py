"""What an article becomes when an agent puts it into a reply or an internal note.

Into a **public reply** (the requester reads it):

- its text as plain text (:func:`deskterm.desk.kb.plain.plain_reply_text`): no Markdown marks, links
  as ``label (https://url)``;
- a link to its page on the help center, ``Title (https://help.example.com/articles/slug)``,
  when the desk has a help-center address (the ``help_center_url`` setting) and the article is
  public and published: an internal article or a draft has no page a customer can open, so no
  link is offered for it, and without the setting neither is a link (a ``kb:slug`` reference
  means nothing to a customer);
- an **internal** article (written for agents) is not put into a public reply unless the agent
  confirms it after a warning (:attr:`InsertChoices.needs_confirmation`); asked without that
  confirmation, :func:`inserted_text` refuses.

Into an **internal note** (agents only): the text the same way, or the ``KB: Title (kb:slug)``
reference line agents know (:func:`deskterm.desk.kb.articles.link_line`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from deskterm.desk.errors import InvalidInput
from deskterm.desk.kb.plain import plain_reply_text
from deskterm.desk.safe_text import clean_line

if TYPE_CHECKING:
    from deskterm.desk.kb.articles import ArticleRead, ArticleSummary

SLUG_PLACEHOLDER = "{slug}"
NO_HELP_CENTER = ("no help-center address is set (help_center_url in config.toml): "
                  "insert its text instead")


def article_url(help_center: str, slug: str) -> str:
    """The article's page: ``{slug}`` in the setting replaced, else the slug added to its path
    (the setting is checked by :func:`deskterm.config.check_help_center_url`)."""
    safe_slug = quote(slug, safe="")
    if SLUG_PLACEHOLDER in help_center:
        return help_center.replace(SLUG_PLACEHOLDER, safe_slug)
    return f"{help_center.rstrip('/')}/{safe_slug}"


def help_center_line(article: ArticleSummary, help_center: str) -> str:
    """The line a public reply gets for a link: ``Title (https://…/slug)``."""
    return f"{clean_line(article.title)} ({article_url(help_center, article.slug)})"


@dataclass(frozen=True)
class InsertChoices:
    """What ``k`` offers for one article, into a public reply or an internal note."""

    public: bool
    """Into a reply the requester reads (else an internal note)."""
    internal_article: bool
    """The article is internal: into a public reply only after a warning and a confirmation."""
    link: str | None
    """The line ``l`` inserts; None when no link is offered (see :attr:`no_link`)."""
    no_link: str
    """Why no link is offered (shown in its place), ``""`` when one is."""

    @property
    def needs_confirmation(self) -> bool:
        """Its text goes into a public reply only once the agent has confirmed it."""
        return self.public and self.internal_article


def insert_choices(article: ArticleSummary, *, public: bool,
                   help_center: str | None) -> InsertChoices:
    """What may go into the composer for ``article`` (``public``: a reply, else a note)."""
    from deskterm.desk.kb.articles import (
        link_line,  # the store's code: loaded by the caller already
    )

    internal = article.visibility != "public"
    if not public:
        return InsertChoices(public=False, internal_article=internal, link=link_line(article),
                             no_link="")
    if internal:
        reason = "an internal article has no page customers can open"
    elif article.status != "published":
        reason = "a draft has no page on the help center yet"
    elif not help_center:
        reason = NO_HELP_CENTER
    else:
        return InsertChoices(public=True, internal_article=False,
                             link=help_center_line(article, help_center), no_link="")
    return InsertChoices(public=True, internal_article=internal, link=None, no_link=reason)


def inserted_text(article: ArticleRead, how: str, *, public: bool, help_center: str | None,
                  confirmed: bool = False) -> str:
    """What goes into the composer: ``how="link"`` (the link line) or ``"body"`` (the text).
    Raises InvalidInput for what :func:`insert_choices` does not offer, and for an internal
    article's text into a public reply not ``confirmed`` by the agent."""
    choices = insert_choices(article, public=public, help_center=help_center)
    if how == "link":
        if choices.link is None:
            raise InvalidInput(f"no link to “{clean_line(article.title)}”: {choices.no_link}")
        return choices.link
    if how != "body":
        raise InvalidInput(f"how: '{how}' is not link or body")
    if choices.needs_confirmation and not confirmed:
        raise InvalidInput(f"“{clean_line(article.title)}” is an internal article: its text goes "
                           "into a public reply only once you confirm it")
    return plain_reply_text(article.body)


__all__ = ["InsertChoices", "article_url", "help_center_line", "insert_choices",
           "inserted_text"]
