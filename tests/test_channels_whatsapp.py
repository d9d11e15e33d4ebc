"""WhatsApp chats arriving by themselves (service 9): the Cloud API's webhook on the real app, a real
SQLite file, and the outbound WhatsApp gateway as a real HTTP receiver on loopback."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.notify.dispatcher import Dispatcher
from server.settings import Secret
from tests.test_dispatcher import Webhook
from tests.test_staff_ticket import CS, act, as_user
from tests.web import client_for, html

APP_SECRET = "meta-app-secret-not-for-logs"
VERIFY = "verify-token-not-for-logs"
IN_HOURS = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)  # Wednesday 09:00 in Riyadh
OUT_OF_HOURS = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)  # Wednesday 21:00 in Riyadh
URL = "/api/whatsapp/webhook"


@pytest.fixture
def gateway() -> Iterator[Webhook]:
    hook = Webhook()
    hook.thread.start()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


def event(text: str, *, message_id: str = "wamid.1", sender: str = "966551234567") -> bytes:
    """A Cloud API ``messages`` notification, as Meta sends it."""
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "966125583888",
                                "phone_number_id": "106540352242922",
                            },
                            "contacts": [{"profile": {"name": "Customer"}, "wa_id": sender}],
                            "messages": [
                                {
                                    "from": sender,
                                    "id": message_id,
                                    "timestamp": "1764050400",
                                    "type": "text",
                                    "text": {"body": text},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(body, ensure_ascii=False).encode()


def signature(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"x-hub-signature-256": f"sha256={digest}", "content-type": "application/json"}


def settings(gateway: Webhook) -> dict[str, Any]:
    return {
        "whatsapp_app_secret": Secret(APP_SECRET),
        "whatsapp_verify_token": Secret(VERIFY),
        "whatsapp_webhook_url": f"{gateway.url}/whatsapp",
    }


def at(client: Any, moment: dt.datetime) -> None:
    client.app.state.runtime.tickets.clock = lambda: moment


async def tickets(client: Any) -> list[Any]:
    store = client.app.state.runtime.store
    found = []
    for i in range(1, 20):
        ticket = await store.get_ticket(i)
        if ticket is None:
            break
        found.append(ticket)
    return found


async def test_a_signed_message_opens_a_chat_and_the_welcome_with_the_hours_reaches_the_gateway(
    tmp_path: Path, gateway: Webhook
) -> None:
    async with client_for(tmp_path, **settings(gateway)) as client:
        at(client, IN_HOURS)
        body = event("السلام عليكم، أريد الاستفسار عن طلب أجهزة")
        answer = await client.post(URL, content=body, headers=signature(body))
        assert answer.status_code == 200, answer.text
        [ticket] = await tickets(client)
        assert answer.json() == {"opened": [ticket.id], "continued": [], "ignored": 0}
        assert (ticket.service_id, ticket.channel, ticket.state) == (
            "whatsapp",
            "whatsapp",
            "awaiting_customer_info",
        )
        assert ticket.data["mobile"] == "+966551234567"
        assert ticket.data["first_message"].startswith("السلام عليكم")
        # the welcome went out at once, to the number in E.164, with the working hours
        [(path, headers, sent)] = gateway.requests
        assert path == "/whatsapp" and sent["to"] == "+966551234567"
        assert "مرحباً بكم" in sent["body"] and "7:30" in sent["body"] and "2:30" in sent["body"]
        assert "خارج ساعات العمل" not in sent["body"]
        [message] = await client.app.state.runtime.store.list_outbox(ticket.id)
        assert message.status == "sent" and headers["idempotency-key"] == message.gateway_request_id


async def test_outside_working_hours_the_out_of_hours_text_follows_the_welcome(
    tmp_path: Path, gateway: Webhook
) -> None:
    async with client_for(tmp_path, **settings(gateway)) as client:
        at(client, OUT_OF_HOURS)
        body = event("مساء الخير")
        assert (await client.post(URL, content=body, headers=signature(body))).status_code == 200
        bodies = [sent["body"] for _, _, sent in gateway.requests]
        assert len(bodies) == 2
        assert any("مرحباً بكم" in b for b in bodies)
        assert any("خارج ساعات العمل" in b and "7:30" in b for b in bodies)


async def test_a_later_message_continues_the_chat_and_a_redelivery_is_ignored(
    tmp_path: Path, gateway: Webhook
) -> None:
    async with client_for(tmp_path, **settings(gateway)) as client:
        at(client, IN_HOURS)
        first = event("السلام عليكم")
        second = event("اسمي محمد، من كلية الطب", message_id="wamid.2")
        for body in (first, second, second, first):  # Meta retries deliveries it thinks failed
            assert (await client.post(URL, content=body, headers=signature(body))).status_code == 200
        [ticket] = await tickets(client)
        events = await client.app.state.runtime.store.list_events(ticket.id)
        assert [e.action for e in events] == ["create", "whatsapp_message"]
        assert events[1].data["message"] == "اسمي محمد، من كلية الطب"
        assert len(gateway.requests) == 1  # one welcome
        await as_user(client, CS)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers={"accept-language": "en"})
        timeline = html(page.text).css_first("#timeline").text()
        assert "The customer's WhatsApp message" in timeline and "اسمي محمد" in timeline
        # another number opens its own chat
        other = event("hello", message_id="wamid.3", sender="966500000009")
        answer = await client.post(URL, content=other, headers=signature(other))
        assert len(answer.json()["opened"]) == 1 and len(await tickets(client)) == 2


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-hub-signature-256": "sha256=" + "0" * 64},
        {"x-hub-signature-256": "sha1=abc"},
        signature(event("x"), secret="another-secret"),
    ],
    ids=["missing", "wrong", "other-scheme", "other-secret"],
)
async def test_a_wrong_or_missing_signature_gets_401_and_creates_nothing(
    tmp_path: Path, gateway: Webhook, headers: dict[str, str]
) -> None:
    async with client_for(tmp_path, **settings(gateway)) as client:
        body = event("x")
        answer = await client.post(URL, content=body, headers={"content-type": "application/json", **headers})
        assert answer.status_code == 401
        assert "signature" in answer.json()["detail"]
        assert await tickets(client) == [] and gateway.requests == []


async def test_a_signed_body_that_is_not_an_event_is_a_400(tmp_path: Path, gateway: Webhook) -> None:
    async with client_for(tmp_path, **settings(gateway)) as client:
        body = b'{"entry": "not a list"}'
        answer = await client.post(URL, content=body, headers=signature(body))
        assert answer.status_code == 400 and await tickets(client) == []
        status = b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {"statuses": [{"id": "wamid.1", "status": "read"}]}}]}]}'
        assert (await client.post(URL, content=status, headers=signature(status))).json()["opened"] == []


async def test_without_an_app_secret_every_post_is_refused(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        body = event("x")
        assert (await client.post(URL, content=body, headers=signature(body))).status_code == 503
        assert await tickets(client) == []


async def test_the_verify_token_handshake(tmp_path: Path, gateway: Webhook) -> None:
    async with client_for(tmp_path, **settings(gateway)) as client:
        ok = await client.get(
            URL, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"}
        )
        assert (ok.status_code, ok.text) == (200, "1158201444")
        for params in (
            {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
            {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"},
            {"hub.mode": "subscribe", "hub.challenge": "1"},
        ):
            refused = await client.get(URL, params=params)
            assert refused.status_code == 403 and "1" not in refused.text.split('"detail"')[0]
    async with client_for(tmp_path / "unset") as client:  # no token configured: nothing matches
        params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
        assert (await client.get(URL, params=params)).status_code == 403


async def test_the_representatives_reply_goes_out_through_the_gateway(
    tmp_path: Path, gateway: Webhook
) -> None:
    async with client_for(tmp_path, **settings(gateway)) as client:
        at(client, IN_HOURS)
        body = event("السلام عليكم")
        await client.post(URL, content=body, headers=signature(body))
        [ticket] = await tickets(client)
        await act(client, ticket, CS, "post_reply", {"reply": "أهلاً بك، كيف نخدمك؟"})
        runtime = client.app.state.runtime
        report = await Dispatcher.from_settings(runtime.store, runtime.settings).run_once()
        assert report.sent == 1
        _, _, sent = gateway.requests[-1]
        assert sent["to"] == "+966551234567" and "أهلاً بك، كيف نخدمك؟" in sent["body"]


async def test_the_secrets_never_reach_the_logs(
    tmp_path: Path, gateway: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    loggers = [logging.getLogger(name) for name in ("khidma.whatsapp", "khidma.notify", "")]
    for logger in loggers:
        logger.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    try:
        async with client_for(tmp_path, **settings(gateway)) as client:
            at(client, IN_HOURS)
            body = event("السلام عليكم")
            await client.post(URL, content=body, headers=signature(body))
            await client.post(URL, content=body, headers=signature(body, secret="wrong"))
            await client.get(
                URL, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "7"}
            )
            await client.get(
                URL, params={"hub.mode": "subscribe", "hub.verify_token": "bad", "hub.challenge": "7"}
            )
    finally:
        for logger in loggers:
            logger.removeHandler(caplog.handler)
    logged = caplog.text
    assert logged  # something was logged (the chat opened, the welcome sent)
    assert APP_SECRET not in logged and VERIFY not in logged
    assert "+966551234567" not in logged  # recipients masked
