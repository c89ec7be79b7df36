"""Business calendars (desk.sla.calendar) against a minute-by-minute reference: weekends,
holidays (the holidays package and extra dates), several spans a day, DST changes in Berlin and
New York, 30-minute zones (Kolkata, Adelaide) and Lord Howe's 30-minute DST shift."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskterm.desk.sla.calendar import (
    WEEKDAYS,
    BusinessCalendar,
    CalendarError,
    add_business_minutes,
    business_minutes,
)

MINUTE = timedelta(minutes=1)
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Adelaide",
         "Australia/Lord_Howe", "UTC")
# Days around the 2026 clock changes of those zones, and a plain week.
AROUND = (date(2026, 3, 29), date(2026, 3, 8), date(2026, 10, 25), date(2026, 11, 1),
          date(2026, 4, 5), date(2026, 10, 4), date(2026, 12, 24), date(2026, 6, 10))
WORKDAYS = WEEKDAYS[:5]


def reference_minutes(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    count, moment = 0, start
    while moment < end:
        count += calendar.is_business_minute(moment)
        moment += MINUTE
    return count


def reference_add(calendar: BusinessCalendar, start: datetime, minutes: int) -> datetime:
    moment, count = start, 0
    while count < minutes:
        count += calendar.is_business_minute(moment)
        moment += MINUTE
    return moment


def _time(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def spans(draw, *, required: bool) -> list[list[str]]:
    count = draw(st.integers(1 if required else 0, 3))
    cuts = sorted(draw(st.lists(st.integers(0, 24 * 4), min_size=2 * count,
                                max_size=2 * count, unique=True)))
    found = [[_time(cuts[i] * 15), _time(cuts[i + 1] * 15)] for i in range(0, len(cuts), 2)]
    if required and all(a == b for a, b in found):
        found = [["09:00", "17:00"]]
    if required and sum(int(b[:2]) * 60 + int(b[3:]) - int(a[:2]) * 60 - int(a[3:])
                        for a, b in found) < 60:
        found.append(["20:00", "21:00"] if ["20:00", "21:00"] not in found else ["06:00", "07:00"])
    return found


@st.composite
def calendars(draw) -> BusinessCalendar:
    hours = {day: draw(spans(required=day in WORKDAYS)) for day in WEEKDAYS}
    zone = draw(st.sampled_from(ZONES))
    country = draw(st.sampled_from([None, "DE", "US", "IN", "AU"]))
    extra = draw(st.lists(st.dates(date(2026, 3, 1), date(2026, 12, 31)), max_size=3))
    return BusinessCalendar(timezone=zone, hours=hours, holidays_country=country,
                            extra_holidays=[d.isoformat() for d in extra])


@st.composite
def moments(draw) -> datetime:
    day = draw(st.sampled_from(AROUND))
    offset = draw(st.integers(-3 * 24 * 60, 3 * 24 * 60))
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + offset * MINUTE


FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(calendar=calendars(), start=moments(), length=st.integers(-2 * 24 * 60, 4 * 24 * 60))
def test_business_minutes_match_a_minute_by_minute_count(calendar, start, length):
    end = start + length * MINUTE
    expected = (reference_minutes(calendar, start, end) if length >= 0
                else -reference_minutes(calendar, end, start))
    assert calendar.business_minutes(start, end) == expected


@FAST
@given(calendar=calendars(), start=moments(), minutes=st.integers(0, 300))
def test_adding_business_minutes_matches_a_minute_by_minute_walk(calendar, start, minutes):
    due = calendar.add_business_minutes(start, minutes)
    assert due == reference_add(calendar, start, minutes)
    assert due.tzinfo is not None and due.utcoffset() == timedelta(0)
    assert calendar.business_minutes(start, due) == minutes


@FAST
@given(calendar=calendars(), start=moments(), minutes=st.integers(1, 300))
def test_going_back_is_the_latest_instant_that_many_business_minutes_before(
        calendar, start, minutes):
    back = calendar.add_business_minutes(start, -minutes)
    assert calendar.business_minutes(back, start) == minutes
    assert calendar.business_minutes(back + MINUTE, start) < minutes


def _office(zone: str, **extra) -> BusinessCalendar:
    return BusinessCalendar(timezone=zone, hours={day: [["09:00", "18:00"]] for day in WORKDAYS},
                            **extra)


def test_a_day_the_clocks_go_forward_is_as_long_as_the_clock_says():
    berlin = BusinessCalendar(timezone="Europe/Berlin", hours={"sun": [["00:00", "06:00"]]})
    day = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)  # Sunday 29 March, 00:00 CET
    assert berlin.business_minutes(day, day + timedelta(days=1)) == 5 * 60
    # 06:00 CEST is 04:00 UTC: five hours after local midnight.
    assert berlin.add_business_minutes(day, 5 * 60) == datetime(2026, 3, 29, 4, 0, tzinfo=UTC)


def test_the_repeated_hour_of_the_autumn_night_counts_twice():
    new_york = BusinessCalendar(timezone="America/New_York", hours={"sun": [["00:00", "03:00"]]})
    day = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # Sunday 1 November, 00:00 EDT
    assert new_york.business_minutes(day, day + timedelta(days=1)) == 4 * 60


def test_half_hour_zones_start_their_day_on_the_half_hour():
    kolkata = _office("Asia/Kolkata")
    monday = datetime(2026, 6, 8, 0, 0, tzinfo=UTC)
    assert kolkata.add_business_minutes(monday, 1) == datetime(2026, 6, 8, 3, 31, tzinfo=UTC)
    adelaide = _office("Australia/Adelaide")  # ACST +9:30 in June: 09:00 is 23:30 UTC
    sunday_eleven = datetime(2026, 6, 7, 23, 0, tzinfo=UTC)
    assert adelaide.add_business_minutes(sunday_eleven, 60) == datetime(2026, 6, 8, 0, 30,
                                                                        tzinfo=UTC)


def test_weekends_public_and_extra_holidays_are_skipped():
    munich = _office("Europe/Berlin", holidays_country="DE", holidays_subdivision="BY",
                     extra_holidays=["2026-12-24"])
    wednesday_five = datetime(2026, 12, 23, 16, 0, tzinfo=UTC)  # 17:00 local
    # One hour left on the 23rd; the 24th (extra), 25th/26th (public), 27th (Sunday) are off.
    assert munich.add_business_minutes(wednesday_five, 120) == datetime(
        2026, 12, 28, 9, 0, tzinfo=UTC)
    assert munich.is_holiday(date(2026, 1, 6))  # Epiphany: Bavaria's, not all of Germany's
    assert not _office("Europe/Berlin", holidays_country="DE").is_holiday(date(2026, 1, 6))


def test_several_spans_a_day_leave_the_lunch_break_out():
    split = BusinessCalendar(timezone="UTC", hours={
        "mon": [["09:00", "12:00"], ["13:00", "17:00"]]})
    monday = datetime(2026, 6, 8, 11, 0, tzinfo=UTC)
    assert split.add_business_minutes(monday, 90) == datetime(2026, 6, 8, 13, 30, tzinfo=UTC)
    assert split.business_minutes(monday, datetime(2026, 6, 8, 14, 0, tzinfo=UTC)) == 120


def test_an_instant_at_the_end_of_the_hours_is_the_earliest_due_time():
    office = _office("UTC")
    friday = datetime(2026, 6, 12, 17, 0, tzinfo=UTC)
    assert office.add_business_minutes(friday, 60) == datetime(2026, 6, 12, 18, 0, tzinfo=UTC)
    assert office.add_business_minutes(friday, 61) == datetime(2026, 6, 15, 9, 1, tzinfo=UTC)


def test_around_the_clock_is_plain_arithmetic():
    start = datetime(2026, 6, 12, 17, 0, 30, tzinfo=UTC)
    assert add_business_minutes(None, start, 90) == start + timedelta(minutes=90)
    assert business_minutes(None, start, start + timedelta(minutes=90)) == 90
    assert business_minutes(None, start + timedelta(minutes=90), start) == -90


def test_spans_far_apart_in_time_answer_quickly():
    office = _office("Europe/Berlin", holidays_country="DE")
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    due = office.add_business_minutes(start, 9 * 60 * 250 * 3)  # about three working years
    assert 2028 <= due.year <= 2029
    assert office.business_minutes(start, due) == 9 * 60 * 250 * 3


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"timezone": "Mars/Olympus", "hours": {}}, "unknown time zone"),
    ({"timezone": "UTC", "hours": {"mon": [["18:00", "09:00"]]}}, "ends (09:00) before"),
    ({"timezone": "UTC", "hours": {"mon": [["9", "10:00"]]}}, "is not a time HH:MM"),
    ({"timezone": "UTC", "hours": {"monday": []}}, "unknown weekday"),
    ({"timezone": "UTC", "hours": {}, "holidays_country": "XX"}, "holidays"),
    ({"timezone": "UTC", "hours": {}, "extra_holidays": ["31/12/2026"]}, "not a date"),
])
def test_a_calendar_that_cannot_be_built_says_which_value(kwargs, message):
    with pytest.raises(CalendarError, match=message.replace("(", r"\(").replace(")", r"\)")):
        BusinessCalendar(**kwargs)


def test_a_calendar_without_hours_cannot_reach_a_due_time():
    with pytest.raises(CalendarError, match="not 60 business minutes"):
        BusinessCalendar(timezone="UTC", hours={}).add_business_minutes(
            datetime(2026, 1, 1, tzinfo=UTC), 60)
