"""The service layer on a real store — a SQLite file, and a PostgreSQL database (tests/pg.py): engine +
store in one transaction per action."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.engine.model import Actor, Refusal
from server.store.interface import Store
from server.store.open import is_postgres_url, open_any
from server.store.records import Ticket
from server.tickets.replay import replay_ticket
from server.tickets.service import Conflict, Created, TicketService
from server.working_time import WorkingCalendar
from tests.engine_harness import catalogue, example

NOW = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)  # Wednesday 09:00 in Riyadh
CS = Actor(id="cs-1", name="ممثل", roles=frozenset({"customer_service"}), department="customer_service")
HEAD = Actor(id="head-cls", name="رئيس", roles=frozenset({"department_head"}), department="classrooms")
STAFF = Actor(id="staff-cls", name="موظف", roles=frozenset({"department_staff"}), department="classrooms")
DIRECTOR = Actor(id="dir-1", name="المدير", roles=frozenset({"director"}), department="directorate")
REQUESTER = Actor(id="req-1", name="كلية", roles=frozenset({"requester"}))


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database of the test: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return str(tmp_path / "khidma.db")
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
async def store(db: str, tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_any(db, tmp_path / "files")
    users = [
        ("cs-1", "cs", ["customer_service"], "customer_service", "cs@example.org", None),
        ("head-cls", "head", ["department_head"], "classrooms", "head@example.org", "0500000001"),
        ("staff-cls", "staff", ["department_staff"], "classrooms", "staff@example.org", None),
        ("dir-1", "director", ["director"], "directorate", "director@example.org", None),
        ("req-1", "college", ["requester"], None, "college@example.org", "0500000002"),
        ("coord-1", "coord", ["tawasul_coordinator"], "customer_service", None, "0500000003"),
    ]
    for uid, username, roles, dept, email, phone in users:
        await store.add_user(
            id=uid,
            username=username,
            name=username,
            roles=roles,
            department=dept,
            email=email,
            phone=phone,
            now=NOW,
        )
    yield store
    await store.close()


@pytest.fixture
async def service(store: Store) -> TicketService:
    cat = catalogue()
    calendar = WorkingCalendar.from_definition(cat.organisation.calendar)
    service = TicketService(store, calendar, base_url="https://khidma.example", clock=Clock())
    published = await service.publish_shipped(cat)
    assert len(published) == 9
    assert await service.publish_shipped(cat) == []  # a second start publishes nothing
    return service


def supplies_data() -> dict[str, Any]:
    return dict(catalogue().services["supplies"].form.schema["examples"][0])


async def submit(service: TicketService, service_id: str = "supplies", **kw: Any) -> Ticket:
    data = kw.pop("data", None) or dict(catalogue().services[service_id].form.schema["examples"][0])
    kw.setdefault("channel", "web")
    kw.setdefault("actor", REQUESTER)
    kw.setdefault("requester_id", "req-1" if kw["actor"] is REQUESTER else None)
    created = await service.submit(service_id, data, **kw)
    assert isinstance(created, Created), created
    return created.ticket


async def act(
    service: TicketService,
    ticket: Ticket,
    actor: Actor,
    action: str,
    data: dict[str, Any] | None = None,
    index: int = 0,
) -> Ticket:
    compiled = await service.compiled_version(ticket.definition_version_id)
    payload = data if data is not None else example(compiled, action, index)
    result = await service.act(ticket.id, action, payload, actor=actor, expected_version=ticket.version)
    assert isinstance(result, Ticket), result
    assert result.version == ticket.version + 1
    return result


async def test_supplies_full_path_writes_ticket_events_and_outbox(
    service: TicketService, store: Store
) -> None:
    ticket = await submit(service)
    assert re.fullmatch(r"2026-\d{6}", ticket.number) and len(ticket.tracking_code) >= 16
    assert (ticket.state, ticket.category, ticket.department, ticket.assignee_role) == (
        "received",
        "open",
        "customer_service",
        "customer_service",
    )
    outbox = await store.list_outbox(ticket.id)
    assert [(m.template, m.recipient, m.channel) for m in outbox] == [
        ("received_notice", "college@example.org", "email")
    ]
    assert ticket.number in outbox[0].body and ticket.tracking_code in outbox[0].body

    ticket = await act(service, ticket, CS, "note_to_head")
    ticket = await act(service, ticket, CS, "route_to_department")
    assert (ticket.department, ticket.assignee_role) == ("classrooms", "department_head")
    assert (await store.list_outbox(ticket.id))[-1].recipient == "head@example.org"
    ticket = await act(service, ticket, HEAD, "delegate", {"assignee": "staff-cls", "note": "تفضل"})
    assert (ticket.assignee_user, ticket.category) == ("staff-cls", "in_progress")
    ticket = await act(service, ticket, STAFF, "return_to_customer_service", index=1)
    assert ticket.vars["outcome"] == "not_done_unavailable"
    ticket = await act(service, ticket, CS, "reply_and_close")
    assert ticket.category == "closed" and ticket.closed_at is not None
    assert (ticket.department, ticket.assignee_role) == ("classrooms", "department_head")
    messages = await store.list_outbox(ticket.id)
    closing = next(m for m in messages if m.template == "closed_notice")
    assert f"https://khidma.example/survey/{ticket.number}?code={ticket.tracking_code}" in closing.body
    assert any(m.template == "supply_delivery_date" and m.recipient == "head@example.org" for m in messages)
    ticket = await act(service, ticket, CS, "reopen")
    assert ticket.state == "with_department" and ticket.closed_at is None

    events = await store.list_events(ticket.id)
    assert [e.action for e in events] == [
        "create",
        "note_to_head",
        "route_to_department",
        "delegate",
        "return_to_customer_service",
        "reply_and_close",
        "reopen",
    ]
    assert [e.seq for e in events] == list(range(1, 8))
    assert [e.action for e in await store.list_events(ticket.id, public_only=True)] == [
        "create",
        "reply_and_close",
    ]
    assignments = await store.list_assignments(ticket.id)
    assert [(a.department, a.role, a.user_id) for a in assignments][:3] == [
        ("customer_service", "customer_service", None),
        ("classrooms", "department_head", None),
        ("classrooms", None, "staff-cls"),
    ]
    replayed = await replay_ticket(service, ticket)
    assert (replayed.state, replayed.vars, replayed.assignment.department) == (
        ticket.state,
        ticket.vars,
        ticket.department,
    )


async def test_refusals_write_nothing(service: TicketService, store: Store) -> None:
    ticket = await submit(service)
    refusal = await service.act(
        ticket.id, "delegate", {"assignee": "x", "note": "ok ok"}, actor=CS, expected_version=ticket.version
    )
    assert isinstance(refusal, Refusal) and refusal.reason == "not_allowed_actor"
    bad = await service.submit(
        "supplies",
        {**supplies_data(), "contact_mobile": "12"},
        channel="web",
        actor=REQUESTER,
        requester_id="req-1",
    )
    assert isinstance(bad, Refusal) and [e.path for e in bad.field_errors] == ["/contact_mobile"]
    assert len(await store.list_events(ticket.id)) == 1
    fresh = await store.get_ticket(ticket.id)
    assert fresh is not None and fresh.version == ticket.version


async def test_stale_version_is_a_conflict_with_the_fresh_ticket(service: TicketService) -> None:
    ticket = await submit(service)
    moved = await act(service, ticket, CS, "note_to_head")
    stale = await service.act(ticket.id, "route_to_department", {}, actor=CS, expected_version=ticket.version)
    assert isinstance(stale, Conflict) and stale.ticket.version == moved.version


async def test_a_ticket_the_caller_read_before_a_change_is_still_a_conflict(
    service: TicketService, store: Store
) -> None:
    """``known``: the ticket the caller read to check access, not read again; a change made since it
    was read is found by the transaction's version check."""
    ticket = await submit(service)
    moved = await act(service, ticket, CS, "note_to_head")
    stale = await service.act(
        ticket.id, "route_to_department", {}, actor=CS, expected_version=ticket.version, known=ticket
    )
    assert isinstance(stale, Conflict) and stale.ticket.version == moved.version
    assert len(await store.list_events(ticket.id)) == 2  # created, the note: nothing of the stale one


