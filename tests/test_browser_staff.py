"""The staff journey in a real browser: one supplies ticket, five users.

The requester submits; a customer-service representative routes it to Classrooms; the head delegates
it to a staff member; the staff member returns it "supply unavailable" with the mandatory reply; a
second representative replies and closes; the requester sees the reply and the survey link.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import CHROMIUM, launch, log_in
from tests.conftest import running_server

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (make browser)"
)

PASSWORD = "journey-pass-1"
USERS = [
    ("college.eng", "كلية الهندسة", ["requester"], None),
    ("cs.one", "ممثل خدمة العملاء الأول", ["customer_service"], "customer_service"),
    ("head.cls", "رئيس قسم الفصول", ["department_head"], "classrooms"),
    ("staff.cls", "موظف الفصول", ["department_staff"], "classrooms"),
    ("cs.two", "ممثل خدمة العملاء الثاني", ["customer_service"], "customer_service"),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    db = tmp_path / "staff.db"
    for username, name, roles, department in USERS:
        args = [
            sys.executable,
            "-m",
            "server",
            "user",
            "add",
            username,
            "--name",
            name,
            "--email",
            f"{username}@example.org",
            "--password-stdin",
            "--db",
            str(db),
        ]
        for role in roles:
            args += ["--role", role]
        if department:
            args += ["--department", department]
        subprocess.run(args, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60, check=True)
    with running_server(db) as base:
        yield base


def log_out(page: Any) -> None:
    page.locator("header form[action='/logout'] button").click()


def take(page: Any, action: str) -> Any:
    """Open an action's panel on the staff ticket page and return its form."""
    panel = page.locator(f"#action-{action}")
    if panel.get_attribute("open") is None:
        panel.locator("summary").click()
    return panel.locator(f"form[action$='/actions/{action}']")


