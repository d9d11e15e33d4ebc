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

_MATCHING = """
SELECT min(o.id) AS outbox_id, e.at AS at, e.ticket_id AS ticket_id, e.seq AS seq
  FROM tickets t
 CROSS JOIN outbox o ON o.ticket_id = t.id
 CROSS JOIN events e ON e.id = o.event_id
 WHERE t.service_id = :service
   AND (:end IS NULL OR t.created_at < :end)
   AND (e.action || ' ' || o.template) IN (SELECT (value ->> 0) || ' ' || (value ->> 1) FROM json_each(:pairs))
   AND (:start IS NULL OR e.at >= :start)
   AND (:end IS NULL OR e.at < :end)
 GROUP BY o.event_id, o.template
"""
"""One row per reply, walked from the service's tickets (``tickets_service_created``) to their outbox
rows (``outbox_ticket``) and events (primary key): the outbox rows of a reply action's notification
to the requester, the first of each (``Notifier.prepare`` resolves ``to`` before ``cc``: the first is
the requester's, the others its copies)."""

_CLASS = """
(SELECT json_extract(s.data, '$."' || c.value || '"')
   FROM events s JOIN json_each(:class_fields) c ON c.key = s.action
  WHERE s.ticket_id = {of}.ticket_id AND s.seq < {of}.seq
  ORDER BY s.seq DESC LIMIT 1)
"""
"""The class as it stood at the reply: recorded by the latest sorting event before it."""

_CLASSED = (
    "(SELECT m.*, " + _CLASS.format(of="m") + " AS klass FROM (" + _MATCHING + ") m) WHERE klass = :klass"  # noqa: S608
)
_ORDER = " ORDER BY at DESC, outbox_id DESC LIMIT :limit OFFSET :offset"
_PAGE_ALL = "SELECT outbox_id, count(*) OVER () AS total FROM (" + _MATCHING + ")" + _ORDER  # noqa: S608
_PAGE_CLASS = "SELECT outbox_id, count(*) OVER () AS total FROM " + _CLASSED + _ORDER  # noqa: S608
_COUNT_ALL = "SELECT count(*) AS n FROM (" + _MATCHING + ")"  # noqa: S608 (constant text, no input)
_COUNT_CLASS = "SELECT count(*) AS n FROM " + _CLASSED  # noqa: S608 (constant text, no input)
_DETAILS = (
    "SELECT o.id AS outbox_id, o.ticket_id, t.number, e.at, e.actor_name, e.action, o.recipient,"  # noqa: S608
    " o.subject, o.body, o.status, o.sent_at, o.event_id, o.template,"
    " json_extract(e.data, '$.reply') AS reply, "
    + _CLASS.format(of="e")
    + " AS klass FROM json_each(:ids) i CROSS JOIN outbox o ON o.id = i.value"
    " CROSS JOIN events e ON e.id = o.event_id CROSS JOIN tickets t ON t.id = o.ticket_id"
)
_COPIES = (
    "SELECT c.event_id, c.recipient FROM json_each(:pairs) p CROSS JOIN outbox c"
    " ON c.ticket_id = p.value ->> 0 AND c.id > p.value ->> 3"
    " WHERE c.event_id = p.value ->> 1 AND c.template = p.value ->> 2 ORDER BY c.id"
)


async def _named(conn: aiosqlite.Connection, sql: str, params: Mapping[str, Any]) -> list[sqlite3.Row]:
    return list(await conn.execute_fetchall(sql, params))


def _params(query: ReplyQuery) -> dict[str, Any]:
    params: dict[str, Any] = {
        "service": query.service_id,
        "pairs": json_text([[action, template] for action, template in query.templates.items()]),
        "start": time_text(query.start) if query.start is not None else None,
        "end": time_text(query.end) if query.end is not None else None,
    }
    if query.klass is not None:
        params.update(klass=query.klass, class_fields=json_text(dict(query.class_fields)))
    return params


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
    """The page's replies in two steps: which (ids and times only, sorted and counted in one pass;
    the class worked out for every reply only when filtering by it), then their details."""
    params = _params(query)
    classed = query.klass is not None
    page = await _named(
        conn, _PAGE_CLASS if classed else _PAGE_ALL, {**params, "limit": query.limit, "offset": query.offset}
    )
    if not page:  # a page past the end: the count alone
        return [], int((await _named(conn, _COUNT_CLASS if classed else _COUNT_ALL, params))[0]["n"])
    ids = [int(r["outbox_id"]) for r in page]
    found = await _named(
        conn, _DETAILS, {"ids": json_text(ids), "class_fields": json_text(dict(query.class_fields))}
    )
    details = {int(r["outbox_id"]): r for r in found}
    rows = [details[i] for i in ids if i in details]
    copies: dict[int, list[str]] = {}
    pairs = [[r["ticket_id"], r["event_id"], r["template"], r["outbox_id"]] for r in rows]
    for copy in await _named(conn, _COPIES, {"pairs": json_text(pairs)}):
        copies.setdefault(int(copy["event_id"]), []).append(copy["recipient"])
    return [_row(r, tuple(copies.get(int(r["event_id"]), ()))) for r in rows], int(page[0]["total"])


async def mail_thread(conn: aiosqlite.Connection, ticket_id: int, *, before: datetime) -> list[str]:
    rows = await fetch_all(
        conn,
        "SELECT message_id FROM inbound_messages WHERE ticket_id = ? AND received_at <= ?"
        " ORDER BY received_at, rowid",
        (ticket_id, time_text(before)),
    )
    return [str(r["message_id"]) for r in rows]


class SQLiteChannelsMixin:
    """``ChannelsStore`` for ``SQLiteStore`` (reads only: a thread on the reader connection, the replies log
    on the one for scans)."""

    _reader: aiosqlite.Connection
    _scans: aiosqlite.Connection

    async def mail_thread(self, ticket_id: int, *, before: datetime) -> list[str]:
        return await mail_thread(self._reader, ticket_id, before=before)

    async def reply_log(self, query: ReplyQuery) -> tuple[list[ReplyRow], int]:
        return await reply_log(self._scans, query)
