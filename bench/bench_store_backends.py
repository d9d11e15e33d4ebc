"""Ticket submissions per second through the service layer on each backend, one process, sequential
and with concurrent submitters — SQLite (a temporary file, ``synchronous=FULL``) beside PostgreSQL
(a database you give, e.g. a local cluster with its default, durable settings).

    .venv/bin/python bench/bench_store_backends.py --pg postgresql://postgres@127.0.0.1:5432/bench \\
        [--tickets N] [--concurrency C]

The PostgreSQL database must be empty (or hold only khidma's tables from an earlier run of this
script: it is used as it is). Prints one line per backend and mode.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from server.definitions.loader import load_tree
from server.engine.model import Actor
from server.paths import shipped_root
from server.store.interface import Store
from server.store.open import open_any
from server.tickets.service import Created, TicketService
from server.working_time import WorkingCalendar

REQUESTER = Actor(id="req-1", name="req", roles=frozenset({"requester"}))


async def measure(store: Store, tickets: int, concurrency: int) -> tuple[float, float]:
    catalogue = load_tree(shipped_root()).catalogue
    assert catalogue is not None
    service = TicketService(store, WorkingCalendar.from_definition(catalogue.organisation.calendar))
    await service.publish_shipped(catalogue)
    data = dict(catalogue.services["supplies"].form.schema["examples"][0])

    async def submit(count: int) -> None:
        for _ in range(count):
            result = await service.submit(
                "supplies", data, channel="web", actor=REQUESTER, requester_id="req-1"
            )
            assert isinstance(result, Created), result

    started = time.perf_counter()
    await submit(tickets)
    sequential = tickets / (time.perf_counter() - started)
    started = time.perf_counter()
    await asyncio.gather(*(submit(tickets // concurrency) for _ in range(concurrency)))
    concurrent = (tickets // concurrency * concurrency) / (time.perf_counter() - started)
    return sequential, concurrent


async def main(pg: str, tickets: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, db in (("sqlite", str(Path(tmp) / "bench.db")), ("postgresql", pg)):
            store = await open_any(db, Path(tmp) / f"{name}-files")
            try:
                sequential, concurrent = await measure(store, tickets, concurrency)
            finally:
                await store.close()
            print(
                f"{name:<11} submissions/s: {sequential:7.1f} one at a time, {concurrent:7.1f} with {concurrency} at once"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", required=True, help="a postgresql:// URL of an empty database")
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.pg, args.tickets, args.concurrency))
