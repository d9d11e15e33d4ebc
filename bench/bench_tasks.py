"""Staff task lists on 100,000 (or 1,000,000) tickets: the store queries, the pages/API over HTTP, and
the memory of a real server serving them.

    .venv/bin/python bench/bench_tasks.py [--tickets 100000] [--repeat 30] [--http-repeat 200]
        [--serve-seconds 60] [--keep PATH]
    .venv/bin/python bench/bench_tasks.py --backend postgresql --keep PATH [--pg-keep DIR] [--repeat 10]

Creates a fresh SQLite file through ``open_store`` (so every migration, index included, is applied),
publishes the shipped definitions, then bulk-inserts the tickets directly with ``sqlite3`` in one
transaction: the nine shipped services in realistic proportions, each ticket in a state of its
workflow with the department / role / user that state assigns, its category, a channel of its service,
creation dates over two years, the requester's name and subject in the search column, one creation
event; a pending timer on a tenth of the unclosed ones. The inserts go through the schema's triggers,
so the due time on the ticket row, the free-text index (FTS5) and the task counts (migrations
0012–0013) are filled as the server would fill them. ``--keep PATH`` keeps the file, and a later run
given the same path reuses it (a million tickets take about ten minutes to insert here).

Then:

* a baseline: ``SELECT count(*) FROM tickets`` on a plain connection, median and p99;
* through the store (``server.tickets.tasks.task_list``: counts + one page, as the controller calls it, and
  the two queries alone), median of ``--repeat`` runs (ms) — the head of the Classrooms department's
  ``department`` and ``mine`` views, an organisation-wide reader's ``all``, customer service's
  ``incoming``: first pages, filters, free text (a family name, one requester's name, a number, two
  letters), sorted by due time, deep pages by ``OFFSET`` (a department's last page — of the whole list,
  of a category tab, by due time —, page 2,000 oldest created first, the middle of "all", page 200 of
  a family name), and deep pages again as their "next" link reads them, from the key of the page
  before's last row (``cursor``: ``KEYED``);
* through HTTP, in process (``AsyncTestClient``: routing, session or token look-up, rendering):
  ``GET /staff/tasks`` (full page and HTMX partials) and ``GET /api/tasks``, ``--http-repeat`` requests
  each, median and p99, and the p99 as a multiple of the baseline's median;
* a real ``khidma serve --db FILE --no-worker`` on the file, serving list pages round and round for
  ``--serve-seconds``, then its resident memory (``/proc/PID/status``: VmRSS, VmHWM).

Prints the query plans of the department list and its counts too (``EXPLAIN QUERY PLAN``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import math
import os
import random
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import msgspec
import psycopg
from litestar.testing import AsyncTestClient

from server.access import ReadScope, read_scope
from server.accounts.passwords import hash_password
from server.accounts.tokens import new_api_token, token_hash
from server.app import create_app
from server.definitions.loader import load_tree
from server.paths import shipped_root
from server.settings import Settings
from server.store import postgres_tasks, sqlite_task_totals, sqlite_tasks
from server.store.open import open_any
from server.store.records import TaskFilter
from server.store.sqlite import open_store
from server.store.sqlite_codec import time_text
from server.tickets.service import TicketService
from server.tickets.task_pages import cursor_of
from server.tickets.tasks import (
    TaskOrder,
    TaskParams,
    created_range,
    search_query,
    search_text,
    task_list,
    view_filter,
)
from server.working_time import WorkingCalendar

SHARE = {  # service → share of the tickets
    "maintenance": 24,
    "supplies": 14,
    "inquiries": 14,
    "transmission": 8,
    "clearance": 5,
    "email": 10,
    "phone": 12,
    "whatsapp": 7,
    "tawasul": 6,
}
CLOSED_SHARE = 0.8
FIRST_NAMES = ["محمد", "عبدالله", "فاطمة", "نورة", "سارة", "خالد", "أحمد", "ريم", "Omar", "Lina", "Yusuf"]
LAST_NAMES = ["الحربي", "الغامدي", "الزهراني", "العتيبي", "القرشي", "الشهري", "Haddad", "Rahman"]
PASSWORD = "bench-password-1"


def median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.1f}"


async def timed(repeat: int, call: Callable[[], Awaitable[Any]]) -> list[float]:
    await call()  # warm
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


def populate(path: Path, tickets: int, users: dict[str, list[str]], seed: int = 5) -> Counter[str]:
    """Bulk-insert ``tickets`` tickets; returns how many each department holds."""
    catalogue = load_tree(shipped_root()).catalogue
    assert catalogue is not None
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    versions = dict(conn.execute("SELECT service_id, id FROM definition_versions").fetchall())
    services = list(SHARE)
    weights = [SHARE[s] for s in services]
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(days=730)
    counters: Counter[int] = Counter()
    held: Counter[str] = Counter()
    conn.execute("BEGIN")
    for i in range(1, tickets + 1):
        service_id = rng.choices(services, weights)[0]
        compiled = catalogue.services[service_id]
        workflow = compiled.workflow
        closed = [s for s, st in workflow.states.items() if st.category == "closed"]
        unclosed = [s for s, st in workflow.states.items() if st.category != "closed"]
        state_id = rng.choice(closed) if rng.random() < CLOSED_SHARE else rng.choice(unclosed)
        state = workflow.states[state_id]
        assignee = state.assignee
        department: str | None
        role: str | None = None
        user: str | None = None
        if assignee.kind == "head":
            ref = assignee.head_of or ""
            department = compiled.service.department if ref == "$service" else ref
            role = catalogue.organisation.departments[department].head_role
        elif assignee.kind == "role":
            department, role = assignee.department, assignee.role
        elif assignee.kind == "user":
            department = compiled.service.department
            user = rng.choice(users[department])
        else:  # keep / actor: still with customer service
            department, role = "customer_service", "customer_service"
        created = start + dt.timedelta(seconds=rng.uniform(0, 730 * 86400))
        updated = min(now, created + dt.timedelta(hours=rng.expovariate(1 / 72)))
        counters[created.year] += 1
        number = f"{created.year:04d}-{counters[created.year]:06d}"
        data = dict(compiled.form.schema.get("examples", [{}])[0])
        name_field = (compiled.form.schema.get("x-requester") or {}).get("name")
        if name_field:
            data[name_field] = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {i}"
        channel = rng.choice(compiled.service.channels)
        text = search_text(compiled.form.schema, data)
        cursor = conn.execute(
            "INSERT INTO tickets (number, tracking_code, service_id, definition_version_id, state, category,"
            " department, assignee_role, assignee_user, channel, requester_id, data, vars, version, created_at,"
            " updated_at, closed_at, idempotency_key, language, search_text)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, '{}', 3, ?, ?, ?, NULL, 'ar', ?)",
            (
                number,
                secrets.token_urlsafe(12),
                service_id,
                versions[service_id],
                state_id,
                state.category,
                department,
                role,
                user,
                channel,
                json.dumps(data, ensure_ascii=False),
                time_text(created),
                time_text(updated),
                time_text(updated) if state.category == "closed" else None,
                text,
            ),
        )
        ticket_id = cursor.lastrowid
        conn.execute(
            "INSERT INTO events (ticket_id, seq, at, actor_id, actor_name, action, from_state, to_state, data,"
            " visibility, kind) VALUES (?, 1, ?, NULL, '', 'create', NULL, ?, '{}', 'public', 'created')",
            (ticket_id, time_text(created), workflow.initial.default),
        )
        if state.category != "closed" and rng.random() < 0.1:
            due = updated + dt.timedelta(hours=rng.uniform(-48, 96))
            conn.execute(
                "INSERT INTO timers (ticket_id, timer, state, due_at, status) VALUES (?, 'reminder', ?, ?, 'pending')",
                (ticket_id, state_id, time_text(due)),
            )
        held[department or "-"] += 1
    for year, last in counters.items():
        conn.execute("INSERT OR REPLACE INTO ticket_counters (year, last) VALUES (?, ?)", (year, last))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return held


async def _users(store: Any, org: Any, now: dt.datetime) -> tuple[Any, Any, Any, dict[str, list[str]]]:
    """The head of Classrooms, the director, a customer-service representative, five staff per
    department — made on a fresh database, read back from a kept one."""
    existing = await store.get_user_by_username("head.classrooms")
    if existing is not None:
        head = existing
        director = await store.get_user_by_username("director")
        cs = await store.get_user_by_username("cs")
        return head, director, cs, {}
    password = hash_password(PASSWORD)
    head = await store.add_user(
        username="head.classrooms",
        name="Head of Classrooms",
        roles=["department_head"],
        department="classrooms",
        password_hash=password,
        now=now,
    )
    director = await store.add_user(
        username="director", name="Director", roles=["director"], password_hash=password, now=now
    )
    cs = await store.add_user(
        username="cs",
        name="Customer service",
        roles=["customer_service"],
        department="customer_service",
        password_hash=password,
        now=now,
    )
    staff: dict[str, list[str]] = {}
    for department in org.departments:
        for n in range(5):
            user = await store.add_user(
                username=f"staff.{department}.{n}",
                name=f"Staff {n} of {department}",
                roles=["department_staff"],
                department=department,
                now=now,
            )
            staff.setdefault(department, []).append(user.id)
    return head, director, cs, staff


def spread_ms(samples: list[float]) -> str:
    """``median / p99`` in ms."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, math.ceil(len(ordered) * 0.99) - 1)]
    return f"{statistics.median(ordered) * 1000:7.1f} / {p99 * 1000:7.1f}"


