"""Which process runs the background work (notifications, timers, the periodic tasks) when several serve
one database (issue 14; ``server/workers.py`` says why one): the one holding an exclusive ``flock`` on
``<db>-worker.lock`` (SQLite), or a session-level advisory lock on a connection of its own
(PostgreSQL: one process among every process on every machine serving that database). The lock is held
until the process exits, and released by the operating system or by PostgreSQL when it dies.

A process that loses the election keeps trying (:class:`WorkerElection`, every
``worker_election_seconds``): when the holder dies — its machine lost, not only its process, which
uvicorn would replace — another process takes the lock within that interval and starts the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.settings import Settings

log = logging.getLogger("khidma.election")

_held: list[Any] = []
"""What keeps this process elected until it exits: the locked file, or the PostgreSQL connection."""


def take_worker_lock(db_path: Path) -> bool:
    """Whether this process now runs the background work for ``db_path`` (held until it exits)."""
    handle = db_path.with_name(db_path.name + "-worker.lock").open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    _held.append(handle)
    return True


WORKER_LOCK_KEY = "SELECT pg_try_advisory_lock(hashtext('khidma-worker:' || current_schema()))"


def take_postgres_worker_lock(db_url: str) -> bool:
    """Whether this process now runs the background work for the PostgreSQL database ``db_url``: a
    session-level advisory lock on a connection of its own, kept open (held) until the process exits.
    Raises ``ConnectionError`` when the database cannot be reached."""
    import psycopg

    try:
        conn = psycopg.connect(
            db_url, autocommit=True, application_name="khidma-worker-election", keepalives=1
        )
    except psycopg.OperationalError as exc:
        raise ConnectionError(f"the PostgreSQL database cannot be reached: {exc}") from exc
    try:
        row = conn.execute(WORKER_LOCK_KEY).fetchone()
    except psycopg.Error as exc:
        conn.close()
        raise ConnectionError(f"the PostgreSQL worker election failed: {exc}") from exc
    if not (row and row[0]):
        conn.close()
        return False
    _held.append(conn)
    return True


def take_lock(settings: Settings) -> bool:
    """This process's turn at the election for ``settings``' database (either backend)."""
    return (
        take_postgres_worker_lock(settings.db_url) if settings.db_url else take_worker_lock(settings.db_path)
    )


class WorkerElection:
    """Tries the election now and, lost, again every ``settings.worker_election_seconds`` in the
    background until this process wins; then calls ``elected`` (which starts the worker) once."""

    def __init__(self, settings: Settings, elected: Callable[[], None]) -> None:
        self.settings = settings
        self._elected = elected
        self._task: asyncio.Task[None] | None = None
        self.won = False

    async def try_once(self) -> bool:
        """One attempt (a blocking connect: in a thread); a database out of reach counts as lost."""
        try:
            won = await asyncio.to_thread(take_lock, self.settings)
        except ConnectionError as exc:
            log.warning("worker election: %s; trying again", exc)
            return False
        if won:
            self.won = True
            self._elected()
        return won

    def start(self) -> None:
        """Keep trying in the background (after a lost first attempt)."""
        self._task = asyncio.create_task(self._retry(), name="khidma-worker-election")

    async def _retry(self) -> None:
        while not await self.try_once():
            await asyncio.sleep(self.settings.worker_election_seconds)
        log.warning("this process was elected and now runs the background work (the holder went away)")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
