"""Demo mode (``khidma serve --demo``): every role and department has an account, the knowledge bank
and the custody ledger are filled, and every service has tickets in several of its states — all
seeded through the real ticket service on a real SQLite file, and only once however often it runs."""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
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
from tests.web import db_for, html, settings_for

INTERNATIONAL_MOBILE = re.compile(r"^\+9665[0-9]{8}$")
COUNTED = ("users", "tickets", "events", "ready_replies", "lookup_rows", "survey_responses", "outbox")


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = settings_for(tmp_path, background_worker=False)
    opened = await Runtime.open(settings, load_shipped(settings))
    try:
        yield opened
    finally:
        await opened.close()


def counts(runtime: Runtime) -> dict[str, int]:
    return dict(_select(runtime, "count(*)", COUNTED))


def _select(runtime: Runtime, what: str, tables: tuple[str, ...]) -> list[tuple[str, Any]]:
    """``SELECT what FROM table`` in each table, straight from the database (SQLite or PostgreSQL): the
    one column, or a tuple of several."""

    def value(row: Any) -> Any:
        return row[0] if len(row) == 1 else tuple(row)

    if runtime.settings.db_url:
        with psycopg.connect(runtime.settings.db_url) as pg:
            return [
                (t, value(row)) for t in tables for row in pg.execute(f"SELECT {what} FROM {t}").fetchall()
            ]
    with sqlite3.connect(runtime.settings.db_path) as conn:
        return [(t, value(row)) for t in tables for row in conn.execute(f"SELECT {what} FROM {t}").fetchall()]


