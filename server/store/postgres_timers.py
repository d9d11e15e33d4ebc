"""Timers claimed for firing, PostgreSQL side (``interface_timers``): several processes (on several
machines) may run timer loops on one database. ``claim_due_timers`` takes the due, unclaimed timers with
``FOR UPDATE SKIP LOCKED`` — rows another process is claiming at that moment are skipped, not waited
for — and leases them (``timers.claimed_until``, pg_migrations/``*_timer_claims.sql``): until the lease ends, or the timer
is fired, cancelled or released, no other process's claim returns it. The firing itself still turns the
timer ``pending → fired`` in the ticket's transaction, so a timer whose lease ran out while its process
was slow still fires once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from server.store.interface_timers import TIMER_CLAIM_LEASE
from server.store.postgres_codec import PgBase, execute, fetch_all, moment
from server.store.postgres_outbox import timer_from_row
from server.store.records import Timer


class PgTimersMixin(PgBase):
    async def claim_due_timers(
        self, *, now: datetime, limit: int = 100, lease: timedelta = TIMER_CLAIM_LEASE
    ) -> list[Timer]:
        at = moment(now)
        rows = await self._write(
            lambda conn: fetch_all(
                conn,
                "UPDATE timers SET claimed_until = %(until)s WHERE id IN (SELECT id FROM timers"
                " WHERE status = 'pending' AND due_at <= %(at)s"
                " AND (claimed_until IS NULL OR claimed_until <= %(at)s)"
                " ORDER BY due_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED) RETURNING *",
                {"at": at, "until": at + lease, "limit": limit},
            )
        )
        return sorted((timer_from_row(row) for row in rows), key=lambda t: (t.due_at, t.id))

    async def release_timers(self, timer_ids: Sequence[int]) -> None:
        if timer_ids:
            await self._write(
                lambda conn: execute(
                    conn, "UPDATE timers SET claimed_until = NULL WHERE id = ANY(%s)", (list(timer_ids),)
                )
            )
