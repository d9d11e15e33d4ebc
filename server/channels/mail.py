"""Inbound e-mail (service 6): the one service both paths go through — the mail gateway's raw RFC 822
POST (``/api/integrations/mail``) and the IMAP poll (``server/channels/imap.py``).

What becomes of a message, in order:

1. a Message-ID already seen is a duplicate: nothing happens (a message without one is known by the
   hash of its bytes);
2. an automatic message (auto-reply, bounce, list or bulk mail; ``mail_parse.automatic_reason``) is
   recorded as ``ignored`` and never becomes a ticket — answering it would start a mail loop;
3. a reply to a ticket's mail — its ``In-Reply-To``/``References`` name a message recorded for a ticket,
   or a notification the ticket sent (``<gateway_request_id@khidma>``), or its subject carries the
   number of a ticket whose sender is this sender — is added to that ticket through the workflow (the
   first of :data:`FOLLOW_UP_ACTIONS` its state allows);
4. anything else opens a ticket of the service that takes the channel's tickets, sender as requester.

Attachments are kept as the ticket's attachments, in the form's file fields (:data:`ATTACHMENT_FIELDS`),
so the staff ticket page lists them. The ticket is made with the idempotency key
``mail:<Message-ID>``, so two deliveries of one message racing each other still make one ticket.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

from server.channels.host import ChannelHost
from server.channels.intake import integration_actor, service_for_channel
from server.channels.mail_parse import InboundMail, parse_mail
from server.definitions.catalogue import CompiledService
from server.engine.model import Refusal
from server.i18n import t
from server.store.records import Ticket
from server.tickets.service import Conflict, Created
from server.tickets.uploads import link_uploads

log = logging.getLogger("khidma.channels.mail")

FOLLOW_UP_ACTIONS = ("sender_writes", "sender_writes_after_reply")
"""The actions of the e-mail workflow that add a sender's further message to its ticket."""

ATTACHMENT_FIELDS = ("attachment_1", "attachment_2", "attachment_3")
"""The file fields of the e-mail form (and of ``email_followup``) that hold a message's attachments."""

OUTBOUND_SUFFIX = "@khidma"
"""Notification mails carry ``Message-ID: <gateway_request_id@khidma>`` (``server/notify/gateways.py``)."""

_NUMBER = re.compile(r"\b(\d{4}-\d{6})\b")
_LIMITS = {"sender_name": 150, "subject": 300, "message": 20000}

Outcome = Literal["created", "threaded", "ignored", "duplicate", "refused"]


@dataclass(frozen=True)
class MailReceipt:
    outcome: Outcome
    message_id: str
    ticket_number: str | None = None
    reason: str = ""


def _clip(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v[: _LIMITS[k]] if k in _LIMITS and isinstance(v, str) else v) for k, v in data.items() if v}


async def _threaded_ticket(
    runtime: ChannelHost, mail: InboundMail, compiled: CompiledService
) -> Ticket | None:
    outbound = [i.removesuffix(OUTBOUND_SUFFIX) for i in mail.answers if i.endswith(OUTBOUND_SUFFIX)]
    ticket_id = await runtime.store.ticket_of_messages(list(mail.answers), outbound)
    if ticket_id is not None:
        return await runtime.store.get_ticket(ticket_id)
    match = _NUMBER.search(mail.subject)
    if match is None:
        return None
    ticket = await runtime.store.get_ticket_by_number(match.group(1))
    if ticket is None or ticket.service_id != compiled.service.id:
        return None
    # the number alone is not a secret: only the ticket's own sender threads by it
    email_field = compiled.form.schema.get("x-requester", {}).get("email", "email")
    same_sender = str(ticket.data.get(email_field, "")).lower() == mail.sender_email.lower()
    return ticket if same_sender else None


async def _follow_up(
    runtime: ChannelHost, ticket: Ticket, mail: InboundMail, source: str, now: dt.datetime
) -> Ticket | None:
    compiled = await runtime.tickets.compiled_version(ticket.definition_version_id)
    actions = compiled.workflow.actions
    action = next((a for a in FOLLOW_UP_ACTIONS if a in actions and ticket.state in actions[a].from_), None)
    if action is None:
        return None
    text = mail.text or t("ch_mail_no_text", ticket.language)
    data = _clip({"subject": mail.subject, "message": text, "received_at": mail.received_at})
    data.update(await _store_attachments(runtime, mail, ticket.id, now))
    for _ in range(3):  # a concurrent change of the ticket: read it again and retry
        done = await runtime.tickets.act(
            ticket.id,
            action,
            data,
            actor=integration_actor(compiled, source),
            expected_version=ticket.version,
            lang="en" if ticket.language == "en" else "ar",
        )
        if isinstance(done, Conflict):
            ticket = done.ticket
            continue
        if isinstance(done, Refusal):
            log.warning("mail %s not added to ticket %s: %s", mail.message_id, ticket.number, done.reason)
            return None
        return done
    return None


