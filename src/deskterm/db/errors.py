"""Errors the store raises that a user can act on."""


class StoreError(Exception):
    """A problem with the database itself; the message is one line a user can act on."""


class SchemaNotReady(StoreError):
    """The database is empty, behind or ahead of this deskterm."""


class StoreBusy(StoreError):
    """The database stayed locked by other writers after every retry."""


class StoreUnavailable(StoreError):
    """The database cannot be opened or reached."""


class WriteConflict(Exception):
    """A concurrent writer got in between; the whole transaction is retried."""


class QueryStopped(StoreError):
    """A read the database stopped: it ran past its time, or was too large to run."""
