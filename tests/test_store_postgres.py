"""What only the PostgreSQL store has to show: it implements the whole ``Store`` Protocol, its own
migrations, and the guarantees that matter once several processes share one database — one winner
per race, one ticket per idempotency key, one claim per outbox message. The contract common to both
backends is tests/test_store.py (run on each)."""

from __future__ import annotations

import asyncio
import inspect
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from server.store.interface import SchemaTooNew, Store
from server.store.migrate import MigrationError
from server.store.postgres import PostgresStore, open_postgres
from server.store.postgres_migrate import load_pg_migrations, migrate
from server.store.records import NewEvent, NewMail, NewMessage, NewTicket, TicketChange
from server.store.sqlite import SQLiteStore

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def _protocol_methods() -> dict[str, inspect.Signature]:
    names = {
        name
        for klass in Store.__mro__
        if klass not in (object,) and klass.__name__ not in ("Protocol", "Generic")
        for name, value in vars(klass).items()
        if not name.startswith("_") and callable(value)
    }
    return {name: inspect.signature(getattr(Store, name)) for name in sorted(names)}


def test_every_store_method_exists_with_the_same_signature() -> None:
    methods = _protocol_methods()
    assert len(methods) >= 87  # the Protocol as it stands (other issues add more)
    for name, expected in methods.items():
        for backend in (PostgresStore, SQLiteStore):
            assert hasattr(backend, name), f"{backend.__name__} has no {name}"
            implemented = getattr(backend, name)
            assert inspect.iscoroutinefunction(implemented) == inspect.iscoroutinefunction(
                getattr(Store, name)
            ), name
            got = inspect.signature(implemented)
            assert list(got.parameters) == list(expected.parameters), f"{backend.__name__}.{name}"
            for param in expected.parameters.values():
                other = got.parameters[param.name]
                assert other.kind == param.kind, f"{backend.__name__}.{name}({param.name})"
                assert (other.default is inspect.Parameter.empty) == (
                    param.default is inspect.Parameter.empty
                ), f"{backend.__name__}.{name}({param.name}): a default on one side only"
                if param.default is not inspect.Parameter.empty and param.default is not ...:
                    assert other.default == param.default, f"{backend.__name__}.{name}({param.name})"


@pytest.fixture
async def store(pg_url: str, tmp_path: Path) -> AsyncIterator[PostgresStore]:
    async with await open_postgres(pg_url, tmp_path / "files") as opened:
        yield opened


def new_ticket(definition_id: int, key: str | None = None) -> NewTicket:
    return NewTicket(
        service_id="svc",
        definition_version_id=definition_id,
        state="submitted",
        category="open",
        department="it",
        assignee_role="it_staff",
        assignee_user=None,
        channel="web",
        requester_id=None,
        data={"b": 1, "a": [1, 2]},
        vars={},
        idempotency_key=key,
    )


def event(action: str = "submit") -> NewEvent:
    return NewEvent(
        at=NOW,
        actor_id="u-1",
        actor_name="Sara",
        action=action,
        from_state=None,
        to_state="submitted",
        data={"z": 1, "a": "ب"},
        visibility="public",
        kind="created",
    )


MESSAGE = NewMessage(channel="email", recipient="a@x", template="t", language="ar", subject="s", body="b")


# --- migrations ------------------------------------------------------------------------------


async def test_migrations_are_recorded_and_reopen_is_a_no_op(pg_url: str, tmp_path: Path) -> None:
    store = await open_postgres(pg_url, tmp_path)
    await store.close()
    with psycopg.connect(pg_url) as conn:
        recorded = conn.execute(
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY 1"
        ).fetchall()
    assert [(v, n) for v, n, _ in recorded] == [(m.version, m.name) for m in load_pg_migrations()]
    assert recorded[0][:2] == (1, "initial")
    store = await open_postgres(pg_url, tmp_path)
    await store.close()
    with psycopg.connect(pg_url) as conn:
        assert (
            conn.execute("SELECT version, name, applied_at FROM schema_migrations ORDER BY 1").fetchall()
            == recorded
        )


async def test_two_processes_opening_at_once_migrate_once(pg_url: str) -> None:
    async def one() -> list[int]:
        async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
            return await migrate(conn, now=NOW)

    applied = await asyncio.gather(one(), one(), one())
    assert sorted(applied, key=len) == [[], [], [m.version for m in load_pg_migrations()]]


