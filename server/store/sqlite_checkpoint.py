"""WAL checkpoints off the writer's path (issue 14).

SQLite's default copies the WAL back into the database file from inside the COMMIT that takes the WAL
past 1,000 pages (``wal_autocheckpoint``): under load, one group commit in ten or twelve also wrote
those pages and fsynced the database file — 4–14 ms against the 1 ms of an ordinary commit, about half
of all the time the writer spent committing (measured in docs/performance.md). Every writer waited for
it, and the submissions queued behind.

The store's writer connection turns that off (``PRAGMA wal_autocheckpoint = 0``) and nudges a
:class:`Checkpointer` after each commit: a thread of its own, with a connection of its own, that runs
``PRAGMA wal_checkpoint(PASSIVE)`` — at most every :data:`PAUSE` seconds, so a checkpoint copies the
pages of many commits at once. A PASSIVE checkpoint takes no write lock and waits for nobody: the writer
goes on appending to the WAL meanwhile. But the WAL starts over from its beginning only at the first
write transaction after a checkpoint that copied every frame, and under steady writes the frames
committed during a checkpoint are always left: alone, the WAL would grow without end. So when more
than :data:`WAL_FRAMES` frames are in it after the unhindered checkpoint, a second one runs holding the
writers' turn (``WriteTurns``, the ``flock`` every writer of the file takes): it copies only what came
during the first — a few commits — and completes, and the next write starts the WAL over. Durability does not change: a commit is durable
when its WAL frames are fsynced, before any checkpoint. Other programs writing the file (``khidma``
commands, another process's store) keep their own checkpoints; two checkpointers take turns on
SQLite's checkpoint lock (one returns busy and tries again at the next nudge).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

PAUSE = 0.05
"""Seconds between the end of one checkpoint and the start of the next, at least."""

WAL_FRAMES = 4000
"""Frames (pages, 4 KiB each) the WAL may hold before the checkpointer makes it start over (16 MiB;
SQLite's own checkpoint starts at 1,000)."""


class Turns(Protocol):
    def take(self) -> None: ...
    def give(self) -> None: ...
    def close(self) -> None: ...


class Checkpointer:
    """The checkpoint thread of one store's database file."""

    def __init__(self, path: Path, turns: Turns, *, pause: float | None = None) -> None:
        """``turns``: the writers' turn on the file, opened for this checkpointer alone (a ``flock``
        held through another open file is not this one's)."""
        self._path = path
        self._turns = turns
        self._pause = PAUSE if pause is None else pause
        self._wake = threading.Event()
        self._stopping = False
        self.checkpoints = 0
        """How many checkpoints ran."""
        self.done = threading.Event()
        """Set after each checkpoint (a test clears it and waits)."""
        self._thread = threading.Thread(target=self._run, name="khidma-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        """A write transaction was committed: checkpoint soon (any thread may call it)."""
        self._wake.set()

    def close(self) -> None:
        """Stop the thread (one last checkpoint first, if a commit came since the one before)."""
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                try:
                    self._checkpoint(conn)
                except sqlite3.Error as exc:  # busy (another checkpointer), or the file went away
                    log.warning("WAL checkpoint of %s failed: %s", self._path, exc)
                if self._stopping:
                    return
                time.sleep(self._pause)
        finally:
            conn.close()
            self._turns.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        _, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if frames > WAL_FRAMES:
            self._turns.take()
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            finally:
                self._turns.give()
        self.checkpoints += 1
        self.done.set()
