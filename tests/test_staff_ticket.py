"""The staff ticket page, every kind of action through it, ready replies, conflicts, and the ticket API —
through the real app on a real SQLite file, HTML read with CSS selectors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import msgspec

from server.accounts.tokens import new_api_token, token_hash
from server.engine.model import Actor
from server.store.records import Ticket, User
from server.tickets.service import Created
from tests.test_requester_pages import example, login
from tests.web import client_for, csrf_of, form_values, html, texts

AR = {"accept-language": "ar"}
EN = {"accept-language": "en-GB,en;q=0.9"}

# (username, roles, department)
CS = ("cs.rep", ["customer_service"], "customer_service")
HEAD = ("classrooms.head", ["department_head"], "classrooms")
STAFF = ("classrooms.staff", ["department_staff"], "classrooms")
OTHER_HEAD = ("maintenance.head", ["department_head"], "maintenance_center")
OTHER_STAFF = ("maintenance.staff", ["department_staff"], "maintenance_center")
AUDITOR = ("auditor", ["auditor"], None)
REQUESTER = ("college.user", ["requester"], None)
Who = tuple[str, list[str], str | None]


def store_of(client: Any) -> Any:
    return client.app.state.runtime.store


async def user(client: Any, who: Who) -> User:
    """The user (created on first use, with the password ``login`` knows)."""
    from server.accounts.passwords import hash_password

    username, roles, department = who
    store = store_of(client)
    found: User | None = await store.get_user_by_username(username)
    if found is None:
        found = await store.add_user(
            username=username,
            name=f"{username} name",
            roles=roles,
            department=department,
            password_hash=hash_password("pass-word-1"),
            now=dt.datetime.now(dt.UTC),
        )
    return found


async def as_user(client: Any, who: Who) -> User:
    """Log the client in as ``who`` (logging out whoever was logged in)."""
    found = await user(client, who)
    client.cookies.clear()
    await login(client, *who)
    return found


async def token_for(client: Any, who: Who) -> dict[str, str]:
    found = await user(client, who)
    token = new_api_token()
    await store_of(client).create_api_token(found.id, "tests", token_hash(token), now=dt.datetime.now(dt.UTC))
    return {"authorization": f"Bearer {token}"}


def actor(found: User) -> Actor:
    return Actor(id=found.id, name=found.name, roles=frozenset(found.roles), department=found.department)


async def supplies_ticket(client: Any, *, attachment: bool = False) -> Ticket:
    """A supplies ticket submitted by a college (optionally with a PDF attached)."""
    runtime = client.app.state.runtime
    requester = await user(client, REQUESTER)
    data = example("supplies")
    attached = None
    if attachment:
        attached = await runtime.store.add_attachment(
            ticket_id=None,
            field="attachment",
            filename="مواصفات.pdf",
            media_type="application/pdf",
            content=b"%PDF-1.4 specification",
            now=dt.datetime.now(dt.UTC),
        )
        data["attachment"] = attached.id
    created = await runtime.tickets.submit(
        "supplies", data, channel="web", actor=actor(requester), requester_id=requester.id
    )
    assert isinstance(created, Created), created
    if attached is not None:
        await runtime.store.link_attachments(created.ticket.id, [attached.id])
    return created.ticket


async def act(
    client: Any, ticket: Ticket, who: Who, action: str, data: dict[str, Any] | None = None
) -> Ticket:
    """Take an action through the service (test set-up), as ``who``."""
    current = await store_of(client).get_ticket(ticket.id)
    result = await client.app.state.runtime.tickets.act(
        ticket.id, action, data or {}, actor=actor(await user(client, who)), expected_version=current.version
    )
    assert isinstance(result, Ticket), result
    return result


async def routed(client: Any, **kwargs: Any) -> Ticket:
    """A supplies ticket routed to the Classrooms department (held by its head)."""
    ticket = await supplies_ticket(client, **kwargs)
    return await act(client, ticket, CS, "route_to_department")


async def closed_ticket(client: Any, outcome: str) -> Ticket:
    ticket = await routed(client)
    staff = await user(client, STAFF)
    await act(client, ticket, HEAD, "delegate", {"assignee": staff.id, "note": "تولَّ الطلب"})
    await act(client, ticket, STAFF, "return_to_customer_service", {"outcome": outcome, "reply": "إفادة"})
    return await act(client, ticket, CS, "reply_and_close", {"reply": "تم الرد على طلبكم"})


def action_ids(page: str) -> list[str]:
    return [str(n.attributes["id"]).removeprefix("action-") for n in html(page).css("details.st-action")]


def post_of(page: str, action: str, **fields: list[str]) -> dict[str, list[str]]:
    """The action's form as the browser would send it, with ``fields`` (unprefixed names) filled in."""
    values = form_values(page, f"#action-{action} form[method=post]")
    for name, value in fields.items():
        values[f"{action}[{name}]"] = value
    return values


