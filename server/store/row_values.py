"""The values of a new ticket's row and of a new outbox row, in the column order both backends' inserts
name them: one place for the twenty fields each, whichever store writes them."""

from __future__ import annotations

from server.store.records import NewMessage, NewTicket
from server.store.request_ids import request_id
from server.store.sqlite_codec import json_text


def message_row(ticket_id: int | None, event_id: int | None, at: object, m: NewMessage) -> tuple[object, ...]:
    """An outbox row's values in the order both backends' inserts name them (``sqlite_ticket_rows.OUTBOX_INSERT``,
    ``postgres_outbox.insert_messages``) — ``at``: created, first attempt, updated — with a new
    ``gateway_request_id``; a message that cannot be delivered is written ``dead``."""
    status = "pending" if m.undeliverable is None else "dead"
    return (
        ticket_id,
        event_id,
        at,
        m.channel,
        m.recipient,
        m.template,
        m.language,
        m.subject,
        m.body,
        status,
        at,
        request_id(),
        at,
        m.undeliverable,
    )


def ticket_params(new: NewTicket, code: str, at: object) -> tuple[object, ...]:
    """A new ticket's columns after its number, in the order both backends' ``INSERT INTO tickets`` name
    them (``sqlite_tickets.create_ticket``, ``sqlite_creations``, ``postgres_ticket_rows.CREATE``):
    tracking code … search text, ``at`` (a backend's own time value) as both its creation and update
    time."""
    return (
        code,
        new.service_id,
        new.definition_version_id,
        new.state,
        new.category,
        new.department,
        new.assignee_role,
        new.assignee_user,
        new.channel,
        new.requester_id,
        json_text(new.data),
        json_text(new.vars),
        at,
        at,
        new.idempotency_key,
        new.language,
        new.search_text,
    )
