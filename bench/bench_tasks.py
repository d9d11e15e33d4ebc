"""Staff task lists on 100,000 tickets: the store queries and the pages/API over HTTP.

    .venv/bin/python bench/bench_tasks.py [--tickets 100000] [--repeat 30] [--keep PATH]

Creates a fresh SQLite file through ``open_store`` (so every migration, index included, is applied),
publishes the shipped definitions, then bulk-inserts the tickets directly with ``sqlite3`` in one
transaction: the nine shipped services in realistic proportions, each ticket in a state of its
workflow with the department / role / user that state assigns, its category, a channel of its service,
creation dates over two years, the requester's name and subject in the search column, one creation
event; a pending timer on a tenth of the unclosed ones. Then times, median of ``--repeat`` runs (ms):

* through the store (``server.tickets.tasks.task_list``: counts + one page, as the controller calls it, and
  the two queries alone) — the head of the Classrooms department's ``department`` view: first page, a
  filtered page, a free-text search, sorted by due time; and an organisation-wide reader's ``all``
  and ``incoming``;
* through HTTP, in process (``AsyncTestClient``: routing, session or token look-up, rendering):
  ``GET /staff/tasks`` (full page and the HTMX partial) and ``GET /api/tasks``.

Prints the query plans of the department list and its counts too (``EXPLAIN QUERY PLAN``).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import secrets
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
from litestar.testing import AsyncTestClient

from server.access import read_scope
from server.accounts.passwords import hash_password
from server.accounts.tokens import new_api_token, token_hash
from server.app import create_app
from server.definitions.loader import load_tree
from server.paths import shipped_root
from server.settings import Settings
from server.store import sqlite_tasks
from server.store.sqlite import open_store
from server.store.sqlite_codec import time_text
from server.tickets.service import TicketService
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


async def run(tickets: int, repeat: int, keep: Path | None) -> None:
    catalogue = load_tree(shipped_root()).catalogue
    assert catalogue is not None
    org = catalogue.organisation
    tz = WorkingCalendar.from_definition(org.calendar).tz
    with tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp) / "tasks.db"
        store = await open_store(path)
        service = TicketService(store, WorkingCalendar.from_definition(org.calendar))
        await service.publish_shipped(catalogue)
        now = dt.datetime.now(dt.UTC)
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
        await store.close()

        started = time.perf_counter()
        held = populate(path, tickets, staff)
        print(f"{tickets} tickets inserted in {time.perf_counter() - started:.1f} s; held per department:")
        for department, n in held.most_common():
            print(f"  {department:24} {n:7d}")
        print(f"database: {sum(f.stat().st_size for f in path.parent.glob(path.name + '*')) / 1e6:.0f} MB")

        store = await open_store(path)
        services = {s: c.service.department for s, c in catalogue.services.items()}
        head_scope = read_scope(head, org, services)
        some_name = "الغامدي"
        cases: list[tuple[str, Any, TaskParams]] = [
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
            ("department, free text (a family name)", head, TaskParams(view="department", q=some_name)),
            ("department, sorted by due time", head, TaskParams(view="department", sort="due")),
            ("department, last page", head, TaskParams(view="department", page=10_000)),
            ("mine (head)", head, TaskParams(view="mine")),
            ("all (director), first page", director, TaskParams(view="all")),
            ("all (director), free text", director, TaskParams(view="all", q=some_name)),
            ("all (director), sorted by due time", director, TaskParams(view="all", sort="due")),
            ("incoming (customer service)", cs, TaskParams(view="incoming")),
        ]
        print(f"\nthrough the store, median of {repeat} (ms): counts+page | counts alone | page alone")
        for label, user, params in cases:
            scope = read_scope(user, org, services)

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
            counts = await timed(repeat, lambda f=task_filter: store.count_tasks(f))
            page = await timed(
                repeat,
                lambda f=task_filter, o=params.order, p=result.page: store.list_tasks(
                    f, o, offset=(p - 1) * 25, limit=25
                ),
            )
            both = await timed(repeat, whole)
            print(
                f"  {label:58} {median_ms(both)} | {median_ms(counts)} | {median_ms(page)}"
                f"   ({result.total} tickets, {len(result.rows)} on page {result.page})"
            )

        department = view_filter("department", head, org, head_scope)
        print("\nquery plans (department view of the head of Classrooms):")
        raw = sqlite3.connect(path)
        for title, (sql, params) in (
            ("page", sqlite_tasks.list_sql(department, TaskOrder(), offset=0, limit=25)),
            ("counts", sqlite_tasks.count_sql(department)),
            (
                "page, sorted by due",
                sqlite_tasks.list_sql(department, TaskOrder(key="due", descending=False), offset=0, limit=25),
            ),
        ):
            print(f"  {title}:")
            for row in raw.execute("EXPLAIN QUERY PLAN " + sql, params):
                print(f"    {row[3]}")
        raw.close()
        await store.close()

        # --- over HTTP, in process -----------------------------------------------------------------
        # no background worker: the bench's timers are not in the shipped workflows, it would cancel them
        app = create_app(Settings(db_path=path, base_url="http://bench.local", background_worker=False))
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
            token = new_api_token()
            runtime = client.app.state.runtime
            await runtime.store.create_api_token(head.id, "bench", token_hash(token), now=now)
            bearer = {"Authorization": f"Bearer {token}"}
            requests = [
                ("GET /staff/tasks (department, full page)", "/staff/tasks?view=department", {}),
                ("GET /staff/tasks (HTMX partial)", "/staff/tasks?view=department", {"HX-Request": "true"}),
                (
                    "GET /staff/tasks?q=… (HTMX partial, free text)",
                    f"/staff/tasks?view=department&q={some_name}",
                    {"HX-Request": "true"},
                ),
                ("GET /api/tasks (department)", "/api/tasks?view=department", bearer),
                (
                    "GET /api/tasks (filtered, page 2)",
                    "/api/tasks?view=department&service=supplies&category=closed&page=2",
                    bearer,
                ),
            ]
            print(f"\nthrough HTTP (AsyncTestClient, in process), median of {repeat} (ms):")
            for label, url, headers in requests:

                async def get(url: str = url, headers: dict[str, str] = headers) -> None:
                    response = await client.get(url, headers=headers)
                    assert response.status_code == 200, (url, response.status_code, response.text[:300])

                print(f"  {label:58} {median_ms(await timed(repeat, get))}")
    print(f"\ncpu: {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", type=Path, default=None, help="write the database here and keep it")
    args = parser.parse_args()
    asyncio.run(run(args.tickets, args.repeat, args.keep))


if __name__ == "__main__":
    main()
