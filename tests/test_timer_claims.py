"""Due timers claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (issue 14): two processes' timer loops
(here two stores, each with its pool, as two processes have) take disjoint timers, and every due timer
fires exactly once; a claim is leased, so a process that dies holding one leaves it to the others."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from server.definitions.catalogue import Catalogue
from server.definitions.loader import load_tree
from server.engine.model import Actor
from server.store.postgres import PostgresStore, open_postgres
from server.store.records import Ticket, Timer
from server.tickets import timer_firing
from server.tickets.service import Created, TicketService
from server.working_time import WorkingCalendar
from tests.definition_trees import minimal_files, t, write_tree

START = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)  # Wednesday 09:00 in Riyadh
DUE = START + dt.timedelta(hours=24)  # 7 working hours later (the day ends at 14:30)
CS = Actor(id="cs", name="cs", roles=frozenset({"customer_service"}), department="customer_service")
TICKETS = 40


class Clock:
    now = START

    def __call__(self) -> dt.datetime:
        return self.now


def reminder_catalogue(root: Path) -> Catalogue:
    files = minimal_files()
    week = {
        d: [{"start": "07:30", "end": "14:30"}]
        for d in ("sunday", "monday", "tuesday", "wednesday", "thursday")
    }
    files["service_definitions/organisation.json"]["calendar"]["week"] = week
    files["workflows/request.json"]["notifications"]["reminder"] = {
        "body": t("تذكير {{ ticket.number }}", "Reminder {{ ticket.number }}")
    }
    files["workflows/request.json"]["timers"]["reminder"]["effects"] = [
        {"notify": "reminder", "to": "head:$ticket", "channel": "email"}
    ]
    catalogue = load_tree(write_tree(root, files)).catalogue
    assert catalogue is not None
    return catalogue


@pytest.fixture
async def two_stores(pg_url: str, tmp_path: Path) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    first = await open_postgres(pg_url, tmp_path / "files")
    second = await open_postgres(pg_url, tmp_path / "files")
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


def service_on(store: PostgresStore, catalogue: Catalogue, clock: Clock) -> TicketService:
    return TicketService(store, WorkingCalendar.from_definition(catalogue.organisation.calendar), clock=clock)


async def routed_tickets(service: TicketService, count: int) -> list[Ticket]:
    tickets = []
    for i in range(count):
        created = await service.submit(
            "request",
            {"employee_id": str(i)},
            channel="web",
            actor=Actor(id=None, roles=frozenset({"requester"})),
        )
        assert isinstance(created, Created)
        routed = await service.act(created.ticket.id, "route", {}, actor=CS, expected_version=1)
        assert isinstance(routed, Ticket)
        tickets.append(routed)
    return tickets


async def test_two_timer_loops_take_disjoint_timers_and_each_fires_once(
    two_stores: tuple[PostgresStore, PostgresStore], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timer_firing, "TIMERS_PER_ROUND", 5)  # small batches: the two loops interleave
    catalogue = reminder_catalogue(tmp_path / "tree")
    clock = Clock()
    a, b = (service_on(store, catalogue, clock) for store in two_stores)
    await a.publish_shipped(catalogue)
    tickets = await routed_tickets(a, TICKETS)
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    conflicts = 0

    def spy(name: str, store: PostgresStore) -> None:
        claim, apply = store.claim_due_timers, store.apply_change

        async def claiming(**kwargs: Any) -> list[Timer]:
            timers = await claim(**kwargs)
            claimed[name] += [timer.id for timer in timers]
            await asyncio.sleep(0)
            return timers

        async def applying(*args: Any, **kwargs: Any) -> Ticket:
            nonlocal conflicts
            try:
                return await apply(*args, **kwargs)
            except Exception:
                conflicts += 1
                raise

        store.claim_due_timers = claiming  # type: ignore[method-assign]
        store.apply_change = applying  # type: ignore[method-assign]

    spy("a", two_stores[0])
    spy("b", two_stores[1])
    clock.now = DUE - dt.timedelta(minutes=1)
    assert await asyncio.gather(a.fire_due_timers(), b.fire_due_timers()) == [0, 0]
    clock.now = DUE
    fired = await asyncio.gather(a.fire_due_timers(), b.fire_due_timers())
    assert sum(fired) == TICKETS and all(fired), fired  # both loops took part…
    assert not set(claimed["a"]) & set(claimed["b"])  # …on different timers,
    assert sorted(claimed["a"] + claimed["b"]) == sorted(set(claimed["a"] + claimed["b"]))
    assert conflicts == 0  # so neither waited for a ticket the other was firing
    for ticket in tickets:
        events = await two_stores[0].list_events(ticket.id)
        assert [e.action for e in events].count("timer:reminder") == 1
    assert await two_stores[0].due_timers(now=DUE) == []
    assert await asyncio.gather(a.fire_due_timers(), b.fire_due_timers()) == [0, 0]


async def test_a_claim_is_leased_and_a_release_gives_it_back(
    two_stores: tuple[PostgresStore, PostgresStore], tmp_path: Path
) -> None:
    catalogue = reminder_catalogue(tmp_path / "tree")
    clock = Clock()
    service = service_on(two_stores[0], catalogue, clock)
    await service.publish_shipped(catalogue)
    await routed_tickets(service, 3)
    first, second = two_stores
    lease = dt.timedelta(minutes=5)
    assert await first.claim_due_timers(now=DUE - dt.timedelta(seconds=1), lease=lease) == []
    held = await first.claim_due_timers(now=DUE, limit=2, lease=lease)
    assert [timer.due_at for timer in held] == [DUE, DUE]
    rest = await second.claim_due_timers(now=DUE, lease=lease)
    assert len(rest) == 1 and rest[0].id not in {timer.id for timer in held}
    assert await second.claim_due_timers(now=DUE + lease - dt.timedelta(seconds=1), lease=lease) == []
    # the holder died: after the lease, another process takes its timers
    taken = await second.claim_due_timers(now=DUE + lease, lease=lease)
    assert {timer.id for timer in taken} == {timer.id for timer in held + rest}
    await second.release_timers([timer.id for timer in taken])
    again = await first.claim_due_timers(now=DUE + lease, lease=lease)
    assert {timer.id for timer in again} == {timer.id for timer in taken}
