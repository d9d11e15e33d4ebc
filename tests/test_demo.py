"""Demo mode (``khidma serve --demo``): every role and department has an account, the knowledge bank
and the custody ledger are filled, and every service has tickets in several of its states — all
seeded through the real ticket service on a real SQLite file, and only once however often it runs."""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from server.accounts.demo import DEMO_PASSWORD
from server.demo import DemoSeed, DemoSeedError, seed_demo
from server.demo.ledger import HOLDS_CUSTODY, NO_CUSTODY, RETURNED_CUSTODY
from server.demo.tickets import demo_tickets
from server.engine.model import Refusal
from server.runtime import Runtime, load_shipped
from server.settings import Settings
from server.store.records import Ticket
from server.tickets.actors import actor_of
from tests.conftest import running_server
from tests.web import html

INTERNATIONAL_MOBILE = re.compile(r"^\+9665[0-9]{8}$")
COUNTED = ("users", "tickets", "events", "ready_replies", "lookup_rows", "survey_responses", "outbox")


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = Settings(db_path=tmp_path / "demo.db", background_worker=False)
    opened = await Runtime.open(settings, load_shipped(settings))
    try:
        yield opened
    finally:
        await opened.close()


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in COUNTED}


async def demo_ticket(runtime: Runtime, service: str, key: str) -> Ticket:
    ticket = await runtime.store.get_ticket_by_idempotency_key(f"demo:{service}:{key}")
    assert ticket is not None, (service, key)
    return ticket


async def test_seeding_twice_fills_every_area_once(runtime: Runtime) -> None:
    first = await seed_demo(runtime)
    db = runtime.settings.db_path
    seeded = counts(db)
    second = await seed_demo(runtime)

    assert first.tickets.created == len(demo_tickets(datetime.now(UTC).date())) > 0
    assert (second.tickets.created, second.replies_added, second.custody_rows_added) == (0, 0, 0)
    assert second.tickets.existing == first.tickets.created
    assert counts(db) == seeded
    assert {a.username for a in second.accounts} == {a.username for a in first.accounts}


async def test_every_department_has_a_head_and_its_staff_with_contacts(runtime: Runtime) -> None:
    await seed_demo(runtime)
    store, org = runtime.store, runtime.org
    for dept_id, dept in org.departments.items():
        members = await store.users_in_department(dept_id)
        heads = [u for u in members if dept.head_role in u.roles]
        assert heads, f"{dept_id} has no head"
        if dept.head_role == "department_head":
            assert [u for u in members if dept.head_role not in u.roles], f"{dept_id} has no staff"
        if not dept.intake and dept.head_role == "department_head":
            staff = await store.get_user_by_username(f"staff.{dept_id}")
            assert staff is not None and staff.roles == ("department_staff",)
    for user in await store.list_users():
        assert user.email and user.email.endswith("@example.org"), user.username
        assert user.phone and INTERNATIONAL_MOBILE.match(user.phone), user.username
    coordinator = await store.get_user_by_username("tawasul_coordinator")
    assert coordinator is not None and coordinator.department == "customer_service"
    assert coordinator.phone and INTERNATIONAL_MOBILE.match(coordinator.phone)


async def test_an_old_demo_account_without_a_mobile_gets_one(runtime: Runtime) -> None:
    store = runtime.store
    await store.add_user(
        username="tawasul_coordinator",
        name="Old coordinator",
        roles=["tawasul_coordinator"],
        department="customer_service",
        now=datetime.now(UTC),
    )
    await seed_demo(runtime)
    coordinator = await store.get_user_by_username("tawasul_coordinator")
    assert coordinator is not None and coordinator.name == "Old coordinator"
    assert coordinator.phone and INTERNATIONAL_MOBILE.match(coordinator.phone)


