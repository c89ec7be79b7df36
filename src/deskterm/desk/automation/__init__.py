"""The desk working by itself: rules (:mod:`.rulebook` reads and checks them, :mod:`.conditions`
matches them, :mod:`.actions` makes their changes, :mod:`.firing` runs them after a ticket is
created, updated or answered by its customer) and automatic assignment (:mod:`.assignment`).

Every change a rule or an assignment strategy makes goes through the ticket-change kernel
(:class:`~deskterm.desk.tickets.change.Change` with ``via="rule:NAME"``), inside the transaction
of the change that triggered it: the same lifecycle, version bump and audit events as an agent's.

The timers (:mod:`.runner`: SLA escalation, pending reminders, auto-close of solved tickets)
run under a lease (:mod:`.lease`) so exactly one runner acts at a time.
"""
