"""The transactional outbox and ticket timers, PostgreSQL side (``sqlite_outbox``' contract).

Several processes may dispatch at once: ``claim_outbox`` picks its rows with ``FOR UPDATE SKIP
LOCKED``, so two dispatchers never claim one message — each takes the due rows no other has locked,
and a row another claimed meanwhile no longer matches ``status IN ('pending', 'failed')``. A timer
fires once: ``fire_timer`` turns it from ``pending`` to ``fired`` inside the ticket's transaction (the
ticket row locked), and a second firing finds it no longer pending (``NotFound``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import msgspec

from server.store.interface import SENDING_LEASE, NotFound
from server.store.postgres_codec import Conn, PgBase, Row, execute, execute_many, fetch_all, fetch_one, moment
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

_NOT_COLUMNS = frozenset({"attachments", "thread"})
"""The fields of ``OutboxMessage`` that are no column of ``outbox``."""


def message_from_row(row: Row) -> OutboxMessage:
    return OutboxMessage(
        **{name: row[name] for name in OutboxMessage.__struct_fields__ if name not in _NOT_COLUMNS}
    )


async def _with_attachments(conn: Conn, messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """The messages with their files (a report's e-mail); most messages have none."""
    if not messages:
        return messages
    rows = await fetch_all(
        conn,
        "SELECT message_id, filename, content_type, content FROM outbox_attachments"
        " WHERE message_id = ANY(%s) ORDER BY message_id, position",
        ([m.id for m in messages],),
    )
    files: dict[int, list[MailAttachment]] = {}
    for r in rows:
        files.setdefault(int(r["message_id"]), []).append(
            MailAttachment(
                filename=r["filename"], content_type=r["content_type"], content=bytes(r["content"])
            )
        )
    return [
        msgspec.structs.replace(m, attachments=tuple(files[m.id])) if m.id in files else m for m in messages
    ]


def timer_from_row(row: Row) -> Timer:
    return Timer(**{name: row[name] for name in Timer.__struct_fields__})


async def insert_messages(
    conn: Conn, ticket_id: int, event_id: int, messages: Sequence[NewMessage], *, now: datetime
) -> None:
    at = moment(now)
    await execute_many(
        conn,
        "INSERT INTO outbox (ticket_id, event_id, created_at, channel, recipient, template, language,"
        " subject, body, status, attempts, next_attempt_at, gateway_request_id, updated_at, last_error)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, %s)",
        [message_row(ticket_id, event_id, at, m) for m in messages],
    )


async def insert_timers(conn: Conn, ticket_id: int, timers: Sequence[NewTimer]) -> None:
    await execute_many(
        conn,
        "INSERT INTO timers (ticket_id, timer, state, due_at, status) VALUES (%s, %s, %s, %s, 'pending')",
        [(ticket_id, t.timer, t.state, moment(t.due_at)) for t in timers],
    )


async def cancel_pending_timers(conn: Conn, ticket_id: int) -> None:
    await execute(
        conn,
        "UPDATE timers SET status = 'cancelled' WHERE ticket_id = %s AND status = 'pending'",
        (ticket_id,),
    )


async def fire_timer(conn: Conn, ticket_id: int, timer_id: int) -> None:
    row = await fetch_one(
        conn,
        "UPDATE timers SET status = 'fired' WHERE id = %s AND ticket_id = %s AND status = 'pending' RETURNING id",
        (timer_id, ticket_id),
    )
    if row is None:
        raise NotFound(f"ticket {ticket_id} has no pending timer {timer_id}")


async def _claim(
    conn: Conn, now: datetime, limit: int, channels: Sequence[str] | None
) -> list[OutboxMessage]:
    rows = await fetch_all(
        conn,
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, updated_at = %(at)s"
        " WHERE id IN (SELECT id FROM outbox WHERE status IN ('pending', 'failed')"
        " AND next_attempt_at <= %(at)s AND (%(all)s OR channel = ANY(%(channels)s))"
        " ORDER BY next_attempt_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
        " RETURNING *",
        {"at": moment(now), "limit": limit, "all": channels is None, "channels": list(channels or ())},
    )
    claimed = sorted((message_from_row(row) for row in rows), key=lambda m: (m.next_attempt_at, m.id))
    return await _with_attachments(conn, claimed)


class PgOutboxMixin(PgBase):
    async def claim_outbox(
        self, *, now: datetime, limit: int, channels: Sequence[str] | None = None
    ) -> list[OutboxMessage]:
        if channels is not None and not channels:
            return []
        return await self._write(lambda conn: _claim(conn, now, limit, channels))

    async def mark_sent(self, message_id: int, *, now: datetime) -> None:
        at = moment(now)
        row = await self._write(
            lambda conn: fetch_one(
                conn,
                "UPDATE outbox SET status = 'sent', sent_at = %s, last_error = NULL, updated_at = %s"
                " WHERE id = %s RETURNING id",
                (at, at, message_id),
            )
        )
        if row is None:
            raise NotFound(f"no outbox message {message_id}")

    async def mark_failed(
        self, message_id: int, *, now: datetime, error: str, retry_at: datetime | None
    ) -> None:
        status: OutboxStatus = "dead" if retry_at is None else "failed"
        params = (status, error, moment(now), None if retry_at is None else moment(retry_at), message_id)
        row = await self._write(
            lambda conn: fetch_one(
                conn,
                "UPDATE outbox SET status = %s, last_error = %s, updated_at = %s,"
                " next_attempt_at = COALESCE(%s, next_attempt_at) WHERE id = %s RETURNING id",
                params,
            )
        )
        if row is None:
            raise NotFound(f"no outbox message {message_id}")

    async def list_outbox(
        self, ticket_id: int | None = None, status: OutboxStatus | None = None
    ) -> list[OutboxMessage]:
        sql = "SELECT * FROM outbox WHERE TRUE"
        params: list[object] = []
        if ticket_id is not None:
            sql += " AND ticket_id = %s"
            params.append(ticket_id)
        if status is not None:
            sql += " AND status = %s"
            params.append(status)
        return [message_from_row(row) for row in await self._all(sql + " ORDER BY id", params)]

    async def page_outbox(
        self, statuses: Sequence[OutboxStatus], *, offset: int, limit: int
    ) -> list[OutboxMessage]:
        rows = await self._all(
            "SELECT * FROM outbox WHERE status = ANY(%s) ORDER BY id DESC LIMIT %s OFFSET %s",
            (list(statuses), limit, offset),
        )
        return [message_from_row(row) for row in rows]

    async def count_outbox(self, *, undeliverable: Sequence[str] = ()) -> dict[tuple[str, str], int]:
        rows = await self._all(
            "SELECT channel, CASE WHEN status = 'dead' AND EXISTS (SELECT 1 FROM unnest(%s::text[]) AS mark"
            " WHERE starts_with(last_error, mark)) THEN 'undeliverable' ELSE status END AS kind,"
            " count(*) AS n FROM outbox WHERE status IN ('pending', 'sending', 'failed', 'dead') GROUP BY 1, 2",
            (list(undeliverable),),
        )
        return {(row["channel"], row["kind"]): row["n"] for row in rows}

    async def retry_outbox(self, message_id: int, *, now: datetime) -> bool:
        at = moment(now)
        row = await self._write(
            lambda conn: fetch_one(
                conn,
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = %s, updated_at = %s"
                " WHERE id = %s AND status = 'dead' AND recipient != '' RETURNING id",
                (at, at, message_id),
            )
        )
        return row is not None

    async def requeue_sending(self, *, now: datetime, older_than: timedelta = SENDING_LEASE) -> int:
        at = moment(now)
        return await self._write(
            lambda conn: execute(
                conn,
                "UPDATE outbox SET status = 'pending', updated_at = %s WHERE status = 'sending' AND updated_at <= %s",
                (at, at - older_than),
            )
        )

    async def due_timers(self, *, now: datetime) -> list[Timer]:
        rows = await self._all(
            "SELECT * FROM timers WHERE status = 'pending' AND due_at <= %s ORDER BY due_at, id",
            (moment(now),),
        )
        return [timer_from_row(row) for row in rows]

    async def set_timer_status(self, timer_id: int, status: TimerStatus) -> None:
        async def work(conn: Conn) -> Row | None:
            # the ticket row first, as a ticket transaction takes it: the due-time trigger (pg 0005)
            # locks it after the timer, and two orders of the same two locks could deadlock
            await execute(
                conn,
                "SELECT 1 FROM tickets WHERE id = (SELECT ticket_id FROM timers WHERE id = %s) FOR UPDATE",
                (timer_id,),
            )
            return await fetch_one(
                conn, "UPDATE timers SET status = %s WHERE id = %s RETURNING id", (status, timer_id)
            )

        row = await self._write(work)
        if row is None:
            raise NotFound(f"no timer {timer_id}")
