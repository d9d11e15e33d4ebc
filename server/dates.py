"""Dates as people here read them: Gregorian and Umm al-Qura Hijri, in Arabic or English.

The Hijri date comes from ``hijridate`` (the Umm al-Qura tables); times are shown in the
organisation's time zone.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hijridate import Gregorian

GREGORIAN_MONTHS = {
    "ar": [
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


def hijri(day: dt.date, lang: str) -> str:
    """``15 جمادى الآخرة 1448 هـ`` / ``15 Jumada al-Akhirah 1448 AH``; outside the Umm al-Qura range, ``""``."""
    try:
        h = Gregorian(day.year, day.month, day.day).to_hijri()
    except (OverflowError, ValueError):
        return ""
    if lang == "en":
        return f"{h.day} {h.month_name('en')} {h.year} {h.notation('en')}"
    return f"{h.day} {h.month_name('ar')} {h.year} {h.notation('ar')}"


def gregorian(day: dt.date, lang: str) -> str:
    code = "en" if lang == "en" else "ar"
    suffix = "" if code == "en" else " م"
    return f"{day.day} {GREGORIAN_MONTHS[code][day.month - 1]} {day.year}{suffix}"


def both(moment: dt.datetime | dt.date, lang: str, tz: ZoneInfo | None = None) -> str:
    """Gregorian and Hijri together, with the time when given a datetime (in ``tz``)."""
    if isinstance(moment, dt.datetime):
        local = moment.astimezone(tz) if tz else moment
        day = local.date()
        time = f" {local:%H:%M}"
    else:
        day, time = moment, ""
    h = hijri(day, lang)
    text = gregorian(day, lang) + (f" ({h})" if h else "")
    return text + time