def count_baseline(path: Path, repeat: int) -> list[float]:
    """``SELECT count(*) FROM tickets`` on a plain connection: what reading the table's smallest index
    whole costs on this machine, in the same run — the lists' figures as a ratio to it."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("SELECT count(*) FROM tickets").fetchone()
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            conn.execute("SELECT count(*) FROM tickets").fetchone()
            samples.append(time.perf_counter() - started)
        return samples
    finally:
        conn.close()


def sizes(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        rows = dict(
            conn.execute(
                "SELECT CASE WHEN name LIKE 'tickets_text%' THEN 'free-text index (FTS5)' ELSE 'rest' END,"
                " SUM(pgsize) FROM dbstat GROUP BY 1"
            ).fetchall()
        )
    except sqlite3.OperationalError:  # no dbstat in this SQLite
        return ""
    finally:
        conn.close()
    return ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in sorted(rows.items()))


def samples_of(path: Path, tickets: int) -> tuple[str, str, str]:
    """A family name (many matches), one requester's whole name (few) and a ticket number, from a ticket
    Classrooms holds."""
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT number, search_text FROM tickets WHERE id >= ? AND search_text <> ''"
            " AND department = 'classrooms' ORDER BY id LIMIT 1",  # in the head's department list too
            (tickets // 2,),
        ).fetchone()
    finally:
        conn.close()
    return "الغامدي", str(row[1]).split(" | ")[0], str(row[0])


async def run(tickets: int, repeat: int, http_repeat: int, serve_seconds: float, keep: Path | None) -> None:
    catalogue = load_tree(shipped_root()).catalogue
    assert catalogue is not None
    org = catalogue.organisation
    tz = WorkingCalendar.from_definition(org.calendar).tz
    with tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp) / "tasks.db"
        fresh = not path.exists()
        store = await open_store(path)
        now = dt.datetime.now(dt.UTC)
        if fresh:
            service = TicketService(store, WorkingCalendar.from_definition(org.calendar))
            await service.publish_shipped(catalogue)
        head, director, cs, staff = await _users(store, org, now)
        await store.close()

        if fresh:
            started = time.perf_counter()
            held = populate(path, tickets, staff)
            print(
                f"{tickets} tickets inserted in {time.perf_counter() - started:.1f} s; held per department:"
            )
            for department, n in held.most_common():
                print(f"  {department:24} {n:7d}")
        else:
            print(f"reusing {path}")
        total_size = sum(f.stat().st_size for f in path.parent.glob(path.name + "*")) / 1e6
        print(f"database: {total_size:.0f} MB ({sizes(path)})")

        store = await open_store(path)
        services = {s: c.service.department for s, c in catalogue.services.items()}
        head_scope = read_scope(head, org, services)
        family, requester, number = samples_of(path, tickets)
        cases = store_cases(head, director, cs, family, requester, number, now)
        baseline = count_baseline(path, max(repeat, 30))
        base_median = statistics.median(baseline)
        print(f"\nbaseline: SELECT count(*) FROM tickets, median / p99 (ms): {spread_ms(baseline)}")
        print(
            f"\nthrough the store, {repeat} runs (ms): counts+page median / p99 | counts alone | page alone (medians)"
        )
        await time_cases(store, org, tz, services, cases, repeat)

        department = view_filter("department", head, org, head_scope)
        print("\nquery plans (department view of the head of Classrooms):")
        raw = sqlite3.connect(path)
        for title, (sql, params) in (
            ("page", sqlite_tasks.list_sql(department, TaskOrder(), offset=0, limit=25)),
            ("counts", sqlite_task_totals.count_sql(department)),
            (
                "page, sorted by due",
                sqlite_tasks.list_sql(department, TaskOrder(key="due", descending=False), offset=0, limit=25),
            ),
            (
                "page, free text",
                sqlite_tasks.list_sql(
                    msgspec.structs.replace(department, text=search_query(family)),
                    TaskOrder(),
                    offset=0,
                    limit=25,
                ),
            ),
        ):
            print(f"  {title}:")
            for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params):
                print(f"    {row[3]}")
        raw.close()
        await store.close()

        # --- over HTTP, in process -----------------------------------------------------------------
        settings = Settings(db_path=path, base_url="http://bench.local", background_worker=False)
        if http_repeat > 0:
            await time_http(
                settings, head, director, family, requester, number, now, http_repeat, base_median
            )
        if serve_seconds > 0:
            serve_and_measure(path, requests_for_serve(family, requester, number), serve_seconds)
    print(f"\ncpu: {os.cpu_count()} cores")


async def time_http(
    settings: Settings,
    head: Any,
    director: Any,
    family: str,
    requester: str,
    number: str,
    now: dt.datetime,
    http_repeat: int,
    base_median: float,
) -> list[tuple[str, str, dict[str, str]]]:
    """The task-list pages and API answers over HTTP (``AsyncTestClient``, in process) on the database
    ``settings`` names, each ``http_repeat`` times: median / p99 and the p99 over ``base_median``."""
    # no background worker: the bench's timers are not in the shipped workflows, it would cancel them
    app = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://bench.local") as client:
        page = await client.get("/login")
        csrf = client.cookies.get("csrftoken")
        assert page.status_code == 200 and csrf
        response = await client.post(
            "/login",
            data={"_csrf_token": csrf, "username": "head.classrooms", "password": PASSWORD, "next": "/"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text[:300]
        runtime = client.app.state.runtime
        bearer = {}
        for user in (head, director):
            token = new_api_token()
            await runtime.store.create_api_token(user.id, "bench", token_hash(token), now=now)
            bearer[user.username] = {"Authorization": f"Bearer {token}"}
        requests = http_requests(family, requester, number, bearer)
        print(
            f"\nthrough HTTP (AsyncTestClient, in process), {http_repeat} requests each, median / p99 (ms),"
        )
        print("and the p99 as a multiple of the count(*) baseline's median:")
        for label, url, headers in requests:
            if url.endswith("&cursor=" + KEYED):  # the next page's cursor, as the page before gives it
                base, _sep, number_text = url.removesuffix("&cursor=" + KEYED).rpartition("&page=")
                before = await client.get(f"{base}&page={int(number_text) - 1}", headers=headers)
                url = f"{base}&page={number_text}&cursor={before.json()['next_cursor']}"

            async def get(url: str = url, headers: dict[str, str] = headers) -> None:
                response = await client.get(url, headers=headers)
                assert response.status_code == 200, (url, response.status_code, response.text[:300])

            samples = await timed(http_repeat, get)
            p99 = sorted(samples)[math.ceil(len(samples) * 0.99) - 1]
            print(f"  {label:62} {spread_ms(samples)}   ×{p99 / base_median:5.2f}")
    return requests


def store_cases(
    head: Any, director: Any, cs: Any, family: str, requester: str, number: str, now: dt.datetime
) -> list[tuple[str, Any, TaskParams]]:
    """The lists timed through the store: (label, user, parameters)."""
    return [
        ("department, first page", head, TaskParams(view="department")),
        (
            "department, filtered (service+category+dates), page 2",
            head,
            TaskParams(
                view="department",
                service="supplies",
                category="closed",
                created_from=(now - dt.timedelta(days=365)).date(),
                created_to=now.date(),
                page=2,
            ),
        ),
        (
            "department, a year of dates",
            head,
            TaskParams(
                view="department",
                created_from=(now - dt.timedelta(days=365)).date(),
                created_to=now.date(),
            ),
        ),
        ("department, free text (a family name)", head, TaskParams(view="department", q=family)),
        (
            "department, free text (a family name), page 200",
            head,
            TaskParams(view="department", q=family, page=200),
        ),
        (
            "department, free text (a family name), category open",
            head,
            TaskParams(view="department", q=family, category="open"),
        ),
        (
            "department, free text (one requester's name)",
            head,
            TaskParams(view="department", q=requester),
        ),
        ("department, sorted by due time", head, TaskParams(view="department", sort="due")),
        ("department, last page", head, TaskParams(view="department", page=1_000_000 - 1)),
        (
            "department, category closed, last page",
            head,
            TaskParams(view="department", category="closed", page=1_000_000 - 1),
        ),
        (
            "department, oldest created first, page 2000",
            head,
            TaskParams(view="department", sort="created", page=2000),
        ),
        (
            "department, sorted by due time, last page",
            head,
            TaskParams(view="department", sort="due", page=1_000_000 - 1),
        ),
        ("mine (head)", head, TaskParams(view="mine")),
        ("mine (head), sorted by due time", head, TaskParams(view="mine", sort="due")),
        ("all (director), first page", director, TaskParams(view="all")),
        ("all (director), page 20000 (the middle)", director, TaskParams(view="all", page=20_000)),
        ("all (director), page 30000", director, TaskParams(view="all", page=30_000)),
        ("all (director), last page", director, TaskParams(view="all", page=1_000_000)),
        ("all (director), free text (a family name)", director, TaskParams(view="all", q=family)),
        (
            "all (director), free text (a family name), page 200",
            director,
            TaskParams(view="all", q=family, page=200),
        ),
        (
            "all (director), a year of dates, page 2",
            director,
            TaskParams(
                view="all",
                created_from=(now - dt.timedelta(days=365)).date(),
                created_to=now.date(),
                page=2,
            ),
        ),
        (
            "all (director), free text (one requester's name)",
            director,
            TaskParams(view="all", q=requester),
        ),
        ("all (director), free text (a ticket number)", director, TaskParams(view="all", q=number)),
        ("all (director), free text (2 letters: LIKE)", director, TaskParams(view="all", q="غا")),
        ("all (director), sorted by due time", director, TaskParams(view="all", sort="due")),
        (
            "all (director), a family name by due time, page 2",
            director,
            TaskParams(view="all", q=family, sort="due", page=2),
        ),
        ("incoming (customer service)", cs, TaskParams(view="incoming")),
        ("incoming (customer service), sorted by due time", cs, TaskParams(view="incoming", sort="due")),
        # the same deep pages as a "next" link reads them: from the key of the page before's last row
        (
            "department, free text (a family name), page 200 by cursor",
            head,
            TaskParams(view="department", q=family, page=200, cursor=KEYED),
        ),
        (
            "department, oldest created first, page 2000 by cursor",
            head,
            TaskParams(view="department", sort="created", page=2000, cursor=KEYED),
        ),
        (
            "department, sorted by due time, page 4000 by cursor",
            head,
            TaskParams(view="department", sort="due", page=4000, cursor=KEYED),
        ),
        ("all (director), page 20000 by cursor", director, TaskParams(view="all", page=20_000, cursor=KEYED)),
        (
            "all (director), free text (a family name), page 200 by cursor",
            director,
            TaskParams(view="all", q=family, page=200, cursor=KEYED),
        ),
        (
            "all (director), a family name by due time, page 200 by cursor",
            director,
            TaskParams(view="all", q=family, sort="due", page=200, cursor=KEYED),
        ),
    ]


KEYED = "keyed"
"""A case's ``cursor``: the key of the last row of the page before it (read once, by offset, before the
timing), as the page's "next" link carries it."""


