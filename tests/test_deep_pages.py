"""Deep task-list pages (issue 14): every page of a list, read by OFFSET, is the list's own slice — in
every order, on both backends, with tickets that share their update and creation times (the id breaks
the tie) — and on PostgreSQL the page's ids are chosen index-only (pg migration 0010: the list indexes
end with the id; ``postgres_tasks.list_sql`` selects the ids and the order's columns alone).
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import psycopg
import pytest

from server.exports import audit
from server.exports.audit import AuditFilter, audit_rows
from server.store import postgres_tasks, sqlite_tasks
from server.store.open import open_any
from server.store.postgres import PostgresStore
from server.store.records import (
    NewEvent,
    NewTicket,
    NewTimer,
    ReadScope,
    Seek,
    TaskFilter,
    TaskKey,
    TaskOrder,
    TaskRow,
)
from server.store.sqlite import SQLiteStore
from server.tickets.task_pages import next_in_list

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
TICKETS = 23
EVERYTHING = ReadScope(everything=True)
FILTERS = [
    TaskFilter(scope=EVERYTHING),
    TaskFilter(scope=EVERYTHING, held_by=frozenset({"it"})),  # a department's list: one department
    TaskFilter(scope=EVERYTHING, held_by=frozenset({"it"}), category="open"),
    TaskFilter(scope=EVERYTHING, held_by=frozenset({"it", "hr"})),
    TaskFilter(scope=ReadScope(departments=frozenset({"hr"}))),
    TaskFilter(scope=EVERYTHING, category="closed"),
    TaskFilter(scope=EVERYTHING, text="الغامدي"),
    TaskFilter(scope=EVERYTHING, held_by=frozenset({"it"}), text="الغامدي"),
    TaskFilter(scope=EVERYTHING, text="غا"),  # shorter than a trigram: LIKE, or the few ids that hold it
]
ORDERS = [TaskOrder.parse(value) for value in ("-updated", "updated", "-created", "created", "-due", "due")]


@pytest.fixture
async def stores(tmp_path: Path, pg_url: str) -> AsyncIterator[tuple[SQLiteStore, PostgresStore]]:
    sqlite = await open_any(str(tmp_path / "k.db"), tmp_path / "sqlite-files")
    pg = await open_any(pg_url, tmp_path / "pg-files")
    assert isinstance(sqlite, SQLiteStore) and isinstance(pg, PostgresStore)
    try:
        for store in (sqlite, pg):
            await _fill(store)
        yield sqlite, pg
    finally:
        await sqlite.close()
        await pg.close()


async def _fill(store: Any) -> None:
    """Tickets in threes created at the same hour (so the same creation and update times), two
    departments, three categories, a family name on every other one; a due time on some."""
    definition = await store.publish_definition("svc", {"x": 1}, "h", created_by=None, note="", now=NOW)
    for n in range(TICKETS):
        at = NOW + (n // 3) * HOUR
        new = NewTicket(
            service_id="svc",
            definition_version_id=definition.id,
            state="submitted",
            category=("open", "in_progress", "closed")[n % 3],
            department=("it", "hr", None, "it")[n % 4],
            assignee_role="staff",
            assignee_user=None,
            channel="web",
            requester_id=None,
            data={"n": n},
            vars={},
            search_text=f"طلب {n} عبدالله الغامدي" if n % 2 else f"طلب {n}",
            language="ar",
        )
        event = NewEvent(
            at=at,
            actor_id="u",
            actor_name="U",
            actor_department=None,
            action="submit",
            from_state=None,
            to_state="submitted",
            data={},
            visibility="public",
            kind="created",
        )
        timers = [NewTimer(timer="sla", state="submitted", due_at=at + (n % 5) * HOUR)] if n % 3 == 1 else []
        await store.create_ticket(new, [event], [], timers, now=at)


def _key(order: TaskOrder) -> Any:
    """The list's order in Python (update or creation time, then id; both the same way)."""
    column = "updated_at" if order.key == "updated" else "created_at"
    return lambda row: (getattr(row, column), row.id)


def _rows(rows: list[TaskRow]) -> Any:
    return msgspec.to_builtins(rows, builtin_types=(datetime,))


