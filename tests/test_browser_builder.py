"""Issue 13's "done when", in a real browser: an administrator builds a new service from nothing with the
form and workflow builders — a form with a choice, a conditional field and a repeatable group, a
three-state workflow with a condition and a notification — without typing JSON, publishes it; a
requester submits it and customer service takes it through its states and closes it. Screenshots of the
builders go to ``$KHIDMA_SCREENSHOTS`` when set (``docs/screenshots/form-builder-*.png`` and
``workflow-builder-en.png`` were made that way), else to the test's temporary directory.
"""

from __future__ import annotations

import json
import os
import sqlite3
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

PASSWORD = "builder-pass-1"
USERS = [
    ("admin.one", "مدير النظام", "administrator", None),
    ("cs.one", "ممثل خدمة العملاء", "customer_service", "customer_service"),
    ("student.one", "طالب", "requester", None),
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    db = tmp_path / "builder.db"
    for username, name, role, department in USERS:
        args = [sys.executable, "-m", "server", "user", "add", username, "--name", name]
        args += ["--email", f"{username}@example.org", "--password-stdin", "--db", str(db), "--role", role]
        if department:
            args += ["--department", department]
        subprocess.run(args, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60, check=True)
    with running_server(db) as base:
        yield base, db


def add_field(page: Any, kind: str, into: str, values: dict[str, str]) -> None:
    """Open a new field's editor from the list, fill it, save it; the row appears in the list."""
    from playwright.sync_api import expect

    page.select_option("#add-kind", kind)
    page.select_option("#add-into", into)
    page.locator("#add-field button[type=submit]").click()
    page.wait_for_selector("#field-form")
    for name, value in values.items():
        page.fill(f"#b-{name}", value)
    if not into:  # the live preview shows the field as typed, before it is saved
        preview = page.locator('#builder-preview .preview[data-lang="en"]')
        expect(preview).to_contain_text(values["title_en"])
    page.locator("#save-field").click()
    path = f"{into}.{values['name']}" if into else values["name"]
    page.wait_for_selector(f'.builder-row[data-path="{path}"]')


def test_a_service_built_without_json_published_submitted_and_closed(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db = server
    shots = Path(os.environ.get("KHIDMA_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            context = browser.new_context(locale="en-GB", viewport={"width": 1500, "height": 1400})
            context.add_cookies([{"name": "lang", "value": "en", "url": base}])
            page = context.new_page()

            # 1. a new service: its id, its name in both languages, its department
            log_in(page, base, "admin.one", PASSWORD, "/admin/services")
            page.fill("#new-service-id", "room_booking")
            page.fill("#new-service-name_ar", "حجز قاعة")
            page.fill("#new-service-name_en", "Room booking")
            page.select_option("#new-service-department", "customer_service")
            page.locator("#new-service button[type=submit]").click()
            page.wait_for_url(f"{base}/admin/services/room_booking/edit")

            # 2. the form: the starter field goes; a choice, a field shown only for one choice, a group
            page.locator("#form-builder").click()
            page.wait_for_url(f"{base}/admin/services/room_booking/build/form")
            page.locator('.builder-row[data-path="details"] .remove-field').click()
            expect(page.locator('.builder-row[data-path="details"]')).to_have_count(0)
            page.select_option("#add-kind", "choice_one")
            page.locator("#add-field button[type=submit]").click()
            page.wait_for_selector("#field-form")
            for name, value in {
                "title_ar": "نوع القاعة",
                "title_en": "Kind of room",
                "name": "room_type",
            }.items():
                page.fill(f"#b-{name}", value)
            page.check("#b-required")
            page.select_option("#b-widget", "radio")
            for row, (value, ar, en) in enumerate([("lab", "معمل", "Laboratory"), ("hall", "قاعة", "Hall")]):
                page.locator('[name="choice_value"]').nth(row).fill(value)
                page.locator('[name="choice_ar"]').nth(row).fill(ar)
                page.locator('[name="choice_en"]').nth(row).fill(en)
            page.locator("#save-field").click()
            page.wait_for_selector('.builder-row[data-path="room_type"]')

            # a mistake is refused, in the page's language, beside its input; nothing is lost
            page.select_option("#add-kind", "short_text")
            page.locator("#add-field button[type=submit]").click()
            page.wait_for_selector("#field-form")
            page.fill("#b-title_ar", "ملاحظة المعمل")
            page.fill("#b-name", "Lab Note")
            page.check('[name="condition"][value="room_type=lab"]')
            page.locator("#save-field").click()
            expect(page.locator("#b-name-error")).to_have_text(
                "The identifier is lower-case letters, digits and _, starting with a letter."
            )
            expect(page.locator("#b-title_en-error")).to_have_text("This text is required.")
            expect(page.locator("#b-title_ar")).to_have_value("ملاحظة المعمل")
            page.fill("#b-name", "lab_note")
            page.fill("#b-title_en", "Note for the laboratory")
            page.fill("#b-max_length", "300")
            page.locator("#save-field").click()
            row = page.locator('.builder-row[data-path="lab_note"]')
            expect(row.locator(".row-condition")).to_contain_text("Laboratory")

            add_field(page, "group", "", {"title_ar": "الحضور", "title_en": "Attendees", "name": "attendees"})
            add_field(
                page, "short_text", "attendees", {"title_ar": "الاسم", "title_en": "Name", "name": "person"}
            )
            # the live preview, beside the list, in both languages
            expect(page.locator('#builder-preview .preview[data-lang="ar"]')).to_contain_text("نوع القاعة")
            expect(page.locator('#builder-preview .preview[data-lang="en"]')).to_contain_text("Attendees")
            page.screenshot(path=str(shots / "form-builder-en.png"), full_page=True)
            form_path = "/admin/services/room_booking/build/form"
            page.goto(f"{base}/lang/ar?next={form_path}")  # the same builder in Arabic, right to left
            expect(page.locator("html")).to_have_attribute("dir", "rtl")
            expect(page.locator('.builder-row[data-path="lab_note"] .row-condition')).to_contain_text("معمل")
            page.screenshot(path=str(shots / "form-builder-ar.png"), full_page=True)
            page.goto(f"{base}/lang/en?next={form_path}")

            # 3. the workflow: a third state, an action with a condition and a notification, close from it
            page.locator("#nav-workflow-builder").click()
            page.wait_for_url(f"{base}/admin/services/room_booking/build/workflow")
            page.locator("#add-state").click()
            page.wait_for_selector("#state-form")
            for name, value in {
                "title_ar": "قيد التنفيذ",
                "title_en": "Being prepared",
                "id": "preparing",
            }.items():
                page.fill(f"#b-{name}", value)
            page.select_option("#b-category", "in_progress")
            page.select_option("#b-assignee", "role")
            page.select_option("#b-role", "customer_service")
            page.locator("#save-state").click()
            page.wait_for_selector('.builder-row[data-state="preparing"]')

            page.locator("#add-action").click()
            page.wait_for_selector("#action-form")
            for name, value in {
                "title_ar": "بدء التجهيز",
                "title_en": "Start preparing",
                "id": "prepare",
            }.items():
                page.fill(f"#b-{name}", value)
            page.check('#b-from [value="received"]')
            page.select_option("#b-to", "preparing")
            page.check('#b-who [value="customer_service"]')
            page.select_option("#b-visibility", "public")
            page.fill("#b-condition", "data.nothing == 1")  # a condition naming no field of the form
            page.fill("#b-message_ar", "لا تجهز إلا القاعات المعروفة")
            page.fill("#b-message_en", "Only known rooms are prepared")
            page.locator("#save-action").click()
            expect(page.locator('[data-for="condition"]')).to_have_text(
                "The condition is not valid: check the field, the value and its type."
            )
            page.fill("#b-condition", "")
            page.select_option("#b-cond_subject", "data.room_type")
            page.select_option("#b-cond_op", "!=")
            page.fill("#b-cond_value", "storeroom")
            page.select_option("#b-n_to-0", "requester")
            page.fill('[name="n_subject_ar"]', "بدأ تجهيز طلبكم {{ ticket.number }}")
            page.fill('[name="n_subject_en"]', "We are preparing {{ ticket.number }}")
            page.fill('[name="n_body_ar"]', "نجهز القاعة الآن.")
            page.fill('[name="n_body_en"]', "We are preparing the room now.")
            page.locator("#save-action").click()
            action = page.locator('.builder-row[data-action="prepare"]')
            expect(action).to_contain_text("Has a condition")
            expect(action).to_contain_text("Notifications: 1")

            page.locator('.builder-row[data-action="close"] .edit-action').click()
            page.wait_for_selector("#action-form")
            page.uncheck('#b-from [value="received"]')
            page.check('#b-from [value="preparing"]')
            page.locator("#save-action").click()
            expect(page.locator('.builder-row[data-action="close"]')).to_contain_text(
                "Being prepared → Closed"
            )
            expect(page.locator("#builder-diagram figure")).to_have_count(2)
            expect(page.locator(".builder-row .error-message")).to_have_count(0)
            page.screenshot(path=str(shots / "workflow-builder-en.png"), full_page=True)

            # 4. published from the builder, through the editor's publish path
            page.fill("#builder-note", "A new service, built without JSON")
            page.locator("#publish-draft").click()
            expect(page.locator("#admin-notice")).to_be_visible()
            page.locator("header form[action='/logout'] button").click()

            # 5. a requester submits it: the conditional field appears for "Laboratory"
            log_in(page, base, "student.one", PASSWORD, "/services/room_booking/apply")
            expect(page.locator('[name="lab_note"]')).to_have_count(0)
            page.get_by_role("radio", name="Laboratory", exact=True).check()
            page.locator('[name="lab_note"]').fill("Twenty computers, please")
            page.fill('[name="attendees[0][person]"]', "Sara Ali")
            page.locator("main form button.button[type=submit]").click()
            page.get_by_role("button", name="Confirm and send").click()
            number = page.locator("#ticket-number").first.inner_text().strip()
            page.locator("header form[action='/logout'] button").click()

            # 6. customer service prepares it (the condition holds, the requester is told) and closes it
            log_in(page, base, "cs.one", PASSWORD, "/staff/tasks")
            page.get_by_role("link", name=number).click()
            expect(page.locator("#ticket-state")).to_have_text("Received")
            for action_id, state in (("prepare", "Being prepared"), ("close", "Closed")):
                panel = page.locator(f"#action-{action_id}")
                if panel.get_attribute("open") is None:
                    panel.locator("summary").click()
                panel.locator(f"form[action$='/actions/{action_id}'] button[type=submit]").click()
                expect(page.locator("#ticket-state")).to_have_text(state)
        finally:
            browser.close()

    with sqlite3.connect(db) as connection:
        data, state = connection.execute(
            "SELECT data, state FROM tickets WHERE number = ?", (number,)
        ).fetchone()
        subjects = [r[0] for r in connection.execute("SELECT subject FROM outbox")]
    assert state == "closed"
    assert json.loads(data) == {
        "room_type": "lab",
        "lab_note": "Twenty computers, please",
        "attendees": [{"person": "Sara Ali"}],
    }
    # the requester is told, in their language, with the ticket's number
    assert any(number in subject and "preparing" in subject for subject in subjects), subjects
