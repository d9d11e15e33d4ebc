"""PostgreSQL's task-list counts from append-only deltas and their summaries (pg migration 0008,
``server/store/postgres_task_counts.py``): exact under many concurrent writers and folds, folded by one
process at a time, filled by the migration over existing tickets and by ``khidma migrate-store``."""

from __future__ import annotations

import asyncio
import itertools
import random
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import psycopg
import pytest

from server.access import ReadScope
from server.store import postgres_task_counts
from server.store.copy import copy_store
from server.store.open import open_any
from server.store.postgres import PostgresStore, open_postgres
from server.store.postgres_migrate import load_pg_migrations, migrate
from server.store.postgres_tasks import count_sql
from server.store.records import NewEvent, NewTicket, TaskCounts, TaskFilter, TaskOrder, TicketChange
from server.store.sqlite import SQLiteStore

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
EVERYTHING = ReadScope(everything=True)
CATEGORIES = ("open", "in_progress", "waiting", "closed")
HOLDERS = ((None, None, None), ("it", "it_staff", None), ("hr", None, "u-ali"), ("it", None, "u-huda"))

FILTERS = [
    TaskFilter(scope=EVERYTHING),
    TaskFilter(scope=ReadScope(departments=frozenset({"it"}))),
    TaskFilter(scope=EVERYTHING, held_by=frozenset({"hr"}), unheld=True),
    TaskFilter(
        scope=EVERYTHING, assigned_user="u-huda", queue_roles=frozenset({"it_staff"}), queue_department="it"
    ),
    TaskFilter(scope=EVERYTHING, service="other", channel="email"),
    TaskFilter(scope=EVERYTHING, state="s2", category="closed"),
    # creation dates: whole UTC days inside, partial days at the edges, and none
    TaskFilter(scope=EVERYTHING, created_from=NOW - 30 * HOUR, created_before=NOW + 50 * HOUR),
    TaskFilter(scope=EVERYTHING, created_from=NOW + 3 * HOUR),
    TaskFilter(scope=ReadScope(services=frozenset({"svc"})), created_before=NOW + 20 * HOUR),
    TaskFilter(scope=EVERYTHING, created_from=NOW + HOUR, created_before=NOW + 5 * HOUR),
]


@pytest.fixture
async def store(pg_url: str, tmp_path: Path) -> AsyncIterator[PostgresStore]:
    async with await open_postgres(pg_url, tmp_path / "files") as opened:
        yield opened


def new_ticket(definition_id: int, n: int) -> NewTicket:
    department, role, user = HOLDERS[n % len(HOLDERS)]
    return NewTicket(
        service_id=("svc", "other")[n % 2],
        definition_version_id=definition_id,
        state="s1",
        category=CATEGORIES[n % 3],
        department=department,
        assignee_role=role,
        assignee_user=user,
        channel=("web", "email", "web")[n % 3],
        requester_id=None,
        data={},
        vars={},
        search_text=f"ticket {n}",
    )


def event(at: datetime) -> NewEvent:
    return NewEvent(
        at=at,
        actor_id=None,
        actor_name="x",
        action="act",
        from_state=None,
        to_state="s",
        data={},
        visibility="public",
        kind="action",
    )


async def counted(store: PostgresStore, task_filter: TaskFilter) -> dict[str, int]:
    """The counts from the tickets themselves (what the aggregates must equal)."""
    sql, params = count_sql(task_filter)
    return {row["category"]: int(row["n"]) for row in await store._all(sql, params)}


async def deltas(pg_url: str) -> int:
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
        cursor = await conn.execute("SELECT count(*) FROM ticket_count_deltas")
        row = await cursor.fetchone()
        return int(row[0]) if row else 0