async def send(client: Any, ticket: Ticket, action: str, post: dict[str, list[str]], **kw: Any) -> Any:
    return await client.post(
        f"/staff/tickets/{ticket.id}/actions/{action}", data=post, follow_redirects=False, **kw
    )


# --- the page ----------------------------------------------------------------------------------


async def test_page_shows_the_data_attachments_and_the_timeline_with_notes_and_replies_apart(
    tmp_path: Path,
) -> None:
    async with client_for(tmp_path) as client:
        ticket = await supplies_ticket(client, attachment=True)
        await act(client, ticket, CS, "note_to_head", {"note": "INTERNAL-NOTE-1 تم الاتصال بالعميل"})
        await act(
            client, ticket, CS, "request_clarification", {"question": "PUBLIC-QUESTION-1 ما رقم القاعة؟"}
        )
        await as_user(client, CS)
        ar = await client.get(f"/staff/tickets/{ticket.id}", headers=AR)
        en = await client.get(f"/staff/tickets/{ticket.id}", headers=EN)
        link = html(ar.text).css_first("#attachments a")
        assert link is not None
        download = await client.get(str(link.attributes["href"]))
    assert ar.status_code == en.status_code == 200
    assert texts(ar.text, "#ticket-number") == [ticket.number]
    assert texts(ar.text, "#ticket-service") == ["توفير المستلزمات والأجهزة التعليمية"]
    assert texts(en.text, "#ticket-state") == ["Pending the requester's clarification"]
    assert texts(en.text, "#ticket-category") == ["Pending"]
    assert texts(en.text, "#ticket-department") == ["Customer Service Unit"] or texts(
        en.text, "#ticket-department"
    )
    assert "college.user name" in texts(ar.text, "#ticket-requester")[0]
    assert "أحمد محمد علي" in texts(ar.text, "#ticket-requester")[0]
    assert texts(en.text, "#ticket-channel")
    # the submitted data, labelled from the form in the viewer's language
    data_ar, data_en = html(ar.text).css_first("#ticket-data"), html(en.text).css_first("#ticket-data")
    assert data_ar is not None and data_en is not None
    assert "الكلية أو الجهة الطالبة" in data_ar.text() and "كلية الهندسة" in data_ar.text()
    assert "Requesting college or body" in data_en.text() and "A college of the university" in data_en.text()
    assert "مواصفات.pdf" in data_ar.text()  # the file field shows the file's name, not its id
    # the attachment downloads with its media type, as an attachment
    assert download.status_code == 200 and download.content == b"%PDF-1.4 specification"
    assert download.headers["content-type"].startswith("application/pdf")
    assert download.headers["content-disposition"].startswith("attachment")
    # the timeline: internal notes and public replies apart, each labelled
    internal = " ".join(texts(ar.text, ".st-event--internal"))
    public = " ".join(texts(ar.text, ".st-event--public"))
    assert "INTERNAL-NOTE-1" in internal and "INTERNAL-NOTE-1" not in public
    assert "PUBLIC-QUESTION-1" in public and "PUBLIC-QUESTION-1" not in internal
    assert "ملاحظة داخلية" in internal and "رد للعميل" in public
    assert "Internal note" in " ".join(texts(en.text, ".st-event--internal"))
    note = next(n for n in html(en.text).css(".st-event") if "INTERNAL-NOTE-1" in n.text())
    assert "cs.rep name" in note.text() and "Add an internal note for the department head" in note.text()
    assert note.css_first("time") is not None and note.css_first("dt") is not None  # who, when, labelled data
    question = next(n for n in html(en.text).css(".st-event") if "PUBLIC-QUESTION-1" in n.text())
    assert "Received by customer service" in question.text()  # from → to
    assert "Pending the requester's clarification" in question.text()


