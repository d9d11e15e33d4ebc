"""The staff ticket page with HTMX: an action answers with the ticket's main region (the same partial the
page includes), updated — or with the refusal or the conflict in it; the page's due state is the one
due rule (the pending timer, the service's clock); the page carries no inline script or handler; and
the page reads its people and attachments in one query each."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from tests.test_staff_tasks import T0, at, submit, tree_with_a_timer
from tests.test_staff_tasks import example as task_example
from tests.test_staff_ticket import (
    AR,
    CS,
    EN,
    HEAD,
    REQUESTER,
    STAFF,
    act,
    as_user,
    closed_ticket,
    post_of,
    routed,
    send,
    store_of,
    supplies_ticket,
    token_for,
    user,
)
from tests.web import client_for, csrf_of, html, texts

HX = {"hx-request": "true"}


def fragment_root(text: str) -> Any:
    """The one element the fragment is: ``#ticket-main``, not a whole page."""
    assert "<html" not in text and "<body" not in text, "a fragment, not the full page"
    root = html(text).css_first("body > *")
    assert root is not None and root.attributes.get("id") == "ticket-main"
    return root


async def test_an_htmx_action_answers_with_the_updated_ticket_region(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await supplies_ticket(client)
        await as_user(client, CS)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=EN)
        form = html(page.text).css_first("#action-route_to_department form[method=post]")
        assert form is not None
        assert form.attributes["hx-post"] == form.attributes["action"]
        assert (form.attributes["hx-target"], form.attributes["hx-swap"]) == ("#ticket-main", "outerHTML")
        routed_ = await send(
            client,
            ticket,
            "route_to_department",
            post_of(page.text, "route_to_department"),
            headers={**EN, **HX},
        )
        after = await store_of(client).get_ticket(ticket.id)
    assert routed_.status_code == 200  # no redirect: the region itself
    assert routed_.headers["x-khidma-fragment"] == "ticket-main"
    fragment_root(routed_.text)
    assert after.state == "with_department"
    assert texts(routed_.text, "#ticket-state") == ["Transferred to the Classrooms department"]
    notice = html(routed_.text).css_first("#notice")
    assert notice is not None and notice.attributes["role"] == "status"
    assert notice.text().strip() == "Done: Transfer the ticket to the Classrooms department"
    assert notice.attributes["tabindex"] == "-1"  # staff-ticket.js moves focus to it
    # the actions and the history are those of the ticket as it is now
    assert [
        str(n.attributes["id"]).removeprefix("action-") for n in html(routed_.text).css("details.st-action")
    ] == ["note_to_head", "tell_on_whatsapp"]
    newest = html(routed_.text).css_first("#timeline li")
    assert newest is not None and "Transfer the ticket to the Classrooms department" in newest.text()
    assert len(html(routed_.text).css("#timeline li")) == len(html(page.text).css("#timeline li")) + 1
    # the fresh version goes with the next action
    version = html(routed_.text).css_first('#action-note_to_head input[name="_version"]')
    assert version is not None and version.attributes["value"] == str(after.version)


async def test_the_same_action_without_htmx_still_redirects_to_the_page(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await supplies_ticket(client)
        await as_user(client, CS)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=EN)
        done = await send(client, ticket, "route_to_department", post_of(page.text, "route_to_department"))
    assert done.status_code == 303
    assert done.headers["location"] == f"/staff/tickets/{ticket.id}?done=route_to_department"
    assert "x-khidma-fragment" not in done.headers


async def test_an_htmx_conflict_shows_the_fresh_ticket_and_the_notice_in_the_region(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await supplies_ticket(client)
        await as_user(client, CS)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=EN)
        await act(client, ticket, CS, "note_to_head", {"note": "SOMEONE-ELSE-WAS-FIRST"})
        stale = await send(
            client,
            ticket,
            "request_clarification",
            post_of(page.text, "request_clarification", question=["Which room?"]),
            headers={**EN, **HX},
        )
        after = await store_of(client).get_ticket(ticket.id)
    assert stale.status_code == 409  # the real status; staff-ticket.js swaps the marked fragment
    assert stale.headers["x-khidma-fragment"] == "ticket-main"
    fragment_root(stale.text)
    assert "The ticket changed since you opened it" in texts(stale.text, "#notice")[0]
    assert "SOMEONE-ELSE-WAS-FIRST" in stale.text
    kept = html(stale.text).css_first('textarea[name="request_clarification[question]"]')
    assert kept is not None and kept.text().strip() == "Which room?"
    assert after.state == "received"


async def test_an_htmx_refusal_shows_its_reason_in_the_region(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await closed_ticket(client, "done")
        await as_user(client, CS)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=AR)
        refused = await send(
            client, ticket, "reopen", post_of(page.text, "reopen", note=["محاولة"]), headers={**AR, **HX}
        )
        open_ = await routed(client)
        await as_user(client, STAFF)
        staff_page = await client.get(f"/staff/tickets/{open_.id}", headers=EN)
        staff = await user(client, STAFF)
        not_yours = await send(
            client,
            open_,
            "delegate",
            {
                "_csrf_token": [csrf_of(staff_page.text)],
                "_version": [str(open_.version)],
                "delegate[assignee]": [staff.id],
                "delegate[note]": ["myself"],
            },
            headers={**EN, **HX},
        )
    assert refused.status_code == 422
    fragment_root(refused.text)
    assert "لا يُعاد فتح إلا التذاكر المغلقة" in texts(refused.text, "#problem")[0]
    kept = html(refused.text).css_first('#action-reopen textarea[name="reopen[note]"]')
    assert kept is not None and kept.text().strip() == "محاولة"
    assert not_yours.status_code == 403
    fragment_root(not_yours.text)
    assert "You may not take this action on this ticket" in texts(not_yours.text, "#problem")[0]


