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

Attachments are kept as the ticket's attachments, one per file field of the form (``attachment_1`` …
``attachment_10`` in the shipped e-mail forms: the form sets how many, each field's ``x-max-bytes``
how large, never above the server's upload limit), so the staff ticket page lists them; those over
the bounds are noted on the ticket (:data:`NOT_KEPT_FIELD`) with the reason, and logged. The ticket is made with the idempotency key
``mail:<Message-ID>``, so two deliveries of one message racing each other still make one ticket.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from server.channels.host import ChannelHost
from server.channels.intake import integration_actor, service_for_channel
from server.channels.mail_parse import InboundMail, parse_mail
from server.definitions.catalogue import CompiledService
from server.definitions.model import Form
from server.engine.model import Refusal
from server.i18n import t
from server.store.records import Ticket
from server.tickets.service import Conflict, Created
from server.tickets.uploads import link_uploads

log = logging.getLogger("khidma.channels.mail")

FOLLOW_UP_ACTIONS = ("sender_writes", "sender_writes_after_reply")
"""The actions of the e-mail workflow that add a sender's further message to its ticket."""

NOT_KEPT_FIELD = "attachments_not_kept"
"""The field of the e-mail form (and of ``email_followup``) noting the attachments not kept, and why."""

OUTBOUND_SUFFIX = "@khidma"
"""Notification mails carry ``Message-ID: <gateway_request_id@khidma>`` (``server/notify/gateways.py``)."""

_NUMBER = re.compile(r"\b(\d{4}-\d{6})\b")
_LIMITS = {"sender_name": 150, "subject": 300, "message": 20000, NOT_KEPT_FIELD: 4000}

Outcome = Literal["created", "threaded", "ignored", "duplicate", "refused"]


class MailReceipt(msgspec.Struct, frozen=True):
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
    form = compiled.action_forms.get(action)
    if form is not None:
        data.update(await _store_attachments(runtime, mail, form, ticket.id, now, ticket.language))
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


def attachment_fields(form: Form, default_max: int) -> list[tuple[str, int]]:
    """The form's file fields, in order, each with the largest file it keeps (its ``x-max-bytes``,
    never above the server's upload limit): how many attachments a message keeps, and how large."""
    fields = []
    for name, node in (form.schema.get("properties") or {}).items():
        if isinstance(node, Mapping) and node.get("x-widget") == "file":
            limit = node.get("x-max-bytes")
            fields.append((name, min(limit, default_max) if isinstance(limit, int) else default_max))
    return fields


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


async def _store_attachments(
    runtime: ChannelHost, mail: InboundMail, form: Form, ticket_id: int | None, now: dt.datetime, lang: str
) -> dict[str, str]:
    """The message's attachments stored, one per file field of ``form`` (within each field's size
    limit): field name to attachment id, for the data, where the staff ticket page finds them. Those
    over the size or the number of fields are not kept; the note :data:`NOT_KEPT_FIELD` says which and
    why, so the representative can ask the sender for them — nothing is dropped silently."""
    data: dict[str, str] = {}
    free = attachment_fields(form, runtime.settings.max_upload_bytes)
    most = len(free)
    refused: list[str] = []
    for index, attachment in enumerate(mail.attachments):
        size = len(attachment.content)
        fitting = next((i for i, (_name, limit) in enumerate(free) if size <= limit), None)
        if fitting is None:
            reason = (
                t("ch_mail_attachment_too_many", lang).format(count=most)
                if not free
                else t("ch_mail_attachment_too_large", lang).format(
                    size=_megabytes(size), limit=_megabytes(max(limit for _n, limit in free))
                )
            )
            refused.append(f"{attachment.filename}: {reason}")
            log.warning("mail %s: attachment %d not kept: %s", mail.message_id, index + 1, reason)
            continue
        field, _limit = free.pop(fitting)
        stored = await runtime.store.add_attachment(
            ticket_id=ticket_id,
            field=field,
            filename=attachment.filename,
            media_type=attachment.media_type,
            content=attachment.content,
            now=now,
        )
        data[field] = stored.id
    if refused:
        data[NOT_KEPT_FIELD] = "\n".join(refused)[: _LIMITS[NOT_KEPT_FIELD]]
    return data


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
    data.update(await _store_attachments(runtime, mail, compiled.form, None, now, lang))
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