def _when(value: str | datetime) -> datetime:
    """A time as stored: ISO text on SQLite, ``timestamptz`` on PostgreSQL."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


async def demo_ticket(runtime: Runtime, service: str, key: str) -> Ticket:
    ticket = await runtime.store.get_ticket_by_idempotency_key(f"demo:{service}:{key}")
    assert ticket is not None, (service, key)
    return ticket


async def test_seeding_twice_fills_every_area_once(runtime: Runtime) -> None:
    first = await seed_demo(runtime)
    seeded = counts(runtime)
    second = await seed_demo(runtime)

    assert first.tickets.created == len(demo_tickets(datetime.now(UTC).date())) > 0
    assert (second.tickets.created, second.replies_added, second.custody_rows_added) == (0, 0, 0)
    assert second.tickets.existing == first.tickets.created
    assert counts(runtime) == seeded
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
    statuses = {status for _, status in _select(runtime, "DISTINCT status", ("outbox",))}
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
    db = db_for(tmp_path)
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
        replies = client.get("/staff/replies/", headers={"accept-language": "en"})
        assert replies.status_code == 200 and html(replies.text).css("#replies tbody tr")
        client.post("/logout", data={"_csrf_token": client.cookies["csrftoken"]})
        client.cookies.clear()
        client.get("/login")
        client.post(
            "/login",
            data={
                "username": "administrator",
                "password": DEMO_PASSWORD,
                "_csrf_token": client.cookies["csrftoken"],
            },
        )
        sent = client.get("/admin/demo/sent", headers={"accept-language": "en"})
        assert sent.status_code == 200 and html(sent.text).css_first("#demo-sent-summary") is not None


async def test_a_demo_ticket_the_definitions_refuse_is_named_with_its_field(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.demo import script, tickets

    broken = script.DemoTicket("phone", "broken", "cs", "phone", {"full_name": "x", "inquiry": "؟؟"})
    monkeypatch.setattr(tickets, "SERVICES", (lambda _today: [broken],))
    with pytest.raises(DemoSeedError, match=r"demo:phone:broken: submit refused: invalid_data.*/mobile"):
        await seed_demo(runtime)


# --- the demo's channels (issue 12): supervisor, keys, a threaded e-mail, earlier weeks, stand-ins ----


async def test_the_general_supervisor_has_an_email_and_no_department(runtime: Runtime) -> None:
    await seed_demo(runtime)
    supervisor = await runtime.store.get_user_by_username("general_supervisor")
    assert supervisor is not None and supervisor.department is None
    assert supervisor.email == "general_supervisor@example.org"


async def test_the_printed_integration_keys_open_their_intake_apis(runtime: Runtime) -> None:
    from server.channels.keys import authenticate
    from server.demo.channels import DEMO_KEYS

    seed = await seed_demo(runtime)
    assert seed.keys == DEMO_KEYS
    from server.demo import summary

    printed = summary(seed)
    now = datetime.now(UTC)
    for channel, key in DEMO_KEYS.items():
        assert key in printed
        found = await authenticate(runtime.store, {"x-api-key": key}, channel, now=now)
        assert found is not None and found.name == f"demo-{channel}"
    assert await authenticate(runtime.store, {"x-api-key": DEMO_KEYS["tawasul"]}, "email", now=now) is None
    again = await seed_demo(runtime)  # seeding again makes no second key
    assert again.keys == DEMO_KEYS and len(await runtime.store.list_integration_keys()) == len(DEMO_KEYS)


async def test_a_threaded_email_was_answered_and_is_in_the_replies_log(runtime: Runtime) -> None:
    from server.channels.replies import log_definition, query_of, read_filters

    await seed_demo(runtime)
    ticket_id = await runtime.store.ticket_of_messages(["demo-thread-2@engineering.example.org"], [])
    assert ticket_id is not None
    events = await runtime.store.list_events(ticket_id)
    assert [e.action for e in events] == ["create", "sender_writes", "sort", "reply_eticket"]
    assert await runtime.store.mail_thread(ticket_id, before=datetime.now(UTC)) == [
        "demo-thread-1@engineering.example.org",
        "demo-thread-2@engineering.example.org",
    ]
    definition = await log_definition(runtime)
    filters = read_filters({}, definition, "en")
    rows, total = await runtime.store.reply_log(
        query_of(definition, filters, runtime.tickets.calendar.tz, offset=0, limit=500)
    )
    mine = [r for r in rows if r.ticket_id == ticket_id]
    assert len(mine) == 1 and mine[0].recipient == "engineering@example.org"
    assert mine[0].copies == ("general_supervisor@example.org",) and mine[0].klass == "supplies_request"
    assert total > 1  # the earlier weeks' answered e-mails are in the log too


async def test_earlier_weeks_have_tickets_for_the_reports(runtime: Runtime) -> None:
    from server.demo.channels import WEEKS_BACK, history_tickets

    seed = await seed_demo(runtime)
    dated = history_tickets(datetime.now(UTC).date())
    assert seed.history.created == len(dated) > 0
    now = datetime.now(UTC)
    times = _select(runtime, "created_at, closed_at", ("tickets",))
    created = [_when(c) for _, (c, _closed) in times]
    closed_before = sum(1 for _, (_c, closed) in times if closed and _when(closed) < now - timedelta(days=6))
    weeks = {(now - c).days // 7 for c in created}
    assert set(range(1, WEEKS_BACK + 1)) <= weeks
    assert closed_before >= WEEKS_BACK
    for weeks_back, demo in dated[:3]:
        ticket = await demo_ticket(runtime, demo.service, demo.key)
        age = now - ticket.created_at
        assert timedelta(weeks=weeks_back) < age < timedelta(weeks=weeks_back, days=1)


async def test_the_stand_ins_receive_every_channel_and_the_admin_page_lists_it(tmp_path: Path) -> None:
    from server.demo.gateways import StandIns, running
    from server.notify.gateways import build_gateways
    from server.store.records import OutboxMessage
    from tests.test_staff_ticket import as_user
    from tests.web import client_for

    stand_ins = StandIns().start()
    try:
        settings = stand_ins.settings_for(
            Settings(db_path=tmp_path / "x.db", sms_webhook_url="http://sms.example/hook")
        )
        assert settings.smtp_host == "127.0.0.1" and settings.sms_webhook_url == "http://sms.example/hook"
        gateways = build_gateways(settings)
        now = datetime.now(UTC)

        def message(channel: str, recipient: str, body: str, **extra: object) -> OutboxMessage:
            return OutboxMessage(
                id=1,
                ticket_id=1,
                event_id=1,
                created_at=now,
                channel=channel,
                recipient=recipient,
                template="t",
                language="ar",
                subject="رد: طلب",
                body=body,
                status="sending",
                attempts=1,
                next_attempt_at=now,
                gateway_request_id="r1",
                sent_at=None,
                last_error=None,
                updated_at=now,
                **extra,  # type: ignore[arg-type]
            )

        await gateways["email"].send(message("email", "a@example.org", "نص البريد", thread=("q1@x.example",)))
        await build_gateways(stand_ins.settings_for(Settings(db_path=tmp_path / "y.db")))["sms"].send(
            message("sms", "+966551234567", "رسالة نصية")
        )
        await gateways["whatsapp"].send(message("whatsapp", "+966559876543", "رسالة واتساب"))
        caught = stand_ins.caught()
        assert [(c.channel, c.recipient) for c in caught] == [
            ("whatsapp", "+966559876543"),
            ("sms", "+966551234567"),
            ("email", "a@example.org"),
        ]
        assert caught[2].thread == "<q1@x.example>" and caught[2].body.strip() == "نص البريد"
        async with client_for(tmp_path) as client:
            await as_user(client, ("admin.user", ["administrator"], None))
            page = await client.get("/admin/demo/sent", headers={"accept-language": "en"})
            assert page.status_code == 200
            assert html(page.text).css_first("#demo-sent-summary").text() == "Messages received: 3"
            assert [r.attributes["data-channel"] for r in html(page.text).css("#demo-sent tbody tr")] == [
                "whatsapp",
                "sms",
                "email",
            ]
            assert "رسالة واتساب" in page.text and "In reply to:" in page.text
            await as_user(client, ("cs.rep", ["customer_service"], "customer_service"))
            assert (await client.get("/admin/demo/sent")).status_code == 403
    finally:
        stand_ins.stop()
    assert running() is None
    async with client_for(tmp_path) as client:
        await as_user(client, ("admin.user", ["administrator"], None))
        page = await client.get("/admin/demo/sent", headers={"accept-language": "ar"})
        assert "البوابات البديلة لا تعمل" in page.text
