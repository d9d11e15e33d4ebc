"""Ticket submissions and staff actions per second through the service layer on each backend, one
process, one caller and several at once — SQLite (a temporary file, ``synchronous=FULL``) beside
PostgreSQL (a fresh cluster started here with its default, durable settings, or a database you give)
— with where a PostgreSQL transaction's time goes.

    .venv/bin/python bench/bench_store_backends.py [--pg postgresql://…] [--tickets N] [--concurrency C]
                                                   [--backend sqlite|postgresql|both] [--pool-size N]

Without ``--pg`` a PostgreSQL 15 cluster is started in a temporary directory (``fsync`` and
``synchronous_commit`` on; Debian's binaries, as ``bench/bench_scaleout.py`` does). A given database
must be empty (or hold only khidma's tables from an earlier run of this script).

For PostgreSQL it also prints, per submission or action (the service's whole call, its reads
included): the round trips to the server (each wait of psycopg for the server's
answer — a pipeline's batch of statements is one — including the service's reads), the milliseconds
spent in psycopg's waits (on the server and on the event loop) against the process's CPU, the
creations' groups committed so far (``postgres_group``), and the pool's waits for a connection
(``psycopg_pool`` statistics).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from server.definitions.loader import load_tree
from server.engine.model import Actor, Refusal
from server.paths import shipped_root
from server.store.interface import Store
from server.store.open import open_any
from server.store.postgres import open_postgres
from server.tickets.service import Conflict, Created, TicketService
from server.working_time import WorkingCalendar

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scaleout import start_postgres, stop_postgres

CS = Actor(id="cs-1", name="cs", roles=frozenset({"customer_service"}), department="customer_service")
REQUESTER = Actor(id="req-1", name="req", roles=frozenset({"requester"}))


class RoundTrips:
    """Counts the times psycopg, waiting, was woken by the server's answer arriving (it asks the event
    loop to wake it when the socket becomes readable): once per round trip, a pipeline's whole batch
    being one; and the time spent in psycopg's waits (on the server, and on the event loop)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    @contextmanager
    def installed(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        original_wait = psycopg.AsyncConnection.wait
        original_reader = loop.add_reader

        def add_reader(fd: Any, callback: Callable[..., object], *args: Any) -> None:
            def answered(*given: Any) -> None:  # woken because the server's answer arrived
                self.count += 1
                callback(*given)

            original_reader(fd, answered, *args)

        async def wait(conn: Any, gen: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original_wait(conn, gen, *args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        psycopg.AsyncConnection.wait = wait  # type: ignore[method-assign]
        loop.add_reader = add_reader  # type: ignore[method-assign]
        try:
            yield
        finally:
            psycopg.AsyncConnection.wait = original_wait  # type: ignore[method-assign]
            loop.add_reader = original_reader  # type: ignore[method-assign]


async def measure(
    name: str, store: Store, tickets: int, concurrency: int, url: str | None
) -> list[tuple[str, float, dict[str, float]]]:
    catalogue = load_tree(shipped_root()).catalogue
    assert catalogue is not None
    service = TicketService(store, WorkingCalendar.from_definition(catalogue.organisation.calendar))
    await service.publish_shipped(catalogue)
    data = dict(catalogue.services["supplies"].form.schema["examples"][0])
    ids: list[int] = []

    async def submit(count: int) -> None:
        for _ in range(count):
            result = await service.submit(
                "supplies", data, channel="web", actor=REQUESTER, requester_id="req-1"
            )
            assert isinstance(result, Created), result
            ids.append(result.ticket.id)

    async def act(mine: list[int]) -> None:
        for ticket_id in mine:
            ticket = await store.get_ticket(ticket_id)
            assert ticket is not None
            outcome = await service.act(
                ticket_id, "note_to_head", {"note": "تم التواصل"}, actor=CS, expected_version=ticket.version
            )
            assert not isinstance(outcome, Refusal | Conflict), outcome

    out: list[tuple[str, float, dict[str, float]]] = []

    async def timed(label: str, count: int, run: Callable[[], Any]) -> None:
        trips = RoundTrips()
        pool = getattr(store, "_pool", None)
        if pool is not None:
            pool.pop_stats()
        cpu, started = time.process_time(), time.perf_counter()
        with trips.installed():
            await run()
        wall = time.perf_counter() - started
        figures = {"cpu_ms": (time.process_time() - cpu) * 1000 / count, "wall_ms": wall * 1000 / count}
        if url:
            figures["round_trips"] = trips.count / count
            figures["waiting_ms"] = trips.seconds * 1000 / count
            groups = getattr(store, "_creations", None)
            if groups is not None:
                figures["groups"] = float(groups.groups)
        if pool is not None:
            stats = pool.pop_stats()
            figures["pool_waits"] = float(stats.get("requests_queued", 0))
            figures["pool_wait_ms"] = float(stats.get("requests_wait_ms", 0))
            figures["connections"] = float(stats.get("pool_size", 0))
        out.append((label, count / wall, figures))

    await timed(f"{name} submissions, one caller", tickets, lambda: submit(tickets))
    per = tickets // concurrency
    await timed(
        f"{name} submissions, {concurrency} at once",
        per * concurrency,
        lambda: asyncio.gather(*(submit(per) for _ in range(concurrency))),
    )
    one, many = ids[:tickets], ids[tickets:]
    await timed(f"{name} actions, one caller", len(one), lambda: act(one))
    await timed(
        f"{name} actions, {concurrency} at once",
        len(many),
        lambda: asyncio.gather(*(act(many[k::concurrency]) for k in range(concurrency))),
    )
    return out


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        targets: list[tuple[str, str]] = []
        if args.backend in ("sqlite", "both"):
            targets.append(("sqlite", str(Path(tmp) / "bench.db")))
        pg_dir: Path | None = None
        if args.backend in ("postgresql", "both"):
            if args.pg:
                targets.append(("postgresql", args.pg))
            else:
                pg_dir = Path(tempfile.mkdtemp(prefix="khidma-bench-pg-"))
                targets.append(("postgresql", start_postgres(pg_dir)))
        try:
            for name, db in targets:
                if name == "postgresql" and args.pool_size:
                    store: Store = await open_postgres(
                        db, Path(tmp) / f"{name}-files", pool_size=args.pool_size
                    )
                else:
                    store = await open_any(db, Path(tmp) / f"{name}-files")
                try:
                    url = db if db.startswith("postgresql://") else None
                    results = await measure(name, store, args.tickets, args.concurrency, url)
                finally:
                    await store.close()
                for label, rate, figures in results:
                    detail = "  ".join(f"{key} {value:.2f}" for key, value in figures.items())
                    print(f"{label:<36} {rate:8.1f}/s  {detail}", flush=True)
        finally:
            if pg_dir is not None:
                stop_postgres(pg_dir)
                shutil.rmtree(pg_dir, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", help="a postgresql:// URL of an empty database (default: a fresh cluster)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--pool-size", type=int, help="PostgreSQL connections per process (default: POOL_SIZE)"
    )
    asyncio.run(main(parser.parse_args()))
