"""When a ticket falls due, and whether it is late: one rule for the task lists, the ticket page and the API.

A ticket's due time is the earliest *pending* timer of the ticket (what the store keeps: each timer's
due time was computed in working hours when the ticket entered its state, by the working calendar of
that moment). Whether it is late is read against the ticket service's clock — never the wall clock —
so the list and the page, and a test with a fixed clock, always agree.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

import msgspec

from server.working_time import WorkingCalendar

DueStatus = Literal["none", "due", "due_soon", "overdue"]

DUE_SOON_WORKING_HOURS = 7
"""Under a working day left: ``due_soon``."""


class Due(msgspec.Struct, frozen=True, kw_only=True):
    at: dt.datetime | None
    status: DueStatus
    working_hours_left: int | None = None
    """Whole working hours until ``at`` (None when there is no due time or it has passed)."""

    @property
    def overdue(self) -> bool:
        return self.status == "overdue"


def due_state(due_at: dt.datetime | None, now: dt.datetime, calendar: WorkingCalendar) -> Due:
    if due_at is None:
        return Due(at=None, status="none")
    if due_at <= now:
        return Due(at=due_at, status="overdue")
    hours = calendar.working_hours_between(now, due_at)
    status: DueStatus = "due_soon" if hours < DUE_SOON_WORKING_HOURS else "due"
    return Due(at=due_at, status=status, working_hours_left=math.floor(hours))
