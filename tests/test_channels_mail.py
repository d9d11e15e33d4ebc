"""Inbound e-mail (issue 12, item 1): messages in a real dovecot mailbox, polled over IMAP by the worker's
periodic task, and raw RFC 822 posts of the mail gateway, both through the one inbound-mail service."""

from __future__ import annotations

import datetime as dt
import imaplib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.channels.keys import create_key
from server.channels.mail_parse import html_to_text, parse_mail
from server.runtime import Runtime
from server.settings import Secret
from tests.conftest import Dovecot
from tests.web import client_for, form_values

NOW = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
MAIL = {"Content-Type": "message/rfc822"}


def mail(
    message_id: str,
    *,
    sender: str = "Dean of Science <dean@science.example.edu>",
    subject: str = "طلب أجهزة عرض",
    body: str = "نرغب في طلب أجهزة عرض لقاعات الكلية",
    html: str | None = None,
    headers: dict[str, str] | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Edu_services@uqu.edu.sa"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{message_id}>"
    msg["Date"] = format_datetime(NOW)
    for name, value in (headers or {}).items():
        msg[name] = value
    if html is not None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
    if attachment is not None:
        msg.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return msg.as_bytes()


def bounce(message_id: str) -> bytes:
    """A delivery-status notification, as a mail server's daemon sends it (RFC 3464)."""
    return (
        "From: Mail Delivery System <MAILER-DAEMON@uqu.edu.sa>\r\n"
        "To: Edu_services@uqu.edu.sa\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <{message_id}>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.uqu.edu.sa\r\n\r\nFinal-Recipient: rfc822; nobody@example.org\r\nAction: failed\r\n"
        "--b1--\r\n"
    ).encode()


def runtime_of(client: AsyncTestClient[Any]) -> Runtime:
    runtime: Runtime = client.app.state.runtime
    return runtime


async def tickets_of_email(runtime: Runtime) -> list[Any]:
    found = []
    for number in range(1, 20):
        ticket = await runtime.store.get_ticket_by_number(f"2026-{number:06d}")
        if ticket is not None and ticket.service_id == "email":
            found.append(ticket)
    return found


# --- the IMAP poll, against a real dovecot ------------------------------------------------------


@pytest.fixture
async def polled(
    tmp_path: Path, dovecot: Dovecot, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[AsyncTestClient[Any], str]]:
    """The app polling a mailbox of its own on the loopback dovecot (the user is the test's name)."""
    user = request.node.name.replace("[", "_").replace("]", "")[:60]
    settings = {
        "imap_host": dovecot.host,
        "imap_port": dovecot.port,
        "imap_tls": False,
        "imap_user": user,
        "imap_password": Secret(dovecot.password),
    }
    async with client_for(tmp_path, **settings) as client:
        yield client, user


def deliver(dovecot: Dovecot, user: str, *messages: bytes) -> None:
    """Put messages in the user's INBOX as a mail server would (IMAP APPEND, unseen)."""
    box = imaplib.IMAP4(dovecot.host, dovecot.port)
    try:
        box.login(user, dovecot.password)
        for message in messages:
            assert box.append("INBOX", None, None, message)[0] == "OK"
    finally:
        box.logout()


def unseen(dovecot: Dovecot, user: str) -> list[bytes]:
    box = imaplib.IMAP4(dovecot.host, dovecot.port)
    try:
        box.login(user, dovecot.password)
        box.select("INBOX")
        return list(box.uid("search", None, "UNSEEN")[1][0].split())
    finally:
        box.logout()


async def poll(client: AsyncTestClient[Any]) -> dict[str, int]:
    """One round of the worker's periodic task registered for the mailbox."""
    task = dict(runtime_of(client).periodic)["imap"]
    return dict(await task())  # type: ignore[call-overload]


async def test_a_mail_in_the_mailbox_becomes_a_ticket_with_its_attachment(
    polled: tuple[AsyncTestClient[Any], str], dovecot: Dovecot
) -> None:
    client, user = polled
    runtime = runtime_of(client)
    deliver(dovecot, user, mail("first@science.example.edu", attachment=("list.pdf", b"%PDF-1.4 list")))
    assert await poll(client) == {"created": 1}
    assert unseen(dovecot, user) == []
    [ticket] = await tickets_of_email(runtime)
    assert ticket.channel == "email" and ticket.state == "received"
    assert ticket.data["email"] == "dean@science.example.edu"
    assert ticket.data["sender_name"] == "Dean of Science"
    assert ticket.data["subject"] == "طلب أجهزة عرض"
    assert ticket.data["message"] == "نرغب في طلب أجهزة عرض لقاعات الكلية"
    assert ticket.data["received_at"].startswith("2026-11-30T08:00:00")
    events = await runtime.store.list_events(ticket.id)
    assert events[0].actor_name == f"imap:{user}"
    attachment = await runtime.store.get_attachment(ticket.data["attachment_1"])
    assert attachment is not None and attachment.ticket_id == ticket.id
    assert (attachment.filename, attachment.media_type) == ("list.pdf", "application/pdf")
    assert runtime.store.attachment_path(attachment).read_bytes() == b"%PDF-1.4 list"


async def test_a_reply_threads_into_its_ticket_and_a_bounce_or_a_duplicate_makes_nothing(
    polled: tuple[AsyncTestClient[Any], str], dovecot: Dovecot
) -> None:
    client, user = polled
    runtime = runtime_of(client)
    deliver(dovecot, user, mail("q1@science.example.edu"))
    await poll(client)
    [ticket] = await tickets_of_email(runtime)
    reply = mail(
        "q2@science.example.edu",
        subject="Re: طلب أجهزة عرض",
        body="نرفق قائمة الأجهزة",
        attachment=("more.pdf", b"%PDF-1.4 more"),
        headers={"In-Reply-To": "<q1@science.example.edu>", "References": "<q1@science.example.edu>"},
    )
    by_number = mail("q3@science.example.edu", subject=f"بخصوص التذكرة {ticket.number}", body="هل من جديد؟")
    auto = mail(
        "ooo@science.example.edu", subject="Out of office", headers={"Auto-Submitted": "auto-replied"}
    )
    bulk = mail("news@science.example.edu", subject="Newsletter", headers={"Precedence": "bulk"})
    xauto = mail("xa@science.example.edu", subject="Away", headers={"X-Autoreply": "yes"})
    deliver(dovecot, user, reply, by_number, auto, bulk, xauto, bounce("bounce@uqu.edu.sa"), reply)
    assert await poll(client) == {"threaded": 2, "ignored": 4, "duplicate": 1}
    assert await poll(client) == {}  # everything was marked seen
    assert [t.id for t in await tickets_of_email(runtime)] == [ticket.id]
    events = await runtime.store.list_events(ticket.id)
    assert [e.action for e in events] == ["create", "sender_writes", "sender_writes"]
    assert events[1].data["message"] == "نرفق قائمة الأجهزة" and events[1].visibility == "public"
    added = await runtime.store.get_attachment(events[1].data["attachment_1"])
    assert added is not None and added.ticket_id == ticket.id and added.filename == "more.pdf"
    assert events[2].data["message"] == "هل من جديد؟"


async def test_the_worker_round_polls_the_mailbox(
    polled: tuple[AsyncTestClient[Any], str], dovecot: Dovecot
) -> None:
    from server.notify.dispatcher import Dispatcher, run_round

    client, user = polled
    runtime = runtime_of(client)
    assert "imap" in dict(runtime.periodic)
    deliver(dovecot, user, mail("worker@science.example.edu"))
    await run_round(runtime, Dispatcher(runtime.store, {}))
    assert len(await tickets_of_email(runtime)) == 1
    assert unseen(dovecot, user) == []


async def test_no_mailbox_configured_registers_no_poll(tmp_path: Path) -> None:
    async with client_for(tmp_path, imap_host=None) as client:
        assert "imap" not in dict(runtime_of(client).periodic)


async def test_a_number_in_the_subject_threads_only_for_the_tickets_own_sender(
    polled: tuple[AsyncTestClient[Any], str], dovecot: Dovecot
) -> None:
    client, user = polled
    runtime = runtime_of(client)
    deliver(dovecot, user, mail("own@science.example.edu"))
    await poll(client)
    [ticket] = await tickets_of_email(runtime)
    other = mail("other@elsewhere.example", sender="x@elsewhere.example", subject=f"Re: {ticket.number}")
    deliver(dovecot, user, other)
    assert await poll(client) == {"created": 1}
    assert len(await tickets_of_email(runtime)) == 2


async def test_a_wrong_mailbox_password_creates_nothing_and_raises_for_the_worker_log(
    tmp_path: Path, dovecot: Dovecot
) -> None:
    from server.channels.imap import MailboxError

    settings = {
        "imap_host": dovecot.host,
        "imap_port": dovecot.port,
        "imap_tls": False,
        "imap_user": "wrongpass",
        "imap_password": Secret("not-the-password"),
    }
    async with client_for(tmp_path, **settings) as client:
        with pytest.raises(MailboxError) as raised:
            await poll(client)
        assert "not-the-password" not in str(raised.value)
        assert await tickets_of_email(runtime_of(client)) == []


# --- the mail gateway's RFC 822 POST ------------------------------------------------------------


async def test_a_posted_message_with_a_wrong_key_is_refused_and_creates_nothing(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        runtime = runtime_of(client)
        _, tawasul_key = await create_key(runtime.store, runtime.org, "tawasul", "tawasul", now=NOW)
        for headers in ({}, {"X-Api-Key": "khidma_int_wrong"}, {"X-Api-Key": tawasul_key}):
            answer = await client.post(
                "/api/integrations/mail", content=mail("p1@x.example"), headers={**MAIL, **headers}
            )
            assert answer.status_code == 401
        assert await tickets_of_email(runtime) == []
        assert not await runtime.store.inbound_message_seen("p1@x.example")


async def test_a_posted_message_opens_a_ticket_once_and_its_reply_threads(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        runtime = runtime_of(client)
        _, key = await create_key(runtime.store, runtime.org, "gateway", "email", now=NOW)
        auth = {**MAIL, "Authorization": f"Bearer {key}"}
        html = "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body><p>طلب <b>صيانة</b> &amp; دعم</p><p>شكراً</p></body></html>"
        first = await client.post(
            "/api/integrations/mail", content=mail("h1@x.example", html=html), headers=auth
        )
        assert first.status_code == 201, first.text
        assert first.json()["outcome"] == "created"
        again = await client.post(
            "/api/integrations/mail", content=mail("h1@x.example", html=html), headers=auth
        )
        assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
        [ticket] = await tickets_of_email(runtime)
        assert ticket.data["message"] == "طلب صيانة & دعم\n\nشكراً"
        assert ticket.number == first.json()["ticket_number"]
        reply = mail("h2@x.example", headers={"References": "<unknown@x.example> <h1@x.example>"})
        threaded = await client.post("/api/integrations/mail", content=reply, headers=auth)
        assert threaded.status_code == 200 and threaded.json() == {
            "outcome": "threaded",
            "message_id": "h2@x.example",
            "ticket_number": ticket.number,
            "reason": "",
        }
        bounced = await client.post("/api/integrations/mail", content=bounce("b@x.example"), headers=auth)
        assert bounced.status_code == 200 and bounced.json()["outcome"] == "ignored"
        wrong_type = await client.post(
            "/api/integrations/mail",
            content=b"hello",
            headers={"Content-Type": "text/plain", "X-Api-Key": key},
        )
        assert wrong_type.status_code == 415
        assert len(await tickets_of_email(runtime)) == 1


async def test_a_reply_to_the_tickets_own_notification_threads_and_reopens_it(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        runtime = runtime_of(client)
        _, key = await create_key(runtime.store, runtime.org, "gateway", "email", now=NOW)
        auth = {**MAIL, "X-Api-Key": key}
        await client.post("/api/integrations/mail", content=mail("n1@x.example"), headers=auth)
        [ticket] = await tickets_of_email(runtime)
        rep = await runtime.store.add_user(
            username="rep", name="Rep", roles=["customer_service"], department="customer_service", now=NOW
        )
        from server.engine.model import Actor

        actor = Actor(id=rep.id, name=rep.name, roles=frozenset(rep.roles), department=rep.department)
        sorted_ = await runtime.tickets.act(
            ticket.id,
            "sort",
            {"classification": "supplies_request"},
            actor=actor,
            expected_version=ticket.version,
        )
        replied = await runtime.tickets.act(
            ticket.id,
            "reply_eticket",
            {"reply_path": "eticket", "reply": "نرجو استخدام التذاكر الإلكترونية"},
            actor=actor,
            expected_version=sorted_.version,  # type: ignore[union-attr]
        )
        assert getattr(replied, "state", None) == "replied", replied
        [sent] = [
            m for m in await runtime.store.list_outbox(ticket.id) if m.recipient == "dean@science.example.edu"
        ]
        answer = mail(
            "n2@x.example",
            subject="Re: reply",
            headers={"In-Reply-To": f"<{sent.gateway_request_id}@khidma>"},
        )
        threaded = await client.post("/api/integrations/mail", content=answer, headers=auth)
        assert threaded.json()["outcome"] == "threaded"
        fresh = await runtime.store.get_ticket(ticket.id)
        assert fresh is not None and fresh.state == "received"
        assert (await runtime.store.list_events(ticket.id))[-1].action == "sender_writes_after_reply"


def test_html_only_mail_becomes_safe_text() -> None:
    assert html_to_text("<p>a<br>b</p><script>x()</script><div>&lt;script&gt;</div>") == "a\nb\n\n<script>"
    parsed = parse_mail(b"From: a@b.example\r\nSubject: s\r\n\r\nbody\r\n")
    assert parsed.message_id.startswith("sha256:") and parsed.text == "body" and not parsed.automatic


# --- sorting rules as data: the suggested class pre-filled, the representative confirming ----------


async def test_the_sort_form_suggests_a_class_from_the_messages_words(tmp_path: Path) -> None:
    from tests.test_requester_pages import login

    async with client_for(tmp_path) as client:
        runtime = runtime_of(client)
        _, key = await create_key(runtime.store, runtime.org, "gateway", "email", now=NOW)
        auth = {**MAIL, "X-Api-Key": key}
        broken = mail("s1@x.example", subject="جهاز العرض", body="جهاز العرض في القاعة ١٠١ لا يعمل")
        plain = mail("s2@x.example", sender="b@x.example", subject="سؤال", body="متى يبدأ الدوام؟")
        for message in (broken, plain):
            assert (
                await client.post("/api/integrations/mail", content=message, headers=auth)
            ).status_code == 201
        first, second = await tickets_of_email(runtime)
        await login(client, "rep", ["customer_service"], "customer_service")
        page = await client.get(f"/staff/tickets/{first.id}")
        sort_form = f'form[action="/staff/tickets/{first.id}/actions/sort"]'
        assert form_values(page.text, sort_form)["sort[classification]"] == ["supplies_maintenance"]
        other = await client.get(f"/staff/tickets/{second.id}")
        other_form = f'form[action="/staff/tickets/{second.id}/actions/sort"]'
        assert "sort[classification]" not in form_values(other.text, other_form)


def test_a_suggestion_is_only_ever_one_of_the_fields_choices() -> None:
    from server.channels.sorting import suggest
    from server.definitions.model import Form, Text

    schema = {
        "properties": {
            "kind": {
                "type": "string",
                "oneOf": [{"const": "a"}, {"const": "b"}],
                "x-suggest": {
                    "from": ["text"],
                    "rules": [
                        {"value": "zzz", "keywords": ["صيانة"]},
                        {"value": "b", "keywords": ["صيانة"]},
                    ],
                },
            }
        }
    }
    form = Form(id="f", title=Text(ar="ن", en="f"), schema=schema)
    assert suggest(form, {"text": "طلب صيانه عاجل"}) == {"kind": "b"}  # ة and ه fold together
    assert suggest(form, {"text": "سؤال"}) is None


# --- every attachment kept within the bounds; the rest noted on the ticket ------------------------


async def test_every_attachment_within_the_bounds_is_kept_and_the_rest_noted_on_the_ticket(
    tmp_path: Path,
) -> None:
    from server.channels.mail import receive_mail
    from tests.test_staff_ticket import CS, as_user

    async with client_for(tmp_path, max_upload_bytes=1000) as client:
        runtime = runtime_of(client)
        msg = EmailMessage()
        msg["From"] = "dean@science.example.edu"
        msg["To"] = "Edu_services@uqu.edu.sa"
        msg["Subject"] = "ملفات"
        msg["Message-ID"] = "<many@science.example.edu>"
        msg.set_content("مرفقات كثيرة")
        msg.add_attachment(b"x" * 2000, maintype="application", subtype="pdf", filename="big.pdf")
        for n in range(1, 12):
            msg.add_attachment(
                f"%PDF {n}".encode(), maintype="application", subtype="pdf", filename=f"f{n}.pdf"
            )
        receipt = await receive_mail(runtime, msg.as_bytes(), source="test")
        assert receipt.outcome == "created"
        [ticket] = await tickets_of_email(runtime)
        kept = [ticket.data[f"attachment_{n}"] for n in range(1, 11)]
        found = await runtime.store.get_attachments(kept)
        assert [found[i].filename for i in kept] == [f"f{n}.pdf" for n in range(1, 11)]
        assert all(found[i].ticket_id == ticket.id for i in kept)
        note = ticket.data["attachments_not_kept"].splitlines()
        assert note[0].startswith("big.pdf: لم يُحفظ: حجمه") and note[1].startswith(
            "f11.pdf: لم يُحفظ: تُحفظ أول 10"
        )
        await as_user(client, CS)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers={"accept-language": "en"})
        assert "Attachments not kept" in page.text and "f11.pdf" in page.text
        assert all(f"f{n}.pdf" in page.text for n in range(1, 11))

        # a follow-up keeps its attachments the same way
        follow = EmailMessage()
        follow["From"] = "dean@science.example.edu"
        follow["Subject"] = "Re: ملفات"
        follow["Message-ID"] = "<many-2@science.example.edu>"
        follow["In-Reply-To"] = "<many@science.example.edu>"
        follow.set_content("ملف آخر")
        follow.add_attachment(b"y" * 1001, maintype="application", subtype="pdf", filename="big2.pdf")
        follow.add_attachment(b"%PDF more", maintype="application", subtype="pdf", filename="more.pdf")
        assert (await receive_mail(runtime, follow.as_bytes(), source="test")).outcome == "threaded"
        event = (await runtime.store.list_events(ticket.id))[-1]
        assert event.data["attachments_not_kept"].startswith("big2.pdf: ")
        more = await runtime.store.get_attachment(event.data["attachment_1"])
        assert more is not None and more.filename == "more.pdf" and more.ticket_id == ticket.id
