"""Group commit (``Writer.run_sync``, server/store/sqlite_connection.py): ticket transactions queued
together share one COMMIT, each in its own savepoint — one that fails leaves nothing and takes nothing
from the others; one idempotency key among them makes one ticket."""

from __future__ import annotations

import asyncio
import fcntl
import sqlite3
import struct
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from server.store import SQLiteStore, VersionConflict, open_store, sqlite_checkpoint, sqlite_connection
from server.store.records import NewMessage, Ticket
from tests.test_store import NOW, change, event, message, new_ticket

pytestmark = pytest.mark.single_backend(
    "the SQLite writer's group commit (PostgreSQL's: tests/test_store_postgres_group.py)"
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with await open_store(tmp_path / "khidma.db") as opened:
        yield opened


@pytest.fixture
def groups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    real = sqlite_connection._group

    def counted(conn: sqlite3.Connection, works: list[Any]) -> Any:
        sizes.append(len(works))
        return real(conn, works)

    monkeypatch.setattr(sqlite_connection, "_group", counted)
    return sizes


def _broken(ticket: Ticket) -> Sequence[NewMessage]:
    raise RuntimeError("template error")


async def test_a_failing_transaction_in_a_group_takes_nothing_from_the_others(
    store: SQLiteStore, groups: list[int], tmp_path: Path
) -> None:
    definition = await store.publish_definition("svc", {"s": 1}, "h", created_by=None, note="", now=NOW)
    groups.clear()
    results = await asyncio.gather(
        *(
            store.create_ticket(
                new_ticket(definition.id, data={"i": i}),
                [event()],
                _broken if i in (3, 7) else [message()],
                [],
                now=NOW,
            )
            for i in range(10)
        ),
        return_exceptions=True,
    )
    assert max(groups) > 1, "the ten creations did not share a COMMIT"
    failed = [i for i, r in enumerate(results) if isinstance(r, BaseException)]
    assert failed == [3, 7]
    created = [r[0] for r in results if not isinstance(r, BaseException)]
    assert sorted(t.number for t in created) == [f"2026-{n:06d}" for n in range(1, 9)]  # no gap
    conn = sqlite3.connect(tmp_path / "khidma.db")
    try:
        rows = conn.execute(
            "SELECT json_extract(data, '$.i'), (SELECT count(*) FROM events e WHERE e.ticket_id = t.id),"
            " (SELECT count(*) FROM outbox o WHERE o.ticket_id = t.id) FROM tickets t ORDER BY 1"
        ).fetchall()
    finally:
        conn.close()
    assert rows == [(i, 1, 1) for i in range(10) if i not in (3, 7)]
    assert await store.integrity_check() == "ok"


async def test_one_idempotency_key_in_a_group_makes_one_ticket(store: SQLiteStore, groups: list[int]) -> None:
    definition = await store.publish_definition("svc", {"s": 1}, "h", created_by=None, note="", now=NOW)
    groups.clear()
    results = await asyncio.gather(
        *(
            store.create_ticket(new_ticket(definition.id, idempotency_key="k"), [event()], [], [], now=NOW)
            for _ in range(6)
        )
    )
    assert max(groups) > 1
    assert [created for _, created in results].count(True) == 1
    assert len({ticket.id for ticket, _ in results}) == 1


async def test_racing_changes_in_a_group_have_one_winner(store: SQLiteStore, groups: list[int]) -> None:
    definition = await store.publish_definition("svc", {"s": 1}, "h", created_by=None, note="", now=NOW)
    ticket, _ = await store.create_ticket(new_ticket(definition.id), [event()], [], [], now=NOW)
    groups.clear()
    results = await asyncio.gather(
        *(
            store.apply_change(
                ticket.id,
                1,
                change(ticket, state=f"s{i}"),
                [event("take", f"s{i}", kind="action")],
                [message()],
                [],
                cancel_pending_timers=False,
                now=NOW,
            )
            for i in range(6)
        ),
        return_exceptions=True,
    )
    assert max(groups) > 1
    winners = [r for r in results if isinstance(r, Ticket)]
    assert len(winners) == 1 and winners[0].version == 2
    assert all(isinstance(r, VersionConflict) for r in results if not isinstance(r, Ticket))
    assert len(await store.list_events(ticket.id)) == 2
    assert len(await store.list_outbox(ticket.id)) == 1


async def test_writers_of_one_file_take_turns_on_its_write_lock_file(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """``WriteTurns``: a transaction waits while another process holds ``<file>-write.lock`` (here this
    test, standing for it) and goes on as soon as it is let go — no busy-handler sleep in between."""
    definition = await store.publish_definition("svc", {}, "h", created_by=None, note="", now=NOW)
    with (tmp_path / "khidma.db-write.lock").open("ab") as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        creating = asyncio.create_task(
            store.create_ticket(new_ticket(definition.id), [event()], [], [], now=NOW)
        )
        done, _ = await asyncio.wait({creating}, timeout=0.3)
        assert not done  # waiting for its turn (the event loop is free meanwhile: this line runs)
        fcntl.flock(other, fcntl.LOCK_UN)
        ticket, _ = await asyncio.wait_for(creating, timeout=10)
    assert await store.get_ticket(ticket.id) == ticket


async def test_the_writer_takes_the_next_group_without_waiting_for_the_event_loop(store: SQLiteStore) -> None:
    """The writer's thread drains the queue itself: a group queued while the one before runs is
    committed even when the event loop is busy (here: blocked) the moment the first one ends."""
    started, release, second_ran = threading.Event(), threading.Event(), threading.Event()

    def first(conn: sqlite3.Connection) -> int:
        started.set()
        release.wait(5)
        return 1

    def second(conn: sqlite3.Connection) -> int:
        second_ran.set()
        return 2

    writer = store._writer
    one = asyncio.ensure_future(writer.run_sync(first))
    assert await asyncio.get_running_loop().run_in_executor(None, started.wait, 5)
    two = asyncio.ensure_future(writer.run_sync(second))
    await asyncio.sleep(0)  # queued behind the first
    release.set()
    assert second_ran.wait(5), "the second group waited for the event loop"  # the loop is blocked here
    assert (await one, await two) == (1, 2)


def _wal_frames(db: Path) -> int:
    """The frames in the WAL now: ``mxFrame`` of the wal-index header at the start of the ``-shm`` file
    (https://sqlite.org/walformat.html) — read without a connection, which would checkpoint."""
    return int(struct.unpack_from("=I", (db.parent / (db.name + "-shm")).read_bytes(), 16)[0])


async def test_checkpoints_run_off_the_writer_and_keep_the_wal_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer connection never checkpoints (``wal_autocheckpoint = 0``); the checkpointer's thread
    does after commits, and under steady writes it makes the WAL start over once it holds more than
    ``WAL_FRAMES``: it never holds more than a few waves of what was written through it."""
    monkeypatch.setattr(sqlite_checkpoint, "WAL_FRAMES", 40)
    monkeypatch.setattr(sqlite_checkpoint, "PAUSE", 0.0)
    db = tmp_path / "khidma.db"
    async with await open_store(db) as store:
        cursor = await store._writer._conn.execute("PRAGMA wal_autocheckpoint")
        assert tuple(await cursor.fetchone() or ()) == (0,)
        checkpointer = store._writer._checkpointer
        assert checkpointer is not None
        definition = await store.publish_definition("svc", {"s": 1}, "h", created_by=None, note="", now=NOW)
        written, restarts, seen = 0, 0, [_wal_frames(db)]
        for wave in range(30):
            checkpointer.done.clear()
            await asyncio.gather(
                *(
                    store.create_ticket(
                        new_ticket(definition.id, data={"i": i, "w": wave, "pad": "x" * 3000}),
                        [event()],
                        [message()],
                        [],
                        now=NOW,
                    )
                    for i in range(8)
                )
            )
            assert await asyncio.to_thread(checkpointer.done.wait, 10), "no checkpoint after a commit"
            frames = _wal_frames(db)
            restarted = frames < seen[-1]
            restarts += restarted
            written += frames if restarted else frames - seen[-1]
            seen.append(frames)
        assert checkpointer.checkpoints >= 30
        assert restarts > 0
        assert max(seen) < written / 3  # without restarts it holds all 30 waves


async def test_the_writers_savepoints_keep_their_rollback_pages_in_memory(store: SQLiteStore) -> None:
    """``temp_store = MEMORY`` on the writer (set after the migrations): a grouped transaction's
    sub-journal is a copy in memory, not writes to a temporary file (docs/performance.md); the readers
    keep SQLite's default."""
    writer = await store._writer._conn.execute_fetchall("PRAGMA temp_store")
    reader = await store._reader.execute_fetchall("PRAGMA temp_store")
    assert [tuple(row) for row in writer] == [(2,)]
    assert [tuple(row) for row in reader] == [(0,)]
