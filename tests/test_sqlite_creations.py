"""Creations written together (server/store/sqlite_creations.py): the rows a group of creations
writes in a few statements are the rows the same creations write one at a time, and whatever the
few statements cannot carry sends the group back to the one-by-one path with each caller's own
answer."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.store import SQLiteStore, open_store, sqlite_creations
from server.store.records import NewEvent, NewMessage, NewTimer, Ticket
from tests.test_store import NOW, change, event, message, new_ticket

pytestmark = pytest.mark.single_backend(
    "the SQLite writer's grouped creations (PostgreSQL's: tests/test_store_postgres_group.py)"
)

RANDOM_COLUMNS = {"outbox": {"gateway_request_id"}}
"""Drawn afresh for every row, whichever path writes it."""


@pytest.fixture
def together(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What became of each group handed to ``create_together``: its size, or the error that sent it
    back to the one-by-one path."""
    seen: list[str] = []
    real = sqlite_creations.create_together

    def counted(conn: sqlite3.Connection, works: Sequence[sqlite_creations.Creation]) -> Any:
        try:
            answers = real(conn, works)
        except Exception as exc:
            seen.append(type(exc).__name__)
            raise
        seen.append(str(len(works)))
        return answers

    monkeypatch.setattr(sqlite_creations, "create_together", counted)
    return seen


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with await open_store(tmp_path / "khidma.db") as opened:
        yield opened


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        tables = ["tickets", "events", "assignments", "outbox", "timers", "ticket_counters"]
        tables += [
            n for (n,) in conn.execute("SELECT name FROM sqlite_schema WHERE name LIKE 'ticket%counts'")
        ]
        dumped: dict[str, list[tuple[Any, ...]]] = {}
        for table in tables:
            columns = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
            kept = [c for c in columns if c not in RANDOM_COLUMNS.get(table, set())]
            dumped[table] = conn.execute(f"SELECT {', '.join(kept)} FROM {table} ORDER BY 1, 2").fetchall()
        dumped["search"] = conn.execute(
            "SELECT rowid FROM tickets_text WHERE tickets_text MATCH '\"سارة\"' ORDER BY rowid"
        ).fetchall()
        dumped["search number"] = conn.execute(
            "SELECT rowid FROM tickets_text WHERE tickets_text MATCH '\"2026-000003\"'"
        ).fetchall()
        return dumped
    finally:
        conn.close()


def _numbered(ticket: Ticket) -> Sequence[NewMessage]:
    """A builder that quotes what the transaction assigns (the number, the row id)."""
    return [
        message(recipient=f"{ticket.number}@example.org"),
        NewMessage(
            channel="sms",
            recipient="+966551112233",
            template="received",
            language="en",
            subject="",
            body=f"ticket {ticket.id} {ticket.number} ✓",
            undeliverable="no sms gateway" if ticket.id % 2 else None,
        ),
    ]


def _creations(definition_id: int) -> list[dict[str, Any]]:
    """Twelve creations that differ in every part a creation writes."""
    made = []
    for i in range(12):
        events: list[NewEvent] = [event(at=NOW + timedelta(seconds=i))]
        if i % 3 == 0:
            events.append(
                event("assign", "assigned", from_state="submitted", visibility="internal", kind="action")
            )
        made.append(
            {
                "new": new_ticket(
                    definition_id,
                    data={
                        "name": "سارة" if i % 2 else "Sara \u202e",
                        "i": i,
                        "nested": {"list": [1, None, 2.5]},
                    },
                    vars={"n": i} if i % 4 else {},
                    department=None if i == 5 else "it",
                    assignee_role=None if i == 5 else "it_staff",
                    requester_id=None if i == 7 else f"u-{i}",
                    idempotency_key=f"key-{i}" if i % 2 else None,
                    language="en" if i % 5 == 0 else "ar",
                    search_text=f"سارة {i} | sara@example.org" if i != 8 else None,
                    tracking_code=f"code-{i}",
                ),
                "events": events,
                "messages": _numbered if i % 2 else ([message()] if i != 4 else []),
                "timers": [NewTimer(timer="due", state="submitted", due_at=NOW + timedelta(days=i))]
                if i % 3 != 1
                else [],
                "now": NOW + timedelta(seconds=i),
            }
        )
    return made


async def _publish(store: SQLiteStore) -> int:
    return (await store.publish_definition("svc", {"s": 1}, "h", created_by=None, note="", now=NOW)).id


async def test_a_group_writes_the_rows_one_by_one_writes(tmp_path: Path, together: list[str]) -> None:
    async with await open_store(tmp_path / "alone.db") as alone:
        definition = await _publish(alone)
        answers_alone = [
            await alone.create_ticket(c["new"], c["events"], c["messages"], c["timers"], now=c["now"])
            for c in _creations(definition)
        ]
    assert together == [], "one creation at a time is never a group"
    async with await open_store(tmp_path / "together.db") as grouped:
        assert await _publish(grouped) == definition
        answers_together = await asyncio.gather(
            *(
                grouped.create_ticket(c["new"], c["events"], c["messages"], c["timers"], now=c["now"])
                for c in _creations(definition)
            )
        )
        assert sum(int(size) for size in together) >= 10, together  # the first may go alone
        assert list(answers_together) == answers_alone
        for ticket, created in answers_together:
            assert created and await grouped.get_ticket(ticket.id) == ticket
        tickets, events, breaks = await grouped.verify_event_chains()
        assert (tickets, events, breaks) == (12, 16, [])
        assert await grouped.integrity_check() == "ok"
    assert _dump(tmp_path / "together.db") == _dump(tmp_path / "alone.db")