async def time_cases(
    store: Any,
    org: Any,
    tz: Any,
    services: dict[str, str],
    cases: list[tuple[str, Any, TaskParams]],
    repeat: int,
    counted_before: Callable[[Any], Awaitable[Any]] | None = None,
) -> None:
    """Each case through ``task_list`` (median / p99), and its counts and page alone (medians), ms;
    with ``counted_before``, the counts as that reads them too (for a list without free text)."""
    for label, user, params in cases:
        scope = read_scope(user, org, services)
        if params.cursor == KEYED:
            before = msgspec.structs.replace(params, page=params.page - 1, cursor="")
            previous = await task_list(store, user, org, scope, before, tz)
            if not previous.rows:
                print(f"  {label:58} (the list ends before page {params.page}: not timed)")
                continue
            params = msgspec.structs.replace(params, cursor=cursor_of(previous.rows[-1], params.order))

        async def whole(user: Any = user, scope: Any = scope, params: TaskParams = params) -> Any:
            return await task_list(store, user, org, scope, params, tz)

        result = await whole()
        f_from, f_before = created_range(params.created_from, params.created_to, tz)
        task_filter = msgspec.structs.replace(
            view_filter(result.view, user, org, scope),
            service=params.service,
            category=params.category,
            created_from=f_from,
            created_before=f_before,
            text=search_query(params.q),
        )
        # what task_list calls: the counts up to the bound (and, past it with a category chosen, that
        # category's), then the page with one row more (is there a next page?)
        counts = await timed(repeat, lambda f=task_filter: store.count_tasks_bounded(f))
        page = await timed(
            repeat,
            lambda f=task_filter, o=params.order, p=result.page, n=None if result.more else result.total, s=params.seek: (
                store.list_tasks(f, o, offset=(p - 1) * 25, limit=26, total=n, seek=s)
            ),
        )
        both = await timed(repeat, whole)
        total = f"more than {result.total}" if result.more else str(result.total)
        before = ""
        if counted_before is not None and not task_filter.text:
            then = await timed(repeat, lambda f=task_filter: counted_before(f))
            before = f" | before: {median_ms(then)}"
        print(
            f"  {label:58} {spread_ms(both)} | {median_ms(counts)} | {median_ms(page)}{before}"
            f"   ({total} tickets, {len(result.rows)} on page {result.page})"
        )


