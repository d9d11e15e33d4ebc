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

from tests.conftest import running_server
from tests.test_browser_requester import ARGS, CHROMIUM

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


def log_in(page: Any, base: str, username: str, next_path: str = "/") -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}{next_path}")


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
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_context(locale="ar-SA", viewport={"width": 1100, "height": 1400}).new_page()

            # 1. the requester submits the supplies form
            log_in(page, server, "college.eng", "/services/supplies/apply")
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
            expect(page.locator(".panel-ok h1")).to_have_text("تم إرسال طلبك")
            number = page.locator("#ticket-number").inner_text().strip()
            code = page.locator("#tracking-code").inner_text().strip()
            log_out(page)

            # 2. customer service finds it among the incoming tickets and routes it to Classrooms
            log_in(page, server, "cs.one", "/staff/tasks")
            page.get_by_role("link", name=number).click()
            expect(page.locator("#ticket-state")).to_have_text("مستلمة لدى وحدة خدمة العملاء")
            form = take(page, "route_to_department")
            form.locator("button[type=submit]").click()
            expect(page.locator("#ticket-state")).to_have_text("محوّلة إلى قسم الفصول الدراسية")
            ticket_url = page.url.split("?")[0]
            log_out(page)

            # 3. the head delegates it to a member of the department, with a note
            log_in(page, server, "head.cls", "/staff/tasks")
            page.get_by_role("link", name=number).click()
            form = take(page, "delegate")
            form.locator('[name$="[assignee]"]').select_option(label="موظف الفصول")
            form.locator('[name$="[note]"]').fill("يرجى التواصل مع المستودع")
            form.locator("button[type=submit]").click()
            expect(page.locator("#ticket-assignee")).to_contain_text("موظف الفصول")
            log_out(page)

            # 4. the staff member returns it "supply unavailable"; the reply is mandatory
            log_in(page, server, "staff.cls", "/staff/tasks")
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
            log_in(page, server, "cs.two", "/staff/tasks")
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
