"""The task lists' two aids at scale (issue 14; SQLite migration 0012, PostgreSQL 0005), on both backends:

* the due time kept on the ticket row (``tickets.due_at``) always equals the earliest of the ticket's
  pending timers, after every kind of timer change — checked after each step of random sequences of
  creations with timers, actions that fire, cancel and set timers, timers set aside by the worker,
  tickets moved to another version, and (in SQL, as a later writer or an operator might) timers
  rescheduled or deleted;
* the free text through the trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL) finds exactly the
  tickets whose number or search text holds the query — Arabic names included, ASCII in either case —
  also after a search text is filled in later or replaced by a move to another version; a query
  shorter than three characters still matches (with LIKE).
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from server.store.interface import Store
from server.store.open import open_any
from server.store.records import (
    NewEvent,
    NewTicket,
    NewTimer,
    ReadScope,
    TaskFilter,
    TaskOrder,
    Ticket,
    TicketChange,
)
from server.tickets.tasks import normalize, search_query

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
EVERYTHING = ReadScope(everything=True)


class Backend:
    """A store and a plain connection to the same database, to read the tables behind the store."""

    def __init__(self, store: Store, query: Any, execute: Any) -> None:
        self.store = store
        self.query = query
        self.execute = execute


@pytest.fixture(params=["sqlite", "postgresql"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        path = tmp_path / "k.db"
        store = await open_any(str(path), tmp_path / "files")
        raw = sqlite3.connect(path, isolation_level=None, timeout=5)

        def query(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in raw.execute(sql.replace("%s", "?"), params)]

        try:
            yield Backend(store, query, query)
        finally:
            raw.close()
            await store.close()
        return
    url = request.getfixturevalue("pg_url")
    store = await open_any(url, tmp_path / "files")
    conn = psycopg.connect(url, autocommit=True)

    def pg_query(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cursor = conn.execute(sql, params)  # type: ignore[call-overload]
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []

    try:
        yield Backend(store, pg_query, pg_query)
    finally:
        conn.close()
        await store.close()


def _event(at: datetime, action: str = "act") -> NewEvent:
    return NewEvent(
        at=at,
        actor_id=None,
        actor_name="system",
        action=action,
        from_state=None,
        to_state="s",
        data={},
        visibility="internal",
        kind="action",
    )


def _new_ticket(version: int, n: int, search_text: str | None) -> NewTicket:
    return NewTicket(
        service_id="svc",
        definition_version_id=version,
        state="s",
        category="open",
        department=("it", "hr", None)[n % 3],
        assignee_role=None,
        assignee_user=None,
        channel="web",
        requester_id=None,
        data={},
        vars={},
        search_text=search_text,
    )


async def _changed(store: Store, ticket: Ticket, version: int, category: str, *, at: datetime) -> Ticket:
    """``ticket`` (at ``version``) moved to state ``t`` and ``category`` at ``at``, its holder kept."""
    change = TicketChange(
        state="t",
        category=category,
        department=ticket.department,
        assignee_role=None,
        assignee_user=None,
        vars={},
        closed=False,
    )
    return await store.apply_change(
        ticket.id, version, change, [_event(at)], [], [], cancel_pending_timers=False, now=at
    )


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _check_due(b: Backend) -> dict[int, datetime | None]:
    """Every ticket's ``due_at`` is the earliest of its pending timers (None without one)."""
    kept = {int(i): _moment(d) for i, d in b.query("SELECT id, due_at FROM tickets")}
    pending: dict[int, datetime | None] = dict.fromkeys(kept)
    for ticket_id, due in b.query("SELECT ticket_id, due_at FROM timers WHERE status = 'pending'"):
        at = _moment(due)
        assert at is not None
        current = pending[int(ticket_id)]
        pending[int(ticket_id)] = at if current is None or at < current else current
    assert kept == pending
    return kept


