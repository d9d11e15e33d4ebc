"""The audit chain, PostgreSQL side: the same seals as ``sqlite_audit`` (``server/audit/chain.py``'s
pure functions), over the same values — the time as the SQLite store's ISO text, the data as the JSON
text written — so a chain verifies the same on either backend.

The seal of a ticket's next event depends on its last one: every writer appending events holds the
ticket's row lock (``SELECT … FOR UPDATE``) first, so two processes never chain to the same event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.audit.chain import CHAIN_VERSION, Break, check_event, seal, sealed_values
from server.store.postgres_codec import Conn, PgBase, Row, execute, fetch_all, fetch_one, moment
from server.store.sqlite_codec import time_text

# The event columns as the chain reads them: ``at`` and ``data`` as the text that was sealed.
EVENT_CHAIN_COLUMNS = (
    "id, ticket_id, seq, kind, action, actor_id, actor_name, actor_department, from_state, to_state,"
    " visibility, at, data::text AS data, definition_version_id, mac, chain_version, field_tags"
)


def chain_row(row: Row) -> dict[str, Any]:
    """A PostgreSQL event row as the chain reads it (``at`` as the SQLite store's text)."""
    return {**row, "at": time_text(row["at"])}


async def seal_event(conn: Conn, key: bytes, row: Row, prev_mac: str | None) -> str:
    """Seal the unsealed event ``row`` (read with ``EVENT_CHAIN_COLUMNS``) after ``prev_mac``."""
    sealed = seal(key, sealed_values(chain_row(row)), prev_mac)
    await execute(
        conn,
        "UPDATE events SET mac = %s, chain_version = %s, field_tags = %s WHERE id = %s",
        (sealed.mac, CHAIN_VERSION, sealed.tags_text(), row["id"]),
    )
    return sealed.mac


async def chain_head(conn: Conn, key: bytes, ticket_id: int, *, now: datetime) -> tuple[int, str | None]:
    """The seq and seal of the ticket's last event (0, None without one); events from before the
    chain are sealed first (and that is recorded). The caller holds the ticket's row lock."""
    query = "SELECT seq, mac FROM events WHERE ticket_id = %s ORDER BY seq DESC LIMIT 1"
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


async def _seal_ticket(conn: Conn, key: bytes, ticket_id: int) -> int:
    rows = await fetch_all(
        conn, f"SELECT {EVENT_CHAIN_COLUMNS} FROM events WHERE ticket_id = %s ORDER BY seq", (ticket_id,)
    )
    prev: str | None = None
    count = 0
    for row in rows:
        if row["mac"] is None:
            prev = await seal_event(conn, key, row, prev)
            count += 1
        else:
            prev = str(row["mac"])
    return count


async def _log(conn: Conn, now: datetime, action: str, reason: str, tickets: int, events: int) -> None:
    await execute(
        conn,
        "INSERT INTO audit_chain_log (at, action, reason, tickets, events) VALUES (%s, %s, %s, %s, %s)",
        (moment(now), action, reason, tickets, events),
    )


async def rechain(conn: Conn, key: bytes, *, reason: str, now: datetime) -> tuple[int, int]:
    rows = await fetch_all(conn, "SELECT DISTINCT ticket_id FROM events WHERE mac IS NULL ORDER BY ticket_id")
    events = 0
    for row in rows:
        ticket_id = int(row["ticket_id"])
        await execute(conn, "SELECT 1 FROM tickets WHERE id = %s FOR UPDATE", (ticket_id,))
        events += await _seal_ticket(conn, key, ticket_id)
    await _log(conn, now, "rechain", reason, len(rows), events)
    return len(rows), events


async def verify(conn: Conn, key: bytes) -> tuple[int, int, list[Break]]:
    """Check every ticket's chain, streaming the events in (ticket, seq) order."""
    tickets = events = 0
    breaks: list[Break] = []
    current: int | None = None
    number = ""
    prev: str | None = None
    expected_seq = 1
    broken = False
    columns = ", ".join(f"e.{c.strip()}" for c in EVENT_CHAIN_COLUMNS.split(","))
    async with conn.cursor() as cursor:
        names: list[str] = []
        async for values in cursor.stream(
            f"SELECT {columns}, t.number AS ticket_number FROM events e"
            " JOIN tickets t ON t.id = e.ticket_id ORDER BY e.ticket_id, e.seq"
        ):
            if not names:
                names = [c.name for c in cursor.description or ()]
            row = chain_row(dict(zip(names, values, strict=True)))
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
    return tickets, events, breaks


class PgAuditMixin(PgBase):
    async def verify_event_chains(self) -> tuple[int, int, list[Break]]:
        async with self._pool.connection() as conn, conn.transaction():  # one snapshot for the stream
            return await verify(conn, self._audit_key)

    async def rechain_events(self, *, reason: str, now: datetime) -> tuple[int, int]:
        return await self._write(lambda conn: rechain(conn, self._audit_key, reason=reason, now=now))

    async def audit_chain_log(self) -> list[dict[str, Any]]:
        rows = await self._all(
            "SELECT id, at, action, reason, tickets, events FROM audit_chain_log ORDER BY id"
        )
        return [{**row, "at": time_text(row["at"])} for row in rows]