@pytest.mark.parametrize("deep", [sqlite_tasks.DEEP, 1], ids=["shallow", "deep"])
async def test_every_page_is_the_lists_slice_on_both_backends(
    stores: tuple[SQLiteStore, PostgresStore], deep: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(``deep``: from which offset SQLite's page by due time excludes the tickets with a due time by
    their ids — lowered here so that every page but the first is read so.)"""
    monkeypatch.setattr(sqlite_tasks, "DEEP", deep)
    sqlite, pg = stores
    for task_filter, order in itertools.product(FILTERS, ORDERS):
        whole = await sqlite.list_tasks(task_filter, order, offset=0, limit=1000)
        assert _rows(await pg.list_tasks(task_filter, order, offset=0, limit=1000)) == _rows(whole)
        if order.key != "due":
            assert whole == sorted(whole, key=_key(order), reverse=order.descending), (task_filter, order)
        for size in (1, 4):
            for offset in range(len(whole) + 1):
                expected = whole[offset : offset + size]
                for store in (sqlite, pg):
                    page = await store.list_tasks(task_filter, order, offset=offset, limit=size)
                    assert _rows(page) == _rows(expected), (type(store).__name__, task_filter, order, offset)
                    # the total known: a page past the middle is read from the other end, the same rows
                    known = await store.list_tasks(
                        task_filter, order, offset=offset, limit=size, total=len(whole)
                    )
                    assert _rows(known) == _rows(expected), (type(store).__name__, task_filter, order, offset)
                    ids = await store.list_task_ids(task_filter, order, offset=offset, limit=size)
                    assert ids == [row.id for row in expected]
    # the data has what the test is about: ties on the time, several departments, pages past the first
    everything = await sqlite.list_tasks(FILTERS[0], ORDERS[0], offset=0, limit=1000)
    assert len(everything) == TICKETS
    assert len({row.updated_at for row in everything}) < TICKETS
    assert 4 < len(await sqlite.list_tasks(FILTERS[1], ORDERS[0], offset=0, limit=1000)) < TICKETS


async def test_a_page_read_from_a_rows_key_is_the_slice_next_to_it(
    stores: tuple[SQLiteStore, PostgresStore],
) -> None:
    """Keyset paging (``Seek``): from the key of any ticket — in the list or not (the key of every
    ticket of the whole list is tried on every filtered one: a ticket that moved out of a list) — the
    rows just after it, or just before it, in every order and filter on both backends, are those of
    the list that sort after (before) that ticket, in the list's order."""
    sqlite, pg = stores
    for order in ORDERS:
        everything = await sqlite.list_tasks(FILTERS[0], order, offset=0, limit=1000)
        rank = {row.id: index for index, row in enumerate(everything)}
        for task_filter in FILTERS:
            whole = await sqlite.list_tasks(task_filter, order, offset=0, limit=1000)
            for row in everything:
                key = TaskKey.of(row, order)
                after = [r for r in whole if rank[r.id] > rank[row.id]]
                before = [r for r in whole if rank[r.id] < rank[row.id]]
                for size in (1, 4):
                    for store in (sqlite, pg):
                        where = (type(store).__name__, task_filter, order, row.id, size)
                        page = await store.list_tasks(
                            task_filter, order, offset=0, limit=size, seek=Seek(key=key)
                        )
                        assert _rows(page) == _rows(after[:size]), where
                        back = Seek(key=key, backwards=True)
                        page = await store.list_tasks(task_filter, order, offset=0, limit=size, seek=back)
                        assert _rows(page) == _rows(before[-size:] if before else []), where
    # what the test is about is in the data: by due time, keys in both parts
    due = await sqlite.list_tasks(FILTERS[0], ORDERS[4], offset=0, limit=1000)
    assert {row.due_at is None for row in due} == {True, False}


async def test_next_ticket_is_read_from_the_tickets_key(stores: tuple[SQLiteStore, PostgresStore]) -> None:
    """ "Next ticket" (``task_pages.next_in_list``): for every ticket, in every filter and order on both
    backends, the ticket after it in the list — None at the list's end — or, when the list does not
    hold it, the list's first ticket (tickets sharing their times: the id steps back one in the order)."""
    sqlite, pg = stores
    for order in ORDERS:
        everything = await sqlite.list_tasks(FILTERS[0], order, offset=0, limit=1000)
        for task_filter in FILTERS:
            whole = [row.id for row in await sqlite.list_tasks(task_filter, order, offset=0, limit=1000)]
            for row in everything:
                if row.id in whole:
                    index = whole.index(row.id)
                    expected = whole[index + 1] if index + 1 < len(whole) else None
                else:
                    expected = whole[0] if whole else None
                for store in (sqlite, pg):
                    found = await next_in_list(store, task_filter, order, row.id)
                    assert found == expected, (type(store).__name__, task_filter, order, row.id)
    newest = await sqlite.list_task_ids(FILTERS[0], ORDERS[0], offset=0, limit=1)
    assert await next_in_list(sqlite, FILTERS[0], ORDERS[0], 10**6) == newest[0]  # no such ticket


async def test_a_departments_deep_page_chooses_its_ids_index_only(
    stores: tuple[SQLiteStore, PostgresStore], pg_url: str
) -> None:
    """The ids of a department's deep page, newest update first, come from an index-only scan of
    ``tickets_department_updated`` in the list's whole order (no sort of the department's tickets), and
    a category tab's from ``tickets_department_queue``; by creation, ``tickets_department_created``; by
    due time, the part without a due time from the update-order index, ``due_at`` read from it.
    (A few tickets: sequential and bitmap scans are turned off so that the planner shows its index path.)"""
    cases = [
        (FILTERS[1], TaskOrder(), "tickets_department_updated"),
        (FILTERS[1], TaskOrder(descending=False), "tickets_department_updated"),
        (FILTERS[2], TaskOrder(), "tickets_department_queue"),
        (FILTERS[1], TaskOrder(key="created"), "tickets_department_created"),
        (FILTERS[0], TaskOrder(), "tickets_updated"),
        # by due time, the tickets without one: ``due_at IS NULL`` read from the index (INCLUDE)
        (FILTERS[1], TaskOrder(key="due"), "tickets_department_updated"),
        (FILTERS[0], TaskOrder(key="due", descending=False), "tickets_updated"),
    ]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE tickets")
        conn.execute("SET enable_seqscan = off")
        conn.execute("SET enable_bitmapscan = off")
        for task_filter, order, index in cases:
            sql, params = postgres_tasks.list_sql(task_filter, order, offset=5, limit=3)
            plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + sql, params).fetchall())  # type: ignore[arg-type]
            if order.key == "due":  # the second part: newest update first, whichever the direction
                assert f"Index Only Scan Backward using {index} " in plan, plan
                assert "Filter: (due_at IS NULL)" in plan, plan
                continue
            choice = plan.split("->  Limit", 1)[1]
            assert f"Index Only Scan{' Backward' if order.descending else ''} using {index} " in choice, plan
            assert "Sort" not in choice, plan
            # read from a row's key: the same index, entered at the key (an index condition), no sort
            key = TaskKey(id=7, at=NOW + 3 * HOUR)
            for seek in (Seek(key=key), Seek(key=key, backwards=True)):
                sql, params = postgres_tasks.list_sql(task_filter, order, offset=0, limit=3, seek=seek)
                plan = "\n".join(row[0] for row in conn.execute("EXPLAIN " + sql, params).fetchall())  # type: ignore[arg-type]
                choice = plan.split("->  Limit", 1)[1]
                assert f"using {index} " in choice and "Index Cond" in choice, plan
                assert "Sort" not in choice, plan


async def test_the_audit_export_pages_through_every_ticket_by_key(
    stores: tuple[SQLiteStore, PostgresStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The audit export reads the tickets a page at a time, each page after the last ticket of the one
    before (tickets created in threes at the same instant: the id breaks the tie): pages of one to three
    tickets give the same rows as one page of all, on both backends."""
    for store in stores:
        whole = await audit_rows(store, AuditFilter())
        assert len({row["ticket"] for row in whole}) == TICKETS
        for size in (1, 2, 3):
            monkeypatch.setattr(audit, "PAGE", size)
            assert await audit_rows(store, AuditFilter()) == whole, (type(store).__name__, size)
        monkeypatch.undo()
