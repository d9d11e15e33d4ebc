"""Tests for the working calendar (server/working_time.py)."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.definitions.model import Calendar, Holiday, Interval, Text
from server.working_time import WorkingCalendar

RIYADH = ZoneInfo("Asia/Riyadh")
LONDON = ZoneInfo("Europe/London")
SUN_THU = ("sunday", "monday", "tuesday", "wednesday", "thursday")
MON_FRI = ("monday", "tuesday", "wednesday", "thursday", "friday")


def holiday(day: str) -> Holiday:
    return Holiday(date=day, name=Text(ar="عطلة", en="Holiday"))


def calendar(
    week: dict[str, tuple[Interval, ...]], timezone: str = "Asia/Riyadh", holidays: tuple[str, ...] = ()
) -> WorkingCalendar:
    definition = Calendar(timezone=timezone, week=week, holidays=tuple(holiday(d) for d in holidays))
    return WorkingCalendar.from_definition(definition)


def days(names: tuple[str, ...], *spans: tuple[str, str]) -> dict[str, tuple[Interval, ...]]:
    return {name: tuple(Interval(start=s, end=e) for s, e in spans) for name in names}


def riyadh(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=RIYADH)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=LONDON)


SHIPPED = calendar(days(SUN_THU, ("07:30", "14:30")))
WITH_HOLIDAY = calendar(days(SUN_THU, ("07:30", "14:30")), holidays=("2026-01-05",))  # a Monday
# Weekdays 09:00–17:00 in London, plus a Sunday night shift spanning both DST changes (01:00 UTC).
LONDON_CAL = calendar(
    {
        **days(MON_FRI, ("09:00", "12:30"), ("13:30", "17:00")),
        "sunday": (Interval(start="00:00", end="04:00"),),
    },
    timezone="Europe/London",
    holidays=("2026-12-25", "2026-12-28", "2027-01-01"),
)

# 2026-01-04 is a Sunday.


@pytest.mark.parametrize(
    ("at", "working"),
    [
        (riyadh(2026, 1, 4, 7, 30), True),
        (riyadh(2026, 1, 4, 7, 29, 59), False),
        (riyadh(2026, 1, 4, 14, 29, 59), True),
        (riyadh(2026, 1, 4, 14, 30), False),
        (riyadh(2026, 1, 4, 20, 0), False),
        (riyadh(2026, 1, 8, 10, 0), True),  # Thursday
        (riyadh(2026, 1, 9, 10, 0), False),  # Friday
        (riyadh(2026, 1, 10, 10, 0), False),  # Saturday
        (datetime(2026, 1, 4, 4, 30, tzinfo=UTC), True),  # 07:30 in Riyadh
        (datetime(2026, 1, 4, 11, 30, tzinfo=UTC), False),  # 14:30 in Riyadh
    ],
)
def test_is_working_time(at: datetime, working: bool) -> None:
    assert SHIPPED.is_working_time(at) is working


def test_holiday_is_a_whole_day_off() -> None:
    assert SHIPPED.is_working_time(riyadh(2026, 1, 5, 10))
    assert not WITH_HOLIDAY.is_working_time(riyadh(2026, 1, 5, 10))
    assert WITH_HOLIDAY.next_working_time(riyadh(2026, 1, 4, 15)) == riyadh(2026, 1, 6, 7, 30)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (riyadh(2026, 1, 4, 7, 30), 7, riyadh(2026, 1, 4, 14, 30)),  # one full day
        (riyadh(2026, 1, 4, 7, 30), 7.5, riyadh(2026, 1, 5, 8, 0)),
        (riyadh(2026, 1, 4, 14, 0), 1, riyadh(2026, 1, 5, 8, 0)),  # across an evening
        (riyadh(2026, 1, 8, 14, 0), 1, riyadh(2026, 1, 11, 8, 0)),  # across a weekend
        (riyadh(2026, 1, 9, 10, 0), 2, riyadh(2026, 1, 11, 9, 30)),  # starting on a Friday
        (riyadh(2026, 1, 4, 5, 0), 1, riyadh(2026, 1, 4, 8, 30)),  # starting before opening
        (riyadh(2026, 1, 4, 7, 30), 0.25, riyadh(2026, 1, 4, 7, 45)),
        (riyadh(2026, 1, 4, 7, 30), 1 / 60, riyadh(2026, 1, 4, 7, 31)),
        (riyadh(2026, 1, 4, 7, 30), 35, riyadh(2026, 1, 8, 14, 30)),  # one full week
        (riyadh(2026, 1, 4, 7, 30), 36, riyadh(2026, 1, 11, 8, 30)),
    ],
)
def test_add_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    result = SHIPPED.add_working_hours(start, hours)
    assert result == expected
    assert result.tzinfo is RIYADH


def test_add_working_hours_across_a_holiday() -> None:
    assert WITH_HOLIDAY.add_working_hours(riyadh(2026, 1, 4, 14), 1) == riyadh(2026, 1, 6, 8)
    assert WITH_HOLIDAY.add_working_hours(riyadh(2026, 1, 5, 9), 1) == riyadh(2026, 1, 6, 8, 30)


def test_zero_hours_returns_start() -> None:
    start = datetime(2026, 1, 9, 20, tzinfo=UTC)  # outside working time
    assert SHIPPED.add_working_hours(start, 0) == start


def test_negative_or_non_finite_hours_rejected() -> None:
    for hours in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="hours"):
            SHIPPED.add_working_hours(riyadh(2026, 1, 4, 8), hours)


def test_ten_thousand_hours_is_fast_and_exact() -> None:
    start = riyadh(2026, 1, 4, 7, 30)
    began = time.perf_counter()
    result = SHIPPED.add_working_hours(start, 10_000)  # 285 weeks of 35 h, then 25 h
    elapsed = time.perf_counter() - began
    assert result == start + timedelta(weeks=285, days=3, hours=4)  # the Wednesday, 11:30
    assert elapsed < 0.25
    holiday_in_span = calendar(days(SUN_THU, ("07:30", "14:30")), holidays=("2029-06-06", "2040-01-01"))
    assert holiday_in_span.add_working_hours(start, 10_000) == start + timedelta(weeks=285, days=4, hours=4)
    assert SHIPPED.working_hours_between(start, result) == pytest.approx(10_000)


def test_working_hours_between() -> None:
    assert SHIPPED.working_hours_between(riyadh(2026, 1, 4), riyadh(2026, 1, 11)) == 35
    assert SHIPPED.working_hours_between(riyadh(2026, 1, 4, 10), riyadh(2026, 1, 4, 11, 15)) == 1.25
    assert SHIPPED.working_hours_between(riyadh(2026, 1, 8, 14), riyadh(2026, 1, 11, 8)) == 1
    assert WITH_HOLIDAY.working_hours_between(riyadh(2026, 1, 4), riyadh(2026, 1, 11)) == 28
    assert SHIPPED.working_hours_between(riyadh(2026, 1, 5), riyadh(2026, 1, 4)) == 0
    assert SHIPPED.working_hours_between(riyadh(2026, 1, 5), riyadh(2026, 1, 5)) == 0


def test_next_working_time() -> None:
    inside = riyadh(2026, 1, 4, 9, 15)
    assert SHIPPED.next_working_time(inside) == inside
    assert SHIPPED.next_working_time(riyadh(2026, 1, 8, 14, 30)) == riyadh(2026, 1, 11, 7, 30)
    assert SHIPPED.next_working_time(datetime(2026, 1, 4, 0, tzinfo=UTC)) == riyadh(2026, 1, 4, 7, 30)


def test_dst_zone() -> None:
    # 09:00 London is 09:00 UTC in winter and 08:00 UTC in summer.
    assert not LONDON_CAL.is_working_time(datetime(2026, 1, 5, 8, 30, tzinfo=UTC))
    assert LONDON_CAL.is_working_time(datetime(2026, 6, 1, 8, 30, tzinfo=UTC))
    assert not LONDON_CAL.is_working_time(datetime(2026, 6, 1, 16, 30, tzinfo=UTC))
    # Friday 16:00–17:00, then the Sunday night shift: 00:00 GMT + 1 h is 02:00 BST.
    assert LONDON_CAL.add_working_hours(london(2026, 3, 27, 16), 2) == london(2026, 3, 29, 2)
    assert LONDON_CAL.add_working_hours(london(2026, 3, 27, 16), 5) == london(2026, 3, 30, 10)
    # The Sunday night shift loses an hour in spring (2026-03-29) and gains one in autumn (10-25).
    assert LONDON_CAL.working_hours_between(london(2026, 3, 29), london(2026, 3, 30)) == 3
    assert LONDON_CAL.working_hours_between(london(2026, 10, 25), london(2026, 10, 26)) == 5
    assert LONDON_CAL.add_working_hours(london(2026, 3, 29), 3) == london(2026, 3, 29, 4)
    assert LONDON_CAL.add_working_hours(london(2026, 10, 25), 4.5) == london(2026, 10, 25, 3, 30)
    assert LONDON_CAL.add_working_hours(london(2026, 10, 25), 4.5).utcoffset() == timedelta(0)
    # 52 Sundays of 4 h (the DST changes cancel out) and 261 weekdays of 7 h less 2 holidays.
    year = LONDON_CAL.working_hours_between(london(2026, 1, 1), london(2027, 1, 1))
    assert year == 52 * 4 + (261 - 2) * 7
    # the week-skipping path agrees with summing day by day
    midnights = [london(2026, 1, 1) + timedelta(days=n) for n in range(366)]  # wall-clock days
    by_day = sum(LONDON_CAL.working_hours_between(a, b) for a, b in itertools.pairwise(midnights))
    assert by_day == pytest.approx(year)


def test_naive_datetime_rejected() -> None:
    naive = datetime(2026, 1, 4, 10)
    for call in (
        lambda: SHIPPED.is_working_time(naive),
        lambda: SHIPPED.next_working_time(naive),
        lambda: SHIPPED.add_working_hours(naive, 1),
        lambda: SHIPPED.working_hours_between(naive, riyadh(2026, 1, 5)),
        lambda: SHIPPED.working_hours_between(riyadh(2026, 1, 3), naive),
    ):
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


@pytest.mark.parametrize("week", [{}, {"sunday": ()}])
def test_empty_calendar_rejected(week: dict[str, tuple[Interval, ...]]) -> None:
    with pytest.raises(ValueError, match="the calendar has no working hours"):
        calendar(week)


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (
            Calendar(timezone="UTC", week=days(("monday",), ("08:00", "12:00"), ("11:00", "13:00"))),
            "overlapping",
        ),
        (Calendar(timezone="UTC", week=days(("monday",), ("12:00", "08:00"))), "does not end after"),
        (Calendar(timezone="UTC", week=days(("monday",), ("8:00", "12:00"))), "invalid time"),
        (Calendar(timezone="UTC", week=days(("monday",), ("24:00", "24:00"))), "invalid time"),
        (Calendar(timezone="UTC", week=days(("mon",), ("08:00", "12:00"))), "unknown weekday"),
        (Calendar(timezone="Mars/Olympus", week=days(("monday",), ("08:00", "12:00"))), "unknown time zone"),
        (
            Calendar(
                timezone="UTC", week=days(("monday",), ("08:00", "12:00")), holidays=(holiday("2026-1-5"),)
            ),
            "invalid holiday date",
        ),
    ],
)
def test_invalid_definitions_rejected(definition: Calendar, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingCalendar.from_definition(definition)


def test_adjacent_intervals_and_end_of_day_allowed() -> None:
    cal = calendar(days(("monday",), ("20:00", "24:00"), ("08:00", "20:00")), timezone="UTC")
    assert cal.add_working_hours(datetime(2026, 1, 5, 8, tzinfo=UTC), 16) == datetime(2026, 1, 6, tzinfo=UTC)
    assert not cal.is_working_time(datetime(2026, 1, 6, tzinfo=UTC))


def test_describe() -> None:
    assert SHIPPED.describe("en") == "Sunday–Thursday, 07:30–14:30"
    assert SHIPPED.describe("ar") == "الأحد – الخميس، 07:30 – 14:30"
    split = calendar(
        {
            **days(SUN_THU[:4], ("07:30", "14:30")),
            **days(("thursday",), ("08:00", "12:00"), ("16:00", "20:00")),
        }
    )
    assert split.describe("en") == "Sunday–Wednesday, 07:30–14:30; Thursday, 08:00–12:00, 16:00–20:00"
    assert split.describe("ar") == "الأحد – الأربعاء، 07:30 – 14:30؛ الخميس، 08:00 – 12:00، 16:00 – 20:00"
    wrapping = calendar(days(("saturday", *SUN_THU[:4]), ("09:00", "17:00")))
    assert wrapping.describe("en") == "Saturday–Wednesday, 09:00–17:00"
    every_day = calendar(days((*SUN_THU, "friday", "saturday"), ("00:00", "24:00")))
    assert every_day.describe("en") == "Sunday–Saturday, 00:00–24:00"


# --- properties ---------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2027, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([UTC, RIYADH, LONDON]),
    allow_imaginary=False,
)
calendars = st.sampled_from([SHIPPED, WITH_HOLIDAY, LONDON_CAL])
hours = st.floats(min_value=0, max_value=500, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(cal=calendars, start=instants, h1=hours, h2=hours)
def test_add_then_measure_round_trips_and_is_monotonic(
    cal: WorkingCalendar, start: datetime, h1: float, h2: float
) -> None:
    low, high = sorted((h1, h2))
    end_low, end_high = cal.add_working_hours(start, low), cal.add_working_hours(start, high)
    assert cal.working_hours_between(start, end_low) == pytest.approx(low, abs=1e-6)
    assert cal.working_hours_between(start, end_high) == pytest.approx(high, abs=1e-6)
    assert end_low <= end_high


@settings(max_examples=60, deadline=None)
@given(cal=calendars, at=instants)
def test_next_working_time_is_working(cal: WorkingCalendar, at: datetime) -> None:
    found = cal.next_working_time(at)
    assert found >= at
    assert cal.is_working_time(found)
