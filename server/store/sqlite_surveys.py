"""Survey responses, SQLite side: one per ticket."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime

import aiosqlite

from server.store.interface import AlreadyExists
from server.store.records import SurveyResponse
from server.store.sqlite_codec import fetch_one, json_text, parse_json_object, parse_time, time_text
from server.store.sqlite_connection import Writer


async def add(
    conn: aiosqlite.Connection,
    *,
    ticket_id: int,
    survey_id: str,
    answers: Mapping[str, int],
    comment: str,
    now: datetime,
) -> SurveyResponse:
    try:
        await conn.execute(
            "INSERT INTO survey_responses (ticket_id, survey_id, answers, comment, created_at) VALUES (?, ?, ?, ?, ?)",
            (ticket_id, survey_id, json_text(dict(answers)), comment, time_text(now)),
        )
    except sqlite3.IntegrityError as exc:
        raise AlreadyExists(f"ticket {ticket_id} has already been rated") from exc
    found = await get(conn, ticket_id)
    assert found is not None
    return found


async def get(conn: aiosqlite.Connection, ticket_id: int) -> SurveyResponse | None:
    row = await fetch_one(conn, "SELECT * FROM survey_responses WHERE ticket_id = ?", (ticket_id,))
    if row is None:
        return None
    return SurveyResponse(
        ticket_id=row["ticket_id"],
        survey_id=row["survey_id"],
        answers={k: int(v) for k, v in parse_json_object(row["answers"]).items()},
        comment=row["comment"],
        created_at=parse_time(row["created_at"]),
    )


class SQLiteSurveysMixin:
    """The survey responses of ``ReportsStore`` (``interface_reports``) on the store's connections (a
    base of ``SQLiteStore``)."""

    _writer: Writer
    _reader: aiosqlite.Connection

    async def add_survey_response(
        self, *, ticket_id: int, survey_id: str, answers: Mapping[str, int], comment: str, now: datetime
    ) -> SurveyResponse:
        return await self._writer.run(
            lambda conn: add(
                conn, ticket_id=ticket_id, survey_id=survey_id, answers=answers, comment=comment, now=now
            )
        )

    async def get_survey_response(self, ticket_id: int) -> SurveyResponse | None:
        return await get(self._reader, ticket_id)
