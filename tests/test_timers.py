"""Timers in working hours: set on entering a state, fired once when due, cancelled on leaving — on a
SQLite file and on PostgreSQL (``store_db``, tests/pg.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from server.definitions.loader import load_tree
from server.engine.model import Actor
from server.store.open import open_any
from server.store.records import Ticket
from server.tickets.service import Created, TicketService
from server.working_time import WorkingCalendar
from tests.definition_trees import minimal_files, t, write_tree

START = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)  # Wednesday 09:00 in Riyadh
CS = Actor(id="cs", name="cs", roles=frozenset({"customer_service"}), department="customer_service")


class Clock:
    now = START

    def __call__(self) -> dt.datetime:
        return self.now


async def test_a_timer_fires_once_after_its_working_hours(tmp_path: Path, store_db: str) -> None:
    files = minimal_files()
    week = {
        day: [{"start": "07:30", "end": "14:30"}]
        for day in ("sunday", "monday", "tuesday", "wednesday", "thursday")
    }
    files["service_definitions/organisation.json"]["calendar"]["week"] = week
    files["workflows/request.json"]["notifications"]["reminder"] = {
        "body": t("تذكير {{ ticket.number }}", "Reminder {{ ticket.number }}")
    }
    files["workflows/request.json"]["timers"]["reminder"]["effects"] = [
        {"notify": "reminder", "to": "head:$ticket", "channel": "email"}
    ]
    catalogue = load_tree(write_tree(tmp_path / "tree", files)).catalogue
    assert catalogue is not None
    store = await open_any(store_db, tmp_path / "files")
    try:
        await store.add_user(
            id="head",
            username="head",
            name="head",
            roles=["department_head"],
            department="classrooms",
            email="head@example.org",
            now=START,
        )
        clock = Clock()
        calendar = WorkingCalendar.from_definition(catalogue.organisation.calendar)
        service = TicketService(store, calendar, clock=clock)
        await service.publish_shipped(catalogue)
        created = await service.submit(
            "request",
            {"employee_id": "1"},
            channel="web",
            actor=Actor(id=None, roles=frozenset({"requester"})),
        )
        assert isinstance(created, Created)
        ticket = await service.act(created.ticket.id, "route", {}, actor=CS, expected_version=1)
        assert isinstance(ticket, Ticket)
        # 7 working hours from Wednesday 09:00 is Thursday 09:00 (the day ends at 14:30)
        clock.now = START + dt.timedelta(hours=23, minutes=59)
        assert await service.fire_due_timers() == 0
        clock.now = START + dt.timedelta(hours=24)
        assert await service.fire_due_timers() == 1
        assert await service.fire_due_timers() == 0  # fired once
        events = await store.list_events(ticket.id)
        assert [e.action for e in events] == ["create", "route", "timer:reminder"]
        assert events[-1].visibility == "internal"
        reminder = [m for m in await store.list_outbox(ticket.id) if m.template == "reminder"]
        assert [(m.recipient, m.channel) for m in reminder] == [("head@example.org", "email")]
        assert ticket.number in reminder[0].body
    finally:
        await store.close()


async def test_leaving_the_state_cancels_the_timer(tmp_path: Path, store_db: str) -> None:
    catalogue = load_tree(write_tree(tmp_path / "tree", minimal_files())).catalogue
    assert catalogue is not None
    store = await open_any(store_db, tmp_path / "files")
    try:
        clock = Clock()
        service = TicketService(
            store, WorkingCalendar.from_definition(catalogue.organisation.calendar), clock=clock
        )
        await service.publish_shipped(catalogue)
        created = await service.submit(
            "request",
            {"employee_id": "1"},
            channel="web",
            actor=Actor(id=None, roles=frozenset({"requester"})),
        )
        assert isinstance(created, Created)
        ticket = await service.act(created.ticket.id, "route", {}, actor=CS, expected_version=1)
        assert isinstance(ticket, Ticket)
        head = Actor(id="h", roles=frozenset({"department_head"}), department="classrooms")
        closed = await service.act(
            ticket.id,
            "answer",
            {"reply": "تم", "outcome": "done"},
            actor=head,
            expected_version=ticket.version,
        )
        assert isinstance(closed, Ticket) and closed.category == "closed"
        clock.now = START + dt.timedelta(days=7)
        assert await service.fire_due_timers() == 0
        assert [e.action for e in await store.list_events(ticket.id)] == ["create", "route", "answer"]
    finally:
        await store.close()
