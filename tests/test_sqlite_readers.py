"""The SQLite store's two read connections (``SQLiteStore._reader`` and ``_scans``): a connection runs one
statement at a time, so the point reads (a ticket, a user, a session) have one of their own and never
wait behind a task list, a count, a report or the audit chain's verification, which may walk many rows."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from server.store import SQLiteStore, open_store
from server.store.interface_channels import ReplyQuery
from server.store.records import ReadScope, TaskFilter, TaskOrder
from server.store.sqlite import SCANS_CACHE_KIB
from tests.test_store import NOW, event, new_ticket

pytestmark = pytest.mark.single_backend("the SQLite store's connections (PostgreSQL reads from a pool)")

EVERYTHING = ReadScope(everything=True)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with await open_store(tmp_path / "khidma.db") as opened:
        yield opened


async def _held(store: SQLiteStore) -> tuple[threading.Event, asyncio.Future[Any]]:
    """The connection for scans kept busy (a job on its thread that waits) until the event is set."""
    gate = threading.Event()
    started = threading.Event()

    def hold() -> None:
        started.set()
        gate.wait(30)

    busy = asyncio.ensure_future(store._scans._execute(hold))  # type: ignore[no-untyped-call]
    while not started.is_set():
        await asyncio.sleep(0.005)
    return gate, busy


async def test_point_reads_do_not_wait_behind_a_scan_and_scans_do(store: SQLiteStore) -> None:
    version = await store.publish_definition("svc", {"v": 1}, "h1", created_by=None, note="", now=NOW)
    ticket, _ = await store.create_ticket(new_ticket(version.id), [event()], [], [], now=NOW)
    gate, busy = await _held(store)
    try:
        # the reads a request makes before it acts: answered while a scan holds the other connection
        assert (await asyncio.wait_for(store.get_ticket(ticket.id), 5)) == ticket
        assert await asyncio.wait_for(store.list_events(ticket.id), 5)
        assert await asyncio.wait_for(store.latest_definition("svc"), 5) is not None
        everything = TaskFilter(scope=EVERYTHING)
        later = NOW + dt.timedelta(days=30)
        scans: list[Callable[[], Awaitable[object]]] = [
            lambda: store.list_tasks(everything, TaskOrder(), offset=0, limit=5),
            lambda: store.list_task_ids(everything, TaskOrder(), offset=0, limit=5),
            lambda: store.count_tasks(everything),
            lambda: store.count_tasks_bounded(everything),
            lambda: store.report_overdue(services=["svc"], now=later),
            lambda: store.verify_event_chains(),
            lambda: store.audit_chain_log(),
            lambda: store.report_tickets(services=["svc"], basis="created", start=NOW, end=later),
            lambda: store.report_counts(["svc"], "created", NOW, later),
            lambda: store.report_ratings(services=["svc"], start=NOW, end=later),
            lambda: store.reply_log(ReplyQuery(service_id="svc", templates={}, class_fields={})),
            lambda: store.open_tickets_on(version.id),
            lambda: store.count_outbox(),
        ]
        waiting = [asyncio.ensure_future(scan()) for scan in scans]
        await asyncio.sleep(0.2)
        assert not any(task.done() for task in waiting), "a scan ran on the point reads' connection"
    finally:
        gate.set()
        await busy
    results = await asyncio.wait_for(asyncio.gather(*waiting), 10)
    assert [row.id for row in results[0]] == [ticket.id]  # type: ignore[attr-defined]
    assert results[2] == {ticket.category: 1}
    assert [t.id for t in results[-2]] == [ticket.id]  # type: ignore[attr-defined]  # open on its version


async def test_the_scans_keep_a_larger_page_cache_than_the_point_reads(store: SQLiteStore) -> None:
    """``SCANS_CACHE_KIB`` (server/store/sqlite.py): a staff list read again finds its pages in SQLite's
    own cache; the point reads keep SQLite's default."""
    scans = await store._scans.execute_fetchall("PRAGMA cache_size")
    point = await store._reader.execute_fetchall("PRAGMA cache_size")
    assert [tuple(row) for row in scans] == [(-SCANS_CACHE_KIB,)]
    with contextlib.closing(sqlite3.connect(":memory:")) as fresh:  # this SQLite's default
        default = fresh.execute("PRAGMA cache_size").fetchone()
    assert [tuple(row) for row in point] == [tuple(default)]
    assert tuple(default) != (-SCANS_CACHE_KIB,)
