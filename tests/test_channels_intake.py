"""Integration intake (issue 12, items 3): keys made by the CLI, Tawasul tickets and Itqan reports
through the real app, idempotent on the external number; the requester API's channel choice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.accounts.tokens import new_api_token, token_hash
from server.channels.keys import create_key
from server.cli import main
from server.runtime import Runtime
from tests.web import client_for, db_for

NOW = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)

TAWASUL = {
    "ticket_number": "TW-2026-0042",
    "ticket_type": "complaint",
    "text": "لم يصلني رد على طلبي",
    "full_name": "سارة أحمد علي",
    "mobile": "0559876543",
}
ITQAN = {
    "report_number": "IT-778",
    "college": "كلية العلوم",
    "building": "C3",
    "room": "101",
    "device_type": "projector",
    "problem_description": "جهاز العرض لا يعمل",
    "urgency": "urgent",
    "contact_name": "سارة أحمد علي",
    "contact_mobile": "0559876543",
}


def runtime_of(client: AsyncTestClient[Any]) -> Runtime:
    runtime: Runtime = client.app.state.runtime
    return runtime


async def key_for(client: AsyncTestClient[Any], name: str, channel: str) -> str:
    runtime = runtime_of(client)
    _, key = await create_key(runtime.store, runtime.org, name, channel, now=NOW)
    return key


async def bearer_of(
    client: AsyncTestClient[Any], username: str, roles: list[str], **extra: Any
) -> dict[str, str]:
    store = runtime_of(client).store
    user = await store.add_user(username=username, name=username, roles=roles, now=NOW, **extra)
    token = new_api_token()
    await store.create_api_token(user.id, "test", token_hash(token), now=NOW)
    return {"Authorization": f"Bearer {token}"}


async def test_a_tawasul_ticket_posted_twice_makes_one_ticket_and_one_coordinator_sms(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        store = runtime_of(client).store
        await store.add_user(
            username="coord",
            name="Coordinator",
            roles=["tawasul_coordinator"],
            department="customer_service",
            phone="0551112222",
            now=NOW,
        )
        key = await key_for(client, "tawasul", "tawasul")
        first = await client.post(
            "/api/integrations/tawasul/tickets", json=TAWASUL, headers={"X-Api-Key": key}
        )
        again = await client.post(
            "/api/integrations/tawasul/tickets", json=TAWASUL, headers={"Authorization": f"Bearer {key}"}
        )
        assert first.status_code == 201, first.text
        assert again.status_code == 200, again.text
        assert first.json() == {**again.json(), "created": True}
        ticket = await store.get_ticket_by_number(first.json()["number"])
        assert ticket is not None and ticket.channel == "tawasul" and ticket.state == "received"
        assert ticket.data["tawasul_number"] == "TW-2026-0042"
        sms = [m for m in await store.list_outbox(ticket.id) if m.channel == "sms"]
        assert [(m.recipient, m.template) for m in sms] == [
            ("+966551112222", "new_ticket")
        ]  # E.164 (issue 12: numbers leave in international form)
        assert "TW-2026-0042" in sms[0].body
        events = await store.list_events(ticket.id)
        assert [(e.action, e.actor_name) for e in events] == [("create", "tawasul")]


async def test_an_itqan_report_lands_in_verification(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        key = await key_for(client, "itqan", "itqan")
        answer = await client.post("/api/integrations/itqan/reports", json=ITQAN, headers={"X-Api-Key": key})
        assert answer.status_code == 201, answer.text
        assert answer.json()["state"] == "itqan_review"
        ticket = await runtime_of(client).store.get_ticket_by_number(answer.json()["number"])
        assert ticket is not None and ticket.service_id == "maintenance" and ticket.channel == "itqan"
        again = await client.post("/api/integrations/itqan/reports", json=ITQAN, headers={"X-Api-Key": key})
        assert again.status_code == 200 and again.json()["number"] == answer.json()["number"]


@pytest.mark.parametrize("headers", [{}, {"X-Api-Key": "khidma_int_wrong"}, {"Authorization": "Bearer nope"}])
async def test_without_a_live_key_of_the_channel_nothing_is_created(
    tmp_path: Path, headers: dict[str, str]
) -> None:
    async with client_for(tmp_path) as client:
        answer = await client.post("/api/integrations/tawasul/tickets", json=TAWASUL, headers=headers)
        assert answer.status_code == 401
        assert "integration key" in answer.json()["detail"] or "مفتاح" in answer.json()["detail"]
        assert (
            await runtime_of(client).store.get_ticket_by_idempotency_key("integration:tawasul:TW-2026-0042")
            is None
        )


async def test_a_key_of_another_channel_or_a_revoked_key_is_refused(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        runtime = runtime_of(client)
        itqan = await key_for(client, "itqan", "itqan")
        tawasul = await key_for(client, "tawasul", "tawasul")
        wrong = await client.post(
            "/api/integrations/tawasul/tickets", json=TAWASUL, headers={"X-Api-Key": itqan}
        )
        assert wrong.status_code == 401
        await runtime.store.revoke_integration_key("tawasul", now=NOW)
        revoked = await client.post(
            "/api/integrations/tawasul/tickets", json=TAWASUL, headers={"X-Api-Key": tawasul}
        )
        assert revoked.status_code == 401
        assert await runtime.store.get_ticket_by_idempotency_key("integration:tawasul:TW-2026-0042") is None


async def test_a_ticket_that_does_not_fit_the_form_is_a_clear_4xx(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        key = await key_for(client, "itqan", "itqan")
        bad = await client.post(
            "/api/integrations/itqan/reports",
            json={**ITQAN, "device_type": "toaster"},
            headers={"X-Api-Key": key},
        )
        assert bad.status_code == 400
        bad_mobile = await client.post(
            "/api/integrations/itqan/reports",
            json={**ITQAN, "report_number": "IT-9", "contact_mobile": "call me"},
            headers={"X-Api-Key": key},
        )
        assert bad_mobile.status_code == 422
        assert bad_mobile.json()["errors"][0]["path"] == "/contact_mobile"


async def test_the_intake_api_is_described_in_the_openapi(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        schema = (await client.get("/schema/openapi.json")).json()
        assert {
            "/api/integrations/tawasul/tickets",
            "/api/integrations/itqan/reports",
            "/api/integrations/mail",
        } <= set(schema["paths"])
        assert "TawasulTicket" in str(schema["components"]["schemas"])


async def test_a_requester_cannot_choose_a_staff_only_channel(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        headers = await bearer_of(client, "student", ["requester"])
        data = {k: v for k, v in ITQAN.items() if k != "report_number"}
        refused = await client.post(
            "/api/services/maintenance/tickets?channel=itqan", json=data, headers=headers
        )
        assert refused.status_code == 403, refused.text
        also = await client.post(
            "/api/services/maintenance/tickets?channel=phone", json=data, headers=headers
        )
        assert also.status_code == 403
        own = await client.post("/api/services/maintenance/tickets", json=data, headers=headers)
        assert own.status_code == 201 and own.json()["state"] != "itqan_review"
        web = await client.post("/api/services/maintenance/tickets?channel=web", json=data, headers=headers)
        assert web.status_code == 201


async def test_the_tawasul_coordinator_can_log_a_tawasul_ticket(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        headers = await bearer_of(client, "coord", ["tawasul_coordinator"], department="customer_service")
        data = {"tawasul_number": "TW-1", "ticket_type": "inquiry", "text": "استفسار"}
        logged = await client.post("/api/services/tawasul/tickets", json=data, headers=headers)
        assert logged.status_code == 201, logged.text
        ticket = await runtime_of(client).store.get_ticket_by_number(logged.json()["number"])
        assert ticket is not None and ticket.channel == "tawasul"
        requester = await bearer_of(client, "student", ["requester"])
        assert (
            await client.post("/api/services/tawasul/tickets", json=data, headers=requester)
        ).status_code == 403


def test_the_cli_creates_lists_and_revokes_integration_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = db_for(tmp_path)
    assert main(["integration", "key", "create", "tawasul", "--channel", "tawasul", "--db", db]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("khidma_int_")
    assert main(["integration", "key", "create", "tawasul", "--channel", "tawasul", "--db", db]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["integration", "key", "create", "site", "--channel", "web", "--db", db]) == 1
    assert "unknown channel" in capsys.readouterr().err
    assert main(["integration", "key", "list", "--db", db]) == 0
    listed = capsys.readouterr().out
    assert "tawasul\ttawasul" in listed and key not in listed
    assert main(["integration", "key", "revoke", "tawasul", "--db", db]) == 0
    assert main(["integration", "key", "list", "--db", db]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["integration", "key", "revoke", "nobody", "--db", db]) == 1
