"""What the reports count, SQLite side: read-only queries over tickets, events, timers and survey responses.

Each query walks an index: the tickets a report on the state of things can count by ``tickets_report``
and their state at a past moment by ``events_report`` (0009; see ``_counted`` and ``_LAST_EVENT``), a service's tickets by
creation (``tickets_service_created``), a ticket's events by sequence (the ``UNIQUE (ticket_id, seq)``
index), the overdue tickets by their due time (``tickets_due``, 0012: ``tickets.due_at`` is the earliest
pending timer, kept by triggers). Grouping and labelling are the report's
(``server/reports``), not SQL's. Figures: docs/performance.md, "Reports at a million tickets".
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from server.store.records import ReportBasis, ReportCount, ReportRating, ReportTicket
from server.store.sqlite_codec import (
    fetch_all,
    json_text,
    maybe_parse_time,
    parse_json,
    parse_json_object,
    parse_time,
    time_text,
)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _values(
    variables: Sequence[str], fields: Sequence[str], *, first: int | None = None
) -> tuple[str, list[str], list[str]]:
    """The select list reading the named values, its parameters, and the key of each column (with
    ``first``, the parameters are numbered from it: ``?4``, ``?5``…; else they are plain ``?``)."""
    columns: list[str] = []
    params: list[str] = []
    keys: list[str] = []
    for source, names in (("vars", variables), ("data", fields)):
        for name in names:
            if not _NAME.match(name):
                raise ValueError(f"not a variable or field name: {name!r}")
            mark = "?" if first is None else f"?{first + len(keys)}"
            columns.append(f"json_quote(json_extract(t.{source}, {mark})) AS v{len(keys)}")
            params.append(f"$.{name}")
            keys.append(f"{'var' if source == 'vars' else 'field'}:{name}")
    return "".join(", " + c for c in columns), params, keys


_AT_WIDTH = len(time_text(datetime(2000, 1, 1, tzinfo=UTC)))
"""Every stored time is ISO text of this fixed width (``sqlite_codec.time_text``)."""


def _ticket(row: sqlite3.Row, keys: list[str]) -> ReportTicket:
    values: dict[str, Any] = {}
    for index, key in enumerate(keys):
        raw = row[f"v{index}"]
        if raw is not None and raw != "null":
            values[key] = parse_json(raw)
    names = row.keys()
    if "last_event" in names:  # the time and the state of the last event before the end, as one text
        last: str = row["last_event"]
        state, since = last[_AT_WIDTH:], last[:_AT_WIDTH]
    else:
        state, since = row["state"], row["state_since"]
    return ReportTicket(
        id=row["id"],
        number=row["number"],
        service_id=row["service_id"],
        channel=row["channel"],
        state=state,
        state_since=parse_time(since),
        category=row["category"],
        created_at=parse_time(row["created_at"]),
        closed_at=maybe_parse_time(row["closed_at"]),
        values=values,
        due_at=maybe_parse_time(row["due_at"]) if "due_at" in names else None,
    )


_IN_SERVICES = "t.service_id IN (SELECT value FROM json_each(?))"
_BASE = "t.id, t.number, t.service_id, t.channel, t.category, t.created_at, t.closed_at"


def _counted(columns: str, *, order: bool = True) -> str:
    """The tickets a report on the state of things over ``[?2, ?3)`` can count, of the services ``?1``:
    those created before the end that are not closed now, or were closed at or after the start — two
    ranges of the index ``tickets_report (service_id, closed_at, created_at, category, state, channel,
    number, updated_at)`` (migration 0009), which also holds every column a report reads (no table row
    is read unless the report reads a variable or a field). ``closed_at`` is when a ticket's current
    closure began (NULL while it is not closed), so a ticket left out was closed before the start and
    stayed closed: in no category at the end, and not closed within the period. The rest of the
    services' tickets — most of them, on a large database — are never read."""
    arm = (
        f"SELECT {columns} FROM tickets t INDEXED BY tickets_report "  # noqa: S608
        "WHERE t.service_id IN (SELECT value FROM json_each(?1)) AND t.created_at < ?3 AND "
    )
    return f"{arm}t.closed_at IS NULL UNION ALL {arm}t.closed_at >= ?2" + (" ORDER BY 1" if order else "")


