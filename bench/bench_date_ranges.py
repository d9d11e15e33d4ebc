"""A page of "all" tickets within a creation-date range, in update order, at a million tickets (SQLite):
the way the store reads it now beside the way through the date index (read whole and sorted), in the
same run, on the same file.

    .venv/bin/python bench/bench_tasks.py --tickets 1000000 --repeat 1 --http-repeat 1 --serve-seconds 0 --keep /tmp/m1.db
    .venv/bin/python bench/bench_date_ranges.py /tmp/m1.db [--repeat 10]

The file is opened by the store (pending migrations applied; the time is printed). Each case is page 2
(25 rows and one more, as the task list asks), ``--repeat`` times each way: median and slowest, ms, and
the page's first ticket (both ways must agree).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.store import open_store, sqlite_tasks
from server.store.records import ReadScope, TaskFilter, TaskOrder


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path, help="a SQLite file kept by bench_tasks.py --keep")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    started = time.perf_counter()
    store = await open_store(args.db)
    print(f"opened (pending migrations applied) in {time.perf_counter() - started:.2f} s", flush=True)
    row = await (await store._reader.execute("SELECT max(created_at), count(*) FROM tickets")).fetchone()
    assert row is not None
    last = dt.datetime.fromisoformat(row[0])
    print(f"{row[1]:,} tickets, the last created {last:%Y-%m-%d}", flush=True)
    year, day = dt.timedelta(days=365), dt.timedelta(days=1)
    cases = [
        ("a year of dates, oldest update first", last - year, last + day, "updated"),
        ("a year of dates, newest update first", last - year, last + day, "-updated"),
        ("a month a year back, oldest update first", last - year - 30 * day, last - year, "updated"),
        ("a month a year back, newest update first", last - year - 30 * day, last - year, "-updated"),
    ]
    chosen = sqlite_tasks.walk_reaches_dates

    async def date_index(*_: Any) -> bool:
        return False

    for label, start, before, order in cases:
        task_filter = TaskFilter(scope=ReadScope(everything=True), created_from=start, created_before=before)
        firsts = set()
        for way, reach in (("as chosen now", chosen), ("through the date index", date_index)):
            sqlite_tasks.walk_reaches_dates = reach  # type: ignore[assignment]
            times = []
            for _ in range(args.repeat):
                begun = time.perf_counter()
                page = await store.list_tasks(task_filter, TaskOrder.parse(order), offset=25, limit=26)
                times.append((time.perf_counter() - begun) * 1000)
            firsts.add(page[0].id if page else None)
            print(
                f"all, {label:42} {way:23} median {statistics.median(times):8.1f} ms"
                f"  slowest {max(times):8.1f} ms  ({len(page)} rows)",
                flush=True,
            )
        sqlite_tasks.walk_reaches_dates = chosen
        assert len(firsts) == 1, f"the two ways disagree on {label}"
    await store.close()


if __name__ == "__main__":
    asyncio.run(main())
