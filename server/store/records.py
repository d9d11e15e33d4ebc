"""What the store returns and what it takes: frozen msgspec Structs, independent of the backend.

Every ``datetime`` here is timezone-aware; the store refuses naive ones. JSON documents
(``data``, ``vars``, ``bundle``) are plain dicts, stored as JSON text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal, TypeAlias

import msgspec

Visibility = Literal["public", "internal"]
EventKind = Literal["created", "action", "timer", "migration"]
OutboxStatus = Literal["pending", "sending", "sent", "failed", "dead"]
TimerStatus = Literal["pending", "fired", "cancelled"]


class Record(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every store Struct."""


# --- what the store returns ---------------------------------------------------------------


class DefinitionVersion(Record, frozen=True, kw_only=True):
    """One immutable published version of a service definition (service, form, workflow…)."""

    id: int
    service_id: str
    version: int
    content_hash: str
    bundle: dict[str, Any]
    created_at: datetime
    created_by: str | None
    note: str


class Ticket(Record, frozen=True, kw_only=True):
    id: int
    number: str
    """Human-readable ``YYYY-NNNNNN``: the year of creation and a per-year counter."""
    tracking_code: str
    """Unguessable; with ``number`` it lets a requester follow the ticket without logging in."""
    service_id: str
    definition_version_id: int
    state: str
    category: str
    department: str | None
    assignee_role: str | None
    assignee_user: str | None
    channel: str
    requester_id: str | None
    data: dict[str, Any]
    vars: dict[str, Any]
    version: int
    """Starts at 1, incremented by every change (optimistic concurrency)."""
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    idempotency_key: str | None
    language: str = "ar"
    """The language the requester used: notices to them are written in it."""


class Event(Record, frozen=True, kw_only=True):
    """One entry of a ticket's history; append-only."""

    id: int
    ticket_id: int
    seq: int
    """1, 2, 3… per ticket."""
    at: datetime
    actor_id: str | None
    actor_name: str
    actor_department: str | None = None
    action: str
    from_state: str | None
    to_state: str
    data: dict[str, Any]
    visibility: Visibility
    kind: EventKind


class Assignment(Record, frozen=True, kw_only=True):
    """One change of who holds a ticket (history of department / role / user)."""

    id: int
    ticket_id: int
    event_id: int
    at: datetime
    department: str | None
    role: str | None
    user_id: str | None


class OutboxMessage(Record, frozen=True, kw_only=True):
    id: int
    ticket_id: int
    event_id: int
    created_at: datetime
    channel: str
    recipient: str
    template: str
    language: str
    subject: str
    body: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    gateway_request_id: str
    """Generated once at insert; every retry of this message sends the same id."""
    sent_at: datetime | None
    last_error: str | None
    updated_at: datetime
    """When the status last changed (insert, claim, sent, failed)."""


class Timer(Record, frozen=True, kw_only=True):
    id: int
    ticket_id: int
    timer: str
    state: str
    due_at: datetime
    status: TimerStatus


class Attachment(Record, frozen=True, kw_only=True):
    id: str
    """Unguessable token."""
    ticket_id: int | None
    """``None`` until the file is linked to a ticket (uploads may precede the submission)."""
    field: str
    filename: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime


class User(Record, frozen=True, kw_only=True):
    id: str
    username: str
    name: str
    email: str | None
    phone: str | None
    department: str | None
    roles: tuple[str, ...]
    password_hash: str | None
    active: bool
    created_at: datetime


class SurveyResponse(Record, frozen=True, kw_only=True):
    ticket_id: int
    survey_id: str
    answers: dict[str, int]
    """question id → the rating given."""
    comment: str
    created_at: datetime


class ReadyReply(Record, frozen=True, kw_only=True):
    """A canned reply from the knowledge bank."""

    id: int
    title_ar: str
    title_en: str
    body_ar: str
    body_en: str
    tags: tuple[str, ...]
    active: bool


# --- what the store takes -----------------------------------------------------------------


class NewTicket(Record, frozen=True, kw_only=True):
    service_id: str
    definition_version_id: int
    state: str
    category: str
    department: str | None
    assignee_role: str | None
    assignee_user: str | None
    channel: str
    requester_id: str | None
    data: dict[str, Any]
    vars: dict[str, Any]
    idempotency_key: str | None = None
    language: str = "ar"
    search_text: str | None = None
    """What the task lists' free text matches besides the number (``server.tasks.search_text``);
    None leaves it to be computed when the server next starts."""


class TicketChange(Record, frozen=True, kw_only=True):
    """The ticket's new mutable fields, in full (not a patch)."""

    state: str
    category: str
    department: str | None
    assignee_role: str | None
    assignee_user: str | None
    vars: dict[str, Any]
    closed: bool
    """True sets ``closed_at`` to now (keeps it if already closed); False clears it."""


class NewEvent(Record, frozen=True, kw_only=True):
    at: datetime
    actor_id: str | None
    actor_name: str
    actor_department: str | None = None
    action: str
    from_state: str | None
    to_state: str
    data: dict[str, Any]
    visibility: Visibility
    kind: EventKind


class NewMessage(Record, frozen=True, kw_only=True):
    channel: str
    recipient: str
    template: str
    language: str
    subject: str
    body: str


class NewTimer(Record, frozen=True, kw_only=True):
    timer: str
    state: str
    due_at: datetime


Messages: TypeAlias = Sequence[NewMessage] | Callable[[Ticket], Sequence[NewMessage]]
"""The outbox rows of a write: given, or built from the ticket as written (its number, new version…)
inside the transaction — so a notification can quote the number the same transaction assigns. The
builder runs while the write lock is held: it must be quick and do no I/O; if it raises, nothing is
written."""


class Draft(Record, frozen=True, kw_only=True):
    """The definition files of a service an administrator is editing (issue 6); unvalidated."""

    service_id: str
    files: dict[str, str]
    """Relative path → text: the service definition, its form, workflow and action forms."""
    updated_at: datetime
    updated_by: str | None
