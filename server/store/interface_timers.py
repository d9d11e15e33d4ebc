"""Timers claimed for firing (issue 14): several processes' timer loops each take the due timers no
other holds, so no two compute and apply one timer (they would contend for the ticket's row lock, and
the loser's work was for nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from server.store.records import Timer

TIMER_CLAIM_LEASE = timedelta(minutes=5)
"""How long a claimed timer is left to the process that claimed it: one that died holding it leaves it
to the others after this long."""


class TimerClaimsStore(Protocol):
    async def claim_due_timers(
        self, *, now: datetime, limit: int = 100, lease: timedelta = TIMER_CLAIM_LEASE
    ) -> list[Timer]:
        """The pending timers due at ``now`` (earliest first, at most ``limit``) that no other process
        holds, now held by this one until ``now + lease`` or until fired, cancelled or released. On
        PostgreSQL, taken with ``FOR UPDATE SKIP LOCKED``; on SQLite (one background worker per file)
        simply the due timers."""
        ...

    async def release_timers(self, timer_ids: Sequence[int]) -> None:
        """Give claimed timers back (one could not be fired this round: its ticket moved on), for the
        next round of any process."""
        ...
