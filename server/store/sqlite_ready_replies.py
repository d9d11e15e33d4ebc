"""Ready replies (the customer-service replies log, issue 12), SQLite side: the queries, and
``SQLiteReadyRepliesMixin``, their part of ``SQLiteStore``."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite

from server.store.interface import NotFound
from server.store.records import ReadyReply
from server.store.sqlite_codec import fetch_all, fetch_one, json_text, like_pattern, parse_json
from server.store.sqlite_connection import Writer


def reply_from_row(row: sqlite3.Row) -> ReadyReply:
    return ReadyReply(
        id=row["id"],
        title_ar=row["title_ar"],
        title_en=row["title_en"],
        body_ar=row["body_ar"],
        body_en=row["body_en"],
        tags=tuple(parse_json(row["tags"])),
        active=bool(row["active"]),
    )


async def add_ready_reply(
    conn: aiosqlite.Connection,
    *,
    title_ar: str,
    title_en: str,
    body_ar: str,
    body_en: str,
    tags: Sequence[str],
    active: bool,
) -> ReadyReply:
    row = await fetch_one(
        conn,
        "INSERT INTO ready_replies (title_ar, title_en, body_ar, body_en, tags, active)"
        " VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
        (title_ar, title_en, body_ar, body_en, json_text(list(tags)), int(active)),
    )
    assert row is not None
    return reply_from_row(row)


async def search_ready_replies(conn: aiosqlite.Connection, query: str, *, limit: int) -> list[ReadyReply]:
    """Active replies whose title or body, in either language, contains ``query`` (case-insensitive
    for ASCII letters; ``%`` and ``_`` in the query are literal)."""
    pattern = like_pattern(query.strip())
    rows = await fetch_all(
        conn,
        "SELECT * FROM ready_replies WHERE active = 1 AND (title_ar LIKE ?1 ESCAPE '\\'"
        " OR title_en LIKE ?1 ESCAPE '\\' OR body_ar LIKE ?1 ESCAPE '\\' OR body_en LIKE ?1 ESCAPE '\\')"
        " ORDER BY id LIMIT ?2",
        (pattern, limit),
    )
    return [reply_from_row(row) for row in rows]


async def get_ready_reply(conn: aiosqlite.Connection, reply_id: int) -> ReadyReply | None:
    row = await fetch_one(conn, "SELECT * FROM ready_replies WHERE id = ?", (reply_id,))
    return None if row is None else reply_from_row(row)


async def update_ready_reply(
    conn: aiosqlite.Connection,
    reply_id: int,
    *,
    title_ar: str,
    title_en: str,
    body_ar: str,
    body_en: str,
    tags: Sequence[str],
    active: bool,
) -> ReadyReply:
    row = await fetch_one(
        conn,
        "UPDATE ready_replies SET title_ar = ?, title_en = ?, body_ar = ?, body_en = ?, tags = ?, active = ?"
        " WHERE id = ? RETURNING *",
        (title_ar, title_en, body_ar, body_en, json_text(list(tags)), int(active), reply_id),
    )
    if row is None:
        raise NotFound(f"no ready reply {reply_id}")
    return reply_from_row(row)


async def list_ready_replies(
    conn: aiosqlite.Connection, query: str, *, include_inactive: bool, offset: int, limit: int
) -> list[ReadyReply]:
    """Replies whose title, body (either language) or tags contain ``query`` (all when empty)."""
    sql = "SELECT * FROM ready_replies WHERE 1 = 1"
    params: list[Any] = []
    if not include_inactive:
        sql += " AND active = 1"
    if query.strip():
        sql += (
            " AND (title_ar LIKE ?1 ESCAPE '\\' OR title_en LIKE ?1 ESCAPE '\\' OR body_ar LIKE ?1 ESCAPE '\\'"
            " OR body_en LIKE ?1 ESCAPE '\\' OR tags LIKE ?1 ESCAPE '\\')"
        ).replace("?1", "?")
        params.extend([like_pattern(query.strip())] * 5)
    rows = await fetch_all(conn, sql + " ORDER BY active DESC, id LIMIT ? OFFSET ?", [*params, limit, offset])
    return [reply_from_row(row) for row in rows]


class SQLiteReadyRepliesMixin:
    """``ReadyReply`` methods of the ``Store`` on the store's connections (a base of ``SQLiteStore``)."""

    _writer: Writer
    _reader: aiosqlite.Connection

    async def add_ready_reply(
        self,
        *,
        title_ar: str,
        title_en: str,
        body_ar: str,
        body_en: str,
        tags: Sequence[str] = (),
        active: bool = True,
    ) -> ReadyReply:
        return await self._writer.run(
            lambda conn: add_ready_reply(
                conn,
                title_ar=title_ar,
                title_en=title_en,
                body_ar=body_ar,
                body_en=body_en,
                tags=tags,
                active=active,
            )
        )

    async def search_ready_replies(self, query: str, *, limit: int = 20) -> list[ReadyReply]:
        return await search_ready_replies(self._reader, query, limit=limit)

    async def get_ready_reply(self, reply_id: int) -> ReadyReply | None:
        return await get_ready_reply(self._reader, reply_id)

    async def update_ready_reply(
        self,
        reply_id: int,
        *,
        title_ar: str,
        title_en: str,
        body_ar: str,
        body_en: str,
        tags: Sequence[str],
        active: bool,
    ) -> ReadyReply:
        return await self._writer.run(
            lambda conn: update_ready_reply(
                conn,
                reply_id,
                title_ar=title_ar,
                title_en=title_en,
                body_ar=body_ar,
                body_en=body_en,
                tags=tags,
                active=active,
            )
        )

    async def list_ready_replies(
        self, query: str = "", *, include_inactive: bool = True, offset: int = 0, limit: int = 50
    ) -> list[ReadyReply]:
        return await list_ready_replies(
            self._reader, query, include_inactive=include_inactive, offset=offset, limit=limit
        )
