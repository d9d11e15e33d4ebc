"""The requester's pages as issue 9 left them: check your answers, my tickets, focus and title after
an error, a representative's intake, repeatable groups re-rendered alone, links and bidi isolation."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

from server.definitions.bundle import content_hash
from server.engine.model import Actor
from server.requests.text import Part, linkify
from server.store.records import Ticket
from tests.test_requester_pages import AR, EN, as_post, example, login
from tests.web import client_for, csrf_of, form_values, html, texts

SUPPLIES = "/services/supplies/apply"


async def supplies_check_page(client: Any, headers: dict[str, str] = AR) -> Any:
    page = await client.get(SUPPLIES, headers=headers)
    post = {**form_values(page.text), **as_post(example("supplies"))}
    return await client.post(SUPPLIES, data=post, headers=headers, follow_redirects=False)


async def test_a_long_form_is_checked_before_it_is_sent(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "college.user", ["requester"])
        check = await supplies_check_page(client)
        store = client.app.state.runtime.store
        before = await store.get_ticket_by_number("2026-000001")
        doc = html(check.text)
        labels = texts(check.text, "#answers dt")
        values = texts(check.text, "#answers dd bdi")
        change = doc.css("#answers button[name=_change]")
        # "change": back to the form, every answer kept, landing on the field
        post = {**form_values(check.text), "_change": ["college"]}
        back = await client.post(SUPPLIES, data=post, headers=AR, follow_redirects=False)
        confirm = {**form_values(check.text), "_confirm": ["1"]}
        sent = await client.post(SUPPLIES, data=confirm, headers=AR, follow_redirects=False)
        again = await client.post(SUPPLIES, data=confirm, headers=AR, follow_redirects=False)
    assert check.status_code == 200 and before is None, "nothing is sent before the check"
    assert texts(check.text, "h1") == ["راجع إجاباتك قبل الإرسال"]
    assert "كلية الهندسة" in values and "0551234567" in values
    assert len(change) == len(labels) and change[0].attributes["formaction"].startswith(SUPPLIES + "#f-")
    assert html(back.text).css_first('[name="college"]').attributes["value"] == "كلية الهندسة"  # type: ignore[union-attr]
    assert html(back.text).css_first('[name="requested_items[0][item]"]') is not None
    assert sent.status_code == 303 and sent.headers["location"].startswith("/track/")
    assert again.headers["location"] == sent.headers["location"], "the same answers create one ticket"


async def test_tampered_answers_are_refused(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "college.user", ["requester"])
        check = await supplies_check_page(client)
        post = form_values(check.text)
        mac = post["_answers"][0].partition(".")[2]
        forged = json.dumps({"s": "supplies", "d": {"college": "x"}, "f": {}})
        post["_answers"] = [base64.urlsafe_b64encode(forged.encode()).decode().rstrip("=") + "." + mac]
        refused = await client.post(
            SUPPLIES, data={**post, "_confirm": ["1"]}, headers=AR, follow_redirects=False
        )
    assert refused.status_code == 200
    assert html(refused.text).css_first(".notice") is not None
    assert html(refused.text).css_first('input[name="_answers"]') is None


async def test_after_a_failed_submit_the_title_says_error_and_the_summary_takes_focus(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        page = await client.get("/services/inquiries/apply", headers=AR)
        post = {**form_values(page.text), **as_post(example("inquiries")), "mobile": ["123"]}
        ar = await client.post("/services/inquiries/apply", data=post, headers=AR)
        en = await client.post("/services/inquiries/apply", data=post, headers=EN)
    assert texts(ar.text, "title")[0].startswith("خطأ: ")
    assert texts(en.text, "title")[0].startswith("Error: ")
    assert not texts(page.text, "title")[0].startswith("خطأ")
    summary = html(ar.text).css_first(".error-summary")
    assert summary is not None and summary.attributes["tabindex"] == "-1"
    tag = html(ar.text).css_first('head script[src^="/static/requester.js"]')
    assert tag is not None and "defer" in tag.attributes
    script = (Path(__file__).resolve().parent.parent / "server/static/requester.js").read_text()
    assert ".error-summary" in script and "focus()" in script
    assert html(ar.text).css("script:not([src])") == [], "no inline script"


async def test_a_group_button_re_renders_exactly_that_group_with_focus_on_the_new_row(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "college.user", ["requester"])
        page = await client.get(SUPPLIES, headers=AR)
        button = html(page.text).css_first("button[data-group-add]")
        assert button is not None
        hx = {**AR, "hx-request": "true", "x-csrftoken": csrf_of(page.text)}
        post = {**form_values(page.text), **as_post(example("supplies"))}
        added = await client.post(
            button.attributes["hx-post"] or "",
            data={**post, "_group": [button.attributes["value"] or ""]},
            headers=hx,
        )
        rows = html(added.text).css("[data-group-row]")
        removed = await client.post(
            button.attributes["hx-post"] or "",
            data={**post, "_group": ["remove:/requested_items/0"]},
            headers=hx,
        )
    assert button.attributes["hx-target"] == "#f-requested_items"
    doc = html(added.text)
    assert (
        len(doc.css("fieldset[data-group]")) == 1
        and doc.css_first("fieldset[data-group]").id == "f-requested_items"
    )  # type: ignore[union-attr]
    assert doc.css_first('[name="college"]') is None, "the fragment holds the group alone"
    assert len(rows) == 2
    focused = doc.css("[autofocus]")
    assert len(focused) == 1 and focused[0].attributes["name"] == "requested_items[1][item]"
    focus = html(removed.text).css("[autofocus]")
    assert len(focus) == 1 and "data-group-add" in focus[0].attributes


async def test_without_javascript_add_item_shows_the_page_once_with_focus_on_the_new_row(
    tmp_path: Path,
) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "college.user", ["requester"])
        page = await client.get(SUPPLIES, headers=AR)
        post = {
            **form_values(page.text),
            **as_post(example("supplies")),
            "_group": ["add:/requested_items/1"],
        }
        again = await client.post(SUPPLIES, data=post, headers=AR)
    doc = html(again.text)
    assert len(doc.css('[name="college"]')) == 1
    assert len(doc.css("[data-group-row]")) == 2
    assert doc.css_first("[autofocus]").attributes["name"] == "requested_items[1][item]"  # type: ignore[union-attr]


async def test_my_tickets_lists_the_requesters_tickets_and_opens_them_without_the_code(
    tmp_path: Path,
) -> None:
    async with client_for(tmp_path) as client:
        anonymous = await client.get("/my/tickets", follow_redirects=False)
        await login(client, "college.user", ["requester"])
        check = await supplies_check_page(client)
        sent = await client.post(SUPPLIES, data={**form_values(check.text), "_confirm": ["1"]}, headers=AR)
        number = texts(sent.text, "#ticket-number")[0]
        mine = await client.get("/my/tickets", headers=AR)
        own = await client.get(f"/track/{number}", headers=AR)
        await client.post("/logout", data={"_csrf_token": csrf_of(mine.text)})
        await login(client, "other.user", ["requester"])
        other = await client.get(f"/track/{number}", headers=AR)
        others_list = await client.get("/my/tickets", headers=AR)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert html(mine.text).css_first("#my-tickets-link") is not None
    links = [a.attributes["href"] for a in html(mine.text).css("#my-tickets a")]
    assert links == [f"/track/{number}"]
    assert own.status_code == 200 and texts(own.text, "#ticket-number") == [number]
    assert other.status_code == 404
    assert html(others_list.text).css("#my-tickets a") == []


async def test_catalogue_cards_say_log_in_only_to_visitors(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        visitor = await client.get("/", headers=EN)
        await login(client, "college.user", ["requester"])
        member = await client.get("/", headers=EN)
    assert texts(visitor.text, "#service-supplies .tag") == ["Log-in needed"]
    assert texts(member.text, ".card .tag") == []


async def test_a_representatives_intake_lands_on_the_staff_ticket_page(tmp_path: Path) -> None:
    """The e-mail intake form (with its three attachment fields since issue 12, a long form) is checked,
    then sent; the representative lands on the staff ticket page."""
    async with client_for(tmp_path) as client:
        await login(client, "cs.user", ["customer_service"], "customer_service")
        url = "/services/email/apply"
        page = await client.get(url, headers=AR)
        post = {**form_values(page.text), **as_post(example("email"))}
        check = await client.post(url, data=post, headers=AR, follow_redirects=False)
        confirm = {**form_values(check.text), "_confirm": ["1"]}
        sent = await client.post(url, data=confirm, headers=AR, follow_redirects=False)
        assert sent.status_code == 303, texts(sent.text, "h1")
        ticket_id = int(sent.headers["location"].removeprefix("/staff/tickets/"))
        ticket = await client.app.state.runtime.store.get_ticket(ticket_id)
    assert ticket is not None and ticket.service_id == "email"


def test_linkify_makes_only_web_addresses_links() -> None:
    assert linkify("قدّم عبر https://example.org/a?b=1.") == [
        Part("قدّم عبر "),
        Part("https://example.org/a?b=1", href="https://example.org/a?b=1"),
        Part("."),
    ]
    assert linkify("javascript:alert(1) ftp://x") == [Part("javascript:alert(1) ftp://x")]


async def test_links_in_a_services_steps_are_escaped_isolated_links(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        runtime = client.app.state.runtime
        latest = await runtime.store.latest_definition("inquiries")
        service = json.loads(latest.bundle["service_definitions/inquiries.json"])
        step = {
            "ar": 'ادخل إلى https://example.org/x?a=1&b="2"<b> ثم <i>أرسل</i>',
            "en": "Go to https://example.org/x",
        }
        service["steps"] = [step, *service["steps"]]
        bundle = dict(
            latest.bundle, **{"service_definitions/inquiries.json": json.dumps(service, ensure_ascii=False)}
        )
        await runtime.store.publish_definition(
            "inquiries", bundle, content_hash(bundle), created_by="t", note="x", now=latest.created_at
        )
        page = await client.get("/services/inquiries", headers=AR)
    link = html(page.text).css_first("main ol li bdi[dir=ltr] a")
    assert link is not None and link.attributes["href"] == "https://example.org/x?a=1&b="
    assert "<i>أرسل</i>" not in page.text and "&lt;i&gt;" in page.text


async def test_the_question_is_above_the_answer_box_and_values_are_isolated(tmp_path: Path) -> None:
    head = Actor(
        id="h", name="رئيس", roles=frozenset({"department_head"}), department="administrative_affairs"
    )
    async with client_for(tmp_path) as client:
        page = await client.get("/services/inquiries/apply", headers=EN)
        post = {**form_values(page.text), **as_post(example("inquiries"))}
        sent = await client.post("/services/inquiries/apply", data=post, headers=EN, follow_redirects=False)
        if sent.status_code == 200:
            confirm = {**form_values(sent.text), "_confirm": ["1"]}
            sent = await client.post(
                "/services/inquiries/apply", data=confirm, headers=EN, follow_redirects=False
            )
        number = sent.headers["location"].split("/track/")[1].split("?")[0]
        store = client.app.state.runtime.store
        ticket = await store.get_ticket_by_number(number)
        assert ticket is not None
        moved = await client.app.state.runtime.tickets.act(
            ticket.id,
            "request_clarification",
            {"question": "ما رقم الطلب السابق؟"},
            actor=head,
            expected_version=ticket.version,
        )
        assert isinstance(moved, Ticket)
        track = await client.get(f"/track/{number}?code={ticket.tracking_code}", headers=EN)
    section = html(track.text).css_first("#action-answer_clarification")
    assert section is not None
    inner = section.html or ""
    assert "ما رقم الطلب السابق؟" in inner
    assert inner.index("ما رقم الطلب السابق؟") < inner.index("<form")
    doc = html(track.text)
    assert doc.css("dl.summary dd > bdi"), "submitted values are isolated"
    assert all(node.attributes.get("datetime") for node in doc.css("#timeline time"))
    assert doc.css_first("#ticket-number").tag == "bdi"


def test_the_arabic_font_ships_with_its_licence() -> None:
    static = Path(__file__).resolve().parent.parent / "server/static"
    css = (static / "app.css").read_text(encoding="utf-8")
    faces = re.findall(r"@font-face\s*{[^}]*}", css)
    assert len(faces) == 4 and all("font-display: swap" in face for face in faces)
    for url in re.findall(r"url\(([^)]+)\)", " ".join(faces)):
        font = static / url
        assert font.suffix == ".woff2" and 5_000 < font.stat().st_size < 100_000, url
    assert "SIL Open Font License" in (static / "vendor/fonts/noto-naskh-arabic-LICENSE.txt").read_text()


async def test_staff_pages_load_the_shortcuts_script_and_requesters_do_not(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await login(client, "cs.user", ["customer_service"], "customer_service")
        staff = await client.get("/", headers=AR)
    async with client_for(tmp_path / "r") as client:
        await login(client, "college.user", ["requester"])
        requester = await client.get("/", headers=AR)
    selector = 'head script[src^="/static/staff-shortcuts.js"][defer]'
    assert html(staff.text).css_first(selector) is not None
    assert html(requester.text).css_first(selector) is None
    assert html(staff.text).css_first("#my-tickets-link") is None