async def test_counts_stay_exact_under_concurrent_writers_readers_and_folds(
    store: PostgresStore, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres_task_counts, "COMPACT_AT", 7)  # fold often, while writes are in flight
    folds: list[int | None] = []
    fold = postgres_task_counts.compact

    async def counted_fold(conn: Any) -> int | None:
        folds.append(await fold(conn))
        return folds[-1]

    monkeypatch.setattr(postgres_task_counts, "compact", counted_fold)
    other = await open_postgres(pg_url, tmp_path / "files")  # a second process's store
    try:
        version = await store.publish_definition("svc", {}, "h", created_by=None, note="", now=NOW)
        rng = random.Random(14)

        async def create(n: int) -> None:
            writer = (store, other)[n % 2]
            at = NOW + (n % 9 - 3) * 7 * HOUR  # creation days around NOW
            ticket, _ = await writer.create_ticket(new_ticket(version.id, n), [event(at)], [], [], now=at)
            for step in range(n % 4):  # then moved: state, category, holder
                department, role, user = HOLDERS[rng.randrange(len(HOLDERS))]
                change = TicketChange(
                    state=f"s{step + 2}",
                    category=CATEGORIES[rng.randrange(len(CATEGORIES))],
                    department=department,
                    assignee_role=role,
                    assignee_user=user,
                    vars={},
                    closed=False,
                )
                ticket = await writer.apply_change(
                    ticket.id,
                    ticket.version,
                    change,
                    [event(at)],
                    [],
                    [],
                    cancel_pending_timers=False,
                    now=at,
                )

        writing = True

        async def read(n: int) -> None:  # counts (and folds) as long as the writes go on
            reader = (store, other)[n % 2]
            while writing:
                await reader.count_tasks(FILTERS[n % len(FILTERS)])
                n += 1

        async def write() -> None:
            nonlocal writing
            await asyncio.gather(*(create(n) for n in range(120)))
            writing = False

        await asyncio.gather(write(), *(read(n) for n in range(4)))
        assert sum(1 for n in folds if n) >= 3  # folds ran among the writes
        for task_filter, reader in itertools.product(FILTERS, (store, other)):
            assert await reader.count_tasks(task_filter) == await counted(store, task_filter), task_filter
        assert sum((await store.count_tasks(FILTERS[0])).values()) == 120
        async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
            await fold(conn)
        await create(120)  # deltas fewer than COMPACT_AT: counted from the summaries and the deltas
        await create(122)
        assert 0 < await deltas(pg_url) < postgres_task_counts.COMPACT_AT
        for task_filter in FILTERS:
            assert await store.count_tasks(task_filter) == await counted(store, task_filter), task_filter
        assert await deltas(pg_url) > 0
        # folded whole (no fold at all below): the same counts from the summaries alone
        async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
            assert await postgres_task_counts.compact(conn)
        assert await deltas(pg_url) == 0
        monkeypatch.setattr(postgres_task_counts, "COMPACT_AT", 10**9)
        for task_filter in FILTERS:
            assert await store.count_tasks(task_filter) == await counted(store, task_filter), task_filter
            narrowed = TaskFilter(scope=task_filter.scope, category="open")
            assert await store.count_tasks_bounded(narrowed, bound=1, category_aside=False) == TaskCounts(
                counts={c: n for c, n in (await counted(store, narrowed)).items() if c == "open"}
            )
    finally:
        await other.close()


async def test_two_folds_at_once_lose_and_double_nothing(store: PostgresStore, pg_url: str) -> None:
    version = await store.publish_definition("svc", {}, "h", created_by=None, note="", now=NOW)
    for n in range(30):
        await store.create_ticket(new_ticket(version.id, n), [event(NOW)], [], [], now=NOW)
    async with (
        await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as one,
        await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as two,
    ):
        async with one.transaction():  # one holds the fold's lock: the other does not fold
            await one.execute(postgres_task_counts.COMPACT_LOCK)
            assert await postgres_task_counts.compact(two) is None
        folded = await asyncio.gather(postgres_task_counts.compact(one), postgres_task_counts.compact(two))
    assert sorted(folded, key=lambda n: -1 if n is None else n)[-1] == 30
    assert await deltas(pg_url) == 0
    assert await store.count_tasks(FILTERS[0]) == await counted(store, FILTERS[0])
    assert sum((await store.count_tasks(FILTERS[0])).values()) == 30