async def test_each_role_sees_the_actions_the_workflow_allows_it(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await supplies_ticket(client)
        seen: dict[str, list[str]] = {}
        for who in (CS, HEAD, STAFF, AUDITOR):
            await as_user(client, who)
            seen[f"received:{who[0]}"] = action_ids((await client.get(f"/staff/tickets/{ticket.id}")).text)
        await act(client, ticket, CS, "route_to_department")
        for who in (CS, HEAD, STAFF, AUDITOR):
            await as_user(client, who)
            page = await client.get(f"/staff/tickets/{ticket.id}")
            assert page.status_code == 200
            seen[f"routed:{who[0]}"] = action_ids(page.text)
    assert seen["received:cs.rep"] == [
        "note_to_head",
        "request_clarification",
        "tell_on_whatsapp",
        "ask_on_whatsapp",
        "route_to_department",
    ]
    assert seen["received:classrooms.head"] == seen["received:classrooms.staff"] == []
    assert seen["routed:cs.rep"] == ["note_to_head", "tell_on_whatsapp"]
    assert seen["routed:classrooms.head"] == ["delegate", "work_note", "return_to_customer_service"]
    assert seen["routed:classrooms.staff"] == ["work_note", "return_to_customer_service"]
    assert seen["received:auditor"] == seen["routed:auditor"] == []


async def test_every_kind_of_action_through_the_page(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        store = store_of(client)
        ticket = await supplies_ticket(client)
        staff = await user(client, STAFF)
        head = await user(client, HEAD)
        await user(client, OTHER_STAFF)

        # customer service: an internal note, then the route to the department (an action without a form)
        await as_user(client, CS)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=AR)
        noted = await send(
            client, ticket, "note_to_head", post_of(page.text, "note_to_head", note=["ملاحظة للرئيس"])
        )
        assert noted.status_code == 303, noted.text[:1000]
        assert noted.headers["location"] == f"/staff/tickets/{ticket.id}?done=note_to_head"
        after_note = await client.get(noted.headers["location"], headers=AR)
        assert "تم تنفيذ الإجراء" in texts(after_note.text, "#notice")[0]
        assert "ملاحظة للرئيس" in " ".join(texts(after_note.text, ".st-event--internal"))
        routed_ = await send(
            client, ticket, "route_to_department", post_of(after_note.text, "route_to_department")
        )
        assert routed_.status_code == 303
        assert (await store.get_ticket(ticket.id)).state == "with_department"

        # the head delegates to a member of the department, chosen from the department's members
        await as_user(client, HEAD)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=AR)
        select = html(page.text).css_first('#action-delegate select[name="delegate[assignee]"]')
        assert select is not None
        options = {
            o.attributes.get("value"): o.text().strip()
            for o in select.css("option")
            if o.attributes.get("value")
        }
        assert options == {staff.id: staff.name, head.id: head.name}  # not the other department's staff
        empty = await send(client, ticket, "delegate", post_of(page.text, "delegate", note=["ابدأ"]))
        assert empty.status_code == 422
        assert html(empty.text).css_first("#action-delegate .kh-field--error select") is not None
        assert (
            html(empty.text).css_first('#action-delegate textarea[name="delegate[note]"]').text().strip()
            == "ابدأ"
        )  # type: ignore[union-attr]
        outsider = await send(
            client,
            ticket,
            "delegate",
            post_of(page.text, "delegate", assignee=["not-a-member"], note=["ابدأ"]),
        )
        assert outsider.status_code == 422 and "اختر أحد منسوبي القسم" in outsider.text
        delegated = await send(
            client,
            ticket,
            "delegate",
            post_of(page.text, "delegate", assignee=[staff.id], note=["ابدأ بالتوريد"]),
        )
        assert delegated.status_code == 303
        current = await store.get_ticket(ticket.id)
        assert (current.state, current.assignee_user) == ("in_progress", staff.id)

        # the staff member returns it: the reply is mandatory, what was typed is kept
        await as_user(client, STAFF)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=AR)
        assert texts(page.text, "#ticket-assignee") == [staff.name]
        delegation = next(
            n for n in html(page.text).css(".st-event--internal") if "ابدأ بالتوريد" in n.text()
        )
        assert staff.name in delegation.text() and staff.id not in page.text  # the member's name, not the id
        no_reply = await send(
            client,
            ticket,
            "return_to_customer_service",
            post_of(page.text, "return_to_customer_service", outcome=["not_done_unavailable"]),
        )
        assert no_reply.status_code == 422
        fields = html(no_reply.text).css_first("#action-return_to_customer_service")
        assert fields is not None and "open" in fields.attributes
        assert fields.css_first(".kh-field--error textarea") is not None  # the error beside the reply
        checked = fields.css_first('input[value="not_done_unavailable"]')
        assert checked is not None and "checked" in checked.attributes
        assert (await store.get_ticket(ticket.id)).state == "in_progress"
        returned = await send(
            client,
            ticket,
            "return_to_customer_service",
            post_of(
                page.text,
                "return_to_customer_service",
                outcome=["not_done_unavailable"],
                reply=["المستلزم غير متوفر حالياً"],
            ),
        )
        assert returned.status_code == 303
        assert (await store.get_ticket(ticket.id)).state == "answered"

        # customer service replies (with a ready-replies picker on the reply) and closes
        await store.add_ready_reply(
            title_ar="عدم توفر المستلزم",
            title_en="Supply unavailable",
            body_ar="نعتذر، المستلزم غير متوفر",
            body_en="Sorry, unavailable",
        )
        await as_user(client, CS)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=AR)
        picker = html(page.text).css_first("#action-reply_and_close .st-ready-replies")
        assert picker is not None and "عدم توفر المستلزم" in picker.text()
        insert = picker.css_first("button.st-reply__insert")
        assert insert is not None
        assert (
            insert.attributes["data-target"]
            == html(page.text)
            .css_first('#action-reply_and_close textarea[name="reply_and_close[reply]"]')
            .attributes["id"]
        )  # type: ignore[union-attr]
        assert insert.attributes["data-body"] == "نعتذر، المستلزم غير متوفر"  # the requester wrote in Arabic
        closed = await send(
            client,
            ticket,
            "reply_and_close",
            post_of(page.text, "reply_and_close", reply=["نعتذر، المستلزم غير متوفر"]),
        )
        assert closed.status_code == 303
        assert (await store.get_ticket(ticket.id)).category == "closed"

        # and reopens it once the supply arrives
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=AR)
        assert "reopen" in action_ids(page.text)
        reopened = await send(client, ticket, "reopen", post_of(page.text, "reopen", note=["وصل المستلزم"]))
        assert reopened.status_code == 303
        assert (await store.get_ticket(ticket.id)).state == "with_department"


