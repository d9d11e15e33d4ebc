"""The staff task list as the API gives it: ``GET /api/tasks`` (the controller ``TasksAPI`` in
``server/web/staff_tasks.py``) — the same lists, filters and read scope as the page
(``server.tickets.task_view``), as a Struct."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import msgspec

from server.runtime import Runtime
from server.store.records import User
from server.tickets.task_pages import cursor_of
from server.tickets.task_view import listed
from server.tickets.tasks import parse_params


class TaskItemOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    number: str
    service: str
    state: str
    category: str
    department: str | None
    assignee_role: str | None
    assignee_user: str | None
    channel: str
    created_at: dt.datetime
    updated_at: dt.datetime
    due_at: dt.datetime | None
    """The earliest pending timer (null when none)."""


class TaskListOut(msgspec.Struct, frozen=True, kw_only=True):
    view: str
    items: list[TaskItemOut]
    total: int
    more: bool = False
    """True: more than ``total`` tickets match — the list was counted up to there (free text that many
    tickets hold); ``pages`` is then null and ``counts`` holds only what was counted exactly."""
    page: int
    pages: int | None
    """null when the total is not known (``more``)."""
    has_next: bool
    """Whether a page follows this one."""
    next_cursor: str | None = None
    """Pass as ``cursor`` (with ``page`` one more) for the next page: read from this page's last row,
    not counted down to — every page costs what the first does. null when no page follows."""
    previous_cursor: str | None = None
    """Pass as ``cursor`` (with ``page`` one less) for the previous page; null on the first."""
    counts: dict[str, int]
    """Per report category, for the view and every filter but ``category`` — every category, or (when
    the list holds more tickets than it was counted to) at most the chosen category's."""


class InvalidParams(msgspec.Struct, frozen=True, kw_only=True):
    """Query parameters whose value was refused (the API answers 400 naming them)."""

    names: list[str]


async def tasks_api(runtime: Runtime, user: User, query: Mapping[str, str]) -> TaskListOut | InvalidParams:
    """``GET /api/tasks``: one page of the caller's list, or the invalid parameters."""
    params, invalid = parse_params(query)
    if invalid:
        return InvalidParams(names=invalid)
    _published, result = await listed(runtime, user, params)
    return TaskListOut(
        view=result.view,
        items=[
            TaskItemOut(
                id=r.id,
                number=r.number,
                service=r.service_id,
                state=r.state,
                category=r.category,
                department=r.department,
                assignee_role=r.assignee_role,
                assignee_user=r.assignee_user,
                channel=r.channel,
                created_at=r.created_at,
                updated_at=r.updated_at,
                due_at=r.due_at,
            )
            for r in result.rows
        ],
        total=result.total,
        more=result.more,
        page=result.page,
        pages=result.pages,
        has_next=result.has_next,
        next_cursor=cursor_of(result.rows[-1], params.order) if result.has_next and result.rows else None,
        previous_cursor=(
            cursor_of(result.rows[0], params.order, backwards=True)
            if result.page > 1 and result.rows
            else None
        ),
        counts=result.counts,
    )
