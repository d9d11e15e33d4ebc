"""E-mail replies end to end (issue 12, service 6): a mail placed in a real dovecot mailbox becomes a
ticket, the sender's next mail threads into it, the representative answers on the staff page, and the
answer — threaded to the sender's mail — and the general supervisor's copy reach a real SMTP server on
loopback; the sender's answer to it threads back. Then the customer-service replies log: its page,
filters, paging, and its CSV and XLSX files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from server.notify.dispatcher import Dispatcher
from server.notify.gateways import SmtpGateway
from tests.conftest import Dovecot
from tests.test_channels_mail import deliver, mail, poll, polled, runtime_of, tickets_of_email
from tests.test_dispatcher import SmtpServer
from tests.test_notifications_trust import person
from tests.test_staff_ticket import CS, as_user, post_of, send

__all__ = ["polled"]  # the fixture, shared with test_channels_mail

SUPERVISOR_MAIL = "supervisor@uqu.edu.sa"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


async def staff_reply(client: AsyncTestClient[Any], ticket_id: int, classification: str, text: str) -> None:
    """The representative sorts the message and answers it, on the staff ticket page."""
    runtime = runtime_of(client)
    ticket = await runtime.store.get_ticket(ticket_id)
    assert ticket is not None
    await as_user(client, CS)
    page = await client.get(f"/staff/tickets/{ticket.id}")
    sorted_ = await send(client, ticket, "sort", post_of(page.text, "sort", classification=[classification]))
    assert sorted_.status_code in (200, 303), sorted_.text
    reply_action = {
        "supplies_request": "reply_eticket",
        "supplies_maintenance": "reply_eticket",
        "outside_remit": "reply_competent_body",
        "within_remit_other": "reply_within_remit",
    }[classification]
    page = await client.get(f"/staff/tickets/{ticket.id}")
    fields: dict[str, list[str]] = {"reply": [text]}
    if reply_action == "reply_competent_body":
        fields["competent_body"] = ["عمادة القبول والتسجيل"]
    answered = await send(client, ticket, reply_action, post_of(page.text, reply_action, **fields))
    assert answered.status_code in (200, 303), answered.text
    fresh = await runtime.store.get_ticket(ticket.id)
    assert fresh is not None and fresh.state == "replied", fresh


async def test_a_mailed_question_is_answered_to_its_sender_with_the_supervisors_copy_threaded(
    polled: tuple[AsyncTestClient[Any], str], dovecot: Dovecot, smtp: SmtpServer
) -> None:
    client, user = polled
    runtime = runtime_of(client)
    await person(client, "supervisor", ["general_supervisor"], None, email=SUPERVISOR_MAIL)
    deliver(dovecot, user, mail("e2e-1@science.example.edu"))
    assert await poll(client) == {"created": 1}
    follow = mail(
        "e2e-2@science.example.edu",
        subject="Re: طلب أجهزة عرض",
        body="نحتاج عشرة أجهزة",
        headers={"In-Reply-To": "<e2e-1@science.example.edu>", "References": "<e2e-1@science.example.edu>"},
    )
    deliver(dovecot, user, follow)
    assert await poll(client) == {"threaded": 1}
    [ticket] = await tickets_of_email(runtime)

    await staff_reply(client, ticket.id, "supplies_request", "نرجو رفع الطلب عبر التذاكر الإلكترونية")
    gateway = SmtpGateway("127.0.0.1", smtp.port, sender="edu_services@uqu.edu.sa", timeout=5)
    report = await Dispatcher(runtime.store, {"email": gateway}).run_once()
    assert report.sent == 2 and report.dead == 0

    received = {str(m["To"]): m for m in smtp.mailbox.received}
    assert set(received) == {"dean@science.example.edu", SUPERVISOR_MAIL}
    assert sorted(rcpt for _, rcpts in smtp.mailbox.envelopes for rcpt in rcpts) == sorted(received)
    answer = received["dean@science.example.edu"]
    for sent in received.values():
        assert ticket.number in str(sent["Subject"])
        assert sent["In-Reply-To"] == "<e2e-2@science.example.edu>"
        assert str(sent["References"]).split() == [
            "<e2e-1@science.example.edu>",
            "<e2e-2@science.example.edu>",
        ]
    body = answer.get_body(preferencelist=("plain",))
    assert body is not None and "نرجو رفع الطلب عبر التذاكر الإلكترونية" in body.get_content()

    # the sender answers the reply: it threads into the ticket, which goes back to be sorted
    again = mail(
        "e2e-3@science.example.edu",
        subject=f"Re: {answer['Subject']}",
        body="شكراً، تم الرفع",
        headers={
            "In-Reply-To": str(answer["Message-ID"]),
            "References": str(answer["References"]) + " " + str(answer["Message-ID"]),
        },
    )
    deliver(dovecot, user, again)
    assert await poll(client) == {"threaded": 1}
    fresh = await runtime.store.get_ticket(ticket.id)
    assert fresh is not None and fresh.state == "received"
    assert [t.id for t in await tickets_of_email(runtime)] == [ticket.id]
    assert await runtime.store.mail_thread(ticket.id, before=dt.datetime.now(dt.UTC)) == [
        "e2e-1@science.example.edu",
        "e2e-2@science.example.edu",
        "e2e-3@science.example.edu",
    ]
