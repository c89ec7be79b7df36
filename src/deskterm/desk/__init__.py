"""The help desk's rules, in capability packages; plain Python over a Session, no Textual.

- :mod:`.tickets`: the lifecycle, the change kernel every ticket change goes through
  (:mod:`.tickets.change`), one ticket's actions, reads, links and merges, bulk actions, macros,
  drafts and presence.
- :mod:`.filter`: the filter language and how a filter becomes SQL.
- :mod:`.queue`: built-in and saved views, counts and windows of rows for the console's table.
- :mod:`.kb`: the knowledge base: articles, categories, search, suggestions, files.
- :mod:`.people`: agents, groups, customers, organizations, identity, permissions.
- :mod:`.transfer`: tickets in and out as files (CSV, JSONL). An import files history (its
  own dates, statuses and audit trail) in bulk through :mod:`deskterm.db.ticket_import`, as
  the demo's load does, not ticket by ticket through the change kernel.

Shared by all, at this level: :mod:`.errors`, :mod:`.safe_text`, :mod:`.limits`, :mod:`.reads`
(the read models), :mod:`.service` (the console's :class:`~.service.Desk` handle),
:mod:`.setup`, :mod:`.opening` (the console's first view) and :mod:`.plain_reads` (the CLI's
``ticket show`` and ``ticket list``), these two read in plain SQL without the store. Wave 2
adds packages by the same pattern (``mail``, ``automation``, ``sla``, ``reports``), each
changing tickets only through :mod:`.tickets.change`. The demo generator is a client of the
domain: :mod:`deskterm.demo`.

A package's ``__init__`` holds only its docstring: the console and ``deskterm --help`` import
parts of the domain (:mod:`.queue.builtin`, :mod:`.tickets.summary`, :mod:`.people.identity`)
before, or without, the store.
"""