def test_supplies_ticket_through_five_users(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(locale="ar-SA", viewport={"width": 1100, "height": 1400}).new_page()

            # 1. the requester submits the supplies form
            log_in(page, server, "college.eng", PASSWORD, "/services/supplies/apply")
            page.get_by_label("إحدى كليات الجامعة").check()
            for name, value in [
                ("college", "كلية الهندسة"),
                ("campus", "العابدية"),
                ("building", "B12"),
                ("requested_items[0][item]", "جهاز عرض"),
                ("requested_items[0][quantity]", "2"),
                ("needed_by", "2026-12-15"),
                ("justification", "قاعة جديدة تحتاج أجهزة عرض"),
                ("contact_name", "أحمد محمد علي"),
                ("contact_mobile", "0551234567"),
            ]:
                page.fill(f'[name="{name}"]', value)
            page.locator("main form button.button[type=submit]").click()
            page.get_by_role("button", name="تأكيد وإرسال").click()  # check your answers (issue 9)
            expect(page.locator(".panel-ok h1")).to_have_text("تم إرسال طلبك")
            number = page.locator("#ticket-number").inner_text().strip()
            code = page.locator("#tracking-code").inner_text().strip()
            log_out(page)

            # 2. customer service finds it among the incoming tickets and routes it to Classrooms
            log_in(page, server, "cs.one", PASSWORD, "/staff/tasks")
            page.get_by_role("link", name=number).click()
            expect(page.locator("#ticket-state")).to_have_text("مستلمة لدى وحدة خدمة العملاء")
            form = take(page, "route_to_department")
            form.locator("button[type=submit]").click()
            expect(page.locator("#ticket-state")).to_have_text("محوّلة إلى قسم الفصول الدراسية")
            ticket_url = page.url.split("?")[0]
            log_out(page)

            # 3. the head delegates it to a member of the department, with a note
            log_in(page, server, "head.cls", PASSWORD, "/staff/tasks")
            page.get_by_role("link", name=number).click()
            form = take(page, "delegate")
            form.locator('[name$="[assignee]"]').select_option(label="موظف الفصول")
            form.locator('[name$="[note]"]').fill("يرجى التواصل مع المستودع")
            form.locator("button[type=submit]").click()
            expect(page.locator("#ticket-assignee")).to_contain_text("موظف الفصول")
            log_out(page)

            # 4. the staff member returns it "supply unavailable"; the reply is mandatory
            log_in(page, server, "staff.cls", PASSWORD, "/staff/tasks")
            page.goto(ticket_url)
            form = take(page, "return_to_customer_service")
            form.locator('[name$="[outcome]"][value="not_done_unavailable"]').check()
            form.locator("button[type=submit]").click()
            expect(page.locator("#action-return_to_customer_service .kh-error-message").first).to_be_visible()
            form = take(page, "return_to_customer_service")
            form.locator('[name$="[outcome]"][value="not_done_unavailable"]').check()
            form.locator('[name$="[reply]"]').fill("المستلزم غير متوفر حالياً في المستودع، وسيُوفَّر عند التوريد")
            form.locator("button[type=submit]").click()
            expect(page.locator("#ticket-state")).to_contain_text("")
            log_out(page)

            # 5. another representative writes the reply to the requester and closes the ticket
            log_in(page, server, "cs.two", PASSWORD, "/staff/tasks")
            page.goto(ticket_url)
            form = take(page, "reply_and_close")
            form.locator('[name$="[reply]"]').fill(
                "نفيدكم بأن المستلزم غير متوفر حالياً، وسنعيد فتح طلبكم عند توريده"
            )
            form.locator("button[type=submit]").click()
            expect(page.locator("#ticket-state")).to_have_text("مغلقة")
            log_out(page)

            # the requester sees the reply and the survey link
            page.goto(f"{server}/track/{number}?code={code}")
            expect(page.locator("#ticket-state")).to_have_text("مغلقة")
            expect(page.locator("#timeline")).to_contain_text("نفيدكم بأن المستلزم غير متوفر حالياً")
            expect(page.locator("#timeline")).not_to_contain_text("يرجى التواصل مع المستودع")  # internal note
            expect(page.locator("#survey-link")).to_be_visible()
            page.locator("#survey-link").click()
            expect(page.locator("h1")).to_have_text("تقييم الخدمة")
        finally:
            browser.close()


def add_ready_reply(db: Path) -> None:
    """A ready reply in the knowledge bank (written beside the running server: SQLite takes both)."""
    import asyncio

    from server.store.sqlite import open_store

    async def add() -> None:
        store = await open_store(db)
        try:
            await store.add_ready_reply(
                title_ar="شكر", title_en="Thanks", body_ar="READY-REPLY شكراً لتواصلكم", body_en="Thank you"
            )
        finally:
            await store.close()

    asyncio.run(add())


def test_a_staff_action_applies_in_place_without_a_reload(server: str, tmp_path: Path) -> None:
    import httpx
    from playwright.sync_api import expect, sync_playwright

    from tests.test_requester_pages import example

    created = httpx.post(f"{server}/api/services/inquiries/tickets", json=example("inquiries"), timeout=30)
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]
    add_ready_reply(tmp_path / "staff.db")
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 1400}).new_page()
            ticket_url = f"{server}/staff/tickets/{ticket_id}"
            log_in(page, server, "cs.one", PASSWORD, f"/staff/tickets/{ticket_id}")
            page.wait_for_function("() => typeof htmx !== 'undefined'")
            page.evaluate("window.__marker = 1")
            events = page.locator("#timeline > li").count()

            # an internal note: the history shows it, the page is the same page (no reload), focus on the notice
            form = take(page, "add_note")
            form.locator('[name$="[note]"]').fill("IN-PLACE-NOTE")
            form.locator("button[type=submit]").click()
            expect(page.locator("#timeline > li").first).to_contain_text("IN-PLACE-NOTE")
            expect(page.locator("#timeline > li")).to_have_count(events + 1)
            assert page.evaluate("window.__marker") == 1
            assert page.url == ticket_url
            expect(page.locator("#notice")).to_be_focused()

            # a refusal (the question is required) is shown in place too, focus on its error summary
            form = take(page, "request_clarification")
            form.locator("button[type=submit]").click()
            failed = page.locator("#action-request_clarification")
            expect(failed.locator(".kh-error-message").first).to_be_visible()
            expect(failed.locator(".error-summary")).to_be_focused()
            assert page.evaluate("window.__marker") == 1 and page.url == ticket_url

            # then the state changes in place: the state, the actions and the history follow
            form = take(page, "request_clarification")
            form.locator('[name$="[question]"]').fill("IN-PLACE-QUESTION")
            form.locator("button[type=submit]").click()
            expect(page.locator("#timeline > li").first).to_contain_text("IN-PLACE-QUESTION")
            expect(page.locator("#action-request_clarification")).to_have_count(0)
            assert page.evaluate("window.__marker") == 1 and page.url == ticket_url

            # "Insert" puts a ready reply into the reply field (a static handler, no inline onclick)
            form = take(page, "reply_and_close")
            panel = page.locator("#action-reply_and_close")
            panel.locator("button[data-insert-reply]").first.click()
            reply = form.locator('[name$="[reply]"]')
            expect(reply).to_have_value("READY-REPLY شكراً لتواصلكم")
            expect(reply).to_be_focused()
        finally:
            browser.close()
