"""The definitions stamp as a store remembers it (issue 14): read from the database at most every
:data:`RECHECK` seconds, forgotten at once when this store publishes.

Every request that needs a published version asks for the stamp; reading it each time cost a reader
round trip per request (a sixth of a submission's CPU on SQLite). A publish by this process is seen
immediately (the store forgets the stamp when it writes a version); a publish by another process on
the same database (``--workers``, a second machine, ``khidma import``) within :data:`RECHECK` seconds.
A request served meanwhile uses the version before, exactly as if it had arrived a moment earlier:
tickets keep the version they were made on either way.

The requests that find the stamp too old at the same moment share one read (:meth:`StampCache.read`):
under load every request in flight used to find it so at once, and each sent a read of its own — a
reader round trip for a quarter of all requests (docs/performance.md, eighth round). A read begun
before this store forgot the stamp is not remembered: it may have missed the change.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

RECHECK = 0.5
"""Seconds a stamp read from the database is taken as current."""


class StampCache:
    """The last stamp read, and until when it stands (``time.monotonic``)."""

    def __init__(self, recheck: float = RECHECK) -> None:
        self.recheck = recheck
        self._value = 0
        self._until = 0.0
        self._forgotten = 0
        """How many times :meth:`forget` was called: a read begun before the last one is not kept."""
        self._reading: asyncio.Task[int] | None = None

    def current(self) -> int | None:
        """The remembered stamp, or None when it must be read again."""
        return self._value if time.monotonic() < self._until else None

    def remember(self, value: int) -> int:
        self._value = value
        self._until = time.monotonic() + self.recheck
        return value

    def forget(self) -> None:
        """This store published: the next request reads the stamp again."""
        self._until = 0.0
        self._forgotten += 1
        self._reading = None  # a read in flight may have begun before the change: not shared from now

    async def read(self, fetch: Callable[[], Awaitable[int]]) -> int:
        """The remembered stamp, or ``fetch``'s answer — one fetch for every caller that asks while it
        runs (in a task of its own: a caller cancelled meanwhile does not cancel the others' read)."""
        remembered = self.current()
        if remembered is not None:
            return remembered
        reading = self._reading
        if reading is None or reading.get_loop() is not asyncio.get_running_loop():
            reading = self._reading = asyncio.ensure_future(self._fetch(fetch, self._forgotten))
            _RUNNING.add(reading)  # held until done, even once forgotten and no caller waits any more
            reading.add_done_callback(_retrieved)
        return await asyncio.shield(reading)

    async def _fetch(self, fetch: Callable[[], Awaitable[int]], forgotten: int) -> int:
        try:
            value = await fetch()
        finally:
            if self._reading is asyncio.current_task():
                self._reading = None
        if forgotten == self._forgotten:  # else this store changed it meanwhile: read again next time
            self.remember(value)
        return value


_RUNNING: set[asyncio.Task[int]] = set()
"""The reads in flight (the event loop holds its tasks only weakly)."""


def _retrieved(task: asyncio.Task[int]) -> None:
    """A failed read every caller stopped waiting for is not reported as never retrieved (a caller
    still waiting gets the error itself)."""
    _RUNNING.discard(task)
    if not task.cancelled():
        with contextlib.suppress(Exception):
            task.exception()
