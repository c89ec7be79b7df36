"""Filters: the filter language (:mod:`.language`: parsed without the store, then resolved
against it), what a filter is as values (:mod:`.ticket_filter`) and how it becomes SQL
(:mod:`.sql`: conditions, orders, keyset cursors)."""
