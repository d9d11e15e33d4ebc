"""Dates and times between the browser's inputs and JSON Schema's formats.

``<input type="datetime-local">`` posts ``2026-05-01T09:30`` and ``<input type="time">`` posts
``09:30``: wall-clock values without a UTC offset. JSON Schema's ``date-time`` and ``time`` formats are
RFC 3339's, which require seconds and an offset (``2026-05-01T09:30:00+03:00``). Given the timezone
the form is filled in (the organisation's calendar), a posted value gets that zone's offset; a stored
value is shown in that zone, in the form the input accepts. Without a timezone, posted values are
left as typed (and validation reports them), and stored values are shown in their own offset.
Fields with the widget but without the format (a ``time`` with a ``pattern``) are left alone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo

_LOCAL_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")
_LOCAL_TIME = re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


def _offset(tz: tzinfo, moment: datetime) -> str:
    offset = moment.replace(tzinfo=tz).strftime("%z")
    return "Z" if offset in ("", "+0000") else f"{offset[:3]}:{offset[3:]}"


def from_input(fmt: object, raw: str, tz: tzinfo | None) -> str:
    """A posted date-time or time as RFC 3339, when the field's ``format`` asks for it."""
    if tz is None:
        return raw
    try:
        if fmt == "date-time" and _LOCAL_DATETIME.fullmatch(raw):
            moment = datetime.fromisoformat(raw.replace(" ", "T"))
            return moment.isoformat(timespec="seconds")[:19] + _offset(tz, moment)
        if fmt == "time" and _LOCAL_TIME.fullmatch(raw):
            clock = time.fromisoformat(raw)
            today = datetime.combine(date.today(), clock)
            return clock.isoformat(timespec="seconds") + _offset(tz, today)
    except ValueError:
        return raw
    return raw


def _clock(moment: datetime | time) -> str:
    return moment.strftime("%H:%M:%S" if moment.second else "%H:%M")


def for_input(kind: str, value: str, tz: tzinfo | None) -> str:
    """A stored date-time or time in the form a ``datetime-local`` or ``time`` input shows."""
    try:
        if kind == "datetime" and "T" in value.upper():
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None and tz is not None:
                moment = moment.astimezone(tz)
            return moment.strftime("%Y-%m-%dT") + _clock(moment)
        if kind == "time" and len(value) > 5:
            return _clock(time.fromisoformat(value))
    except ValueError:
        return value
    return value