def _start_kept(base: Path) -> str:
    """Start the cluster kept in ``base`` (``--pg-keep``) on a free port; its URL."""
    import bench_scaleout

    port = bench_scaleout.free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c max_connections=200"
    command = [
        str(bench_scaleout.PG_BIN / "pg_ctl"),
        "-D",
        str(base / "data"),
        "-l",
        str(base / "server.log"),
    ]
    subprocess.run(
        bench_scaleout._as_owner([*command, "-o", options, "-w", "start"]), check=True, capture_output=True
    )
    return f"postgresql://postgres@127.0.0.1:{port}/khidma_bench"


async def time_deltas(store: Any, url: str, cases: list[tuple[str, TaskFilter]], repeat: int) -> None:
    """The counts with many deltas not yet folded, and what folding them costs: ``n`` synthetic deltas
    (half +1, half -1 on the same combinations: the counts do not change) added, the counts read with
    folding off, then one fold timed."""
    from server.store import postgres_task_counts

    folded_at = postgres_task_counts.COMPACT_AT
    print("\ncounts with n deltas not folded (median ms), and the fold of them (ms):")
    for n in (1000, 10_000, 100_000):
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO ticket_count_deltas SELECT d.day, d.department, d.assignee_role, d.assignee_user,"
                " d.service_id, d.channel, d.state, d.category, s.n FROM"
                " (SELECT * FROM ticket_day_counts ORDER BY day DESC LIMIT %s) d"
                " CROSS JOIN (VALUES (1), (-1)) s(n)",
                (n // 2,),
            )
        postgres_task_counts.COMPACT_AT = 10**9
        try:
            figures = []
            for label, task_filter in cases:
                spent = await timed(repeat, lambda f=task_filter: store.count_tasks(f))
                figures.append(f"{label} {median_ms(spent)}")
        finally:
            postgres_task_counts.COMPACT_AT = folded_at
        async with store._pool.connection() as conn:
            began = time.perf_counter()
            moved = await postgres_task_counts.compact(conn)
            fold = (time.perf_counter() - began) * 1000
        print(f"  n = {n:6d}: " + "; ".join(figures) + f"; fold ({moved} deltas) {fold:.1f} ms")


