"""Tickets: the lifecycle (:mod:`.lifecycle`), the change kernel every change goes through
(:mod:`.change`, with :mod:`.checks`), one ticket's actions (:mod:`.ticket`), reads and lists
(:mod:`.reads`, :mod:`.summary`, :mod:`.thread`), links and merges (:mod:`.links`, :mod:`.ops`,
:mod:`.candidates`), bulk actions (:mod:`.bulk`), macros (:mod:`.macros`), drafts and presence
(:mod:`.drafts`, :mod:`.draft_saving`, :mod:`.presence`) and trimming quoted replies
(:mod:`.reply_trim`).

Kept light: the console imports :mod:`.summary` before the store is loaded.
"""
