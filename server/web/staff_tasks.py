"""The staff task lists: ``GET /staff/tasks`` (the page, and its HTMX partial), ``GET /staff/tasks/next``
and ``GET /api/tasks``.

Thin handlers: they read the request (the query string; for HTMX, which element asked and the page it
came from) and call one function of ``server.tickets.task_view``, which owns the rules and builds the page.

A request with ``HX-Request: true`` (and not an HTMX history restore) gets only
``templates/staff/_task_list.html`` — the same partial the full page includes — with an
``HX-Push-Url`` of the clean address, so the browser's address bar and history follow the filters;
the list's own refresh every 30 seconds (``HX-Trigger: task-refresh``) leaves the address bar alone.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.response import Redirect, Template

from server.tickets.task_api import InvalidParams, TaskListOut, tasks_api
from server.tickets.task_view import (
    PATH,
    ListAsk,
    TasksPage,
    next_ticket_address,
    tasks_page,
)
from server.web.api import BEARER, ApiError, errors
from server.web.deps import CurrentUser, Lang, RuntimeDep
from server.web.guards import staff_required
from server.web.limits import SQLITE_MAX
from server.web.params import QueryInt
from server.web.rendering import page_context, render

AnyRequest = Request[Any, Any, State]
REFRESH_TRIGGER = "task-refresh"
"""The id of the element that re-reads the list (``HX-Trigger`` of its requests)."""

page_context("staff/tasks.html", "staff/_task_list.html")(TasksPage)


def ask_of(request: AnyRequest) -> ListAsk:
    """The list request: its query string and what HTMX says about it."""
    headers = request.headers
    htmx = headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"
    refresh = htmx and headers.get("hx-trigger") == REFRESH_TRIGGER
    seen = request.query_params.get("seen", "")
    current = parse_qs(urlsplit(headers.get("hx-current-url", "")).query).get("service") or [""]
    return ListAsk(
        query=dict(request.query_params),
        htmx=htmx,
        refresh=refresh,
        seen=int(seen) if seen.isdigit() else None,
        current_service=current[0] or None,
    )


class StaffTaskPages(Controller):
    path = PATH
    include_in_schema = False
    guards = (staff_required,)

    @get("/")
    async def tasks(
        self, request: AnyRequest, runtime: RuntimeDep, user: CurrentUser, page_lang: Lang
    ) -> Template:
        ask = ask_of(request)
        page = await tasks_page(runtime, user, ask, page_lang)
        headers = {"Vary": "HX-Request, HX-History-Restore-Request, HX-Trigger"}
        if page.push_url:  # the address bar shows the filters, without the empty ones
            headers["HX-Push-Url"] = page.address
        template = "staff/_task_list.html" if ask.htmx else "staff/tasks.html"
        return render(request, template, page, lang=page_lang, headers=headers)

    @get("/next")
    async def next_ticket(
        self, request: AnyRequest, runtime: RuntimeDep, user: CurrentUser, after: QueryInt
    ) -> Redirect:
        """The ticket after ``after`` in the list the other parameters describe (or the list at its end).
        An id outside SQLite's integers names no ticket (as in a path: ``limits``): the list's first."""
        query = {k: v for k, v in request.query_params.items() if k != "after"}
        after = after if 0 < after <= SQLITE_MAX else 0
        return Redirect(await next_ticket_address(runtime, user, query, after), status_code=303)


class TasksAPI(Controller):
    path = "/api/tasks"
    guards = (staff_required,)
    tags = ("staff",)
    security = BEARER

    @get("/", responses=errors(400, 401, 403))
    async def list_tasks(self, request: AnyRequest, runtime: RuntimeDep, user: CurrentUser) -> TaskListOut:
        """The caller's task list. Query: ``view`` (mine, department, incoming, all; default by role),
        ``service``, ``category`` (open, pending, in_progress, closed), ``state``, ``channel``,
        ``created_from`` / ``created_to`` (YYYY-MM-DD, inclusive, in the organisation's time zone),
        ``q`` (number, requester, subject), ``sort`` (updated, created, due; ``-`` for descending;
        default ``-updated``), ``page`` (25 a page), ``cursor`` (an answer's ``next_cursor`` or
        ``previous_cursor``, with the page it leads to: the page is then read from that row, however
        deep). 401 without a bearer token, 403 for a caller who is not staff, 400 for an invalid
        parameter."""
        result = await tasks_api(runtime, user, dict(request.query_params))
        if isinstance(result, InvalidParams):
            invalid = ", ".join(result.names)
            raise ApiError(
                400, f"invalid query parameter(s): {invalid} / قيمة غير صالحة", invalid=result.names
            )
        return result
