"""Business time: when the desk works, and how many working minutes lie between two instants.

A :class:`BusinessCalendar` is built from a ``business_calendars`` row (or the same values from
an SLA file): an IANA time zone, weekly hours (several spans a day, local wall-clock time), public
holidays of a country (and subdivision) from the ``holidays`` package, and extra days off.

The definition every answer follows: the UTC minute starting at ``m`` is a business minute when
its local wall-clock time (in the calendar's zone) falls inside a span of its local weekday and
its local date is no holiday. So a span across a DST change is as long as the clock says it was
(09:00-18:00 on the day clocks go forward is 9 real hours; 01:00-03:00 that night is 1 hour; the
repeated hour of the autumn night counts twice), and a 30-minute zone (Asia/Kolkata) is exact.

Answers come from a table of the business intervals (UTC, microseconds since the epoch) with the
business time before each, built per local year as far as asked: ``business_minutes`` is two
look-ups, ``add_business_minutes`` one, whatever the span (recomputing a million due times after
a calendar change stays cheap). Pure Python, no database.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from sqlmodel import Session

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The keys of ``hours``, Monday first (``date.weekday()`` order)."""

DEFAULT_CALENDAR = "default"
"""The desk's calendar (``desk_calendar``): rules' "business hours since" count in it."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_MINUTE_US = 60_000_000
_DAY_MINUTES = 24 * 60
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_MAX_YEARS_AHEAD = 30
"""``add_business_minutes`` looks this many years past its start for enough business time."""


class CalendarError(ValueError):
    """A calendar that cannot be built: says which value and why, in one line."""


def _us(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: business time needs aware datetimes")
    return (moment - _EPOCH) // _US


def _moment(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _minute_of_day(text: object, where: str) -> int:
    match = _TIME.match(text) if isinstance(text, str) else None
    if match is None:
        raise CalendarError(f"{where}: {text!r} is not a time HH:MM (00:00 to 24:00)")
    value = int(match.group(1)) * 60 + int(match.group(2))
    if value > _DAY_MINUTES:
        raise CalendarError(f"{where}: {text!r} is past 24:00")
    return value


def parse_hours(hours: Mapping[str, Any]) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Weekday -> spans ``[["09:00", "18:00"], ...]`` as minutes of the day, per weekday (Monday
    first), sorted and merged. Raises :class:`CalendarError` naming the day and span."""
    if not isinstance(hours, Mapping):
        raise CalendarError("hours: expected a table of weekdays (mon = [[\"09:00\", \"18:00\"]])")
    unknown = sorted(set(hours) - set(WEEKDAYS))
    if unknown:
        raise CalendarError(f"hours: unknown weekday {unknown[0]!r} (use {', '.join(WEEKDAYS)})")
    week: list[tuple[tuple[int, int], ...]] = []
    for day in WEEKDAYS:
        spans = hours.get(day, [])
        if not isinstance(spans, Sequence) or isinstance(spans, str):
            raise CalendarError(f"hours.{day}: expected a list of [start, end] spans")
        parsed: list[tuple[int, int]] = []
        for n, span in enumerate(spans, 1):
            where = f"hours.{day} span {n}"
            if not isinstance(span, Sequence) or isinstance(span, str) or len(span) != 2:
                raise CalendarError(f"{where}: expected [\"HH:MM\", \"HH:MM\"], got {span!r}")
            start, end = (_minute_of_day(span[0], where), _minute_of_day(span[1], where))
            if end <= start:
                raise CalendarError(f"{where}: ends ({span[1]}) before it starts ({span[0]})")
            parsed.append((start, end))
        parsed.sort()
        merged: list[tuple[int, int]] = []
        for start, end in parsed:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        week.append(tuple(merged))
    return tuple(week)


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise CalendarError("timezone: expected an IANA zone name (Europe/Berlin)")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"timezone: unknown time zone {name!r}") from None