_LAST_EVENT = (
    "CASE WHEN t.updated_at < ?3 THEN COALESCE(t.closed_at, t.updated_at) || t.state "
    "ELSE (SELECT x.at || x.to_state FROM events x INDEXED BY events_report "
    "WHERE x.ticket_id = t.id AND x.at < ?3 ORDER BY x.seq DESC LIMIT 1) END AS last_event"
)
"""The time and the state of the ticket's last event before the end, as one text. A ticket not changed
since the end (``updated_at``, set with every event, is before it) is in the state it is in now — read
from ``tickets_report`` with the rest; only the others (changed since) look up their last event before
the end (the highest ``seq`` among those), from the index ``events_report (ticket_id, seq, at,
to_state)`` alone."""


def status_query(
    services: Sequence[str],
    start: datetime,
    end: datetime,
    select: str = "",
    value_params: Sequence[str] = (),
) -> tuple[str, list[Any]]:
    """Each counted ticket in the state it was in at ``end`` (its last event before it)."""
    sql = _counted(f"{_BASE}, {_LAST_EVENT}{select}")
    return sql, [json_text(list(services)), time_text(start), time_text(end), *value_params]


async def report_tickets(
    conn: aiosqlite.Connection,
    services: Sequence[str],
    basis: ReportBasis,
    start: datetime,
    end: datetime,
    *,
    variables: Sequence[str] = (),
    fields: Sequence[str] = (),
) -> list[ReportTicket]:
    select, value_params, keys = _values(variables, fields, first=4)
    ids = list(services)
    params: list[Any]
    if basis == "status":
        sql, params = status_query(ids, start, end, select, value_params)
    elif basis == "current":  # no event after the end yet: the state now, without reading the history
        sql = _counted(
            f"{_BASE}, t.state AS state, COALESCE(t.closed_at, t.updated_at) AS state_since{select}"
        )
        params = [json_text(ids), time_text(start), time_text(end), *value_params]
    elif basis == "created":
        select, value_params, keys = _values(variables, fields)
        sql = (
            f"SELECT {_BASE}, t.state AS state, t.updated_at AS state_since{select} FROM tickets t "  # noqa: S608
            "WHERE " + _IN_SERVICES + " AND t.created_at >= ? AND t.created_at < ? ORDER BY t.id"
        )
        params = [*value_params, json_text(ids), time_text(start), time_text(end)]
    else:
        select, value_params, keys = _values(variables, fields)
        sql = (
            f"SELECT {_BASE}, t.state AS state, t.updated_at AS state_since{select} "  # noqa: S608
            "FROM tickets t INDEXED BY tickets_service_created "
            "WHERE " + _IN_SERVICES + " AND t.closed_at >= ? AND t.closed_at < ? ORDER BY t.id"
        )
        params = [*value_params, json_text(ids), time_text(start), time_text(end)]
    return [_ticket(row, keys) for row in await fetch_all(conn, sql, params) if row_counts(row)]


async def report_counts(
    conn: aiosqlite.Connection,
    services: Sequence[str],
    basis: ReportBasis,
    start: datetime,
    end: datetime,
    *,
    variables: Sequence[str] = (),
    fields: Sequence[str] = (),
) -> list[ReportCount]:
    """``report_tickets`` grouped in SQL: one row per service, state, channel, category and values."""
    select, value_params, keys = _values(variables, fields, first=4)
    values = "".join(f", v{i}" for i in range(len(keys)))
    base = "t.service_id, t.channel, t.category"
    if basis == "status":
        inner = _counted(f"{base}, {_LAST_EVENT}{select}", order=False)
        state = f"substr(last_event, {_AT_WIDTH + 1})"
        early = f"substr(last_event, 1, {_AT_WIDTH}) < ?2"
        where = " WHERE last_event IS NOT NULL"
    elif basis == "current":
        inner = _counted(
            f"{base}, t.state, COALESCE(t.closed_at, t.updated_at) AS since{select}", order=False
        )
        state, early, where = "state", "since < ?2", ""
    else:
        column = "created_at" if basis == "created" else "closed_at"
        inner = (
            f"SELECT {base}, t.state{select} FROM tickets t "  # noqa: S608
            f"WHERE t.service_id IN (SELECT value FROM json_each(?1)) AND t.{column} >= ?2 AND t.{column} < ?3"
        )
        state, early, where = "state", "0", ""
    sql = (
        f"SELECT service_id, channel, category, {state} AS state, {early} AS early{values}, count(*) AS n "  # noqa: S608
        f"FROM ({inner}){where} GROUP BY service_id, channel, category, {state}, early{values}"
    )
    params = [json_text(list(services)), time_text(start), time_text(end), *value_params]
    found = []
    for row in await fetch_all(conn, sql, params):
        found.append(
            ReportCount(
                service_id=row["service_id"],
                state=row["state"],
                channel=row["channel"],
                category=row["category"],
                values={
                    key: parse_json(row[f"v{i}"])
                    for i, key in enumerate(keys)
                    if row[f"v{i}"] is not None and row[f"v{i}"] != "null"
                },
                early=bool(row["early"]),
                count=row["n"],
            )
        )
    return found


