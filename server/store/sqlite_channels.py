"""The channels' queries, SQLite side (``interface_channels.py``): the conversation of a ticket's mail,
and the customer-service replies log read from the outbox and the events (no table of its own)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiosqlite

from server.store.interface_channels import ReplyQuery, ReplyRow
from server.store.sqlite_codec import fetch_all, json_text, maybe_parse_time, parse_time, time_text

_REPLIES = """
SELECT o.id AS outbox_id, o.ticket_id, t.number, e.at, e.actor_name, e.action, o.recipient, o.subject,
       o.body, o.status, o.sent_at, o.event_id, o.template,
       json_extract(e.data, '$.reply') AS reply,
       (SELECT json_extract(s.data, '$."' || c.value || '"')
          FROM events s JOIN json_each(:class_fields) c ON c.key = s.action
         WHERE s.ticket_id = e.ticket_id AND s.seq < e.seq
         ORDER BY s.seq DESC LIMIT 1) AS klass
  FROM outbox o
  JOIN events e ON e.id = o.event_id
  JOIN tickets t ON t.id = o.ticket_id
  JOIN json_each(:templates) r ON r.key = e.action AND r.value = o.template
 WHERE t.service_id = :service
   AND o.id = (SELECT min(f.id) FROM outbox f
                WHERE f.ticket_id = o.ticket_id AND f.event_id = o.event_id AND f.template = o.template)
   AND (:start IS NULL OR e.at >= :start)
   AND (:end IS NULL OR e.at < :end)
"""
"""One row per reply: the first outbox row of the reply action's notification is its ``to`` (the
requester); the rows after it, of the same event and template, are its copies (``Notifier.prepare``
resolves ``to`` before ``cc``). The class is the one recorded by the latest sorting event before it."""

_MATCHING = "(" + _REPLIES + ") WHERE (:klass IS NULL OR klass = :klass)"
_COUNT = "SELECT count(*) AS n FROM " + _MATCHING  # noqa: S608 (constant text, no input)
_PAGE = "SELECT * FROM " + _MATCHING + " ORDER BY at DESC, outbox_id DESC LIMIT :limit OFFSET :offset"  # noqa: S608


async def _named(conn: aiosqlite.Connection, sql: str, params: Mapping[str, Any]) -> list[sqlite3.Row]:
    return list(await conn.execute_fetchall(sql, params))


def _params(query: ReplyQuery) -> dict[str, Any]:
    return {
        "service": query.service_id,
        "templates": json_text(dict(query.templates)),
        "class_fields": json_text(dict(query.class_fields)),
        "start": time_text(query.start) if query.start is not None else None,
        "end": time_text(query.end) if query.end is not None else None,
        "klass": query.klass,
    }


def _row(row: sqlite3.Row, copies: tuple[str, ...]) -> ReplyRow:
    return ReplyRow(
        outbox_id=row["outbox_id"],
        ticket_id=row["ticket_id"],
        ticket_number=row["number"],
        at=parse_time(row["at"]),
        representative=row["actor_name"],
        action=row["action"],
        klass=None if row["klass"] is None else str(row["klass"]),
        recipient=row["recipient"],
        copies=copies,
        subject=row["subject"],
        body=row["body"],
        reply=row["reply"] if isinstance(row["reply"], str) else "",
        status=row["status"],
        sent_at=maybe_parse_time(row["sent_at"]),
    )


async def reply_log(conn: aiosqlite.Connection, query: ReplyQuery) -> tuple[list[ReplyRow], int]:
    params = _params(query)
    counted = await _named(conn, _COUNT, params)
    total = int(counted[0]["n"])
    rows = await _named(conn, _PAGE, {**params, "limit": query.limit, "offset": query.offset})
    copies: dict[int, list[str]] = {}
    if rows:
        found = await _named(
            conn,
            "SELECT c.event_id, c.recipient FROM outbox c JOIN json_each(:pairs) p"
            " ON c.event_id = p.value ->> 0 AND c.template = p.value ->> 1 AND c.id > p.value ->> 2"
            " ORDER BY c.id",
            {"pairs": json_text([[r["event_id"], r["template"], r["outbox_id"]] for r in rows])},
        )
        for copy in found:
            copies.setdefault(int(copy["event_id"]), []).append(copy["recipient"])
    return [_row(r, tuple(copies.get(int(r["event_id"]), ()))) for r in rows], total


async def mail_thread(conn: aiosqlite.Connection, ticket_id: int, *, before: datetime) -> list[str]:
    rows = await fetch_all(
        conn,
        "SELECT message_id FROM inbound_messages WHERE ticket_id = ? AND received_at <= ?"
        " ORDER BY received_at, rowid",
        (ticket_id, time_text(before)),
    )
    return [str(r["message_id"]) for r in rows]


class SQLiteChannelsMixin:
    """``ChannelsStore`` for ``SQLiteStore`` (reads only, on the reader connection)."""

    _reader: aiosqlite.Connection

    async def mail_thread(self, ticket_id: int, *, before: datetime) -> list[str]:
        return await mail_thread(self._reader, ticket_id, before=before)

    async def reply_log(self, query: ReplyQuery) -> tuple[list[ReplyRow], int]:
        return await reply_log(self._reader, query)
