"""What the reports count, SQLite side: read-only queries over tickets, events, timers and survey responses.

Each query walks an existing index (0001/0005): a service's tickets by creation (``tickets_service_created``),
a ticket's events by sequence (the ``UNIQUE (ticket_id, seq)`` index), the pending timers by due time
(``timers_due``). Grouping and labelling are the report's (``server/reports``), not SQL's.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from server.store.records import ReportBasis, ReportRating, ReportTicket
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


def _values(variables: Sequence[str], fields: Sequence[str]) -> tuple[str, list[str], list[str]]:
    """The select list reading the named values, its parameters, and the key of each column."""
    columns: list[str] = []
    params: list[str] = []
    keys: list[str] = []
    for source, names in (("vars", variables), ("data", fields)):
        for name in names:
            if not _NAME.match(name):
                raise ValueError(f"not a variable or field name: {name!r}")
            columns.append(f"json_quote(json_extract(t.{source}, ?)) AS v{len(keys)}")
            params.append(f"$.{name}")
            keys.append(f"{'var' if source == 'vars' else 'field'}:{name}")
    return "".join(", " + c for c in columns), params, keys


def _ticket(row: sqlite3.Row, keys: list[str]) -> ReportTicket:
    values: dict[str, Any] = {}
    for index, key in enumerate(keys):
        raw = row[f"v{index}"]
        if raw is not None and raw != "null":
            values[key] = parse_json(raw)
    return ReportTicket(
        id=row["id"],
        number=row["number"],
        service_id=row["service_id"],
        channel=row["channel"],
        state=row["state"],
        state_since=parse_time(row["state_since"]),
        category=row["category"],
        created_at=parse_time(row["created_at"]),
        closed_at=maybe_parse_time(row["closed_at"]),
        values=values,
        due_at=maybe_parse_time(row["due_at"]) if "due_at" in row.keys() else None,  # noqa: SIM118
    )


_IN_SERVICES = "t.service_id IN (SELECT value FROM json_each(?))"


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
    select, value_params, keys = _values(variables, fields)
    base = "t.id, t.number, t.service_id, t.channel, t.category, t.created_at, t.closed_at"
    ids = list(services)
    if basis == "status":
        sql = (
            f"SELECT {base}, e.to_state AS state, e.at AS state_since{select} FROM tickets t "  # noqa: S608
            "JOIN events e ON e.ticket_id = t.id AND e.seq = "
            "(SELECT MAX(x.seq) FROM events x WHERE x.ticket_id = t.id AND x.at < ?) "
            "WHERE " + _IN_SERVICES + " AND t.created_at < ? ORDER BY t.id"
        )
        params: list[Any] = [*value_params, time_text(end), json_text(ids), time_text(end)]
    elif basis == "current":  # no event after the end yet: the state now, without reading the history
        sql = (
            f"SELECT {base}, t.state AS state, COALESCE(t.closed_at, t.updated_at) AS state_since{select} "  # noqa: S608
            "FROM tickets t INDEXED BY tickets_service_created "
            "WHERE " + _IN_SERVICES + " AND (t.category != 'closed' OR t.closed_at >= ?) ORDER BY t.id"
        )
        params = [*value_params, json_text(ids), time_text(start)]
    elif basis == "created":
        sql = (
            f"SELECT {base}, t.state AS state, t.updated_at AS state_since{select} FROM tickets t "  # noqa: S608
            "WHERE " + _IN_SERVICES + " AND t.created_at >= ? AND t.created_at < ? ORDER BY t.id"
        )
        params = [*value_params, json_text(ids), time_text(start), time_text(end)]
    else:
        sql = (
            f"SELECT {base}, t.state AS state, t.updated_at AS state_since{select} "  # noqa: S608
            "FROM tickets t INDEXED BY tickets_service_created "
            "WHERE " + _IN_SERVICES + " AND t.closed_at >= ? AND t.closed_at < ? ORDER BY t.id"
        )
        params = [*value_params, json_text(ids), time_text(start), time_text(end)]
    return [_ticket(row, keys) for row in await fetch_all(conn, sql, params)]


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
        f"t.state AS state, t.updated_at AS state_since, d.due_at AS due_at{select} "
        "FROM (SELECT ticket_id, MIN(due_at) AS due_at FROM timers WHERE status = 'pending' "
        "GROUP BY ticket_id) d JOIN tickets t ON t.id = d.ticket_id "
        "WHERE d.due_at <= ? AND t.category != 'closed' AND " + _IN_SERVICES + " ORDER BY d.due_at, t.id"
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