async def run_postgresql(
    keep: Path | None, tickets: int, repeat: int, pg_keep: Path | None = None, http_repeat: int = 0
) -> None:
    """``--backend postgresql``: the store part on PostgreSQL — a throwaway cluster on loopback
    (``bench_scaleout.start_postgres``: PostgreSQL 15, its default settings), the kept SQLite file copied
    in by ``khidma migrate-store``, ``VACUUM ANALYZE``, then the same cases through the PostgreSQL store
    (beside each list without free text, its counts as pg 0007 read them: the tickets themselves), the
    counts with many count deltas waiting and one fold's cost (``time_deltas``), the plans of the two
    kinds the second round is about, and ``count(*)`` as the baseline; then the pages and API answers
    over HTTP (``time_http``, ``--http-repeat`` each; 0: none). ``--pg-keep DIR`` keeps the cluster
    there, and a later run given it reuses it without copying."""
    import bench_scaleout  # bench/ is the script's directory

    if keep is None or not keep.exists():
        raise SystemExit("--backend postgresql copies a kept SQLite file: build one first with --keep PATH")
    catalogue = load_tree(shipped_root()).catalogue
    assert catalogue is not None
    org = catalogue.organisation
    tz = WorkingCalendar.from_definition(org.calendar).tz
    base = pg_keep or Path(tempfile.mkdtemp(prefix="khidma-pg-tasks-"))
    reused = (base / "data").exists()
    if pg_keep is not None:
        base.mkdir(parents=True, exist_ok=True)
    url = _start_kept(base) if reused else bench_scaleout.start_postgres(base)
    try:
        if reused:
            print(f"reusing the cluster in {base} (the store migrates it when it opens)")
        else:
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "server", "migrate-store", "--from", str(keep), "--to", url],
                check=True,
                capture_output=True,
                cwd=Path(__file__).resolve().parent.parent,
            )
            print(f"copied {keep} into PostgreSQL in {time.perf_counter() - started:.0f} s")
        with psycopg.connect(url, autocommit=True) as conn:
            if not reused:
                conn.execute("VACUUM ANALYZE")  # as autovacuum would leave it: the visibility map set
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
            print(f"database: {int(size[0]) / 1e6:.0f} MB" if size else "")
            samples = []
            for _ in range(max(repeat, 30) + 1):
                began = time.perf_counter()
                conn.execute("SELECT count(*) FROM tickets").fetchone()
                samples.append(time.perf_counter() - began)
        print(f"\nbaseline: SELECT count(*) FROM tickets, median / p99 (ms): {spread_ms(samples[1:])}")
        store = await open_any(url, base / "files")
        try:
            head, director, cs, _staff = await _users(store, org, dt.datetime.now(dt.UTC))
            services = {s: c.service.department for s, c in catalogue.services.items()}
            family, requester, number = samples_of(keep, tickets)
            now = dt.datetime.now(dt.UTC)
            print(
                f"\nthrough the store, {repeat} runs (ms): counts+page median / p99 | counts alone | page alone"
            )
            started = time.perf_counter()
            await store.count_tasks(TaskFilter(scope=ReadScope(everything=True)))  # a fold, if any wait
            print(
                f"  (the first count, folding what waited: {(time.perf_counter() - started) * 1000:.0f} ms)"
            )

            async def from_the_tickets(task_filter: TaskFilter) -> Any:
                """The counts as pg 0007 read them: the tickets themselves."""
                sql, params = postgres_tasks.count_sql(task_filter)
                return await store._all(sql, params)

            await time_cases(
                store,
                org,
                tz,
                services,
                store_cases(head, director, cs, family, requester, number, now),
                repeat,
                from_the_tickets,
            )
            year = dict(
                zip(
                    ("created_from", "created_before"),
                    created_range((now - dt.timedelta(days=365)).date(), now.date(), tz),
                    strict=True,
                )
            )
            head_department = view_filter("department", head, org, read_scope(head, org, services))
            everything = view_filter("all", director, org, read_scope(director, org, services))
            await time_deltas(
                store,
                url,
                [
                    ("all", everything),
                    ("department", head_department),
                    ("all, a year", msgspec.structs.replace(everything, **year)),
                ],
                repeat,
            )
            plans = [
                ("department, a family name", head, "department", {"text": search_query(family)}),
                ("all, a family name", director, "all", {"text": search_query(family)}),
                (
                    "all, a year of dates",
                    director,
                    "all",
                    dict(
                        zip(
                            ("created_from", "created_before"),
                            created_range((now - dt.timedelta(days=365)).date(), now.date(), tz),
                            strict=True,
                        )
                    ),
                ),
            ]
            with psycopg.connect(url, autocommit=True) as conn:
                for title, user, view, changes in plans:
                    task_filter = msgspec.structs.replace(
                        view_filter(view, user, org, read_scope(user, org, services)), **changes
                    )
                    sql, params = postgres_tasks.list_sql(task_filter, TaskOrder(), offset=0, limit=26)
                    print(f"\n  plan of the page, {title}:")
                    for (line,) in conn.execute("EXPLAIN " + sql, params).fetchall():  # type: ignore[arg-type]
                        print(f"    {line}")
            if http_repeat > 0:
                settings = Settings(
                    db_url=url,
                    attachments_dir=base / "files",
                    base_url="http://bench.local",
                    background_worker=False,
                )
                base_median = statistics.median(samples[1:])
                await time_http(
                    settings, head, director, family, requester, number, now, http_repeat, base_median
                )
        finally:
            await store.close()
    finally:
        bench_scaleout.stop_postgres(base)
        if pg_keep is None:
            shutil.rmtree(base, ignore_errors=True)


