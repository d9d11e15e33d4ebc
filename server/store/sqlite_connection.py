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
* the read connections (point reads, scans: ``SQLiteStore``) are ``query_only``.

One writer (``Writer``): one asyncio lock, one connection, and every write is one transaction that
starts with ``BEGIN IMMEDIATE`` — the SQLite write lock is taken up front, so a transaction never
starts as a reader and fails later when it tries to write (the ``SQLITE_BUSY`` upgrade deadlock of
deferred transactions). Between processes, ``BEGIN IMMEDIATE`` plus ``busy_timeout`` serialises
writers (``khidma serve --workers N``: each process has its writer; the file's lock takes turns).
Waiting on that lock is SQLite's busy handler, which sleeps and polls (1, 2, 5, 10 … 100 ms): under
load the process that lost a race slept past several of the other's commits (p99 180 ms with two
workers). So the store's writers of one file also queue on a blocking ``flock(2)`` of
``<file>-write.lock`` (:class:`WriteTurns`) around each write transaction: the kernel wakes the next
as soon as the holder lets go. It orders our own writers only; SQLite's lock stays what guarantees
one writer, and a writer that does not take the turn (another program) is still waited for by
``busy_timeout``.

``Writer.run_sync`` runs a whole transaction — ``BEGIN IMMEDIATE``, a plain synchronous function over
the ``sqlite3`` connection, ``COMMIT`` (or ``ROLLBACK``) — as ONE job on the connection's thread: one
thread hop per transaction instead of one per statement (issue 14: the ticket writes went from 8–10
hops, 3.9 ms of lock time each, to one). ``Writer.run`` keeps the statement-by-statement form for
writes that are not on the hot path. Reads run on the read connections beside the writer; each read is one statement, so it
sees one committed snapshot.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import aiosqlite

from server.store.interface import StoreError
from server.store.sqlite_checkpoint import Checkpointer
from server.store.sqlite_codec import fetch_all

T = TypeVar("T")
Synchronous = Literal["FULL", "NORMAL"]
BUSY_TIMEOUT_MS = 5000
MINIMUM_SQLITE = (3, 37, 0)  # STRICT tables


async def connect(
    path: Path, *, synchronous: Synchronous, read_only: bool, cache_kib: int | None = None
) -> aiosqlite.Connection:
    """A connection to ``path`` with the PRAGMAs above; ``cache_kib``: its page cache, when not SQLite's
    default (2 MB)."""
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
        if cache_kib is not None:
            await conn.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
    except BaseException:
        await conn.close()
        raise
    return conn


GROUP_LIMIT = 64
"""At most this many queued ``run_sync`` transactions share one COMMIT (group commit)."""

DRAIN_GROUPS = 8
"""At most this many groups in one job on the writer's thread before it gives the connection back (a
``Writer.run`` waiting for it gets its turn)."""

Outcome = tuple[bool, Any]
Work = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]
"""A queued ``run_sync`` transaction and the future its caller waits on."""
Queued = collections.deque[Work]


class WriteTurns:
    """The turn of one process's writer among all that write one SQLite file (see the module's
    docstring): an exclusive ``flock`` of ``<file>-write.lock``, taken on the writer's thread before
    ``BEGIN IMMEDIATE`` and given back after the transaction ends. The kernel drops it when the
    process dies."""

    def __init__(self, db_path: Path) -> None:
        self._file = db_path.with_name(db_path.name + "-write.lock").open("ab")

    def take(self) -> None:
        fcntl.flock(self._file, fcntl.LOCK_EX)

    def give(self) -> None:
        fcntl.flock(self._file, fcntl.LOCK_UN)

    def close(self) -> None:
        self._file.close()


def _in_turn(
    conn: sqlite3.Connection, turns: WriteTurns | None, works: list[Callable[[sqlite3.Connection], Any]]
) -> list[Outcome]:
    if turns is None:
        return _group(conn, works)
    turns.take()
    try:
        return _group(conn, works)
    finally:
        turns.give()


