"""Time arithmetic in SQL that both stores understand: the seconds between two timestamps and
the UTC day a timestamp falls on.

SQLite stores a timestamp as ``YYYY-MM-DD HH:MM:SS.ffffff`` text in UTC (see
:mod:`deskterm.db.types`), PostgreSQL as ``timestamptz``; each construct compiles to what its
dialect computes fastest (``julianday`` and ``substr`` on SQLite, ``extract(epoch ...)`` and
``to_char`` on PostgreSQL), so the reports and the filter language's ``frt:>4h`` aggregate in
the database, never in Python.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class seconds_between(FunctionElement[float]):
    """``seconds_between(later, earlier)``: ``later - earlier`` in seconds (NULL if either is)."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between)
def _seconds_default(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (f"EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - "
            f"{compiler.process(earlier, **kw)}))")


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    # Rounded to the millisecond: julianday's doubles make a whole hour 3599.9999... seconds,
    # and frt:>=60m would miss it.
    return (f"round((julianday({compiler.process(later, **kw)}) - "
            f"julianday({compiler.process(earlier, **kw)})) * 86400.0, 3)")


class utc_day(FunctionElement[str]):
    """``utc_day(ts)``: the UTC date of a timestamp as ``YYYY-MM-DD`` text."""

    type = String()
    inherit_cache = True
    name = "utc_day"


@compiles(utc_day)
def _day_default(element: utc_day, compiler: Any, **kw: Any) -> str:
    (stamp,) = list(element.clauses)
    return f"to_char({compiler.process(stamp, **kw)} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@compiles(utc_day, "sqlite")
def _day_sqlite(element: utc_day, compiler: Any, **kw: Any) -> str:
    (stamp,) = list(element.clauses)
    return f"substr({compiler.process(stamp, **kw)}, 1, 10)"


class floor_to(FunctionElement[float]):
    """``floor_to(seconds, step)``: ``seconds`` rounded down to a multiple of ``step`` (an int)."""

    type = Float()
    inherit_cache = True
    name = "floor_to"


@compiles(floor_to)
def _floor_default(element: floor_to, compiler: Any, **kw: Any) -> str:
    value, step = list(element.clauses)
    step_sql = compiler.process(step, **kw)
    return f"(floor({compiler.process(value, **kw)} / {step_sql}) * {step_sql})"


@compiles(floor_to, "sqlite")
def _floor_sqlite(element: floor_to, compiler: Any, **kw: Any) -> str:
    # CAST truncates toward zero: the floor for the times taken, which are never negative.
    value, step = list(element.clauses)
    step_sql = compiler.process(step, **kw)
    return f"(CAST({compiler.process(value, **kw)} / {step_sql} AS INTEGER) * {step_sql})"
