""" "Next ticket" at 1,000,000 tickets: read from the current ticket's key (``task_pages.next_in_list``)
against the walk it replaced (offsets in batches of 100, up to 5,000 down), on the same file, in turns.

    .venv/bin/python bench/bench_tasks.py --tickets 1000000 --keep /tmp/k1m/m1.db   # builds the file once
    PYTHONPATH=. .venv/bin/python bench/bench_next_ticket.py --db /tmp/k1m/m1.db [--repeat 5]

For a ticket at a given position of the head of Classrooms' list (newest update first; a family name
many tickets hold; by due time), the median of ``--repeat`` look-ups each way, in ms; both must find the
same ticket.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from server.store.records import ReadScope, TaskFilter, TaskOrder
from server.store.sqlite import open_store
from server.tickets.task_pages import next_in_list
from server.tickets.tasks import search_query


async def by_offsets(store: object, task_filter: TaskFilter, order: TaskOrder, after: int) -> int | None:
    """The walk "next ticket" did before: batches of 100 ids by offset until ``after`` is passed."""
    first, found = None, False
    for offset in range(0, 5000, 100):
        ids = await store.list_task_ids(task_filter, order, offset=offset, limit=100)  # type: ignore[attr-defined]
        for ticket_id in ids:
            if found:
                return int(ticket_id)
            if first is None and ticket_id != after:
                first = ticket_id
            found = ticket_id == after
        if len(ids) < 100:
            break
    return None if found else first


async def run(db: Path, repeat: int) -> None:
    store = await open_store(db)
    department = TaskFilter(scope=ReadScope(everything=True), held_by=frozenset({"classrooms"}))
    family = TaskFilter(
        scope=ReadScope(everything=True), held_by=frozenset({"classrooms"}), text=search_query("الغامدي")
    )
    cases = [
        ("department, newest update first, position 20", department, TaskOrder(), 20),
        ("department, newest update first, position 3,000", department, TaskOrder(), 3000),
        ("department, a family name, position 3,000", family, TaskOrder(), 3000),
        ("department, by due time, position 3,000", department, TaskOrder(key="due", descending=False), 3000),
    ]
    print(f"{'case':52} {'offsets':>10} {'key':>8}  (median ms of {repeat})")
    try:
        for label, task_filter, order, position in cases:
            ids = await store.list_task_ids(task_filter, order, offset=position, limit=2)
            times: dict[str, list[float]] = {"offsets": [], "key": []}
            for _ in range(repeat):
                for name, find in (("offsets", by_offsets), ("key", next_in_list)):
                    start = time.perf_counter()
                    found = await find(store, task_filter, order, ids[0])
                    times[name].append((time.perf_counter() - start) * 1000)
                    assert found == ids[1], (label, name, found, ids)
            print(
                f"{label:52} {statistics.median(times['offsets']):10.1f} {statistics.median(times['key']):8.1f}"
            )
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True, help="a file bench_tasks.py --keep made")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.db, args.repeat))


if __name__ == "__main__":
    main()