async def test_the_knowledge_bank_and_the_custody_ledger_are_filled(runtime: Runtime) -> None:
    await seed_demo(runtime)
    store = runtime.store
    replies = await store.list_ready_replies(limit=100)
    assert len(replies) >= 8
    assert all(r.title_ar and r.title_en and r.body_ar and r.body_en and r.active for r in replies)
    assert await store.search_ready_replies("e-tickets")
    assert await store.count_lookup_rows("custody") > 0
    held = await store.lookup_rows("custody", HOLDS_CUSTODY)
    assert sum(int(row["quantity"]) for row in held) > 0
    returned = await store.lookup_rows("custody", RETURNED_CUSTODY)
    assert returned and sum(int(row["quantity"]) for row in returned) == 0
    assert await store.lookup_rows("custody", NO_CUSTODY) == []


async def test_an_uploaded_custody_ledger_is_never_overwritten(runtime: Runtime) -> None:
    await runtime.store.replace_lookup_table("custody", "employee_id", [{"employee_id": "1", "quantity": 1}])
    seed = await seed_demo(runtime)
    assert seed.custody_rows_added == 0
    assert await runtime.store.count_lookup_rows("custody") == 1


async def test_every_service_has_tickets_in_several_states(runtime: Runtime) -> None:
    seed: DemoSeed = await seed_demo(runtime)
    assert seed.tickets.skipped_services == ()
    states: dict[str, list[str]] = defaultdict(list)
    for demo in demo_tickets(datetime.now(UTC).date()):
        ticket = await demo_ticket(runtime, demo.service, demo.key)
        states[ticket.service_id].append(ticket.state)
    assert set(states) == set(runtime.catalogue.services)
    for service_id, seen in states.items():
        assert len(seen) >= 2 and len(set(seen)) >= 2, (service_id, seen)
    supplies = set(states["supplies"])
    assert {"received", "awaiting_clarification", "with_department", "in_progress", "closed"} <= supplies
    delegated = await demo_ticket(runtime, "supplies", "delegated")
    staff = await runtime.store.get_user_by_username("staff.classrooms")
    assert staff is not None and delegated.assignee_user == staff.id
    closed = await demo_ticket(runtime, "supplies", "done")
    rating = await runtime.store.get_survey_response(closed.id)
    assert rating is not None and rating.answers == {"service": 5}
    with sqlite3.connect(runtime.settings.db_path) as conn:
        statuses = {row[0] for row in conn.execute("SELECT DISTINCT status FROM outbox")}
    assert statuses == {"dead"}, "a demo message could be sent"


async def test_the_clearance_can_be_tried_both_ways(runtime: Runtime) -> None:
    await seed_demo(runtime)
    store = runtime.store
    cs = await store.get_user_by_username("customer_service")
    director = await store.get_user_by_username("director")
    assert cs is not None and director is not None
    held = await demo_ticket(runtime, "clearance", "holds-custody")
    refused = await runtime.tickets.act(
        held.id, "check_custody", {}, actor=actor_of(cs), expected_version=held.version
    )
    assert isinstance(refused, Refusal) and refused.guard == "no_custody_held"
    clear = await demo_ticket(runtime, "clearance", "with-director")
    accepted = await runtime.tickets.act(
        clear.id, "accept", {}, actor=actor_of(director), expected_version=clear.version
    )
    assert isinstance(accepted, Ticket) and accepted.state == "completed"


def test_serve_demo_lists_the_tickets_to_customer_service(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    with running_server(db, "--demo") as base, httpx.Client(base_url=base) as client:
        client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": "customer_service",
                "password": DEMO_PASSWORD,
                "_csrf_token": client.cookies["csrftoken"],
            },
        )
        assert response.status_code == 303
        page = client.get("/staff/tasks", headers={"accept-language": "en"})
        assert page.status_code == 200
        rows = html(page.text).css("table.tasks tbody tr")
        assert len(rows) >= 2


async def test_a_demo_ticket_the_definitions_refuse_is_named_with_its_field(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.demo import script, tickets

    broken = script.DemoTicket("phone", "broken", "cs", "phone", {"full_name": "x", "inquiry": "؟؟"})
    monkeypatch.setattr(tickets, "SERVICES", (lambda _today: [broken],))
    with pytest.raises(DemoSeedError, match=r"demo:phone:broken: submit refused: invalid_data.*/mobile"):
        await seed_demo(runtime)