def http_requests(
    family: str, requester: str, number: str, bearer: dict[str, dict[str, str]]
) -> list[tuple[str, str, dict[str, str]]]:
    hx = {"HX-Request": "true"}
    return [
        ("GET /staff/tasks (department, full page)", "/staff/tasks?view=department", {}),
        ("GET /staff/tasks (HTMX partial)", "/staff/tasks?view=department", hx),
        ("GET /staff/tasks?sort=due (HTMX partial)", "/staff/tasks?view=department&sort=due", hx),
        ("GET /staff/tasks?view=mine (HTMX partial)", "/staff/tasks?view=mine", hx),
        ("GET /staff/tasks?q=… (partial, a family name)", f"/staff/tasks?view=department&q={family}", hx),
        ("GET /staff/tasks?q=… (partial, one requester)", f"/staff/tasks?view=department&q={requester}", hx),
        ("GET /api/tasks (department)", "/api/tasks?view=department", bearer["head.classrooms"]),
        (
            "GET /api/tasks (filtered, page 2)",
            "/api/tasks?view=department&service=supplies&category=closed&page=2",
            bearer["head.classrooms"],
        ),
        ("GET /api/tasks?view=all (director)", "/api/tasks?view=all", bearer["director"]),
        ("GET /api/tasks?view=all&sort=due (director)", "/api/tasks?view=all&sort=due", bearer["director"]),
        (
            "GET /api/tasks?view=all&q=<number> (director)",
            f"/api/tasks?view=all&q={number}",
            bearer["director"],
        ),
        (
            "GET /api/tasks?view=all&q=<one requester> (director)",
            f"/api/tasks?view=all&q={requester}",
            bearer["director"],
        ),
        (
            "GET /api/tasks?view=all&q=<family name> (director)",
            f"/api/tasks?view=all&q={family}",
            bearer["director"],
        ),
        (
            "GET /api/tasks (department, a family name, page 200)",
            f"/api/tasks?view=department&q={family}&page=200",
            bearer["head.classrooms"],
        ),
        (
            "GET /api/tasks (department, a family name, page 200 by cursor)",
            f"/api/tasks?view=department&q={family}&page=200&cursor={KEYED}",
            bearer["head.classrooms"],
        ),
        (
            "GET /api/tasks (all, a family name, page 200 by cursor)",
            f"/api/tasks?view=all&q={family}&page=200&cursor={KEYED}",
            bearer["director"],
        ),
    ]