def _extra_dates(values: Iterable[object]) -> frozenset[date]:
    days: set[date] = set()
    for value in values:
        try:
            days.add(date.fromisoformat(value) if isinstance(value, str) else value
                     if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError:
            raise CalendarError(f"extra_holidays: {value!r} is not a date YYYY-MM-DD") from None
    return frozenset(days)


class BusinessCalendar:
    """Working hours in a zone, less holidays. Aware datetimes in, UTC datetimes out."""

    def __init__(self, *, timezone: str, hours: Mapping[str, Any],
                 holidays_country: str | None = None, holidays_subdivision: str | None = None,
                 extra_holidays: Iterable[object] = (), name: str = "") -> None:
        self.name = name
        self.timezone = timezone
        self.zone = _zone(timezone)
        self.week = parse_hours(hours)
        self.holidays_country = holidays_country or None
        self.holidays_subdivision = holidays_subdivision or None
        self.extra_holidays = _extra_dates(extra_holidays)
        self._public: dict[int, frozenset[date]] = {}
        if self.holidays_subdivision and not self.holidays_country:
            raise CalendarError("holidays_subdivision: needs holidays_country")
        if self.holidays_country:
            self._public_holidays(2026)  # an unknown country or subdivision fails here
        self._first_year = 0
        self._last_year = -1
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._before: list[int] = []
        """Business microseconds before each interval (from the table's first year)."""
        self._through: list[int] = []
        """Business microseconds up to each interval's end."""
        self._covered_from = self._covered_to = 0

    @classmethod
    def from_row(cls, row: Any) -> BusinessCalendar:
        """From a ``business_calendars`` row (or anything with its attributes)."""
        return cls(timezone=row.timezone, hours=row.hours,
                   holidays_country=row.holidays_country,
                   holidays_subdivision=row.holidays_subdivision,
                   extra_holidays=row.extra_holidays, name=row.name)

    # --- holidays ---------------------------------------------------------------------------

    def _public_holidays(self, year: int) -> frozenset[date]:
        days = self._public.get(year)
        if days is None:
            if self.holidays_country is None:
                days = frozenset()
            else:
                import holidays  # a few hundred ms of imports: only for calendars that use it

                try:
                    found = holidays.country_holidays(
                        self.holidays_country, subdiv=self.holidays_subdivision, years=year)
                except NotImplementedError as error:  # how `holidays` says "no such country"
                    raise CalendarError(f"holidays: {error}") from None
                days = frozenset(found.keys())
            self._public[year] = days
        return days

    def is_holiday(self, day: date) -> bool:
        return day in self.extra_holidays or day in self._public_holidays(day.year)

    def is_business_minute(self, moment: datetime) -> bool:
        """Whether the minute starting at ``moment`` counts (the definition, for one minute)."""
        local = moment.astimezone(self.zone)
        if self.is_holiday(local.date()):
            return False
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self.week[local.weekday()])

    # --- the interval table -----------------------------------------------------------------

    def _day_intervals(self, day: date) -> list[tuple[int, int]]:
        spans = self.week[day.weekday()]
        if not spans or self.is_holiday(day):
            return []
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
        following = midnight + timedelta(days=1)  # wall-clock arithmetic: the next local midnight
        offset = midnight.utcoffset()
        if offset == following.utcoffset() and offset == midnight.replace(fold=1).utcoffset():
            base = _us(midnight)
            return [(base + start * _MINUTE_US, base + end * _MINUTE_US) for start, end in spans]
        # A day the clocks change: minute by minute (a few days a year).
        low = min(_us(midnight), _us(midnight.replace(fold=1)))
        high = max(_us(following), _us(following.replace(fold=1)))
        intervals: list[tuple[int, int]] = []
        for minute_us in range(low, high, _MINUTE_US):
            local = _moment(minute_us).astimezone(self.zone)
            if local.date() != day:
                continue
            minute = local.hour * 60 + local.minute
            if any(start <= minute < end for start, end in spans):
                if intervals and intervals[-1][1] == minute_us:
                    intervals[-1] = (intervals[-1][0], minute_us + _MINUTE_US)
                else:
                    intervals.append((minute_us, minute_us + _MINUTE_US))
        return intervals

    def _build(self, first_year: int, last_year: int) -> None:
        starts: list[int] = []
        ends: list[int] = []
        day = date(first_year, 1, 1)
        last = date(last_year, 12, 31)
        while day <= last:
            for start, end in self._day_intervals(day):
                if starts and start <= ends[-1]:  # touching across midnight: one interval
                    ends[-1] = max(ends[-1], end)
                else:
                    starts.append(start)
                    ends.append(end)
            day += timedelta(days=1)
        before: list[int] = []
        through: list[int] = []
        total = 0
        for start, end in zip(starts, ends, strict=True):
            before.append(total)
            total += end - start
            through.append(total)
        self._first_year, self._last_year = first_year, last_year
        self._starts, self._ends, self._before, self._through = starts, ends, before, through
        # Instants whose local date is surely inside the table (a day's margin each side).
        self._covered_from = _us(datetime(first_year, 1, 2, tzinfo=UTC))
        self._covered_to = _us(datetime(last_year, 12, 30, tzinfo=UTC))

    def _cover(self, *moments_us: int) -> None:
        if all(self._covered_from <= us < self._covered_to for us in moments_us):
            return
        years = [_moment(us).year for us in moments_us]
        low, high = min(years) - 1, max(years) + 1  # a local date may be a UTC year off
        if self._last_year < self._first_year:
            self._build(low, high)
        elif low < self._first_year or high > self._last_year:
            self._build(min(low, self._first_year), max(high, self._last_year))

    def _elapsed(self, moment_us: int) -> int:
        """Business microseconds from the table's start to ``moment_us`` (covered)."""
        i = bisect.bisect_right(self._starts, moment_us) - 1
        if i < 0:
            return 0
        end = self._ends[i]  # (not min(): this runs a few million times in a demo seed)
        return self._before[i] + (moment_us if moment_us < end else end) - self._starts[i]

    # --- the contract -----------------------------------------------------------------------

    def business_minutes(self, start: datetime, end: datetime) -> int:
        """Whole business minutes from ``start`` to ``end`` (negative when ``end`` is earlier:
        how far past a due time ``now`` is)."""
        return self.business_minutes_us(_us(start), _us(end))

    def business_minutes_us(self, a: int, b: int) -> int:
        """:meth:`business_minutes` on microseconds since the epoch."""
        if b < a:
            return -self.business_minutes_us(b, a)
        if not (self._covered_from <= a and b < self._covered_to):
            self._cover(a, b)
        return (self._elapsed(b) - self._elapsed(a)) // _MINUTE_US

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        """The earliest instant with ``minutes`` business minutes since ``start`` (``start``
        itself for 0; a negative count goes back: the latest such instant before ``start``)."""
        return _moment(self.add_business_us(_us(start), minutes))

    def add_business_us(self, a: int, minutes: int) -> int:
        """:meth:`add_business_minutes` on microseconds since the epoch (the bulk recompute
        works in these: no datetime made per ticket)."""
        if minutes == 0:
            return a
        if minutes > 0 and self._covered_from <= a < self._covered_to:
            target = self._elapsed(a) + minutes * _MINUTE_US
            if self._through and target <= self._through[-1]:
                j = bisect.bisect_left(self._through, target)
                return self._starts[j] + target - self._before[j]
        self._cover(a)
        target = self._elapsed(a) + minutes * _MINUTE_US
        if minutes < 0:
            while target < 0:  # further back than the table reaches
                self._build(self._first_year - 5, self._last_year)
                target = self._elapsed(a) + minutes * _MINUTE_US
                if self._first_year < 1900:
                    raise CalendarError(f"calendar {self.name!r}: no business hours before that")
            j = bisect.bisect_right(self._before, target) - 1
            return self._starts[j] + target - self._before[j]
        limit = _moment(a).year + _MAX_YEARS_AHEAD
        while not self._through or self._through[-1] < target:
            if self._last_year >= limit:
                raise CalendarError(f"calendar {self.name!r}: not {minutes} business minutes "
                                    f"within {_MAX_YEARS_AHEAD} years")
            self._build(self._first_year, self._last_year + 2)
        j = bisect.bisect_left(self._through, target)
        return self._starts[j] + target - self._before[j]

    def intervals(self, first_us: int, last_us: int, minutes: int) -> list[tuple[int, int, int]]:
        """The interval table as ``(start, end, business time before it)`` (microseconds),
        from before ``first_us`` to far enough past ``last_us`` that adding ``minutes`` to any
        instant between ends inside it (the PostgreSQL recompute looks the answers up in it)."""
        self._cover(first_us, last_us)
        self.add_business_us(last_us, max(minutes, 1))  # (builds the table as far as needed)
        return list(zip(self._starts, self._ends, self._before, strict=True))


