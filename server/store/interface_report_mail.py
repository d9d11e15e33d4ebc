"""What the report scheduler asks of a store (issue 11): a lease, and queueing a report's e-mails once.

Contract every backend keeps:

* ``take_lease`` is atomic across processes: of any number of callers naming one lease, at most one
  holds it at a time (until its expiry, or until it lets it go); the holder may renew it;
* ``queue_report_run`` writes the run's key (report + period), its messages (outbox rows with their
  attachments) and who got which (report + period + recipient) in ONE transaction: a run is queued
  entirely, once, or not at all — a second call for the same report and period queues nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from server.store.records import NewMail, ReportBasis, ReportCount, ReportRun


class ReportCountStore(Protocol):
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
        """The tickets ``report_tickets`` would give, counted by service, state, channel, category and
        the named values — the figures of a report without reading its tickets one by one."""
        ...


class ReportMailStore(ReportCountStore, Protocol):
    async def take_lease(self, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
        """Hold lease ``name`` until ``now + ttl`` if it is free, expired or already ``holder``'s;
        False (nothing changed) while another holder's is unexpired."""
        ...

    async def release_lease(self, name: str, holder: str) -> None:
        """Let lease ``name`` go, if ``holder`` holds it."""
        ...

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
        """Queue ``mails`` as the run of ``report`` for ``period``; False (nothing written) when that
        run was queued before. With ``lease`` (name, holder), also False — nothing written — when
        the lease is no longer that holder's (another process took over after it expired)."""
        ...

    async def report_run(self, report: str, period: str) -> ReportRun | None: ...

    async def report_schedule_since(self, report: str, *, now: datetime) -> datetime:
        """When the scheduler first saw ``report`` (recorded as ``now`` the first time)."""
        ...
