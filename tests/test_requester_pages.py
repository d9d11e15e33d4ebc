"""The requester's pages through the real app on a real SQLite file, HTML checked with CSS selectors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from server.definitions.bundle import content_hash
from server.engine.model import Actor
from server.store.records import Ticket
from tests.engine_harness import catalogue
from tests.web import client_for, csrf_of, form_values, html, texts

AR = {"accept-language": "ar"}
EN = {"accept-language": "en-GB,en;q=0.9"}
SERVICES = list(catalogue().services)
ANONYMOUS = [
    s
    for s, c in catalogue().services.items()
    if not c.service.login_required and "requester" in c.service.eligible_roles
]


def example(service_id: str) -> dict[str, Any]:
    return dict(catalogue().services[service_id].form.schema["examples"][0])


def as_post(data: dict[str, Any]) -> dict[str, list[str]]:
    """Form data as a browser posts it (flat fields only; groups as name[i][sub])."""
    post: dict[str, list[str]] = {}
    for name, value in data.items():
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    for sub, v in item.items():
                        post[f"{name}[{i}][{sub}]"] = [str(v)]
                else:
                    post.setdefault(name, []).append(str(item))
        elif isinstance(value, bool):
            post[name] = ["true"] if value else []
        else:
            post[name] = [str(value)]
    return post


async def confirmed(client: Any, url: str, sent: Any, headers: dict[str, str]) -> Any:
    """Through "check your answers" (the last step of a long form): confirm what was checked."""
    if sent.status_code == 200 and html(sent.text).css_first('input[name="_answers"]') is not None:
        post = {**form_values(sent.text), "_confirm": ["1"]}
        sent = await client.post(url, data=post, headers=headers, follow_redirects=False)
    return sent


async def test_catalogue_is_arabic_rtl_by_default_and_english_on_request(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ar = await client.get("/")
        en = await client.get("/", headers=EN)
        switched = await client.get("/lang/en?next=/services/supplies", follow_redirects=False)
        client.cookies.set("lang", "en")
        after = await client.get("/", headers=AR)
        evil = await client.get("/lang/ar?next=//evil.example/x", follow_redirects=False)
    root = html(ar.text).css_first("html")
    assert root is not None and (root.attributes["lang"], root.attributes["dir"]) == ("ar", "rtl")
    assert len(html(ar.text).css(".card")) == 9
    assert "توفير المستلزمات والأجهزة التعليمية" in texts(ar.text, ".card h2")
    en_root = html(en.text).css_first("html")
    assert en_root is not None and (en_root.attributes["lang"], en_root.attributes["dir"]) == ("en", "ltr")
    assert "Providing educational supplies and devices" in texts(en.text, ".card h2")
    assert switched.status_code == 303 and switched.headers["location"] == "/services/supplies"
    assert "lang=en" in switched.headers["set-cookie"]
    assert html(after.text).css_first("html").attributes["lang"] == "en"  # type: ignore[union-attr]
    assert evil.headers["location"] == "/"


@pytest.mark.parametrize("service_id", SERVICES)
async def test_service_page_shows_the_guide(tmp_path: Path, service_id: str) -> None:
    service = catalogue().services[service_id].service
    async with client_for(tmp_path) as client:
        ar = await client.get(f"/services/{service_id}", headers=AR)
        en = await client.get(f"/services/{service_id}", headers=EN)
    assert ar.status_code == en.status_code == 200
    assert texts(ar.text, "h1") == [service.name.ar]
    ar_text, en_text = html(ar.text).text(), html(en.text).text()
    assert service.description[0].ar in ar_text and service.steps[0].en in en_text
    assert service.audience.ar in ar_text and "Edu_services@uqu.edu.sa" in ar_text
    assert "7:30" in ar_text


async def test_unknown_service_is_a_bilingual_404_page(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ar = await client.get("/services/nothing", headers=AR)
        en = await client.get("/services/nothing", headers=EN)
        api = await client.get("/api/services/nothing")
    assert ar.status_code == 404 and "الصفحة غير موجودة" in ar.text
    assert en.status_code == 404 and "Page not found" in en.text
    assert api.status_code == 404 and api.json()["status_code"] == 404
    assert "Traceback" not in ar.text + en.text + api.text


@pytest.mark.parametrize("service_id", ANONYMOUS)
@pytest.mark.parametrize("headers", [AR, EN], ids=["ar", "en"])
async def test_anonymous_form_renders_and_a_valid_submission_creates_the_ticket(
    tmp_path: Path, service_id: str, headers: dict[str, str]
) -> None:
    async with client_for(tmp_path) as client:
        page = await client.get(f"/services/{service_id}/apply", headers=headers)
        assert page.status_code == 200
        for node in html(page.text).css(
            "main form input:not([type=hidden]), main form select, main form textarea"
        ):
            ident = node.attributes.get("id")
            assert ident and html(page.text).css_first(f'label[for="{ident}"]') is not None, ident
        post = {**form_values(page.text), **as_post(example(service_id))}
        url = f"/services/{service_id}/apply"
        sent = await client.post(url, data=post, headers=headers, follow_redirects=False)
        sent = await confirmed(client, url, sent, headers)
        assert sent.status_code == 303, sent.text[:2000]
        location = sent.headers["location"]
        assert re.match(r"/track/2026-\d{6}\?code=[\w-]+&new=1", location)
        confirmation = await client.get(location, headers=headers)
    assert texts(confirmation.text, "#ticket-number")[0].startswith("2026-")
    assert texts(confirmation.text, "#tracking-code")


async def test_login_required_service_sends_the_requester_to_log_in_and_back(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        response = await client.get("/services/supplies/apply", follow_redirects=False)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert (location.path, parse_qs(location.query)["next"]) == ("/login", ["/services/supplies/apply"])


async def test_invalid_submission_shows_errors_in_arabic_beside_the_fields_and_keeps_the_input(
    tmp_path: Path,
) -> None:
    async with client_for(tmp_path) as client:
        page = await client.get("/services/inquiries/apply", headers=AR)
        post = {
            **form_values(page.text),
            **as_post(example("inquiries")),
            "mobile": ["12345"],
            "email": ["not-an-email"],
        }
        again = await client.post("/services/inquiries/apply", data=post, headers=AR, follow_redirects=False)
    assert again.status_code == 200
    doc = html(again.text)
    summary = texts(again.text, ".error-summary li a")
    assert len(summary) == 2 and all("رقم الجوال" in s or "البريد" in s for s in summary)
    assert doc.css_first('input[name="mobile"]').attributes["aria-invalid"] == "true"  # type: ignore[union-attr]
    assert doc.css_first('input[name="mobile"]').attributes["value"] == "12345"  # type: ignore[union-attr]
    assert doc.css_first('input[name="full_name"]').attributes["value"] == example("inquiries")["full_name"]  # type: ignore[union-attr]
    assert any("الصيغة" in m or "أدخل" in m for m in texts(again.text, ".kh-error-message"))


async def test_every_form_post_needs_the_csrf_token(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await client.get("/services/inquiries/apply")
        missing = await client.post(
            "/services/inquiries/apply", data=as_post(example("inquiries")), headers=AR
        )
        track = await client.post("/track/2026-000001/actions/answer_clarification", data={"_code": "x"})
        survey = await client.post("/survey/2026-000001", data={"_code": "x"})
    assert missing.status_code == track.status_code == survey.status_code == 403
    assert "Traceback" not in missing.text


async def test_markup_in_a_definition_is_shown_as_text(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        runtime = client.app.state.runtime
        latest = await runtime.store.latest_definition("inquiries")
        form = json.loads(latest.bundle["form_schemas/inquiries.json"])
        form["x-title"] = {"ar": "<script>alert(1)</script>نموذج", "en": "<b>bold</b> form"}
        form["properties"]["subject"]["x-help"] = {"ar": "<img src=x onerror=alert(1)>", "en": "<i>help</i>"}
        bundle = dict(latest.bundle, **{"form_schemas/inquiries.json": json.dumps(form, ensure_ascii=False)})
        await runtime.store.publish_definition(
            "inquiries", bundle, content_hash(bundle), created_by="t", note="x", now=latest.created_at
        )
        page = await client.get("/services/inquiries/apply", headers=AR)
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    assert "<img src=x" not in page.text
    assert html(page.text).css("main script") == []


async def submit_inquiry(client: Any) -> Ticket:
    page = await client.get("/services/inquiries/apply", headers=AR)
    post = {**form_values(page.text), **as_post(example("inquiries"))}
    sent = await client.post("/services/inquiries/apply", data=post, headers=AR, follow_redirects=False)
    sent = await confirmed(client, "/services/inquiries/apply", sent, AR)
    number = sent.headers["location"].split("/track/")[1].split("?")[0]
    ticket = await client.app.state.runtime.store.get_ticket_by_number(number)
    assert ticket is not None
    return ticket


async def test_tracking_shows_replies_and_never_internal_notes(tmp_path: Path) -> None:
    head = Actor(
        id="h", name="رئيس", roles=frozenset({"department_head"}), department="administrative_affairs"
    )
    async with client_for(tmp_path) as client:
        ticket = await submit_inquiry(client)
        service = client.app.state.runtime.tickets
        ticket = await service.act(
            ticket.id,
            "add_note",
            {"note": "SECRET-INTERNAL-NOTE"},
            actor=head,
            expected_version=ticket.version,
        )
        assert isinstance(ticket, Ticket)
        ticket = await service.act(
            ticket.id,
            "request_clarification",
            {"question": "ما رقم الطلب السابق؟"},
            actor=head,
            expected_version=ticket.version,
        )
        assert isinstance(ticket, Ticket)
        url = f"/track/{ticket.number}?code={ticket.tracking_code}"
        page = await client.get(url, headers=AR)
        api = await client.get(f"/api/track/{ticket.number}", params={"code": ticket.tracking_code})
        wrong = await client.get(f"/track/{ticket.number}?code=guess", headers=AR)
        wrong_api = await client.get(f"/api/track/{ticket.number}", params={"code": "guess"})
        # the requester answers the clarification from the tracking page
        answer_form = html(page.text).css_first("#action-answer_clarification form")
        assert answer_form is not None
        post = {**form_values(page.text, "#action-answer_clarification form"), "answer": ["الطلب رقم 55"]}
        answered = await client.post(
            f"/track/{ticket.number}/actions/answer_clarification",
            data=post,
            headers=AR,
            follow_redirects=False,
        )
        stale = await client.post(
            f"/track/{ticket.number}/actions/answer_clarification", data=post, headers=AR
        )
        after = await client.get(url, headers=AR)
    assert "SECRET-INTERNAL-NOTE" not in page.text and "SECRET-INTERNAL-NOTE" not in api.text
    assert "ما رقم الطلب السابق؟" in page.text
    assert texts(page.text, "#ticket-state") == ["بانتظار استيضاح العميل"] or texts(
        page.text, "#ticket-state"
    )
    assert api.json()["state"] == "awaiting_clarification"
    assert wrong.status_code == 404 and wrong_api.status_code == 404
    assert answered.status_code == 303
    assert stale.status_code in (403, 409)
    assert "الطلب رقم 55" in after.text


async def test_survey_after_closing(tmp_path: Path) -> None:
    cs = Actor(id="cs", name="ممثل", roles=frozenset({"customer_service"}), department="customer_service")
    async with client_for(tmp_path) as client:
        ticket = await submit_inquiry(client)
        survey_url = f"/survey/{ticket.number}?code={ticket.tracking_code}"
        early = await client.get(survey_url, headers=AR)
        closed = await client.app.state.runtime.tickets.act(
            ticket.id,
            "reply_and_close",
            {"reply": "تمت الإجابة على استفساركم"},
            actor=cs,
            expected_version=ticket.version,
        )
        assert isinstance(closed, Ticket)
        track = await client.get(f"/track/{ticket.number}?code={ticket.tracking_code}", headers=AR)
        form = await client.get(survey_url, headers=AR)
        bad = await client.post(
            f"/survey/{ticket.number}",
            data={"_csrf_token": csrf_of(form.text), "_code": ticket.tracking_code},
            headers=AR,
        )
        good = await client.post(
            f"/survey/{ticket.number}",
            data={
                "_csrf_token": csrf_of(form.text),
                "_code": ticket.tracking_code,
                "service": "5",
                "comment": "ممتاز",
            },
            headers=AR,
        )
        twice = await client.get(survey_url, headers=AR)
        stored = await client.app.state.runtime.store.get_survey_response(ticket.id)
    assert "يتاح التقييم بعد إغلاق التذكرة" in early.text
    assert "تمت الإجابة على استفساركم" in track.text
    assert html(track.text).css_first("#survey-link") is not None
    assert bad.status_code == 422 and "اختر تقييماً" in bad.text
    assert good.status_code == 200 and "شكراً لتقييمك" in good.text
    assert "سبق تقييم هذه التذكرة" in twice.text
    assert stored is not None and stored.answers == {"service": 5} and stored.comment == "ممتاز"


async def test_api_submit_and_track(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        created = await client.post("/api/services/inquiries/tickets", json=example("inquiries"))
        again = await client.post(
            "/api/services/inquiries/tickets", json=example("inquiries"), headers={"idempotency-key": "k1"}
        )
        retry = await client.post(
            "/api/services/inquiries/tickets", json=example("inquiries"), headers={"idempotency-key": "k1"}
        )
        invalid = await client.post(
            "/api/services/inquiries/tickets",
            json={**example("inquiries"), "mobile": "x", "extra": 1},
            headers=EN,
        )
        login = await client.post("/api/services/supplies/tickets", json=example("supplies"))
        body = created.json()
        track = await client.get(
            f"/api/track/{body['number']}", params={"code": body["tracking_code"]}, headers=EN
        )
    assert created.status_code == 201
    assert set(body) == {"id", "number", "tracking_code", "state", "version"}
    assert again.status_code == 201 and retry.status_code == 200 and retry.json()["id"] == again.json()["id"]
    assert invalid.status_code == 422
    paths = {e["path"] for e in invalid.json()["errors"]}
    assert paths == {"/mobile", "/extra"}
    assert all(e["messages"]["ar"] and e["messages"]["en"] for e in invalid.json()["errors"])
    assert login.status_code == 401
    assert track.status_code == 200 and track.json()["state"] == body["state"]
    assert track.json()["timeline"][0]["action"] == "create"


async def test_openapi_document_lists_the_requester_api(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    for path in (
        "/api/services",
        "/api/services/{service_id}",
        "/api/services/{service_id}/tickets",
        "/api/track/{number}",
    ):
        assert path in schema["paths"], path


async def login(client: Any, username: str, roles: list[str], department: str | None = None) -> None:
    from server.accounts.passwords import hash_password

    store = client.app.state.runtime.store
    if await store.get_user_by_username(username) is None:
        await store.add_user(
            username=username,
            name=username,
            roles=roles,
            department=department,
            email=f"{username}@example.org",
            password_hash=hash_password("pass-word-1"),
            now=__import__("datetime").datetime.now(__import__("datetime").UTC),
        )
    page = await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "_csrf_token": csrf_of(page.text),
            "username": username,
            "password": "pass-word-1",
            "next": "/",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]


@pytest.mark.parametrize("service_id", SERVICES)
@pytest.mark.parametrize("headers", [AR, EN], ids=["ar", "en"])
async def test_each_of_the_nine_forms_renders_and_creates_its_ticket(
    tmp_path: Path, service_id: str, headers: dict[str, str]
) -> None:
    compiled = catalogue().services[service_id]
    staff = "requester" not in compiled.service.eligible_roles
    async with client_for(tmp_path) as client:
        if staff:
            await login(client, "cs.user", ["customer_service"], "customer_service")
        elif compiled.service.login_required:
            await login(client, "college.user", ["requester"])
        page = await client.get(f"/services/{service_id}/apply", headers=headers)
        assert page.status_code == 200, page.text[:500]
        assert texts(page.text, "h1") == [compiled.form.title.get("en" if headers is EN else "ar")]
        if staff:  # a representative records the request under a channel of the service
            assert html(page.text).css_first('select[name="_channel"]') is not None
        post = {**form_values(page.text), **as_post(example(service_id))}
        url = f"/services/{service_id}/apply"
        sent = await client.post(url, data=post, headers=headers, follow_redirects=False)
        sent = await confirmed(client, url, sent, headers)
        assert sent.status_code == 303, texts(sent.text, ".error-summary li")
        store = client.app.state.runtime.store
        if staff:  # a representative lands on the staff ticket page
            ticket = await store.get_ticket(int(sent.headers["location"].removeprefix("/staff/tickets/")))
        else:
            number = sent.headers["location"].split("/track/")[1].split("?")[0]
            ticket = await store.get_ticket_by_number(number)
    assert ticket is not None and ticket.service_id == service_id
    assert ticket.language == ("en" if headers is EN else "ar")


async def test_htmx_validates_a_field_as_it_is_left(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        page = await client.get("/services/inquiries/apply", headers=AR)
        field = html(page.text).css_first('input[name="mobile"]')
        assert field is not None and field.attributes["hx-post"] == "/services/inquiries/apply/validate"
        post = {**form_values(page.text), "mobile": ["123"]}
        hx = {**AR, "hx-request": "true", "hx-trigger-name": "mobile", "x-csrftoken": csrf_of(page.text)}
        bad = await client.post("/services/inquiries/apply/validate", data=post, headers=hx)
        good = await client.post(
            "/services/inquiries/apply/validate", data={**post, "mobile": ["0551234567"]}, headers=hx
        )
    assert bad.status_code == 200 and "<html" not in bad.text
    assert html(bad.text).css_first("#f-mobile-field .kh-error-message") is not None
    assert html(good.text).css_first("#f-mobile-field .kh-error-message") is None


async def test_conditional_fields_appear_when_they_apply(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "college.user", ["requester"])
        page = await client.get("/services/maintenance/apply", headers=AR)
        assert html(page.text).css_first('[name="device_type_other"]') is None
        post = {**form_values(page.text), **as_post(example("maintenance")), "device_type": ["other"]}
        hx = {**AR, "hx-request": "true", "x-csrftoken": csrf_of(page.text)}
        fragment = await client.post("/services/maintenance/apply/fields", data=post, headers=hx)
        # without JavaScript: the server shows the page again with the field and its error
        plain = await client.post(
            "/services/maintenance/apply", data=post, headers=AR, follow_redirects=False
        )
    assert html(fragment.text).css_first('[name="device_type_other"]') is not None
    assert plain.status_code == 200
    assert html(plain.text).css_first("#f-device_type_other-field .kh-error-message") is not None


async def test_oversized_upload_or_wrong_type_is_refused_and_the_rest_is_kept(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "college.user", ["requester"])
        page = await client.get("/services/supplies/apply", headers=AR)
        post = {**form_values(page.text), **as_post(example("supplies"))}
        big = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 + 10)
        too_big = await client.post(
            "/services/supplies/apply",
            data=post,
            headers=AR,
            files={"attachment": ("big.pdf", big, "application/pdf")},
        )
        wrong = await client.post(
            "/services/supplies/apply",
            data=post,
            headers=AR,
            files={"attachment": ("run.exe", b"MZ...", "application/x-msdownload")},
        )
        ok = await client.post(
            "/services/supplies/apply",
            data=post,
            headers=AR,
            follow_redirects=False,
            files={"attachment": ("spec.pdf", b"%PDF-1.4 small", "application/pdf")},
        )
        ok = await confirmed(client, "/services/supplies/apply", ok, AR)
        number = ok.headers["location"].split("/track/")[1].split("?")[0]
        store = client.app.state.runtime.store
        ticket = await store.get_ticket_by_number(number)
    for response, words in ((too_big, "حجم الملف أكبر من المسموح"), (wrong, "ليس من الأنواع المقبولة")):
        assert response.status_code == 200
        assert words in html(response.text).css_first("#f-attachment-field").text()  # type: ignore[union-attr]
        assert (
            html(response.text).css_first('[name="college"]').attributes["value"]
            == example("supplies")["college"]
        )  # type: ignore[union-attr]
    assert ok.status_code == 303
    assert ticket is not None
    attachment = await_attachment = ticket.data["attachment"]
    assert isinstance(attachment, str) and await_attachment
