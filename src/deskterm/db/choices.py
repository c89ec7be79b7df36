"""The names a ticket's fields take, without the tables: the CLI's help names them before (or
without) loading SQLAlchemy."""

# Status, type and channel are stored as their names; priority as a rank so it sorts and compares.
STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_TYPES = ("question", "incident", "problem", "task")
CHANNELS = ("email", "web", "phone", "chat", "cli", "import", "api")
ROLES = ("admin", "agent")
