"""The transactional outbox and ticket timers, SQLite side.

Outbox life cycle: ``pending`` → (claim) ``sending`` → ``sent``; a failed attempt goes to ``failed``
with a ``next_attempt_at`` (claimed again when due) or, with no retry left, to ``dead``. A message
left ``sending`` by a crash goes back to ``pending`` when the store is opened. The
``gateway_request_id`` is generated once, at insert, so every attempt of one message carries the same
id and a gateway that deduplicates on it never delivers it twice.

The write functions run inside the caller's transaction (``SQLiteStore._write``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

import aiosqlite
import msgspec

from server.store.interface import SENDING_LEASE, NotFound
from server.store.records import (
    MailAttachment,
    NewMessage,
    NewTimer,
    OutboxMessage,
    OutboxStatus,
    Timer,
    TimerStatus,
)
from server.store.row_values import message_row
from server.store.sqlite_codec import fetch_all, fetch_one, maybe_parse_time, parse_time, time_text
from server.store.sqlite_connection import Writer
from server.store.sqlite_ticket_rows import OUTBOX_INSERT

# --- outbox -------------------------------------------------------------------------------


def message_from_row(row: sqlite3.Row) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        ticket_id=row["ticket_id"],
        event_id=row["event_id"],
        created_at=parse_time(row["created_at"]),
        channel=row["channel"],
        recipient=row["recipient"],
        template=row["template"],
        language=row["language"],
        subject=row["subject"],
        body=row["body"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=parse_time(row["next_attempt_at"]),
        gateway_request_id=row["gateway_request_id"],
        sent_at=maybe_parse_time(row["sent_at"]),
        last_error=row["last_error"],
        updated_at=parse_time(row["updated_at"]),
        html=row["html"],
    )


async def _with_attachments(conn: aiosqlite.Connection, message: OutboxMessage) -> OutboxMessage:
    """The message with its files (a report's e-mail); most messages have none."""
    rows = await fetch_all(
        conn,
        "SELECT filename, content_type, content FROM outbox_attachments WHERE message_id = ? ORDER BY position",
        (message.id,),
    )
    if not rows:
        return message
    files = tuple(
        MailAttachment(filename=r["filename"], content_type=r["content_type"], content=bytes(r["content"]))
        for r in rows
    )
    return msgspec.structs.replace(message, attachments=files)


async def insert_messages(
    conn: aiosqlite.Connection,
    ticket_id: int,
    event_id: int,
    messages: Sequence[NewMessage],
    *,
    now: datetime,
) -> None:
    at = time_text(now)
    await conn.executemany(OUTBOX_INSERT, [message_row(ticket_id, event_id, at, m) for m in messages])


async def claim(
    conn: aiosqlite.Connection, *, now: datetime, limit: int, channels: Sequence[str] | None = None
) -> list[OutboxMessage]:
    if channels is not None and not channels:
        return []
    at = time_text(now)
    rows = await fetch_all(
        conn,
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, updated_at = ?1"
        " WHERE id IN (SELECT id FROM outbox WHERE status IN ('pending', 'failed')"
        " AND next_attempt_at <= ?1"
        " AND (?3 IS NULL OR channel IN (SELECT value FROM json_each(?3)))"
        " ORDER BY next_attempt_at, id LIMIT ?2)"
        " RETURNING *",
        (at, limit, None if channels is None else json.dumps(list(channels))),
    )
    claimed = sorted((message_from_row(row) for row in rows), key=lambda m: (m.next_attempt_at, m.id))
    return [await _with_attachments(conn, m) for m in claimed]


async def mark_sent(conn: aiosqlite.Connection, message_id: int, *, now: datetime) -> None:
    at = time_text(now)
    row = await fetch_one(
        conn,
        "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL, updated_at = ?"
        " WHERE id = ? RETURNING id",
        (at, at, message_id),
    )
    if row is None:
        raise NotFound(f"no outbox message {message_id}")


async def mark_failed(
    conn: aiosqlite.Connection, message_id: int, *, now: datetime, error: str, retry_at: datetime | None
) -> None:
    status: OutboxStatus = "dead" if retry_at is None else "failed"
    row = await fetch_one(
        conn,
        "UPDATE outbox SET status = ?, last_error = ?, updated_at = ?,"
        " next_attempt_at = COALESCE(?, next_attempt_at) WHERE id = ? RETURNING id",
        (status, error, time_text(now), None if retry_at is None else time_text(retry_at), message_id),
    )
    if row is None:
        raise NotFound(f"no outbox message {message_id}")


async def retry(conn: aiosqlite.Connection, message_id: int, *, now: datetime) -> bool:
    at = time_text(now)
    row = await fetch_one(
        conn,
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?1, updated_at = ?1"
        " WHERE id = ?2 AND status = 'dead' AND recipient != '' RETURNING id",
        (at, message_id),
    )
    return row is not None


async def requeue_sending(conn: aiosqlite.Connection, *, now: datetime, older_than: timedelta) -> int:
    """Messages ``sending`` for longer than ``older_than`` (their sender died) go back to ``pending``."""
    rows = await fetch_all(
        conn,
        "UPDATE outbox SET status = 'pending', updated_at = ? WHERE status = 'sending' AND updated_at <= ?"
        " RETURNING id",
        (time_text(now), time_text(now - older_than)),
    )
    return len(rows)


def list_sql(ticket_id: int | None, status: OutboxStatus | None) -> tuple[str, tuple[object, ...]]:
    """The messages of a ticket, of a status, of both or all: only the conditions asked for — a
    ``(? IS NULL OR ticket_id = ?)`` kept SQLite from the indexes, and every staff ticket page read the
    whole outbox, every message ever sent with it. A ticket's come from ``outbox_ticket``; a status's
    from ``outbox_due``, named (:data:`BY_STATUS`)."""
    asked = [(c, v) for c, v in (("ticket_id = ?", ticket_id), ("status = ?", status)) if v is not None]
    where = " AND ".join(c for c, _ in asked) or "1"
    table = f"outbox {BY_STATUS}" if ticket_id is None and status is not None else "outbox"
    return f"SELECT * FROM {table} WHERE {where} ORDER BY id", tuple(v for _, v in asked)  # noqa: S608


def page_sql(statuses: Sequence[OutboxStatus], *, offset: int, limit: int) -> tuple[str, tuple[object, ...]]:
    """A page of the messages of ``statuses``, newest first: the page's ids from ``outbox_due`` alone
    (its entries hold the id), then their rows."""
    marks = ", ".join("?" for _ in statuses) or "NULL"
    return (
        f"SELECT * FROM outbox WHERE id IN (SELECT id FROM outbox {BY_STATUS} WHERE status IN ({marks})"  # noqa: S608
        " ORDER BY id DESC LIMIT ? OFFSET ?) ORDER BY id DESC",
        (*statuses, limit, offset),
    )


async def list_messages(
    conn: aiosqlite.Connection, ticket_id: int | None, status: OutboxStatus | None
) -> list[OutboxMessage]:
    rows = await fetch_all(conn, *list_sql(ticket_id, status))
    return [message_from_row(row) for row in rows]


BY_STATUS = "INDEXED BY outbox_due"
"""The messages of some statuses read through ``outbox_due``, always. ``ANALYZE`` tells SQLite only the
average number of rows per status (a fifth of the outbox), not that nearly all of them are ``sent``: it
then walked the whole table (130–230 ms at 400,000 messages, for a few thousand unsent) rather than the
index (``bench/bench_outbox_reads.py``)."""

COUNT_UNSENT = (
    "SELECT channel, CASE WHEN status = 'dead' AND EXISTS (SELECT 1 FROM json_each(?) AS mark"  # noqa: S608 (constant clauses)
    " WHERE substr(o.last_error, 1, length(mark.value)) = mark.value) THEN 'undeliverable' ELSE status END"
    f" AS kind, count(*) AS n FROM outbox AS o {BY_STATUS}"
    " WHERE status IN ('pending', 'sending', 'failed', 'dead') GROUP BY 1, 2"
)
"""The unsent messages by channel and status (the sent ones are not read)."""


async def count_messages(
    conn: aiosqlite.Connection, undeliverable: Sequence[str]
) -> dict[tuple[str, str], int]:
    rows = await fetch_all(conn, COUNT_UNSENT, (json.dumps(list(undeliverable)),))
    return {(row["channel"], row["kind"]): row["n"] for row in rows}


# --- timers -------------------------------------------------------------------------------


def timer_from_row(row: sqlite3.Row) -> Timer:
    return Timer(
        id=row["id"],
        ticket_id=row["ticket_id"],
        timer=row["timer"],
        state=row["state"],
        due_at=parse_time(row["due_at"]),
        status=row["status"],
    )


async def insert_timers(conn: aiosqlite.Connection, ticket_id: int, timers: Sequence[NewTimer]) -> None:
    await conn.executemany(
        "INSERT INTO timers (ticket_id, timer, state, due_at, status) VALUES (?, ?, ?, ?, 'pending')",
        [(ticket_id, t.timer, t.state, time_text(t.due_at)) for t in timers],
    )


async def cancel_pending_timers(conn: aiosqlite.Connection, ticket_id: int) -> None:
    await conn.execute(
        "UPDATE timers SET status = 'cancelled' WHERE ticket_id = ? AND status = 'pending'", (ticket_id,)
    )


async def fire_timer(conn: aiosqlite.Connection, ticket_id: int, timer_id: int) -> None:
    row = await fetch_one(
        conn,
        "UPDATE timers SET status = 'fired' WHERE id = ? AND ticket_id = ? AND status = 'pending' RETURNING id",
        (timer_id, ticket_id),
    )
    if row is None:
        raise NotFound(f"ticket {ticket_id} has no pending timer {timer_id}")


async def set_timer_status(conn: aiosqlite.Connection, timer_id: int, status: TimerStatus) -> None:
    row = await fetch_one(conn, "UPDATE timers SET status = ? WHERE id = ? RETURNING id", (status, timer_id))
    if row is None:
        raise NotFound(f"no timer {timer_id}")


async def due_timers(conn: aiosqlite.Connection, *, now: datetime) -> list[Timer]:
    rows = await fetch_all(
        conn,
        "SELECT * FROM timers WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, id",
        (time_text(now),),
    )
    return [timer_from_row(row) for row in rows]


class SQLiteOutboxMixin:
    """``OutboxStore`` (``interface_outbox``) on the store's connections (a base of ``SQLiteStore``)."""

    _writer: Writer
    _reader: aiosqlite.Connection
    _scans: aiosqlite.Connection

    async def claim_outbox(
        self, *, now: datetime, limit: int, channels: Sequence[str] | None = None
    ) -> list[OutboxMessage]:
        return await self._writer.run(lambda conn: claim(conn, now=now, limit=limit, channels=channels))

    async def mark_sent(self, message_id: int, *, now: datetime) -> None:
        await self._writer.run(lambda conn: mark_sent(conn, message_id, now=now))

    async def mark_failed(
        self, message_id: int, *, now: datetime, error: str, retry_at: datetime | None
    ) -> None:
        await self._writer.run(
            lambda conn: mark_failed(conn, message_id, now=now, error=error, retry_at=retry_at)
        )

    async def retry_outbox(self, message_id: int, *, now: datetime) -> bool:
        return await self._writer.run(lambda conn: retry(conn, message_id, now=now))

    async def list_outbox(
        self, ticket_id: int | None = None, status: OutboxStatus | None = None
    ) -> list[OutboxMessage]:
        return await list_messages(self._reader, ticket_id, status)

    async def page_outbox(
        self, statuses: Sequence[OutboxStatus], *, offset: int, limit: int
    ) -> list[OutboxMessage]:
        rows = await fetch_all(self._reader, *page_sql(statuses, offset=offset, limit=limit))
        return [message_from_row(row) for row in rows]

    async def count_outbox(self, *, undeliverable: Sequence[str] = ()) -> dict[tuple[str, str], int]:
        return await count_messages(self._scans, undeliverable)

    async def requeue_sending(self, *, now: datetime, older_than: timedelta = SENDING_LEASE) -> int:
        return await self._writer.run(lambda conn: requeue_sending(conn, now=now, older_than=older_than))

    async def due_timers(self, *, now: datetime) -> list[Timer]:
        return await due_timers(self._reader, now=now)

    async def set_timer_status(self, timer_id: int, status: TimerStatus) -> None:
        await self._writer.run(lambda conn: set_timer_status(conn, timer_id, status))
