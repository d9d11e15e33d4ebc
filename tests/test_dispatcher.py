"""Notifications leave through the outbox: real tickets on a real SQLite file and on PostgreSQL
(``store_db``, tests/pg.py), delivered to a real SMTP server (aiosmtpd) and a real HTTP webhook receiver,
both on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email
import email.policy
import json
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import msgspec
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from server import election
from server.cli import main
from server.definitions.loader import load_tree
from server.engine.model import Actor
from server.notify.cli import ELECTION_LOST
from server.notify.dispatcher import Dispatcher, DispatchReport
from server.notify.gateways import SmtpGateway, WebhookGateway, build_gateways, mask_recipient
from server.runtime import Runtime
from server.settings import Secret, Settings
from server.store.interface import SENDING_LEASE, Store
from server.store.open import open_any
from server.store.records import OutboxMessage, Ticket
from server.tickets.service import Created, TicketService
from server.working_time import WorkingCalendar
from tests.conftest import free_port
from tests.definition_trees import minimal_files, t, write_tree
from tests.engine_harness import catalogue
from tests.web import db_for, settings_for

NOW = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)  # Wednesday 09:00 in Riyadh
CS = Actor(id="cs-1", name="ممثل", roles=frozenset({"customer_service"}), department="customer_service")
REQUESTER = Actor(id="req-1", name="كلية", roles=frozenset({"requester"}))
TOKEN = "webhook-token-not-for-logs"
ROOT = Path(__file__).resolve().parent.parent


class Clock:
    def __init__(self, now: dt.datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


# --- loopback peers -------------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler: keeps what it accepts; refuses the recipients in ``refuse`` with their reply."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes) and envelope.mail_from is not None
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(mail, EmailMessage)
        self.received.append(mail)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None, **kw: Any) -> None:
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, **kw)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


class Webhook:
    """A tiny HTTP receiver in a thread: records each POST; answers with the queued statuses, then 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.answers: list[tuple[int, dict[str, str]]] = []
        self.delay = 0.0
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                webhook.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                time.sleep(webhook.delay)
                status, headers = webhook.answers.pop(0) if webhook.answers else (200, {})
                payload = b'{"ok": true}' if status < 300 else b'{"error": "refused"}'
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def keys(self) -> list[str]:
        return [headers["idempotency-key"] for _, headers, _ in self.requests]


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    hook.thread.start()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


# --- tickets on a real store -----------------------------------------------------------------------


