"""No notification vanishes (issue 12): each cause of undeliverable is recorded, shown on the staff ticket
page, counted in /healthz and logged; copies to a role reach holders without a department; numbers leave
in E.164; staff are linked to the staff ticket page; a failed message can be sent again from
/admin/outbox; a gateway that is down loses nothing. The real app on a real SQLite file, a real HTTP
receiver on loopback."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.accounts.passwords import hash_password
from server.notify.dispatcher import Dispatcher
from server.notify.gateways import WebhookGateway
from server.notify.outbox_page import PAGE_SIZE
from server.notify.phones import to_e164
from server.store.records import OutboxMessage, Ticket
from server.tickets.service import Created
from tests.conftest import free_port
from tests.test_dispatcher import Clock, Webhook
from tests.test_requester_pages import example
from tests.test_staff_ticket import CS, REQUESTER, act, actor, as_user, user
from tests.web import client_for, csrf_of, form_values, html, texts

ADMIN = ("admin.user", ["administrator"], None)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    hook.thread.start()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


async def person(
    client: Any,
    username: str,
    roles: list[str],
    department: str | None,
    *,
    email: str | None = None,
    phone: str | None = None,
) -> str:
    created = await client.app.state.runtime.store.add_user(
        username=username,
        name=f"{username} name",
        roles=roles,
        department=department,
        email=email,
        phone=phone,
        password_hash=hash_password("pass-word-1"),
        now=dt.datetime.now(dt.UTC),
    )
    return str(created.id)


async def outbox(client: Any, ticket: Ticket) -> list[OutboxMessage]:
    return list(await client.app.state.runtime.store.list_outbox(ticket.id))


async def tawasul(client: Any, **data: Any) -> Ticket:
    cs = await user(client, CS)
    created = await client.app.state.runtime.tickets.submit(
        "tawasul", {**example("tawasul"), **data}, channel="tawasul", actor=actor(cs)
    )
    assert isinstance(created, Created), created
    return created.ticket


async def replied_email(client: Any) -> Ticket:
    """An e-mail ticket answered (reply to the sender, copy to the general supervisor)."""
    cs = await user(client, CS)
    runtime = client.app.state.runtime
    created = await runtime.tickets.submit("email", example("email"), channel="email", actor=actor(cs))
    assert isinstance(created, Created), created
    ticket = await act(client, created.ticket, CS, "sort", {"classification": "supplies_request"})
    return await act(client, ticket, CS, "reply_eticket", {"reply": "نرجو استخدام التذاكر الإلكترونية"})


async def delivery_rows(client: Any, ticket: Ticket) -> list[tuple[str, str]]:
    await as_user(client, CS)
    page = await client.get(f"/staff/tickets/{ticket.id}", headers={"accept-language": "en"})
    assert page.status_code == 200
    return [
        (str(row.attributes["data-status"]), row.css_first(".st-delivery__reason").text())
        for row in html(page.text).css("#delivery-problems tbody tr")
    ]


async def health(client: Any) -> dict[str, int]:
    response = await client.get("/healthz")
    return dict(response.json()["notifications"])


# --- each cause of undeliverable, on the ticket page --------------------------------------------


async def test_a_recipient_without_an_address_is_recorded_shown_counted_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with client_for(tmp_path) as client:
        await person(client, "coord", ["tawasul_coordinator"], "customer_service")  # no phone
        logger = logging.getLogger("khidma.notify")  # the app's logging config may not propagate it
        logger.addHandler(caplog.handler)
        try:
            ticket = await tawasul(client, mobile="0555555555")
        finally:
            logger.removeHandler(caplog.handler)
        [message] = await outbox(client, ticket)
        assert (message.status, message.recipient, message.attempts) == ("dead", "", 0)
        assert (await delivery_rows(client, ticket)) == [
            ("undeliverable", "The recipient has no address on this channel: coord name (SMS)")
        ]
        assert (await health(client))["undeliverable"] == 1
        assert any("undeliverable (no_address)" in r.getMessage() for r in caplog.records)
        # the dispatcher never tries it
        sent = await Dispatcher(
            client.app.state.runtime.store, {"sms": WebhookGateway("http://127.0.0.1:9")}
        ).run_once()
        assert sent.attempted == 0


async def test_a_number_that_is_no_telephone_number_is_undeliverable(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await person(client, "coord", ["tawasul_coordinator"], "customer_service", phone="12345")
        ticket = await tawasul(client)
        [(status, reason)] = await delivery_rows(client, ticket)
        assert status == "undeliverable"
        assert reason == "The recipient's number is not a valid telephone number: coord name (SMS)"


async def test_a_role_nobody_holds_is_undeliverable_not_dropped(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await replied_email(client)  # nobody holds general_supervisor
        rows = await delivery_rows(client, ticket)
        assert ("undeliverable", "No active user holds this recipient: role:general_supervisor") in rows
        assert (await health(client))["undeliverable"] == 1


async def test_a_message_that_failed_for_good_shows_the_gateways_answer_and_can_be_sent_again(
    tmp_path: Path, webhook: Webhook
) -> None:
    async with client_for(tmp_path) as client:
        await person(client, "coord", ["tawasul_coordinator"], "customer_service", phone="0500000003")
        ticket = await tawasul(client)
        store = client.app.state.runtime.store
        webhook.answers = [(400, {})]
        dispatcher = Dispatcher(store, {"sms": WebhookGateway(webhook.url)})
        assert (await dispatcher.run_once()).dead == 1
        [(status, reason)] = await delivery_rows(client, ticket)
        assert status == "dead" and reason.startswith("The gateway answered: webhook http://127.0.0.1")
        assert "400" in reason
        assert (await health(client))["dead"] == 1

        # the administrator sees it on /admin/outbox and sends it again
        [message] = await outbox(client, ticket)
        await as_user(client, CS)
        assert (await client.get("/admin/outbox")).status_code == 403
        await as_user(client, ADMIN)
        page = await client.get("/admin/outbox", headers={"accept-language": "en"})
        assert page.status_code == 200
        row = html(page.text).css_first(f"#outbox-{message.id}")
        assert row is not None and row.attributes["data-status"] == "dead"
        answer = await client.post(
            f"/admin/outbox/{message.id}/retry",
            data={"_csrf_token": csrf_of(page.text)},
            headers={"accept-language": "en"},
        )
        assert answer.status_code == 200
        assert texts(answer.text, "#outbox-notice") == [
            f"Notification {message.id} is queued to be sent again."
        ]
        assert (await dispatcher.run_once()).sent == 1
        assert [m.status for m in await outbox(client, ticket)] == ["sent"]
        assert len(webhook.requests) == 2
        assert webhook.keys()[0] == webhook.keys()[1]  # the same message, under the same id

        # an undeliverable one, or one already sent, cannot be sent again
        again = await client.post(
            f"/admin/outbox/{message.id}/retry", data={"_csrf_token": csrf_of(page.text)}
        )
        assert again.status_code == 409


# --- the bugs of the issue ----------------------------------------------------------------------


async def test_the_supervisors_copy_goes_out_though_the_supervisor_has_no_department(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await person(client, "supervisor", ["general_supervisor"], None, email="supervisor@example.org")
        ticket = await replied_email(client)
        sent = [(m.template, m.recipient, m.status) for m in await outbox(client, ticket)]
        assert ("reply_eticket", "sender@example.org", "pending") in sent
        assert ("reply_eticket", "supervisor@example.org", "pending") in sent
        assert await delivery_rows(client, ticket) == []


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("0551234567", "+966551234567"),
        ("٠٥٥١٢٣٤٥٦٧", "+966551234567"),
        ("۰۵۵۱۲۳۴۵۶۷", "+966551234567"),
        ("055 123 4567", "+966551234567"),
        ("00966551234567", "+966551234567"),
        ("+966 55 123 4567", "+966551234567"),
        ("+20 100 123 4567", "+201001234567"),
        ("12345", None),
        ("not a number", None),
    ],
)
def test_numbers_are_read_as_people_write_them_and_leave_in_e164(written: str, e164: str | None) -> None:
    assert to_e164(written) == e164


async def test_sms_leaves_in_e164_from_a_form_typed_with_arabic_indic_digits(tmp_path: Path) -> None:
    """The phone call log (a staff form): the caller's number typed in Arabic-Indic digits; the rating
    link after the answer goes by SMS to the number in E.164."""
    async with client_for(tmp_path) as client:
        await as_user(client, CS)
        page = await client.get("/services/phone/apply")
        data = {
            **form_values(page.text),
            **{k: [str(v)] for k, v in example("phone").items()},
            "mobile": ["٠٥٥١٢٣٤٥٦٧"],
        }
        check = await client.post("/services/phone/apply", data=data)  # check your answers, then send
        answer = await client.post("/services/phone/apply", data=form_values(check.text))
        assert answer.status_code == 200 and "/staff/tickets/" in str(answer.url), answer.text
        store = client.app.state.runtime.store
        ticket = await store.get_ticket(1)
        assert ticket is not None and ticket.data["mobile"] == "0551234567"
        compiled = await client.app.state.runtime.tickets.compiled_version(ticket.definition_version_id)
        action = next(a for a in ("answer_eticket", "guide_to_eticket") if a in compiled.workflow.actions)
        form = compiled.action_forms.get(action)
        values = dict(form.schema["examples"][0]) if form is not None and form.schema.get("examples") else {}
        await act(client, ticket, CS, action, {**values, "notify_by": "sms"})
        [sms] = [m for m in await outbox(client, ticket) if m.channel == "sms"]
        assert sms.recipient == "+966551234567"
        assert "/survey/" in sms.body


async def test_staff_are_linked_to_the_staff_ticket_page_and_the_requester_to_tracking(
    tmp_path: Path,
) -> None:
    async with client_for(tmp_path) as client:
        await person(
            client, "aa.head", ["department_head"], "administrative_affairs", email="aa.head@example.org"
        )
        runtime = client.app.state.runtime
        created = await runtime.tickets.submit(
            "inquiries", example("inquiries"), channel="web", actor=actor(await user(client, REQUESTER))
        )
        assert isinstance(created, Created), created
        ticket = created.ticket
        by = {m.template: m for m in await outbox(client, ticket)}
        staff_link = f"http://testserver.local/staff/tickets/{ticket.id}"
        assert staff_link in by["assigned_to_head"].body and "/track/" not in by["assigned_to_head"].body
        assert f"/track/{ticket.number}?code=" in by["received_notice"].body
        assert "/staff/" not in by["received_notice"].body


# --- a gateway that is down loses nothing -------------------------------------------------------


async def test_a_gateway_that_is_down_loses_nothing_and_delivers_once_when_back(tmp_path: Path) -> None:
    port = free_port()
    async with client_for(tmp_path) as client:
        await person(client, "coord", ["tawasul_coordinator"], "customer_service", phone="0500000003")
        tickets = [await tawasul(client, tawasul_number=f"TW-{i}") for i in range(3)]
        clock = Clock(dt.datetime.now(dt.UTC))
        store = client.app.state.runtime.store
        dispatcher = Dispatcher(
            store, {"sms": WebhookGateway(f"http://127.0.0.1:{port}/sms", timeout=2)}, clock=clock
        )

        down = await dispatcher.run_once()  # nothing listens: the channel pauses, nothing is lost
        assert (down.sent, down.dead, down.unavailable) == (0, 0, ("sms",))
        waiting = await store.list_outbox()
        assert sorted(m.status for m in waiting) == ["failed", "pending", "pending"]
        assert (await health(client))["failed"] == 1
        failed = next(m for m in waiting if m.status == "failed")
        assert failed.next_attempt_at == clock.now + dt.timedelta(seconds=30)  # backoff

        hook = Webhook()
        hook.server.server_close()
        from http.server import ThreadingHTTPServer

        hook.server = ThreadingHTTPServer(("127.0.0.1", port), hook.server.RequestHandlerClass)
        hook.server.daemon_threads = True
        import threading

        thread = threading.Thread(target=hook.server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        try:
            clock.now += dt.timedelta(seconds=31)
            back = await dispatcher.run_once()
            assert back.sent == 3
            assert (await dispatcher.run_once()).attempted == 0
            assert sorted(hook.keys()) == sorted(m.gateway_request_id for m in waiting)  # each once
            assert {m.status for t in tickets for m in await outbox(client, t)} == {"sent"}
        finally:
            hook.server.shutdown()
            hook.server.server_close()


async def test_one_bad_message_never_blocks_the_others(tmp_path: Path, webhook: Webhook) -> None:
    async with client_for(tmp_path) as client:
        await person(client, "coord", ["tawasul_coordinator"], "customer_service", phone="0500000003")
        for i in range(3):
            await tawasul(client, tawasul_number=f"TW-{i}")
        store = client.app.state.runtime.store
        webhook.answers = [(200, {}), (422, {}), (200, {})]  # the gateway refuses the second for good
        report = await Dispatcher(store, {"sms": WebhookGateway(webhook.url)}).run_once()
        assert (report.sent, report.dead) == (2, 1)
        assert [m.status for m in await store.list_outbox()] == ["sent", "dead", "sent"]


# --- phone (service 5): the caller-ID screen-pop ------------------------------------------------


async def test_the_call_log_opens_with_the_callers_number_from_a_screen_pop(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await as_user(client, CS)
        page = await client.get("/services/phone/apply", params={"from": "٠٥٥١٢٣٤٥٦٧"})
        assert page.status_code == 200
        assert form_values(page.text)["mobile"] == ["+966551234567"]
        assert form_values(page.text)["_channel"] == ["phone"]
        # a caller ID that is no number pre-fills nothing; an over-long one is a clear 400
        unknown = await client.get("/services/phone/apply", params={"from": "anonymous"})
        assert form_values(unknown.text).get("mobile", [""]) == [""]
        assert (await client.get("/services/phone/apply", params={"from": "1" * 41})).status_code == 400


# --- gateways as configuration ------------------------------------------------------------------


def _gateway_args(*argv: str) -> Any:
    import argparse

    from server.notify.cli import add_gateway_arguments

    parser = argparse.ArgumentParser()
    add_gateway_arguments(parser)
    return parser.parse_args(list(argv))


def test_gateways_come_from_flags_then_the_environment_then_the_gateways_file(tmp_path: Path) -> None:
    from server.notify.cli import gateway_settings
    from server.settings import Secret, Settings

    gateways = tmp_path / "gateways.toml"
    gateways.write_text(
        'smtp_host = "mail.file.example"\nsmtp_port = 587\nsmtp_starttls = true\n'
        'sms_webhook_url = "https://sms.file.example/send"\nwhatsapp_webhook_url = "https://wa.file.example/send"\n',
        encoding="utf-8",
    )
    env = {
        "KHIDMA_SMS_WEBHOOK_URL": "https://sms.env.example/send",
        "KHIDMA_WHATSAPP_APP_SECRET": "app-secret",
        "KHIDMA_WHATSAPP_VERIFY_TOKEN": "tok-9f3a",
    }
    fields = gateway_settings(_gateway_args("--gateways", str(gateways), "--smtp-port", "2525"), env)
    assert fields["smtp_host"] == "mail.file.example" and fields["smtp_port"] == 2525
    assert fields["smtp_starttls"] is True
    assert fields["sms_webhook_url"] == "https://sms.env.example/send"
    assert fields["whatsapp_webhook_url"] == "https://wa.file.example/send"
    assert fields["whatsapp_app_secret"] == Secret("app-secret")
    settings = Settings(db_path=tmp_path / "k.db", **fields)
    assert "app-secret" not in repr(settings) and "tok-9f3a" not in repr(settings)
    # the file alone, through the environment
    only_file = gateway_settings(_gateway_args(), {"KHIDMA_GATEWAYS": str(gateways)})
    assert only_file["sms_webhook_url"] == "https://sms.file.example/send"


def test_a_gateways_file_naming_a_secret_or_an_unknown_setting_is_refused(tmp_path: Path) -> None:
    from server.notify.cli import GatewayConfigError, gateway_settings

    secret = tmp_path / "secret.toml"
    secret.write_text('smtp_host = "mail"\nsmtp_password = "hunter2"\n', encoding="utf-8")
    with pytest.raises(GatewayConfigError, match="KHIDMA_SMTP_PASSWORD") as refused:
        gateway_settings(_gateway_args("--gateways", str(secret)), {})
    assert "hunter2" not in str(refused.value)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('smtp_hots = "mail"\n', encoding="utf-8")
    with pytest.raises(GatewayConfigError, match="smtp_hots"):
        gateway_settings(_gateway_args("--gateways", str(unknown)), {})
    with pytest.raises(GatewayConfigError, match="port"):
        gateway_settings(_gateway_args(), {"KHIDMA_SMTP_PORT": "twenty-five"})


async def test_the_api_accepts_a_mobile_number_in_arabic_indic_digits(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        data = {**example("inquiries"), "mobile": "٠٥٥١١١٢٢٣٣"}
        answer = await client.post("/api/services/inquiries/tickets", json=data)
        assert answer.status_code == 201, answer.text
        ticket = await client.app.state.runtime.store.get_ticket(answer.json()["id"])
        assert ticket.data["mobile"] == "0551112233"


async def test_the_outbox_page_lists_a_page_at_a_time_newest_first_and_counts_them_all(
    tmp_path: Path,
) -> None:
    """Undeliverable notices pile up with the years: /admin/outbox reads one page of them, newest first
    (it read every one), and counts them all from the database (``Store.count_outbox``)."""
    async with client_for(tmp_path) as client:
        await person(client, "coord", ["tawasul_coordinator"], "customer_service")  # no phone
        for i in range(PAGE_SIZE + 3):
            await tawasul(client, mobile="0555555555", tawasul_number=f"TW-{i}")
        dead = sorted(
            (m.id for m in await client.app.state.runtime.store.list_outbox(status="dead")), reverse=True
        )
        assert len(dead) == PAGE_SIZE + 3
        await as_user(client, ADMIN)

        async def listed(query: str, lang: str = "en") -> tuple[list[int], list[str], str]:
            page = await client.get(f"/admin/outbox/{query}", headers={"accept-language": lang})
            assert page.status_code == 200
            rows = [
                int(str(r.attributes["id"]).removeprefix("outbox-"))
                for r in html(page.text).css("#outbox tbody tr")
            ]
            return rows, texts(page.text, ".pager span"), page.text

        rows, pager, first = await listed("")
        assert (rows, pager) == (dead[:PAGE_SIZE], ["1 / 2"])
        assert f"undeliverable: {PAGE_SIZE + 3}" in texts(first, "#outbox-summary")[0]
        next_link = html(first).css_first(".pager a[rel=next]")
        assert next_link is not None and next_link.attributes["href"] == "/admin/outbox/?page=2"
        assert html(first).css_first(".pager a[rel=prev]") is None
        rows, pager, second = await listed("?page=2")
        assert (rows, pager) == (dead[PAGE_SIZE:], ["2 / 2"])
        assert html(second).css_first(".pager a[rel=prev]") is not None
        assert (await listed("?page=99"))[:2] == (dead[PAGE_SIZE:], ["2 / 2"])  # past the end: the last
        assert (await listed("?page=-3"))[:2] == (dead[:PAGE_SIZE], ["1 / 2"])
        _, _, arabic = await listed("", "ar")
        nav = html(arabic).css_first("nav.pager")
        assert nav is not None and nav.attributes["aria-label"] == "صفحات الإشعارات غير المُرسلة"
        assert 'dir="rtl"' in arabic
        assert (await client.get("/admin/outbox/?page=x")).status_code == 400
