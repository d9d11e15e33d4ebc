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


# --- the customer-service replies log ------------------------------------------------------------

DAY = dt.datetime(2026, 11, 1, 7, 0, tzinfo=dt.UTC)
AUDITOR = ("auditor", ["auditor"], None)
OTHER_STAFF = ("classrooms.staff", ["department_staff"], "classrooms")
REQUESTER = ("college.user", ["requester"], None)


async def mailed(client: AsyncTestClient[Any], message_id: str, sender: str, subject: str) -> int:
    """A mail through the gateway's RFC 822 POST; the id of its ticket."""
    from server.channels.mail import receive_mail

    receipt = await receive_mail(
        runtime_of(client), mail(message_id, sender=sender, subject=subject), source="test"
    )
    assert receipt.outcome == "created", receipt
    ticket = await runtime_of(client).store.get_ticket_by_number(receipt.ticket_number or "")
    assert ticket is not None
    return ticket.id


def at(client: AsyncTestClient[Any], moment: dt.datetime) -> None:
    runtime_of(client).tickets.clock = lambda: moment


@pytest.fixture
async def logged(tmp_path: Any) -> Any:
    """Three answered mails over three weeks, the first sorted and answered twice (its class changed)."""
    from tests.web import client_for

    async with client_for(tmp_path) as client:
        await person(client, "supervisor", ["general_supervisor"], None, email=SUPERVISOR_MAIL)
        at(client, DAY)
        first = await mailed(client, "l1@x.example", "a@science.example.edu", "أجهزة")
        await staff_reply(client, first, "supplies_request", '=HYPERLINK("http://x") استخدموا التذاكر')
        at(client, DAY + dt.timedelta(days=7))
        second = await mailed(client, "l2@x.example", "b@arts.example.edu", "قبول")
        await staff_reply(client, second, "outside_remit", "راجعوا عمادة القبول")
        at(client, DAY + dt.timedelta(days=14))
        from server.channels.mail import receive_mail

        again = mail(
            "l3@x.example",
            sender="a@science.example.edu",
            subject="Re",
            headers={"In-Reply-To": "<l1@x.example>"},
        )
        assert (await receive_mail(runtime_of(client), again, source="test")).outcome == "threaded"
        await staff_reply(client, first, "within_remit_other", "تم الرد على استفساركم")
        yield client


def rows_of(page: str) -> list[list[str]]:
    from tests.web import html

    return [
        [" ".join(td.text().split()) for td in tr.css("td")] for tr in html(page).css("#replies tbody tr")
    ]


async def test_the_log_lists_every_reply_with_its_class_recipient_copy_and_representative(
    logged: Any,
) -> None:
    client = logged
    await as_user(client, CS)
    page = await client.get("/staff/replies/", headers={"accept-language": "en"})
    assert page.status_code == 200, page.text
    rows = rows_of(page.text)
    assert [r[2] for r in rows] == [
        "Within the administration's remit (other than educational supplies)",
        "Request outside the administration's remit",
        "Request for educational supplies",  # the class as it stood when that reply was written
    ]
    assert [r[3] for r in rows] == ["a@science.example.edu", "b@arts.example.edu", "a@science.example.edu"]
    assert all(r[4] == SUPERVISOR_MAIL for r in rows)
    assert all(r[5] == "cs.rep name" for r in rows)
    assert rows[1][6] == "راجعوا عمادة القبول"
    assert all(r[7] == "Waiting to be sent" for r in rows)
    assert "Replies: 3" in page.text

    only = await client.get("/staff/replies/?class=outside_remit", headers={"accept-language": "en"})
    assert [r[3] for r in rows_of(only.text)] == ["b@arts.example.edu"]
    week = await client.get(
        "/staff/replies/?from=2026-11-08&to=2026-11-08", headers={"accept-language": "en"}
    )
    assert [r[3] for r in rows_of(week.text)] == ["b@arts.example.edu"]
    first_two = await client.get(
        "/staff/replies/?from=2026-11-01&to=2026-11-08", headers={"accept-language": "en"}
    )
    assert len(rows_of(first_two.text)) == 2


async def test_the_log_pages(logged: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from server.channels import replies

    monkeypatch.setattr(replies, "PAGE_SIZE", 2)
    client = logged
    await as_user(client, CS)
    first = await client.get("/staff/replies/", headers={"accept-language": "en"})
    assert len(rows_of(first.text)) == 2 and "Page 1 of 2" in first.text
    assert 'href="/staff/replies?page=2"' in first.text
    second = await client.get("/staff/replies?page=2", headers={"accept-language": "en"})
    assert [r[3] for r in rows_of(second.text)] == ["a@science.example.edu"]
    assert "Page 2 of 2" in second.text and 'rel="next"' not in second.text


async def test_the_log_as_csv_and_xlsx(logged: Any) -> None:
    import csv
    import io

    import openpyxl

    client = logged
    await as_user(client, CS)
    answer = await client.get("/staff/replies/export.csv?class=supplies_request&lang=en")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert table[0][:4] == ["Replied at", "Ticket", "Class", "Recipient"]
    assert len(table) == 2 and table[1][3] == "a@science.example.edu"
    assert table[1][6].startswith("'=HYPERLINK")  # never a formula in a spreadsheet
    assert "استخدموا التذاكر" in table[1][9]  # the whole message as sent
    book = await client.get("/staff/replies/export.xlsx?lang=ar")
    assert book.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None and sheet.sheet_view.rightToLeft
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][2] == "تصنيف الرسالة" and len(values) == 4
    assert {v[3] for v in values[1:]} == {"a@science.example.edu", "b@arts.example.edu"}
    assert values[3][6] == '=HYPERLINK("http://x") استخدموا التذاكر'  # a string cell, not a formula


async def test_who_may_see_the_log_and_bad_filters(logged: Any) -> None:
    client = logged
    for who, status in ((CS, 200), (AUDITOR, 200), (OTHER_STAFF, 403), (REQUESTER, 403)):
        await as_user(client, who)
        assert (await client.get("/staff/replies/")).status_code == status, who
        assert (await client.get("/staff/replies/export.csv")).status_code == status, who
        linked = 'id="replies-link"' in (await client.get("/")).text  # the header links it to whom it answers
        assert linked == (status == 200), who
    await as_user(client, ("supervisor", ["general_supervisor"], None))
    assert (await client.get("/staff/replies/")).status_code == 200
    client.cookies.clear()
    assert (await client.get("/staff/replies/", follow_redirects=False)).status_code in (302, 303, 401)
    await as_user(client, CS)
    for query, text in (
        ("from=yesterday", "Not a date: yesterday"),
        ("from=2026-11-09&to=2026-11-01", "The end date is before the start date"),
        ("class=nope", "Unknown class"),
        ("page=0", "Not a page number"),
    ):
        bad = await client.get(f"/staff/replies/?{query}", headers={"accept-language": "en"})
        assert bad.status_code == 400 and text in bad.text, query
    arabic = await client.get("/staff/replies/?from=x", headers={"accept-language": "ar"})
    assert arabic.status_code == 400 and "التاريخ غير صحيح" in arabic.text
    assert (await client.get("/staff/replies/export.pdf")).status_code == 404