def requests_for_serve(family: str, requester: str, number: str) -> list[str]:
    """The pages a real server serves in the RSS run, round and round (as the director: every view)."""
    return [
        "/staff/tasks?view=all",
        "/staff/tasks?view=all&sort=due",
        "/staff/tasks?view=incoming",
        "/staff/tasks?view=all&page=2",
        f"/staff/tasks?view=all&q={requester}",
        f"/staff/tasks?view=all&q={number}",
        "/staff/tasks?view=all&service=supplies&category=closed&page=3",
        f"/staff/tasks?view=all&q={family}",
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _rss_kb(pid: int) -> dict[str, int]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            found[key] = int(value.split()[0])
    return found


def serve_and_measure(path: Path, urls: list[str], seconds: float) -> None:
    """A real ``khidma serve --db FILE --no-worker`` on the file: log in as the director, serve ``urls``
    round and round for ``seconds``, and read the process's resident memory (``/proc/PID/status``)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--db", str(path), "--port", str(port), "--no-worker"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            started = time.perf_counter()
            while True:
                try:
                    client.get("/login")
                    break
                except httpx.TransportError:
                    if time.perf_counter() - started > 300 or server.poll() is not None:
                        raise
                    time.sleep(0.2)
            print(
                f"\nkhidma serve --db FILE --no-worker (pid {server.pid}), up in {time.perf_counter() - started:.1f} s"
            )
            print(f"  after start: {_rss_kb(server.pid)} kB")
            csrf = client.cookies.get("csrftoken")
            response = client.post(
                "/login",
                data={"_csrf_token": csrf, "username": "director", "password": PASSWORD, "next": "/"},
                follow_redirects=False,
            )
            assert response.status_code == 303, response.text[:300]
            served: list[float] = []
            every: dict[str, list[float]] = {url: [] for url in urls}
            until = time.perf_counter() + seconds
            while time.perf_counter() < until:
                for url in urls:
                    began = time.perf_counter()
                    answer = client.get(url)
                    assert answer.status_code == 200, (url, answer.status_code)
                    elapsed = time.perf_counter() - began
                    served.append(elapsed)
                    every[url].append(elapsed)
            memory = _rss_kb(server.pid)
            print(f"  after {len(served)} list pages in {seconds:.0f} s: {memory} kB")
            print(f"  VmRSS {memory['VmRSS'] / 1024:.0f} MB, peak (VmHWM) {memory['VmHWM'] / 1024:.0f} MB")
            # file pages are the libraries' code and anything mapped (a memory-mapped database would count its
            # touched pages here: docs/performance.md, twelfth round); the process's own memory is RssAnon
            print(
                f"  of which the process's own (RssAnon) {memory['RssAnon'] / 1024:.0f} MB,"
                f" file pages (RssFile) {memory['RssFile'] / 1024:.0f} MB"
            )
            print("  over loopback HTTP, one client, median / p99 (ms):")
            print(f"    {'every page':62} {spread_ms(served)}")
            for url, samples in every.items():
                print(f"    {url[:62]:62} {spread_ms(samples)}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would bury the figures
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30, help="runs of each store query")
    parser.add_argument("--http-repeat", type=int, default=200, help="requests of each page over HTTP")
    parser.add_argument(
        "--serve-seconds",
        type=float,
        default=60,
        help="how long a real `khidma serve` serves list pages before its memory is read (0: not run)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="write the database here and keep it (an existing one is reused)",
    )
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="postgresql: copy the --keep file into a throwaway cluster and time the store there",
    )
    parser.add_argument(
        "--pg-keep",
        type=Path,
        default=None,
        help="postgresql: keep the cluster in this directory, and reuse it when it holds one (no copy)",
    )
    args = parser.parse_args()
    if args.backend == "postgresql":
        asyncio.run(run_postgresql(args.keep, args.tickets, args.repeat, args.pg_keep, args.http_repeat))
        return
    asyncio.run(run(args.tickets, args.repeat, args.http_repeat, args.serve_seconds, args.keep))


if __name__ == "__main__":
    main()