async def test_two_concurrent_actions_exactly_one_wins(service: TicketService, store: Store) -> None:
    ticket = await submit(service)
    results = await asyncio.gather(
        service.act(ticket.id, "route_to_department", {}, actor=CS, expected_version=ticket.version),
        service.act(
            ticket.id,
            "request_clarification",
            {"question": "ما رقم القاعة؟"},
            actor=CS,
            expected_version=ticket.version,
        ),
    )
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Ticket"]
    assert len(await store.list_events(ticket.id)) == 2


async def test_two_stores_on_one_database_one_action_wins(
    service: TicketService, db: str, tmp_path: Path
) -> None:
    ticket = await submit(service)
    other_store = await open_any(db, tmp_path / "files")
    try:
        other = TicketService(other_store, service.calendar, clock=service.clock)
        results = await asyncio.gather(
            service.act(ticket.id, "route_to_department", {}, actor=CS, expected_version=ticket.version),
            other.act(ticket.id, "route_to_department", {}, actor=CS, expected_version=ticket.version),
        )
    finally:
        await other_store.close()
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Ticket"]


async def test_idempotency_key_makes_a_retry_safe(service: TicketService, store: Store) -> None:
    first = await service.submit(
        "supplies",
        supplies_data(),
        channel="web",
        actor=REQUESTER,
        requester_id="req-1",
        idempotency_key="abc-123",
    )
    again = await service.submit(
        "supplies",
        supplies_data(),
        channel="web",
        actor=REQUESTER,
        requester_id="req-1",
        idempotency_key="abc-123",
    )
    assert isinstance(first, Created) and isinstance(again, Created)
    assert (first.created, again.created) == (True, False)
    assert first.ticket.id == again.ticket.id
    assert len(await store.list_outbox(first.ticket.id)) == 1


