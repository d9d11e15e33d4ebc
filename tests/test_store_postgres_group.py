"""Group commit of ticket creations on PostgreSQL (server/store/postgres_group.py, issue 14): the
creations that queue while a group is written commit together, each answered only after the COMMIT;
a group that cannot commit as it is (a taken idempotency key, a refused statement, a failing message
builder) is undone and each creation runs alone — the numbers stay without a gap, every other
creation succeeds, the failing one fails as it would alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import psycopg
import pytest

from server.store.postgres import PostgresStore, open_postgres
from server.store.records import NewMessage, NewTicket, NewTimer, Ticket, TicketChange
from tests.test_store_postgres import MESSAGE, NOW, event, new_ticket


@pytest.fixture
async def store(pg_url: str, tmp_path: Path) -> AsyncIterator[PostgresStore]:
    async with await open_postgres(pg_url, tmp_path / "files") as opened:
        yield opened


async def _published(store: PostgresStore) -> int:
    return (await store.publish_definition("svc", {}, "h", created_by=None, note="", now=NOW)).id


async def _numbers(store: PostgresStore) -> list[str]:
    async with store._pool.connection() as conn:
        rows = await (await conn.execute("SELECT number FROM tickets ORDER BY number")).fetchall()
    return [row[0] for row in rows]


def _expected(count: int) -> list[str]:
    return [f"2026-{n:06d}" for n in range(1, count + 1)]


async def _gather(store: PostgresStore, calls: Sequence[tuple[NewTicket, object]]) -> list[object]:
    """The creations at once (queued in one go: they form one group), each one's result or error."""

    async def one(new: NewTicket, messages: object) -> object:
        timers = [NewTimer(timer="remind", state="submitted", due_at=NOW)]
        return await store.create_ticket(new, [event(), event("note")], messages, timers, now=NOW)  # type: ignore[arg-type]

    return list(
        await asyncio.gather(*(one(new, messages) for new, messages in calls), return_exceptions=True)
    )


async def test_creations_queued_together_commit_as_one_group(store: PostgresStore) -> None:
    published = await _published(store)
    assigned = [new_ticket(published) for _ in range(12)]

    def built(ticket: Ticket) -> list[NewMessage]:
        return [
            NewMessage(
                channel="email", recipient="a@x", template="t", language="ar", subject=ticket.number, body="b"
            )
        ]

    results = await _gather(store, [(new, built) for new in assigned])
    assert store._creations.groups >= 1 and store._creations.undone == 0
    tickets = [result[0] for result in results if isinstance(result, tuple)]
    assert len(tickets) == 12 and all(isinstance(r, tuple) and r[1] for r in results)
    assert sorted(t.number for t in tickets) == _expected(12) == await _numbers(store)
    for ticket in tickets:  # each one's own rows, tied to its own last event
        assert await store.get_ticket(ticket.id) == ticket  # as answered: as written
        events = await store.list_events(ticket.id)
        assert [e.seq for e in events] == [1, 2]
        assert [a.event_id for a in await store.list_assignments(ticket.id)] == [events[-1].id]
        assert await store.ticket_due(ticket.id) == NOW
    outbox = await store.list_outbox()
    assert sorted((m.ticket_id, m.subject) for m in outbox) == sorted((t.id, t.number) for t in tickets)
    assert {m.event_id for m in outbox} == {(await store.list_events(t.id))[-1].id for t in tickets}
    assert await store.verify_event_chains() == (12, 24, [])
    # a change after a grouped creation chains onto it
    change = TicketChange(
        state="done",
        category="closed",
        department="it",
        assignee_role=None,
        assignee_user="u-9",
        vars={},
        closed=True,
    )
    changed = await store.apply_change(
        tickets[0].id, 1, change, [event("close")], [MESSAGE], [], cancel_pending_timers=True, now=NOW
    )
    assert changed.version == 2 and changed.assignee_user == "u-9" and changed.closed_at == NOW
    assert len(await store.list_assignments(tickets[0].id)) == 2
    assert await store.ticket_due(tickets[0].id) is None
    assert (await store.verify_event_chains())[2] == []


async def test_a_key_taken_in_the_group_undoes_it_and_leaves_no_gap(store: PostgresStore) -> None:
    published = await _published(store)
    calls = [(new_ticket(published, key="same" if n in (2, 5) else None), [MESSAGE]) for n in range(8)]
    results = await _gather(store, calls)
    pairs = [r for r in results if isinstance(r, tuple)]
    assert len(pairs) == 8
    same = [pair for pair in pairs if pair[0].idempotency_key == "same"]
    assert sorted(fresh for _, fresh in same) == [False, True]
    assert same[0][0] == same[1][0]
    assert store._creations.undone == 1
    assert await _numbers(store) == _expected(7)
    assert len(await store.list_outbox()) == 7


