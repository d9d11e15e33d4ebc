"""The channels' queries, PostgreSQL side (``interface_channels.py``; ``sqlite_channels``' contract):
the conversation of a ticket's mail, and the customer-service replies log read from the outbox and the
events (no table of its own). The queries are SQLite's, step for step: which replies (ids and times,
sorted and counted in one pass), then their details, then their copies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from server.store.interface_channels import ReplyQuery, ReplyRow
from server.store.postgres_codec import PgBase, Row, moment

_MATCHING = """
SELECT min(o.id) AS outbox_id, e.at AS at, e.ticket_id AS ticket_id, e.seq AS seq
  FROM tickets t
  JOIN outbox o ON o.ticket_id = t.id
  JOIN events e ON e.id = o.event_id
 WHERE t.service_id = %(service)s
   AND (%(end)s::timestamptz IS NULL OR t.created_at < %(end)s)
   AND (e.action, o.template) IN (SELECT * FROM unnest(%(actions)s::text[], %(templates)s::text[]))
   AND (%(start)s::timestamptz IS NULL OR e.at >= %(start)s)
   AND (%(end)s::timestamptz IS NULL OR e.at < %(end)s)
 GROUP BY e.id, o.template
"""
"""One row per reply: the outbox rows of a reply action's notification to the requester, the first
of each (the first is the requester's, the others its copies)."""

_CLASS = """
(SELECT s.data -> c.field
   FROM events s JOIN unnest(%(class_actions)s::text[], %(class_fields)s::text[]) AS c (action, field)
     ON c.action = s.action
  WHERE s.ticket_id = {of}.ticket_id AND s.seq < {of}.seq
  ORDER BY s.seq DESC LIMIT 1)
"""
"""The class as it stood at the reply: recorded by the latest sorting event before it (as JSON: it
matches a class asked for only when it is a string, and reads as text as SQLite's ``json_extract``
gives it — see ``_klass``)."""

_CLASSED = (
    "(SELECT m.*, " + _CLASS.format(of="m") + " AS klass FROM (" + _MATCHING + ") m) c"
    " WHERE json_typeof(klass) = 'string' AND klass #>> '{}' = %(klass)s"
)
_ORDER = " ORDER BY at DESC, outbox_id DESC LIMIT %(limit)s OFFSET %(offset)s"
_PAGE_ALL = "SELECT outbox_id, count(*) OVER () AS total FROM (" + _MATCHING + ") m" + _ORDER
_PAGE_CLASS = "SELECT outbox_id, count(*) OVER () AS total FROM " + _CLASSED + _ORDER
_COUNT_ALL = "SELECT count(*) AS n FROM (" + _MATCHING + ") m"
_COUNT_CLASS = "SELECT count(*) AS n FROM " + _CLASSED
_DETAILS = (
    "SELECT o.id AS outbox_id, o.ticket_id, t.number, e.at, e.actor_name, e.action, o.recipient,"
    " o.subject, o.body, o.status, o.sent_at, o.event_id, o.template,"
    " CASE WHEN json_typeof(e.data -> 'reply') = 'string' THEN e.data ->> 'reply' END AS reply, "
    + _CLASS.format(of="e")
    + " AS klass FROM outbox o JOIN events e ON e.id = o.event_id JOIN tickets t ON t.id = o.ticket_id"
    " WHERE o.id = ANY(%(ids)s::bigint[])"
)
_COPIES = (
    "SELECT c.event_id, c.recipient"
    " FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::bigint[]) AS p (ticket_id, event_id, template, first)"
    " JOIN outbox c ON c.ticket_id = p.ticket_id AND c.id > p.first"
    " WHERE c.event_id = p.event_id AND c.template = p.template ORDER BY c.id"
)


def _params(query: ReplyQuery) -> dict[str, Any]:
    params: dict[str, Any] = {
        "service": query.service_id,
        "actions": list(query.templates.keys()),
        "templates": list(query.templates.values()),
        "start": moment(query.start) if query.start is not None else None,
        "end": moment(query.end) if query.end is not None else None,
    }
    if query.klass is not None:
        params.update(klass=query.klass, **_class_params(query))
    return params


def _class_params(query: ReplyQuery) -> dict[str, Any]:
    return {
        "class_actions": list(query.class_fields.keys()),
        "class_fields": list(query.class_fields.values()),
    }


def _klass(value: Any) -> str | None:
    """The class as SQLite's ``str(json_extract(…))`` reads: a number as its digits, true and false as
    1 and 0, an object or an array as its (compact) JSON text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return msgspec.json.encode(value).decode()


def _row(row: Row, copies: tuple[str, ...]) -> ReplyRow:
    return ReplyRow(
        outbox_id=row["outbox_id"],
        ticket_id=row["ticket_id"],
        ticket_number=row["number"],
        at=row["at"],
        representative=row["actor_name"],
        action=row["action"],
        klass=_klass(row["klass"]),
        recipient=row["recipient"],
        copies=copies,
        subject=row["subject"],
        body=row["body"],
        reply=row["reply"] if isinstance(row["reply"], str) else "",
        status=row["status"],
        sent_at=row["sent_at"],
    )


class PgChannelsMixin(PgBase):
    """``ChannelsStore`` for ``PostgresStore`` (reads only)."""

    async def mail_thread(self, ticket_id: int, *, before: datetime) -> list[str]:
        # ctid: the order the rows were written in (inbound_messages is insert-only), as SQLite's rowid
        rows = await self._all(
            "SELECT message_id FROM inbound_messages WHERE ticket_id = %s AND received_at <= %s"
            " ORDER BY received_at, ctid",
            (ticket_id, moment(before)),
        )
        return [str(r["message_id"]) for r in rows]

    async def reply_log(self, query: ReplyQuery) -> tuple[list[ReplyRow], int]:
        params = _params(query)
        classed = query.klass is not None
        page = await self._all(
            _PAGE_CLASS if classed else _PAGE_ALL, {**params, "limit": query.limit, "offset": query.offset}
        )
        if not page:  # a page past the end: the count alone
            counted = await self._one(_COUNT_CLASS if classed else _COUNT_ALL, params)
            assert counted is not None
            return [], int(counted["n"])
        ids = [int(r["outbox_id"]) for r in page]
        found = await self._all(_DETAILS, {"ids": ids, **_class_params(query)})
        details = {int(r["outbox_id"]): r for r in found}
        rows = [details[i] for i in ids if i in details]
        copies: dict[int, list[str]] = {}
        pairs = (
            [r["ticket_id"] for r in rows],
            [r["event_id"] for r in rows],
            [r["template"] for r in rows],
            [r["outbox_id"] for r in rows],
        )
        for copy in await self._all(_COPIES, pairs):
            copies.setdefault(int(copy["event_id"]), []).append(copy["recipient"])
        return [_row(r, tuple(copies.get(int(r["event_id"]), ()))) for r in rows], int(page[0]["total"])
