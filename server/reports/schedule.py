"""The report scheduler: each report with a ``schedule`` is e-mailed once per period, after it ends.

A period is due at the schedule's ``at`` (local time of the organisation) on the day after its last day:
a week (Sunday to Saturday) on the Sunday at 07:30, a month on the 1st, a semester or half year on the
day after the term ends. Every round of the background worker (``Runtime.periodic``):

1. takes the lease ``report_schedule`` through the store (a row with holder and expiry, taken in a
   ``BEGIN IMMEDIATE`` transaction): of two server processes on one SQLite file, only one goes on. It is
   let go at the end of the round; a process that dies during a round holds it until it expires
   (``LEASE_TTL``, 5 minutes), which delays the next round of the others by at most that;
2. for each scheduled report, finds the LATEST period already due — a run missed while the server was
   down is made up once, when it next runs, and only for the latest missed period (three missed weeks
   give one e-mail, for the last of them); periods due before the scheduler first saw the report are
   never made up (a new installation does not send last semester's report);
3. if that run was not queued before (the key report + period in ``report_runs``), builds the figures
   for each recipient and queues the e-mails, the key and who got what in ONE transaction, which also
   checks that the lease is still this process's. The dispatcher sends them like every notification
   (retries, back-off, ``dead`` after the last attempt).

Recipients: with ``heads`` (and the report's ``heads``), each head of a department the report counts
(a user of that department holding its ``head_role``) gets that department's figures; the holders of
the schedule's ``roles`` get every department's. A user with no e-mail address is skipped (logged).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import msgspec

from server.definitions.catalogue import CompiledService
from server.definitions.model import Organisation, Report, ReportSchedule
from server.reports import periods
from server.reports.mail import mail_for
from server.reports.service import Result, build, current_services, departments_of, report_of
from server.runtime import Runtime
from server.store.records import NewMail, User

log = logging.getLogger("khidma.reports")

LEASE = "report_schedule"
LEASE_TTL = dt.timedelta(minutes=5)
"""A process that died holding the lease delays the next run by at most this long."""


def due_at(period: periods.Period, schedule: ReportSchedule, tz: ZoneInfo) -> dt.datetime:
    hour, _, minute = schedule.at.partition(":")
    return dt.datetime.combine(period.last + dt.timedelta(days=1), dt.time(int(hour), int(minute)), tz)


def _candidates(report: Report, org: Organisation, today: dt.date) -> Iterator[periods.Period]:
    """The periods that may be due, newest first."""
    if report.period in ("semester", "half_year"):
        yield from reversed(periods.terms_of(org, report.period))
        return
    if report.period not in ("week", "month"):
        return
    current = periods.of_kind(report.period, today, org)
    last = periods.previous(current, org)
    yield last
    yield periods.previous(last, org)


def latest_due(report: Report, org: Organisation, now: dt.datetime) -> periods.Period | None:
    """The newest period of ``report`` whose e-mail is due at ``now`` (None: none, or no schedule)."""
    if report.schedule is None:
        return None
    tz = ZoneInfo(org.calendar.timezone)
    for period in _candidates(report, org, now.astimezone(tz).date()):
        if due_at(period, report.schedule, tz) <= now:
            return period
    return None


async def recipients(
    runtime: Runtime, report: Report, services: dict[str, CompiledService]
) -> list[tuple[User, str | None]]:
    """Who gets the report, each with the department whose figures they get (None: all)."""
    org, store = runtime.org, runtime.store
    schedule = report.schedule or ReportSchedule()
    found: list[tuple[User, str | None]] = []
    seen: set[str] = set()

    def add(user: User, department: str | None) -> None:
        if user.id in seen or not user.active:
            return
        seen.add(user.id)
        if not user.email:
            log.warning("report e-mail: user %s has no e-mail address; not sent to them", user.id)
            return
        found.append((user, department))

    for role in schedule.roles:  # the whole organisation's figures first: they include a head's own
        for user in await store.users_with_role(role):
            add(user, None)
    if schedule.heads and report.heads:
        for department in departments_of(report, services):
            head_role = org.departments[department].head_role if department in org.departments else None
            if head_role is None:
                continue
            for user in await store.users_with_role(head_role):
                if user.department == department:
                    add(user, department)
    return found


def run_key(period: periods.Period) -> str:
    """The period part of a run's idempotency key: its token (``week:2026-11-22``…); "now" (the overdue
    report, sent by hand) is keyed by its day, so it can be sent once a day."""
    return f"now:{period.first.isoformat()}" if period.kind == "now" else period.token


class Sent(msgspec.Struct, frozen=True):
    report: str
    period: str
    queued: bool
    """False: this report was already sent for this period (nothing queued now)."""
    messages: int


async def send_report(
    runtime: Runtime,
    report_id: str,
    period: periods.Period,
    *,
    by: str,
    now: dt.datetime,
    lease: tuple[str, str] | None = None,
) -> Sent:
    """Queue the e-mails of ``report_id`` for ``period`` unless that run was queued before (by the
    scheduler or ``khidma report send``). ``UnknownReport`` when there is no such report."""
    org = runtime.org
    report = report_of(org, report_id)
    key = run_key(period)
    if await runtime.store.report_run(report_id, key) is not None:
        return Sent(report_id, key, queued=False, messages=0)
    services = await current_services(runtime)
    results: dict[str | None, Result] = {}
    mails: list[NewMail] = []
    for user, department in await recipients(runtime, report, services):
        if department not in results:
            results[department] = await build(
                runtime, report_id, period, None, department=department, now=now, trusted=True, detail=False
            )
        mails.append(mail_for(results[department], org, user, base_url=runtime.settings.base_url))
    queued = await runtime.store.queue_report_run(report_id, key, mails, by=by, now=now, lease=lease)
    if queued:
        log.info("report %s for %s: %d e-mail(s) queued (%s)", report_id, key, len(mails), by)
        if not mails:
            log.warning(
                "report %s for %s has nobody to send to (no recipient with an address)",
                report_id,
                key,
            )
    return Sent(report_id, key, queued=queued, messages=len(mails) if queued else 0)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class ReportScheduler:
    """The periodic task (``Runtime.periodic``): one call is one round; returns the runs it queued."""

    runtime: Runtime
    clock: Callable[[], dt.datetime] | None = None
    """The time (the ticket service's clock when None)."""
    holder: str = field(default_factory=_holder)
    lease_ttl: dt.timedelta = LEASE_TTL
    leased: bool = False
    """Whether the last round held the lease (False: another process did)."""

    def now(self) -> dt.datetime:
        return (self.clock or self.runtime.tickets.clock)()

    async def __call__(self) -> list[Sent]:
        store = self.runtime.store
        now = self.now()
        self.leased = await store.take_lease(LEASE, self.holder, now=now, ttl=self.lease_ttl)
        if not self.leased:
            return []
        try:
            return await self._round(now)
        finally:  # held only during a round: a restarted process does not wait for it to expire
            await store.release_lease(LEASE, self.holder)

    async def _round(self, now: dt.datetime) -> list[Sent]:
        store, org = self.runtime.store, self.runtime.org
        done: list[Sent] = []
        for report_id, report in org.reports.items():
            if report.schedule is None:
                continue
            since = await store.report_schedule_since(report_id, now=now)
            try:
                period = latest_due(report, org, now)
            except periods.PeriodError:
                continue
            if period is None or due_at(period, report.schedule, ZoneInfo(org.calendar.timezone)) < since:
                continue
            sent = await send_report(
                self.runtime, report_id, period, by="schedule", now=now, lease=(LEASE, self.holder)
            )
            if sent.queued:
                done.append(sent)
        return done


def report_schedule(runtime: Runtime) -> tuple[str, ReportScheduler]:
    """The scheduler as a periodic task of ``runtime`` (see ``Runtime.open``'s ``background``)."""
    return ("report_schedule", ReportScheduler(runtime))
