"""Settings of one khidma instance."""

from __future__ import annotations

import secrets
from pathlib import Path

import msgspec

from server.paths import shipped_root


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    db_path: Path = Path("khidma.db")
    """The embedded SQLite file."""
    definitions: Path = msgspec.field(default_factory=shipped_root)
    """The definitions tree loaded on first start."""
    base_url: str = "http://127.0.0.1:8000"
    """The public address, for links in notifications (tracking page, survey)."""
    secret: str = msgspec.field(default_factory=lambda: secrets.token_urlsafe(32))
    """Signs the CSRF cookie. Set it (``KHIDMA_SECRET``) so pages stay valid across restarts."""
    max_upload_bytes: int = 10 * 1024 * 1024
    """The largest request body accepted (all files of one submission together)."""
    debug: bool = False

    # --- accounts and sessions (server.web.auth; docs/operation.md "Accounts") ---------------
    session_idle_seconds: int = 2 * 3600
    """A log-in session ends after this long without a request."""
    session_max_seconds: int = 12 * 3600
    """…and this long after log-in, whatever the activity."""
    secure_cookies: bool = False
    """Mark the session cookie ``Secure`` (sent over HTTPS only). Turn on when served over HTTPS."""
    login_max_failures: int = 5
    """Failed log-ins allowed per username within ``login_failure_window_seconds``."""
    login_max_failures_per_address: int = 20
    """Failed log-ins allowed per client address in the same window (higher than per username: many
    people may share one address behind a campus NAT)."""
    login_failure_window_seconds: int = 15 * 60
    sso_header: str | None = None
    """Trusted-header single sign-on, off by default: the request header (e.g. ``X-Remote-User``) in
    which an authenticating reverse proxy names the logged-in user."""
    sso_trusted_proxies: tuple[str, ...] = ()
    """The addresses or networks (``10.0.0.0/8``) of those proxies; the header is honoured only on a
    request that comes from one of them."""
