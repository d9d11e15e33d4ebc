"""The records the reports read from the store: tickets as a report counts them, survey ratings, the
counts grouped in SQL, and a scheduled run (``server/reports``). Re-exported by ``records``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from server.store.records_base import Record

ReportBasis = Literal["status", "current", "created", "closed"]
# ``current``: ``status`` for a period not yet ended (every state is the state now).


class ReportTicket(msgspec.Struct, frozen=True, kw_only=True):
    """One counted ticket, with the values a report groups or filters it by."""

    id: int
    number: str
    service_id: str
    channel: str
    state: str
    """The ticket's state at the end of the period (basis ``status``), else its state now."""
    state_since: datetime
    """When it entered that state."""
    category: str
    """Its category now (the report maps ``state`` to a category itself)."""
    created_at: datetime
    closed_at: datetime | None
    values: dict[str, Any] = {}
    """``var:NAME`` / ``field:NAME`` → the ticket's variable / form field (missing when unset)."""
    due_at: datetime | None = None
    """The earliest pending timer (overdue tickets only)."""


class ReportRating(msgspec.Struct, frozen=True, kw_only=True):
    """One survey response, with the employee who handled the ticket last."""

    ticket_id: int
    number: str
    service_id: str
    answers: dict[str, int]
    created_at: datetime
    employee_id: str | None
    employee_name: str


# --- inbound channels (issue 12) ------------------------------------------------------------


class ReportRun(Record, frozen=True, kw_only=True):
    """A report sent for a period (its idempotency key is ``report`` + ``period``)."""

    report: str
    period: str
    queued_at: datetime
    queued_by: str
    """``schedule`` or ``cli``."""
    messages: int


class ReportCount(Record, frozen=True, kw_only=True):
    """How many tickets a report counts share one service, state, channel, category and values (the
    figures alone, without the tickets: ``report_counts``)."""

    service_id: str
    state: str
    """As in ``ReportTicket``: the state at the end of the period (basis ``status``), else now."""
    channel: str
    category: str
    """Their category now."""
    values: dict[str, Any] = msgspec.field(default_factory=dict)
    early: bool = False
    """Their state began before the period's start (a ticket closed before it is not counted)."""
    count: int
