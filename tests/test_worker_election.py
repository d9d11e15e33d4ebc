"""The background-work election (server/election.py): of the processes serving one database exactly one
runs the worker, and when it dies another takes over within ``worker_election_seconds`` — on SQLite
(the lock file) and on PostgreSQL (the advisory lock), in-process with the holder's lock dropped as its
death would, and on PostgreSQL with a ``khidma serve`` process SIGKILLed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import msgspec
import psycopg
import pytest

from server import election
from server.runtime import Runtime, load_shipped
from tests.conftest import free_port
from tests.web import settings_for

ROOT = Path(__file__).resolve().parent.parent
RETRY = 0.05


async def eventually(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not within the bounded time"
        await asyncio.sleep(RETRY)


async def test_one_runtime_runs_the_worker_and_another_takes_over_when_it_dies(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path, background_worker=True, worker_election=True, worker_election_seconds=RETRY
    )
    catalogue = load_shipped(settings)
    held = list(election._held)
    first = await Runtime.open(settings, catalogue)
    holder = election._held[len(held) :]
    second = await Runtime.open(settings, catalogue)
    try:
        assert len(holder) == 1, "the first process is elected"
        assert first.worker is not None and first.worker.running
        assert second.worker is None, "the second is not…"
        await asyncio.sleep(RETRY * 4)
        assert second.worker is None, "…however often it tries while the holder lives"
        holder[0].close()  # the holder dies: the operating system (PostgreSQL) releases its lock
        await eventually(lambda: second.worker is not None)
        assert second.worker is not None and second.worker.running and second.election is not None
        assert second.election.won
    finally:
        await first.close()
        await second.close()
        for lock in election._held[len(held) :]:
            lock.close()
        election._held[:] = held


async def test_without_the_election_the_worker_runs_as_before(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, background_worker=True)
    runtime = await Runtime.open(settings, load_shipped(settings))
    try:
        assert runtime.election is None and runtime.worker is not None and runtime.worker.running
    finally:
        await runtime.close()
    quiet = msgspec.structs.replace(settings, background_worker=False, worker_election=True)
    runtime = await Runtime.open(quiet, load_shipped(quiet))
    try:
        assert runtime.election is None and runtime.worker is None
    finally:
        await runtime.close()


def _holders(url: str) -> list[int]:
    """The backends holding a worker-election lock of this schema."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'khidma-worker-election'"
            " AND l.objid = ((hashtext('khidma-worker:' || current_schema())::bigint) & 4294967295)::oid"
        ).fetchall()
    return [row[0] for row in rows]


def _serve(url: str, tmp_path: Path, name: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with (tmp_path / f"{name}.log").open("wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "server", "serve", "--port", str(port), "--db", url),
                *("--attachments", str(tmp_path / "files"), "--worker-election-interval", "0.2"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "KHIDMA_SECRET": "s" * 32},
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError((tmp_path / f"{name}.log").read_text())
        time.sleep(0.1)


@pytest.mark.single_backend("PostgreSQL only: two `khidma serve` processes on one database")
def test_a_killed_holder_is_replaced_by_the_other_server(pg_url: str, tmp_path: Path) -> None:
    first, _ = _serve(pg_url, tmp_path, "first")
    second = None
    try:
        assert len(_holders(pg_url)) == 1
        elected = _holders(pg_url)[0]
        second, base = _serve(pg_url, tmp_path, "second")
        assert _holders(pg_url) == [elected], "the second server is not elected while the first lives"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        deadline = time.monotonic() + 15
        while _holders(pg_url) in ([], [elected]):
            assert time.monotonic() < deadline, "no server took over the background work"
            time.sleep(0.1)
        assert len(_holders(pg_url)) == 1
        assert httpx.get(f"{base}/healthz").status_code == 200
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)
    assert "now runs the background work" in (tmp_path / "second.log").read_text()