async def test_a_database_from_the_future_and_a_renamed_migration_are_refused(pg_url: str) -> None:
    store = await open_postgres(pg_url)
    await store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_migrations SET name = 'something_else' WHERE version = 1")
    with pytest.raises(MigrationError, match="something_else"):
        await open_postgres(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_migrations SET name = 'initial' WHERE version = 1")
        conn.execute("INSERT INTO schema_migrations VALUES (99, 'from_the_future', now())")
    with pytest.raises(SchemaTooNew, match="schema version 99"):
        await open_postgres(pg_url)


# --- several processes on one database ---------------------------------------------------------

_RACER = """
import asyncio, json, sys
from datetime import UTC, datetime, timedelta
from server.store.interface import VersionConflict
from server.store.postgres import open_postgres
from server.store.records import NewEvent, TicketChange

async def main(url, ticket_id, rounds, who):
    store = await open_postgres(url)
    won = []
    try:
        for version in range(1, rounds + 1):
            change = TicketChange(state=f"{who}-{version}", category="open", department="it",
                                  assignee_role=None, assignee_user=None, vars={}, closed=False)
            event = NewEvent(at=datetime.now(UTC), actor_id=who, actor_name=who, action="act", from_state=None,
                             to_state=change.state, data={}, visibility="internal", kind="action")
            try:
                await store.apply_change(ticket_id, version, change, [event], [], [],
                                         cancel_pending_timers=False, now=datetime.now(UTC))
                won.append(version)
            except VersionConflict:
                pass
    finally:
        await store.close()
    print(json.dumps(won))

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
"""


async def test_two_processes_racing_on_every_version_have_exactly_one_winner_each(
    store: PostgresStore, pg_url: str
) -> None:
    """Two processes both act on versions 1, 2, 3… of one ticket, each on a version once it has seen
    the ticket reach it: for every version, exactly one of the two wins."""
    published = await store.publish_definition("svc", {}, "h", created_by=None, note="", now=NOW)
    ticket, _ = await store.create_ticket(new_ticket(published.id), [event()], [], [], now=NOW)
    rounds = 40
    racers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _RACER, pg_url, str(ticket.id), str(rounds), who, stdout=subprocess.PIPE
        )
        for who in ("one", "two")
    ]
    outputs = [await racer.communicate() for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0]
    wins = [set(json.loads(out)) for out, _ in outputs]
    assert wins[0].isdisjoint(wins[1])
    assert wins[0] | wins[1] == set(range(1, rounds + 1))
    final = await store.get_ticket(ticket.id)
    assert final is not None and final.version == rounds + 1
    assert [e.seq for e in await store.list_events(ticket.id)] == list(range(1, rounds + 2))
    tickets, events, breaks = await store.verify_event_chains()
    assert (tickets, events, breaks) == (1, rounds + 1, [])


async def test_one_ticket_per_idempotency_key_across_stores(store: PostgresStore, pg_url: str) -> None:
    published = await store.publish_definition("svc", {}, "h", created_by=None, note="", now=NOW)
    others = [await open_postgres(pg_url) for _ in range(3)]
    try:
        results = await asyncio.gather(
            *(
                each.create_ticket(new_ticket(published.id, key=f"k-{n}"), [event()], [MESSAGE], [], now=NOW)
                for n in range(10)
                for each in (store, *others)
            )
        )
    finally:
        for other in others:
            await other.close()
    created = [ticket for ticket, fresh in results if fresh]
    assert len(created) == 10
    assert sorted(t.number for t in created) == [f"2026-{n:06d}" for n in range(1, 11)]  # no gap
    for ticket, _ in results:
        assert ticket == next(c for c in created if c.idempotency_key == ticket.idempotency_key)
    assert len(await store.list_outbox()) == 10


