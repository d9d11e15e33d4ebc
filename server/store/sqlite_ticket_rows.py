"""The rows a ticket transaction writes, on the writer's thread (``Writer.run_sync``): the next ticket
number, the audit chain's head, the sealed events, the outbox rows and the timers. Plain ``sqlite3``
calls, so a whole transaction is one job on that thread (``sqlite_tickets.create_ticket`` and
``apply_change`` call these)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime

from server.audit.chain import CHAIN_VERSION, seal, sealed_values
from server.store.records import NewEvent, NewMessage, NewTimer
from server.store.row_values import message_row
from server.store.sqlite_codec import json_text, time_text


def one(conn: sqlite3.Connection, sql: str, params: Sequence[object] = ()) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(sql, params).fetchone()
    return row


def next_number_sync(conn: sqlite3.Connection, now: datetime) -> str:
    """``YYYY-NNNNNN`` from the per-year counter; the year is ``now``'s, in the zone it carries."""
    row = one(
        conn,
        "INSERT INTO ticket_counters (year, last) VALUES (?, 1)"
        " ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
        (now.year,),
    )
    assert row is not None
    return f"{now.year:04d}-{row['last']:06d}"


def chain_head_sync(
    conn: sqlite3.Connection, key: bytes, ticket_id: int, *, now: datetime
) -> tuple[int, str | None]:
    """``sqlite_audit.chain_head`` on the writer's thread: the seq and seal of the ticket's last event;
    events from before the chain are sealed first (and that is recorded)."""
    query = "SELECT seq, mac FROM events WHERE ticket_id = ? ORDER BY seq DESC LIMIT 1"
    last = one(conn, query, (ticket_id,))
    if last is None:
        return 0, None
    if last["mac"] is None:
        prev: str | None = None
        count = 0
        for row in conn.execute(
            "SELECT * FROM events WHERE ticket_id = ? ORDER BY seq", (ticket_id,)
        ).fetchall():
            if row["mac"] is None:
                sealed = seal(key, sealed_values(row), prev)
                conn.execute(
                    "UPDATE events SET mac = ?, chain_version = ?, field_tags = ? WHERE id = ?",
                    (sealed.mac, CHAIN_VERSION, sealed.tags_text(), row["id"]),
                )
                prev = sealed.mac
                count += 1
            else:
                prev = str(row["mac"])
        conn.execute(
            "INSERT INTO audit_chain_log (at, action, reason, tickets, events) VALUES (?, ?, ?, ?, ?)",
            (
                time_text(now),
                "sealed on write",
                "a new event followed events from before the chain",
                1,
                count,
            ),
        )
        last = one(conn, query, (ticket_id,))
        assert last is not None
    return int(last["seq"]), str(last["mac"])


def event_values(ticket_id: int, seq: int, event: NewEvent, version_id: int | None) -> dict[str, object]:
    """An event's columns as sealed; ``version_id``: the definition version its ticket runs on (0010)."""
    return {
        "ticket_id": ticket_id,
        "seq": seq,
        "at": time_text(event.at),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "actor_department": event.actor_department,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "data": json_text(event.data),
        "visibility": event.visibility,
        "kind": event.kind,
        "definition_version_id": version_id,
    }


def append_events_sync(
    conn: sqlite3.Connection,
    key: bytes,
    ticket_id: int,
    events: Sequence[NewEvent],
    *,
    now: datetime,
    version_id: int | None,
) -> int:
    """``append_events`` on the writer's thread; returns the last event's id. ``version_id``: the
    definition version the ticket runs on (the caller has just written its row), which each event
    records and seals (0010)."""
    last_seq, prev_mac = chain_head_sync(conn, key, ticket_id, now=now)
    return insert_sealed_events(conn, key, ticket_id, events, last_seq, prev_mac, version_id)


def insert_sealed_events(
    conn: sqlite3.Connection,
    key: bytes,
    ticket_id: int,
    events: Sequence[NewEvent],
    last_seq: int,
    prev_mac: str | None,
    version_id: int | None,
) -> int:
    """The events after the chain's head (``last_seq``, ``prev_mac``), sealed; the last one's id. A new
    ticket's first events start at (0, None) and know its version: no read before them."""
    last_id = 0
    for seq, event in enumerate(events, start=last_seq + 1):
        values = event_values(ticket_id, seq, event, version_id)
        sealed = seal(key, sealed_values(values), prev_mac)
        cursor = conn.execute(
            "INSERT INTO events (ticket_id, seq, at, actor_id, actor_name, actor_department, action,"
            " from_state, to_state, data, visibility, kind, definition_version_id, mac, chain_version,"
            " field_tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*values.values(), sealed.mac, CHAIN_VERSION, sealed.tags_text()),
        )
        last_id = int(cursor.lastrowid or 0)
        prev_mac = sealed.mac
    return last_id


OUTBOX_INSERT = (
    "INSERT INTO outbox (ticket_id, event_id, created_at, channel, recipient, template, language,"
    " subject, body, status, attempts, next_attempt_at, gateway_request_id, updated_at, last_error)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)"
)


def insert_messages(
    conn: sqlite3.Connection, ticket_id: int, event_id: int, messages: Sequence[NewMessage], *, now: datetime
) -> None:
    """The outbox rows (``sqlite_outbox.insert_messages`` on the writer's thread)."""
    if not messages:
        return
    at = time_text(now)
    conn.executemany(OUTBOX_INSERT, [message_row(ticket_id, event_id, at, m) for m in messages])


def insert_timers(conn: sqlite3.Connection, ticket_id: int, timers: Sequence[NewTimer]) -> None:
    if timers:
        conn.executemany(
            "INSERT INTO timers (ticket_id, timer, state, due_at, status) VALUES (?, ?, ?, ?, 'pending')",
            [(ticket_id, t.timer, t.state, time_text(t.due_at)) for t in timers],
        )
