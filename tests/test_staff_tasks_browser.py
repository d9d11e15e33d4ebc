"""The task list's keyboard shortcuts in a real browser (Debian's chromium through Playwright):
j / k move a highlighted row, / goes to the search box, o opens the row, and n on the ticket page
opens the next ticket of the list — then back to the list at its end."""

from __future__ import annotations

import re
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

PASSWORD = "shortcut-pass-1"
SCRIPT = "/static/staff-shortcuts.js"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, list[int]]]:
    db = tmp_path / "tasks.db"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "user",
            "add",
            "cs.keys",
            "--name",
            "ممثل خدمة العملاء",
            "--email",
            "cs.keys@example.org",
            "--password-stdin",
            "--db",
            str(db),
            "--role",
            "customer_service",
            "--department",
            "customer_service",
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    with running_server(db) as base:
        example = catalogue().services["inquiries"].form.schema["examples"][0]
        ids = []
        for i in range(3):
            response = httpx.post(
                f"{base}/api/services/inquiries/tickets",
                json={**example, "subject": f"سؤال رقم {i + 1}"},
                timeout=10,
            )
            assert response.status_code == 201, response.text
            ids.append(int(response.json()["id"]))
        yield base, ids


def test_keyboard_moves_through_the_list_and_on_to_the_next_ticket(server: tuple[str, list[int]]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, ids = server
    newest_first = list(reversed(ids))  # the default sort: last update first
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(locale="ar-SA", viewport={"width": 1200, "height": 900}).new_page()
            log_in(page, base, "cs.keys", PASSWORD, "/staff/tasks?view=all")
            expect(page.locator("table.tasks tbody tr")).to_have_count(3)

            page.keyboard.press("j")
            expect(page.locator(f"#task-link-{newest_first[0]}")).to_be_focused()
            expect(page.locator(f"#task-{newest_first[0]}")).to_have_class("task-row task-current")
            page.add_script_tag(url=SCRIPT)  # loaded twice (the layout and the page): keys still act once
            page.keyboard.press("j")
            expect(page.locator(f"#task-link-{newest_first[1]}")).to_be_focused()
            page.keyboard.press("j")
            page.keyboard.press("j")  # stays on the last row
            expect(page.locator(f"#task-link-{newest_first[2]}")).to_be_focused()
            page.keyboard.press("k")
            expect(page.locator(f"#task-link-{newest_first[1]}")).to_be_focused()

            page.keyboard.press("/")
            expect(page.locator("#filter-q")).to_be_focused()
            page.keyboard.type("j")  # typed into the search box, not a shortcut
            expect(page.locator("#filter-q")).to_have_value("j")
            page.locator("#filter-q").fill("")
            page.locator("h1").click()

            page.keyboard.press("k")  # from the highlighted row, though the focus left it
            expect(page.locator(f"#task-link-{newest_first[0]}")).to_be_focused()
            page.keyboard.press("o")
            page.wait_for_url(f"{base}/staff/tickets/{newest_first[0]}")
            if page.locator(f"script[src^='{SCRIPT}']").count() == 0:  # until base.html loads it for staff
                page.add_script_tag(url=SCRIPT)
            page.keyboard.press("n")
            page.wait_for_url(f"{base}/staff/tickets/{newest_first[1]}")
            if page.locator(f"script[src^='{SCRIPT}']").count() == 0:
                page.add_script_tag(url=SCRIPT)
            page.keyboard.press("n")
            page.wait_for_url(f"{base}/staff/tickets/{newest_first[2]}")
            if page.locator(f"script[src^='{SCRIPT}']").count() == 0:
                page.add_script_tag(url=SCRIPT)
            page.keyboard.press("n")  # the end of the list: back to it, with its filters
            page.wait_for_url(f"{base}/staff/tasks?view=all")
        finally:
            browser.close()


def test_the_list_refreshes_in_place_keeping_the_highlighted_row(server: tuple[str, list[int]]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, ids = server
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 900}).new_page()
            log_in(page, base, "cs.keys", PASSWORD, "/staff/tasks?view=all")
            expect(page.locator("table.tasks tbody tr")).to_have_count(3)
            page.keyboard.press("j")
            expect(page.locator(f"#task-link-{ids[2]}")).to_be_focused()

            example = catalogue().services["inquiries"].form.schema["examples"][0]
            response = httpx.post(f"{base}/api/services/inquiries/tickets", json=example, timeout=10)
            assert response.status_code == 201
            # what the 30-second poll does (here at once: the event a page shown again fires)
            page.evaluate("htmx.trigger('#task-refresh', 'task-refresh-now')")
            expect(page.locator("table.tasks tbody tr")).to_have_count(4)
            expect(page.locator("#task-announce")).to_have_text("The list was updated. 4 tickets")
            expect(page.locator(f"#task-link-{ids[2]}")).to_be_focused()
            assert page.url == f"{base}/staff/tasks?view=all"
            # nothing new: nothing announced again
            page.evaluate("document.getElementById('task-announce').textContent = ''")
            page.evaluate("htmx.trigger('#task-refresh', 'task-refresh-now')")
            page.wait_for_timeout(500)
            expect(page.locator("#task-announce")).to_have_text("")
        finally:
            browser.close()


def test_next_and_previous_read_from_the_pages_edge(server: tuple[str, list[int]]) -> None:
    """ "Next" swaps in page 2 read after page 1's last ticket (the address bar shows its cursor); a ticket
    created meanwhile lands on page 1, and page 2 refreshed in place keeps its tickets — read by offset it
    would have shown page 1's last ticket again. "Previous" goes back to page 1."""
    from playwright.sync_api import expect, sync_playwright

    base, ids = server
    example = catalogue().services["inquiries"].form.schema["examples"][0]
    for i in range(27):
        response = httpx.post(
            f"{base}/api/services/inquiries/tickets", json={**example, "subject": f"سؤال {i}"}, timeout=10
        )
        assert response.status_code == 201, response.text
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_context(locale="en-GB", viewport={"width": 1200, "height": 900}).new_page()
            log_in(page, base, "cs.keys", PASSWORD, "/staff/tasks?view=all")
            rows = page.locator("table.tasks tbody tr")
            expect(rows).to_have_count(25)
            first_page = rows.evaluate_all("rows => rows.map(r => r.id)")
            page.locator(".pager a[rel=next]").click()
            expect(page.locator(".pager .page-of")).to_have_text("Page 2 of 2")
            expect(rows).to_have_count(5)
            expect(page).to_have_url(re.compile(r"page=2&cursor=a[0-9.]+$"))  # pushed after the swap
            second_page = rows.evaluate_all("rows => rows.map(r => r.id)")
            assert not set(first_page) & set(second_page)
            assert f"task-{ids[0]}" in second_page  # the oldest, last

            response = httpx.post(f"{base}/api/services/inquiries/tickets", json=example, timeout=10)
            assert response.status_code == 201
            page.evaluate("htmx.trigger('#task-refresh', 'task-refresh-now')")
            expect(page.locator("#task-count")).to_contain_text("31")
            assert rows.evaluate_all("rows => rows.map(r => r.id)") == second_page

            page.locator(".pager a[rel=prev]").click()
            expect(rows).to_have_count(25)
            expect(page.locator(".pager .page-of")).to_have_text("Page 1 of 2")
            expect(page).to_have_url(re.compile(r"/staff/tasks\?view=all$"))
            assert rows.evaluate_all("rows => rows.map(r => r.id)")[1:] == first_page[:24]
        finally:
            browser.close()