async def test_clearance_reads_the_custody_ledger_in_the_store(service: TicketService, store: Store) -> None:
    await store.replace_lookup_table(
        "custody", "employee_id", [{"employee_id": "100234", "item": "حاسب", "quantity": 1}]
    )
    ticket = await submit(service, "clearance", channel="academic_system")
    refusal = await service.act(ticket.id, "check_custody", {}, actor=CS, expected_version=ticket.version)
    assert isinstance(refusal, Refusal) and refusal.guard == "no_custody_held"
    ticket = await act(service, ticket, CS, "request_custody_return")
    ticket = await act(service, ticket, REQUESTER, "attach_return_form")
    refusal = await service.act(ticket.id, "accept", {}, actor=DIRECTOR, expected_version=ticket.version)
    assert isinstance(refusal, Refusal)
    await store.replace_lookup_table(
        "custody",
        "employee_id",
        [
            {"employee_id": "100234", "item": "حاسب", "quantity": 1},
            {"employee_id": "100234", "item": "حاسب", "quantity": -1},
        ],
    )
    ticket = await act(service, ticket, DIRECTOR, "accept")
    assert (ticket.state, ticket.category) == ("completed", "closed")


async def test_tawasul_coordinator_gets_an_sms_and_the_requester_is_reached_by_form_contact(
    service: TicketService, store: Store
) -> None:
    data = {**catalogue().services["tawasul"].form.schema["examples"][0], "mobile": "0555555555"}
    ticket = await submit(service, "tawasul", channel="tawasul", actor=CS, data=data)
    outbox = await store.list_outbox(ticket.id)
    assert [(m.template, m.channel, m.recipient) for m in outbox] == [("new_ticket", "sms", "+966500000003")]
    ticket = await act(service, ticket, CS, "acknowledge")
    last = (await store.list_outbox(ticket.id))[-1]
    assert (last.template, last.channel, last.recipient) == ("acknowledged", "sms", "+966555555555")