async def test_dispatchers_never_claim_one_message_twice(store: PostgresStore, pg_url: str) -> None:
    published = await store.publish_definition("svc", {}, "h", created_by=None, note="", now=NOW)
    for _ in range(20):
        await store.create_ticket(new_ticket(published.id), [event()], [MESSAGE] * 3, [], now=NOW)
    other = await open_postgres(pg_url)
    try:
        claimed: list[int] = []
        while True:
            batches = await asyncio.gather(
                *(s.claim_outbox(now=NOW, limit=4) for s in (store, other) for _ in range(3))
            )
            if not any(batches):
                break
            claimed += [m.id for batch in batches for m in batch]
    finally:
        await other.close()
    assert len(claimed) == len(set(claimed)) == 60
    assert {m.attempts for m in await store.list_outbox()} == {1}


async def test_one_lease_holder_and_one_report_run_across_stores(store: PostgresStore, pg_url: str) -> None:
    other = await open_postgres(pg_url)
    try:
        stores = (store, other) * 4
        took = await asyncio.gather(
            *(
                s.take_lease("reports", f"p-{i}", now=NOW, ttl=timedelta(minutes=5))
                for i, s in enumerate(stores)
            )
        )
        assert took.count(True) == 1
        holder = f"p-{took.index(True)}"
        mail = NewMail(
            recipient="h@x",
            recipient_id="u-1",
            department=None,
            template="r",
            language="en",
            subject="s",
            body="b",
        )
        queued = await asyncio.gather(
            *(
                s.queue_report_run("weekly", "2026-W18", [mail], by="schedule", now=NOW, lease=("reports", h))
                for s in (store, other)
                for h in (holder, "p-x", holder)
            )
        )
        assert queued.count(True) == 1
        assert len(await other.list_outbox()) == 1
        assert (await store.report_run("weekly", "2026-W18")) == (
            await other.report_run("weekly", "2026-W18")
        )
        later = NOW + timedelta(minutes=6)  # expired: another holder may take it over
        assert await other.take_lease("reports", "p-x", now=later, ttl=timedelta(minutes=5))
        assert not await store.queue_report_run(
            "weekly", "2026-W19", [mail], by="schedule", now=later, lease=("reports", holder)
        )
    finally:
        await other.close()


async def test_records_keep_json_as_written_and_times_in_utc(store: PostgresStore) -> None:
    published = await store.publish_definition(
        "svc", {"z": 1, "a": {"y": 2, "b": 3}}, "h", created_by=None, note="", now=NOW
    )
    assert list(published.bundle) == ["z", "a"] and list(published.bundle["a"]) == ["y", "b"]
    ticket, _ = await store.create_ticket(new_ticket(published.id), [event()], [], [], now=NOW)
    assert list(ticket.data) == ["b", "a"] and ticket.created_at.tzinfo is UTC
    [first] = await store.list_events(ticket.id)
    assert list(first.data) == ["z", "a"] and first.at == NOW
    change = TicketChange(
        state="x",
        category="open",
        department=None,
        assignee_role=None,
        assignee_user=None,
        vars={"n": 1.5},
        closed=True,
    )
    closed = await store.apply_change(
        ticket.id, 1, change, [event("close")], [], [], cancel_pending_timers=True, now=NOW
    )
    assert closed.closed_at == NOW and closed.vars == {"n": 1.5}
    with pytest.raises(ValueError, match="naive"):
        await store.claim_outbox(now=datetime(2026, 1, 1), limit=1)


# --- the commands on a postgresql:// URL ---------------------------------------------------------


def test_serve_and_the_commands_take_a_postgresql_url(pg_url: str, tmp_path: Path) -> None:
    import httpx

    from tests.conftest import running_server

    def khidma(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "server", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )

    added = khidma(
        "user",
        "add",
        "huda",
        "--role",
        "auditor",
        "--password-stdin",
        "--db",
        pg_url,
        stdin="long enough pw\n",
    )
    assert added.returncode == 0, added.stderr
    listed = khidma("user", "list", "--db", pg_url)
    assert listed.returncode == 0 and listed.stdout.startswith("huda\tauditor"), listed.stderr
    with running_server(pg_url, "--no-worker") as base, httpx.Client(base_url=base) as client:
        assert client.get("/healthz").status_code == 200
        client.get("/login")
        form = {
            "username": "huda",
            "password": "long enough pw",
            "next": "/",
            "_csrf_token": client.cookies["csrftoken"],
        }
        assert client.post("/login", data=form).status_code == 303
    verified = khidma("audit", "verify", "--db", pg_url)
    assert verified.returncode == 0 and "0 broken chain(s)" in verified.stdout, verified.stderr