async def test_a_refused_guard_shows_its_reason_in_the_page_language(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await closed_ticket(client, "done")
        await as_user(client, CS)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=AR)
        ar = await send(client, ticket, "reopen", post_of(page.text, "reopen", note=["محاولة"]), headers=AR)
        en = await send(client, ticket, "reopen", post_of(page.text, "reopen", note=["attempt"]), headers=EN)
        after = await store_of(client).get_ticket(ticket.id)
    assert ar.status_code == en.status_code == 422
    assert "لا يُعاد فتح إلا التذاكر المغلقة" in texts(ar.text, "#problem")[0]
    assert (
        "Only tickets closed as 'not done: the supply is unavailable' can be reopened"
        in texts(en.text, "#problem")[0]
    )
    assert html(ar.text).css_first('#action-reopen textarea[name="reopen[note]"]').text().strip() == "محاولة"  # type: ignore[union-attr]
    assert after.state == "closed" and after.version == ticket.version


async def test_an_action_the_user_may_not_take_is_403(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await routed(client)
        await as_user(client, STAFF)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=EN)
        staff = await user(client, STAFF)
        post = {
            "_csrf_token": [csrf_of(page.text)],
            "_version": [str(ticket.version)],
            "delegate[assignee]": [staff.id],
            "delegate[note]": ["myself"],
        }
        refused = await send(client, ticket, "delegate", post, headers=EN)
        after = await store_of(client).get_ticket(ticket.id)
    assert refused.status_code == 403
    assert "You may not take this action on this ticket" in texts(refused.text, "#problem")[0]
    assert after.version == ticket.version


