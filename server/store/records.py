"""What the store returns and what it takes: frozen msgspec Structs, independent of the backend.

Every ``datetime`` here is timezone-aware; the store refuses naive ones. JSON documents
(``data``, ``vars``, ``bundle``) are plain dicts, stored as JSON text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Literal, TypeAlias, get_args

import msgspec

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


# --- what the task lists ask for (server/tickets/tasks.py builds them; a backend turns them into a query)


class ReadScope(msgspec.Struct, frozen=True, kw_only=True):
    """What a user may read, in a form a store can turn into a query."""

    everything: bool = False
    departments: frozenset[str] = frozenset()
    """Tickets currently held by one of these departments."""
    services: frozenset[str] = frozenset()
    """Tickets of these services, wherever they are."""
    user_id: str | None = None
    """Tickets assigned to this user by name."""
    requester_id: str | None = None
    """Tickets this user requested."""

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.departments or self.services or self.user_id or self.requester_id)


SortKey = Literal["updated", "created", "due"]
SORT_KEYS: tuple[SortKey, ...] = get_args(SortKey)
SORTS: tuple[str, ...] = tuple(s for key in SORT_KEYS for s in (f"-{key}", key))
"""The values of ``sort=``: a key, descending with a leading ``-`` (``-updated`` is the default)."""


class TaskFilter(msgspec.Struct, frozen=True, kw_only=True):
    """What one task list shows. ``scope`` always applies; every other field narrows it further."""

    scope: ReadScope
    # --- the view ------------------------------------------------------------------------
    assigned_user: str | None = None
    """``mine``: assigned to this user by name…"""
    queue_roles: frozenset[str] = frozenset()
    """…or unassigned by name and held by one of these roles…"""
    queue_department: str | None = None
    """…in this department (None: in any)."""
    held_by: frozenset[str] | None = None
    """``department``/``incoming``: held by one of these departments (None: no such condition)."""
    unheld: bool = False
    """``incoming``: or held by no department."""
    # --- the filters ---------------------------------------------------------------------
    service: str | None = None
    category: str | None = None
    """Ignored by the counts, which give every category."""
    state: str | None = None
    channel: str | None = None
    created_from: dt.datetime | None = None
    """Inclusive."""
    created_before: dt.datetime | None = None
    """Exclusive."""
    text: str | None = None
    """Already normalised (:func:`normalize`); matched as a substring."""

    @property
    def mine(self) -> bool:
        return self.assigned_user is not None or bool(self.queue_roles)

    @property
    def scope_implied(self) -> bool:
        """True when the view alone keeps the list inside the scope, so a store may leave out the
        scope's condition: the scope reads everything; or the list is of departments the scope reads
        whole; or it is ``mine`` — assigned to the user the scope reads by name, or queued in a
        department the scope reads whole."""
        scope = self.scope
        if scope.everything:
            return True
        if self.mine:  # assigned to me (read as such), or in my department's queue (read whole)
            return (
                self.held_by is None
                and self.assigned_user in (None, scope.user_id)
                and (not self.queue_roles or self.queue_department in scope.departments)
            )
        return self.held_by is not None and not self.unheld and self.held_by <= scope.departments


class TaskOrder(msgspec.Struct, frozen=True, kw_only=True):
    key: SortKey = "updated"
    descending: bool = True

    @classmethod
    def parse(cls, value: str) -> TaskOrder:
        """``-updated`` → updated, newest first; ``due`` → soonest due first. ValueError otherwise."""
        if value not in SORTS:
            raise ValueError(value)
        key = value.removeprefix("-")
        return cls(key=next(k for k in SORT_KEYS if k == key), descending=value.startswith("-"))


class TaskRow(msgspec.Struct, frozen=True, kw_only=True):
    """One row of a task list, as the store returns it."""

    id: int
    number: str
    service_id: str
    definition_version_id: int
    state: str
    category: str
    department: str | None
    assignee_role: str | None
    assignee_user: str | None
    assignee_name: str | None
    """The assigned user's name, when the ticket is assigned to someone by name."""
    channel: str
    created_at: dt.datetime
    updated_at: dt.datetime
    due_at: dt.datetime | None
    """The earliest pending timer of the ticket."""
    requester_name: str | None = None
    """The name on the requester's account (None for an anonymous request)."""
    data: dict[str, Any] = msgspec.field(default_factory=dict)
    """The ticket's form data (read for the page's rows only: the requester's name and the subject
    are picked from it with the form's hints)."""


class TaskCounts(msgspec.Struct, frozen=True, kw_only=True):
    """How many tickets a list holds per category, as ``count_tasks_bounded`` gives them: exact, or —
    when no aggregate answers and the list holds more than the bound — only "more than ``bound``"
    (the counting stopped there, the way a search engine says "10,000+")."""

    counts: dict[str, int] = msgspec.field(default_factory=dict)
    """category → tickets (categories without one left out); empty when ``more_than`` is set."""
    more_than: int | None = None
    """None: ``counts`` are exact. Else the list holds more than this many tickets, per category unknown."""


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


# The reports' records live in their own module; named here too, as every store record is.
from server.store.report_records import ReportBasis as ReportBasis  # noqa: E402
from server.store.report_records import ReportCount as ReportCount  # noqa: E402
from server.store.report_records import ReportRating as ReportRating  # noqa: E402
from server.store.report_records import ReportRun as ReportRun  # noqa: E402
from server.store.report_records import ReportTicket as ReportTicket  # noqa: E402
