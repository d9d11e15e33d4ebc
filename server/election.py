"""Which process runs the background work (notifications, timers, the periodic tasks) when several serve
one database (issue 14; ``server/workers.py`` says why one): the one holding an exclusive ``flock`` on
``<db>-worker.lock`` (SQLite), or a session-level advisory lock on a connection of its own
(PostgreSQL: one process among every process on every machine serving that database). The lock is held
until the process exits, and released by the operating system or by PostgreSQL when it dies.

A process that loses the election keeps trying (:class:`WorkerElection`, every
``worker_election_seconds``): when the holder dies — its machine lost, not only its process, which
uvicorn would replace — another process takes the lock within that interval and starts the worker.

``khidma dispatch`` (the worker as a process of its own) stands in the same election
(:func:`standing`): it works only while it holds the lock, so it never runs beside an elected
``khidma serve`` worker; a long-running one waits its turn, ``--once`` gives up at once. Unlike a
server's, its lock is let go when the command ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from server.settings import Settings

log = logging.getLogger("khidma.election")

_held: list[Any] = []
"""What keeps this process elected until it exits: the locked file, or the PostgreSQL connection."""


def take_worker_lock(db_path: Path) -> bool:
    """Whether this process now runs the background work for ``db_path`` (held until it exits)."""
    return _keep(_file_lock(db_path))


def _keep(held: Any) -> bool:
    if held is None:
        return False
    _held.append(held)
    return True


def _file_lock(db_path: Path) -> Any:
    """The open, ``flock``-ed ``<db>-worker.lock`` (the lock is held while it is open), or None when
    another open file holds it — another process, or another election in this one."""
    handle = db_path.with_name(db_path.name + "-worker.lock").open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


WORKER_LOCK_KEY = "SELECT pg_try_advisory_lock(hashtext('khidma-worker:' || current_schema()))"


def take_postgres_worker_lock(db_url: str) -> bool:
    """Whether this process now runs the background work for the PostgreSQL database ``db_url``: a
    session-level advisory lock on a connection of its own, kept open (held) until the process exits.
    Raises ``ConnectionError`` when the database cannot be reached."""
    return _keep(_postgres_lock(db_url))


def _postgres_lock(db_url: str) -> Any:
    """A connection holding the election's advisory lock (held while it is open), or None when another
    session holds it. Raises ``ConnectionError`` when the database cannot be reached."""
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
        return None
    return conn


def take_lock(settings: Settings) -> bool:
    """This process's turn at the election for ``settings``' database (either backend)."""
    return _keep(_lock(settings))


def _lock(settings: Settings) -> Any:
    return _postgres_lock(settings.db_url) if settings.db_url else _file_lock(settings.db_path)


@contextlib.asynccontextmanager
async def standing(
    settings: Settings, *, stop: asyncio.Event | None = None, waiting: Callable[[], None] | None = None
) -> AsyncIterator[bool]:
    """``khidma dispatch``'s turn at the election for ``settings``' database: yields True once this
    process holds the lock — tried now and, with ``stop`` given, again every
    ``worker_election_seconds`` until it is won (``waiting`` is called once, after the first loss) or
    ``stop`` is set (then False); without ``stop``, one attempt, and a database out of reach raises
    ``ConnectionError`` (with ``stop``, it counts as lost). The lock is let go when the block ends."""
    held = None
    told = False
    try:
        while True:
            try:
                held = await asyncio.to_thread(_lock, settings)
            except ConnectionError as exc:
                if stop is None:
                    raise
                log.warning("worker election: %s; trying again", exc)
            if held is not None or stop is None:
                break
            if not told and waiting is not None:
                waiting()
                told = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.worker_election_seconds)
            if stop.is_set():
                break
        yield held is not None
    finally:
        if held is not None:
            held.close()


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
