"""The report scheduler's lease and its once-only queueing, and the reports' counts — PostgreSQL side
(migration 0003; ``sqlite_report_mail`` and ``sqlite_reports.report_counts``' contracts).

Every write is one transaction on one pooled connection (``PgBase._write``):

* a lease is one row, taken by ``INSERT … ON CONFLICT DO UPDATE … WHERE``: the upsert locks the row
  before it compares holder and expiry, so of two processes taking one lease at once the second waits,
  re-reads the first one's row and is refused;
* ``queue_report_run`` locks the lease row (``FOR UPDATE``) while it checks it is still the caller's,
  and inserts the run's key with ``ON CONFLICT DO NOTHING``: a second run for the same report and
  period waits for the first to commit, meets the key and writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec

from server.store.postgres_codec import Conn, PgBase, execute, fetch_one, moment
from server.store.postgres_reports import counted, inline_values, last_event
from server.store.records import NewMail, ReportBasis, ReportCount, ReportRun
from server.store.request_ids import request_id


async def take_lease(conn: Conn, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
    row = await fetch_one(
        conn,
        "INSERT INTO leases (name, holder, expires_at) VALUES (%(name)s, %(holder)s, %(until)s)"
        " ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at"
        " WHERE leases.holder = %(holder)s OR leases.expires_at <= %(now)s RETURNING holder",
        {"name": name, "holder": holder, "until": moment(now + ttl), "now": moment(now)},
    )
    return row is not None


async def holds_lease(conn: Conn, name: str, holder: str, *, now: datetime) -> bool:
    row = await fetch_one(
        conn,
        "SELECT 1 AS held FROM leases WHERE name = %s AND holder = %s AND expires_at > %s FOR UPDATE",
        (name, holder, moment(now)),
    )
    return row is not None


async def queue_report_run(
    conn: Conn,
    report: str,
    period: str,
    mails: Sequence[NewMail],
    *,
    by: str,
    now: datetime,
    lease: tuple[str, str] | None,
) -> bool:
    if lease is not None and not await holds_lease(conn, *lease, now=now):
        return False
    at = moment(now)
    row = await fetch_one(
        conn,
        "INSERT INTO report_runs (report, period, queued_at, queued_by, messages) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (report, period) DO NOTHING RETURNING report",
        (report, period, at, by, len(mails)),
    )
    if row is None:
        return False
    for mail in mails:
        message = await fetch_one(
            conn,
            "INSERT INTO outbox (ticket_id, event_id, created_at, channel, recipient, template, language,"
            " subject, body, html, status, attempts, next_attempt_at, gateway_request_id, updated_at)"
            " VALUES (NULL, NULL, %(at)s, 'email', %(recipient)s, %(template)s, %(language)s, %(subject)s,"
            " %(body)s, %(html)s, 'pending', 0, %(at)s, %(gateway)s, %(at)s) RETURNING id",
            {
                "at": at,
                "recipient": mail.recipient,
                "template": mail.template,
                "language": mail.language,
                "subject": mail.subject,
                "body": mail.body,
                "html": mail.html,
                "gateway": request_id(),
            },
        )
        assert message is not None
        for position, a in enumerate(mail.attachments):
            await execute(
                conn,
                "INSERT INTO outbox_attachments (message_id, position, filename, content_type, content)"
                " VALUES (%s, %s, %s, %s, %s)",
                (message["id"], position, a.filename, a.content_type, a.content),
            )
        await execute(
            conn,
            "INSERT INTO report_deliveries (report, period, recipient, department, message_id)"
            " VALUES (%s, %s, %s, %s, %s)",
            (report, period, mail.recipient_id, mail.department, message["id"]),
        )
    return True


async def schedule_since(conn: Conn, report: str, *, now: datetime) -> datetime:
    await execute(
        conn,
        "INSERT INTO report_schedules (report, since) VALUES (%s, %s) ON CONFLICT (report) DO NOTHING",
        (report, moment(now)),
    )
    row = await fetch_one(conn, "SELECT since FROM report_schedules WHERE report = %s", (report,))
    assert row is not None
    since: datetime = row["since"]
    return since


# --- report_counts ------------------------------------------------------------------------


async def report_counts(
    pg: PgBase,
    services: Sequence[str],
    basis: ReportBasis,
    start: datetime,
    end: datetime,
    *,
    variables: Sequence[str] = (),
    fields: Sequence[str] = (),
) -> list[ReportCount]:
    """``report_tickets`` grouped in SQL: one row per service, state, channel, category and values."""
    select, keys = inline_values(variables, fields)
    values = "".join(f", v{i}" for i in range(len(keys)))
    base = "t.service_id, t.channel, t.category"
    where = ""
    if basis == "status":
        at = last_event("at", "COALESCE(t.closed_at, t.updated_at)")
        state = last_event("to_state", "t.state")
        inner = counted(f"{base}, {state} AS state, {at} AS since{select}")
        early = "since < %(start)s"
        where = " WHERE state IS NOT NULL"
    elif basis == "current":
        inner = counted(f"{base}, t.state, COALESCE(t.closed_at, t.updated_at) AS since{select}")
        early = "since < %(start)s"
    else:
        column = "created_at" if basis == "created" else "closed_at"
        inner = (
            f"SELECT {base}, t.state{select} FROM tickets t "
            f"WHERE t.service_id = ANY(%(services)s) AND t.{column} >= %(start)s AND t.{column} < %(end)s"
        )
        early = "FALSE"
    groups = ", ".join(str(i) for i in range(1, 6 + len(keys)))
    sql = (
        f"SELECT service_id, channel, category, state, {early} AS early{values}, count(*) AS n "
        f"FROM ({inner}) c{where} GROUP BY {groups} ORDER BY {groups}"
    )
    params: dict[str, Any] = {"services": list(services), "start": moment(start), "end": moment(end)}
    return [
        ReportCount(
            service_id=row["service_id"],
            state=row["state"],
            channel=row["channel"],
            category=row["category"],
            values={
                key: msgspec.json.decode(row[f"v{i}"])
                for i, key in enumerate(keys)
                if row[f"v{i}"] is not None and row[f"v{i}"] != "null"
            },
            early=bool(row["early"]),
            count=row["n"],
        )
        for row in await pg._all(sql, params)
    ]


class PgReportMailMixin(PgBase):
    """``ReportMailStore`` for ``PostgresStore``."""

    async def take_lease(self, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
        return await self._write(lambda conn: take_lease(conn, name, holder, now=now, ttl=ttl))

    async def release_lease(self, name: str, holder: str) -> None:
        await self._write(
            lambda conn: execute(conn, "DELETE FROM leases WHERE name = %s AND holder = %s", (name, holder))
        )

    async def queue_report_run(
        self,
        report: str,
        period: str,
        mails: Sequence[NewMail],
        *,
        by: str,
        now: datetime,
        lease: tuple[str, str] | None = None,
    ) -> bool:
        return await self._write(
            lambda conn: queue_report_run(conn, report, period, mails, by=by, now=now, lease=lease)
        )

    async def report_run(self, report: str, period: str) -> ReportRun | None:
        row = await self._one("SELECT * FROM report_runs WHERE report = %s AND period = %s", (report, period))
        if row is None:
            return None
        return ReportRun(
            report=row["report"],
            period=row["period"],
            queued_at=row["queued_at"],
            queued_by=row["queued_by"],
            messages=row["messages"],
        )

    async def report_counts(
        self,
        services: Sequence[str],
        basis: ReportBasis,
        start: datetime,
        end: datetime,
        *,
        variables: Sequence[str] = (),
        fields: Sequence[str] = (),
    ) -> list[ReportCount]:
        return await report_counts(self, services, basis, start, end, variables=variables, fields=fields)

    async def report_schedule_since(self, report: str, *, now: datetime) -> datetime:
        return await self._write(lambda conn: schedule_since(conn, report, now=now))
