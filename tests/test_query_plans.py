"""The plans of the store's hot queries over ``tickets``, ``events``, ``outbox`` and ``timers`` use an
index (issue 14: the indexes were pruned to what the queries use — this keeps a later pruning, or a
changed query, from silently turning one of them into a walk of the whole table).

A database of 20,000 tickets is built the way ``bench/bench_tasks.py`` builds its 100,000
(``populate``: the shipped services in realistic proportions, then ``ANALYZE``), and each query's
``EXPLAIN QUERY PLAN`` is read: no step may be ``SCAN`` of one of the four tables without an index.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.access import read_scope
from server.definitions.loader import load_tree
from server.paths import shipped_root
from server.store import sqlite_outbox, sqlite_reports, sqlite_task_counts, sqlite_task_totals, sqlite_tasks
from server.store.records import ReadScope, Seek, TaskFilter, TaskKey, TaskOrder
from server.store.sqlite import open_store
from server.tickets.service import TicketService
from server.tickets.tasks import view_filter
from server.working_time import WorkingCalendar
from tests.benches import bench_module

pytestmark = pytest.mark.single_backend(
    "reads SQLite's EXPLAIN QUERY PLAN (PostgreSQL's plans: tests/test_task_lists_scale.py)"
)

TICKETS = 20_000
TABLES = ("tickets", "events", "outbox", "timers")
ORDERS = {
    "updated": TaskOrder(key="updated", descending=True),
    "created": TaskOrder(key="created", descending=True),
    "created, oldest first": TaskOrder(key="created", descending=False),
}
DUE = {
    "due": TaskOrder(key="due", descending=False),
    "due, latest first": TaskOrder(key="due", descending=True),
}
KEY_AT = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
SEEKS = {  # a page read from a row's key (a "next" / "previous" link): with and without a due time
    "from a key": Seek(key=TaskKey(id=500, at=KEY_AT, due_at=KEY_AT)),
    "before a key": Seek(key=TaskKey(id=500, at=KEY_AT, due_at=KEY_AT), backwards=True),
    "from a key without a due time": Seek(key=TaskKey(id=500, at=KEY_AT)),
    "before a key without a due time": Seek(key=TaskKey(id=500, at=KEY_AT), backwards=True),
}


def _bench_tasks() -> Any:
    return bench_module("bench_tasks.py", "bench_tasks_for_plans")


class World:
    def __init__(self, path: Path, filters: dict[str, TaskFilter]) -> None:
        self.path = path
        self.filters = filters


async def _build(path: Path) -> dict[str, TaskFilter]:
    bench = _bench_tasks()
    catalogue = load_tree(shipped_root()).catalogue
    assert catalogue is not None
    org = catalogue.organisation
    store = await open_store(path)
    await TicketService(store, WorkingCalendar.from_definition(org.calendar)).publish_shipped(catalogue)
    now = dt.datetime.now(dt.UTC)
    head = await store.add_user(
        username="head", name="Head", roles=["department_head"], department="classrooms", now=now
    )
    director = await store.add_user(username="director", name="Director", roles=["director"], now=now)
    cs = await store.add_user(
        username="cs", name="CS", roles=["customer_service"], department="customer_service", now=now
    )
    staff: dict[str, list[str]] = {}
    for department in org.departments:
        user = await store.add_user(
            username=f"staff.{department}",
            name=f"Staff of {department}",
            roles=["department_staff"],
            department=department,
            now=now,
        )
        staff.setdefault(department, []).append(user.id)
    newcomer = await store.add_user(  # holds no ticket by name: their "mine" is a role's queue, sparse
        username="newcomer",
        name="Newcomer",
        roles=["department_staff"],
        department="transmission_visual",
        now=now,
    )
    await store.close()
    bench.populate(path, TICKETS, staff)
    services = {s: c.service.department for s, c in catalogue.services.items()}
    filters: dict[str, TaskFilter] = {}
    for label, user, view in (
        ("department", head, "department"),
        ("mine", head, "mine"),
        ("all", director, "all"),
        ("all (a head: the read scope's conditions)", head, "all"),
        ("incoming", cs, "incoming"),
        ("mine (a newcomer)", newcomer, "mine"),
    ):
        filters[label] = view_filter(view, user, org, read_scope(user, org, services))  # type: ignore[arg-type]
    return filters


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path = tmp_path_factory.mktemp("plans") / "plans.db"
    filters = asyncio.run(_build(path))
    yield World(path, filters)


def plan(path: Path, sql: str, params: list[Any] | tuple[Any, ...]) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
    finally:
        conn.close()


def full_scans(steps: list[str]) -> list[str]:
    """The steps that walk one of the four tables row by row, without an index."""
    found = []
    for step in steps:
        words = step.split()
        if words[:1] == ["SCAN"] and "USING" not in words:
            table = words[1]
            alias_of = words[3] if len(words) > 3 and words[2] == "AS" else table
            if table in TABLES or alias_of in TABLES or table in {"t", "o", "e", "m", "x"}:
                found.append(step)
    return found


def indexes_used(steps: list[str]) -> set[str]:
    used = set()
    for step in steps:
        words = step.split()
        for i, word in enumerate(words):
            if word == "INDEX" and i + 1 < len(words):
                used.add(words[i + 1])
    return used


def _json(values: list[str]) -> str:
    import json

    return json.dumps(values)


# the organisation's midnights (UTC+3): whole UTC days inside the range, partial ones at its edges
FROM = dt.datetime(2025, 5, 31, 21, tzinfo=dt.UTC)
BEFORE = dt.datetime(2025, 8, 31, 21, tzinfo=dt.UTC)
START = "2026-01-01T00:00:00.000000Z"
END = "2026-02-01T00:00:00.000000Z"
SERVICES = _json(["maintenance", "supplies"])


def _listed(query: tuple[str, tuple[object, ...]]) -> tuple[str, list[Any]]:
    return query[0], list(query[1])


def queries(filters: dict[str, TaskFilter]) -> list[tuple[str, str, list[Any]]]:
    """Every query whose plan is checked: (label, SQL, parameters)."""
    found: list[tuple[str, str, list[Any]]] = []
    for view, task_filter in filters.items():
        variants = {
            view: task_filter,
            f"{view}, service+category": TaskFilter(
                **{**_fields(task_filter), "service": "supplies", "category": "closed"}
            ),
            f"{view}, channel": TaskFilter(**{**_fields(task_filter), "channel": "web"}),
            # dates: counted from the tickets, not from ticket_counts (which keeps no dates)
            f"{view}, dates": TaskFilter(
                **{
                    **_fields(task_filter),
                    "created_from": FROM,
                    "created_before": BEFORE,
                }
            ),
        }
        for label, variant in variants.items():
            for order_label, order in ORDERS.items():
                sql, params = sqlite_tasks.list_sql(variant, order, offset=0, limit=25)
                found.append((f"list {label} by {order_label}", sql, params))
            if label != "incoming, channel":
                # incoming holds about half the tickets and no index leads with the channel: counting
                # them, the planner may rightly read the table (it does on a small database)
                sql, params = sqlite_task_totals.count_sql(variant)
                found.append((f"counts {label}", sql, params))
            if variant.created_from is not None:
                # a wide range the walk reaches soon (sqlite_tasks.walk_reaches_dates): dates tested per row
                way = sqlite_tasks.Way(date_index=False)
                sql, params = sqlite_tasks.list_sql(variant, ORDERS["updated"], offset=0, limit=25, way=way)
                found.append((f"list {label} by updated, wide dates", sql, params))
                # the whole days summed from ticket_day_counts (migration 0015), the edges' tickets
                for i, (sql, params) in enumerate(sqlite_task_totals.day_count_sqls(variant)):
                    found.append((f"day counts {label} ({i})", sql, params))
        for text in ("الغامدي", "2026-00", "Omar Haddad"):  # free text through the trigram index
            searched = TaskFilter(**{**_fields(task_filter), "text": text})
            sql, params = sqlite_tasks.list_sql(searched, ORDERS["updated"], offset=0, limit=25)
            found.append((f"list {view}, free text {text!r}", sql, params))
            sql, params = sqlite_task_totals.count_sql(searched)
            found.append((f"counts {view}, free text {text!r}", sql, params))
            # a common text (sqlite_task_totals.common), deep page: the list's index walked, the matches a set
            sql, params = sqlite_tasks.list_sql(
                searched, ORDERS["updated"], offset=0, limit=25, way=sqlite_tasks.Way(text="set")
            )
            found.append((f"list {view}, common free text {text!r}", sql, params))
            sql, params = sqlite_task_totals.count_sql(searched, text_way="set")
            found.append((f"counts {view}, common free text {text!r}", sql, params))
            # a common text, first pages: the list's index walked, each row's text tested (LIKE)
            sql, params = sqlite_tasks.list_sql(
                searched, ORDERS["updated"], offset=0, limit=25, way=sqlite_tasks.Way(text="row")
            )
            found.append((f"list {view}, common text {text!r} tested per row", sql, params))
            for from_text in (True, False):  # counted up to the bound, from either side
                sql, params = sqlite_task_counts.bounded_sql(searched, bound=1000, from_text=from_text)
                side = "the text's side" if from_text else "the filter's side"
                found.append((f"bounded counts {view}, text {text!r} from {side}", sql, params))
        for due_label, due in DUE.items():
            sql, params = sqlite_tasks.list_sql(task_filter, due, offset=0, limit=25)
            found.append((f"list {view} by {due_label}", sql, params))
        for order_label, order in {**ORDERS, **DUE}.items():
            for seek_label, seek in SEEKS.items():
                sql, params = sqlite_tasks.list_sql(task_filter, order, offset=0, limit=25, seek=seek)
                found.append((f"list {view} by {order_label}, {seek_label}", sql, params))
    sql, params = sqlite_reports.status_query(
        ["maintenance", "supplies"],
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
    )
    found.append(("report tickets and counts (status, current)", sql, params))
    found += [
        (
            "report counts (created)",
            "SELECT t.service_id, t.channel, t.category, t.state, count(*) FROM tickets t"
            " WHERE t.service_id IN (SELECT value FROM json_each(?1)) AND t.created_at >= ?2 AND t.created_at < ?3"
            " GROUP BY 1, 2, 3, 4",
            [SERVICES, START, END],
        ),
        (
            "report tickets (closed)",
            "SELECT t.id FROM tickets t INDEXED BY tickets_service_created"
            " WHERE t.service_id IN (SELECT value FROM json_each(?)) AND t.closed_at >= ? AND t.closed_at < ?"
            " ORDER BY t.id",
            [SERVICES, START, END],
        ),
        (
            "report overdue",
            "SELECT t.id FROM tickets t"
            " WHERE t.due_at IS NOT NULL AND t.due_at <= ? AND t.category != 'closed'"
            " AND t.service_id IN (SELECT value FROM json_each(?)) ORDER BY t.due_at, t.id",
            [END, SERVICES],
        ),
        (
            "outbox claim",
            "SELECT id FROM outbox WHERE status IN ('pending', 'failed') AND next_attempt_at <= ?1"
            " AND (?3 IS NULL OR channel IN (SELECT value FROM json_each(?3)))"
            " ORDER BY next_attempt_at, id LIMIT ?2",
            [END, 50, None],
        ),
        ("outbox of a ticket", "SELECT * FROM outbox WHERE ticket_id = ? ORDER BY id", [1]),
        (
            "timers due",
            "SELECT * FROM timers WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, id",
            [END],
        ),
        (
            "a ticket's due time (the timers triggers' recompute, migration 0012)",
            "SELECT MIN(m.due_at) FROM timers m WHERE m.ticket_id = ? AND m.status = 'pending'",
            [1],
        ),
        (
            "cancel a ticket's timers",
            "UPDATE timers SET status = 'cancelled' WHERE ticket_id = ? AND status = 'pending'",
            [1],
        ),
        ("ticket by number", "SELECT * FROM tickets WHERE number = ?", ["2026-000001"]),
        ("ticket by tracking code", "SELECT * FROM tickets WHERE tracking_code = ?", ["x"]),
        ("ticket by idempotency key", "SELECT * FROM tickets WHERE idempotency_key = ?", ["x"]),
        (
            "a requester's tickets",
            "SELECT * FROM tickets WHERE requester_id = ? ORDER BY created_at DESC LIMIT 25",
            ["u"],
        ),
        (
            "a draft's open tickets",
            "SELECT * FROM tickets WHERE definition_version_id = ? AND closed_at IS NULL ORDER BY id",
            [1],
        ),
        ("a ticket's events", "SELECT * FROM events WHERE ticket_id = ? ORDER BY seq", [1]),
        ("the tickets without a search text (every start)", sqlite_tasks.WITHOUT_SEARCH_TEXT, [500]),
        ("a ticket's messages", *_listed(sqlite_outbox.list_sql(1, None))),
        ("a ticket's messages of a status", *_listed(sqlite_outbox.list_sql(1, "dead"))),
        ("the messages of a status", *_listed(sqlite_outbox.list_sql(None, "failed"))),
        ("the unsent messages counted", sqlite_outbox.COUNT_UNSENT, ['["undeliverable (no_address): "]']),
        (
            "a page of failed and dead messages",
            *_listed(sqlite_outbox.page_sql(("dead", "failed"), offset=50, limit=50)),
        ),
        (
            "a ticket's last event",
            "SELECT seq, mac FROM events WHERE ticket_id = ? ORDER BY seq DESC LIMIT 1",
            [1],
        ),
    ]
    return found


def _fields(task_filter: TaskFilter) -> dict[str, Any]:
    return {name: getattr(task_filter, name) for name in task_filter.__struct_fields__}


def test_every_checked_query_uses_an_index(world: World) -> None:
    walks = {}
    for label, sql, params in queries(world.filters):
        if " FROM ticket_counts t " in sql or " FROM ticket_day_counts t " in sql:
            continue
        if label.startswith(("bounded counts mine", "bounded counts all")) and "filter's side" in label:
            continue  # no index to read them by: never taken (sqlite_task_counts.reads_an_index)  # a few hundred rows, read whole (test_counts_without_dates_or_text_sum_ticket_counts)
        steps = plan(world.path, sql, params)
        if full_scans(steps):
            walks[label] = steps
    assert not walks, walks


def test_each_kept_index_serves_a_query(world: World) -> None:
    """Every index on the four tables (but the UNIQUE constraints' own) is used by one of the checked
    plans; an index added without a query using it fails here, as tickets_state would have."""
    used: set[str] = set()
    for _label, sql, params in queries(world.filters):
        used |= indexes_used(plan(world.path, sql, params))
    conn = sqlite3.connect(world.path)
    try:
        declared = {
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                " AND tbl_name IN ('tickets', 'events', 'outbox', 'timers')"
            )
        }
    finally:
        conn.close()
    assert "tickets_state" not in declared
    assert declared - used == set()


@pytest.mark.parametrize(
    ("label", "index"),
    [
        ("list department by updated", "tickets_department_updated"),
        ("list department by created", "tickets_department_created"),
        ("counts department, dates", "tickets_department_created"),
        ("list all by updated", "tickets_updated"),
        ("list all by created", "tickets_created"),
        ("counts all, dates", "tickets_created"),
        ("counts department, service+category", "ticket_counts_key"),
        ("report tickets and counts (status, current)", "tickets_report"),
        ("report counts (created)", "tickets_service_created"),
        ("outbox claim", "outbox_due"),
        ("the tickets without a search text (every start)", "tickets_search_missing"),
        ("a ticket's messages", "outbox_ticket"),
        ("a ticket's messages of a status", "outbox_ticket"),
        ("the messages of a status", "outbox_due"),
        ("the unsent messages counted", "outbox_due"),
        ("a page of failed and dead messages", "outbox_due"),
        ("timers due", "timers_due"),
        ("a ticket's due time (the timers triggers' recompute, migration 0012)", "timers_ticket"),
        ("list department by due", "tickets_department_due"),
        ("list department by updated, from a key", "tickets_department_updated"),
        ("list department by updated, before a key", "tickets_department_updated"),
        ("list department by created, oldest first, from a key", "tickets_department_created"),
        ("list all by updated, from a key", "tickets_updated"),
        ("list all by created, before a key", "tickets_created"),
        ("list department by due, from a key", "tickets_department_due"),
        ("list department by due, before a key", "tickets_department_due"),
        ("list all by due, latest first, from a key", "tickets_due"),
        ("list department by due, latest first", "tickets_department_due"),
        ("list all by due", "tickets_due"),
        ("list incoming by due", "tickets_due"),
        ("list mine by due", "tickets_due"),
    ],
)
def test_hot_queries_use_their_index(world: World, label: str, index: str) -> None:
    by_label = {lbl: (sql, params) for lbl, sql, params in queries(world.filters)}
    sql, params = by_label[label]
    assert index in indexes_used(plan(world.path, sql, params))


def test_free_text_of_three_characters_or_more_reads_the_trigram_index(world: World) -> None:
    """Free text (migration 0012) goes through the FTS5 table, in the lists and in their counts; shorter
    text cannot (a trigram is three characters) and is matched with LIKE on the rows the rest leaves."""
    checked = 0
    for label, sql, params in queries(world.filters):
        if "free text" in label:
            assert any("tickets_text VIRTUAL TABLE" in step for step in plan(world.path, sql, params)), label
            checked += 1
    assert checked == 12 * len(world.filters)
    short = TaskFilter(**{**_fields(world.filters["department"]), "text": "ab"})
    sql, _params = sqlite_tasks.list_sql(short, ORDERS["updated"], offset=0, limit=25)
    assert "tickets_text" not in sql and "search_text LIKE" in sql


def test_counts_without_dates_or_text_sum_ticket_counts(world: World) -> None:
    """A list's counts by view, service, channel, state and category sum ``ticket_counts`` (migration
    0013), which holds far fewer rows than there are tickets; with dates or free text they count the
    tickets (checked above), and the two ways agree."""
    conn = sqlite3.connect(world.path)
    try:
        combinations = conn.execute("SELECT count(*) FROM ticket_counts").fetchone()[0]
        assert combinations * 20 < TICKETS, combinations
        summed = 0
        for label, sql, params in queries(world.filters):
            if label.startswith("counts ") and " FROM ticket_counts t " in sql:
                summed += 1
                direct = sql.replace(" FROM ticket_counts t ", " FROM tickets t ").replace(
                    "SUM(t.n)", "COUNT(*)"
                )
                assert dict(conn.execute(sql, params).fetchall()) == dict(
                    conn.execute(direct, params).fetchall()
                ), label
    finally:
        conn.close()
    assert summed >= 2 * len(world.filters)


def test_counts_with_dates_sum_whole_days_and_count_the_edges(world: World) -> None:
    """A list's counts with creation dates (migration 0015) sum the whole UTC days inside the range from
    ``ticket_day_counts`` (one range of its index) and count the tickets of the partial days at the
    edges (a range of a date index); the sum is what counting the tickets gives."""
    conn = sqlite3.connect(world.path)
    try:
        for view, task_filter in world.filters.items():
            dated = TaskFilter(**{**_fields(task_filter), "created_from": FROM, "created_before": BEFORE})
            parts = sqlite_task_totals.day_count_sqls(dated)
            assert len(parts) == 3, view  # the whole days, and an edge at either end
            assert "ticket_day_counts_key" in indexes_used(plan(world.path, *parts[0])), view
            summed: dict[str, int] = {}
            for sql, params in parts:
                for category, n in conn.execute(sql, params):
                    summed[category] = summed.get(category, 0) + n
            direct = dict(conn.execute(*sqlite_task_totals.count_sql(dated)).fetchall())
            assert {c: n for c, n in summed.items() if n} == direct, view
            assert sum(direct.values()) > 0 or view == "mine (a newcomer)", view
            # the whole days read in table order (``scans_day_counts``): the same sum, no index
            scanned = sqlite_task_totals.day_count_sqls(dated, scan=True)
            assert not indexes_used(plan(world.path, *scanned[0])), view
            summed = {}
            for sql, params in scanned:
                for category, n in conn.execute(sql, params):
                    summed[category] = summed.get(category, 0) + n
            assert {c: n for c, n in summed.items() if n} == direct, view
    finally:
        conn.close()


def test_a_wide_range_of_everything_sums_the_day_counts_in_table_order(world: World) -> None:
    """``scans_day_counts``: only a list with no condition but its dates, over a large share of the
    days the table holds, reads ``ticket_day_counts`` in table order; a narrow range, or any condition
    the index can test, goes through the index."""

    async def scans(task_filter: TaskFilter) -> bool:
        store = await open_store(world.path)
        try:
            return await sqlite_task_totals.scans_day_counts(store._reader, task_filter)
        finally:
            await store.close()

    conn = sqlite3.connect(world.path)
    try:
        low, high = (
            dt.date.fromisoformat(d)
            for d in conn.execute("SELECT min(day), max(day) FROM ticket_day_counts").fetchone()
        )
    finally:
        conn.close()
    assert (high - low).days > 7  # the world's tickets span more than a week
    everything = TaskFilter(scope=ReadScope(everything=True))
    start = dt.datetime.combine(low, dt.time(), dt.UTC)
    wide = TaskFilter(**{**_fields(everything), "created_from": start})
    narrow = TaskFilter(
        **{**_fields(everything), "created_from": start, "created_before": start + dt.timedelta(days=1)}
    )
    held = TaskFilter(**{**_fields(wide), "held_by": frozenset({"classrooms"})})
    assert asyncio.run(scans(wide))
    assert not asyncio.run(scans(narrow))
    assert not asyncio.run(scans(held))
