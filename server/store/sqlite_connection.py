"""SQLite connections for the store: their PRAGMAs, and the single writer.

Both connections are in autocommit mode (``isolation_level=None``): the driver never opens a
transaction by itself; the store says ``BEGIN`` explicitly.

* ``journal_mode = WAL`` (persistent in the file): readers never block the writer nor the writer
  them, and a commit appends to the WAL instead of rewriting pages.
* ``synchronous = FULL`` (default; ``NORMAL`` can be asked for): every commit fsyncs the WAL, so a
  write acknowledged to the caller survives a power cut, not only a process crash. With ``NORMAL``
  a power cut may lose the last commits (never corrupt the file).
* ``foreign_keys = ON``: references (ticket → definition version, event → ticket…) are enforced.
* ``busy_timeout = 5000`` ms: another process holding the write lock makes us wait, not fail.
* the read connection is ``query_only``.

One writer (``Writer``): one asyncio lock, one connection, and every write is one transaction that
starts with ``BEGIN IMMEDIATE`` — the SQLite write lock is taken up front, so a transaction never
starts as a reader and fails later when it tries to write (the ``SQLITE_BUSY`` upgrade deadlock of
deferred transactions). Between processes, ``BEGIN IMMEDIATE`` plus ``busy_timeout`` serialises
writers. Reads run on the read connection beside the writer; each read is one statement, so it sees
one committed snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Literal, TypeVar

import aiosqlite

from server.store.interface import StoreError
from server.store.sqlite_codec import fetch_all

T = TypeVar("T")
Synchronous = Literal["FULL", "NORMAL"]
BUSY_TIMEOUT_MS = 5000
MINIMUM_SQLITE = (3, 37, 0)  # STRICT tables


async def connect(path: Path, *, synchronous: Synchronous, read_only: bool) -> aiosqlite.Connection:
    if sqlite3.sqlite_version_info < MINIMUM_SQLITE:
        raise StoreError(f"khidma needs SQLite 3.37 or newer; this Python has {sqlite3.sqlite_version}")
    conn = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.row_factory = sqlite3.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = await fetch_all(conn, "PRAGMA journal_mode = WAL")
        if str(mode[0][0]).lower() != "wal":
            raise StoreError(f"{path}: SQLite refused WAL mode (journal_mode is {mode[0][0]!r})")
        await conn.execute(f"PRAGMA synchronous = {synchronous}")
        await conn.execute("PRAGMA foreign_keys = ON")
        if read_only:
            await conn.execute("PRAGMA query_only = ON")
    except BaseException:
        await conn.close()
        raise
    return conn


class Writer:
    """The one connection that writes, behind one lock."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()

    async def run(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run ``work`` in one ``BEGIN IMMEDIATE`` transaction: committed when it returns, rolled
        back when it raises or is cancelled."""
        async with self._lock:
            conn = self._conn
            try:
                # Inside the try: a cancellation while BEGIN is queued must still roll back, as
                # aiosqlite runs a queued statement even when its awaiting task is cancelled.
                await conn.execute("BEGIN IMMEDIATE")
                result = await work(conn)
                await conn.execute("COMMIT")
            except BaseException:
                # No transaction to roll back (BEGIN failed, or a failed COMMIT ended it): fine.
                with contextlib.suppress(sqlite3.OperationalError):
                    await conn.execute("ROLLBACK")
                raise
            return result

    async def close(self) -> None:
        """Wait for the write in progress, then close."""
        async with self._lock:
            with contextlib.suppress(sqlite3.Error):
                await self._conn.execute("PRAGMA optimize")
            await self._conn.close()