async def _migrated_before(conn: psycopg.AsyncConnection[Any], version: int) -> None:
    """The schema as the migrations before ``version`` leave it, with one definition version to point at."""
    await migrate(conn, now=NOW, migrations=tuple(m for m in load_pg_migrations() if m.version < version))
    await conn.execute(
        "INSERT INTO definition_versions (service_id, version, bundle, content_hash, created_at, note)"
        " VALUES ('svc', 1, '{}', 'h', %s, '')",
        (NOW,),
    )


async def test_the_migration_counts_the_tickets_already_there(pg_url: str, tmp_path: Path) -> None:
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
        await _migrated_before(conn, 8)
        for n in range(12):
            department, role, user = HOLDERS[n % len(HOLDERS)]
            await conn.execute(
                "INSERT INTO tickets (number, tracking_code, service_id, definition_version_id, state, category,"
                " department, assignee_role, assignee_user, channel, data, vars, version, created_at, updated_at)"
                " VALUES (%s, %s, %s, 1, 's1', %s, %s, %s, %s, 'web', '{}', '{}', 1, %s, %s)",
                (f"n{n}", f"c{n}", ("svc", "other")[n % 2], CATEGORIES[n % 3], department, role, user)
                + (NOW + n * 5 * HOUR,) * 2,
            )
    async with await open_postgres(pg_url, tmp_path / "files") as store:  # applies 0008
        assert await deltas(pg_url) == 0
        for task_filter in FILTERS:
            assert await store.count_tasks(task_filter) == await counted(store, task_filter), task_filter


async def test_a_copy_from_sqlite_counts_as_the_source(pg_url: str, tmp_path: Path) -> None:
    source = tmp_path / "k.db"
    lite: Any = await open_any(str(source), tmp_path / "files")
    assert isinstance(lite, SQLiteStore)
    try:
        version = await lite.publish_definition("svc", {}, "h", created_by=None, note="", now=NOW)
        for n in range(25):
            at = NOW + (n % 5 - 2) * 11 * HOUR
            await lite.create_ticket(new_ticket(version.id, n), [event(at)], [], [], now=at)
        expected = [await lite.count_tasks(task_filter) for task_filter in FILTERS]
    finally:
        await lite.close()
    await copy_store(str(source), pg_url)
    assert await deltas(pg_url) == 0  # folded before the copy committed
    async with await open_postgres(pg_url, tmp_path / "pg-files") as store:
        assert [await store.count_tasks(task_filter) for task_filter in FILTERS] == expected
        for task_filter in FILTERS:
            assert await store.count_tasks(task_filter) == await counted(store, task_filter)


async def test_list_queries_are_planned_for_their_values_every_time(pg_url: str, tmp_path: Path) -> None:
    """Never prepared: psycopg prepares a statement run five times on a connection, and PostgreSQL may
    then keep a generic plan, blind to the text, dates and departments that decide a list's plan."""
    async with await open_postgres(pg_url, tmp_path / "files", pool_size=1) as store:
        version = await store.publish_definition("svc", {}, "h", created_by=None, note="", now=NOW)
        await store.create_ticket(new_ticket(version.id, 1), [event(NOW)], [], [], now=NOW)
        for task_filter in [*FILTERS, TaskFilter(scope=EVERYTHING, text="ticket")] * 6:
            await store.list_tasks(task_filter, TaskOrder(), offset=0, limit=25)
            await store.list_task_ids(task_filter, TaskOrder(key="due"), offset=0, limit=25)
            await store.count_tasks(task_filter)
            await store.count_tasks_bounded(task_filter, bound=10)
        prepared = [
            row["statement"] for row in await store._all("SELECT statement FROM pg_prepared_statements")
        ]
        assert not [statement for statement in prepared if "tickets t" in statement], prepared


