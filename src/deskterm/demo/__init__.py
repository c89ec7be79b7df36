"""The demo desk generator: a client of the domain (:mod:`deskterm.desk`), never part of it.

It fills an empty desk with people, tickets and articles (``deskterm demo``); a big seed runs half
of its work in a helper process (:mod:`.helper`, :mod:`.helper_process`). The help desk's rules
never import it.
"""
