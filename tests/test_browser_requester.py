"""The first real-browser journey: Debian's Chromium, driven by Playwright, against `khidma serve`.

A requester opens the catalogue in Arabic, logs in, fills the supplies form with a mistake, sees the
error in Arabic beside the field, corrects it, submits, and tracks the ticket. Screenshots of the
form in Arabic and English go to ``$KHIDMA_SCREENSHOTS`` when set (``docs/screenshots/`` in the repo
was made that way), else to the test's temporary directory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, human_click, launch
from tests.conftest import running_server

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (make browser)"
)


def khidma(*args: str, db: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args, "--db", str(db)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    db = tmp_path / "journey.db"
    with running_server(db) as base:
        khidma(
            "user",
            "add",
            "college.eng",
            "--role",
            "requester",
            "--name",
            "كلية الهندسة",
            "--email",
            "eng@example.org",
            "--password-stdin",
            db=db,
            stdin="journey-pass-1\n",
        )
        yield base


def test_requester_journey_in_arabic(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = Path(os.environ.get("KHIDMA_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(locale="ar-SA", viewport={"width": 1100, "height": 1600}).new_page()
            page.goto(f"{server}/")
            expect(page.locator("html")).to_have_attribute("dir", "rtl")
            page.get_by_role("link", name="توفير المستلزمات والأجهزة التعليمية").click()
            expect(page.locator("h1")).to_have_text("توفير المستلزمات والأجهزة التعليمية")
            page.get_by_role("button", name="ابدأ الآن").or_(
                page.get_by_role("link", name="ابدأ الآن")
            ).click()

            # the service requires log-in: the requester logs in and comes back to the form
            expect(page).to_have_url(re.compile(r"/login\?next=(/|%2F)services(/|%2F)supplies(/|%2F)apply$"))
            page.fill("#username", "college.eng")
            page.fill("#password", "journey-pass-1")
            page.locator("main form button[type=submit]").click()
            expect(page).to_have_url(f"{server}/services/supplies/apply")

            page.get_by_label("إحدى كليات الجامعة").check()
            page.fill('[name="college"]', "كلية الهندسة")
            page.fill('[name="campus"]', "العابدية")
            page.fill('[name="building"]', "B12")
            page.fill('[name="room"]', "204")
            page.fill('[name="requested_items[0][item]"]', "جهاز عرض")
            page.fill('[name="requested_items[0][quantity]"]', "2")
            page.fill('[name="needed_by"]', "2026-12-15")
            page.fill('[name="justification"]', "قاعة جديدة تحتاج أجهزة عرض")
            page.fill('[name="contact_name"]', "أحمد محمد علي")
            page.fill('[name="contact_mobile"]', "12345")  # the mistake
            page.screenshot(path=str(shots / "supplies-form-ar.png"), full_page=True)
            # pressing "send" moves focus out of the mobile field: its check answers while the button is
            # still held, and the error it puts above the button must not lose the click
            human_click(page, page.locator("main form button.button[type=submit]"))

            # the error, in Arabic, in the summary and beside the field; what was typed is kept
            expect(page.locator(".error-summary")).to_contain_text(
                "رقم جوال المسؤول عن التواصل: الصيغة غير صحيحة"
            )
            mobile = page.locator('[name="contact_mobile"]')
            expect(mobile).to_have_attribute("aria-invalid", "true")
            expect(page.locator("#f-contact_mobile-field .kh-error-message")).to_contain_text(
                "الصيغة غير صحيحة"
            )
            expect(page.locator('[name="college"]')).to_have_value("كلية الهندسة")
            expect(page.locator('[name="requested_items[0][item]"]')).to_have_value("جهاز عرض")
            # the title and the focus announce the error
            expect(page).to_have_title(re.compile(r"^خطأ: "))
            expect(page.locator(".error-summary")).to_be_focused()

            mobile.fill("0551234567")
            page.locator("main form button.button[type=submit]").click()
            # a long form: check the answers, then send
            expect(page.locator("h1")).to_have_text("راجع إجاباتك قبل الإرسال")
            expect(page.locator("#answers")).to_contain_text("0551234567")
            page.get_by_role("button", name="تأكيد وإرسال").click()
            expect(page.locator(".panel-ok h1")).to_have_text("تم إرسال طلبك")
            number = page.locator("#ticket-number").inner_text()
            code = page.locator("#tracking-code").inner_text()
            assert number.startswith("2026-")

            # tracking, as a requester who comes back later with the number and the code
            page.goto(f"{server}/track")
            page.fill("#number", number)
            page.fill("#code", code)
            page.locator("main form button[type=submit]").click()
            expect(page.locator("#ticket-state")).to_have_text("مستلمة لدى وحدة خدمة العملاء")
            expect(page.locator("#timeline")).to_contain_text("تم استلام التذكرة")

            # the English form, for the screenshot
            page.goto(f"{server}/lang/en?next=/services/supplies/apply")
            expect(page.locator("html")).to_have_attribute("dir", "ltr")
            page.screenshot(path=str(shots / "supplies-form-en.png"), full_page=True)
        finally:
            browser.close()
    assert (shots / "supplies-form-ar.png").stat().st_size > 10_000


def test_add_item_adds_exactly_one_row_with_focus_in_it(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(locale="ar-SA").new_page()
            page.goto(f"{server}/login?next=/services/supplies/apply")
            page.fill("#username", "college.eng")
            page.fill("#password", "journey-pass-1")
            page.locator("main form button[type=submit]").click()
            expect(page).to_have_url(f"{server}/services/supplies/apply")
            page.fill('[name="college"]', "كلية الهندسة")
            page.fill('[name="requested_items[0][item]"]', "جهاز عرض")
            outside = "main form [name]:not([data-group] [name])"
            fields = page.locator(outside).count()
            rows = page.locator("[data-group-row]")
            expect(rows).to_have_count(1)

            page.locator("button[data-group-add]").click()  # with JavaScript: HTMX swaps the group

            expect(rows).to_have_count(2)
            expect(page.locator('[name="requested_items[1][item]"]')).to_be_focused()
            expect(page.locator('[name="college"]')).to_have_count(1)
            expect(page.locator("[data-form-fields]")).to_have_count(1)
            expect(page.locator('[name="college"]')).to_have_value("كلية الهندسة")
            expect(page.locator('[name="requested_items[0][item]"]')).to_have_value("جهاز عرض")
            assert page.url == f"{server}/services/supplies/apply", "no full page post"
            assert page.locator(outside).count() == fields, "the rest of the form is not repeated"
            row_inputs = "[data-group-row='{}'] :is(input, select, textarea)"
            assert page.locator(row_inputs.format(1)).count() == page.locator(row_inputs.format(0)).count()

            page.locator("[data-group-remove='1']").click()
            expect(rows).to_have_count(1)
            expect(page.locator("button[data-group-add]")).to_be_focused()
        finally:
            browser.close()
