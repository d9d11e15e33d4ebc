"""Tickets created and actions applied per second through the service layer, on a real SQLite file.

    .venv/bin/python bench/bench_tickets.py [--tickets N] [--synchronous FULL|NORMAL] [--concurrency K]

With ``--concurrency K``, K callers at once (as K requests would): their transactions may share COMMITs.
``PYTHONPATH=/tmp/before`` runs the same calls on another checkout (``git archive REV | tar -x -C …``).

Prints the figures; docs/performance.md records them with this command.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

from server.definitions.loader import load_tree
from server.engine.model import Actor, Refusal
from server.paths import shipped_root
from server.store.sqlite import open_store
from server.tickets.service import Conflict, Created, TicketService
from server.working_time import WorkingCalendar

CS = Actor(id="cs-1", name="cs", roles=frozenset({"customer_service"}), department="customer_service")
REQUESTER = Actor(id="req-1", name="req", roles=frozenset({"requester"}))


async def run(tickets: int, synchronous: str, concurrency: int = 1) -> None:
    catalogue = load_tree(shipped_root()).catalogue
    assert catalogue is not None
    calendar = WorkingCalendar.from_definition(catalogue.organisation.calendar)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        store = await open_store(path, synchronous=synchronous)
        service = TicketService(store, calendar)
        await service.publish_shipped(catalogue)
        data = dict(catalogue.services["supplies"].form.schema["examples"][0])

        ids: list[int] = []

        async def create(count: int) -> None:
            for _ in range(count):
                result = await service.submit(
                    "supplies", data, channel="web", actor=REQUESTER, requester_id="req-1"
                )
                assert isinstance(result, Created), result
                ids.append(result.ticket.id)

        started = time.perf_counter()
        await asyncio.gather(*(create(tickets // concurrency) for _ in range(concurrency)))
        create_s = time.perf_counter() - started

        async def act(mine: list[int]) -> int:
            done = 0
            for ticket_id in mine:
                for action, payload in (
                    ("note_to_head", {"note": "تم التواصل مع العميل"}),
                    ("route_to_department", {}),
                ):
                    ticket = await store.get_ticket(ticket_id)
                    assert ticket is not None
                    outcome = await service.act(
                        ticket_id, action, payload, actor=CS, expected_version=ticket.version
                    )
                    assert not isinstance(outcome, Refusal | Conflict), outcome
                    done += 1
            return done

        started = time.perf_counter()
        actions = sum(await asyncio.gather(*(act(ids[k::concurrency]) for k in range(concurrency))))
        act_s = time.perf_counter() - started
        tickets = len(ids)
        await store.close()
        size = sum(f.stat().st_size for f in Path(tmp).glob("bench.db*"))

    print(
        f"synchronous={synchronous}, {tickets} tickets on a real SQLite file (WAL), {concurrency} callers at once"
    )
    print(
        f"  create ticket (validate, engine, ticket+event+outbox in one transaction): {tickets / create_s:8.0f} /s"
    )
    print(
        f"  apply action (load, engine, update+event+outbox in one transaction):     {actions / act_s:8.0f} /s"
    )
    print(f"  size on disk: {size / tickets:8.0f} bytes per ticket (3 events, outbox rows, data)")
    print(f"  cpu: {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--synchronous", default="FULL", choices=["FULL", "NORMAL"])
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args.tickets, args.synchronous, args.concurrency))


if __name__ == "__main__":
    main()
