"""Gateways: how one outbox message leaves khidma — e-mail over SMTP, SMS and WhatsApp through webhooks.

A gateway's ``send`` returns when the message was handed over, or raises:

* ``PermanentFailure`` — this message can never be delivered (the server refused the recipient, the
  gateway rejected the request as invalid): it goes ``dead`` at once;
* ``TemporaryFailure`` — worth trying again later (a 4xx SMTP reply, a 5xx from a webhook);
* ``GatewayUnavailable`` (a ``TemporaryFailure``) — the gateway itself cannot be used right now
  (unreachable, timed out, refused our credentials): the dispatcher retries the message later and
  sends nothing more on that channel in the current round.

Every attempt of one message carries its ``gateway_request_id`` — as the mail's ``Message-ID`` and as
the webhook's ``Idempotency-Key`` — so a message sent again after a crash is recognisable as the same
one and a gateway can drop the duplicate. Secrets (the SMTP password, the webhook token) are held as
``Secret`` and never appear in errors or logs; logs name recipients only masked, and never bodies.
"""

from __future__ import annotations

import asyncio
import email.policy
import email.utils
import logging
import re
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from server.settings import Secret, Settings
from server.store.records import OutboxMessage

if TYPE_CHECKING:
    import httpx  # imported with the first webhook sent: with its CLI's rich and click, a tenth of the start

log = logging.getLogger("khidma.notify")

_MAIL_POLICY = email.policy.SMTP.clone(cte_type="7bit")
"""CRLF line ends; non-ASCII bodies as base64 or quoted-printable and headers as RFC 2047 words, so
any SMTP server carries them (no reliance on 8BITMIME or SMTPUTF8)."""


