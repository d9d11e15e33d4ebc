"""The weekly department report on many tickets: the store query and the whole report.

    .venv/bin/python bench/bench_reports.py [--tickets 100000] [--repeat 5]

Fills a fresh SQLite file as ``bench/bench_tasks.py`` does (the nine shipped services in realistic
proportions, creation dates over two years, one creation event each), then times (median of
``--repeat`` runs, ms) the Classrooms head's weekly report for the current week: the store query alone
(``report_tickets``, basis ``status``) and ``server.reports.service.build`` (query + grouping), and the
semi-annual e-mail report (basis ``created``), and the overdue tickets (``report_overdue`` over every
service — a tenth of the open tickets have a pending timer — and the ``overdue`` report, which also
checks each against the working calendar).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_tasks import populate
from server.reports import periods
from server.reports.service import build
from server.runtime import Runtime, load_shipped
from server.settings import Settings


async def run(tickets: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reports.db"
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
        print(f"{tickets} tickets inserted in {time.perf_counter() - started:.1f} s")
        runtime = await Runtime.open(settings, load_shipped(settings))
        try:
            today = now.date()
            week = periods.of_kind("week", today, runtime.org)
            half = periods.of_kind("half_year", today, runtime.org)
            start, end = week.bounds(runtime.tickets.calendar.tz)
            store = runtime.store

            async def timed(label: str, call: object) -> None:
                samples = []
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    result = await call()  # type: ignore[operator]
                    samples.append((time.perf_counter() - t0) * 1000)
                size = len(result) if isinstance(result, list) else len(result.tickets)
                print(f"  {label:58} {statistics.median(samples):8.1f} ms  ({size} tickets)")

            await timed(
                "store: weekly, Classrooms (supplies), basis status",
                lambda: store.report_tickets(services=["supplies"], basis="status", start=start, end=end),
            )
            await timed(
                "build: weekly_department, Classrooms",
                lambda: build(
                    runtime, "weekly_department", week, None, department="classrooms", trusted=True
                ),
            )
            await timed(
                "build: weekly_department, every department",
                lambda: build(runtime, "weekly_department", week, None, trusted=True),
            )
            await timed(
                "build: semiannual_unit (basis created)",
                lambda: build(runtime, "semiannual_unit", half, None, trusted=True),
            )
            every = sorted(runtime.catalogue.services)
            await timed(
                "store: overdue, every service",
                lambda: store.report_overdue(services=every, now=dt.datetime.now(dt.UTC)),
            )
            current = periods.of_kind("now", today, runtime.org)
            await timed("build: overdue", lambda: build(runtime, "overdue", current, None, trusted=True))
        finally:
            await runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.tickets, args.repeat))


if __name__ == "__main__":
    main()