async def test_a_failing_builder_fails_its_creation_alone(store: PostgresStore) -> None:
    published = await _published(store)

    def broken(ticket: Ticket) -> list[NewMessage]:
        raise RuntimeError("the template broke")

    calls: list[tuple[NewTicket, object]] = [(new_ticket(published), [MESSAGE]) for _ in range(6)]
    calls.insert(3, (new_ticket(published), broken))
    results = await _gather(store, calls)
    assert isinstance(results[3], RuntimeError)
    assert store._creations.undone == 1
    assert all(isinstance(r, tuple) for n, r in enumerate(results) if n != 3)
    assert await _numbers(store) == _expected(6)


async def test_a_refused_statement_fails_its_creation_alone(store: PostgresStore) -> None:
    published = await _published(store)
    calls: list[tuple[NewTicket, object]] = [(new_ticket(published), [MESSAGE]) for _ in range(6)]
    calls.insert(2, (new_ticket(published + 1000), [MESSAGE]))  # no such definition version
    results = await _gather(store, calls)
    assert isinstance(results[2], psycopg.errors.ForeignKeyViolation)
    assert store._creations.undone == 1
    assert all(isinstance(r, tuple) for n, r in enumerate(results) if n != 2)
    assert await _numbers(store) == _expected(6)
    assert len(await store.list_outbox()) == 6


async def test_numbers_past_999999_keep_every_digit(store: PostgresStore) -> None:
    """The number is formatted in SQL (a creation alone) and in Python (a group's, drawn together):
    both as ``f"{year:04d}-{n:06d}"``."""
    published = await _published(store)
    async with store._pool.connection() as conn:
        await conn.execute("INSERT INTO ticket_counters (year, last) VALUES (2026, 999998)")
    first, _ = await store.create_ticket(new_ticket(published), [event()], [], [], now=NOW)
    second, _ = await store.create_ticket(new_ticket(published), [event()], [], [], now=NOW)
    assert (
        (first.number, second.number)
        == (f"2026-{999999:06d}", f"2026-{1000000:06d}")
        == ("2026-999999", "2026-1000000")
    )
    # a group's numbers are drawn together and spelled here: the same spelling
    grouped = await _gather(store, [(new_ticket(published), []) for _ in range(3)])
    assert store._creations.groups >= 1
    assert sorted(r[0].number for r in grouped if isinstance(r, tuple)) == [
        "2026-1000001",
        "2026-1000002",
        "2026-1000003",
    ]
    assert {"2026-1000001", "2026-1000002", "2026-1000003"} <= set(await _numbers(store))


async def test_a_change_on_an_unsealed_ticket_seals_its_history_first(store: PostgresStore) -> None:
    """The pipelined change reads the last event's seal after the lock; events from before the chain
    (no seal) are sealed first, in the change's transaction, and that is recorded."""
    published = await _published(store)
    ticket, _ = await store.create_ticket(new_ticket(published), [event(), event("note")], [], [], now=NOW)
    async with store._pool.connection() as conn:  # as a database from before the chain looks
        await conn.execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        await conn.execute("UPDATE events SET mac = NULL, chain_version = NULL, field_tags = NULL")
        await conn.execute("ALTER TABLE events ENABLE TRIGGER events_append_only")
    change = TicketChange(
        state="done",
        category="open",
        department="it",
        assignee_role="it_staff",
        assignee_user=None,
        vars={},
        closed=False,
    )
    changed = await store.apply_change(
        ticket.id, 1, change, [event("route")], [], [], cancel_pending_timers=False, now=NOW
    )
    assert changed.version == 2
    assert [e.seq for e in await store.list_events(ticket.id)] == [1, 2, 3]
    assert await store.verify_event_chains() == (1, 3, [])
    assert [e["action"] for e in await store.audit_chain_log()] == ["sealed on write"]
    assert (
        await store.list_assignments(ticket.id) == (await store.list_assignments(ticket.id))[:1]
    )  # holder kept


@pytest.mark.parametrize("started", [False, True])
async def test_a_writer_cancelled_leaves_no_caller_waiting(store: PostgresStore, started: bool) -> None:
    """The writer cancelled (the event loop shutting down) before it ran, or while it wrote: every
    queued caller gets an error (or its ticket, when its group had committed) — none waits for ever."""
    published = await _published(store)
    callers = [
        asyncio.create_task(store.create_ticket(new_ticket(published), [event()], [MESSAGE], [], now=NOW))
        for _ in range(5)
    ]
    while store._creations._writer is None:
        await asyncio.sleep(0)  # the callers queue their creations (a turn of the loop, not a wait)
    if started:
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    store._creations._writer.cancel()
    results = await asyncio.wait_for(asyncio.gather(*callers, return_exceptions=True), timeout=30)
    assert all(isinstance(r, tuple) or "stopped" in str(r) for r in results), results
    written = [r for r in results if isinstance(r, tuple)]
    assert await _numbers(store) == _expected(len(written))
    ticket, fresh = await store.create_ticket(
        new_ticket(published), [event()], [], [], now=NOW
    )  # a new writer
    assert fresh and ticket.number == _expected(len(written) + 1)[-1]
