"""``khidma serve --workers N``: N server processes on one SQLite file (issue 14).

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
* Start: migrations decide again under the write lock; publishing the shipped definitions keeps one
  version per content.
"""

from __future__ import annotations

import base64
import fcntl
import os
import pickle
from pathlib import Path
from typing import IO, Any

import msgspec

from server.settings import Settings

ENVIRONMENT = "KHIDMA_WORKER_SETTINGS"


def settings_to_environment(settings: Settings) -> dict[str, str]:
    return {ENVIRONMENT: base64.b64encode(pickle.dumps(settings)).decode("ascii")}


def app_from_environment() -> Any:
    """The app of one worker process (uvicorn calls it: ``factory=True``)."""
    from server.app import create_app

    settings = pickle.loads(base64.b64decode(os.environ[ENVIRONMENT]))  # noqa: S301 (set by our parent)
    assert isinstance(settings, Settings)
    if settings.background_worker and not take_worker_lock(settings.db_path):
        settings = msgspec.structs.replace(settings, background_worker=False)
    return create_app(settings)


_held: list[IO[bytes]] = []


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
