"""The report scheduler's lease and its once-only queueing, SQLite side (migration 0009).

Every write here is one ``BEGIN IMMEDIATE`` transaction of the store's single writer
(``Writer.run``). ``BEGIN IMMEDIATE`` takes SQLite's write lock at once, so two processes on one file
run these transactions one after the other: the second one to take a lease reads the first one's row
and is refused; the second one to queue a run meets the ``report_runs`` primary key and writes nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

import aiosqlite

from server.store import sqlite_reports
from server.store.records import NewMail, ReportBasis, ReportCount, ReportRun
from server.store.request_ids import request_id
from server.store.sqlite_codec import fetch_one, parse_time, time_text

if TYPE_CHECKING:
    from server.store.sqlite_connection import Writer

T = TypeVar("T")


async def take_lease(
    conn: aiosqlite.Connection, name: str, holder: str, *, now: datetime, ttl: timedelta
) -> bool:
    row = await fetch_one(
        conn,
        "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (name) DO UPDATE SET holder = ?2, expires_at = ?3"
        " WHERE leases.holder = ?2 OR leases.expires_at <= ?4 RETURNING holder",
        (name, holder, time_text(now + ttl), time_text(now)),
    )
    return row is not None


async def release_lease(conn: aiosqlite.Connection, name: str, holder: str) -> None:
    await conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))


async def holds_lease(conn: aiosqlite.Connection, name: str, holder: str, *, now: datetime) -> bool:
    row = await fetch_one(
        conn,
        "SELECT 1 FROM leases WHERE name = ? AND holder = ? AND expires_at > ?",
        (name, holder, time_text(now)),
    )
    return row is not None


async def queue_report_run(
    conn: aiosqlite.Connection,
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
    at = time_text(now)
    row = await fetch_one(
        conn,
        "INSERT INTO report_runs (report, period, queued_at, queued_by, messages) VALUES (?, ?, ?, ?, ?)"
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
            " VALUES (NULL, NULL, ?1, 'email', ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?1, ?8, ?1) RETURNING id",
            (
                at,
                mail.recipient,
                mail.template,
                mail.language,
                mail.subject,
                mail.body,
                mail.html,
                request_id(),
            ),
        )
        assert message is not None
        await conn.executemany(
            "INSERT INTO outbox_attachments (message_id, position, filename, content_type, content)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (message["id"], position, a.filename, a.content_type, a.content)
                for position, a in enumerate(mail.attachments)
            ],
        )
        await conn.execute(
            "INSERT INTO report_deliveries (report, period, recipient, department, message_id)"
            " VALUES (?, ?, ?, ?, ?)",
            (report, period, mail.recipient_id, mail.department, message["id"]),
        )
    return True


async def report_run(conn: aiosqlite.Connection, report: str, period: str) -> ReportRun | None:
    row = await fetch_one(conn, "SELECT * FROM report_runs WHERE report = ? AND period = ?", (report, period))
    if row is None:
        return None
    return ReportRun(
        report=row["report"],
        period=row["period"],
        queued_at=parse_time(row["queued_at"]),
        queued_by=row["queued_by"],
        messages=row["messages"],
    )


async def schedule_since(conn: aiosqlite.Connection, report: str, *, now: datetime) -> datetime:
    await conn.execute(
        "INSERT INTO report_schedules (report, since) VALUES (?, ?) ON CONFLICT (report) DO NOTHING",
        (report, time_text(now)),
    )
    row = await fetch_one(conn, "SELECT since FROM report_schedules WHERE report = ?", (report,))
    assert row is not None
    return parse_time(row["since"])


class SQLiteReportMailMixin:
    """``ReportMailStore`` on the store's connections (a base of ``SQLiteStore``)."""

    _writer: Writer
    _reader: aiosqlite.Connection
    _scans: aiosqlite.Connection

    def _run(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> Awaitable[T]:
        return self._writer.run(work)

    async def take_lease(self, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
        return await self._run(lambda conn: take_lease(conn, name, holder, now=now, ttl=ttl))

    async def release_lease(self, name: str, holder: str) -> None:
        await self._run(lambda conn: release_lease(conn, name, holder))

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
        return await self._run(
            lambda conn: queue_report_run(conn, report, period, mails, by=by, now=now, lease=lease)
        )

    async def report_run(self, report: str, period: str) -> ReportRun | None:
        return await report_run(self._reader, report, period)

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
        return await sqlite_reports.report_counts(
            self._scans, services, basis, start, end, variables=variables, fields=fields
        )

    async def report_schedule_since(self, report: str, *, now: datetime) -> datetime:
        return await self._run(lambda conn: schedule_since(conn, report, now=now))
