"""The knowledge base: articles (:mod:`.articles`), categories (:mod:`.categories`), search
(:mod:`.search`), suggestions while answering (:mod:`.suggestions`), articles in and out as
fields (:mod:`.transfer`) and as Markdown files (:mod:`.files`), rendering (:mod:`.render`,
:mod:`.plain`) and inserting into replies (:mod:`.reply`).

Every function takes a Session (reads: ``store.read()``; writes: inside ``store.write(...)``,
which opens SQLite's ``BEGIN IMMEDIATE`` and retries) and returns frozen read models, never ORM
objects. An article is named by its id or its slug wherever ``article`` is asked for.

Who may do what
---------------
Any agent may add categories and add, edit, publish and unpublish articles (the knowledge base
is the team's). Deleting an article is for its author or an admin; renaming or deleting a
category, for an admin (and a category is only deleted when empty). Edits carry the article's
``version``: one made against an older version is refused (:class:`StaleArticle`) rather than
overwriting a teammate's.

Articles
--------
A title (one line, at most 300 characters), a unique slug (lower-case letters, digits, ``-``,
``_``, ``.``; made from the title when not given: ``Reset a VPN token`` -> ``reset-a-vpn-token``),
a Markdown body (untrusted: show it through :func:`deskterm.desk.kb.render.safe_markdown`), an
optional category (a path ``Network/VPN``), tags, a status (``draft`` or ``published``; only
published articles are suggested) and a visibility (``internal``: for agents; ``public``: may be
sent to customers). Bodies are stored without leading blank lines and trailing whitespace.

Counts: ``views`` (:func:`record_view`; :func:`read_article` counts one and returns the article),
``helpful_votes`` (:func:`vote_helpful`), ``insert_count`` (its body inserted into a reply) and
``link_count`` (a link to it inserted, or it was linked to a ticket) (:func:`record_use`,
:func:`link_article`). The counters are plain ``UPDATE ... SET n = n + 1``: run
:func:`record_view` and :func:`read_article` in ``store.write(..., quiet=True)`` so an open
queue is not refreshed for a view.

Search
------
:func:`search_articles` ranks with bm25 / ts_rank (title above body); see
:mod:`deskterm.db.kb_search` for what matches. :func:`suggest_for_ticket` looks for the ticket's
subject and first message: its words are weighed by how many articles hold them (the rarest
count most; words in a tenth of a large knowledge base or more, and common English words, are
left out) and the published articles holding any of the telling ones are ranked.
"""