def row_counts(row: sqlite3.Row) -> bool:
    """False for a ticket with no event before the end (it did not exist yet)."""
    return "last_event" not in row.keys() or row["last_event"] is not None  # noqa: SIM118


async def report_overdue(
    conn: aiosqlite.Connection,
    services: Sequence[str],
    now: datetime,
    *,
    variables: Sequence[str] = (),
    fields: Sequence[str] = (),
) -> list[ReportTicket]:
    select, value_params, keys = _values(variables, fields)
    ids = list(services)
    sql = (
        "SELECT t.id, t.number, t.service_id, t.channel, t.category, t.created_at, t.closed_at, "  # noqa: S608
        f"t.state AS state, t.updated_at AS state_since, t.due_at AS due_at{select} FROM tickets t "
        "WHERE t.due_at IS NOT NULL AND t.due_at <= ? AND t.category != 'closed' AND " + _IN_SERVICES + " "
        "ORDER BY t.due_at, t.id"
    )
    params = [*value_params, time_text(now), json_text(ids)]
    return [_ticket(row, keys) for row in await fetch_all(conn, sql, params)]


async def report_ratings(
    conn: aiosqlite.Connection, services: Sequence[str], start: datetime, end: datetime
) -> list[ReportRating]:
    ids = list(services)
    sql = (
        "SELECT r.ticket_id, t.number, t.service_id, r.answers, r.created_at, "  # noqa: S608
        "e.actor_id AS employee_id, e.actor_name AS employee_name "
        "FROM survey_responses r JOIN tickets t ON t.id = r.ticket_id "
        "LEFT JOIN events e ON e.id = (SELECT x.id FROM events x WHERE x.ticket_id = t.id "
        "AND x.kind = 'action' AND x.actor_id IS NOT NULL "
        "AND (t.requester_id IS NULL OR x.actor_id != t.requester_id) ORDER BY x.seq DESC LIMIT 1) "
        "WHERE " + _IN_SERVICES + " AND r.created_at >= ? AND r.created_at < ? ORDER BY r.ticket_id"
    )
    rows = await fetch_all(conn, sql, [json_text(ids), time_text(start), time_text(end)])
    return [
        ReportRating(
            ticket_id=row["ticket_id"],
            number=row["number"],
            service_id=row["service_id"],
            answers={k: int(v) for k, v in parse_json_object(row["answers"]).items()},
            created_at=parse_time(row["created_at"]),
            employee_id=row["employee_id"],
            employee_name=row["employee_name"] or "",
        )
        for row in rows
    ]


class SQLiteReportsMixin:
    """The report queries of ``ReportsStore`` (``interface_reports``), on the connection for scans (a base
    of ``SQLiteStore``)."""

    _scans: aiosqlite.Connection

    async def report_tickets(
        self,
        *,
        services: Sequence[str],
        basis: ReportBasis,
        start: datetime,
        end: datetime,
        variables: Sequence[str] = (),
        fields: Sequence[str] = (),
    ) -> list[ReportTicket]:
        return await report_tickets(
            self._scans, services, basis, start, end, variables=variables, fields=fields
        )

    async def report_overdue(
        self,
        *,
        services: Sequence[str],
        now: datetime,
        variables: Sequence[str] = (),
        fields: Sequence[str] = (),
    ) -> list[ReportTicket]:
        return await report_overdue(self._scans, services, now, variables=variables, fields=fields)

    async def report_ratings(
        self, *, services: Sequence[str], start: datetime, end: datetime
    ) -> list[ReportRating]:
        return await report_ratings(self._scans, services, start, end)