@pytest.fixture
async def store(store_db: str, tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_any(store_db, tmp_path / "files")
    users = [
        ("cs-1", "cs", ["customer_service"], "customer_service", "cs@example.org", None),
        ("head-cls", "head", ["department_head"], "classrooms", "head@example.org", "0500000001"),
        ("req-1", "college", ["requester"], None, "college@example.org", "0500000002"),
        ("coord-1", "coord", ["tawasul_coordinator"], "customer_service", None, "0500000003"),
    ]
    for uid, username, roles, dept, mail, phone in users:
        await store.add_user(
            id=uid,
            username=username,
            name=username,
            roles=roles,
            department=dept,
            email=mail,
            phone=phone,
            now=NOW,
        )
    yield store
    await store.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(store: Store, clock: Clock) -> TicketService:
    cat = catalogue()
    service = TicketService(
        store,
        WorkingCalendar.from_definition(cat.organisation.calendar),
        base_url="https://khidma.example",
        clock=clock,
    )
    await service.publish_shipped(cat)
    return service


async def supplies_ticket(service: TicketService) -> Ticket:
    """A supplies request: its ``received_notice`` goes by e-mail to college@example.org, in Arabic."""
    data = dict(catalogue().services["supplies"].form.schema["examples"][0])
    created = await service.submit("supplies", data, channel="web", actor=REQUESTER, requester_id="req-1")
    assert isinstance(created, Created)
    return created.ticket


async def tawasul_ticket(service: TicketService) -> Ticket:
    """A Tawasul ticket: its ``new_ticket`` notice goes by SMS to the coordinator, 0500000003."""
    data = {**catalogue().services["tawasul"].form.schema["examples"][0], "mobile": "0555555555"}
    created = await service.submit("tawasul", data, channel="tawasul", actor=CS)
    assert isinstance(created, Created)
    return created.ticket


async def only_message(store: Store, ticket: Ticket) -> OutboxMessage:
    messages = await store.list_outbox(ticket.id)
    assert len(messages) == 1, messages
    return messages[0]


def smtp_gateway(server: SmtpServer, **kw: Any) -> SmtpGateway:
    return SmtpGateway("127.0.0.1", server.port, sender="khidma@example.org", timeout=5, **kw)


# --- delivery -------------------------------------------------------------------------------------


async def test_an_arabic_mail_arrives_intact_under_its_gateway_request_id(
    service: TicketService, store: Store, smtp: SmtpServer, clock: Clock
) -> None:
    ticket = await supplies_ticket(service)
    message = await only_message(store, ticket)
    assert (message.channel, message.recipient, message.language) == ("email", "college@example.org", "ar")
    assert "تم استلام تذكرتكم" in message.subject and ticket.number in message.body

    report = await Dispatcher(store, {"email": smtp_gateway(smtp)}, clock=clock).run_once()

    assert report == DispatchReport(sent=1)
    [mail] = smtp.mailbox.received
    assert smtp.mailbox.envelopes == [("khidma@example.org", ["college@example.org"])]
    assert mail["Subject"] == message.subject
    # text travels in canonical form (CRLF line ends, RFC 2045); the words arrive intact
    assert mail.get_content().replace("\r\n", "\n").rstrip("\n") == message.body
    assert "عزيزنا العميل" in mail.get_content()
    assert mail["Message-ID"] == f"<{message.gateway_request_id}@khidma>"
    assert mail["Content-Language"] == "ar"
    assert mail["To"] == "college@example.org" and mail["From"] == "khidma@example.org"
    assert mail["Auto-Submitted"] == "auto-generated"
    sent = await only_message(store, ticket)
    assert (sent.status, sent.attempts, sent.sent_at, sent.last_error) == ("sent", 1, NOW, None)
    assert await Dispatcher(store, {"email": smtp_gateway(smtp)}, clock=clock).run_once() == DispatchReport()


async def test_an_sms_reaches_the_webhook_with_its_idempotency_key(
    service: TicketService, store: Store, webhook: Webhook, clock: Clock
) -> None:
    ticket = await tawasul_ticket(service)
    message = await only_message(store, ticket)
    assert (message.channel, message.recipient) == ("sms", "+966500000003")
    gateway = WebhookGateway(webhook.url + "/sms", token=Secret(TOKEN))

    assert await Dispatcher(store, {"sms": gateway}, clock=clock).run_once() == DispatchReport(sent=1)

    [(path, headers, body)] = webhook.requests
    assert path == "/sms"
    assert headers["idempotency-key"] == message.gateway_request_id
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["content-type"] == "application/json"
    assert body == {
        "request_id": message.gateway_request_id,
        "to": "+966500000003",
        "body": message.body,
        "language": message.language,
    }
    assert (await only_message(store, ticket)).status == "sent"


async def test_a_channel_without_a_gateway_stays_pending_and_is_counted(
    service: TicketService, store: Store, webhook: Webhook, clock: Clock
) -> None:
    mail_ticket = await supplies_ticket(service)
    sms_ticket = await tawasul_ticket(service)
    dispatcher = Dispatcher(store, {"sms": WebhookGateway(webhook.url)}, clock=clock)

    assert await dispatcher.run_once() == DispatchReport(sent=1)

    waiting = await only_message(store, mail_ticket)
    assert (waiting.status, waiting.attempts) == ("pending", 0)  # never claimed, no attempt spent
    assert (await only_message(store, sms_ticket)).status == "sent"
    status = await dispatcher.status()
    assert status.pending_without_gateway == 1
    assert status.channels_without_gateway == ("email",)
    assert status.waiting == {"email": {"pending": 1}}
    assert status.gateways == {"sms": f"webhook {webhook.url}/"}
    # and with no gateway at all, nothing is claimed
    assert await Dispatcher(store, {}, clock=clock).run_once() == DispatchReport()
    assert await store.claim_outbox(now=NOW, limit=5, channels=[]) == []
    assert await store.claim_outbox(now=NOW, limit=5, channels=["sms", "whatsapp"]) == []
    assert (await only_message(store, mail_ticket)).status == "pending"


async def test_a_down_smtp_server_is_retried_with_backoff_then_delivers(
    service: TicketService, store: Store, clock: Clock
) -> None:
    first = await supplies_ticket(service)
    second = await supplies_ticket(service)
    down = SmtpServer()  # not started: nothing listens on its port
    dispatcher = Dispatcher(store, {"email": smtp_gateway(down)}, clock=clock)

    report = await dispatcher.run_once()

    assert report == DispatchReport(retried=1, unavailable=("email",))
    failed = await only_message(store, first)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.next_attempt_at == NOW + dt.timedelta(seconds=30)
    assert failed.last_error is not None and f"127.0.0.1:{down.port}" in failed.last_error
    # the gateway is known to be down: the second mail was not claimed, so it spent no attempt
    untouched = await only_message(store, second)
    assert (untouched.status, untouched.attempts) == ("pending", 0)

    down.start()
    try:
        # the failed one is not due yet; the pending one goes
        assert await dispatcher.run_once() == DispatchReport(sent=1)
        clock.now = NOW + dt.timedelta(seconds=30)
        assert await dispatcher.run_once() == DispatchReport(sent=1)
    finally:
        down.stop()
    delivered = await only_message(store, first)
    assert (delivered.status, delivered.attempts, delivered.sent_at) == (
        "sent",
        2,
        NOW + dt.timedelta(seconds=30),
    )
    ids = {m["Message-ID"] for m in down.mailbox.received}
    assert len(down.mailbox.received) == 2 and f"<{failed.gateway_request_id}@khidma>" in ids


async def test_a_refused_recipient_is_dead_at_once(
    service: TicketService, store: Store, smtp: SmtpServer, clock: Clock
) -> None:
    smtp.mailbox.refuse["college@example.org"] = "550 5.1.1 No such user"
    ticket = await supplies_ticket(service)

    assert await Dispatcher(store, {"email": smtp_gateway(smtp)}, clock=clock).run_once() == DispatchReport(
        dead=1
    )

    dead = await only_message(store, ticket)
    assert (dead.status, dead.attempts) == ("dead", 1)
    assert dead.last_error is not None and "550" in dead.last_error and "No such user" in dead.last_error
    assert smtp.mailbox.received == []


async def test_temporary_refusals_back_off_and_give_up_after_max_attempts(
    service: TicketService, store: Store, smtp: SmtpServer, clock: Clock
) -> None:
    smtp.mailbox.refuse["college@example.org"] = "452 4.2.2 Mailbox full"
    ticket = await supplies_ticket(service)
    dispatcher = Dispatcher(store, {"email": smtp_gateway(smtp)}, clock=clock, max_attempts=4)

    waits = []
    for _ in range(3):
        assert await dispatcher.run_once() == DispatchReport(retried=1)  # not "unavailable": per message
        message = await only_message(store, ticket)
        assert message.status == "failed" and message.last_error is not None and "452" in message.last_error
        waits.append(message.next_attempt_at - clock.now)
        clock.now = message.next_attempt_at - dt.timedelta(seconds=1)
        assert await dispatcher.run_once() == DispatchReport()  # not due yet
        clock.now = message.next_attempt_at
    assert waits == [dt.timedelta(seconds=30), dt.timedelta(seconds=60), dt.timedelta(seconds=120)]

    assert await dispatcher.run_once() == DispatchReport(dead=1)
    dead = await only_message(store, ticket)
    assert (dead.status, dead.attempts) == ("dead", 4)
    assert dead.last_error is not None and dead.last_error.startswith("gave up after 4 attempts")
    clock.now += dt.timedelta(days=1)
    assert await dispatcher.run_once() == DispatchReport()  # dead stays dead
    assert (await dispatcher.status()).dead == 1


def test_backoff_doubles_from_30_seconds_up_to_an_hour() -> None:
    dispatcher = Dispatcher(None, {})  # type: ignore[arg-type]
    assert [dispatcher.backoff(n).total_seconds() for n in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]
    assert dispatcher.backoff(1, retry_after=300).total_seconds() == 300  # the gateway asked for longer
    assert dispatcher.backoff(1, retry_after=86400).total_seconds() == 3600


@pytest.mark.parametrize(
    ("status", "headers", "outcome", "wait"),
    [
        (200, {}, "sent", None),
        (202, {}, "sent", None),
        (400, {}, "dead", None),
        (422, {}, "dead", None),
        (429, {"Retry-After": "120"}, "failed", 120),
        (500, {}, "failed", 30),
        (503, {}, "unavailable", 30),
        (401, {}, "unavailable", 30),
    ],
)
async def test_webhook_answers_map_to_sent_retried_or_dead(
    service: TicketService,
    store: Store,
    webhook: Webhook,
    clock: Clock,
    status: int,
    headers: dict[str, str],
    outcome: str,
    wait: int | None,
) -> None:
    webhook.answers.append((status, headers))
    ticket = await tawasul_ticket(service)
    report = await Dispatcher(
        store, {"sms": WebhookGateway(webhook.url, token=Secret(TOKEN))}, clock=clock
    ).run_once()
    message = await only_message(store, ticket)
    expected = {
        "sent": DispatchReport(sent=1),
        "dead": DispatchReport(dead=1),
        "failed": DispatchReport(retried=1),
        "unavailable": DispatchReport(retried=1, unavailable=("sms",)),
    }[outcome]
    assert report == expected
    assert message.status == {"unavailable": "failed"}.get(outcome, outcome)
    if wait is not None:
        assert message.next_attempt_at == NOW + dt.timedelta(seconds=wait)
    if outcome != "sent":
        assert message.last_error is not None and str(status) in message.last_error
        assert TOKEN not in message.last_error


async def test_a_webhook_that_does_not_answer_in_time_is_unavailable(
    service: TicketService, store: Store, webhook: Webhook, clock: Clock
) -> None:
    webhook.delay = 1.0
    ticket = await tawasul_ticket(service)
    gateway = WebhookGateway(webhook.url, timeout=0.2)
    report = await Dispatcher(store, {"sms": gateway}, clock=clock).run_once()
    assert report == DispatchReport(retried=1, unavailable=("sms",))
    message = await only_message(store, ticket)
    assert message.status == "failed" and message.last_error is not None and "no answer" in message.last_error


# --- crashes --------------------------------------------------------------------------------------


async def test_a_crash_after_sending_resends_under_the_same_ids(
    store_db: str,
    service: TicketService,
    store: Store,
    smtp: SmtpServer,
    webhook: Webhook,
    clock: Clock,
) -> None:
    mail_ticket = await supplies_ticket(service)
    sms_ticket = await tawasul_ticket(service)
    gateways = {"email": smtp_gateway(smtp), "sms": WebhookGateway(webhook.url)}
    # a dispatcher claims both and hands them to their gateways, then dies before recording it
    claimed = await store.claim_outbox(now=NOW, limit=10)
    assert {m.channel for m in claimed} == {"email", "sms"}
    for message in claimed:
        await gateways[message.channel].send(message)
    assert {m.status for m in await store.list_outbox()} == {"sending"}

    reopened = await open_any(store_db, now=NOW)  # the next start, just after
    try:
        # within the sending lease nobody takes them (the sender might still be at work) …
        clock.now = NOW + SENDING_LEASE / 2
        assert await Dispatcher(reopened, gateways, clock=clock).run_once() == DispatchReport()
        assert {(m.status, m.attempts) for m in await reopened.list_outbox()} == {("sending", 1)}
        # … past it, the next round puts them back and sends them again under the same ids
        clock.now = NOW + SENDING_LEASE
        report = await Dispatcher(reopened, gateways, clock=clock).run_once()
        assert report == DispatchReport(sent=2)
        assert {m.status for m in await reopened.list_outbox()} == {"sent"}
        assert await Dispatcher(reopened, gateways, clock=clock).run_once() == DispatchReport()
    finally:
        await reopened.close()

    mail = await only_message(store, mail_ticket)
    sms = await only_message(store, sms_ticket)
    # each gateway saw the message twice, under one id: enough for it to deliver it once
    assert [m["Message-ID"] for m in smtp.mailbox.received] == [f"<{mail.gateway_request_id}@khidma>"] * 2
    assert webhook.keys() == [sms.gateway_request_id] * 2
    assert len(set(webhook.keys())) == 1


# --- configuration and secrets --------------------------------------------------------------------


async def test_smtp_log_in_never_shows_the_password(
    service: TicketService, store: Store, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticator(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"khidma", b"s3cret-pass")
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers 535 itself

    server = SmtpServer(authenticator=authenticator, auth_require_tls=False).start()
    try:
        ticket = await supplies_ticket(service)
        wrong = smtp_gateway(server, username="khidma", password=Secret("wrong-pass"))
        with caplog.at_level(logging.DEBUG):
            report = await Dispatcher(store, {"email": wrong}, clock=clock).run_once()
        assert report == DispatchReport(retried=1, unavailable=("email",))
        message = await only_message(store, ticket)
        assert message.last_error is not None and "535" in message.last_error
        assert "wrong-pass" not in message.last_error and "wrong-pass" not in caplog.text
        assert "wrong-pass" not in repr(wrong)

        clock.now += dt.timedelta(seconds=30)
        right = smtp_gateway(server, username="khidma", password=Secret("s3cret-pass"))
        with caplog.at_level(logging.DEBUG):
            assert await Dispatcher(store, {"email": right}, clock=clock).run_once() == DispatchReport(sent=1)
        assert "s3cret-pass" not in caplog.text
        ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("khidma"))
        assert "college@example.org" not in ours and "co***@example.org" in ours  # masked
        assert "عزيزنا" not in ours  # no bodies in the log
        assert len(server.mailbox.received) == 1
    finally:
        server.stop()


async def test_starttls_is_required_when_asked(
    service: TicketService, store: Store, smtp: SmtpServer, clock: Clock
) -> None:
    ticket = await supplies_ticket(service)
    report = await Dispatcher(store, {"email": smtp_gateway(smtp, starttls=True)}, clock=clock).run_once()
    assert report == DispatchReport(retried=1, unavailable=("email",))
    message = await only_message(store, ticket)
    assert message.last_error is not None and "STARTTLS" in message.last_error
    assert smtp.mailbox.received == []  # nothing said in clear


def test_settings_hide_secrets_and_build_the_configured_gateways(tmp_path: Path) -> None:
    settings = Settings(
        db_path=tmp_path / "k.db",
        smtp_host="127.0.0.1",
        smtp_port=2525,
        smtp_password=Secret("smtp-secret"),
        sms_webhook_url="https://user:pw@sms.example/send?key=abc",
        webhook_token=Secret("token-secret"),
    )
    assert "smtp-secret" not in repr(settings) and "token-secret" not in repr(settings)
    gateways = build_gateways(settings)
    assert sorted(gateways) == ["email", "sms"]  # no WhatsApp URL: WhatsApp stays pending
    assert gateways["email"].label == "smtp 127.0.0.1:2525"
    assert gateways["sms"].label == "webhook https://sms.example/send"
    assert build_gateways(Settings(db_path=tmp_path / "k.db")) == {}
    assert mask_recipient("college@example.org") == "co***@example.org"
    assert mask_recipient("+966 500 000 003") == "***03"


# --- the worker -----------------------------------------------------------------------------------


def reminder_tree(root: Path) -> Path:
    """The minimal tree, with a reminder e-mailed to the department head 7 working hours after routing."""
    files = minimal_files()
    week = {
        d: [{"start": "07:30", "end": "14:30"}]
        for d in ("sunday", "monday", "tuesday", "wednesday", "thursday")
    }
    files["service_definitions/organisation.json"]["calendar"]["week"] = week
    files["workflows/request.json"]["notifications"]["reminder"] = {
        "subject": t("تذكير بالتذكرة {{ ticket.number }}", "Reminder {{ ticket.number }}"),
        "body": t("تذكير {{ ticket.number }}", "Reminder {{ ticket.number }}"),
    }
    files["workflows/request.json"]["timers"]["reminder"]["effects"] = [
        {"notify": "reminder", "to": "head:$ticket", "channel": "email"}
    ]
    return write_tree(root, files)


async def routed_ticket(db: str, tree: Path, at: dt.datetime) -> Ticket:
    """A ticket routed at ``at``; its reminder falls due the next working day."""
    cat = load_tree(tree).catalogue
    assert cat is not None
    store = await open_any(db)
    try:
        await store.add_user(
            id="head", username="head", name="head", roles=["department_head"], department="classrooms",
            email="head@example.org", now=at,
        )  # fmt: skip
        service = TicketService(
            store, WorkingCalendar.from_definition(cat.organisation.calendar), clock=Clock(at)
        )
        await service.publish_shipped(cat)
        anonymous = Actor(id=None, roles=frozenset({"requester"}))
        created = await service.submit("request", {"employee_id": "1"}, channel="web", actor=anonymous)
        assert isinstance(created, Created)
        cs = Actor(id="cs", roles=frozenset({"customer_service"}), department="customer_service")
        ticket = await service.act(created.ticket.id, "route", {}, actor=cs, expected_version=1)
        assert isinstance(ticket, Ticket)
        return ticket
    finally:
        await store.close()


async def test_the_runtime_worker_fires_due_timers_and_delivers_their_mail(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    tree = reminder_tree(tmp_path / "tree")
    past = dt.datetime(2026, 1, 7, 6, 0, tzinfo=dt.UTC)  # a Wednesday long gone: the reminder is due
    ticket = await routed_ticket(db_for(tmp_path), tree, past)
    settings = settings_for(
        tmp_path,
        definitions=tree,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_sender="khidma@example.org",
        background_worker=True,
        worker_interval_seconds=0.05,
    )
    cat = load_tree(tree).catalogue
    assert cat is not None

    runtime = await Runtime.open(settings, cat)
    try:
        assert runtime.worker is not None and runtime.worker.running
        for _ in range(200):
            if smtp.mailbox.received:
                break
            await asyncio.sleep(0.05)
        [mail] = smtp.mailbox.received
        assert mail["Subject"] == f"تذكير بالتذكرة {ticket.number}" and mail["To"] == "head@example.org"
        # the tree's requester gave no address: that notice is recorded undeliverable (issue 12), not sent
        for _ in range(100):  # the mail is in; its "sent" is being recorded
            if [m.status for m in await runtime.store.list_outbox(ticket.id)] == ["dead", "sent"]:
                break
            await asyncio.sleep(0.05)
        [undeliverable, sent] = await runtime.store.list_outbox(ticket.id)
        assert (undeliverable.recipient, undeliverable.attempts) == ("", 0)
        assert sent.status == "sent" and sent.recipient == "head@example.org"
        assert [e.action for e in await runtime.store.list_events(ticket.id)][-1] == "timer:reminder"
        worker = runtime.worker
    finally:
        await runtime.close()
    assert runtime.worker is None and not worker.running
    assert len(smtp.mailbox.received) == 1  # fired once, sent once


async def test_no_worker_when_turned_off(tmp_path: Path) -> None:
    tree = reminder_tree(tmp_path / "tree")
    cat = load_tree(tree).catalogue
    assert cat is not None
    runtime = await Runtime.open(settings_for(tmp_path, definitions=tree, background_worker=False), cat)
    try:
        assert runtime.worker is None
    finally:
        await runtime.close()


def test_khidma_dispatch_once_delivers_and_reports(
    tmp_path: Path,
    smtp: SmtpServer,
    webhook: Webhook,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tree = reminder_tree(tmp_path / "tree")
    db = db_for(tmp_path)
    ticket = asyncio.run(routed_ticket(db, tree, dt.datetime(2026, 1, 7, 6, 0, tzinfo=dt.UTC)))
    monkeypatch.setenv("KHIDMA_WEBHOOK_TOKEN", TOKEN)
    common = ["dispatch", "--once", "--db", db, "--definitions", str(tree)]

    # no gateway: the timer fires, its mail stays pending, and the report says so
    assert main(common) == 0
    out, err = capsys.readouterr()
    assert "timers fired: 1; sent: 0" in out and "pending without a gateway: 1 (email)" in out
    assert "email: none (kept pending)" in err

    assert (
        main(
            [
                *common,
                "--smtp-host",
                "127.0.0.1",
                "--smtp-port",
                str(smtp.port),
                "--sms-webhook-url",
                webhook.url,
            ]
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert "timers fired: 0; sent: 1" in out and "pending without a gateway: 0" in out
    assert f"email: smtp 127.0.0.1:{smtp.port}" in err and TOKEN not in out + err
    [mail] = smtp.mailbox.received
    assert ticket.number in mail["Subject"]


def test_an_smtp_user_without_the_password_variable_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KHIDMA_SMTP_PASSWORD", raising=False)
    args = ["dispatch", "--once", "--db", str(tmp_path / "k.db"), "--smtp-host", "h", "--smtp-username", "u"]
    assert main(args) == 1
    assert "KHIDMA_SMTP_PASSWORD" in capsys.readouterr().err


def test_settings_replace_keeps_secrets_hidden() -> None:
    settings = msgspec.structs.replace(Settings(), smtp_password=Secret("x-secret-x"))
    assert settings.smtp_password is not None and settings.smtp_password.reveal() == "x-secret-x"
    assert "x-secret-x" not in str(settings)


# --- `khidma dispatch` in the background-work election (server/election.py) -------------------------


@contextlib.contextmanager
def holding_the_election(tmp_path: Path) -> Iterator[list[Any]]:
    """This process takes the worker election's lock for the test's database, as an elected `khidma
    serve` does; closing what it yields is that process dying."""
    held = list(election._held)
    assert election.take_lock(settings_for(tmp_path)), "nobody else holds it yet"
    mine = election._held[len(held) :]
    try:
        yield mine
    finally:
        for lock in mine:
            lock.close()
        election._held[:] = held


async def timer_events(db: str, ticket: Ticket) -> list[str]:
    async with await open_any(db) as store:
        return [e.action for e in await store.list_events(ticket.id) if e.action.startswith("timer:")]


def test_khidma_dispatch_once_does_nothing_while_another_process_holds_the_background_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = reminder_tree(tmp_path / "tree")
    db = db_for(tmp_path)
    ticket = asyncio.run(routed_ticket(db, tree, dt.datetime(2026, 1, 7, 6, 0, tzinfo=dt.UTC)))
    once = ["dispatch", "--once", "--db", db, "--definitions", str(tree)]

    with holding_the_election(tmp_path) as lock:
        assert main(once) == ELECTION_LOST
        out, err = capsys.readouterr()
        assert "another process runs the background work" in err and "nothing done" in err
        assert "timers fired" not in out
        assert asyncio.run(timer_events(db, ticket)) == []  # the due timer was left to the holder
        lock[0].close()  # the holder dies
        assert main(once) == 0
        assert "timers fired: 1" in capsys.readouterr().out
    assert asyncio.run(timer_events(db, ticket)) == ["timer:reminder"]
    # the command let its lock go when it ended: a server can be elected now
    with holding_the_election(tmp_path):
        pass


def test_a_running_khidma_dispatch_waits_for_the_holder_takes_over_and_lets_go_when_it_stops(
    tmp_path: Path,
) -> None:
    tree = reminder_tree(tmp_path / "tree")
    db = db_for(tmp_path)
    ticket = asyncio.run(routed_ticket(db, tree, dt.datetime(2026, 1, 7, 6, 0, tzinfo=dt.UTC)))
    log = tmp_path / "dispatch.log"
    with holding_the_election(tmp_path) as lock:
        with log.open("wb") as output:  # the child keeps its own descriptor
            proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "server", "dispatch", "--db", db, "--definitions", str(tree)),
                    *("--attachments", str(tmp_path / "files"), "--interval", "0.05"),
                    *("--worker-election-interval", "0.05"),
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        try:
            until(lambda: "waiting to take over" in log.read_text(), proc, log)
            assert asyncio.run(timer_events(db, ticket)) == []  # it lost: it does nothing meanwhile
            lock[0].close()  # the holder dies
            until(lambda: asyncio.run(timer_events(db, ticket)) == ["timer:reminder"], proc, log)
            assert not election.take_lock(settings_for(tmp_path)), "the dispatcher holds it now"
            # a server started now stands by, and is elected once the dispatcher stops
            asyncio.run(a_server_takes_over_from(proc, log, tmp_path, tree))
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0, log.read_text()


async def a_server_takes_over_from(
    dispatch: subprocess.Popen[bytes], log: Path, tmp_path: Path, tree: Path
) -> None:
    cat = load_tree(tree).catalogue
    assert cat is not None
    settings = settings_for(
        tmp_path,
        definitions=tree,
        background_worker=True,
        worker_election=True,
        worker_election_seconds=0.05,
        worker_interval_seconds=3600,
    )
    held = list(election._held)
    runtime = await Runtime.open(settings, cat)
    try:
        assert runtime.worker is None, "khidma dispatch holds the background work"
        dispatch.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(dispatch.wait, 20) == 0, log.read_text()
        deadline = time.monotonic() + 20
        while runtime.worker is None:  # the dispatcher let its lock go as it stopped
            assert time.monotonic() < deadline, "the server was not elected"
            await asyncio.sleep(0.05)
        assert runtime.election is not None and runtime.election.won
    finally:
        await runtime.close()
        for lock in election._held[len(held) :]:
            lock.close()
        election._held[:] = held


def until(condition: Any, proc: subprocess.Popen[bytes], log: Path, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)


@pytest.mark.single_backend("a PostgreSQL server that does not answer: no database is opened")
def test_khidma_dispatch_once_says_when_the_database_is_out_of_reach(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nowhere = f"postgresql://khidma@127.0.0.1:{free_port()}/khidma?connect_timeout=2"
    args = ["dispatch", "--once", "--db", nowhere, "--attachments", str(tmp_path / "files")]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "cannot be reached" in err and "another process" not in err
