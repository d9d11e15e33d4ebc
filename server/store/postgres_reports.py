"""What the reports count, and the survey responses they count — PostgreSQL side
(``sqlite_reports`` and ``sqlite_surveys``' contracts). Read-only queries, but for ``add_survey_response``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec
from psycopg import IntegrityError

from server.store.interface import AlreadyExists
from server.store.postgres_codec import PgBase, Row, execute, json_text, moment
from server.store.records import ReportBasis, ReportRating, ReportTicket, SurveyResponse

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IN_SERVICES = "t.service_id = ANY(%s)"


def _values(variables: Sequence[str], fields: Sequence[str]) -> tuple[str, list[str], list[str]]:
    """The select list reading the named values (as JSON text), its parameters, each column's key."""
    columns: list[str] = []
    params: list[str] = []
    keys: list[str] = []
    for source, names in (("vars", variables), ("data", fields)):
        for name in names:
            if not _NAME.match(name):
                raise ValueError(f"not a variable or field name: {name!r}")
            columns.append(f"(t.{source} -> %s::text)::text AS v{len(keys)}")
            params.append(name)
            keys.append(f"{'var' if source == 'vars' else 'field'}:{name}")
    return "".join(", " + c for c in columns), params, keys


def inline_values(variables: Sequence[str], fields: Sequence[str]) -> tuple[str, list[str]]:
    """As ``_values``, the names inlined as literals once checked (for the queries with named
    parameters): ``null`` when absent, as SQLite's ``json_quote(json_extract(…))``."""
    columns: list[str] = []
    keys: list[str] = []
    for source, names in (("vars", variables), ("data", fields)):
        for name in names:
            if not _NAME.match(name):
                raise ValueError(f"not a variable or field name: {name!r}")
            columns.append(f"COALESCE((t.{source} -> '{name}')::text, 'null') AS v{len(keys)}")
            keys.append(f"{'var' if source == 'vars' else 'field'}:{name}")
    return "".join(", " + c for c in columns), keys


def counted(columns: str) -> str:
    """The tickets a report on the state of things over ``[start, end)`` can count, of the services
    (``sqlite_reports._counted``): those created before the end that are not closed now, or were
    closed at or after the start — two ranges of the index ``tickets_report`` (migration 0003). A
    ticket left out was closed before the start and stayed closed."""
    arm = f"SELECT {columns} FROM tickets t WHERE t.service_id = ANY(%(services)s) AND t.created_at < %(end)s AND "
    return f"{arm}t.closed_at IS NULL UNION ALL {arm}t.closed_at >= %(start)s"


def last_event(column: str, fallback: str) -> str:
    """The time or the state of the ticket's last event before the end (``sqlite_reports._LAST_EVENT``):
    a ticket not changed since the end (``updated_at`` before it) is as it is now (``fallback``); the
    others read their last event before the end (the highest ``seq`` among those; ``events_report``).
    NULL when the ticket had no event before the end."""
    return (
        f"CASE WHEN t.updated_at < %(end)s THEN {fallback} "
        f"ELSE (SELECT x.{column} FROM events x WHERE x.ticket_id = t.id AND x.at < %(end)s "
        "ORDER BY x.seq DESC LIMIT 1) END"
    )


def _ticket(row: Row, keys: list[str]) -> ReportTicket:
    values: dict[str, Any] = {}
    for index, key in enumerate(keys):
        raw = row[f"v{index}"]
        if raw is not None and raw != "null":
            values[key] = msgspec.json.decode(raw)
    return ReportTicket(
        id=row["id"],
        number=row["number"],
        service_id=row["service_id"],
        channel=row["channel"],
        state=row["state"],
        state_since=row["state_since"],
        category=row["category"],
        created_at=row["created_at"],
        closed_at=row["closed_at"],
        values=values,
        due_at=row.get("due_at"),
    )


def _survey(row: Row) -> SurveyResponse:
    return SurveyResponse(
        ticket_id=row["ticket_id"],
        survey_id=row["survey_id"],
        answers={k: int(v) for k, v in row["answers"].items()},
        comment=row["comment"],
        created_at=row["created_at"],
    )


