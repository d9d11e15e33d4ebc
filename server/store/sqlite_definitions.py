"""Published definition versions, SQLite side. Rows are immutable (triggers refuse UPDATE/DELETE)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiosqlite

from server.store.records import DefinitionVersion
from server.store.sqlite_codec import (
    fetch_all,
    fetch_one,
    json_text,
    parse_json_object,
    parse_time,
    time_text,
)
from server.store.sqlite_connection import Writer
from server.store.stamp import StampCache


def definition_from_row(row: sqlite3.Row) -> DefinitionVersion:
    return DefinitionVersion(
        id=row["id"],
        service_id=row["service_id"],
        version=row["version"],
        content_hash=row["content_hash"],
        bundle=parse_json_object(row["bundle"]),
        created_at=parse_time(row["created_at"]),
        created_by=row["created_by"],
        note=row["note"],
    )


async def latest(conn: aiosqlite.Connection, service_id: str) -> DefinitionVersion | None:
    row = await fetch_one(
        conn,
        "SELECT * FROM definition_versions WHERE service_id = ? ORDER BY version DESC LIMIT 1",
        (service_id,),
    )
    return None if row is None else definition_from_row(row)


async def publish(
    conn: aiosqlite.Connection,
    service_id: str,
    bundle: Mapping[str, Any],
    content_hash: str,
    *,
    created_by: str | None,
    note: str,
    now: datetime,
) -> DefinitionVersion:
    previous = await latest(conn, service_id)
    if previous is not None and previous.content_hash == content_hash:
        return previous
    row = await fetch_one(
        conn,
        "INSERT INTO definition_versions (service_id, version, content_hash, bundle, created_at, created_by, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (
            service_id,
            1 if previous is None else previous.version + 1,
            content_hash,
            json_text(bundle),
            time_text(now),
            created_by,
            note,
        ),
    )
    assert row is not None
    return definition_from_row(row)


async def get(conn: aiosqlite.Connection, definition_id: int) -> DefinitionVersion | None:
    row = await fetch_one(conn, "SELECT * FROM definition_versions WHERE id = ?", (definition_id,))
    return None if row is None else definition_from_row(row)


async def latest_of_each(conn: aiosqlite.Connection) -> list[DefinitionVersion]:
    """The latest version of every service, in service-id order."""
    rows = await fetch_all(
        conn,
        "SELECT d.* FROM definition_versions d"
        " JOIN (SELECT service_id, MAX(version) AS version FROM definition_versions GROUP BY service_id) m"
        " ON d.service_id = m.service_id AND d.version = m.version ORDER BY d.service_id",
        (),
    )
    return [definition_from_row(row) for row in rows]


async def list_versions(conn: aiosqlite.Connection, service_id: str) -> list[DefinitionVersion]:
    rows = await fetch_all(
        conn, "SELECT * FROM definition_versions WHERE service_id = ? ORDER BY version", (service_id,)
    )
    return [definition_from_row(row) for row in rows]


class SQLiteDefinitionsMixin:
    """The published definitions of ``DefinitionsStore`` (``interface_definitions``) on the store's
    connections (a base of ``SQLiteStore``)."""

    _writer: Writer
    _reader: aiosqlite.Connection
    _stamp: StampCache

    async def publish_definition(
        self,
        service_id: str,
        bundle: Mapping[str, Any],
        content_hash: str,
        *,
        created_by: str | None,
        note: str,
        now: datetime,
    ) -> DefinitionVersion:
        try:
            return await self._writer.run(
                lambda conn: publish(
                    conn, service_id, bundle, content_hash, created_by=created_by, note=note, now=now
                )
            )
        finally:
            self._stamp.forget()

    async def latest_definition(self, service_id: str) -> DefinitionVersion | None:
        return await latest(self._reader, service_id)

    async def get_definition(self, definition_id: int) -> DefinitionVersion | None:
        return await get(self._reader, definition_id)

    async def latest_definitions(self) -> list[DefinitionVersion]:
        return await latest_of_each(self._reader)

    async def list_definitions(self, service_id: str) -> list[DefinitionVersion]:
        return await list_versions(self._reader, service_id)
