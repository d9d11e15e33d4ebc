"""What the task lists ask the store for and what it answers (``server/tickets/tasks.py`` builds the
filters; a backend turns them into a query). Re-exported by ``records``."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, get_args

import msgspec


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

    @property
    def column(self) -> Literal["created_at", "updated_at"]:
        """The time the order sorts by: the creation time, else the update time (by due time, within
        each part, after the due time)."""
        return "created_at" if self.key == "created" else "updated_at"


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


class TaskKey(msgspec.Struct, frozen=True, kw_only=True):
    """Where a row stands in a list's order: its id and the times the order sorts by — ``at`` is its
    update time (by update or due time) or its creation time (by creation time); ``due_at`` its due
    time (by due time; None: among the tickets without one). A page read from a key (:class:`Seek`)
    starts next to it without counting the rows before it, so every page of a list costs what the first
    does — where an ``OFFSET`` walks past every row before the page."""

    id: int
    at: dt.datetime
    due_at: dt.datetime | None = None

    @classmethod
    def of(cls, row: TaskRow, order: TaskOrder) -> TaskKey:
        return cls(
            id=row.id,
            at=getattr(row, order.column),
            due_at=row.due_at if order.key == "due" else None,
        )


class Seek(msgspec.Struct, frozen=True, kw_only=True):
    """A page read from a row's key instead of an offset: the rows just after ``key`` in the list's
    order, or (``backwards``) the rows just before it — given in the list's order either way. The key
    need not be a row the list still holds (the ticket may have moved on): the rows are those that sort
    after (before) where it stood."""

    key: TaskKey
    backwards: bool = False


class TaskCounts(msgspec.Struct, frozen=True, kw_only=True):
    """How many tickets a list holds per category, as ``count_tasks_bounded`` gives them: exact, or —
    when no aggregate answers and the list holds more than the bound — only "more than ``bound``"
    (the counting stopped there, the way a search engine says "10,000+")."""

    counts: dict[str, int] = msgspec.field(default_factory=dict)
    """category → tickets (categories without one left out); empty when ``more_than`` is set."""
    more_than: int | None = None
    """None: ``counts`` are exact. Else the list holds more than this many tickets, per category unknown."""
