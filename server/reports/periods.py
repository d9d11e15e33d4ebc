"""A report's period: a week (Sunday to Saturday), a month, a semester or half year of the organisation's
calendar (``calendar.terms`` — editable data, not code), a custom range of days, or ``now``.

A period is written as a token — ``week:2026-11-22`` (the week holding that day), ``month:2026-11``,
``semester:2026-08-23`` / ``half_year:2026-07-01`` (the term holding that day), ``custom:2026-01-01..2026-03-31``
(first and last day, inclusive), ``now`` — the same in the page's address, the API and the CLI.
Its bounds are the local midnights of the organisation's time zone.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import msgspec

from server.definitions.model import Organisation, PeriodKind, Term, Text

KINDS: tuple[PeriodKind, ...] = ("week", "month", "semester", "half_year", "custom", "now")
MAX_CUSTOM_DAYS = 3 * 366


class PeriodError(ValueError):
    """The period asked for is not one the organisation's calendar has (or is malformed)."""


class Period(msgspec.Struct, frozen=True, kw_only=True):
    kind: PeriodKind
    first: dt.date
    last: dt.date
    """Inclusive."""
    name: Text | None = None
    """The term's name (semesters and half years)."""

    @property
    def token(self) -> str:
        if self.kind == "now":
            return "now"
        if self.kind == "custom":
            return f"custom:{self.first.isoformat()}..{self.last.isoformat()}"
        if self.kind == "month":
            return f"month:{self.first.strftime('%Y-%m')}"
        return f"{self.kind}:{self.first.isoformat()}"

    def bounds(self, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """``[start, end)`` as aware datetimes: local midnight of the first day, and of the day after the last."""
        start = dt.datetime.combine(self.first, dt.time(), tz)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tz)
        return start, end


def _terms(org: Organisation, kind: str) -> list[Term]:
    return sorted((t for t in org.calendar.terms if t.kind == kind), key=lambda t: t.start)


def _term(org: Organisation, kind: PeriodKind, day: dt.date) -> Period:
    for term in _terms(org, kind):
        first, last = dt.date.fromisoformat(term.start), dt.date.fromisoformat(term.end)
        if first <= day <= last:
            return Period(kind=kind, first=first, last=last, name=term.name)
    raise PeriodError(f"the organisation's calendar has no {kind} holding {day.isoformat()}")


def of_kind(kind: PeriodKind, day: dt.date, org: Organisation) -> Period:
    """The period of ``kind`` holding ``day``."""
    if kind == "week":
        first = day - dt.timedelta(days=(day.weekday() + 1) % 7)  # back to Sunday
        return Period(kind=kind, first=first, last=first + dt.timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return Period(kind=kind, first=first, last=following - dt.timedelta(days=1))
    if kind in ("semester", "half_year"):
        return _term(org, kind, day)
    if kind == "now":
        return Period(kind=kind, first=day, last=day)
    return Period(kind="custom", first=day, last=day)


def custom(first: dt.date, last: dt.date) -> Period:
    if last < first:
        raise PeriodError("the period ends before it starts")
    if (last - first).days > MAX_CUSTOM_DAYS:
        raise PeriodError(f"a custom period is at most {MAX_CUSTOM_DAYS} days")
    return Period(kind="custom", first=first, last=last)


def parse(token: str, org: Organisation, today: dt.date) -> Period:
    """The period a token names (see the module's docstring); :class:`PeriodError` when it names none."""
    kind, _, rest = token.strip().partition(":")
    if kind not in KINDS:
        raise PeriodError(f"unknown period {kind!r}: one of {', '.join(KINDS)}")
    try:
        if kind == "custom":
            first, sep, last = rest.partition("..")
            if not sep:
                raise PeriodError("a custom period is custom:FIRST..LAST")
            return custom(dt.date.fromisoformat(first), dt.date.fromisoformat(last))
        if kind == "month" and rest:
            day = dt.date.fromisoformat(rest + "-01") if len(rest) == 7 else dt.date.fromisoformat(rest)
        else:
            day = dt.date.fromisoformat(rest) if rest else today
    except ValueError as exc:
        raise PeriodError(f"not a date: {rest!r}") from exc
    return of_kind(kind, day, org)


def previous(period: Period, org: Organisation) -> Period:
    """The period before (last week, last month, the semester before)."""
    if period.kind == "custom":
        length = period.last - period.first + dt.timedelta(days=1)
        return custom(period.first - length, period.last - length)
    if period.kind == "now":
        return period
    if period.kind in ("semester", "half_year"):
        earlier = [t for t in _terms(org, period.kind) if dt.date.fromisoformat(t.end) < period.first]
        if not earlier:
            raise PeriodError(f"the organisation's calendar has no {period.kind} before this one")
        return of_kind(period.kind, dt.date.fromisoformat(earlier[-1].start), org)
    return of_kind(period.kind, period.first - dt.timedelta(days=1), org)


def terms_of(org: Organisation, kind: PeriodKind) -> list[Period]:
    """Every semester or half year of the calendar (the page's choice of terms)."""
    return [of_kind(kind, dt.date.fromisoformat(t.start), org) for t in _terms(org, kind)]
