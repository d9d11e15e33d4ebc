"""What the real-browser tests share: Debian's Chromium driven by Playwright (no ``playwright install``)
and logging in through the log-in page as a user would."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def launch(playwright: Any) -> Any:
    """A headless Chromium (close it when done)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)


def human_click(page: Any, locator: Any, hold_ms: int = 250) -> None:
    """Click ``locator`` as a person does: the pointer goes down, stays ``hold_ms``, comes up.

    Playwright's ``click`` presses and releases within a few milliseconds; a person holds the button
    for a tenth of a second or more, long enough for what the press set off (a field's ``change`` and
    its check, sent when focus leaves the field) to change the page under the pointer.
    """
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(hold_ms)
    page.mouse.up()


def log_in(page: Any, base: str, username: str, password: str, next_path: str | None = None) -> None:
    """Log in on ``/login`` and wait to land on ``next_path`` (or anywhere but the log-in page)."""
    page.goto(f"{base}/login" + (f"?next={quote(next_path, safe='/')}" if next_path else ""))
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    if next_path:
        page.wait_for_url(f"{base}{next_path}")
    else:
        page.wait_for_url(lambda url: "/login" not in url)
