"""Inbound channels, SQLite side (``migrations/0008_integrations.sql``): the integrations' API keys
and the inbound e-mail messages seen (for duplicates and threading)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

import aiosqlite

from server.store.interface import AlreadyExists, NotFound
from server.store.records import InboundOutcome, IntegrationKey
from server.store.sqlite_codec import fetch_all, fetch_one, json_text, maybe_parse_time, parse_time, time_text
from server.store.sqlite_connection import Writer

TOUCH_EVERY = timedelta(minutes=5)
"""``last_used_at`` is written at most this often per key (a busy integration is not a write each call)."""


def _key(row: sqlite3.Row) -> IntegrationKey:
    return IntegrationKey(
        id=row["id"],
        name=row["name"],
        channel=row["channel"],
        created_at=parse_time(row["created_at"]),
        revoked_at=maybe_parse_time(row["revoked_at"]),
        last_used_at=maybe_parse_time(row["last_used_at"]),
    )


async def create_key(
    conn: aiosqlite.Connection, name: str, channel: str, key_hash: str, *, now: datetime
) -> IntegrationKey:
    try:
        row = await fetch_one(
            conn,
            "INSERT INTO integration_keys (name, channel, key_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id, name, channel, created_at, revoked_at, last_used_at",
            (name, channel, key_hash, time_text(now)),
        )
    except sqlite3.IntegrityError as exc:
        raise AlreadyExists(f"an integration key named {name!r} already exists") from exc
    assert row is not None
    return _key(row)


async def key_by_hash(
    reader: aiosqlite.Connection, writer: Writer, key_hash: str, *, now: datetime
) -> IntegrationKey | None:
    """The live (not revoked) key with this hash, its use recorded; None otherwise."""
    row = await fetch_one(
        reader,
        "SELECT id, name, channel, created_at, revoked_at, last_used_at FROM integration_keys WHERE key_hash = ? AND revoked_at IS NULL",
        (key_hash,),
    )
    if row is None:
        return None
    key = _key(row)
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        await writer.run(
            lambda conn: conn.execute(
                "UPDATE integration_keys SET last_used_at = ? WHERE id = ?", (time_text(now), key.id)
            )
        )
    return key


async def revoke_key(conn: aiosqlite.Connection, name: str, *, now: datetime) -> IntegrationKey:
    """Revokes the key (kept, with ``revoked_at``); revoking it again keeps the first date."""
    row = await fetch_one(
        conn,
        "UPDATE integration_keys SET revoked_at = coalesce(revoked_at, ?) WHERE name = ? RETURNING id, name, channel, created_at, revoked_at, last_used_at",
        (time_text(now), name),
    )
    if row is None:
        raise NotFound(f"no integration key named {name!r}")
    return _key(row)


async def list_keys(conn: aiosqlite.Connection) -> list[IntegrationKey]:
    return [
        _key(row)
        for row in await fetch_all(
            conn,
            "SELECT id, name, channel, created_at, revoked_at, last_used_at FROM integration_keys ORDER BY id",
        )
    ]


# --- inbound e-mail ---------------------------------------------------------------------


async def inbound_seen(conn: aiosqlite.Connection, message_id: str) -> bool:
    return (
        await fetch_one(conn, "SELECT 1 FROM inbound_messages WHERE message_id = ?", (message_id,))
        is not None
    )


async def record_inbound(
    conn: aiosqlite.Connection,
    message_id: str,
    ticket_id: int | None,
    outcome: InboundOutcome,
    *,
    now: datetime,
) -> bool:
    """Records the message; False (nothing written) when it was already recorded."""
    cursor = await conn.execute(
        "INSERT INTO inbound_messages (message_id, ticket_id, outcome, received_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (message_id) DO NOTHING",
        (message_id, ticket_id, outcome, time_text(now)),
    )
    return cursor.rowcount == 1


async def ticket_of_messages(
    conn: aiosqlite.Connection, message_ids: Sequence[str], outbound_ids: Sequence[str]
) -> int | None:
    """The ticket of the most recent of these messages: an inbound one recorded here, or an outbound
    notification whose ``gateway_request_id`` is one of ``outbound_ids``."""
    found: int | None = None
    if message_ids:
        row = await fetch_one(
            conn,
            "SELECT ticket_id FROM inbound_messages WHERE message_id IN (SELECT value FROM json_each(?))"
            " AND ticket_id IS NOT NULL ORDER BY received_at DESC LIMIT 1",
            (json_text(list(message_ids)),),
        )
        found = None if row is None else int(row["ticket_id"])
    if found is None and outbound_ids:
        row = await fetch_one(
            conn,
            "SELECT ticket_id FROM outbox WHERE gateway_request_id IN (SELECT value FROM json_each(?))"
            " ORDER BY id DESC LIMIT 1",
            (json_text(list(outbound_ids)),),
        )
        found = None if row is None else int(row["ticket_id"])
    return found


class SQLiteIntegrationsMixin:
    """``IntegrationsStore`` (``interface_integrations``) on the store's connections (a base of
    ``SQLiteStore``)."""

    _writer: Writer
    _reader: aiosqlite.Connection

    async def create_integration_key(
        self, name: str, channel: str, key_hash: str, *, now: datetime
    ) -> IntegrationKey:
        return await self._writer.run(lambda conn: create_key(conn, name, channel, key_hash, now=now))

    async def integration_key_by_hash(self, key_hash: str, *, now: datetime) -> IntegrationKey | None:
        return await key_by_hash(self._reader, self._writer, key_hash, now=now)

    async def revoke_integration_key(self, name: str, *, now: datetime) -> IntegrationKey:
        return await self._writer.run(lambda conn: revoke_key(conn, name, now=now))

    async def list_integration_keys(self) -> list[IntegrationKey]:
        return await list_keys(self._reader)

    async def inbound_message_seen(self, message_id: str) -> bool:
        return await inbound_seen(self._reader, message_id)

    async def record_inbound_message(
        self, message_id: str, ticket_id: int | None, outcome: InboundOutcome, *, now: datetime
    ) -> bool:
        return await self._writer.run(
            lambda conn: record_inbound(conn, message_id, ticket_id, outcome, now=now)
        )

    async def ticket_of_messages(self, message_ids: Sequence[str], outbound_ids: Sequence[str]) -> int | None:
        return await ticket_of_messages(self._reader, message_ids, outbound_ids)
