"""``khidma serve --workers N``: N server processes on one SQLite file or one PostgreSQL database (issue 14).

uvicorn's supervisor starts the processes (each imports :func:`app_from_environment`, a factory) and
restarts one that dies. The parent's settings travel to them in the environment, pickled — the same
``secret`` (sessions and CSRF tokens signed by one process are good in every other), the same database
and definitions. Nothing else is shared in memory: the processes meet in the database.

* Writes: each process has its one writer; ``BEGIN IMMEDIATE`` with ``busy_timeout`` makes the file's
  write lock take turns between processes, so at most one transaction writes at a time and a waiting
  one waits (5 s) instead of failing. Every acknowledged write was committed (group commit included).
* Caches: the published versions are re-read when the definitions stamp (the highest version id)
  moves, whichever process published (``TicketService.latest_versions``).
* Background work (notifications, timers, the periodic tasks): in ONE process — the one holding an
  exclusive ``flock`` on ``<db>-worker.lock``, taken when it starts; the operating system releases it
  when that process dies, and the process uvicorn starts in its place takes it.
* On PostgreSQL (``--db postgresql://…``) ``db_path`` is only a default file name, so a file lock would
  elect per machine and per working directory, not per database. The election is instead a
  session-level ``pg_try_advisory_lock`` taken on a connection of its own that the elected process
  keeps open until it exits: the lock lives in the database, so it elects one process among every
  process on every machine that serves that database (the load-balanced plan of docs/operation.md),
  and PostgreSQL releases it when the holder's connection ends (the process died, or the machine).
  The key is ``hashtext('khidma-worker:' || current_schema())``: advisory locks are per database, and
  the schema tells apart several khidma stores in one database (the tests keep one per schema).
  Why the lock and not simply N dispatchers: the outbox and timer claims already use
  ``FOR UPDATE SKIP LOCKED`` (two dispatchers would never send one message twice), but the periodic
  tasks (clean-ups, the reports' schedule, the mail fetcher) would run N times for nothing and N
  pollers would load the database N times — one elected worker keeps one process's behaviour.
  Caveats: a process that failed the election at start never retries, so when the holder dies without
  being replaced (a machine is lost) the background work waits for the next process start (uvicorn
  replaces a dead worker on the same machine at once); if the holder's connection is cut while it
  lives, a process starting later may be elected too — two dispatchers, which the SKIP LOCKED claims
  keep safe.
* Start: migrations decide again under the write lock; publishing the shipped definitions keeps one
  version per content.
"""

from __future__ import annotations

import base64
import fcntl
import os
import pickle
from pathlib import Path
from typing import Any

import msgspec

from server.settings import Settings

ENVIRONMENT = "KHIDMA_WORKER_SETTINGS"


def settings_to_environment(settings: Settings) -> dict[str, str]:
    return {ENVIRONMENT: base64.b64encode(pickle.dumps(settings)).decode("ascii")}


def app_from_environment() -> Any:
    """The app of one worker process (uvicorn calls it: ``factory=True``)."""
    from server.app import create_app
    from server.process import tune_for_serving

    settings = pickle.loads(base64.b64decode(os.environ[ENVIRONMENT]))  # noqa: S301 (set by our parent)
    assert isinstance(settings, Settings)
    if settings.background_worker and not (
        take_postgres_worker_lock(settings.db_url) if settings.db_url else take_worker_lock(settings.db_path)
    ):
        settings = msgspec.structs.replace(settings, background_worker=False)
    return tune_for_serving(create_app(settings))


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
    session-level advisory lock on a connection of its own, kept open (held) until the process exits."""
    import psycopg

    try:
        conn = psycopg.connect(
            db_url, autocommit=True, application_name="khidma-worker-election", keepalives=1
        )
    except psycopg.OperationalError as exc:
        raise ConnectionError(f"the PostgreSQL database cannot be reached: {exc}") from exc
    row = conn.execute(WORKER_LOCK_KEY).fetchone()
    if not (row and row[0]):
        conn.close()
        return False
    _held.append(conn)
    return True


def serve(settings: Settings, *, host: str, port: int, workers: int) -> None:
    import uvicorn

    os.environ.update(settings_to_environment(settings))
    uvicorn.run(
        "server.workers:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
    )
