"""Hide the password in a database URL, and in any message that may hold one.

A URL is masked without being parsed, because the URLs that most need it are the ones that do
not parse: ``postgresql//postgres:S3cret@host`` (a missing colon) or ``postgresql://u:p@ss@host``
(an unencoded ``@``, which a parser splits at the wrong place, leaving half the password in the
host name). So the rule is textual:

- after the scheme, everything up to the *last* ``@`` is credentials: it is shown as
  ``user:***`` when the URL has a well-formed ``scheme://user:`` start, else as ``***`` whole;
- with no ``@``, a non-numeric "port" (``postgresql://user:S3cret/db``: a password whose ``@`` was
  forgotten) is hidden;
- every ``password=``/``pwd=`` value (a query parameter or a libpq keyword) is hidden.

A SQLite URL with three slashes (``sqlite:///path``) names a file: its path is shown as written,
unless a ``:`` before an ``@`` makes it look like credentials.

Standard library only: the console's start-up imports this.
"""

from __future__ import annotations

import re

HIDDEN = "***"

_START = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*(?::/*|/+)")
_PASSWORD_PARAMETER = re.compile(
    r"(?i)\b((?:ssl)?(?:password|passwd|pwd)\s*=\s*)('[^']*'?|\"[^\"]*\"?|[^&\s;,)]*)"
)
_URL_IN_TEXT = re.compile(r"(?<![A-Za-z0-9+.\-])([0-9+.\-]*+)([A-Za-z][A-Za-z0-9+.\-]*+:?//"
                          r"[^\s'\"<>]+)")
"""A URL-like part of a message: from the start of a run of scheme characters (so each run is
tried once, and a message of 50,000 letters takes no longer than reading it; trying each letter
as a start took seconds), through ``//``, to the next space or quote."""
_DIGITS = re.compile(r"\d*")


def _mask_authority_without_at(rest: str) -> str:
    """``host:port/...`` with a port that is not a number: the "port" is hidden."""
    end = len(rest)
    for stop in "/?#":
        found = rest.find(stop)
        if found != -1:
            end = min(end, found)
    authority = rest[:end]
    host_end = authority.find("]") + 1 if authority.startswith("[") else 0
    colon = authority.find(":", host_end)
    if colon == -1 or _DIGITS.fullmatch(authority[colon + 1:]):
        return rest
    return authority[: colon + 1] + HIDDEN + rest[end:]


def _hide_value(match: re.Match[str]) -> str:
    if match.group(2).startswith(HIDDEN):  # masked already: keep what follows (": ...")
        return match.group(0)
    return match.group(1) + HIDDEN


def mask_url(url: str) -> str:
    """``url`` with its credentials hidden, whether or not it is a valid URL."""
    start = _START.match(url)
    prefix = start.group(0) if start else ""
    rest = url[len(prefix):]
    slashes = prefix.count("/")
    authority_follows = prefix.endswith("://") and slashes == 2
    at = rest.rfind("@")
    names_a_file = prefix.lower().startswith("sqlite") and slashes >= 3
    if names_a_file and ":" not in rest[:at]:
        at = -1  # a file's path, such as ``sqlite:////srv/desk@team.sqlite3``
    if at != -1:
        credentials = rest[:at]
        user, colon, _password = credentials.partition(":")
        shown = f"{user}:{HIDDEN}" if authority_follows and colon and "/" not in user else HIDDEN
        if authority_follows and not colon and "@" not in credentials:
            shown = credentials  # a user name alone (``postgres@host``) is not a secret
        rest = shown + rest[at:]
    elif (prefix.endswith("//") or prefix.endswith(":")) and not names_a_file:
        rest = _mask_authority_without_at(rest)  # not ``sqlite:///:memory:``, a path
    return _PASSWORD_PARAMETER.sub(_hide_value, prefix + rest)


def mask_secrets(text: str) -> str:
    """``text`` with every URL-like part's credentials and every ``password=`` value hidden
    (for messages that may quote a URL, such as a driver's error)."""
    masked = _URL_IN_TEXT.sub(lambda m: m.group(1) + mask_url(m.group(2)), text)
    return _PASSWORD_PARAMETER.sub(_hide_value, masked)
