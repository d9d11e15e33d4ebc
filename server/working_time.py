"""The organisation's working calendar: working-time arithmetic over a :class:`Calendar` definition.

Pure computation, no I/O. A calendar is a weekly pattern of intervals in local wall time
(``"HH:MM"``, end exclusive, ``"24:00"`` allowed as an end) plus whole-day holidays, all in one
IANA time zone. Each interval boundary is converted to an instant with :mod:`zoneinfo`, so a
DST change falling inside an interval lengthens or shortens it; internally every instant is UTC
(subtracting two aware datetimes that share a ``tzinfo`` would otherwise compare wall times).

Long spans are handled a week at a time: a week whose two bounding local midnights have the
same UTC offset counts as its nominal hours less its holidays (found by bisection), and only a
week with an offset change is walked day by day. This assumes a zone never changes its offset
and back within one week — true of every zone in current tzdata.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.definitions.model import Calendar

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
"""Weekday keys, indexed like :meth:`date.weekday` (Monday is 0)."""

_DAY_NAMES = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "ar": ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
}
# (day range, day/intervals, between intervals, between groups) per language
_PUNCTUATION = {"en": ("–", ", ", ", ", "; "), "ar": (" – ", "، ", "، ", "؛ ")}
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)|24:00")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY = timedelta(days=1)
_HOUR = timedelta(hours=1)

Span = tuple[datetime, datetime]


def _minutes(value: str, *, end: bool) -> int:
    match = _TIME.fullmatch(value)
    if match is None or (value == "24:00" and not end):
        raise ValueError(f"invalid time {value!r}: expected HH:MM")
    return 24 * 60 if value == "24:00" else int(match[1]) * 60 + int(match[2])


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required, got {at.isoformat()}")
    return at.astimezone(UTC)


class WorkingCalendar:
    """Working-time queries over one calendar; every datetime argument must be timezone-aware."""

    tz: ZoneInfo

    def __init__(
        self, tz: ZoneInfo, days: tuple[tuple[tuple[int, int], ...], ...], holidays: frozenset[date]
    ) -> None:
        self.tz = tz
        self._days = days  # per weekday (Monday 0): sorted, non-overlapping (start, end) minutes
        self._day_length = tuple(timedelta(minutes=sum(e - s for s, e in day)) for day in days)
        self._week = sum(self._day_length, timedelta())
        if not self._week:
            raise ValueError("the calendar has no working hours")
        self._holidays = frozenset(holidays)
        self._sorted_holidays = sorted(holidays)

    @classmethod
    def from_definition(cls, calendar: Calendar) -> WorkingCalendar:
        """Validate and compile a calendar definition (ValueError on any inconsistency)."""
        try:
            tz = ZoneInfo(calendar.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {calendar.timezone!r}") from error
        unknown = sorted(set(calendar.week) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"unknown weekday(s): {', '.join(unknown)}")
        days = []
        for name in WEEKDAYS:
            intervals = sorted(
                (_minutes(i.start, end=False), _minutes(i.end, end=True)) for i in calendar.week.get(name, ())
            )
            for start, end in intervals:
                if start >= end:
                    raise ValueError(
                        f"{name}: interval {_hhmm(start)}–{_hhmm(end)} does not end after it starts"
                    )
            for (_, end), (start, _) in itertools.pairwise(intervals):
                if start < end:
                    raise ValueError(f"{name}: overlapping intervals")
            days.append(tuple(intervals))
        holidays = set()
        for holiday in calendar.holidays:
            if not _DATE.fullmatch(holiday.date):
                raise ValueError(f"invalid holiday date {holiday.date!r}: expected YYYY-MM-DD")
            holidays.add(date.fromisoformat(holiday.date))
        return cls(tz, tuple(days), frozenset(holidays))

    # --- queries ----------------------------------------------------------------------------

    def is_working_time(self, at: datetime) -> bool:
        """Whether ``at`` falls inside a working interval (start inclusive, end exclusive)."""
        instant = _utc(at)
        return any(a <= instant < b for a, b in self._spans(self._local_date(instant)))

    def next_working_time(self, at: datetime) -> datetime:
        """``at`` itself if it is working time, else the start of the next working interval."""
        instant = _utc(at)
        for a, b in self._spans_from(self._local_date(instant)):
            if instant < b:
                return max(a, instant).astimezone(self.tz)
        raise AssertionError("unreachable: a calendar with working hours never runs out of them")

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """The working hours in ``[start, end)``; 0 if ``end <= start``."""
        s, e = _utc(start), _utc(end)
        if e <= s:
            return 0.0
        first, last = self._local_date(s), self._local_date(e)
        total = self._overlap(first, s, e)
        if last > first:
            total += self._full_days(first + _DAY, last) + self._overlap(last, s, e)
        return total / _HOUR

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The instant, in the calendar's zone, when ``hours`` working hours have elapsed after
        ``start``; counting begins at the first working instant at or after ``start``.
        ``hours == 0`` returns ``start`` itself (as the same instant in the calendar's zone)."""
        instant = _utc(start)
        if not math.isfinite(hours) or hours < 0:
            raise ValueError(f"hours must be a finite non-negative number, got {hours}")
        remaining = timedelta(hours=hours)
        if not remaining:
            return instant.astimezone(self.tz)
        day = self._local_date(instant)
        for a, b in self._spans(day):  # the rest of the first day
            if b > instant:
                a = max(a, instant)
                if remaining <= b - a:
                    return (a + remaining).astimezone(self.tz)
                remaining -= b - a
        day += _DAY
        # Skip whole weeks while at least one more week is left over for the remainder (so
        # holidays and DST corrections cannot overshoot), then finish day by day.
        while (weeks := remaining // self._week - 1) >= 1:
            skipped = self._full_days(day, day + weeks * 7 * _DAY)
            if skipped >= remaining:
                break
            remaining -= skipped
            day += weeks * 7 * _DAY
        for a, b in self._spans_from(day):
            if remaining <= b - a:
                return (a + remaining).astimezone(self.tz)
            remaining -= b - a
        raise AssertionError("unreachable: a calendar with working hours never runs out of them")

    def describe(self, lang: str) -> str:
        """A one-line summary of the weekly pattern in ``lang`` ("en", otherwise Arabic), grouping
        consecutive days with identical intervals, e.g. ``Sunday–Thursday, 07:30–14:30``."""
        lang = "en" if lang == "en" else "ar"
        names = _DAY_NAMES[lang]
        dash, after_days, between, groups_sep = _PUNCTUATION[lang]
        order = [(6 + i) % 7 for i in range(7)]  # the week starts on Sunday
        # rotate so that no group of identical days is split across the start of the week
        shift = next((i for i in range(7) if self._days[order[i]] != self._days[order[i - 1]]), 0)
        order = order[shift:] + order[:shift]
        groups: list[list[int]] = []
        for day in order:
            if groups and self._days[groups[-1][-1]] == self._days[day]:
                groups[-1].append(day)
            else:
                groups.append([day])
        parts = []
        for group in groups:
            intervals = self._days[group[0]]
            if not intervals:
                continue
            days = names[group[0]] if len(group) == 1 else f"{names[group[0]]}{dash}{names[group[-1]]}"
            times = between.join(f"{_hhmm(s)}{dash}{_hhmm(e)}" for s, e in intervals)
            parts.append(f"{days}{after_days}{times}")
        return groups_sep.join(parts)

    # --- internals --------------------------------------------------------------------------

    def _local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=self.tz)

    def _spans(self, day: date) -> list[Span]:
        """The working intervals of one local day as UTC instants (none on a holiday)."""
        if day in self._holidays:
            return []
        midnight = datetime.combine(day, time())
        spans: list[Span] = []
        for start, end in self._days[day.weekday()]:
            a, b = (
                (midnight + timedelta(minutes=m)).replace(tzinfo=self.tz).astimezone(UTC)
                for m in (start, end)
            )
            if spans:  # a wall time in a DST gap can shift an interval onto its neighbour
                a = max(a, spans[-1][1])
            if a < b:
                spans.append((a, b))
        return spans

    def _spans_from(self, day: date) -> Iterator[Span]:
        while True:
            yield from self._spans(day)
            day += _DAY

    def _overlap(self, day: date, start: datetime, end: datetime) -> timedelta:
        return sum(
            (min(b, end) - max(a, start) for a, b in self._spans(day) if a < end and b > start), timedelta()
        )

    def _full_days(self, first: date, stop: date) -> timedelta:
        """The working time of the whole local days ``[first, stop)``."""
        total = timedelta()
        while (stop - first).days >= 7:
            week_end = first + 7 * _DAY
            if self._midnight(first).utcoffset() == self._midnight(week_end).utcoffset():
                low = bisect.bisect_left(self._sorted_holidays, first)
                high = bisect.bisect_left(self._sorted_holidays, week_end)
                total += self._week - sum(
                    (self._day_length[h.weekday()] for h in self._sorted_holidays[low:high]), timedelta()
                )
            else:
                total += self._walk(first, week_end)
            first = week_end
        return total + self._walk(first, stop)

    def _walk(self, first: date, stop: date) -> timedelta:
        total = timedelta()
        while first < stop:
            total += sum((b - a for a, b in self._spans(first)), timedelta())
            first += _DAY
        return total
