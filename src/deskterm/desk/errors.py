"""Errors of the help desk's rules. Each message is one line that tells a user what to do."""


class DeskError(Exception):
    """A request the desk refuses; the message names where and what."""


class NotFound(DeskError):
    """A ticket, agent, group or customer that does not exist."""


class InvalidInput(DeskError):
    """A value the desk does not accept (a bad status, an empty subject ...)."""


class PermissionDenied(DeskError):
    """The acting agent may not do this."""


class IdentityError(DeskError):
    """The person running deskterm is not an agent of this desk (or not an active one)."""


class TransitionRefused(DeskError):
    """A status change the ticket's lifecycle does not allow."""


class StaleTicket(DeskError):
    """A change was made against an older version of the ticket than the stored one."""

    def __init__(self, message: str, *, number: int, current_version: int) -> None:
        super().__init__(message)
        self.number = number
        self.current_version = current_version
