"""The store on both backends: a real SQLite file in tmp_path, and a fresh database of a throwaway
PostgreSQL cluster (tests/pg.py). Every test taking ``store`` runs on each; the migration and file
tests of one backend say so in their name."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import msgspec
import psycopg
import pytest

from server.store import AlreadyExists, NotFound, SchemaTooNew, SQLiteStore, VersionConflict, open_store
from server.store.migrate import MigrationError, load_migrations, migrate, split_statements
from server.store.open import open_any
from server.store.postgres import PostgresStore
from server.store.records import (
    EventKind,
    NewEvent,
    NewMessage,
    NewTicket,
    NewTimer,
    Ticket,
    TicketChange,
    Visibility,
)

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "khidma.db"


AnyStore = SQLiteStore | PostgresStore


class Backend:
    """One backend's database, opened as a store or read and written behind the store's back."""

    def __init__(self, name: str, db: str, files: Path) -> None:
        self.name = name
        self.db = db
        self.files = files
        self.integrity_error: type[Exception] = (
            sqlite3.IntegrityError if name == "sqlite" else psycopg.errors.IntegrityError
        )

    async def open(self, **kwargs: Any) -> AnyStore:
        store = await open_any(self.db, self.files, **kwargs)
        assert isinstance(store, SQLiteStore | PostgresStore)
        return store

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run ``sql`` on a connection of its own, outside the store (``?`` placeholders)."""
        if self.name == "sqlite":
            conn = raw(Path(self.db))
            try:
                return list(conn.execute(sql, params).fetchall())
            finally:
                conn.close()
        with psycopg.connect(self.db, autocommit=True) as pg:
            cursor = pg.execute(sql.replace("?", "%s"), params)
            return list(cursor.fetchall()) if cursor.description else []

    def count(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        return int(self.rows(sql, params)[0][0])


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, db_path: Path, tmp_path: Path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", str(db_path), tmp_path / "files")
    return Backend("postgresql", request.getfixturevalue("pg_url"), tmp_path / "files")


@pytest.fixture
async def store(backend: Backend) -> AsyncIterator[AnyStore]:
    async with await backend.open() as opened:
        yield opened


@pytest.fixture
async def definition_id(store: AnyStore) -> int:
    published = await store.publish_definition(
        "svc", {"service": {"id": "svc"}}, "hash-1", created_by=None, note="", now=NOW
    )
    return published.id


def new_ticket(definition_id: int, **overrides: Any) -> NewTicket:
    fields: dict[str, Any] = {
        "service_id": "svc",
        "definition_version_id": definition_id,
        "state": "submitted",
        "category": "open",
        "department": "it",
        "assignee_role": "it_staff",
        "assignee_user": None,
        "channel": "web",
        "requester_id": "u-1",
        "data": {"name": "سارة", "count": 2},
        "vars": {},
    }
    fields.update(overrides)
    return NewTicket(**fields)


def event(
    action: str = "submit",
    to_state: str = "submitted",
    *,
    from_state: str | None = None,
    visibility: Visibility = "public",
    kind: EventKind = "created",
    at: datetime = NOW,
) -> NewEvent:
    return NewEvent(
        at=at,
        actor_id="u-1",
        actor_name="Sara",
        action=action,
        from_state=from_state,
        to_state=to_state,
        data={"note": action},
        visibility=visibility,
        kind=kind,
    )


def message(recipient: str = "sara@example.org") -> NewMessage:
    return NewMessage(
        channel="email", recipient=recipient, template="received", language="ar", subject="s", body="b"
    )


def change(ticket: Ticket, **overrides: Any) -> TicketChange:
    fields: dict[str, Any] = {
        "state": ticket.state,
        "category": ticket.category,
        "department": ticket.department,
        "assignee_role": ticket.assignee_role,
        "assignee_user": ticket.assignee_user,
        "vars": ticket.vars,
        "closed": ticket.closed_at is not None,
    }
    fields.update(overrides)
    return TicketChange(**fields)


async def create(store: AnyStore, definition_id: int, *, now: datetime = NOW, **overrides: Any) -> Ticket:
    ticket, created = await store.create_ticket(
        new_ticket(definition_id, **overrides), [event()], [message()], [], now=now
    )
    assert created
    return ticket


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


# --- tickets ------------------------------------------------------------------------------


async def test_create_ticket_and_read_it_back(store: AnyStore, definition_id: int) -> None:
    due = NOW + timedelta(days=2)
    ticket, created = await store.create_ticket(
        new_ticket(definition_id, idempotency_key="k-1"),
        [
            event(),
            event("auto_route", "routed", from_state="submitted", visibility="internal", kind="action"),
        ],
        [message(), message("0500000000")],
        [NewTimer(timer="sla", state="routed", due_at=due)],
        now=NOW,
    )
    assert created
    assert ticket.number == "2026-000001"
    assert len(ticket.tracking_code) == 16
    assert (ticket.version, ticket.state, ticket.data) == (1, "submitted", {"name": "سارة", "count": 2})
    assert ticket.created_at == NOW and ticket.created_at.tzinfo is not None
    assert ticket.closed_at is None
    assert await store.get_ticket(ticket.id) == ticket
    assert await store.get_ticket_by_number("2026-000001") == ticket
    assert await store.get_ticket(ticket.id + 1) is None

    events = await store.list_events(ticket.id)
    assert [(e.seq, e.action, e.visibility) for e in events] == [
        (1, "submit", "public"),
        (2, "auto_route", "internal"),
    ]
    assert [e.seq for e in await store.list_events(ticket.id, public_only=True)] == [1]

    [assignment] = await store.list_assignments(ticket.id)
    assert (assignment.department, assignment.role, assignment.user_id) == ("it", "it_staff", None)
    assert assignment.event_id == events[-1].id

    outbox = await store.list_outbox(ticket.id)
    assert [m.recipient for m in outbox] == ["sara@example.org", "0500000000"]
    assert {m.event_id for m in outbox} == {events[-1].id}
    assert {(m.status, m.attempts) for m in outbox} == {("pending", 0)}
    assert all(len(m.gateway_request_id) == 32 for m in outbox)

    [timer] = await store.due_timers(now=due)
    assert (timer.ticket_id, timer.timer, timer.status, timer.due_at) == (ticket.id, "sla", "pending", due)
    assert await store.due_timers(now=due - timedelta(seconds=1)) == []


async def test_unassigned_ticket_records_no_assignment(store: AnyStore, definition_id: int) -> None:
    ticket = await create(store, definition_id, department=None, assignee_role=None)
    assert await store.list_assignments(ticket.id) == []


async def test_tracking_codes_differ(store: AnyStore, definition_id: int) -> None:
    codes = {(await create(store, definition_id)).tracking_code for _ in range(5)}
    assert len(codes) == 5


async def test_numbers_count_per_year(store: AnyStore, definition_id: int) -> None:
    next_year = datetime(2027, 1, 1, tzinfo=UTC)
    numbers = [
        (await create(store, definition_id, now=when)).number
        for when in (NOW, NOW, next_year, next_year, NOW)
    ]
    assert numbers == ["2026-000001", "2026-000002", "2027-000001", "2027-000002", "2026-000003"]


async def test_number_year_is_that_of_now_in_its_zone(store: AnyStore, definition_id: int) -> None:
    riyadh = timezone(timedelta(hours=3))
    new_year_in_riyadh = datetime(2027, 1, 1, 1, 0, tzinfo=riyadh)  # still 2026 in UTC
    ticket = await create(store, definition_id, now=new_year_in_riyadh)
    assert ticket.number == "2027-000001"
    assert ticket.created_at == new_year_in_riyadh


async def test_idempotency_key_creates_once(store: AnyStore, definition_id: int, backend: Backend) -> None:
    first, created = await store.create_ticket(
        new_ticket(definition_id, idempotency_key="form-42"), [event()], [message()], [], now=NOW
    )
    again, created_again = await store.create_ticket(
        new_ticket(definition_id, idempotency_key="form-42", data={"other": True}),
        [event()],
        [message()],
        [],
        now=NOW,
    )
    assert created and not created_again
    assert again == first
    assert backend.count("SELECT count(*) FROM tickets") == 1
    assert backend.count("SELECT count(*) FROM events") == 1
    assert backend.count("SELECT count(*) FROM outbox") == 1
    # A different key, or none, is a new ticket (and the counter did not skip).
    other = await create(store, definition_id, idempotency_key="form-43")
    assert other.number == "2026-000002"


async def test_a_failed_create_writes_nothing(store: AnyStore, definition_id: int, backend: Backend) -> None:
    with pytest.raises(backend.integrity_error):
        await store.create_ticket(new_ticket(definition_id + 99), [event()], [message()], [], now=NOW)
    with pytest.raises(ValueError, match="naive"):
        await store.create_ticket(
            new_ticket(definition_id), [event(at=datetime(2026, 5, 1))], [message()], [], now=NOW
        )
    with pytest.raises(ValueError, match="at least one event"):
        await store.create_ticket(new_ticket(definition_id), [], [], [], now=NOW)
    assert backend.count("SELECT count(*) FROM tickets") == 0
    assert backend.count("SELECT count(*) FROM events") == 0
    # The number counter rolled back with the rest: no gap.
    assert (await create(store, definition_id)).number == "2026-000001"


async def test_apply_change_appends_and_bumps_version(store: AnyStore, definition_id: int) -> None:
    ticket = await create(store, definition_id)
    later = NOW + timedelta(hours=1)
    moved = await store.apply_change(
        ticket.id,
        1,
        change(ticket, state="in_review", category="in_progress", assignee_user="u-7", vars={"n": 1}),
        [event("take", "in_review", from_state="submitted", kind="action", at=later)],
        [message()],
        [NewTimer(timer="remind", state="in_review", due_at=later + timedelta(days=1))],
        cancel_pending_timers=False,
        now=later,
    )
    assert (moved.version, moved.state, moved.assignee_user, moved.vars) == (2, "in_review", "u-7", {"n": 1})
    assert moved.updated_at == later and moved.created_at == NOW
    assert await store.get_ticket(ticket.id) == moved

    events = await store.list_events(ticket.id)
    assert [(e.seq, e.action) for e in events] == [(1, "submit"), (2, "take")]
    assignments = await store.list_assignments(ticket.id)
    assert [(a.user_id, a.event_id) for a in assignments] == [(None, events[0].id), ("u-7", events[1].id)]
    outbox = await store.list_outbox(ticket.id)
    assert [m.event_id for m in outbox] == [events[0].id, events[1].id]

    # Same holder: no new assignment row.
    noted = await store.apply_change(
        ticket.id,
        2,
        change(moved),
        [event("note", "in_review", from_state="in_review", visibility="internal", kind="action")],
        [],
        [],
        cancel_pending_timers=False,
        now=later,
    )
    assert noted.version == 3
    assert len(await store.list_assignments(ticket.id)) == 2
    assert [e.seq for e in await store.list_events(ticket.id)] == [1, 2, 3]


async def test_closing_sets_keeps_and_clears_closed_at(store: AnyStore, definition_id: int) -> None:
    ticket = await create(store, definition_id)
    t1, t2, t3 = (NOW + timedelta(hours=h) for h in (1, 2, 3))

    async def apply(current: Ticket, closed: bool, at: datetime) -> Ticket:
        return await store.apply_change(
            current.id,
            current.version,
            change(current, closed=closed),
            [event("act", current.state, kind="action", at=at)],
            [],
            [],
            cancel_pending_timers=False,
            now=at,
        )

    closed = await apply(ticket, True, t1)
    assert closed.closed_at == t1
    still = await apply(closed, True, t2)
    assert still.closed_at == t1
    reopened = await apply(still, False, t3)
    assert reopened.closed_at is None


async def test_stale_version_conflicts_and_writes_nothing(
    store: AnyStore, definition_id: int, backend: Backend
) -> None:
    ticket = await create(store, definition_id)
    args = (
        [event("take", "taken", kind="action")],
        [message()],
        [NewTimer(timer="t", state="s", due_at=NOW)],
    )
    await store.apply_change(
        ticket.id, 1, change(ticket, state="taken"), *args, cancel_pending_timers=True, now=NOW
    )
    before = await store.get_ticket(ticket.id)
    with pytest.raises(VersionConflict) as conflict:
        await store.apply_change(
            ticket.id, 1, change(ticket, state="other"), *args, cancel_pending_timers=True, now=NOW
        )
    assert conflict.value.current_version == 2
    assert await store.get_ticket(ticket.id) == before
    assert backend.count("SELECT count(*) FROM events") == 2
    assert backend.count("SELECT count(*) FROM outbox") == 2
    assert backend.count("SELECT count(*) FROM timers WHERE status = 'pending'") == 1
    with pytest.raises(NotFound):
        await store.apply_change(999, 1, change(ticket), *args, cancel_pending_timers=False, now=NOW)


async def test_concurrent_changes_one_wins(store: AnyStore, definition_id: int) -> None:
    ticket = await create(store, definition_id)
    results = await asyncio.gather(
        *(
            store.apply_change(
                ticket.id,
                1,
                change(ticket, state=f"s{i}"),
                [event("act", f"s{i}", kind="action")],
                [message()],
                [],
                cancel_pending_timers=False,
                now=NOW,
            )
            for i in range(2)
        ),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["Ticket", "VersionConflict"]
    assert len(await store.list_events(ticket.id)) == 2
    assert len(await store.list_outbox(ticket.id)) == 2


async def test_concurrent_changes_from_two_stores_one_wins(backend: Backend) -> None:
    async with await backend.open() as first, await backend.open() as second:
        published = await first.publish_definition("svc", {}, "h", created_by=None, note="", now=NOW)
        ticket = await create(first, published.id)
        for round_ in range(5):
            current = await second.get_ticket(ticket.id)
            assert current is not None
            results = await asyncio.gather(
                *(
                    each.apply_change(
                        ticket.id,
                        current.version,
                        change(current, state=f"r{round_}-{i}"),
                        [event("act", "x", kind="action")],
                        [message()],
                        [],
                        cancel_pending_timers=False,
                        now=NOW,
                    )
                    for i, each in enumerate((first, second))
                ),
                return_exceptions=True,
            )
            assert sorted(type(r).__name__ for r in results) == ["Ticket", "VersionConflict"]
        final = await first.get_ticket(ticket.id)
        assert final is not None and final.version == 6
        assert [e.seq for e in await second.list_events(ticket.id)] == list(range(1, 7))


async def test_events_are_append_only(store: AnyStore, definition_id: int, backend: Backend) -> None:
    await create(store, definition_id)
    with pytest.raises(backend.integrity_error, match="append-only"):
        backend.rows("UPDATE events SET actor_name = 'someone else'")
    with pytest.raises(backend.integrity_error, match="append-only"):
        backend.rows("DELETE FROM events")
    with pytest.raises(backend.integrity_error, match="immutable"):
        backend.rows("UPDATE definition_versions SET note = 'x'")
    assert [e.actor_name for e in await store.list_events(1)] == ["Sara"]


async def test_naive_datetimes_are_refused(store: AnyStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        await store.publish_definition("svc", {}, "h", created_by=None, note="", now=datetime(2026, 1, 1))


# --- migrations ---------------------------------------------------------------------------


@pytest.mark.single_backend(
    "SQLite's migrations and journal mode (PostgreSQL's: tests/test_store_postgres.py)"
)
async def test_sqlite_migrations_are_recorded_and_reopen_is_a_no_op(db_path: Path) -> None:
    store = await open_store(db_path)
    await store.close()
    conn = raw(db_path)
    recorded = conn.execute("SELECT version, name, applied_at FROM schema_migrations").fetchall()
    assert [(v, n) for v, n, _ in recorded] == [(m.version, m.name) for m in load_migrations()]
    assert recorded[0][:2] == (1, "initial")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()

    store = await open_store(db_path)
    await store.close()
    conn = raw(db_path)
    assert conn.execute("SELECT version, name, applied_at FROM schema_migrations").fetchall() == recorded
    conn.close()


@pytest.mark.single_backend("SQLite's migrations (PostgreSQL's: tests/test_store_postgres.py)")
async def test_sqlite_migrate_applies_only_what_is_missing(db_path: Path) -> None:
    import aiosqlite

    async with aiosqlite.connect(db_path, isolation_level=None) as conn:
        assert await migrate(conn, now=NOW) == [m.version for m in load_migrations()]
        assert await migrate(conn, now=NOW) == []


@pytest.mark.single_backend("SQLite's migrations (PostgreSQL's: tests/test_store_postgres.py)")
async def test_sqlite_a_database_from_the_future_is_refused(db_path: Path) -> None:
    store = await open_store(db_path)
    await store.close()
    conn = raw(db_path)
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'from_the_future', '2030-01-01T00:00:00+00:00')")
    conn.close()
    with pytest.raises(SchemaTooNew, match="schema version 99"):
        await open_store(db_path)


@pytest.mark.single_backend("SQLite's migrations (PostgreSQL's: tests/test_store_postgres.py)")
async def test_sqlite_a_renamed_recorded_migration_is_refused(db_path: Path) -> None:
    store = await open_store(db_path)
    await store.close()
    conn = raw(db_path)
    conn.execute("UPDATE schema_migrations SET name = 'something_else' WHERE version = 1")
    conn.close()
    with pytest.raises(MigrationError, match="something_else"):
        await open_store(db_path)


def test_migration_files_are_numbered_without_gaps(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (tmp_path / "0003_third.sql").write_text("CREATE TABLE c (x INTEGER);\n")
    with pytest.raises(MigrationError, match="without gaps"):
        load_migrations(tmp_path)
    (tmp_path / "3_bad.sql").write_text("")
    with pytest.raises(MigrationError, match=r"NNNN_name\.sql"):
        load_migrations(tmp_path)


def test_split_statements_keeps_triggers_whole() -> None:
    script = (
        "-- a comment; with a semicolon\n"
        "CREATE TABLE t (x INTEGER);\n"
        "CREATE TRIGGER t_no_delete BEFORE DELETE ON t\nBEGIN\n    SELECT RAISE(ABORT, 'no');\nEND;\n"
        "-- trailing comment\n"
    )
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    with pytest.raises(MigrationError, match="incomplete"):
        split_statements("CREATE TABLE t (x INTEGER)\n")


# --- outbox -------------------------------------------------------------------------------


async def test_outbox_claim_sent_failed_dead(store: AnyStore, definition_id: int) -> None:
    ticket, _ = await store.create_ticket(
        new_ticket(definition_id), [event()], [message("a"), message("b"), message("c")], [], now=NOW
    )
    claimed = await store.claim_outbox(now=NOW, limit=2)
    assert [(m.recipient, m.status, m.attempts) for m in claimed] == [
        ("a", "sending", 1),
        ("b", "sending", 1),
    ]
    a, b = claimed
    [c] = await store.claim_outbox(now=NOW, limit=10)
    assert c.recipient == "c"
    assert await store.claim_outbox(now=NOW, limit=10) == []
    assert len(await store.list_outbox(ticket.id, "sending")) == 3

    await store.mark_sent(a.id, now=NOW)
    retry_at = NOW + timedelta(minutes=5)
    await store.mark_failed(b.id, now=NOW, error="timeout", retry_at=retry_at)
    await store.mark_failed(c.id, now=NOW, error="rejected", retry_at=None)
    by_recipient = {m.recipient: m for m in await store.list_outbox(ticket.id)}
    assert by_recipient["a"].status == "sent" and by_recipient["a"].sent_at == NOW
    assert (by_recipient["b"].status, by_recipient["b"].last_error) == ("failed", "timeout")
    assert by_recipient["b"].next_attempt_at == retry_at
    assert (by_recipient["c"].status, by_recipient["c"].last_error) == ("dead", "rejected")

    assert await store.claim_outbox(now=retry_at - timedelta(seconds=1), limit=10) == []
    [again] = await store.claim_outbox(now=retry_at, limit=10)
    assert (again.recipient, again.attempts) == ("b", 2)
    assert again.gateway_request_id == b.gateway_request_id
    assert [m.recipient for m in await store.list_outbox(status="dead")] == ["c"]
    with pytest.raises(NotFound):
        await store.mark_sent(9999, now=NOW)


async def test_outbox_counted_by_channel_and_status_without_the_sent(
    store: AnyStore, definition_id: int
) -> None:
    """``count_outbox`` (``/healthz``, the outbox page, ``khidma dispatch``'s status): the unsent messages
    by channel and status; a dead one whose error starts with an ``undeliverable`` mark counts apart —
    and only a dead one, and only from the mark's start, case and all."""
    sms = NewMessage(
        channel="sms", recipient="+966500000001", template="t", language="ar", subject="", body="b"
    )
    mark = "undeliverable (no_address): "
    ticket, _ = await store.create_ticket(
        new_ticket(definition_id),
        [event()],
        [
            message("a"),
            message("b"),
            message("c"),
            message("d"),
            message("e"),
            sms,
            msgspec.structs.replace(message(""), undeliverable=f"{mark}requester (email)"),
        ],
        [],
        now=NOW,
    )
    assert await store.count_outbox(undeliverable=[mark]) == {
        ("email", "pending"): 5,
        ("sms", "pending"): 1,
        ("email", "undeliverable"): 1,
    }
    a, b, c, d, _e, _sms = await store.claim_outbox(now=NOW, limit=6)
    await store.mark_sent(a.id, now=NOW)
    await store.mark_failed(b.id, now=NOW, error="timeout", retry_at=NOW + timedelta(minutes=5))
    await store.mark_failed(c.id, now=NOW, error="rejected", retry_at=None)
    await store.mark_failed(d.id, now=NOW, error=f"gateway said: {mark}", retry_at=None)  # not its start
    counted = await store.count_outbox(undeliverable=[mark.upper(), "undeliverable (invalid_address): "])
    assert counted == {
        ("email", "sending"): 1,
        ("sms", "sending"): 1,
        ("email", "failed"): 1,
        ("email", "dead"): 3,  # the undeliverable one too: no mark it was asked about matches it
    }
    assert await store.count_outbox(undeliverable=[mark]) == {
        **counted,
        ("email", "dead"): 2,
        ("email", "undeliverable"): 1,
    }
    assert sum(1 for m in await store.list_outbox(ticket.id) if m.status == "sent") == 1
    assert await store.count_outbox() == {**counted}


async def test_outbox_paged_newest_first_by_status(store: AnyStore, definition_id: int) -> None:
    """``page_outbox`` (the outbox page): one page of the messages of some statuses, newest first."""
    ticket, _ = await store.create_ticket(
        new_ticket(definition_id), [event()], [message(str(i)) for i in range(7)], [], now=NOW
    )
    claimed = await store.claim_outbox(now=NOW, limit=7)
    for m in claimed[:5]:
        await store.mark_failed(
            m.id, now=NOW, error="x", retry_at=None if m.recipient in ("0", "2", "4") else NOW
        )
    await store.mark_sent(claimed[5].id, now=NOW)
    ids = {m.recipient: m.id for m in claimed}
    pages = [await store.page_outbox(["dead", "failed"], offset=o, limit=2) for o in (0, 2, 4, 6)]
    assert [[m.recipient for m in page] for page in pages] == [["4", "3"], ["2", "1"], ["0"], []]
    assert [m.id for m in pages[0]] == [ids["4"], ids["3"]]
    assert [m.recipient for m in await store.page_outbox(["sending"], offset=0, limit=10)] == ["6"]
    assert [m.recipient for m in await store.page_outbox(["dead"], offset=1, limit=10)] == ["2", "0"]
    assert await store.page_outbox([], offset=0, limit=10) == []
    assert {m.ticket_id for m in pages[1]} == {ticket.id}


async def test_sending_left_by_a_crash_goes_back_to_pending(backend: Backend) -> None:
    store = await backend.open()
    published = await store.publish_definition("svc", {}, "h", created_by=None, note="", now=NOW)
    await create(store, published.id)
    [claimed] = await store.claim_outbox(now=NOW, limit=10)
    await store.close()  # the dispatcher died before mark_sent/mark_failed

    async with await backend.open() as reopened:
        [message_] = await reopened.list_outbox()
        assert (message_.status, message_.attempts) == ("pending", 1)
        assert message_.gateway_request_id == claimed.gateway_request_id
        [retried] = await reopened.claim_outbox(now=NOW, limit=10)
        assert (retried.attempts, retried.gateway_request_id) == (2, claimed.gateway_request_id)


async def test_gateway_request_ids_are_unique(store: AnyStore, definition_id: int, backend: Backend) -> None:
    for _ in range(5):
        await store.create_ticket(new_ticket(definition_id), [event()], [message()] * 4, [], now=NOW)
    ids = [m.gateway_request_id for m in await store.list_outbox()]
    assert len(ids) == len(set(ids)) == 20
    second = (await store.list_outbox())[1]
    with pytest.raises(backend.integrity_error, match=r"(?i)unique"):
        backend.rows("UPDATE outbox SET gateway_request_id = ? WHERE id = ?", (ids[0], second.id))


# --- timers -------------------------------------------------------------------------------


async def test_timers_due_cancel_and_fire(store: AnyStore, definition_id: int) -> None:
    day = timedelta(days=1)
    ticket, _ = await store.create_ticket(
        new_ticket(definition_id),
        [event()],
        [],
        [NewTimer(timer="remind", state="submitted", due_at=NOW + day)],
        now=NOW,
    )
    [timer] = await store.due_timers(now=NOW + day)
    # The timer fires: its event and the new timer land with marking it fired, atomically.
    fired = await store.apply_change(
        ticket.id,
        1,
        change(ticket, state="escalated"),
        [event("remind", "escalated", kind="timer")],
        [],
        [NewTimer(timer="escalate", state="escalated", due_at=NOW + 3 * day)],
        cancel_pending_timers=True,
        now=NOW + day,
        fired_timer_id=timer.id,
    )
    assert await store.due_timers(now=NOW + 2 * day) == []
    [escalate] = await store.due_timers(now=NOW + 3 * day)
    assert escalate.timer == "escalate"
    with pytest.raises(NotFound):  # a timer fires once
        await store.apply_change(
            ticket.id,
            fired.version,
            change(fired),
            [event("remind", "escalated", kind="timer")],
            [],
            [],
            cancel_pending_timers=False,
            now=NOW + day,
            fired_timer_id=timer.id,
        )
    await store.apply_change(
        ticket.id,
        fired.version,
        change(fired, state="done", closed=True),
        [event("close", "done", kind="action")],
        [],
        [],
        cancel_pending_timers=True,
        now=NOW + day,
    )
    assert await store.due_timers(now=NOW + 10 * day) == []
    await store.set_timer_status(escalate.id, "pending")
    assert [t.id for t in await store.due_timers(now=NOW + 10 * day)] == [escalate.id]
    await store.set_timer_status(escalate.id, "fired")
    assert await store.due_timers(now=NOW + 10 * day) == []
    with pytest.raises(NotFound):
        await store.set_timer_status(9999, "fired")


# --- definitions --------------------------------------------------------------------------


async def test_publish_definition_versions(store: AnyStore) -> None:
    v1 = await store.publish_definition("svc", {"a": 1}, "h1", created_by="admin", note="first", now=NOW)
    same = await store.publish_definition("svc", {"a": 1}, "h1", created_by="other", note="again", now=NOW)
    v2 = await store.publish_definition("svc", {"a": 2}, "h2", created_by=None, note="", now=NOW)
    other = await store.publish_definition("other", {"a": 1}, "h1", created_by=None, note="", now=NOW)
    back = await store.publish_definition("svc", {"a": 1}, "h1", created_by=None, note="revert", now=NOW)
    assert (v1.version, v1.created_by, v1.note, v1.bundle) == (1, "admin", "first", {"a": 1})
    assert same == v1
    assert (v2.version, other.version, back.version) == (2, 1, 3)
    assert await store.latest_definition("svc") == back
    assert await store.latest_definition("nothing") is None
    assert await store.get_definition(v2.id) == v2
    assert await store.get_definition(999) is None
    assert [d.version for d in await store.list_definitions("svc")] == [1, 2, 3]


# --- lookups, users, ready replies --------------------------------------------------------


async def test_lookup_tables(store: AnyStore) -> None:
    custody = [
        {"employee": "e1", "item": "laptop", "qty": 1},
        {"employee": "e1", "item": "phone", "qty": 1},
        {"employee": "e2", "item": "key", "qty": 3},
    ]
    await store.replace_lookup_table("custody", "employee", custody)
    await store.replace_lookup_table("colleges", "id", [{"id": 7, "name": "Engineering"}])
    assert await store.lookup_rows("custody", "e1") == custody[:2]
    assert await store.lookup_rows("custody", "nobody") == []
    assert await store.lookup_rows("colleges", "7") == [{"id": 7, "name": "Engineering"}]
    assert await store.lookup_rows_many("custody", ["e2", "e1", "zz"]) == {
        "e2": custody[2:],
        "e1": custody[:2],
        "zz": [],
    }
    await store.replace_lookup_table("custody", "employee", custody[2:])
    assert await store.lookup_rows("custody", "e1") == []
    assert await store.lookup_rows("colleges", "7") != []
    with pytest.raises(ValueError, match="no key column"):
        await store.replace_lookup_table("custody", "employee", [{"item": "x"}])
    assert await store.lookup_rows("custody", "e2") == custody[2:]  # the failed replace changed nothing


async def test_users_with_roles(store: AnyStore) -> None:
    head = await store.add_user(
        username="Huda", name="Huda", roles=["it_head", "it_staff"], department="it", now=NOW, email="h@x"
    )
    staff = await store.add_user(username="ali", name="Ali", roles=["it_staff"], department="it", now=NOW)
    await store.add_user(
        username="gone", name="Gone", roles=["it_staff"], department="it", now=NOW, active=False
    )
    await store.add_user(
        username="omar", name="Omar", roles=["it_staff"], department="hr", now=NOW, id="u-omar"
    )
    assert head.roles == ("it_head", "it_staff") and head.active and head.email == "h@x"
    assert await store.get_user(head.id) == head
    assert await store.get_user_by_username("huda") == head
    assert (await store.get_user("u-omar")) is not None
    assert await store.get_user("nobody") is None
    assert [u.username for u in await store.users_in_department("it")] == ["ali", "Huda"]
    assert [u.username for u in await store.users_in_department("it", "it_head")] == ["Huda"]
    assert len(await store.users_in_department("it", active_only=False)) == 3
    assert staff.password_hash is None
    with pytest.raises(AlreadyExists):
        await store.add_user(username="HUDA", name="Another", roles=[], now=NOW)


async def test_ready_reply_search(store: AnyStore) -> None:
    fee = await store.add_ready_reply(
        title_ar="رسوم الخدمة",
        title_en="Service fee",
        body_ar="لا توجد رسوم",
        body_en="There is no fee (100% free).",
        tags=["fees"],
    )
    hours = await store.add_ready_reply(
        title_ar="ساعات العمل", title_en="Working hours", body_ar="من الأحد إلى الخميس", body_en="Sun to Thu"
    )
    await store.add_ready_reply(
        title_ar="رسوم قديمة", title_en="Old fee", body_ar="-", body_en="-", active=False
    )
    assert fee.tags == ("fees",)
    assert await store.search_ready_replies("رسوم") == [fee]
    assert await store.search_ready_replies("SERVICE fee") == [fee]
    assert await store.search_ready_replies("الخميس") == [hours]
    assert await store.search_ready_replies("100%") == [fee]
    assert await store.search_ready_replies("%") == [fee]  # literal, not "anything"
    assert await store.search_ready_replies("_") == []
    assert await store.search_ready_replies("") == [fee, hours]
    assert await store.search_ready_replies("", limit=1) == [fee]


# --- attachments --------------------------------------------------------------------------


async def test_attachments_are_content_addressed(store: AnyStore, definition_id: int) -> None:
    content = b"%PDF-1.7 transcript"
    first = await store.add_attachment(
        ticket_id=None,
        field="transcript",
        filename="a.pdf",
        media_type="application/pdf",
        content=content,
        now=NOW,
    )
    second = await store.add_attachment(
        ticket_id=None, field="copy", filename="b.pdf", media_type="application/pdf", content=content, now=NOW
    )
    assert first.id != second.id and len(first.id) >= 24
    assert first.sha256 == second.sha256 and first.size == len(content)
    path = store.attachment_path(first)
    assert path == store.attachments_dir / first.sha256[:2] / first.sha256
    assert path.read_bytes() == content
    files = [p for p in store.attachments_dir.rglob("*") if p.is_file()]
    assert files == [path]  # stored once, no temporary file left behind
    assert await store.get_attachment(first.id) == first
    assert await store.get_attachment("nope") is None

    ticket = await create(store, definition_id)
    await store.link_attachments(ticket.id, [first.id, second.id])
    linked = await store.get_attachment(first.id)
    assert linked is not None and linked.ticket_id == ticket.id
    other = await create(store, definition_id)
    with pytest.raises(NotFound):
        await store.link_attachments(other.id, [first.id])
    with pytest.raises(NotFound):
        await store.link_attachments(other.id, ["missing"])
    with pytest.raises(NotFound):
        await store.add_attachment(
            ticket_id=999, field="f", filename="x", media_type="text/plain", content=b"x", now=NOW
        )


@pytest.mark.single_backend("the default beside the SQLite file")
async def test_sqlite_attachments_dir_can_be_chosen(tmp_path: Path) -> None:
    async with await open_store(tmp_path / "db.sqlite", tmp_path / "files") as store:
        att = await store.add_attachment(
            ticket_id=None, field="f", filename="x.txt", media_type="text/plain", content=b"hello", now=NOW
        )
        assert store.attachment_path(att).parent.parent == tmp_path / "files"


async def test_integrity_check(store: AnyStore, definition_id: int) -> None:
    await create(store, definition_id)
    assert await store.integrity_check() == "ok"


async def test_cancelled_writes_leave_no_half_ticket_and_no_open_transaction(
    store: AnyStore, definition_id: int, backend: Backend
) -> None:
    for step in range(40):  # cancel at 0, 0.05, 0.1… ms: before, inside and after the transaction
        task = asyncio.create_task(create(store, definition_id))
        await asyncio.sleep(step * 0.00005)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    last = await create(store, definition_id)  # the writer is usable: no transaction left open
    rows = backend.rows(
        "SELECT (SELECT count(*) FROM events e WHERE e.ticket_id = t.id),"
        " (SELECT count(*) FROM outbox o WHERE o.ticket_id = t.id) FROM tickets t"
    )
    assert set(rows) == {(1, 1)}
    assert last.number == f"2026-{len(rows):06d}"  # cancelled creates took no number


async def test_messages_can_be_built_from_the_ticket_as_written(store: AnyStore, definition_id: int) -> None:
    def received(ticket: Ticket) -> list[NewMessage]:
        return [
            NewMessage(
                channel="sms",
                recipient="0500000000",
                template="received",
                language="ar",
                subject=ticket.number,
                body=f"{ticket.number} v{ticket.version} {ticket.state}",
            )
        ]

    ticket, _ = await store.create_ticket(new_ticket(definition_id), [event()], received, [], now=NOW)
    moved = await store.apply_change(
        ticket.id,
        1,
        change(ticket, state="taken"),
        [event("take", "taken", kind="action")],
        received,
        [],
        cancel_pending_timers=False,
        now=NOW,
    )
    assert [m.body for m in await store.list_outbox(ticket.id)] == [
        f"{ticket.number} v1 submitted",
        f"{moved.number} v2 taken",
    ]

    def broken(ticket: Ticket) -> list[NewMessage]:
        raise RuntimeError("template error")

    with pytest.raises(RuntimeError):
        await store.create_ticket(new_ticket(definition_id), [event()], broken, [], now=NOW)
    assert (await create(store, definition_id)).number == "2026-000002"  # the failed one left nothing


async def test_get_ticket_by_idempotency_key(store: AnyStore, definition_id: int) -> None:
    ticket = await create(store, definition_id, idempotency_key="abc")
    assert await store.get_ticket_by_idempotency_key("abc") == ticket
    assert await store.get_ticket_by_idempotency_key("other") is None


async def test_definitions_stamp_follows_publishes_here_at_once_and_elsewhere_within_recheck(
    backend: Backend,
) -> None:
    async with await backend.open() as here, await backend.open() as elsewhere:
        before = await here.definitions_stamp()
        mine = await here.publish_definition("svc", {}, "h1", created_by=None, note="", now=NOW)
        assert await here.definitions_stamp() == mine.id > before  # this store's publish: at once
        theirs = await elsewhere.publish_definition("svc", {}, "h2", created_by=None, note="", now=NOW)
        here._stamp.recheck = 3600.0  # within the recheck interval the stamp read last stands…
        assert await here.definitions_stamp() == mine.id
        here._stamp.recheck = 0.0  # …and once it has passed, another store's publish is read
        here._stamp.remember(mine.id)
        assert await here.definitions_stamp() == theirs.id


async def test_users_in_a_department_are_kept_until_the_directory_changes_here_or_elsewhere(
    backend: Backend,
) -> None:
    async with await backend.open() as here, await backend.open() as elsewhere:

        async def heads() -> list[str]:
            return [u.username for u in await here.users_in_department("it", "department_head")]

        await here.add_user(username="h1", name="Head 1", roles=["department_head"], department="it", now=NOW)
        assert await heads() == ["h1"]
        here._directory.stamp.recheck = 3600.0  # from now on the stamp read last stands…
        kept = await heads()
        assert kept == ["h1"]
        # …a change made by this store is seen at once
        second = await here.add_user(
            username="h2", name="Head 2", roles=["department_head"], department="it", now=NOW
        )
        assert await heads() == ["h1", "h2"]
        await here.set_user_active(second.id, False)
        assert await heads() == ["h1"]
        # a change made elsewhere is not, while the stamp stands…
        first = await here.get_user_by_username("h1")
        assert first is not None
        await elsewhere.update_user(
            first.id, name="Head 1", email=None, phone=None, department="finance", roles=["department_head"]
        )
        assert await heads() == ["h1"]
        # …and is once it has been read again (every RECHECK seconds)
        here._directory.stamp.recheck = 0.0
        here._directory.stamp.remember(-1)
        assert await heads() == []
        await elsewhere.set_password(first.id, None)
        await elsewhere.update_user(
            first.id, name="Head 1", email=None, phone=None, department="it", roles=["department_head"]
        )
        assert await heads() == ["h1"]


async def test_whom_a_bearer_token_names_is_kept_until_it_is_revoked_here_or_elsewhere(
    backend: Backend,
) -> None:
    """Every API request looks its token up: the holder is kept under the directory stamp. A token
    revoked by this store is refused at once; by another (``khidma token revoke``), once the stamp is
    read again (every RECHECK seconds); a user made inactive, likewise. Using a token records it at most
    every minute, and that does not move the stamp."""
    async with await backend.open() as here, await backend.open() as elsewhere:
        user = await here.add_user(username="api", name="API", roles=["customer_service"], now=NOW)
        first = await here.create_api_token(user.id, "one", "hash-1", now=NOW)
        second = await here.create_api_token(user.id, "two", "hash-2", now=NOW)
        assert await here.get_token_user("unknown", now=NOW) is None
        assert (await here.get_token_user("hash-1", now=NOW)) == user
        here._directory.stamp.recheck = 3600.0  # from now on the stamp read last stands…
        assert (await here.get_token_user("hash-1", now=NOW + timedelta(seconds=5))) == user
        used = [t.last_used_at for t in await elsewhere.list_tokens(user.id) if t.id == first.id]
        assert used == [NOW]  # recorded once, not at every request
        await here.get_token_user("hash-1", now=NOW + timedelta(minutes=2))
        used = [t.last_used_at for t in await elsewhere.list_tokens(user.id) if t.id == first.id]
        assert used == [NOW + timedelta(minutes=2)]
        # …a token revoked here is refused at once
        await here.revoke_token(first.id, now=NOW)
        assert await here.get_token_user("hash-1", now=NOW) is None
        assert (await here.get_token_user("hash-2", now=NOW)) == user
        here._directory.stamp.recheck = 3600.0
        # revoked elsewhere: still served while the stamp stands…
        await elsewhere.revoke_token(second.id, now=NOW)
        assert (await here.get_token_user("hash-2", now=NOW)) == user
        # …refused once it is read again
        here._directory.stamp.recheck = 0.0
        here._directory.stamp.remember(-1)
        assert await here.get_token_user("hash-2", now=NOW) is None
        third = await elsewhere.create_api_token(user.id, "three", "hash-3", now=NOW)
        assert third.id and (await here.get_token_user("hash-3", now=NOW)) == user
        await elsewhere.set_user_active(user.id, False)
        here._directory.stamp.remember(-2)
        assert await here.get_token_user("hash-3", now=NOW) is None


async def test_the_holders_of_a_role_are_kept_the_same_way(backend: Backend) -> None:
    async with await backend.open() as here, await backend.open() as elsewhere:

        async def supervisors() -> list[str]:
            return [u.username for u in await here.users_with_role("general_supervisor")]

        await here.add_user(username="s1", name="Sup 1", roles=["general_supervisor"], now=NOW)
        assert await supervisors() == ["s1"]
        here._directory.stamp.recheck = 3600.0
        await elsewhere.add_user(username="s2", name="Sup 2", roles=["general_supervisor"], now=NOW)
        assert await supervisors() == ["s1"]  # another store's change: not yet
        await here.add_user(username="x", name="Other", roles=["requester"], now=NOW)
        assert await supervisors() == ["s1", "s2"]  # this store's change: everything read again
