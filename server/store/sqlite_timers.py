"""Timers claimed for firing, SQLite side (``interface_timers``): one process runs the background work
of a SQLite file (the worker lock of ``server/workers.py``), so a claim is the list of due timers and a
release has nothing to give back; a timer still fires once (``fired_timer_id`` in the ticket's
transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import aiosqlite

from server.store import sqlite_outbox
from server.store.interface_timers import TIMER_CLAIM_LEASE
from server.store.records import Timer


class SQLiteTimersMixin:
    _reader: aiosqlite.Connection

    async def claim_due_timers(
        self, *, now: datetime, limit: int = 100, lease: timedelta = TIMER_CLAIM_LEASE
    ) -> list[Timer]:
        return (await sqlite_outbox.due_timers(self._reader, now=now))[:limit]

    async def release_timers(self, timer_ids: Sequence[int]) -> None:
        return None
