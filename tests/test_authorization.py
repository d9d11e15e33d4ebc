"""Authorization, as issue 5's "done when" states it — through the real app on a real SQLite file:

* a head of one department can neither list, open nor act on another department's tickets;
* staff cannot take head-only actions;
* the requester and the tracking page never see internal notes;
* the auditor can read, but every unsafe request is refused;
* an API call without a token gets 401.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from server.store.records import Ticket
from tests.test_requester_pages import example
from tests.test_staff_ticket import (
    AUDITOR,
    CS,
    EN,
    HEAD,
    OTHER_HEAD,
    OTHER_STAFF,
    REQUESTER,
    STAFF,
    act,
    as_user,
    routed,
    send,
    store_of,
    token_for,
    user,
)
from tests.web import client_for, csrf_of, html, texts

SECRETS = ("SECRET-NOTE-TO-HEAD", "SECRET-DELEGATION-NOTE", "SECRET-WORK-NOTE")


async def worked_ticket(client: object) -> Ticket:
    """A supplies ticket with an internal note at each step, delegated to a Classrooms staff member."""
    ticket = await routed(client)
    staff = await user(client, STAFF)
    await act(client, ticket, CS, "note_to_head", {"note": SECRETS[0]})
    await act(client, ticket, HEAD, "delegate", {"assignee": staff.id, "note": SECRETS[1]})
    return await act(client, ticket, STAFF, "work_note", {"note": SECRETS[2]})


# --- a head of another department ---------------------------------------------------------------


async def test_head_of_another_department_cannot_open_its_tickets(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await worked_ticket(client)
        own = await client.get(f"/api/tickets/{ticket.id}", headers=await token_for(client, HEAD))
        other = await client.get(f"/api/tickets/{ticket.id}", headers=await token_for(client, OTHER_HEAD))
        other_staff = await client.get(
            f"/api/tickets/{ticket.id}", headers=await token_for(client, OTHER_STAFF)
        )
        missing = await client.get("/api/tickets/999999", headers=await token_for(client, OTHER_HEAD))
        await as_user(client, OTHER_HEAD)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=EN)
        no_such_page = await client.get("/staff/tickets/999999", headers=EN)
    assert own.status_code == 200
    assert other.status_code == other_staff.status_code == 404
    assert other.json()["detail"] == missing.json()["detail"]  # the same answer as for no ticket at all
    assert page.status_code == 404 and "Page not found" in page.text
    assert html(page.text).css_first("main").text() == html(no_such_page.text).css_first("main").text()  # type: ignore[union-attr]
    assert not any(secret in page.text + other.text for secret in SECRETS)


async def test_head_of_another_department_cannot_act_on_its_tickets(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await routed(client)
        other = await user(client, OTHER_STAFF)
        api = await client.post(
            f"/api/tickets/{ticket.id}/actions/delegate",
            json={"data": {"assignee": other.id, "note": "خذها"}, "expected_version": ticket.version},
            headers=await token_for(client, OTHER_HEAD),
        )
        api_note = await client.post(
            f"/api/tickets/{ticket.id}/actions/work_note",
            json={"data": {"note": "ملاحظة"}, "expected_version": ticket.version},
            headers=await token_for(client, OTHER_HEAD),
        )
        await as_user(client, OTHER_HEAD)
        form = await client.get("/", headers=EN)  # any page, for a CSRF token
        post = {
            "_csrf_token": [csrf_of(form.text)],
            "_version": [str(ticket.version)],
            "delegate[assignee]": [other.id],
            "delegate[note]": ["خذها"],
        }
        page = await send(client, ticket, "delegate", post, headers=EN)
        after = await store_of(client).get_ticket(ticket.id)
        events = await store_of(client).list_events(ticket.id)
    assert api.status_code == api_note.status_code == 403
    assert page.status_code == 404
    assert after.version == ticket.version and [e.action for e in events] == ["create", "route_to_department"]


async def test_head_of_another_department_cannot_list_its_tickets(tmp_path: Path) -> None:
    """The task lists (``/staff/tasks``, ``GET /api/tasks``) come from the task-list work; they use the
    same read rule (``server.access``). Every view the other head may ask for leaves the ticket out."""
    async with client_for(tmp_path) as client:
        ticket = await worked_ticket(client)
        own = await client.get(
            "/api/tasks", params={"view": "department"}, headers=await token_for(client, HEAD)
        )
        if own.status_code == 404:
            pytest.skip(
                "the task lists (/staff/tasks, GET /api/tasks) are not registered in server/app.py yet"
            )
        token = await token_for(client, OTHER_HEAD)
        api = [
            await client.get("/api/tasks", params={"view": view}, headers=token)
            for view in ("mine", "department", "incoming", "all")
        ]
        await as_user(client, OTHER_HEAD)
        pages = [
            await client.get("/staff/tasks", params={"view": view}, headers=EN)
            for view in ("mine", "department", "incoming", "all")
        ]
    assert own.status_code == 200 and ticket.number in own.text  # the head of the department sees it
    for response in api + pages:
        assert response.status_code in (200, 403), response.text[:300]
        assert ticket.number not in response.text


# --- staff and head-only actions ----------------------------------------------------------------


async def test_staff_cannot_take_head_only_actions(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await routed(client)
        staff = await user(client, STAFF)
        api = await client.post(
            f"/api/tickets/{ticket.id}/actions/delegate",
            json={"data": {"assignee": staff.id, "note": "لنفسي"}, "expected_version": ticket.version},
            headers={**await token_for(client, STAFF), **EN},
        )
        await as_user(client, STAFF)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=EN)
        post = {
            "_csrf_token": [csrf_of(page.text)],
            "_version": [str(ticket.version)],
            "delegate[assignee]": [staff.id],
            "delegate[note]": ["لنفسي"],
        }
        refused = await send(client, ticket, "delegate", post, headers=EN)
        after = await store_of(client).get_ticket(ticket.id)
    assert html(page.text).css_first("#action-delegate") is None  # not offered
    assert (
        api.status_code == 403
        and api.json()["messages"]["en"] == "You may not take this action on this ticket"
    )
    assert refused.status_code == 403
    assert after.version == ticket.version and after.state == "with_department"


# --- internal notes stay inside -----------------------------------------------------------------


async def test_the_requester_and_the_tracking_page_never_see_internal_notes(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await worked_ticket(client)
        await act(
            client, ticket, STAFF, "return_to_customer_service", {"outcome": "done", "reply": "PUBLIC-ANSWER"}
        )
        closed = await act(client, ticket, CS, "reply_and_close", {"reply": "PUBLIC-REPLY"})
        track = await client.get(f"/track/{closed.number}?code={closed.tracking_code}", headers=EN)
        track_api = await client.get(f"/api/track/{closed.number}", params={"code": closed.tracking_code})
        mine = await client.get(f"/api/tickets/{closed.id}", headers=await token_for(client, REQUESTER))
        await as_user(client, REQUESTER)
        staff_page = await client.get(f"/staff/tickets/{closed.id}", headers=EN)
        # staff see the same notes (the control)
        await as_user(client, CS)
        cs_page = await client.get(f"/staff/tickets/{closed.id}", headers=EN)
    assert track.status_code == track_api.status_code == mine.status_code == 200
    assert "PUBLIC-REPLY" in track.text and "PUBLIC-REPLY" in track_api.text
    for body in (track.text, track_api.text, mine.text, staff_page.text):
        assert not any(secret in body for secret in SECRETS)
    assert {e["visibility"] for e in mine.json()["events"]} == {"public"}
    assert mine.json()["actions"] == []
    assert staff_page.status_code == 403  # the staff page is for staff
    internal = " ".join(texts(cs_page.text, ".st-event--internal"))
    assert all(secret in internal for secret in SECRETS)


# --- the auditor --------------------------------------------------------------------------------


async def test_the_auditor_reads_everything_and_changes_nothing(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await worked_ticket(client)
        token = await token_for(client, AUDITOR)
        api_read = await client.get(f"/api/tickets/{ticket.id}", headers=token)
        api_act = await client.post(
            f"/api/tickets/{ticket.id}/actions/work_note",
            json={"data": {"note": "auditor"}, "expected_version": ticket.version},
            headers={**token, **EN},
        )
        api_submit = await client.post(
            "/api/services/inquiries/tickets", json=example("inquiries"), headers=token
        )
        await as_user(client, AUDITOR)
        page = await client.get(f"/staff/tickets/{ticket.id}", headers=EN)
        csrf = csrf_of(page.text)
        page_act = await send(
            client,
            ticket,
            "work_note",
            {"_csrf_token": [csrf], "_version": [str(ticket.version)], "work_note[note]": ["auditor"]},
            headers=EN,
        )
        apply = await client.post(
            "/services/inquiries/apply",
            data={"_csrf_token": csrf, "full_name": "مدقق"},
            headers=EN,
            follow_redirects=False,
        )
        survey = await client.post(
            f"/survey/{ticket.number}", data={"_csrf_token": csrf, "_code": ticket.tracking_code}, headers=EN
        )
        without_csrf = await client.post(f"/staff/tickets/{ticket.id}/actions/work_note", data={}, headers=EN)
        logout = await client.post("/logout", data={"_csrf_token": csrf}, follow_redirects=False)
        after = await store_of(client).get_ticket(ticket.id)
        tickets = await client.app.state.runtime.store.get_ticket(ticket.id + 1)
    assert api_read.status_code == 200
    assert {e["visibility"] for e in api_read.json()["events"]} == {"public", "internal"}
    assert api_read.json()["actions"] == []
    assert page.status_code == 200 and all(secret in page.text for secret in SECRETS)
    assert html(page.text).css("details.st-action") == []
    assert api_act.status_code == api_submit.status_code == 403
    assert api_act.json()["reason"] == "read_only"
    assert api_act.json()["messages"] == {"ar": "صلاحياتك للاطلاع فقط", "en": "Your access is read-only"}
    for response in (page_act, apply, survey, without_csrf):
        assert response.status_code == 403, response.text[:300]
        assert "Not allowed" in response.text and "<html" in response.text  # the bilingual error page
    assert logout.status_code == 303  # logging out is allowed
    assert after.version == ticket.version and tickets is None


# --- the API without a token --------------------------------------------------------------------


async def test_an_api_call_without_a_token_gets_401(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await routed(client)
        await as_user(client, CS)  # a session cookie is not a token
        calls = [
            await client.get(f"/api/tickets/{ticket.id}"),
            await client.post(
                f"/api/tickets/{ticket.id}/actions/note_to_head",
                json={"data": {"note": "بلا رمز"}, "expected_version": ticket.version},
            ),
            await client.get(f"/api/tickets/{ticket.id}", headers={"authorization": "Bearer not-a-token"}),
            await client.get("/api/me"),
        ]
        after = await store_of(client).get_ticket(ticket.id)
    for response in calls:
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert after.version == ticket.version
