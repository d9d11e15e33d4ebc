"""The audit chain, SQLite side: seals computed in the transaction that inserts the events, the
verification of every chain, and the sealing of events from before the chain (``khidma audit``).

The key is handed in by the caller (``SQLiteStore`` holds it in memory, from the settings); it is
never written to the database. See ``server/audit/chain.py`` for the format.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

import aiosqlite

from server.audit.chain import CHAIN_VERSION, Break, check_event, seal, sealed_values
from server.store.sqlite_codec import fetch_all, fetch_one, time_text
from server.store.sqlite_connection import Writer


async def seal_event(conn: aiosqlite.Connection, key: bytes, event_id: int, prev_mac: str | None) -> str:
    """Seal the (just inserted, unsealed) event ``event_id`` after ``prev_mac``; returns its seal."""
    row = await fetch_one(conn, "SELECT * FROM events WHERE id = ?", (event_id,))
    assert row is not None
    sealed = seal(key, sealed_values(row), prev_mac)
    await conn.execute(
        "UPDATE events SET mac = ?, chain_version = ?, field_tags = ? WHERE id = ?",
        (sealed.mac, CHAIN_VERSION, sealed.tags_text(), event_id),
    )
    return sealed.mac


async def chain_head(
    conn: aiosqlite.Connection, key: bytes, ticket_id: int, *, now: datetime
) -> tuple[int, str | None]:
    """The seq and seal of the ticket's last event (0, None without one), for the next event to chain
    to. Events from before the chain are sealed first (and that is recorded), so a new event never
    follows an unsealed one."""
    query = "SELECT seq, mac FROM events WHERE ticket_id = ? ORDER BY seq DESC LIMIT 1"
    last = await fetch_one(conn, query, (ticket_id,))
    if last is None:
        return 0, None
    if last["mac"] is None:
        sealed = await _seal_ticket(conn, key, ticket_id)
        await _log(
            conn, now, "sealed on write", "a new event followed events from before the chain", 1, sealed
        )
        last = await fetch_one(conn, query, (ticket_id,))
        assert last is not None
    return int(last["seq"]), str(last["mac"])


async def _seal_ticket(conn: aiosqlite.Connection, key: bytes, ticket_id: int) -> int:
    """Seal the unsealed events of one ticket in seq order; returns how many."""
    rows = await fetch_all(conn, "SELECT * FROM events WHERE ticket_id = ? ORDER BY seq", (ticket_id,))
    prev: str | None = None
    count = 0
    for row in rows:
        if row["mac"] is None:
            prev = await seal_event(conn, key, int(row["id"]), prev)
            count += 1
        else:
            prev = str(row["mac"])
    return count


async def _log(
    conn: aiosqlite.Connection, now: datetime, action: str, reason: str, tickets: int, events: int
) -> None:
    await conn.execute(
        "INSERT INTO audit_chain_log (at, action, reason, tickets, events) VALUES (?, ?, ?, ?, ?)",
        (time_text(now), action, reason, tickets, events),
    )


async def rechain(conn: aiosqlite.Connection, key: bytes, *, reason: str, now: datetime) -> tuple[int, int]:
    """Seal every event not sealed yet (events from before the chain), ticket by ticket; a sealed
    event is never resealed. Records the run; returns (tickets, events) sealed."""
    rows = await fetch_all(conn, "SELECT DISTINCT ticket_id FROM events WHERE mac IS NULL ORDER BY ticket_id")
    events = 0
    for row in rows:
        events += await _seal_ticket(conn, key, int(row["ticket_id"]))
    await _log(conn, now, "rechain", reason, len(rows), events)
    return len(rows), events


async def verify(conn: aiosqlite.Connection, key: bytes) -> tuple[int, int, list[Break]]:
    """Check every ticket's chain: (tickets, events checked, the first break of each broken chain)."""
    tickets = 0
    events = 0
    breaks: list[Break] = []
    current: int | None = None
    number = ""
    prev: str | None = None
    expected_seq = 1
    broken = False
    cursor = await conn.execute(
        "SELECT events.*, tickets.number AS ticket_number FROM events"
        " JOIN tickets ON tickets.id = events.ticket_id ORDER BY events.ticket_id, events.seq"
    )
    async for row in cursor:
        assert isinstance(row, sqlite3.Row)
        if row["ticket_id"] != current:
            current, number, prev, expected_seq, broken = (
                int(row["ticket_id"]),
                row["ticket_number"],
                None,
                1,
                False,
            )
            tickets += 1
        events += 1
        if broken:
            continue
        found = check_event(key, row, prev, number=number, expected_seq=expected_seq)
        if found is not None:
            breaks.append(found)
            broken = True
            continue
        prev = str(row["mac"])
        expected_seq += 1
    await cursor.close()
    return tickets, events, breaks


async def chain_log(conn: aiosqlite.Connection) -> list[sqlite3.Row]:
    return await fetch_all(conn, "SELECT * FROM audit_chain_log ORDER BY id")


class SQLiteAuditMixin:
    """``AuditStore`` (``interface_audit``) on the store's connections, under its key (a base of
    ``SQLiteStore``)."""

    _writer: Writer
    _scans: aiosqlite.Connection
    _audit_key: bytes

    async def verify_event_chains(self) -> tuple[int, int, list[Break]]:
        return await verify(self._scans, self._audit_key)

    async def rechain_events(self, *, reason: str, now: datetime) -> tuple[int, int]:
        return await self._writer.run(lambda conn: rechain(conn, self._audit_key, reason=reason, now=now))

    async def audit_chain_log(self) -> list[dict[str, Any]]:
        return [dict(row) for row in await chain_log(self._scans)]
