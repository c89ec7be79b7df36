"""The audit trail of the desk's setup: who changed which rule, macro, SLA policy or calendar,
article or category, agent, group, automation or mail setting, from what, to what, when
(:mod:`.log` writes it, :mod:`.snapshots` says what each kind's fields are, :mod:`.trail`
reads it back with the tickets' events). Ticket changes keep their own trail (``events``,
written by the change kernel)."""