async def test_a_key_already_taken_sends_the_group_one_by_one(
    store: SQLiteStore, together: list[str]
) -> None:
    definition = await _publish(store)
    first, _ = await store.create_ticket(
        new_ticket(definition, idempotency_key="k"), [event()], [], [], now=NOW
    )
    together.clear()
    results = await asyncio.gather(
        *(
            store.create_ticket(
                new_ticket(definition, idempotency_key="k" if i == 4 else f"other-{i}"),
                [event()],
                [],
                [],
                now=NOW,
            )
            for i in range(8)
        )
    )
    assert "Apart" in together
    assert results[4] == (first, False)
    created = [t for i, (t, made) in enumerate(results) if i != 4 and made]
    assert len(created) == 7
    assert sorted(t.number for t in created) == [f"2026-{n:06d}" for n in range(2, 9)]  # no gap


async def test_one_key_twice_in_a_group_makes_one_ticket(store: SQLiteStore, together: list[str]) -> None:
    definition = await _publish(store)
    await store.create_ticket(
        new_ticket(definition), [event()], [], [], now=NOW
    )  # the group queues behind it
    together.clear()
    results = await asyncio.gather(
        *(
            store.create_ticket(
                new_ticket(definition, idempotency_key="k" if i in (2, 5) else None),
                [event()],
                [],
                [],
                now=NOW,
            )
            for i in range(8)
        )
    )
    assert "Apart" in together
    assert results[2][0] == results[5][0] and [results[2][1], results[5][1]] == [True, False]
    assert len({t.number for t, _ in results}) == 7


async def test_what_json_would_not_carry_is_written_one_by_one(
    store: SQLiteStore, together: list[str]
) -> None:
    definition = await _publish(store)
    results = await asyncio.gather(
        *(
            store.create_ticket(
                new_ticket(definition, data={"t": f"a\x00b{i}"}), [event()], [message()], [], now=NOW
            )
            for i in range(6)
        )
    )
    assert "Apart" in together
    for i, (ticket, created) in enumerate(results):
        assert created and ticket.data == {"t": f"a\x00b{i}"}
        stored = await store.get_ticket(ticket.id)
        assert stored is not None and stored.data == {"t": f"a\x00b{i}"}


async def test_a_creation_without_events_fails_alone(store: SQLiteStore, together: list[str]) -> None:
    definition = await _publish(store)
    results = await asyncio.gather(
        *(
            store.create_ticket(new_ticket(definition), [] if i == 3 else [event()], [], [], now=NOW)
            for i in range(6)
        ),
        return_exceptions=True,
    )
    assert isinstance(results[3], ValueError)
    assert all(isinstance(r, tuple) and r[1] for i, r in enumerate(results) if i != 3)


async def test_a_group_across_new_year_numbers_each_in_its_year(
    store: SQLiteStore, together: list[str]
) -> None:
    definition = await _publish(store)
    eve = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    moments = [eve, eve + timedelta(seconds=2), eve, eve + timedelta(seconds=3)]
    results = await asyncio.gather(
        *(store.create_ticket(new_ticket(definition), [event(at=m)], [], [], now=m) for m in [eve, *moments])
    )
    assert "Apart" in together
    assert [t.number for t, _ in results] == [
        "2026-000001",
        "2026-000002",
        "2027-000001",
        "2026-000003",
        "2027-000002",
    ]


async def test_creations_beside_a_change_fall_back_inside_their_own_savepoint(
    store: SQLiteStore, together: list[str]
) -> None:
    """A group holding a change and then creations: the creations' batch fails (a NUL) and is undone
    alone — the change before it in the same transaction stays, and every creation is written."""
    definition = await _publish(store)
    ticket, _ = await store.create_ticket(new_ticket(definition), [event()], [], [], now=NOW)
    together.clear()
    results = await asyncio.gather(
        store.create_ticket(new_ticket(definition), [event()], [], [], now=NOW),
        store.apply_change(
            ticket.id,
            1,
            change(ticket, state="assigned"),
            [event("assign", "assigned", from_state="submitted", kind="action")],
            [message()],
            [],
            cancel_pending_timers=False,
            now=NOW,
        ),
        *(
            store.create_ticket(
                new_ticket(definition, data={"t": "a\x00b" if i == 2 else "ok"}), [event()], [], [], now=NOW
            )
            for i in range(4)
        ),
    )
    assert "Apart" in together
    changed = results[1]
    assert isinstance(changed, Ticket) and changed.state == "assigned" and changed.version == 2
    created = [r[0] for r in results if isinstance(r, tuple)]
    assert sorted(t.number for t in created) == [f"2026-{n:06d}" for n in range(2, 7)]
    assert [len(await store.list_events(t.id)) for t in created] == [1] * 5
    assert len(await store.list_events(ticket.id)) == 2
    stored = await store.get_ticket(created[3].id)
    assert stored is not None and stored.data == {"t": "a\x00b"}