async def test_invalid_data_with_htmx_shows_the_errors_beside_the_fields(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await routed(client)
        await as_user(client, HEAD)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=AR)
        outsider = await send(
            client,
            ticket,
            "delegate",
            post_of(page.text, "delegate", assignee=["not-a-member"], note=["ابدأ"]),
            headers={**AR, **HX},
        )
    assert outsider.status_code == 422  # the department-member rule, from TicketService.act
    fragment_root(outsider.text)
    failed = html(outsider.text).css_first("#action-delegate")
    assert failed is not None and "open" in failed.attributes
    assert "اختر أحد منسوبي القسم" in failed.text()


async def test_the_page_due_state_is_the_pending_timer_read_with_the_service_clock(tmp_path: Path) -> None:
    tree = tree_with_a_timer(tmp_path / "tree")
    async with client_for(tmp_path, definitions=tree, background_worker=False) as client:
        headers = await token_for(client, REQUESTER)
        ticket = await submit(client, "supplies", task_example("supplies"), headers, when=T0)
        runtime = client.app.state.runtime
        pending = await runtime.store.ticket_due(ticket.id)
        assert pending == runtime.tickets.calendar.add_working_hours(T0, 14)
        await as_user(client, CS)

        async def due_on_page_and_list(now: dt.datetime) -> tuple[str, str, list[str]]:
            runtime.tickets.clock = at(now)  # the service's clock, not the wall clock (months later)
            page = await client.get(f"/staff/tickets/{ticket.id}", headers=EN)
            listed = await client.get("/staff/tasks?view=all", headers=EN)
            due = html(page.text).css_first("#ticket-due")
            assert due is not None
            return (
                str(due.attributes["data-due-status"]),
                due.text(),
                texts(listed.text, f"#task-{ticket.id} .badge"),
            )

        early = await due_on_page_and_list(T0 + dt.timedelta(hours=3))
        soon = await due_on_page_and_list(dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC))
        late = await due_on_page_and_list(pending + dt.timedelta(minutes=1))
        # leaving the state cancels the timer: nothing is due any more, whatever the workflow says
        await act(client, ticket, CS, "route_to_department")
        runtime.tickets.clock = at(pending + dt.timedelta(days=30))
        routed_page = await client.get(f"/staff/tickets/{ticket.id}", headers=EN)
    assert early[0] == "due" and "Overdue" not in early[1] and early[2] == ["Due in 11 working hours"]
    assert soon[0] == "due_soon" and "Due soon" in soon[1]
    assert late[0] == "overdue" and "Overdue" in late[1] and late[2] == ["Overdue"]  # page and list agree
    assert html(routed_page.text).css_first("#ticket-due") is None


async def test_the_page_has_no_inline_script_nor_handler(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await store_of(client).add_ready_reply(
            title_ar="شكر", title_en="Thanks", body_ar="شكراً لكم", body_en="Thank you"
        )
        ticket = await routed(client)
        staff = await user(client, STAFF)
        await act(client, ticket, HEAD, "delegate", {"assignee": staff.id, "note": "x1"})
        await act(client, ticket, STAFF, "return_to_customer_service", {"outcome": "done", "reply": "تم"})
        await as_user(client, CS)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=AR)
        replies = await client.get(
            "/staff/ready-replies", params={"q": "", "target": "f-x"}, headers={**AR, **HX}
        )
    assert html(page.text).css("button[data-insert-reply]"), "the page offers ready replies to insert"
    for text in (page.text, replies.text):
        assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), "an inline on* handler"
        assert "hx-on" not in text
        for script in html(text).css("script"):
            assert script.attributes.get("src") and "defer" in script.attributes
            assert not script.text().strip()
    scripts = [s.attributes["src"] for s in html(page.text).css("script")]
    assert any(str(src).startswith("/static/staff-ticket.js") for src in scripts)


async def test_the_page_reads_people_and_attachments_in_one_query_each(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        store = store_of(client)
        ticket = await routed(client, attachment=True)
        staff = await user(client, STAFF)
        await act(client, ticket, HEAD, "delegate", {"assignee": staff.id, "note": "x1"})
        await as_user(client, STAFF)
        calls: dict[str, int] = {"get_users": 0, "get_attachments": 0}

        def counted(name: str) -> Any:
            real = getattr(store, name)

            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                calls[name] += 1
                return await real(*args, **kwargs)

            return wrapper

        def refused(*_args: Any, **_kwargs: Any) -> Any:
            raise AssertionError("one read per person or attachment")

        store.get_users, store.get_attachments = counted("get_users"), counted("get_attachments")
        store.get_user, store.get_attachment = refused, refused
        try:
            page = await client.get(f"/staff/tickets/{ticket.id}", headers=AR)
        finally:
            for name in ("get_users", "get_attachments", "get_user", "get_attachment"):
                delattr(store, name)
    assert page.status_code == 200
    assert calls == {"get_users": 1, "get_attachments": 1}
    assert texts(page.text, "#ticket-assignee") == [staff.name]
    assert "college.user name" in texts(page.text, "#ticket-requester")[0]
    assert "مواصفات.pdf" in " ".join(texts(page.text, "#attachments a"))
