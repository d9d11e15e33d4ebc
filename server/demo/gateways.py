"""Loopback stand-ins for the notification gateways (``khidma serve --demo``): an SMTP server
(aiosmtpd) and an HTTP receiver for the SMS and WhatsApp webhooks, in the server's own process on
127.0.0.1, so a newcomer sees what khidma sends without a real gateway. What they receive is kept in
memory (the latest :data:`KEPT`, lost at exit) and listed on ``/admin/demo/sent``.

A channel given a real gateway on the command line keeps it; the stand-ins take only the others. They
deliver nothing anywhere: a message "sent" to one is only shown on that page.
"""

from __future__ import annotations

import email.policy
import json
import logging
import socket
import threading
from collections import deque
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import msgspec

from server.dates import both
from server.i18n import t
from server.runtime import Runtime
from server.settings import Settings

if TYPE_CHECKING:  # aiosmtpd is loaded when the stand-ins start (--demo), not with every server
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger("khidma.demo")

KEPT = 500
"""How many received messages the stand-ins keep (the oldest are dropped)."""
HOST = "127.0.0.1"


class Caught(msgspec.Struct, frozen=True):
    """One message a stand-in received."""

    channel: str
    at: datetime
    recipient: str
    subject: str
    body: str
    thread: str = ""
    """For an e-mail: the ``In-Reply-To`` header (it answers the sender's mail), else empty."""


class _Mailbox:
    def __init__(self, keep: StandIns) -> None:
        self.keep = keep

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        mail = BytesParser(policy=email.policy.default).parsebytes(content)
        body = ""
        if isinstance(mail, EmailMessage):
            part = mail.get_body(preferencelist=("plain", "html"))
            body = str(part.get_content()) if part is not None else ""
        for recipient in envelope.rcpt_tos:
            self.keep.catch(
                Caught(
                    channel="email",
                    at=datetime.now(UTC),
                    recipient=recipient,
                    subject=str(mail.get("Subject", "")),
                    body=body,
                    thread=str(mail.get("In-Reply-To", "")),
                )
            )
        return "250 Message accepted (khidma demo stand-in: delivered nowhere)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class StandIns:
    """The running stand-ins: ``start()``, then ``settings_for(settings)``; ``stop()`` at exit."""

    def __init__(self, keep: int = KEPT) -> None:
        self._caught: deque[Caught] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self.smtp_port = 0
        self.webhook_url = ""
        self._smtp: Controller | None = None
        self._http: ThreadingHTTPServer | None = None

    def catch(self, message: Caught) -> None:
        with self._lock:
            self._caught.appendleft(message)

    def caught(self) -> list[Caught]:
        """What was received, newest first."""
        with self._lock:
            return list(self._caught)

    def start(self) -> StandIns:
        from aiosmtpd.controller import Controller

        self.smtp_port = _free_port()
        self._smtp = Controller(_Mailbox(self), hostname=HOST, port=self.smtp_port)
        self._smtp.start()
        stand_ins = self

        class Receiver(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                channel = self.path.strip("/")
                length = min(int(self.headers.get("Content-Length") or 0), 1_000_000)
                try:
                    sent: Any = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    sent = None
                if channel not in ("sms", "whatsapp") or not isinstance(sent, dict):
                    self._answer(400, b'{"error": "not a khidma webhook message"}')
                    return
                stand_ins.catch(
                    Caught(
                        channel=channel,
                        at=datetime.now(UTC),
                        recipient=str(sent.get("to", "")),
                        subject="",
                        body=str(sent.get("body", "")),
                    )
                )
                self._answer(200, b'{"ok": true}')

            def _answer(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the page shows what arrived; the console stays quiet

        self._http = ThreadingHTTPServer((HOST, 0), Receiver)
        self._http.daemon_threads = True
        self.webhook_url = f"http://{HOST}:{self._http.server_address[1]}"
        threading.Thread(target=self._http.serve_forever, name="khidma-demo-webhooks", daemon=True).start()
        global _running
        _running = self
        return self

    def stop(self) -> None:
        global _running
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if _running is self:
            _running = None

    def settings_for(self, settings: Settings) -> Settings:
        """``settings`` with the stand-ins as the gateway of every channel that has none."""
        changes: dict[str, Any] = {}
        if not settings.smtp_host:
            changes.update(smtp_host=HOST, smtp_port=self.smtp_port, smtp_starttls=False, smtp_username=None)
        if not settings.sms_webhook_url:
            changes["sms_webhook_url"] = f"{self.webhook_url}/sms"
        if not settings.whatsapp_webhook_url:
            changes["whatsapp_webhook_url"] = f"{self.webhook_url}/whatsapp"
        return msgspec.structs.replace(settings, **changes)


_running: StandIns | None = None


def running() -> StandIns | None:
    """The stand-ins of this process, if ``khidma serve --demo`` started them."""
    return _running


# --- the page ---------------------------------------------------------------------------------------


class SentLine(msgspec.Struct, frozen=True):
    channel: str
    channel_label: str
    when: str
    recipient: str
    subject: str
    body: str
    thread: str


class SentPage(msgspec.Struct, frozen=True):
    running: bool
    lines: list[SentLine]
    summary: str


def sent_page(runtime: Runtime, lang: str) -> SentPage:
    """What the stand-ins received, newest first, times in the organisation's zone."""
    tz = runtime.tickets.calendar.tz
    stand_ins = running()
    caught = stand_ins.caught() if stand_ins is not None else []
    return SentPage(
        running=stand_ins is not None,
        lines=[
            SentLine(
                channel=c.channel,
                channel_label=t(f"dlv_channel_{c.channel}", lang),
                when=both(c.at, lang, tz),
                recipient=c.recipient,
                subject=c.subject,
                body=c.body,
                thread=c.thread,
            )
            for c in caught
        ],
        summary=t("dlv_demo_sent_count", lang).format(count=len(caught)),
    )
