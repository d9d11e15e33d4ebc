"""How a demo ticket is written down: who submits it, with what, and the actions that move it on.

Actors are named by their part (see :data:`PARTS`); ``head`` and ``staff`` are the head and a staff
member of the department of the ticket's service. ``STAFF`` in an action's data stands for the id of
that staff member (a delegation names a department member by id).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Literal

import msgspec

Part = Literal["requester", "cs", "coordinator", "director", "head", "staff"]
PARTS: dict[str, str] = {
    "requester": "requester",
    "cs": "customer_service",
    "coordinator": "tawasul_coordinator",
    "director": "director",
    "head": "head.{department}",
    "staff": "staff.{department}",
}
"""Each part's demo username (``{department}``: the department of the ticket's service)."""

STAFF = "$staff"


class Step(msgspec.Struct, frozen=True):
    by: Part
    action: str
    data: Mapping[str, Any]


class DemoTicket(msgspec.Struct, frozen=True):
    service: str
    key: str
    """Unique within the service; the ticket's idempotency key is ``demo:<service>:<key>``."""
    by: Part
    channel: str
    data: Mapping[str, Any]
    steps: tuple[Step, ...] = ()
    rating: int | None = None
    """Once closed, the requester rates every question of the service's survey so (1-5)."""
    comment: str = ""

    @property
    def idempotency_key(self) -> str:
        return f"demo:{self.service}:{self.key}"


def step(by: Part, action: str, **data: Any) -> Step:
    return Step(by, action, data)


def day(today: date, days: int) -> str:
    """The ISO date ``days`` after ``today`` (before it when negative)."""
    return (today + timedelta(days=days)).isoformat()
