"""A ticket's read beside a staff list at 1,000,000 tickets: the SQLite store's point reads on a connection of
their own (``SQLiteStore._reader``) against the same reads sharing one connection with the lists (the store
before: ``_scans`` set to ``_reader`` for the comparison), in turns, in one run.

    .venv/bin/python bench/bench_tasks.py --tickets 1000000 --keep /tmp/k1m/m1.db   # builds the file once
    PYTHONPATH=. .venv/bin/python bench/bench_read_isolation.py --db /tmp/k1m/m1.db [--seconds 4] [--rounds 2]

For each arrangement: ``get_ticket`` of random tickets, one every 2 ms, alone and then while the head of
Classrooms' list of a family name (``task_list``: its bounded count and its first page) is read again and
again beside it; p50 / p99 / max of the reads, in ms, and the list's median.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_tasks

from server.access import read_scope
from server.definitions.loader import load_tree
from server.paths import shipped_root
from server.store.sqlite import SQLiteStore, open_store
from server.tickets.tasks import TaskParams, task_list
from server.working_time import WorkingCalendar


def spread(samples: list[float]) -> str:
    ordered = sorted(samples)
    return (
        f"p50 {ordered[len(ordered) // 2]:6.2f}  p99 {ordered[int(len(ordered) * 0.99)]:6.2f}"
        f"  max {ordered[-1]:7.1f} ms  ({len(ordered)} reads)"
    )


async def reads(store: SQLiteStore, last_id: int, seconds: float) -> list[float]:
    samples = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        started = time.perf_counter()
        await store.get_ticket(random.randint(1, last_id))
        samples.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.002)
    return samples


async def run(db: Path, seconds: float, rounds: int) -> None:
    catalogue = load_tree(shipped_root()).catalogue
    assert catalogue is not None
    org = catalogue.organisation
    tz = WorkingCalendar.from_definition(org.calendar).tz
    store = await open_store(db)
    now = dt.datetime.now(dt.UTC)
    head, *_ = await bench_tasks._users(store, org, now)
    services = {s: c.service.department for s, c in catalogue.services.items()}
    scope = read_scope(head, org, services)
    params = TaskParams(view="department", q="الغامدي")
    row = await (await store._reader.execute("SELECT max(id) FROM tickets")).fetchone()
    last_id = int(row[0]) if row is not None else 1
    own_scans = store._scans
    try:
        for round_number in range(rounds):
            for label, scans in (("one connection (before)", store._reader), ("two connections", own_scans)):
                store._scans = scans
                alone = await reads(store, last_id, seconds)
                stop = asyncio.Event()
                lists: list[float] = []

                async def lister(stop: asyncio.Event, lists: list[float]) -> None:
                    while not stop.is_set():
                        started = time.perf_counter()
                        await task_list(store, head, org, scope, params, tz)
                        lists.append((time.perf_counter() - started) * 1000)

                listing = asyncio.create_task(lister(stop, lists))
                beside = await reads(store, last_id, seconds)
                stop.set()
                await listing
                print(f"round {round_number + 1}, {label}:")
                print(f"  get_ticket alone              {spread(alone)}")
                print(f"  get_ticket beside the list    {spread(beside)}")
                print(
                    f"  the list (count + page 1)     median {statistics.median(lists):6.1f} ms ({len(lists)} reads)"
                )
    finally:
        store._scans = own_scans
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True, help="a file bench_tasks.py --keep built")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(run(args.db, args.seconds, args.rounds))


if __name__ == "__main__":
    main()
