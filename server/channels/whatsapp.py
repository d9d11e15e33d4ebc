"""WhatsApp chats (service 9) arriving by themselves, through the WhatsApp Cloud API's webhook.

The Cloud API (Meta) speaks to one URL, ``/webhooks/whatsapp``:

* **GET, the verify-token handshake** — ``hub.mode=subscribe``, ``hub.verify_token``, ``hub.challenge``:
  the challenge is echoed back when the token is the one configured (``KHIDMA_WHATSAPP_VERIFY_TOKEN``);
  otherwise 403;
* **POST, the events** — a JSON body ``{"object": "whatsapp_business_account", "entry": [{"changes":
  [{"field": "messages", "value": {"contacts": [{"wa_id", "profile": {"name"}}], "messages": [{"from",
  "id", "timestamp", "type", "text": {"body"}}]}}]}]}``, signed: ``X-Hub-Signature-256: sha256=<hex>``,
  the HMAC-SHA256 of the raw body keyed with the app secret (``KHIDMA_WHATSAPP_APP_SECRET``), compared
  in constant time. A missing or wrong signature is refused (401) before the body is even parsed, and
  nothing is created. Status updates (``statuses``: sent, delivered, read) carry no message and are
  acknowledged without effect.

Each customer message opens a chat ticket of the ``whatsapp`` service for the customer's number (in
E.164), or — when that number already has an open chat — is added to it as the customer's message. The
workflow's first state queues the automatic welcome with the working hours (and the out-of-hours text
outside them, by the working calendar); they are sent at once through the outbox to the WhatsApp
gateway (:func:`send_now`), the background worker retrying them if the gateway is down. Meta retries a
delivery it thinks failed: a message id already seen (the ticket's idempotency key, or an event of the
chat) is ignored. The intake acts as the service's own intake unit: the roles and department of the
service definition (``eligible_roles``, ``department``), not a role written here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import TYPE_CHECKING

import msgspec

from server.engine.model import Actor, Refusal
from server.notify.dispatcher import Dispatcher
from server.notify.phones import to_e164
from server.settings import Secret, Settings
from server.store.records import NewEvent, ReadScope, TaskFilter, TaskOrder, Ticket, TicketChange
from server.tickets.service import Created
from server.tickets.staff_history import CUSTOMER_MESSAGE
from server.tickets.tasks import normalize

if TYPE_CHECKING:
    from server.runtime import Runtime

log = logging.getLogger("khidma.whatsapp")

SERVICE = "whatsapp"
CHANNEL = "whatsapp"
MAX_TEXT = 8000


# --- the webhook's body (only what khidma reads of it) ------------------------------------------


class _Text(msgspec.Struct, frozen=True):
    body: str = ""


class _Message(msgspec.Struct, frozen=True, kw_only=True):
    sender: str = msgspec.field(name="from")
    id: str
    type: str = "text"
    text: _Text | None = None


class _Profile(msgspec.Struct, frozen=True):
    name: str = ""


class _Contact(msgspec.Struct, frozen=True):
    wa_id: str = ""
    profile: _Profile | None = None


class _Value(msgspec.Struct, frozen=True):
    messages: list[_Message] = msgspec.field(default_factory=list)
    contacts: list[_Contact] = msgspec.field(default_factory=list)


class _Change(msgspec.Struct, frozen=True):
    value: _Value
    field: str = "messages"


class _Entry(msgspec.Struct, frozen=True):
    changes: list[_Change] = msgspec.field(default_factory=list)


class _Payload(msgspec.Struct, frozen=True):
    object: str = ""
    entry: list[_Entry] = msgspec.field(default_factory=list)


class BadPayload(ValueError):
    """The body is not a webhook event khidma can read (a 400)."""


class Inbound(msgspec.Struct, frozen=True):
    """One customer message."""

    number: str
    """E.164."""
    message_id: str
    text: str
    name: str = ""


class Received(msgspec.Struct):
    """What one webhook delivery did (the ticket ids)."""

    opened: list[int] = msgspec.field(default_factory=list)
    continued: list[int] = msgspec.field(default_factory=list)
    ignored: int = 0


# --- authenticity ---------------------------------------------------------------------------------


def signed(app_secret: Secret | None, body: bytes, header: str | None) -> bool:
    """Whether ``header`` (``sha256=<hex>``) is the HMAC-SHA256 of ``body`` under ``app_secret``."""
    if app_secret is None or not app_secret.reveal() or not header:
        return False
    scheme, _, given = header.strip().partition("=")
    if scheme.lower() != "sha256" or not given:
        return False
    expected = hmac.new(app_secret.reveal().encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), given.strip().lower().encode())


def handshake(settings: Settings, mode: str | None, token: str | None, challenge: str | None) -> str | None:
    """The challenge to echo when the verify token matches; ``None`` (refuse) otherwise."""
    expected = settings.whatsapp_verify_token
    if expected is None or not expected.reveal() or mode != "subscribe" or token is None or not challenge:
        return None
    if not hmac.compare_digest(expected.reveal().encode(), token.encode()):
        return None
    return challenge


def parse(body: bytes) -> list[Inbound]:
    """The customer messages of a webhook body (status updates and unreadable numbers left out)."""
    try:
        payload = msgspec.json.decode(body, type=_Payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadPayload(str(exc)) from None
    found: list[Inbound] = []
    for entry in payload.entry:
        for change in entry.changes:
            if change.field != "messages":
                continue
            names = {c.wa_id: c.profile.name for c in change.value.contacts if c.profile is not None}
            for message in change.value.messages:
                number = to_e164("+" + message.sender.lstrip("+"))
                if number is None:
                    log.warning("a WhatsApp message %s comes from no telephone number; ignored", message.id)
                    continue
                text = message.text.body if message.text is not None else f"[{message.type}]"
                found.append(
                    Inbound(
                        number=number,
                        message_id=message.id,
                        text=text[:MAX_TEXT],
                        name=names.get(message.sender, ""),
                    )
                )
    return found


# --- chats ----------------------------------------------------------------------------------------


async def _intake_actor(runtime: Runtime) -> Actor:
    found = await runtime.published_service(SERVICE)
    if found is None:
        raise LookupError(f"the {SERVICE} service is not published")
    service = found[1].service
    return Actor(
        id=None, name="WhatsApp", roles=frozenset(service.eligible_roles), department=service.department
    )


async def open_chat(runtime: Runtime, number: str) -> Ticket | None:
    """The open chat of ``number`` (the latest, if ever more than one)."""
    rows = await runtime.store.list_tasks(
        TaskFilter(scope=ReadScope(services=frozenset({SERVICE})), service=SERVICE, text=normalize(number)),
        TaskOrder(key="updated", descending=True),
        offset=0,
        limit=20,
    )
    for row in rows:
        if row.category != "closed" and row.data.get("mobile") == number:
            return await runtime.store.get_ticket(row.id)
    return None


async def _continue(runtime: Runtime, ticket: Ticket, inbound: Inbound, actor: Actor) -> bool:
    """Add the customer's message to the chat (False: this message id is already there)."""
    events = await runtime.store.list_events(ticket.id)
    if any(e.data.get("message_id") == inbound.message_id for e in events) or (
        ticket.idempotency_key == f"whatsapp:{inbound.message_id}"
    ):
        return False
    now = runtime.tickets.clock()
    event = NewEvent(
        at=now,
        actor_id=None,
        actor_name=inbound.name or inbound.number,
        actor_department=None,
        action=CUSTOMER_MESSAGE,
        from_state=ticket.state,
        to_state=ticket.state,
        data={"message": inbound.text, "message_id": inbound.message_id},
        visibility="public",
        kind="action",
    )
    change = TicketChange(
        state=ticket.state,
        category=ticket.category,
        department=ticket.department,
        assignee_role=ticket.assignee_role,
        assignee_user=ticket.assignee_user,
        vars=ticket.vars,
        closed=False,
    )
    await runtime.store.apply_change(
        ticket.id, ticket.version, change, [event], [], [], cancel_pending_timers=False, now=now
    )
    return True


