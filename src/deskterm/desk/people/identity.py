"""Who is running deskterm, told without the store (the console asks before anything is open)."""

from __future__ import annotations

import getpass
import os

from deskterm.desk.errors import IdentityError


def os_username() -> str:
    """The operating-system user running this process.

    On Unix the name comes from the process's user id, not from $USER or $LOGNAME, so an
    agent cannot become another by setting a variable; ``--as`` is the admins' way to do that.
    """
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        pass
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        raise IdentityError("cannot tell which user is running deskterm") from None
