"""Drafts of service definitions and moving tickets between definition versions, SQLite side."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from server.store import sqlite_outbox
from server.store.interface import NotFound, VersionConflict
from server.store.records import Draft, NewEvent, NewTimer, Ticket, TicketChange
from server.store.sqlite_codec import (
    fetch_all,
    fetch_one,
    json_text,
    parse_json_object,
    parse_time,
    time_text,
)
from server.store.sqlite_connection import Writer
from server.store.sqlite_tickets import append_events, record_assignment, ticket_from_row


def _draft(row: sqlite3.Row) -> Draft:
    files = parse_json_object(row["files"])
    return Draft(
        service_id=row["service_id"],
        files={str(k): str(v) for k, v in files.items()},
        updated_at=parse_time(row["updated_at"]),
        updated_by=row["updated_by"],
    )


async def save(
    conn: aiosqlite.Connection, service_id: str, files: Mapping[str, str], *, by: str | None, now: datetime
) -> Draft:
    row = await fetch_one(
        conn,
        "INSERT INTO drafts (service_id, files, updated_at, updated_by) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (service_id) DO UPDATE SET files = excluded.files, updated_at = excluded.updated_at,"
        " updated_by = excluded.updated_by RETURNING *",
        (service_id, json_text(dict(files)), time_text(now), by),
    )
    assert row is not None
    return _draft(row)


async def get(conn: aiosqlite.Connection, service_id: str) -> Draft | None:
    row = await fetch_one(conn, "SELECT * FROM drafts WHERE service_id = ?", (service_id,))
    return None if row is None else _draft(row)


async def list_all(conn: aiosqlite.Connection) -> list[Draft]:
    return [_draft(row) for row in await fetch_all(conn, "SELECT * FROM drafts ORDER BY service_id")]


async def delete(conn: aiosqlite.Connection, service_id: str) -> None:
    await conn.execute("DELETE FROM drafts WHERE service_id = ?", (service_id,))


async def open_tickets(conn: aiosqlite.Connection, definition_version_id: int) -> list[Ticket]:
    rows = await fetch_all(
        conn,
        "SELECT * FROM tickets WHERE definition_version_id = ? AND closed_at IS NULL ORDER BY id",
        (definition_version_id,),
    )
    return [ticket_from_row(row) for row in rows]


async def migrate_ticket(
    conn: aiosqlite.Connection,
    ticket_id: int,
    expected_version: int,
    new_definition_version_id: int,
    change: TicketChange,
    event: NewEvent,
    *,
    data: Mapping[str, Any],
    timers: Sequence[NewTimer],
    search_text: str | None,
    now: datetime,
    key: bytes,
) -> Ticket:
    before_row = await fetch_one(conn, "SELECT * FROM tickets WHERE id = ?", (ticket_id,))
    if before_row is None:
        raise NotFound(f"no ticket {ticket_id}")
    before = ticket_from_row(before_row)
    row = await fetch_one(
        conn,
        "UPDATE tickets SET definition_version_id = ?, state = ?, category = ?, department = ?,"
        " assignee_role = ?, assignee_user = ?, vars = ?, data = ?,"
        " search_text = COALESCE(?, search_text), updated_at = max(?, created_at),"
        " closed_at = CASE WHEN ? THEN COALESCE(closed_at, ?) ELSE NULL END,"
        " version = version + 1 WHERE id = ? AND version = ? RETURNING *",
        (
            new_definition_version_id,
            change.state,
            change.category,
            change.department,
            change.assignee_role,
            change.assignee_user,
            json_text(change.vars),
            json_text(dict(data)),
            search_text,
            time_text(now),
            change.closed,
            time_text(now),
            ticket_id,
            expected_version,
        ),
    )
    if row is None:
        raise VersionConflict(before.version)
    ticket = ticket_from_row(row)
    # The ticket's history is not rewritten: the migration is one more event, sealed in the chain,
    # stamped with the version the ticket now runs on.
    event_id = await append_events(conn, key, ticket_id, [event], now=now)
    if (ticket.department, ticket.assignee_role, ticket.assignee_user) != (
        before.department,
        before.assignee_role,
        before.assignee_user,
    ):
        await record_assignment(conn, ticket, event_id, now=now)
    await sqlite_outbox.cancel_pending_timers(conn, ticket_id)
    await sqlite_outbox.insert_timers(conn, ticket_id, timers)
    return ticket


class SQLiteDraftsMixin:
    """The drafts and ticket moves of ``DefinitionsStore`` (``interface_definitions``) on the store's
    connections (a base of ``SQLiteStore``)."""

    _writer: Writer
    _reader: aiosqlite.Connection
    _scans: aiosqlite.Connection
    _audit_key: bytes

    async def save_draft(
        self, service_id: str, files: Mapping[str, str], *, by: str | None, now: datetime
    ) -> Draft:
        return await self._writer.run(lambda conn: save(conn, service_id, files, by=by, now=now))

    async def get_draft(self, service_id: str) -> Draft | None:
        return await get(self._reader, service_id)

    async def list_drafts(self) -> list[Draft]:
        return await list_all(self._reader)

    async def delete_draft(self, service_id: str) -> None:
        await self._writer.run(lambda conn: delete(conn, service_id))

    async def open_tickets_on(self, definition_version_id: int) -> list[Ticket]:
        return await open_tickets(self._scans, definition_version_id)

    async def migrate_ticket(
        self,
        ticket_id: int,
        expected_version: int,
        new_definition_version_id: int,
        change: TicketChange,
        event: NewEvent,
        *,
        data: Mapping[str, Any],
        timers: Sequence[NewTimer],
        search_text: str | None = None,
        now: datetime,
    ) -> Ticket:
        return await self._writer.run(
            lambda conn: migrate_ticket(
                conn,
                ticket_id,
                expected_version,
                new_definition_version_id,
                change,
                event,
                data=data,
                timers=timers,
                search_text=search_text,
                now=now,
                key=self._audit_key,
            )
        )
