"""Kill -9 a process that is writing tickets; nothing it acknowledged is lost, nothing is half-written.

The child creates tickets (2 events, 2 outbox rows, 1 timer each) and moves every other one on
(1 event, 1 outbox row), printing a line only after the store call returned. The parent reads those
acknowledgements and SIGKILLs the child at a random point — usually in the middle of a transaction.
On reopening, every acknowledged write is there, every ticket is whole (its event and outbox counts
match its version), and SQLite's integrity check passes. A process kill does not lose the OS page
cache, so this checks atomicity and acknowledgement order, not power-loss durability (that is what
``synchronous=FULL`` is for). The same on PostgreSQL (tests/pg.py's cluster): the writer killed is the
khidma process, the database server lives on. With 8 writers at once, their transactions share COMMITs
(group commit: every transaction on SQLite, the creations on PostgreSQL): still nothing acknowledged is
lost, no ticket is half-written and no number is skipped.
"""

from __future__ import annotations

import asyncio
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import psycopg
import pytest

from server.store.interface import Store
from server.store.open import open_any
from server.store.records import EventKind, NewEvent, NewMessage, NewTicket, NewTimer, TicketChange

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 3


def _event(action: str, to_state: str, kind: EventKind) -> NewEvent:
    return NewEvent(
        at=datetime.now(UTC),
        actor_id=None,
        actor_name="writer",
        action=action,
        from_state=None,
        to_state=to_state,
        data={"pad": "x" * 200},
        visibility="public",
        kind=kind,
    )


def _message(recipient: str) -> NewMessage:
    return NewMessage(
        channel="email", recipient=recipient, template="t", language="ar", subject="s", body="b" * 500
    )


async def _write_forever(db: str, writers: int) -> None:
    store = await open_any(db)
    published = await store.publish_definition(
        "svc", {"service": "svc"}, "hash", created_by=None, note="", now=datetime.now(UTC)
    )
    print("ready", flush=True)
    # several writers at once: their transactions share COMMITs (group commit, sqlite_connection.py)
    await asyncio.gather(*(_write(store, published.id, start, writers) for start in range(writers)))


async def _write(store: Store, definition_id: int, start: int, step: int) -> None:
    for i in range(start, 1_000_000, step):
        now = datetime.now(UTC)
        ticket, _ = await store.create_ticket(
            NewTicket(
                service_id="svc",
                definition_version_id=definition_id,
                state="submitted",
                category="open",
                department="it",
                assignee_role="staff",
                assignee_user=None,
                channel="web",
                requester_id=None,
                data={"i": i, "pad": "y" * 1000},
                vars={},
            ),
            [_event("submit", "submitted", "created"), _event("route", "routed", "action")],
            [_message("a@example.org"), _message("b@example.org")],
            [NewTimer(timer="sla", state="routed", due_at=now + timedelta(days=1))],
            now=now,
        )
        print("created", ticket.number, flush=True)
        if i % 2:
            await store.apply_change(
                ticket.id,
                ticket.version,
                TicketChange(
                    state="taken",
                    category="in_progress",
                    department="it",
                    assignee_role="staff",
                    assignee_user="u-1",
                    vars={"taken": True},
                    closed=False,
                ),
                [_event("take", "taken", "action")],
                [_message("c@example.org")],
                [],
                cancel_pending_timers=True,
                now=now,
            )
            print("changed", ticket.number, flush=True)


def child_main(db: str, writers: str = "1") -> None:
    asyncio.run(_write_forever(db, int(writers)))


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _run_and_kill(db: str, stop_after: int, deadline_s: float, writers: int = 1) -> list[tuple[str, str]]:
    """Start a writer on ``db``, SIGKILL it after ``stop_after`` acknowledgements (or ``deadline_s``);
    returns every acknowledgement it printed, including those still in the pipe at the kill."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from tests.test_store_durability import child_main; child_main(*sys.argv[1:])",
            db,
            str(writers),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    pump = threading.Thread(target=_pump, args=(child.stdout, lines), daemon=True)
    pump.start()
    acks: list[tuple[str, str]] = []
    started = time.monotonic()
    try:
        while len(acks) < stop_after and time.monotonic() - started < deadline_s:
            try:
                line = lines.get(timeout=0.05)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(
                    f"the writer exited early: {child.stderr.read() if child.stderr else ''}"
                )
            if line != "ready":
                kind, number = line.split()
                acks.append((kind, number))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=5)
    pump.join(timeout=5)
    try:
        while True:  # acknowledgements printed just before the kill count too
            line = lines.get_nowait() if not lines.empty() else None
            if line is None:
                break
            # a line the kill cut short ("crea") acknowledged nothing: the print never finished
            if line != "ready" and len(line.split()) == 2:
                kind, number = line.split()
                acks.append((kind, number))
    finally:
        if child.stderr is not None:
            child.stderr.close()
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert acks, "the writer acknowledged nothing"
    return acks


def _rows(db: str, sql: str) -> list[tuple[Any, ...]]:
    if db.startswith("postgresql://"):
        with psycopg.connect(db) as pg:
            return list(pg.execute(sql).fetchall())
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


async def _check(db: str, acks: list[tuple[str, str]]) -> int:
    store = await open_any(db)
    try:
        assert await store.integrity_check() == "ok"
        for kind, number in acks:
            ticket = await store.get_ticket_by_number(number)
            assert ticket is not None, f"acknowledged ticket {number} is lost"
            if kind == "changed":
                assert ticket.version == 2 and ticket.state == "taken", (
                    f"acknowledged change of {number} is lost"
                )
        assert await store.list_outbox(status="sending") == []
    finally:
        await store.close()
    # Every ticket is whole: version 1 ↔ 2 events + 2 messages + 1 pending timer;
    # version 2 ↔ 3 events (seq 1..3) + 3 messages + the timer cancelled.
    rows = _rows(
        db,
        "SELECT t.number, t.version,"
        " (SELECT count(*) FROM events e WHERE e.ticket_id = t.id),"
        " (SELECT max(seq) FROM events e WHERE e.ticket_id = t.id),"
        " (SELECT count(*) FROM outbox o WHERE o.ticket_id = t.id),"
        " (SELECT count(*) FROM timers m WHERE m.ticket_id = t.id AND m.status = 'pending'),"
        " (SELECT count(*) FROM assignments a WHERE a.ticket_id = t.id)"
        " FROM tickets t",
    )
    for number, version, events, max_seq, outbox, pending_timers, assignments in rows:
        expected = (2, 2, 2, 1, 1) if version == 1 else (3, 3, 3, 0, 2)
        assert (events, max_seq, outbox, pending_timers, assignments) == expected, (number, version)
    numbers = sorted(int(number.split("-")[1]) for number, *_ in rows)
    assert numbers == list(range(1, len(numbers) + 1)), "ticket numbers have a gap"
    return len(rows)


@pytest.mark.parametrize(
    ("backend", "writers"), [("sqlite", 1), ("sqlite", 8), ("postgresql", 1), ("postgresql", 8)]
)
async def test_acknowledged_writes_survive_sigkill(
    tmp_path: Path, backend: str, writers: int, request: pytest.FixtureRequest
) -> None:
    db = str(tmp_path / "durable.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    rng = random.Random()
    total_acks = 0
    for _ in range(ROUNDS):
        acks = await asyncio.to_thread(_run_and_kill, db, rng.randint(20, 200), 2.5, writers)
        total_acks += len(acks)
        tickets = await _check(db, acks)
        assert tickets >= len({number for _, number in acks})
    assert total_acks >= ROUNDS