async def receive(runtime: Runtime, body: bytes) -> Received:
    """Open or continue a chat for each customer message of a (signed) webhook body; then send the
    queued replies at once."""
    received = Received()
    inbound = parse(body)
    if not inbound:
        return received
    actor = await _intake_actor(runtime)
    for message in inbound:
        chat = await open_chat(runtime, message.number)
        if chat is not None:
            if await _continue(runtime, chat, message, actor):
                received.continued.append(chat.id)
            else:
                received.ignored += 1
            continue
        data = {"mobile": message.number, "first_message": message.text or "-"}
        created = await runtime.tickets.submit(
            SERVICE, data, channel=CHANNEL, actor=actor, idempotency_key=f"whatsapp:{message.message_id}"
        )
        if isinstance(created, Refusal):
            log.warning("a WhatsApp message %s was refused: %s", message.message_id, created.reason)
            received.ignored += 1
        elif isinstance(created, Created) and created.created:
            received.opened.append(created.ticket.id)
            log.info("WhatsApp chat %s opened", created.ticket.number)
        else:
            received.ignored += 1
    await send_now(runtime)
    return received


async def send_now(runtime: Runtime) -> None:
    """Deliver the due WhatsApp messages now (the welcome must not wait for the worker's round); a
    gateway that is down leaves them queued for the worker. Never raises."""
    try:
        dispatcher = Dispatcher.from_settings(runtime.store, runtime.settings)
        if CHANNEL in dispatcher.gateways:
            dispatcher.gateways = {CHANNEL: dispatcher.gateways[CHANNEL]}
            await dispatcher.run_once()
    except Exception:
        log.exception("sending the WhatsApp replies at once failed; the worker will")


class NotConfigured(Exception):
    """No app secret is configured: no webhook can be trusted (503)."""


class BadSignature(Exception):
    """``X-Hub-Signature-256`` is missing or does not match the body (401; nothing is created)."""


async def receive_signed(runtime: Runtime, body: bytes, signature: str | None) -> Received:
    """A webhook POST: the signature checked against the app secret, then :func:`receive`.
    Raises :class:`NotConfigured`, :class:`BadSignature` or :class:`BadPayload`."""
    secret = runtime.settings.whatsapp_app_secret
    if secret is None:
        raise NotConfigured()
    if not signed(secret, body, signature):
        raise BadSignature()
    return await receive(runtime, body)