async def test_ready_replies_are_searched_in_arabic_and_english(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        store = store_of(client)
        await store.add_ready_reply(
            title_ar="موعد التوريد",
            title_en="Delivery date",
            body_ar="سيتم التوريد خلال أسبوع",
            body_en="It will be delivered within a week",
        )
        await store.add_ready_reply(
            title_ar="خارج الاختصاص",
            title_en="Outside our remit",
            body_ar="يرجى مراجعة الجهة المختصة",
            body_en="Please contact the competent body",
        )
        ticket = await closed_ticket(client, "done")
        await as_user(client, CS)
        hx = {"hx-request": "true"}
        arabic = await client.get(
            "/staff/ready-replies",
            params={"q": "التوريد", "lang": "ar", "target": "f-x"},
            headers={**AR, **hx},
        )
        english = await client.get(
            "/staff/ready-replies",
            params={"q": "delivery", "lang": "en", "target": "f-x"},
            headers={**EN, **hx},
        )
        cross = await client.get(
            "/staff/ready-replies", params={"q": "remit", "lang": "ar", "target": "f-x"}, headers=AR
        )
        nothing = await client.get(
            "/staff/ready-replies", params={"q": "لا يوجد مثله", "target": "f-x"}, headers=EN
        )
        evil = await client.get("/staff/ready-replies", params={"q": "", "target": '"><script>'}, headers=AR)
        # without JavaScript the page itself filters the list
        page = await client.get(
            f"/staff/tickets/{ticket.id}", params={"q": "remit", "lang": "en"}, headers=EN
        )
        client.cookies.clear()
        anonymous = await client.get("/staff/ready-replies", params={"q": "x"}, follow_redirects=False)
    assert arabic.status_code == 200 and "<html" not in arabic.text
    assert texts(arabic.text, ".st-reply__title-ar") == ["موعد التوريد"]
    assert texts(arabic.text, ".st-reply__title-en") == [
        "Delivery date"
    ]  # both titles, whatever the language
    assert texts(arabic.text, ".st-reply__body") == ["سيتم التوريد خلال أسبوع"]
    assert html(arabic.text).css_first("button").attributes["data-body"] == "سيتم التوريد خلال أسبوع"  # type: ignore[union-attr]
    assert texts(english.text, ".st-reply__body") == ["It will be delivered within a week"]
    assert texts(english.text, "button") == ["Insert: Delivery date"]
    assert texts(cross.text, ".st-reply__title-ar") == ["خارج الاختصاص"]  # an English word finds it
    assert texts(nothing.text, ".st-replies-empty") == ["No matching ready replies."]
    assert "<script>" not in evil.text and html(evil.text).css("button") == []
    assert anonymous.status_code == 303
    # the reopen form has a note (no picker); the ready replies are on reply fields only
    assert html(page.text).css(".st-ready-replies") == []


async def test_the_page_without_javascript_lists_and_filters_ready_replies(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        store = store_of(client)
        await store.add_ready_reply(
            title_ar="شكر", title_en="Thanks", body_ar="شكراً لكم", body_en="Thank you"
        )
        await store.add_ready_reply(
            title_ar="اعتذار", title_en="Apology", body_ar="نعتذر", body_en="We apologise"
        )
        ticket = await routed(client)
        staff = await user(client, STAFF)
        await act(client, ticket, HEAD, "delegate", {"assignee": staff.id, "note": "x1"})
        await act(client, ticket, STAFF, "return_to_customer_service", {"outcome": "done", "reply": "تم"})
        await as_user(client, CS)
        everything = await client.get(f"/staff/tickets/{ticket.id}", headers=AR)
        filtered = await client.get(
            f"/staff/tickets/{ticket.id}", params={"q": "apolog", "lang": "en"}, headers=AR
        )
    assert texts(everything.text, "#action-reply_and_close .st-reply__title-en") == ["Thanks", "Apology"]
    search = html(everything.text).css_first("#action-reply_and_close form[role=search]")
    assert search is not None and search.attributes["method"] == "get"
    assert texts(filtered.text, "#action-reply_and_close .st-reply__title-en") == ["Apology"]
    assert texts(filtered.text, "#action-reply_and_close .st-reply__body") == ["We apologise"]


async def test_a_stale_action_shows_the_fresh_ticket_and_applies_nothing(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await supplies_ticket(client)
        await as_user(client, CS)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=EN)
        # someone else routes the ticket while the page is open
        await act(client, ticket, CS, "note_to_head", {"note": "SOMEONE-ELSE-WAS-FIRST"})
        stale = await send(
            client,
            ticket,
            "request_clarification",
            post_of(page.text, "request_clarification", question=["Which room?"]),
            headers=EN,
        )
        after = await store_of(client).get_ticket(ticket.id)
        events = await store_of(client).list_events(ticket.id)
    assert stale.status_code == 409
    assert "The ticket changed since you opened it" in texts(stale.text, "#notice")[0]
    assert "SOMEONE-ELSE-WAS-FIRST" in stale.text  # the fresh ticket
    assert after.state == "received" and after.version == ticket.version + 1
    assert [e.action for e in events] == ["create", "note_to_head"]  # nothing applied
    fresh_version = html(stale.text).css_first('#action-request_clarification input[name="_version"]')
    assert fresh_version is not None and fresh_version.attributes["value"] == str(after.version)
    kept = html(stale.text).css_first(
        '#action-request_clarification textarea[name="request_clarification[question]"]'
    )
    assert kept is not None and kept.text().strip() == "Which room?"  # what was typed is not lost


async def test_the_page_needs_a_log_in_and_a_readable_ticket(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await supplies_ticket(client)
        anonymous = await client.get(f"/staff/tickets/{ticket.id}", follow_redirects=False)
        await as_user(client, CS)
        missing = await client.get("/staff/tickets/999999", headers=EN)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/login?next=%2Fstaff%2Ftickets%2F{ticket.id}"
    assert missing.status_code == 404 and "Page not found" in missing.text


# --- the API -----------------------------------------------------------------------------------


async def test_api_get_ticket(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await routed(client)
        staff = await user(client, STAFF)
        await act(client, ticket, HEAD, "work_note", {"note": "API-INTERNAL"})
        head = await token_for(client, HEAD)
        body = (await client.get(f"/api/tickets/{ticket.id}", headers={**head, **EN})).json()
        cs = (await client.get(f"/api/tickets/{ticket.id}", headers=await token_for(client, CS))).json()
        no_token = await client.get(f"/api/tickets/{ticket.id}")
        bad_token = await client.get(f"/api/tickets/{ticket.id}", headers={"authorization": "Bearer nope"})
        missing = await client.get("/api/tickets/999999", headers=head)
    assert {
        "id",
        "number",
        "service",
        "version",
        "state",
        "category",
        "department",
        "assignee",
        "data",
        "events",
        "actions",
    } <= set(body)
    assert body["id"] == ticket.id and body["number"] == ticket.number and body["service"] == "supplies"
    assert body["version"] == 1  # the definition version
    assert (
        body["state"] == "with_department"
        and body["category"] == "open"
        and body["department"] == "classrooms"
    )
    assert body["assignee"] == {"role": "department_head", "user": None}
    assert body["data"]["college"] == "كلية الهندسة"
    assert [e["action"] for e in body["events"]] == ["create", "route_to_department", "work_note"]
    note = body["events"][-1]
    assert note["visibility"] == "internal" and note["data"] == {"note": "API-INTERNAL"}
    assert note["from"] == note["to"] == "with_department"
    assert note["actor"]["name"] == "classrooms.head name" and note["at"]
    actions = {a["id"]: a for a in body["actions"]}
    assert list(actions) == ["delegate", "work_note", "return_to_customer_service"]
    assert actions["delegate"]["label"] == {
        "ar": "إسناد التذكرة لأحد منسوبي القسم",
        "en": "Assign the ticket to a department staff member",
    }
    assert actions["delegate"]["form"]["required"] == ["assignee", "note"]
    assert {c["value"] for c in actions["delegate"]["choices"]["/assignee"]} >= {staff.id}
    assert [a["id"] for a in cs["actions"]] == ["note_to_head", "tell_on_whatsapp"]
    assert no_token.status_code == bad_token.status_code == 401
    assert missing.status_code == 404


async def test_api_post_action(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await routed(client)
        staff = await user(client, STAFF)
        head, staff_token = await token_for(client, HEAD), await token_for(client, STAFF)
        url = f"/api/tickets/{ticket.id}/actions"
        v = ticket.version
        forbidden = await client.post(
            f"{url}/delegate",
            json={"data": {"assignee": staff.id, "note": "x"}, "expected_version": v},
            headers=staff_token,
        )
        invalid = await client.post(
            f"{url}/delegate", json={"data": {"note": "ابدأ"}, "expected_version": v}, headers={**head, **EN}
        )
        outsider = await client.post(
            f"{url}/delegate",
            json={"data": {"assignee": "nobody", "note": "ابدأ"}, "expected_version": v},
            headers=head,
        )
        ok = await client.post(
            f"{url}/delegate",
            json={"data": {"assignee": staff.id, "note": "ابدأ"}, "expected_version": v},
            headers=head,
        )
        stale = await client.post(
            f"{url}/work_note", json={"data": {"note": "late"}, "expected_version": v}, headers=head
        )
        no_token = await client.post(
            f"{url}/work_note", json={"data": {"note": "x"}, "expected_version": v + 1}
        )
        unknown = await client.post(f"{url}/fly", json={"data": {}, "expected_version": v + 1}, headers=head)
        returned = await client.post(
            f"{url}/return_to_customer_service",
            json={"data": {"outcome": "done", "reply": "تم التوريد"}, "expected_version": v + 1},
            headers=staff_token,
        )
        closed = await client.post(
            f"{url}/reply_and_close",
            json={"data": {"reply": "تم"}, "expected_version": v + 2},
            headers=await token_for(client, CS),
        )
        guard = await client.post(
            f"{url}/reopen", json={"data": {"note": "again"}, "expected_version": v + 3}, headers=head
        )
        after = await store_of(client).get_ticket(ticket.id)
    assert forbidden.status_code == 403 and forbidden.json()["reason"] == "not_allowed_actor"
    assert invalid.status_code == 422
    assert [e["path"] for e in invalid.json()["errors"]] == ["/assignee"]
    assert outsider.status_code == 422 and outsider.json()["errors"][0]["path"] == "/assignee"
    assert ok.status_code == 200, ok.text
    assert ok.json()["state"] == "in_progress" and ok.json()["ticket_version"] == v + 1
    assert ok.json()["assignee"] == {"role": None, "user": staff.id}
    assert stale.status_code == 409 and stale.json()["current_version"] == v + 1
    assert no_token.status_code == 401
    assert unknown.status_code == 404
    assert returned.status_code == 200 and returned.json()["state"] == "answered"
    assert closed.status_code == 200 and closed.json()["category"] == "closed"
    assert guard.status_code == 422
    body = guard.json()
    assert body["reason"] == "guard_refused" and body["guard"] == "supply_was_unavailable"
    assert body["messages"]["ar"].startswith("لا يُعاد فتح") and body["messages"]["en"].startswith(
        "Only tickets"
    )
    assert after.state == "closed" and after.version == v + 3


async def test_openapi_lists_the_ticket_api(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/tickets/{ticket_id}" in schema["paths"]
    assert "/api/tickets/{ticket_id}/actions/{action_id}" in schema["paths"]
    assert not any(path.startswith("/staff") for path in schema["paths"])


def test_the_templates_read_only_fields_of_their_contexts() -> None:
    import re

    from server.web.staff_ticket import ReadyRepliesPanel, StaffTicketPage

    root = Path(__file__).resolve().parent.parent / "templates" / "staff"
    for template, context, name in (
        ("ticket.html", StaffTicketPage, "page"),
        ("_ticket_main.html", StaffTicketPage, "page"),
        ("_ready_replies.html", ReadyRepliesPanel, "panel"),
    ):
        source = (root / template).read_text(encoding="utf-8")
        fields = {f.name for f in msgspec.structs.fields(context)}
        for used in set(re.findall(rf"\b{name}\.([a-z_]+)", source)):
            assert used in fields, f"{template} reads {name}.{used}, which {context.__name__} does not have"