class PgReportsMixin(PgBase):
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
        select, keys = inline_values(variables, fields)
        base = "t.id, t.number, t.service_id, t.channel, t.category, t.created_at, t.closed_at"
        params = {"services": list(services), "start": moment(start), "end": moment(end)}
        if basis == "status":  # the state at the end: the last event before it (none: not counted)
            state = last_event("to_state", "t.state")
            since = last_event("at", "COALESCE(t.closed_at, t.updated_at)")
            sql = (
                f"SELECT * FROM ({counted(f'{base}, {state} AS state, {since} AS state_since{select}')}) c"
                " WHERE state IS NOT NULL ORDER BY id"
            )
        elif basis == "current":  # the state now, without reading the history
            columns = f"{base}, t.state AS state, COALESCE(t.closed_at, t.updated_at) AS state_since{select}"
            sql = f"{counted(columns)} ORDER BY 1"
        else:
            column = "created_at" if basis == "created" else "closed_at"
            sql = (
                f"SELECT {base}, t.state AS state, t.updated_at AS state_since{select} FROM tickets t "
                "WHERE t.service_id = ANY(%(services)s) "
                f"AND t.{column} >= %(start)s AND t.{column} < %(end)s ORDER BY t.id"
            )
        return [_ticket(row, keys) for row in await self._all(sql, params)]

    async def report_overdue(
        self,
        *,
        services: Sequence[str],
        now: datetime,
        variables: Sequence[str] = (),
        fields: Sequence[str] = (),
    ) -> list[ReportTicket]:
        select, value_params, keys = _values(variables, fields)
        sql = (
            "SELECT t.id, t.number, t.service_id, t.channel, t.category, t.created_at, t.closed_at, "
            f"t.state AS state, t.updated_at AS state_since, t.due_at AS due_at{select} FROM tickets t "
            "WHERE t.due_at IS NOT NULL AND t.due_at <= %s AND t.category != 'closed' AND "
            + _IN_SERVICES
            + " "
            "ORDER BY t.due_at, t.id"
        )
        rows = await self._all(sql, [*value_params, moment(now), list(services)])
        return [_ticket(row, keys) for row in rows]

    async def report_ratings(
        self, *, services: Sequence[str], start: datetime, end: datetime
    ) -> list[ReportRating]:
        sql = (
            "SELECT r.ticket_id, t.number, t.service_id, r.answers, r.created_at, "
            "e.actor_id AS employee_id, e.actor_name AS employee_name "
            "FROM survey_responses r JOIN tickets t ON t.id = r.ticket_id "
            "LEFT JOIN events e ON e.id = (SELECT x.id FROM events x WHERE x.ticket_id = t.id "
            "AND x.kind = 'action' AND x.actor_id IS NOT NULL "
            "AND (t.requester_id IS NULL OR x.actor_id != t.requester_id) ORDER BY x.seq DESC LIMIT 1) "
            "WHERE " + _IN_SERVICES + " AND r.created_at >= %s AND r.created_at < %s ORDER BY r.ticket_id"
        )
        rows = await self._all(sql, [list(services), moment(start), moment(end)])
        return [
            ReportRating(
                ticket_id=row["ticket_id"],
                number=row["number"],
                service_id=row["service_id"],
                answers={k: int(v) for k, v in row["answers"].items()},
                created_at=row["created_at"],
                employee_id=row["employee_id"],
                employee_name=row["employee_name"] or "",
            )
            for row in rows
        ]

    # --- survey responses ---------------------------------------------------------------

    async def add_survey_response(
        self, *, ticket_id: int, survey_id: str, answers: Mapping[str, int], comment: str, now: datetime
    ) -> SurveyResponse:
        params = (ticket_id, survey_id, json_text(dict(answers)), comment, moment(now))
        try:
            await self._write(
                lambda conn: execute(
                    conn,
                    "INSERT INTO survey_responses (ticket_id, survey_id, answers, comment, created_at)"
                    " VALUES (%s, %s, %s::json, %s, %s)",
                    params,
                )
            )
        except IntegrityError as exc:  # as SQLite's: already rated (or no such ticket)
            raise AlreadyExists(f"ticket {ticket_id} has already been rated") from exc
        found = await self.get_survey_response(ticket_id)
        assert found is not None
        return found

    async def get_survey_response(self, ticket_id: int) -> SurveyResponse | None:
        row = await self._one("SELECT * FROM survey_responses WHERE ticket_id = %s", (ticket_id,))
        return None if row is None else _survey(row)
