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
  when that process dies, and the process uvicorn starts in its place — or another, trying again every
  ``worker_election_seconds`` — takes it (``server/election.py``).
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
  A process that lost the election tries again every ``worker_election_seconds`` (30 s;
  ``server/election.py``), so when the holder dies without being replaced (a machine is lost) another
  process takes over within that interval. Caveat: if the holder's connection is cut while it lives, a
  process trying later may be elected too — two dispatchers, which the SKIP LOCKED claims of the
  outbox and the timers keep safe.
* Start: migrations decide again under the write lock; publishing the shipped definitions keeps one
  version per content.
"""

from __future__ import annotations

import base64
import os
import pickle
from typing import Any

import msgspec

from server.election import WORKER_LOCK_KEY, _held, take_postgres_worker_lock, take_worker_lock
from server.settings import Settings

ENVIRONMENT = "KHIDMA_WORKER_SETTINGS"


def settings_to_environment(settings: Settings) -> dict[str, str]:
    return {ENVIRONMENT: base64.b64encode(pickle.dumps(settings)).decode("ascii")}


def app_from_environment() -> Any:
    """The app of one worker process (uvicorn calls it: ``factory=True``)."""
    from server.process import start_up, tune_for_serving

    start_up()  # the collector off until the heap is frozen (server/process.py)
    from server.app import create_app

    settings = pickle.loads(base64.b64decode(os.environ[ENVIRONMENT]))  # noqa: S301 (set by our parent)
    assert isinstance(settings, Settings)
    # the background worker runs in the process that wins the election, tried again by the losers
    # (server/election.py, from Runtime.open)
    return tune_for_serving(create_app(msgspec.structs.replace(settings, worker_election=True)))


# The election itself lives in server/election.py (the runtime retries it); named here for callers.
__all__ = [
    "WORKER_LOCK_KEY",
    "_held",
    "app_from_environment",
    "serve",
    "take_postgres_worker_lock",
    "take_worker_lock",
]


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
        ws="none",  # no WebSocket route (as server/cli.py)
    )