def business_minutes(calendar: BusinessCalendar | None, start: datetime, end: datetime) -> int:
    """As :meth:`BusinessCalendar.business_minutes`; ``None`` is around the clock."""
    if calendar is None:
        return ((_us(end) - _us(start)) // _MINUTE_US if end >= start
                else -((_us(start) - _us(end)) // _MINUTE_US))
    return calendar.business_minutes(start, end)


def add_business_minutes(calendar: BusinessCalendar | None, start: datetime,
                         minutes: int) -> datetime:
    """As :meth:`BusinessCalendar.add_business_minutes`; ``None`` is around the clock."""
    if calendar is None:
        return _moment(_us(start) + minutes * _MINUTE_US)
    return calendar.add_business_minutes(start, minutes)


def add_business_us(calendar: BusinessCalendar | None, start_us: int, minutes: int) -> int:
    """:func:`add_business_minutes` on microseconds since the epoch."""
    if calendar is None:
        return start_us + minutes * _MINUTE_US
    return calendar.add_business_us(start_us, minutes)


def to_us(moment: datetime) -> int:
    """An aware datetime as microseconds since the epoch."""
    return _us(moment)


def from_us(us: int) -> datetime:
    """Microseconds since the epoch as an aware UTC datetime."""
    return _moment(us)


def desk_calendar(session: Session) -> BusinessCalendar | None:
    """The desk's default calendar (the one named ``default``), or None: around the clock."""
    from sqlmodel import select

    from deskterm.db.models import BusinessCalendar as CalendarRow

    row = session.exec(select(CalendarRow).where(CalendarRow.name == DEFAULT_CALENDAR)).first()
    return None if row is None else BusinessCalendar.from_row(row)
