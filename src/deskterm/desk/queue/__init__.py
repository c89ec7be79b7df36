"""The queue: built-in views and what the console shows first, with no store in sight
(:mod:`.builtin`), saved views (:mod:`.views`), and counts and windows of rows for a virtual table
(:mod:`.windows`).

Kept light: the console imports :mod:`.builtin` before the store is loaded.
"""
