"""The failures no check of the desk named, as the one line the CLI's top level prints.

The desk refuses bad values itself, naming the field (:mod:`deskterm.desk.limits`); this is
the net under it, so that whatever still gets through (a value the database refuses, text
that cannot be encoded, a file that cannot be written, input nested too deeply to read) ends
in one line and exit code 1, never a traceback.
"""

from __future__ import annotations

import errno
import os
import sys

from deskterm.db.errors import refused_value


def is_closed_output(exc: BaseException) -> bool:
    """A reader that went away (``| head``): not a failure to report, a quiet exit."""
    return isinstance(exc, OSError) and exc.errno == errno.EPIPE


def describe(exc: BaseException) -> str | None:
    """One line for ``exc``; None when it is not one of these (a bug: let it show)."""
    refused = refused_value(exc)
    if refused is not None:
        return refused
    if isinstance(exc, UnicodeError):
        return "a value is not valid UTF-8 text (it holds bytes that cannot be encoded)"
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read"
    if isinstance(exc, OSError):
        reason = exc.strerror or type(exc).__name__
        if exc.filename is not None:
            return f"{os.fsdecode(exc.filename)}: {reason}"
        return f"cannot write the output: {reason}"
    return None


def silence_output() -> None:
    """After stdout failed (full disk, closed pipe): drop what is still buffered for it, so
    Python's own flush at exit does not fail again with a traceback-like message."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (a test runner's buffer)
        pass