class DeliveryFailure(Exception):
    """A message was not delivered; ``reason`` is stored as the message's ``last_error``."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        """Seconds the gateway asked us to wait (a ``Retry-After`` header), if it said."""


class TemporaryFailure(DeliveryFailure):
    """Try this message again later."""


class GatewayUnavailable(TemporaryFailure):
    """The gateway cannot be used now; try again later, and send nothing more to it this round."""


class PermanentFailure(DeliveryFailure):
    """This message can never be delivered as it is."""


class Gateway(Protocol):
    @property
    def label(self) -> str:
        """What the gateway is, for logs and status (no secrets): ``smtp 127.0.0.1:25``."""
        ...

    async def send(self, message: OutboxMessage) -> None: ...


def mask_recipient(address: str) -> str:
    """Enough of an address to tell messages apart in a log, not enough to harvest it."""
    if "@" in address:
        local, _, domain = address.rpartition("@")
        return f"{local[:2]}***@{domain}"
    digits = re.sub(r"\D", "", address)
    return f"***{digits[-2:]}" if len(digits) > 4 else "***"


def _clip(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _smtp_reply(code: int, text: bytes | str) -> str:
    return _clip(f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}")


# --- e-mail -------------------------------------------------------------------------------------


class SmtpGateway:
    """E-mail through an SMTP server (one connection per message), with ``smtplib`` in a thread."""

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        sender: str,
        starttls: bool = False,
        username: str | None = None,
        password: Secret | None = None,
        timeout: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.username = username
        self._password = password
        self.timeout = timeout
        self._tls_context = tls_context

    @property
    def label(self) -> str:
        return f"smtp {self.host}:{self.port}"

    def __repr__(self) -> str:
        return f"SmtpGateway({self.host!r}, {self.port}, sender={self.sender!r}, starttls={self.starttls})"

    def build(self, message: OutboxMessage) -> EmailMessage:
        """The mail as it goes out; the same message gives the same mail on every attempt."""
        mail = EmailMessage(policy=_MAIL_POLICY)
        mail["From"] = self.sender
        mail["To"] = message.recipient
        mail["Subject"] = " ".join(message.subject.split())  # one line, whatever the template made
        mail["Date"] = email.utils.format_datetime(message.created_at)
        mail["Message-ID"] = f"<{message.gateway_request_id}@khidma>"
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to notifications
        if message.thread:  # a reply in the sender's conversation (server/channels/mail.py threads it back)
            mail["In-Reply-To"] = f"<{message.thread[-1]}>"
            mail["References"] = " ".join(f"<{i}>" for i in message.thread)
        mail.set_content(message.body, charset="utf-8")
        mail["Content-Language"] = message.language  # after set_content, which clears Content-*
        if message.html is not None:  # multipart/alternative: the text, then the HTML
            mail.add_alternative(message.html, subtype="html", charset="utf-8")
        for attachment in message.attachments:  # then multipart/mixed: the alternative, then the files
            maintype, _, subtype = attachment.content_type.partition("/")
            mail.add_attachment(
                attachment.content,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=attachment.filename,
            )
        return mail

    async def send(self, message: OutboxMessage) -> None:
        try:
            mail = self.build(message)
        except (ValueError, TypeError) as exc:  # e.g. a line break in the recipient's address
            raise PermanentFailure(f"cannot build the mail: {_clip(str(exc))}") from None
        await asyncio.to_thread(self._deliver, mail, message.recipient)

    def _deliver(self, mail: EmailMessage, recipient: str) -> None:
        where = f"{self.host}:{self.port}"
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except smtplib.SMTPConnectError as exc:
            raise GatewayUnavailable(
                f"{where} refused the connection: {_smtp_reply(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except OSError as exc:
            raise GatewayUnavailable(
                f"cannot connect to {where}: {_clip(str(exc) or type(exc).__name__)}"
            ) from None
        try:
            self._session(smtp, where)
            try:
                smtp.send_message(mail, from_addr=self.sender, to_addrs=[recipient])
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()), (550, b"refused"))
                failure = PermanentFailure if code >= 500 else TemporaryFailure
                raise failure(f"recipient refused: {_smtp_reply(code, text)}") from None
            except smtplib.SMTPSenderRefused as exc:  # our From: every message would fail alike
                raise GatewayUnavailable(
                    f"sender refused: {_smtp_reply(exc.smtp_code, exc.smtp_error)}"
                ) from None
            except smtplib.SMTPNotSupportedError as exc:  # a non-ASCII address, without SMTPUTF8
                raise PermanentFailure(f"{where} cannot take this address: {_clip(str(exc))}") from None
            except smtplib.SMTPResponseException as exc:  # SMTPDataError and the like
                failure = PermanentFailure if exc.smtp_code >= 500 else TemporaryFailure
                raise failure(f"message refused: {_smtp_reply(exc.smtp_code, exc.smtp_error)}") from None
        except DeliveryFailure:
            smtp.close()
            raise
        except OSError as exc:  # SMTPServerDisconnected, timeouts, TLS errors (SMTPException is an OSError)
            smtp.close()
            raise GatewayUnavailable(f"{where}: {_clip(str(exc) or type(exc).__name__)}") from None
        except BaseException:
            smtp.close()
            raise
        try:  # handed over: a failing QUIT changes nothing
            smtp.quit()
        except OSError:
            smtp.close()

    def _session(self, smtp: smtplib.SMTP, where: str) -> None:
        """EHLO, STARTTLS and log-in, before the first message."""
        if self.starttls:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise GatewayUnavailable(f"{where} does not offer STARTTLS; not sending in clear")
            smtp.starttls(context=self._tls_context or ssl.create_default_context())
            smtp.ehlo()
        if self.username is not None:
            password = self._password.reveal() if self._password is not None else ""
            try:
                smtp.login(self.username, password)
            except smtplib.SMTPAuthenticationError as exc:
                raise GatewayUnavailable(
                    f"{where} refused the log-in of {self.username!r}: {_smtp_reply(exc.smtp_code, exc.smtp_error)}"
                ) from None
            except smtplib.SMTPNotSupportedError:
                raise GatewayUnavailable(f"{where} offers no log-in (AUTH) on this connection") from None
            except smtplib.SMTPException as exc:
                raise GatewayUnavailable(f"log-in to {where} failed: {_clip(str(exc))}") from None


# --- SMS and WhatsApp ---------------------------------------------------------------------------

_UNAVAILABLE_STATUS = frozenset({401, 403, 404, 405, 407, 502, 503, 504})
"""Answers that say the endpoint or our credentials are wrong, or the gateway is down: every message
would get the same, so the channel pauses (the operator can fix it) instead of killing messages."""
_RETRY_STATUS = frozenset({408, 409, 425, 429})


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


class WebhookGateway:
    """SMS or WhatsApp through the provider's webhook: one JSON POST per message.

    Body ``{"request_id", "to", "body", "language"}``; headers ``Idempotency-Key: <request_id>`` and,
    with a token, ``Authorization: Bearer <token>``. 2xx is delivered; 408, 409, 425, 429 and 5xx are
    retried (honouring ``Retry-After`` in seconds); 401, 403, 404, 405, 407, 502, 503, 504, time-outs
    and connection errors make the gateway unavailable for the round; any other 4xx is permanent.
    """

    def __init__(
        self,
        url: str,
        *,
        token: Secret | None = None,
        timeout: float = 15.0,
        channel: str = "sms",
    ) -> None:
        self.url = url
        self._token = token
        self.timeout = timeout
        self.channel = channel

    @property
    def label(self) -> str:
        """The URL without credentials, query or fragment (where a token might hide)."""
        try:
            url = urlsplit(self.url)
            port = f":{url.port}" if url.port is not None else ""
        except ValueError:  # a malformed IPv6 host or port
            return "webhook (invalid URL)"
        if not url.scheme or not url.hostname:
            return "webhook (invalid URL)"
        return f"webhook {url.scheme}://{url.hostname}{port}{url.path or '/'}"

    def __repr__(self) -> str:
        return f"WebhookGateway({self.label!r}, channel={self.channel!r})"

    def request(self, message: OutboxMessage) -> tuple[dict[str, str], dict[str, str]]:
        """The JSON body and the headers of the request for ``message``."""
        headers = {"Idempotency-Key": message.gateway_request_id, "User-Agent": "khidma"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.reveal()}"
        body = {
            "request_id": message.gateway_request_id,
            "to": message.recipient,
            "body": message.body,
            "language": message.language,
        }
        return body, headers

    async def send(self, message: OutboxMessage) -> None:
        import httpx

        body, headers = self.request(message)
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                response = await client.post(self.url, json=body, headers=headers)
        except httpx.TimeoutException:
            raise GatewayUnavailable(f"{self.label}: no answer within {self.timeout:g} s") from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise GatewayUnavailable(f"{self.label}: {_clip(str(exc) or type(exc).__name__)}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        reason = f"{self.label} answered {status}: {_clip(response.text, 200)}"
        if status in _UNAVAILABLE_STATUS:
            raise GatewayUnavailable(reason, retry_after=_retry_after(response))
        if status in _RETRY_STATUS or status >= 500:
            raise TemporaryFailure(reason, retry_after=_retry_after(response))
        raise PermanentFailure(reason)


# --- from the settings --------------------------------------------------------------------------


def build_gateways(settings: Settings) -> Mapping[str, Gateway]:
    """The configured gateway of each channel (``email``, ``sms``, ``whatsapp``); a channel missing
    here keeps its messages pending."""
    gateways: dict[str, Gateway] = {}
    if settings.smtp_host:
        gateways["email"] = SmtpGateway(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.smtp_sender,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout_seconds,
        )
    for channel, url in (("sms", settings.sms_webhook_url), ("whatsapp", settings.whatsapp_webhook_url)):
        if url:
            gateways[channel] = WebhookGateway(
                url, token=settings.webhook_token, timeout=settings.webhook_timeout_seconds, channel=channel
            )
    return gateways
