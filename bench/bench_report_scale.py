"""The weekly department report over a million tickets (issue 11's target: under 500 ms).

    .venv/bin/python bench/bench_report_scale.py [--tickets 1000000] [--repeat 7] [--db /tmp/reports-1m.db]

Builds the database once with direct SQL inserts in bulk (``bench/bench_tasks.py``'s ``populate``: the
nine shipped services in realistic proportions, creation dates over two years, 80 % closed), not through
the service; an existing ``--db`` holding that many tickets is reused. Then times, in the same run (median
of ``--repeat`` runs after one warm-up, ms):

* the baselines: a bare ``SELECT count(*) FROM tickets``, and the count of the Classrooms service's tickets;
* the store query of the weekly report for Classrooms (last week, counted from the tickets' history);
* ``server.reports.service.build`` of ``weekly_department`` for Classrooms — last week (what the scheduler
  e-mails on Sunday) and this week (the page's default) — and for every department;
* the whole scheduled e-mail of that report to the Classrooms head (figures, CSV, XLSX, SVG, HTML).

It prints the query plan of the weekly query too.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_tasks import populate
from server.reports import periods
from server.reports.mail import mail_for
from server.reports.service import build
from server.runtime import Runtime, load_shipped
from server.settings import Settings
from server.store.records import User


async def prepare(path: Path, tickets: int) -> None:
    if path.exists():
        with sqlite3.connect(path) as conn:
            (found,) = conn.execute("SELECT count(*) FROM tickets").fetchone()
        if found == tickets:
            print(f"reusing {path}: {found} tickets")
            return
        path.unlink()
    settings = Settings(db_path=path, background_worker=False)
    runtime = await Runtime.open(settings, load_shipped(settings))
    staff: dict[str, list[str]] = {}
    now = dt.datetime.now(dt.UTC)
    for department in runtime.org.departments:
        user = await runtime.store.add_user(
            username=f"staff.{department}",
            name=department,
            roles=["department_staff"],
            department=department,
            now=now,
        )
        staff[department] = [user.id]
    await runtime.close()
    started = time.perf_counter()
    populate(path, tickets, staff)
    with sqlite3.connect(path) as conn:
        conn.execute("ANALYZE")
    print(f"{tickets} tickets inserted in {time.perf_counter() - started:.1f} s")


async def timed(label: str, repeat: int, call: Callable[[], Awaitable[Any]]) -> None:
    result = await call()  # warm
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = await call()
        samples.append((time.perf_counter() - t0) * 1000)
    size = len(result) if isinstance(result, list) else len(getattr(result, "tickets", ()))
    print(f"  {label:62} {statistics.median(samples):8.1f} ms  ({size} rows)")


async def run(path: Path, tickets: int, repeat: int) -> None:
    await prepare(path, tickets)
    settings = Settings(db_path=path, background_worker=False)
    runtime = await Runtime.open(settings, load_shipped(settings))
    try:
        org, store = runtime.org, runtime.store
        today = dt.datetime.now(dt.UTC).date()
        this_week = periods.of_kind("week", today, org)
        last_week = periods.previous(this_week, org)
        start, end = last_week.bounds(runtime.tickets.calendar.tz)
        reader: Any = store._reader  # type: ignore[attr-defined]  # the baselines, on the same connection

        async def scalar(sql: str) -> list[Any]:
            return list(await reader.execute_fetchall(sql))

        print(f"median of {repeat} runs; last week is {last_week.token}")
        await timed(
            "baseline: SELECT count(*) FROM tickets", repeat, lambda: scalar("SELECT count(*) FROM tickets")
        )
        await timed(
            "baseline: count(*) of the supplies service's tickets",
            repeat,
            lambda: scalar("SELECT count(*) FROM tickets WHERE service_id = 'supplies'"),
        )
        await timed(
            "store: weekly counts, supplies, last week (from the history)",
            repeat,
            lambda: store.report_counts(services=["supplies"], basis="status", start=start, end=end),
        )
        await timed(
            "store: weekly query, supplies, last week (from the history)",
            repeat,
            lambda: store.report_tickets(services=["supplies"], basis="status", start=start, end=end),
        )

        def weekly(period: periods.Period, department: str | None, detail: bool) -> Any:
            return lambda: build(
                runtime, "weekly_department", period, None, department=department, trusted=True, detail=detail
            )

        await timed(
            "build: weekly, Classrooms, last week (figures: page, files)",
            repeat,
            weekly(last_week, "classrooms", False),
        )
        await timed(
            "build: weekly, Classrooms, this week (figures)", repeat, weekly(this_week, "classrooms", False)
        )
        await timed(
            "build: weekly, every department, last week (figures)", repeat, weekly(last_week, None, False)
        )
        await timed(
            "build: weekly, Classrooms, last week, every ticket (drill-down)",
            repeat,
            weekly(last_week, "classrooms", True),
        )
        head = User(
            id="bench-head",
            username="bench.head",
            name="head",
            email="head@example.org",
            phone=None,
            department="classrooms",
            roles=("department_head",),
            password_hash=None,
            active=True,
            created_at=dt.datetime.now(dt.UTC),
        )

        async def mail() -> list[Any]:
            result = await build(
                runtime,
                "weekly_department",
                last_week,
                None,
                department="classrooms",
                trusted=True,
                detail=False,
            )
            return [mail_for(result, org, head)]

        await timed("e-mail: weekly_department to the Classrooms head (+ files)", repeat, mail)
        from server.store import sqlite_reports

        if hasattr(sqlite_reports, "status_query"):
            plan_sql, plan_params = sqlite_reports.status_query(["supplies"], start, end)
            print("query plan of the weekly query:")
            for row in await reader.execute_fetchall("EXPLAIN QUERY PLAN " + plan_sql, plan_params):
                print("   ", row[3])
    finally:
        await runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", default="/tmp/khidma-reports-1m.db")
    args = parser.parse_args()
    asyncio.run(run(Path(args.db), args.tickets, args.repeat))


if __name__ == "__main__":
    main()
