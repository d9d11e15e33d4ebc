"""What the engine takes and returns: plain frozen Structs, no I/O handles.

``start`` and ``advance`` (``server/engine/advance.py``) return an :class:`Outcome` — the new
state, assignment, variables, and the effects to carry out — or a :class:`Refusal` that says why.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from server.definitions.model import Category, Text
from server.validation import FieldError


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who acts: a user with roles and a department, or a requester known by a tracking code."""

    id: str | None
    name: str = ""
    roles: frozenset[str] = frozenset()
    department: str | None = None
    holds_tracking_code: bool = False
    """An anonymous requester who presented the ticket's tracking code acts as its requester."""


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    """Who holds a ticket: a role's queue in a department, or a named user (in a department)."""

    department: str | None = None
    role: str | None = None
    user: str | None = None


class TicketView(msgspec.Struct, frozen=True, kw_only=True):
    """The engine's view of a ticket (the store's row carries more)."""

    number: str = ""
    service: str
    state: str
    channel: str
    assignment: Assignment
    requester_id: str | None = None
    data: dict[str, Any] = {}
    vars: dict[str, Any] = {}

    @property
    def department(self) -> str | None:
        return self.assignment.department


class Notify(msgspec.Struct, frozen=True, kw_only=True):
    """Queue a notification; the service layer resolves recipients and renders the template."""

    template: str
    to: str
    """``requester``, ``assignee``, ``actor``, ``head:DEPT`` (DEPT resolved to an id) or ``role:ROLE``."""
    cc: tuple[str, ...] = ()
    channel: str
    """``email``, ``sms``, ``whatsapp``, or the ticket's channel kind for ``requester``."""
    survey: bool = False
    assignment: Assignment
    """The assignment at the time of the effect (what ``assignee`` means)."""


class SetTimer(msgspec.Struct, frozen=True, kw_only=True):
    timer: str
    state: str
    after_working_hours: float


class EventRecord(msgspec.Struct, frozen=True, kw_only=True):
    action: str
    from_state: str | None
    to_state: str
    data: dict[str, Any]
    visibility: Literal["public", "internal"]
    kind: Literal["created", "action", "timer", "migration"]


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    state: str
    category: Category
    assignment: Assignment
    vars: dict[str, Any]
    notifications: tuple[Notify, ...] = ()
    timers: tuple[SetTimer, ...] = ()
    cancel_timers: bool = False
    """Whether pending timers of the ticket end (the ticket left their state)."""
    event: EventRecord

    @property
    def closed(self) -> bool:
        return self.category == "closed"


RefusalReason = Literal[
    "unknown_action",
    "not_allowed_actor",
    "not_allowed_state",
    "invalid_data",
    "guard_refused",
    "not_eligible",
]


class Refusal(msgspec.Struct, frozen=True, kw_only=True):
    reason: RefusalReason
    message: Text
    field_errors: tuple[FieldError, ...] = ()
    guard: str | None = None
