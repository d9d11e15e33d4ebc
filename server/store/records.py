"""What the store returns and what it takes: frozen msgspec Structs, independent of the backend.

Every ``datetime`` here is timezone-aware; the store refuses naive ones. JSON documents
(``data``, ``vars``, ``bundle``) are plain dicts, stored as JSON text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal, TypeAlias

from server.accounts.records import (
    IntegrationKey as IntegrationKey,  # the accounts' records, kept importable here
)
from server.accounts.records import User as User

Visibility = Literal["public", "internal"]
EventKind = Literal["created", "action", "timer", "migration"]
OutboxStatus = Literal["pending", "sending", "sent", "failed", "dead"]
TimerStatus = Literal["pending", "fired", "cancelled"]


from server.store.records_base import Record as Record  # noqa: E402  (the base of every store Struct)

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
    definition_version_id: int | None = None
    """The definition version the ticket ran on when the event was written (None: unknown, an event
    from before migration 0010 that the ticket's history could not place)."""


class Assignment(Record, frozen=True, kw_only=True):
    """One change of who holds a ticket (history of department / role / user)."""

    id: int
    ticket_id: int
    event_id: int
    at: datetime
    department: str | None
    role: str | None
    user_id: str | None


class MailAttachment(Record, frozen=True, kw_only=True):
    """A file sent with an outbox message (a report's CSV, XLSX, chart)."""

    filename: str
    content_type: str
    """``maintype/subtype``, e.g. ``text/csv``."""
    content: bytes


class OutboxMessage(Record, frozen=True, kw_only=True):
    id: int
    ticket_id: int | None
    """None: a message that belongs to no ticket (a scheduled report)."""
    event_id: int | None
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
    html: str | None = None
    """An HTML alternative of ``body`` (e-mail only)."""
    attachments: tuple[MailAttachment, ...] = ()
    """The files sent with it: loaded by ``claim_outbox`` (what the gateway sends), not by ``list_outbox``."""
    thread: tuple[str, ...] = ()
    """Not stored: the Message-IDs an e-mail answers, oldest first (``References``; the last is
    ``In-Reply-To``), filled by the dispatcher from the ticket's inbound mail just before sending."""


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
    """What the task lists' free text matches besides the number (``server.tickets.tasks.search_text``);
    None leaves it to be computed when the server next starts."""
    tracking_code: str | None = None
    """Drawn by the caller (``request_ids.tracking_code``) when it renders texts that quote it before
    the transaction; None: the store draws one."""

    def written(
        self,
        *,
        id: int,
        number: str,
        tracking_code: str,
        created_at: datetime,
        data: dict[str, Any] | None = None,
        vars: dict[str, Any] | None = None,
    ) -> Ticket:
        """The ticket this creation writes, given what its transaction assigns (id, number, tracking
        code, time) and, when the store reads them back, its data and vars as they are stored."""
        return Ticket(
            id=id,
            number=number,
            tracking_code=tracking_code,
            service_id=self.service_id,
            definition_version_id=self.definition_version_id,
            state=self.state,
            category=self.category,
            department=self.department,
            assignee_role=self.assignee_role,
            assignee_user=self.assignee_user,
            channel=self.channel,
            requester_id=self.requester_id,
            data=self.data if data is None else data,
            vars=self.vars if vars is None else vars,
            version=1,
            created_at=created_at,
            updated_at=created_at,
            closed_at=None,
            idempotency_key=self.idempotency_key,
            language=self.language,
        )


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
    undeliverable: str | None = None
    """Why this message cannot be sent (no address, an invalid one, nobody to send it to): the row is
    written ``dead`` with this as its error, so the notification is recorded rather than dropped."""


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


# --- what the reports count (server/reports builds the figures from these) ------------------------

InboundOutcome = Literal["created", "threaded", "ignored", "refused"]


# --- scheduled reports by e-mail (issue 11; sqlite_report_mail) ------------------------------------


class NewMail(Record, frozen=True, kw_only=True):
    """An e-mail that belongs to no ticket: a report sent to one recipient."""

    recipient: str
    """The e-mail address."""
    recipient_id: str
    """Who it is for (a user id): the idempotency key is report + period + this."""
    department: str | None
    """The department whose figures it carries (None: every department)."""
    template: str
    language: str
    subject: str
    body: str
    html: str | None = None
    attachments: tuple[MailAttachment, ...] = ()


# The reports' and the task lists' records live in modules of their own (report_records.py,
# task_records.py); named here too, as every store record is.
from server.store.report_records import ReportBasis as ReportBasis  # noqa: E402
from server.store.report_records import ReportCount as ReportCount  # noqa: E402
from server.store.report_records import ReportRating as ReportRating  # noqa: E402
from server.store.report_records import ReportRun as ReportRun  # noqa: E402
from server.store.report_records import ReportTicket as ReportTicket  # noqa: E402
from server.store.task_records import SORT_KEYS as SORT_KEYS  # noqa: E402
from server.store.task_records import SORTS as SORTS  # noqa: E402
from server.store.task_records import ReadScope as ReadScope  # noqa: E402
from server.store.task_records import Seek as Seek  # noqa: E402
from server.store.task_records import SortKey as SortKey  # noqa: E402
from server.store.task_records import TaskCounts as TaskCounts  # noqa: E402
from server.store.task_records import TaskFilter as TaskFilter  # noqa: E402
from server.store.task_records import TaskKey as TaskKey  # noqa: E402
from server.store.task_records import TaskOrder as TaskOrder  # noqa: E402
from server.store.task_records import TaskRow as TaskRow  # noqa: E402