def _check_counts(b: Backend) -> None:
    """SQLite's ``ticket_counts`` (migration 0013) holds the tickets per holder, service, channel, state
    and category — exactly, after every write (PostgreSQL counts the tickets themselves)."""
    if b.store.__class__.__name__ != "SQLiteStore":
        return
    key = "department, assignee_role, assignee_user, service_id, channel, state, category"
    kept = {row[:-1]: row[-1] for row in b.query(f"SELECT {key}, n FROM ticket_counts WHERE n > 0")}
    counted = {row[:-1]: row[-1] for row in b.query(f"SELECT {key}, COUNT(*) FROM tickets GROUP BY {key}")}
    assert kept == counted
    assert len(b.query(f"SELECT {key} FROM ticket_counts GROUP BY {key} HAVING COUNT(*) > 1")) == 0


async def test_the_due_time_on_the_ticket_follows_every_timer_change(backend: Backend) -> None:
    b = backend
    store = b.store
    first = await store.publish_definition("svc", {"v": 1}, "h1", created_by=None, note="", now=NOW)
    second = await store.publish_definition("svc", {"v": 2}, "h2", created_by=None, note="", now=NOW)
    rng = random.Random(14)
    tickets: dict[int, int] = {}  # id → version (optimistic concurrency)
    kinds: set[str] = set()

    def timers(n: int) -> list[NewTimer]:
        return [
            NewTimer(timer=f"t{k}", state="s", due_at=NOW + rng.randint(-48, 200) * HOUR) for k in range(n)
        ]

    def change() -> TicketChange:
        category = rng.choice(["open", "in_progress", "waiting", "closed"])
        return TicketChange(
            state=rng.choice(["s", "t", "u"]),
            category=category,
            department=rng.choice(["it", "hr", None]),
            assignee_role=rng.choice(["it_staff", None]),
            assignee_user=rng.choice(["u1", "u2", None]),
            vars={},
            closed=category == "closed",
        )

    def pending_of(ticket_id: int) -> list[int]:
        rows = b.query("SELECT id FROM timers WHERE ticket_id = %s AND status = 'pending'", (ticket_id,))
        return [int(row[0]) for row in rows]

    for step in range(240):
        at = NOW + step * HOUR
        kind = (
            "create"
            if len(tickets) < 3
            else rng.choice(
                [
                    "create",
                    "action",
                    "action",
                    "fire",
                    "set aside",
                    "migrate",
                    "reschedule",
                    "delete",
                    "revive",
                    "move",
                ]
            )
        )
        ticket_id = rng.choice(sorted(tickets)) if tickets else 0
        if kind == "create":
            created, _ = await store.create_ticket(
                _new_ticket(first.id, step, None),
                [_event(at, "create")],
                [],
                timers(rng.randint(0, 3)),
                now=at,
            )
            tickets[created.id] = created.version
        elif kind in ("action", "fire"):
            pending = pending_of(ticket_id)
            fired = rng.choice(pending) if kind == "fire" and pending else None
            changed = await store.apply_change(
                ticket_id,
                tickets[ticket_id],
                change(),
                [_event(at)],
                [],
                timers(rng.randint(0, 2)),
                cancel_pending_timers=rng.random() < 0.4,
                now=at,
                fired_timer_id=fired,
            )
            tickets[ticket_id] = changed.version
        elif kind == "set aside":  # the worker cancels (or marks fired) a timer whose state was left
            pending = pending_of(ticket_id)
            if not pending:
                continue
            await store.set_timer_status(rng.choice(pending), rng.choice(["cancelled", "fired"]))
        elif kind == "revive":  # back to pending (set_timer_status allows it)
            rows = b.query("SELECT id FROM timers WHERE status <> 'pending' ORDER BY id")
            if not rows:
                continue
            await store.set_timer_status(int(rng.choice(rows)[0]), "pending")
        elif kind == "migrate":
            moved = await store.migrate_ticket(
                ticket_id,
                tickets[ticket_id],
                rng.choice([first.id, second.id]),
                change(),
                NewEvent(
                    at=at,
                    actor_id=None,
                    actor_name="system",
                    action="migrate",
                    from_state="s",
                    to_state="s",
                    data={},
                    visibility="internal",
                    kind="migration",
                ),
                data={},
                timers=timers(rng.randint(0, 2)),
                now=at,
            )
            tickets[ticket_id] = moved.version
        elif kind == "reschedule":
            rows = b.query("SELECT id FROM timers ORDER BY id")
            if not rows:
                continue
            due = NOW + rng.randint(-48, 200) * HOUR
            value: Any = due if isinstance(store, _pg_store_type()) else due.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            b.execute("UPDATE timers SET due_at = %s WHERE id = %s", (value, int(rng.choice(rows)[0])))
        elif kind == "move":  # a timer moved to another ticket
            rows = b.query("SELECT id FROM timers ORDER BY id")
            if not rows:
                continue
            b.execute(
                "UPDATE timers SET ticket_id = %s WHERE id = %s",
                (rng.choice(sorted(tickets)), int(rng.choice(rows)[0])),
            )
        elif kind == "delete":
            rows = b.query("SELECT id FROM timers ORDER BY id")
            if not rows:
                continue
            b.execute("DELETE FROM timers WHERE id = %s", (int(rng.choice(rows)[0]),))
        kinds.add(kind)
        _check_counts(b)
        kept = _check_due(b)
        for checked in list(tickets)[-2:]:  # the store's read of it, too
            assert await store.ticket_due(checked) == kept[checked]
    assert kinds == {
        "create",
        "action",
        "fire",
        "set aside",
        "migrate",
        "reschedule",
        "delete",
        "revive",
        "move",
    }
    due = _check_due(b)
    assert any(d is not None for d in due.values()) and any(d is None for d in due.values())

    # the lists sorted by due time: those with a due time first in due order, then the others newest first
    everything = TaskFilter(scope=EVERYTHING)
    rows = await store.list_tasks(everything, TaskOrder(key="due", descending=False), offset=0, limit=500)
    with_due = [r for r in rows if r.due_at is not None]
    assert rows[: len(with_due)] == with_due
    assert [r.due_at for r in with_due] == sorted(r.due_at for r in with_due if r.due_at is not None)
    assert {r.id: r.due_at for r in rows} == due
    rest = rows[len(with_due) :]
    assert [(r.updated_at, r.id) for r in rest] == sorted(((r.updated_at, r.id) for r in rest), reverse=True)
    latest = await store.list_tasks(everything, TaskOrder(key="due", descending=True), offset=0, limit=500)
    assert [r.due_at for r in latest[: len(with_due)]] == sorted(
        (r.due_at for r in with_due if r.due_at), reverse=True
    )
    # pages put together give the whole list, across the boundary between the two parts
    for order in (TaskOrder(key="due", descending=False), TaskOrder(key="due", descending=True)):
        whole = await store.list_task_ids(everything, order, offset=0, limit=500)
        paged = [
            ticket_id
            for offset in range(0, len(whole), 7)
            for ticket_id in await store.list_task_ids(everything, order, offset=offset, limit=7)
        ]
        assert paged == whole and len(whole) == len(due)