async def test_english_requester_gets_english_notices(service: TicketService, store: Store) -> None:
    created = await service.submit(
        "supplies", supplies_data(), channel="web", actor=REQUESTER, requester_id="req-1", lang="en"
    )
    assert isinstance(created, Created) and created.ticket.language == "en"
    message = (await store.list_outbox(created.ticket.id))[0]
    assert message.language == "en" and re.search(r"[A-Za-z]{4}", message.body)


async def test_tickets_stay_on_their_version(service: TicketService, store: Store) -> None:
    old = await submit(service)
    first = await store.latest_definition("supplies")
    assert first is not None
    bundle = dict(first.bundle)
    bundle["workflows/supplies.json"] = bundle["workflows/supplies.json"].replace(
        '"en": "Transferred to the Classrooms department"', '"en": "With the Classrooms department"'
    )
    from server.definitions.bundle import content_hash

    second = await store.publish_definition(
        "supplies", bundle, content_hash(bundle), created_by="admin", note="relabel", now=NOW
    )
    assert second.version == first.version + 1
    new = await submit(service)
    assert (old.definition_version_id, new.definition_version_id) == (first.id, second.id)
    moved = await act(service, old, CS, "route_to_department")
    assert moved.definition_version_id == first.id
    old_label = (await service.compiled_version(first.id)).workflow.states["with_department"].label.en
    new_label = (await service.compiled_version(second.id)).workflow.states["with_department"].label.en
    assert (old_label, new_label) == (
        "Transferred to the Classrooms department",
        "With the Classrooms department",
    )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_replaying_the_event_log_gives_the_ticket_row(
    tmp_path_factory: pytest.TempPathFactory, db: str, data: st.DataObject
) -> None:
    # a fresh SQLite file per example; on PostgreSQL the test's schema, each example on its own ticket
    path = db if is_postgres_url(db) else str(tmp_path_factory.mktemp("replay") / "k.db")
    store = await open_any(path, tmp_path_factory.mktemp("files"))
    try:
        for uid, roles, dept in [
            ("cs-1", ["customer_service"], "customer_service"),
            ("head-cls", ["department_head"], "classrooms"),
            ("staff-cls", ["department_staff"], "classrooms"),
            ("dir-1", ["director"], "directorate"),
        ]:
            if await store.get_user(uid) is None:
                await store.add_user(id=uid, username=uid, name=uid, roles=roles, department=dept, now=NOW)
        cat = catalogue()
        service = TicketService(
            store, WorkingCalendar.from_definition(cat.organisation.calendar), clock=Clock()
        )
        await service.publish_shipped(cat)
        service_id = data.draw(st.sampled_from(["supplies", "clearance", "tawasul", "whatsapp", "email"]))
        compiled = cat.services[service_id]
        creator = REQUESTER if "requester" in compiled.service.eligible_roles else CS
        ticket = await submit(service, service_id, channel=compiled.service.channels[0], actor=creator)
        actors = [
            CS,
            HEAD,
            STAFF,
            DIRECTOR,
            REQUESTER,
            Actor(id="coord-1", roles=frozenset({"tawasul_coordinator"}), department="customer_service"),
        ]
        for _ in range(data.draw(st.integers(1, 12))):
            who = data.draw(st.sampled_from(actors))
            action = data.draw(st.sampled_from(sorted(compiled.workflow.actions)))
            payload = example(compiled, action, data.draw(st.integers(0, 3)))
            if "assignee" in payload:
                payload["assignee"] = "staff-cls"
            result = await service.act(ticket.id, action, payload, actor=who, expected_version=ticket.version)
            if isinstance(result, Ticket):
                ticket = result
        replayed = await replay_ticket(service, ticket)
        assert replayed.state == ticket.state
        assert replayed.vars == ticket.vars
        assert (replayed.assignment.department, replayed.assignment.role, replayed.assignment.user) == (
            ticket.department,
            ticket.assignee_role,
            ticket.assignee_user,
        )
        assert len(await store.list_events(ticket.id)) == ticket.version
        if ticket.category == "closed":
            assert ticket.department in cat.organisation.departments
    finally:
        await store.close()
