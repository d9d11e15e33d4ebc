"""What the channels need of the store beyond the ``Store`` of ``interface.py`` (issue 12): the
conversation an outgoing mail answers, and the customer-service replies log.

The log is not a table of its own: a reply is an outbox row written in the transaction of the
representative's action, with that action's event (``outbox.event_id``). Events are append-only and
outbox rows are never deleted, so the log read from them is exact and cannot disagree with the
ticket's history (see ``server/channels/replies.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

import msgspec


class ReplyQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Which replies to list: the reply notifications of one service, within a period, of one class."""

    service_id: str
    templates: Mapping[str, str]
    """Reply action → the template of its notification to the requester."""
    class_fields: Mapping[str, str]
    """Action that sorts the message → the field of its event data holding the class."""
    start: datetime | None = None
    end: datetime | None = None
    """Half-open: ``start <= sent < end``."""
    klass: str | None = None
    offset: int = 0
    limit: int = 50


class ReplyRow(msgspec.Struct, frozen=True, kw_only=True):
    outbox_id: int
    ticket_id: int
    ticket_number: str
    at: datetime
    """When the representative replied (the event's time)."""
    representative: str
    action: str
    klass: str | None
    """The class the message was sorted into, as it stood when the reply was written."""
    recipient: str
    copies: tuple[str, ...]
    subject: str
    body: str
    reply: str
    """What the representative wrote (the action form's ``reply`` field), without the template around it."""
    status: str
    sent_at: datetime | None


class ChannelsStore(Protocol):
    async def mail_thread(self, ticket_id: int, *, before: datetime) -> list[str]:
        """The Message-IDs of the e-mails recorded for the ticket up to ``before``, oldest first: what a
        mail about the ticket answers (``References``; the last is ``In-Reply-To``)."""
        ...

    async def reply_log(self, query: ReplyQuery) -> tuple[list[ReplyRow], int]:
        """One page of the replies log, newest first, and how many replies match in all."""
        ...