def _group(conn: sqlite3.Connection, works: list[Callable[[sqlite3.Connection], Any]]) -> list[Outcome]:
    """Run each of ``works`` in its own SAVEPOINT inside one ``BEGIN IMMEDIATE`` transaction and COMMIT
    once (one fsync of the WAL for all): a work that raises is rolled back to its savepoint alone and
    its exception handed back; if the COMMIT (or anything that ends the transaction) fails, every work
    fails with it. One work alone runs without savepoints."""
    conn.execute("BEGIN IMMEDIATE")
    outcomes: list[Outcome] = []
    try:
        if len(works) == 1:
            outcomes.append((True, works[0](conn)))
        else:
            for run in _runs(works):
                if len(run) > 1 and _together(conn, run, outcomes):
                    continue
                for work in run:
                    conn.execute("SAVEPOINT work")
                    try:
                        outcomes.append((True, work(conn)))
                    except Exception as exc:
                        if not conn.in_transaction:  # SQLite ended the whole transaction (I/O error…)
                            raise
                        conn.execute("ROLLBACK TO work")
                        outcomes.append((False, exc))
                    conn.execute("RELEASE work")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # a failed COMMIT may have ended it already
            conn.execute("ROLLBACK")
        raise
    return outcomes


def _runs(
    works: list[Callable[[sqlite3.Connection], Any]],
) -> list[list[Callable[[sqlite3.Connection], Any]]]:
    """``works`` cut into runs of neighbours that can be written together (the same ``together``),
    in order; a work without ``together`` is a run of its own."""
    runs: list[list[Callable[[sqlite3.Connection], Any]]] = []
    previous: object = None
    for work in works:
        together = getattr(work, "together", None)
        if together is not None and together == previous:
            runs[-1].append(work)
        else:
            runs.append([work])
        previous = together
    return runs


def _together(
    conn: sqlite3.Connection, run: list[Callable[[sqlite3.Connection], Any]], outcomes: list[Outcome]
) -> bool:
    """Write ``run`` with its works' ``together`` (``sqlite_creations``: a group of creations in a few
    statements) in one savepoint; on any exception roll that back and say so — the caller then runs
    each work alone, in a savepoint of its own, so each caller still gets its own outcome."""
    together = run[0].together  # type: ignore[attr-defined]  # _runs put only works that have it here
    conn.execute("SAVEPOINT together")
    try:
        answers = together(conn, run)
    except Exception:
        if not conn.in_transaction:  # SQLite ended the whole transaction (I/O error…)
            raise
        conn.execute("ROLLBACK TO together")
        conn.execute("RELEASE together")
        return False
    conn.execute("RELEASE together")
    outcomes.extend((True, answer) for answer in answers)
    return True


Group = list[Work]
Answered = tuple[Group, list[Outcome]]


def _drain(
    conn: sqlite3.Connection,
    turns: WriteTurns | None,
    queue: Queued,
    loop: asyncio.AbstractEventLoop,
    checkpointer: Checkpointer | None,
) -> Answered | None:
    """On the writer's thread: commit the queued works group after group (at most ``DRAIN_GROUPS``),
    handing each group's outcomes to the event loop in one callback while the next group runs; the
    last group's outcomes are returned instead, for the flusher to hand out once this job is over (so
    no caller resumes while the flusher still waits on this thread). The queue is a ``deque`` the loop
    appends to (``append`` and ``popleft`` are atomic); a future already done (its caller cancelled) is
    skipped — reading its state from here races only with a cancellation that would come too late."""
    last: Answered | None = None
    for _ in range(DRAIN_GROUPS):
        batch: Group = []
        while queue and len(batch) < GROUP_LIMIT:
            work, future = queue.popleft()
            if not future.done():
                batch.append((work, future))
        if not batch:
            break
        if last is not None:
            _answer(loop, *last)
        try:
            last = batch, _in_turn(conn, turns, [work for work, _ in batch])
            if checkpointer is not None:
                checkpointer.committed()
        except BaseException as exc:
            last = batch, [(False, exc)] * len(batch)
            if not isinstance(exc, Exception):
                _answer(loop, *last)
                raise
    return last


def _answer(loop: asyncio.AbstractEventLoop, batch: Group, outcomes: list[Outcome]) -> None:
    with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits any more
        loop.call_soon_threadsafe(_settle, [future for _, future in batch], outcomes)


