"""Settings of one khidma instance."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import msgspec

from server.paths import shipped_root


class Secret:
    """A secret setting (a password, a token): its ``repr`` and ``str`` never show it, so printing or
    logging the settings cannot leak it. ``reveal()`` gives the value to the one place that uses it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    db_path: Path = Path("khidma.db")
    """The embedded SQLite file."""
    db_url: str | None = None
    """A PostgreSQL database (``postgresql://user@host/db``) used instead of ``db_path`` when set
    (``server/store/open.py``)."""
    attachments_dir: Path | None = None
    """Where uploaded files are kept (``--attachments DIR``), on either backend. Unset: beside the SQLite
    file (``<db>-attachments``), or ``./khidma-attachments`` on PostgreSQL — several machines serving one
    PostgreSQL database must all name one directory they share."""
    definitions: Path = msgspec.field(default_factory=shipped_root)
    """The definitions tree loaded on first start."""
    base_url: str = "http://127.0.0.1:8000"
    """The public address, for links in notifications (tracking page, survey)."""
    secret: str = msgspec.field(
        default_factory=lambda: os.environ.get("KHIDMA_SECRET") or secrets.token_urlsafe(32)
    )
    """Signs the CSRF cookie. Set it (``KHIDMA_SECRET``) so pages stay valid across restarts."""
    audit_key: Secret | None = msgspec.field(
        default_factory=lambda: Secret(v) if (v := os.environ.get("KHIDMA_AUDIT_KEY")) else None
    )
    """Keys the audit chain of ticket events (server/audit; at least 32 characters); never stored in the
    database. From ``KHIDMA_AUDIT_KEY``; a demo without one derives it from ``secret`` (with a warning)."""
    audit_key_file: Path | None = msgspec.field(
        default_factory=lambda: Path(v) if (v := os.environ.get("KHIDMA_AUDIT_KEY_FILE")) else None
    )
    """A file holding the audit key (``KHIDMA_AUDIT_KEY_FILE``); takes precedence over ``audit_key``."""
    max_upload_bytes: int = 10 * 1024 * 1024
    """The largest request body accepted (all files of one submission together)."""
    debug: bool = False
    orphan_upload_hours: float = 24.0
    """Files uploaded with a submission that then failed (tied to no ticket) are removed by the
    background worker (hourly) once older than this (server/tickets/uploads.py)."""

    # --- request budgets and rate limits (server/web/limits.py; docs/security.md "HTTP") ----------
    max_json_bytes: int = 1024 * 1024
    """The largest JSON body accepted (413 beyond)."""
    max_json_depth: int = 32
    """The deepest nesting of arrays and objects a JSON body may have (forms nest at most 12)."""
    max_json_values: int = 10_000
    """The most values (strings, numbers, arrays, objects…) one JSON body may hold."""
    max_form_bytes: int = 1024 * 1024
    """The largest urlencoded form post (file uploads are multipart and bounded by ``max_upload_bytes``)."""
    max_form_fields: int = 1000
    """The most fields one form post may carry (urlencoded or multipart)."""
    max_field_chars: int = 100_000
    """The longest value one posted field may have (a form's own ``maxLength`` is usually far less)."""
    rate_limits: bool = True
    """Limit anonymous submissions and tracking look-ups per client address (off for benchmarks)."""
    rate_limit_submissions: int = 60
    """Anonymous submissions per client address within ``rate_limit_window_seconds``."""
    rate_limit_lookups: int = 120
    """Anonymous tracking look-ups (tracking and survey pages, ``/api/track``) per client address in the window."""
    rate_limit_window_seconds: int = 10 * 60
    trusted_proxies: tuple[str, ...] = ()
    """The reverse proxies (addresses or networks) whose ``X-Forwarded-For`` names the client; from
    anyone else the header is ignored (``sso_trusted_proxies`` are trusted too)."""

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

    # --- notifications (server/notify; docs/operation.md "Notifications") -------------------
    # A channel with no gateway configured keeps its messages pending (and counted as such):
    # nothing is ever reported sent that was not handed to a gateway.
    smtp_host: str | None = None
    """The SMTP server that sends e-mail; e-mail stays pending while it is unset."""
    smtp_port: int = 25
    smtp_sender: str = "khidma@localhost"
    """The ``From`` address of notification mails."""
    smtp_starttls: bool = False
    """Upgrade the SMTP connection with STARTTLS (certificate checked) before sending; a server that
    does not offer it is treated as unavailable rather than spoken to in clear."""
    smtp_username: str | None = None
    """Log in to the SMTP server (after STARTTLS, when on) as this user."""
    smtp_password: Secret | None = None
    """Read from the environment variable ``KHIDMA_SMTP_PASSWORD`` only (never a command-line flag)."""
    smtp_timeout_seconds: float = 30.0
    sms_webhook_url: str | None = None
    """The SMS gateway's webhook (JSON POST); SMS stays pending while it is unset."""
    whatsapp_webhook_url: str | None = None
    """The WhatsApp gateway's webhook (JSON POST); WhatsApp messages stay pending while it is unset."""
    webhook_token: Secret | None = None
    """Sent as ``Authorization: Bearer …`` to both webhooks; from ``KHIDMA_WEBHOOK_TOKEN`` only."""
    webhook_timeout_seconds: float = 15.0
    whatsapp_verify_token: Secret | None = None
    """The WhatsApp Cloud API webhook's verify token (the GET handshake), from
    ``KHIDMA_WHATSAPP_VERIFY_TOKEN`` only; without it the handshake is refused."""
    whatsapp_app_secret: Secret | None = None
    """The Meta app secret that signs every webhook POST (``X-Hub-Signature-256``), from
    ``KHIDMA_WHATSAPP_APP_SECRET`` only; without it every POST is refused."""
    notify_max_attempts: int = 8
    """Attempts per message before it is ``dead``; retries wait 30 s, doubling, at most 1 h."""
    background_worker: bool = False
    """Run the worker (deliver due notifications, fire due timers) inside the server process. Off for an
    app built in code (tests); ``khidma serve`` turns it on unless ``--no-worker`` (then run
    ``khidma dispatch`` as a separate process)."""
    worker_interval_seconds: float = 5.0
    """How often the worker looks for due notifications and timers."""
    worker_election: bool = False
    """With ``background_worker``: run the worker only in the process elected among those serving the
    database (``server/election.py``); a process that loses tries again every
    ``worker_election_seconds``. ``khidma serve`` turns it on with ``--workers N`` and on PostgreSQL."""
    worker_election_seconds: float = 30.0
    """How often a process that lost the worker election tries again (``--worker-election-interval``)."""

    # --- inbound e-mail: the IMAP poll (server/channels/imap.py; docs/operation.md "Inbound e-mail") ---
    # Read from the environment by default, so `khidma serve` polls once they are set; the password
    # only from KHIDMA_IMAP_PASSWORD and never shown (``Secret``).
    imap_host: str | None = msgspec.field(default_factory=lambda: os.environ.get("KHIDMA_IMAP_HOST") or None)
    """The IMAP server of the administration's mailbox; no polling while it is unset."""
    imap_port: int = msgspec.field(default_factory=lambda: int(os.environ.get("KHIDMA_IMAP_PORT") or 993))
    imap_tls: bool = msgspec.field(default_factory=lambda: os.environ.get("KHIDMA_IMAP_TLS", "1") != "0")
    """IMAP over TLS (port 993, certificate checked); ``KHIDMA_IMAP_TLS=0`` speaks plain IMAP (a
    loopback or otherwise protected link only)."""
    imap_user: str | None = msgspec.field(default_factory=lambda: os.environ.get("KHIDMA_IMAP_USER") or None)
    imap_password: Secret | None = msgspec.field(default_factory=lambda: _secret_env("KHIDMA_IMAP_PASSWORD"))
    imap_mailbox: str = msgspec.field(
        default_factory=lambda: os.environ.get("KHIDMA_IMAP_MAILBOX") or "INBOX"
    )
    imap_timeout_seconds: float = 30.0


def _secret_env(name: str) -> Secret | None:
    value = os.environ.get(name)
    return Secret(value) if value else None
