"""A head's weekly report in a real browser (Debian's chromium through Playwright), in Arabic: found from
the task list, last week picked with the period form, then this week's "open" figure drilled down to its
tickets."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser import CHROMIUM, launch, log_in
from tests.conftest import running_server
from tests.engine_harness import catalogue

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (make browser)"
)

PASSWORD = "report-pass-1"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    db = tmp_path / "reports.db"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "user",
            "add",
            "affairs.head",
            "--name",
            "رئيس الشؤون الإدارية",
            "--password-stdin",
            "--db",
            str(db),
            "--role",
            "department_head",
            "--department",
            "administrative_affairs",
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    with running_server(db) as base:
        example = catalogue().services["inquiries"].form.schema["examples"][0]
        numbers = []
        for i in range(3):
            response = httpx.post(
                f"{base}/api/services/inquiries/tickets",
                json={**example, "subject": f"سؤال {i + 1}"},
                timeout=10,
            )
            assert response.status_code == 201, response.text
            numbers.append(response.json()["number"])
        yield base, numbers


def test_a_head_opens_the_weekly_report_picks_last_week_and_drills_down(
    server: tuple[str, list[str]],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, numbers = server
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(locale="ar-SA", viewport={"width": 1200, "height": 900}).new_page()
            log_in(page, base, "affairs.head", PASSWORD, "/staff/tasks")
            page.locator("#my-weekly-report").click()
            page.wait_for_url(f"{base}/reports/weekly_department")
            expect(page.locator("html")).to_have_attribute("lang", "ar")
            first_row = page.locator("#table-0 tbody tr").first
            expect(first_row.locator("th")).to_have_text("مفتوحة/محوّلة")
            expect(first_row.locator("td")).to_have_text("3")
            this_week_day = page.locator("#report-day").input_value()

            last_week = dt.date.fromisoformat(this_week_day) - dt.timedelta(days=7)
            page.select_option("#report-kind", "week")
            page.fill("#report-day", last_week.isoformat())
            page.get_by_role("button", name="عرض").click()
            page.wait_for_url(f"{base}/reports/weekly_department?kind=week*")
            expect(page.locator("#table-0 tbody tr").first.locator("td")).to_have_text("0")
            expect(page.locator("#report-period")).to_contain_text("هـ")

            page.fill("#report-day", this_week_day)
            page.get_by_role("button", name="عرض").click()
            expect(page.locator("#table-0 tbody tr").first.locator("td")).to_have_text("3")
            page.locator("#table-0 tbody tr").first.locator("a.report-drill").click()
            page.wait_for_url(f"{base}/reports/weekly_department/tickets?*")
            expect(page.locator("#report-figure")).to_have_text("مفتوحة/محوّلة")
            expect(page.locator(".report-ticket-list tbody tr")).to_have_count(3)
            shown = page.locator(".report-ticket-list tbody td:first-child").all_inner_texts()
            assert sorted(s.strip() for s in shown) == sorted(numbers)
        finally:
            browser.close()
