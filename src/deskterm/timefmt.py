"""How times read in lists: short and relative ("4m", "3h", "2d", "Nov 3"), absolute in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


def relative(moment: datetime, now: datetime) -> str:
    """A compact age: ``now``, ``4m``, ``3h``, ``2d``, ``Nov 3``, ``2025-11-03``."""
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86_400:
        return f"{int(seconds // 3600)}h"
    if seconds < 7 * 86_400:
        return f"{int(seconds // 86_400)}d"
    local = moment.astimezone(UTC)
    if local.year == now.year:
        return f"{local:%b} {local.day}"
    return f"{local:%Y-%m-%d}"


def absolute(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def ago(moment: datetime, now: datetime) -> str:
    """``just now``, ``4m ago``, ``2d ago``, or the date for older moments (``on Nov 3``)."""
    short = relative(moment, now)
    if short == "now":
        return "just now"
    if short[-1] in "mhd" and short[:-1].isdigit():
        return f"{short} ago"
    return f"on {short}"


def next_change(moment: datetime, now: datetime) -> float:
    """Seconds from ``now`` until :func:`relative` (and :func:`ago`) of ``moment`` reads
    differently: a screen showing ages re-draws them then, not on a fixed beat ("just now"
    turns "1m ago" on time)."""
    seconds = (now - moment).total_seconds()
    if seconds < 60:  # "now", also for a moment a little ahead of this clock
        return 60 - seconds
    for limit, step in ((3600, 60), (86_400, 3600), (7 * 86_400, 86_400)):
        if seconds < limit:
            return step - seconds % step
    # A date: it reads differently only when the year turns; look again tomorrow.
    return 86_400 - now.astimezone(UTC).timestamp() % 86_400
