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