async def _store_attachments(
    runtime: ChannelHost, mail: InboundMail, ticket_id: int | None, now: dt.datetime
) -> dict[str, str]:
    """The message's attachments stored (the first of them, one per :data:`ATTACHMENT_FIELDS`, within
    the size limit): field name to attachment id, for the data, where the staff ticket page finds them."""
    fields: dict[str, str] = {}
    for attachment in mail.attachments:
        too_large = len(attachment.content) > runtime.settings.max_upload_bytes
        if too_large or len(fields) == len(ATTACHMENT_FIELDS):
            log.warning("mail %s: attachment %r not kept", mail.message_id, attachment.filename)
            continue
        field = ATTACHMENT_FIELDS[len(fields)]
        stored = await runtime.store.add_attachment(
            ticket_id=ticket_id,
            field=field,
            filename=attachment.filename,
            media_type=attachment.media_type,
            content=attachment.content,
            now=now,
        )
        fields[field] = stored.id
    return fields


async def receive_mail(
    runtime: ChannelHost, raw: bytes, *, source: str, channel: str = "email"
) -> MailReceipt:
    """What becomes of one inbound message (see the module's text); ``source`` names who brought it (the
    mail gateway's key, or the mailbox polled) in the ticket's history."""
    mail = parse_mail(raw)
    now = runtime.tickets.clock()
    if await runtime.store.inbound_message_seen(mail.message_id):
        return MailReceipt("duplicate", mail.message_id)
    if mail.automatic:
        await runtime.store.record_inbound_message(mail.message_id, None, "ignored", now=now)
        log.info("mail %s ignored: %s", mail.message_id, mail.automatic)
        return MailReceipt("ignored", mail.message_id, reason=mail.automatic)
    compiled = await service_for_channel(runtime, channel)
    if compiled is None or not mail.sender_email:
        await runtime.store.record_inbound_message(mail.message_id, None, "refused", now=now)
        reason = "no service" if compiled is None else "no sender"
        return MailReceipt("refused", mail.message_id, reason=reason)
    ticket = await _threaded_ticket(runtime, mail, compiled)
    if ticket is not None:
        followed = await _follow_up(runtime, ticket, mail, source, now)
        if followed is not None:
            await runtime.store.record_inbound_message(mail.message_id, followed.id, "threaded", now=now)
            return MailReceipt("threaded", mail.message_id, followed.number)
    return await _open_ticket(runtime, compiled, mail, source=source, channel=channel, now=now)


async def _open_ticket(
    runtime: ChannelHost,
    compiled: CompiledService,
    mail: InboundMail,
    *,
    source: str,
    channel: str,
    now: dt.datetime,
) -> MailReceipt:
    lang = compiled.organisation.default_language
    data = _clip(
        {
            "sender_name": mail.sender_name,
            "email": mail.sender_email,
            "subject": mail.subject,
            "message": mail.text or t("ch_mail_no_text", lang),
            "received_at": mail.received_at,
        }
    )
    data.update(await _store_attachments(runtime, mail, None, now))
    result = await runtime.tickets.submit(
        compiled.service.id,
        data,
        channel=channel,
        actor=integration_actor(compiled, source),
        idempotency_key=f"mail:{mail.message_id}",
        lang=lang,
    )
    if isinstance(result, Refusal):
        log.warning("mail %s refused by the service: %s", mail.message_id, result.message.en)
        await runtime.store.record_inbound_message(mail.message_id, None, "refused", now=now)
        return MailReceipt("refused", mail.message_id, reason=result.message.en)
    assert isinstance(result, Created)
    if result.created:
        await link_uploads(runtime.store, result.ticket.id, compiled.form, result.ticket.data)
    await runtime.store.record_inbound_message(mail.message_id, result.ticket.id, "created", now=now)
    return MailReceipt("created", mail.message_id, result.ticket.number)