def _pg_store_type() -> type:
    from server.store.postgres import PostgresStore

    return PostgresStore


NAMES = [
    "محمد الحربي",
    "عبدالله الغامدي",
    "فاطمة الزهراني",
    "نورة العتيبي",
    "سارة القرشي",
    "أحمد الشهري",
    "إيمان الغامدي",
    "Omar Haddad",
    "Lina Rahman",
    'Yusuf "Joe" O\'Neil',
]


async def _listed(store: Store, text: str, department: str | None = None) -> set[int]:
    held = frozenset({department}) if department else None
    task_filter = TaskFilter(scope=EVERYTHING, text=search_query(text), held_by=held)
    rows = await store.list_tasks(task_filter, TaskOrder(), offset=0, limit=1000)
    counts = await store.count_tasks(task_filter)
    assert sum(counts.values()) == len(rows)
    return {r.id for r in rows}


@pytest.mark.parametrize("common", [1000, 1])
async def test_free_text_finds_exactly_the_tickets_that_hold_it(
    backend: Backend, common: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(``common``: from how many matches SQLite treats a text as common and walks the list's index,
    looking the matches up as a set, instead of reading the matching rows: both ways find the same.)"""
    from server.store import sqlite_tasks

    monkeypatch.setattr(sqlite_tasks, "COMMON", common)
    store = backend.store
    version = await store.publish_definition("svc", {"v": 1}, "h1", created_by=None, note="", now=NOW)
    rng = random.Random(5)
    texts: dict[int, str] = {}
    numbers: dict[int, str] = {}
    departments: dict[int, str | None] = {}
    for n in range(60):
        name = NAMES[n % len(NAMES)]
        text = normalize(
            f"{name} | طلب صيانة {rng.randint(1, 99)} | mobile 05{rng.randint(10**7, 10**8 - 1)}"
        )
        created, _ = await store.create_ticket(
            _new_ticket(version.id, n, None if n % 7 == 0 else text),
            [_event(NOW, "create")],
            [],
            [],
            now=NOW,
        )
        numbers[created.id] = created.number
        departments[created.id] = created.department
        if n % 7:
            texts[created.id] = text
    # filled in later (the server does this for tickets from before the search column)
    later = {
        ticket_id: normalize(f"متأخر {ticket_id} Late Filled")
        for ticket_id in numbers
        if ticket_id not in texts
    }
    await store.set_search_texts(later)
    texts.update(later)

    def expected(query: str) -> set[int]:
        q = search_query(query)
        assert q is not None
        return {
            i for i in numbers if q in texts.get(i, "") or (any(c.isdigit() for c in q) and q in numbers[i])
        }

    queries = [
        "الغامدي",  # a family name, in Arabic
        "احمد الشهري",  # alef with hamza in the ticket, without in the query: normalised alike
        "إيمان",
        "فاطمة الز",
        "OMAR",  # ASCII in either case
        "haddad",
        "lina rahman",
        '"joe"',  # the FTS query syntax is not the user's: quotes, operators are literal text
        "o'neil",
        "joe AND",
        "صيانة 4",
        "mobile 05",
        numbers[min(numbers)],  # a ticket number
        numbers[min(numbers)][:7],
        "late filled",
        "متأخر",
        "غا",  # shorter than a trigram: LIKE
        "ب",
        "%",
        "zzz-not-there",
    ]
    # and random pieces of the stored texts, three characters and more
    for text in rng.sample(sorted(texts.values()), 12):
        start = rng.randrange(0, max(1, len(text) - 3))
        queries.append(text[start : start + rng.randint(3, 9)])
    for query in queries:
        assert await _listed(store, query) == expected(query), query
        in_it = {i for i in expected(query) if departments[i] == "it"}
        assert await _listed(store, query, "it") == in_it, query
    assert await _listed(store, "الغامدي")  # the Arabic name matched something
    assert len(await _listed(store, "OMAR")) == len(await _listed(store, "omar")) > 0

    # a ticket moved to another version gets a new search text; the index follows it
    moved = min(texts)
    ticket = await store.get_ticket(moved)
    assert ticket is not None
    await store.migrate_ticket(
        moved,
        ticket.version,
        version.id,
        TicketChange(
            state="s",
            category="open",
            department="it",
            assignee_role=None,
            assignee_user=None,
            vars={},
            closed=False,
        ),
        NewEvent(
            at=NOW,
            actor_id=None,
            actor_name="system",
            action="migrate",
            from_state="s",
            to_state="s",
            data={},
            visibility="internal",
            kind="migration",
        ),
        data={},
        timers=[],
        search_text=normalize("Brand New Name بندر"),
        now=NOW,
    )
    assert await _listed(store, "brand new") == {moved}
    assert await _listed(store, "بندر") == {moved}
    assert moved not in await _listed(store, texts[moved][:12])


async def test_postgresql_serves_free_text_and_due_order_from_its_indexes(
    tmp_path: Path, pg_url: str
) -> None:
    """The shapes the PostgreSQL lists query with can use pg 0005's indexes: the free text (number and
    search text, ASCII folded by khidma_nocase) the pg_trgm GIN indexes, the part of a list by due time
    that has a due time the partial index (the plans are read with sequential scans discouraged, so
    what is checked is that the index matches the query, not the planner's choice on a tiny table)."""
    from server.store import postgres_tasks

    store = await open_any(pg_url, tmp_path / "files")
    try:
        version = await store.publish_definition("svc", {"v": 1}, "h1", created_by=None, note="", now=NOW)
        for n in range(40):
            await store.create_ticket(
                _new_ticket(version.id, n, normalize(NAMES[n % len(NAMES)])),
                [_event(NOW, "create")],
                [],
                [NewTimer(timer="t", state="s", due_at=NOW + n * HOUR)] if n % 3 else [],
                now=NOW,
            )
    finally:
        await store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ANALYZE tickets")
        conn.execute("SET enable_seqscan = off")

        def plan_of(sql: str, params: list[Any]) -> str:
            rows = conn.execute(("EXPLAIN " + sql).encode(), params).fetchall()  # type: ignore[call-overload]
            return "\n".join(str(row[0]) for row in rows)

        conn.execute("SET enable_indexscan = off")  # a GIN index is read as a bitmap
        for text, index in (("الغامدي", "tickets_search_trgm"), ("2026-0000", "tickets_number_trgm")):
            found = TaskFilter(scope=EVERYTHING, text=text)
            sql, params = postgres_tasks.list_sql(found, TaskOrder(), offset=0, limit=25)
            assert index in plan_of(sql, params), plan_of(sql, params)
            sql, params = postgres_tasks.count_sql(found)
            assert index in plan_of(sql, params), plan_of(sql, params)
        conn.execute("SET enable_indexscan = on")
        sql, params = postgres_tasks.list_sql(
            TaskFilter(scope=EVERYTHING), TaskOrder(key="due", descending=False), offset=0, limit=25
        )
        assert "tickets_due" in plan_of(sql, params)


async def test_a_ticket_is_never_updated_before_it_was_created(backend: Backend) -> None:
    """A wall clock set back between a ticket's creation and a change leaves ``updated_at`` at
    ``created_at`` (both backends; SQLite's task lists rely on it, migration 0016)."""
    store = backend.store
    version = await store.publish_definition("svc", {"v": 1}, "h1", created_by=None, note="", now=NOW)
    ticket, _ = await store.create_ticket(_new_ticket(version.id, 0, "x"), [_event(NOW)], [], [], now=NOW)
    earlier = NOW - 2 * HOUR
    moved = await _changed(store, ticket, 1, "in_progress", at=earlier)
    assert moved.updated_at == ticket.created_at == NOW
    assert await store.get_ticket(ticket.id) == moved
    later = await _changed(store, ticket, 2, "open", at=NOW + HOUR)
    assert later.updated_at == NOW + HOUR


async def test_a_wide_date_range_oldest_update_first_walks_from_its_start(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Oldest update first, a creation-date range many tickets fall in is read by walking
    ``tickets_updated`` from the range's start, testing each ticket's date (SQLite; PostgreSQL's planner
    chooses its own way): the same page as through the date index, however many older tickets were
    updated before the range began."""
    from server.store import sqlite_tasks

    monkeypatch.setattr(sqlite_tasks, "WIDE", 5)
    store = backend.store
    version = await store.publish_definition("svc", {"v": 1}, "h1", created_by=None, note="", now=NOW)
    made = []
    for n in range(40):
        at = NOW + n * HOUR
        ticket, _ = await store.create_ticket(_new_ticket(version.id, n, None), [_event(at)], [], [], now=at)
        made.append(ticket)
    # a few old tickets touched after the range began (walked past), the rest never again
    for ticket in made[:30:7]:
        at = NOW + 45 * HOUR
        await _changed(store, ticket, 1, "in_progress", at=at)
    start, before = NOW + 20 * HOUR, NOW + 35 * HOUR
    task_filter = TaskFilter(scope=EVERYTHING, created_from=start, created_before=before)
    oldest = TaskOrder.parse("updated")
    expected = sorted(
        (t for t in await _all(store) if start <= t.created_at < before), key=lambda t: (t.updated_at, t.id)
    )
    page = await store.list_tasks(task_filter, oldest, offset=2, limit=5)
    assert [t.id for t in page] == [t.id for t in expected[2:7]]
    if backend.store.__class__.__name__ == "SQLiteStore":
        reader = backend.store._reader  # type: ignore[attr-defined]
        assert await sqlite_tasks.walk_reaches_dates(reader, task_filter, oldest)
        sql, params = sqlite_tasks.list_sql(
            task_filter, oldest, offset=2, limit=5, way=sqlite_tasks.Way(date_index=False)
        )
        plan = " ".join(str(row[-1]) for row in backend.query(f"EXPLAIN QUERY PLAN {sql}", tuple(params)))
        assert "tickets_updated (updated_at>?)" in plan, plan


async def _all(store: Store) -> list[Any]:
    return list(
        await store.list_tasks(TaskFilter(scope=EVERYTHING), TaskOrder.parse("created"), offset=0, limit=1000)
    )


async def test_a_short_rare_text_is_found_in_one_pass_and_read_by_id(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A text under three characters that few tickets hold: SQLite finds its matches in one pass over
    the table and reads them by id, rather than walking a big list's index testing every ticket (11 s
    at a million); a common one, or a small list, is still walked. The same pages either way, on both
    backends."""
    from server.store import sqlite_tasks

    monkeypatch.setattr(sqlite_tasks, "COMMON", 5)
    store = backend.store
    version = await store.publish_definition("svc", {"v": 1}, "h1", created_by=None, note="", now=NOW)
    texts = {}
    for n in range(30):
        at = NOW + n * HOUR
        text = normalize(f"طلب رقم {n} " + ("زق نادر" if n in (4, 17) else "عادي"))
        ticket, _ = await store.create_ticket(_new_ticket(version.id, n, text), [_event(at)], [], [], now=at)
        texts[ticket.id] = text
    newest = TaskOrder.parse("-updated")
    for query, small in (("زق", 0), ("زق", 10_000), ("طل", 0), ("ع", 0)):
        monkeypatch.setattr(sqlite_tasks, "SMALL_FILTER", small)
        task_filter = TaskFilter(scope=EVERYTHING, text=search_query(query))
        expected = sorted((i for i, t in texts.items() if search_query(query) in t), reverse=True)
        page = await store.list_tasks(task_filter, newest, offset=0, limit=50)
        assert [t.id for t in page] == expected, (query, small)
        assert [t.id for t in await store.list_tasks(task_filter, newest, offset=1, limit=1)] == expected[1:2]
        if backend.store.__class__.__name__ == "SQLiteStore":
            reader = backend.store._reader  # type: ignore[attr-defined]
            way = await sqlite_tasks.choose_way(reader, task_filter, newest, end=50)
            rare = query == "زق" and small == 0
            assert (way.ids is not None) == rare, (query, small)
            if rare:
                assert sorted(way.ids or ()) == sorted(expected)