def _settle(futures: list[asyncio.Future[Any]], outcomes: list[Outcome]) -> None:
    """On the event loop: each caller's outcome (a caller cancelled meanwhile is skipped)."""
    for future, (ok, value) in zip(futures, outcomes, strict=True):
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


async def _on_thread(conn: aiosqlite.Connection, fn: Callable[..., T], *args: object) -> T:
    """Run ``fn(sqlite3_connection, *args)`` as one job on ``conn``'s own thread (aiosqlite's queue;
    ``_execute`` is how aiosqlite itself runs every call, and ``_conn`` its ``sqlite3`` connection)."""
    raw = conn._conn
    result: T = await conn._execute(fn, raw, *args)  # type: ignore[no-untyped-call]
    return result


class Writer:
    """The one connection that writes, behind one lock."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        turns: WriteTurns | None = None,
        checkpointer: Checkpointer | None = None,
    ) -> None:
        self._conn = conn
        self._turns = turns
        self._checkpointer = checkpointer
        self._lock = asyncio.Lock()
        self._queue: Queued = collections.deque()
        self._flusher: asyncio.Task[None] | None = None

    async def run(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run ``work`` in one ``BEGIN IMMEDIATE`` transaction: committed when it returns, rolled
        back when it raises or is cancelled."""
        async with self._lock:
            conn = self._conn
            turns = self._turns
            if turns is not None:
                await conn._execute(turns.take)  # type: ignore[no-untyped-call]  # on the writer's thread
            try:
                # Inside the try: a cancellation while BEGIN is queued must still roll back, as
                # aiosqlite runs a queued statement even when its awaiting task is cancelled.
                await conn.execute("BEGIN IMMEDIATE")
                result = await work(conn)
                await conn.execute("COMMIT")
                if self._checkpointer is not None:
                    self._checkpointer.committed()
            except BaseException:
                # No transaction to roll back (BEGIN failed, or a failed COMMIT ended it): fine.
                with contextlib.suppress(sqlite3.OperationalError):
                    await conn.execute("ROLLBACK")
                raise
            finally:
                if turns is not None:
                    await conn._execute(turns.give)  # type: ignore[no-untyped-call]
            return result

    async def run_sync(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` — a plain function over the ``sqlite3`` connection, doing no I/O but the
        database's — in a ``BEGIN IMMEDIATE`` transaction on the connection's thread, in one job; return
        once it is committed (durably, with ``synchronous=FULL``); raise what it raised, and then
        nothing of it is written.

        Group commit: the transactions queued while the previous one was being committed go together
        (up to ``GROUP_LIMIT``), each in its own SAVEPOINT, under one COMMIT — one fsync for all. Each
        caller is answered only after that COMMIT, so an acknowledged write survives a power cut as
        before; a work that raises is rolled back alone. A caller cancelled before its work started
        takes it out; once started, the job runs whole (committed or rolled back) on the thread.

        The writer's thread takes the next group itself (:func:`_drain`) as soon as one is committed,
        without waiting for the event loop to hand it over: under load the loop is busy answering the
        group before, and the writer used to sit idle meanwhile (a sixth of its time, measured in
        docs/performance.md)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append((work, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush(loop))
        return await future

    async def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            while self._queue:
                async with self._lock:  # per drain: a waiting ``run`` gets its turn between two
                    last = await _on_thread(
                        self._conn, _drain, self._turns, self._queue, loop, self._checkpointer
                    )
                if last is not None:
                    batch, outcomes = last
                    _settle([future for _, future in batch], outcomes)
        finally:
            self._flusher = None
            while self._queue:  # only when this task itself was cancelled (loop closing)
                _, future = self._queue.popleft()
                if not future.done():
                    future.set_exception(StoreError("the store's writer stopped"))

    async def close(self) -> None:
        """Wait for the writes in progress and queued, then close."""
        if self._flusher is not None:
            await self._flusher
        async with self._lock:
            with contextlib.suppress(sqlite3.Error):
                await self._conn.execute("PRAGMA optimize")
            await self._conn.close()
            if self._turns is not None:
                self._turns.close()
            if self._checkpointer is not None:
                self._checkpointer.close()
