"""WhatsApp notices to e-ticket requesters (issue 12, service 9): a representative tells the requester of
a supplies or maintenance e-ticket on WhatsApp that it arrived, or asks about a vague one — workflow
notifications on the ``whatsapp`` channel to the mobile the e-ticket gives (in E.164), delivered by the
dispatcher to a real HTTP receiver on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.notify.dispatcher import Dispatcher
from server.notify.gateways import WebhookGateway
from server.notify.phones import to_e164
from server.store.records import Ticket
from server.tickets.service import Created
from tests.test_dispatcher import Webhook
from tests.test_requester_pages import example
from tests.test_staff_ticket import CS, REQUESTER, actor, as_user, post_of, send, user
from tests.web import client_for


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    hook.thread.start()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


async def eticket(client: Any, service: str) -> Ticket:
    """An e-ticket of ``service`` submitted on the web by a college user who has no phone of their own."""
    requester = await user(client, REQUESTER)
    created = await client.app.state.runtime.tickets.submit(
        service, example(service), channel="web", actor=actor(requester), requester_id=requester.id
    )
    assert isinstance(created, Created), created
    return created.ticket


async def deliver(client: Any, hook: Webhook) -> list[dict[str, Any]]:
    gateway = WebhookGateway(hook.url, channel="whatsapp", timeout=5)
    report = await Dispatcher(client.app.state.runtime.store, {"whatsapp": gateway}).run_once()
    assert report.dead == 0, report
    return [body for _path, _headers, body in hook.requests]


@pytest.mark.parametrize("service", ["supplies", "maintenance"])
async def test_the_requester_is_told_on_whatsapp_that_the_eticket_arrived(
    tmp_path: Path, webhook: Webhook, service: str
) -> None:
    async with client_for(tmp_path) as client:
        ticket = await eticket(client, service)
        await as_user(client, CS)
        page = await client.get(f"/staff/tickets/{ticket.id}")
        told = await send(client, ticket, "tell_on_whatsapp", post_of(page.text, "tell_on_whatsapp"))
        assert told.status_code in (200, 303), told.text
        [sent] = await deliver(client, webhook)
        assert sent["to"] == to_e164(example(service)["contact_mobile"])  # the e-ticket's mobile, E.164
        assert sent["to"].startswith("+9665")
        assert ticket.number in sent["body"] and f"/track/{ticket.number}?code=" in sent["body"]
        assert "قيد المعالجة" in sent["body"]
        fresh = await client.app.state.runtime.store.get_ticket(ticket.id)
        assert fresh.state == "received"  # telling changes nothing of the ticket's course


async def test_a_vague_eticket_is_asked_about_on_whatsapp_and_waits_for_the_answer(
    tmp_path: Path, webhook: Webhook
) -> None:
    async with client_for(tmp_path) as client:
        ticket = await eticket(client, "supplies")
        await as_user(client, CS)
        page = await client.get(f"/staff/tickets/{ticket.id}")
        post = post_of(page.text, "ask_on_whatsapp", question=["ما رقم القاعة المطلوبة بالتحديد؟"])
        asked = await send(client, ticket, "ask_on_whatsapp", post)
        assert asked.status_code in (200, 303), asked.text
        fresh = await client.app.state.runtime.store.get_ticket(ticket.id)
        assert fresh.state == "awaiting_clarification"
        assert fresh.vars["clarification_question"] == "ما رقم القاعة المطلوبة بالتحديد؟"
        [sent] = await deliver(client, webhook)
        assert sent["to"] == "+966551234567"
        assert "ما رقم القاعة المطلوبة بالتحديد؟" in sent["body"] and ticket.number in sent["body"]