async def test_free_text_matches_as_on_sqlite_whatever_the_case(pg_url: str, tmp_path: Path) -> None:
    """A text without ASCII letters is looked for as it is first (``postgres_tasks.text_clause``): the
    same tickets as SQLite's LIKE (ASCII case folded) finds, in texts with capitals, digits and
    wildcards."""
    texts = [
        "Sara ALGHAMDI | عبدالله الغامدي | 2026-000123",
        "سارة الغامدي | PRINTER 50% | 0551234567",
        "omar | نورة العتيبي_ب | 2026-000124",
        "ALGHAMDI_2026 | 100%",
    ]
    lite: Any = await open_any(str(tmp_path / "k.db"), tmp_path / "files")
    pg = await open_postgres(pg_url, tmp_path / "pg-files")
    try:
        for store in (lite, pg):
            version = await store.publish_definition("svc", {}, "h", created_by=None, note="", now=NOW)
            for n, text in enumerate(texts):
                new = msgspec.structs.replace(new_ticket(version.id, n), search_text=text)
                await store.create_ticket(new, [event(NOW)], [], [], now=NOW)
        matched = {}
        for text in (
            "الغامدي",
            "غا",
            "ي_ب",
            "50%",
            "0%",
            "2026-00012",
            "-0",
            "alghamdi",
            "ALGhamdi",
            "i_2",
            "ب",
        ):
            task_filter = TaskFilter(scope=EVERYTHING, text=text)
            order = TaskOrder(key="created", descending=False)
            found = [
                [row.number for row in await s.list_tasks(task_filter, order, offset=0, limit=10)]
                for s in (lite, pg)
            ]
            assert found[0] == found[1], text
            matched[text] = len(found[0])
            assert await lite.count_tasks_bounded(task_filter, bound=2) == await pg.count_tasks_bounded(
                task_filter, bound=2
            ), text
        assert matched == {
            "الغامدي": 2,
            "غا": 2,
            "ي_ب": 1,
            "50%": 1,
            "0%": 2,
            "2026-00012": 2,
            "-0": 4,
            "alghamdi": 2,
            "ALGhamdi": 2,
            "i_2": 1,
            "ب": 2,
        }
    finally:
        await lite.close()
        await pg.close()


async def test_a_ticket_updated_before_it_was_created_is_mended_and_copies_into_sqlite(
    pg_url: str, tmp_path: Path
) -> None:
    """pg migration 0011, as SQLite's 0016: a row written before every write kept ``updated_at >=
    created_at`` (a wall clock set back) is brought to it, so ``khidma migrate-store`` carries the
    invariant into SQLite, whose date-range lists walk ``tickets_updated`` from the range's start."""
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
        await _migrated_before(conn, 11)
        for n, updated in enumerate((NOW - 3 * HOUR, NOW + HOUR)):
            await conn.execute(
                "INSERT INTO tickets (number, tracking_code, service_id, definition_version_id, state, category,"
                " department, channel, data, vars, version, created_at, updated_at)"
                " VALUES (%s, %s, 'svc', 1, 's1', 'open', 'it', 'web', '{}', '{}', 1, %s, %s)",
                (f"n{n}", f"c{n}", NOW, updated),
            )
    target = tmp_path / "copy.db"
    await copy_store(pg_url, str(target))  # opening the source applies 0011 first
    copied = sqlite3.connect(target)
    try:
        rows = copied.execute("SELECT number, created_at, updated_at FROM tickets ORDER BY number").fetchall()
    finally:
        copied.close()
    assert [(number, updated >= created) for number, created, updated in rows] == [("n0", True), ("n1", True)]
    assert rows[0][2] == rows[0][1]  # brought to its creation time
    assert rows[1][2] > rows[1][1]  # a later update kept as it was
    lite: Any = await open_any(str(target), tmp_path / "files")
    try:
        found = await lite.list_tasks(
            TaskFilter(scope=EVERYTHING, created_from=NOW - HOUR, created_before=NOW + HOUR),
            TaskOrder(key="updated", descending=False),
            offset=0,
            limit=25,
        )
    finally:
        await lite.close()
    assert [t.number for t in found] == ["n0", "n1"]
