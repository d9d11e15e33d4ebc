"""How the SQLite backend writes Python values — times as fixed-width ISO-8601 UTC text (so text
order is time order), JSON documents as text — and the small query helpers its repositories share."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import msgspec

_JSON_OBJECT = msgspec.json.Decoder(dict[str, Any])
_JSON_ANY = msgspec.json.Decoder()


_LAST_TIME: tuple[datetime, str] = (datetime(1970, 1, 1, tzinfo=UTC), "")
"""The last UTC time written and its text: a ticket's transaction writes its one ``now`` five times or
more (its row, event, assignment, outbox rows). Held here, that datetime cannot be freed, so no other
object can take its identity; one tuple, replaced whole, so either thread reads a matching pair."""


def time_text(moment: datetime) -> str:
    """``2026-05-01T06:30:00.000000+00:00``; refuses naive datetimes."""
    global _LAST_TIME
    last = _LAST_TIME
    if moment is last[0]:
        return last[1]
    if moment.tzinfo is UTC:  # what the clock gives: nothing to convert
        text = moment.isoformat(timespec="microseconds")
        _LAST_TIME = (moment, text)
        return text
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: the store takes timezone-aware datetimes only")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def maybe_time_text(moment: datetime | None) -> str | None:
    return None if moment is None else time_text(moment)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def maybe_parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def json_text(document: object) -> str:
    if isinstance(document, Mapping) and not isinstance(document, dict):
        document = dict(document)
    return msgspec.json.encode(document).decode("utf-8")


def parse_json_object(text: str) -> dict[str, Any]:
    return _JSON_OBJECT.decode(text)


def parse_json(text: str) -> Any:
    return _JSON_ANY.decode(text)


# --- query helpers ------------------------------------------------------------------------


async def fetch_all(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
    return list(await conn.execute_fetchall(sql, params))


async def fetch_one(conn: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
    rows = await fetch_all(conn, sql, params)
    return rows[0] if rows else None


def like_pattern(text: str) -> str:
    """``%text%`` for ``LIKE ? ESCAPE '\\'``, with the wildcards in ``text`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
