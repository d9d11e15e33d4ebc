"""The staff task lists: ``GET /staff/tasks`` (the page, and its HTMX partial) and ``GET /api/tasks``.

Thin handlers: parse the query string (``server.tickets.tasks.parse_params``), work out what the user may read
(``server.access.read_scope`` — the one read rule), ask ``server.tickets.tasks.task_list`` for the counts and one
page, and label the rows in the viewer's language: the service name and the state label come from the
ticket's own definition version (compiled once per process), due badges from the working calendar.

A request with ``HX-Request: true`` (and not an HTMX history restore) gets only
``templates/staff/_task_list.html`` — the same partial the full page includes — with an
``HX-Push-Url`` of the clean address, so the browser's address bar and history follow the filters.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import msgspec
from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.exceptions import PermissionDeniedException
from litestar.response import Redirect, Template

from server.access import is_staff, read_scope
from server.dates import both
from server.definitions.catalogue import CompiledService
from server.definitions.model import CATEGORIES, Organisation
from server.i18n import t
from server.runtime import Runtime
from server.store.records import SORTS, ReadScope, TaskRow, User
from server.tickets.tasks import (
    DEFAULT_SORT,
    TaskList,
    TaskParams,
    View,
    parse_params,
    task_list,
    views_for,
)
from server.web.api import ApiError
from server.web.auth import api_user_or_401, require_login
from server.web.deps import language, runtime_of
from server.web.rendering import page_context, render

AnyRequest = Request[Any, Any, State]
PATH = "/staff/tasks"


# --- typed page context ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool = False


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    current: bool = False
    count: int | None = None


@dataclass(frozen=True)
class TaskItem:
    id: int
    number: str
    href: str
    service: str
    state: str
    category: str
    category_label: str
    department: str
    assignee: str
    channel: str
    created: str
    updated: str
    due: str
    """The badge text ("" when the ticket has no due time)."""
    due_class: str
    """``overdue``, ``due-soon`` (under a working day) or ``due``."""


@dataclass(frozen=True)
class TaskListPart:
    """What ``staff/_task_list.html`` shows: the category tabs, the rows, the paging."""

    items: list[TaskItem]
    tabs: list[Link]
    total: int
    count_text: str
    page: int
    pages: int
    page_text: str
    previous: str
    """The previous page's address ("" on the first page)."""
    next: str
    category: str
    errors: list[tuple[str, str, str]]
    """(field id, label, message) for the error summary."""
    notice: str = ""
    htmx: bool = False
    """Rendered alone for HTMX: carries out-of-band updates of the filter form."""
    oob_states: list[Option] | None = None
    """New options of the state filter (after the service changed), out of band."""


@page_context("staff/tasks.html", "staff/_task_list.html")
@dataclass(frozen=True)
class TasksPage:
    view: str
    views: list[Link]
    view_help: str
    services: list[Option]
    states: list[Option]
    channels: list[Option]
    sorts: list[Option]
    created_from: str
    created_to: str
    q: str
    clear: str
    """The address of this view without filters."""
    date_errors: dict[str, str]
    results: TaskListPart


# --- helpers ----------------------------------------------------------------------------------------


def scope_of(runtime: Runtime, user: User, published: list[CompiledService]) -> ReadScope:
    """What ``user`` may read (``server.access``), services mapped to the departments that own them."""
    services = {c.service.id: c.service.department for c in published}
    return read_scope(user, runtime.org, services)


def query_string(params: TaskParams, view: str, **changes: Any) -> str:
    """``?view=…&…`` with the non-empty parameters of ``params``, some replaced by ``changes``."""
    values = msgspec.structs.asdict(msgspec.structs.replace(params, **changes))
    values["view"] = view
    pairs = []
    for name in (
        "view",
        "service",
        "category",
        "state",
        "channel",
        "created_from",
        "created_to",
        "q",
        "sort",
    ):
        value = values[name]
        if value is None or value == "" or (name == "sort" and value == DEFAULT_SORT):
            continue
        pairs.append((name, value.isoformat() if isinstance(value, dt.date) else str(value)))
    if values["page"] > 1:
        pairs.append(("page", str(values["page"])))
    return "?" + urlencode(pairs)


def due_badge(row: TaskRow, runtime: Runtime, now: dt.datetime, lang: str) -> tuple[str, str]:
    if row.due_at is None:
        return "", ""
    if row.due_at <= now:
        return t("tasks_overdue", lang), "overdue"
    hours = runtime.tickets.calendar.working_hours_between(now, row.due_at)
    css = "due-soon" if hours < 7 else "due"
    whole = math.floor(hours)
    if whole < 1:
        return t("tasks_due_within_hour", lang), css
    if whole == 1:
        return t("tasks_due_in_one", lang), css
    if whole == 2:
        return t("tasks_due_in_two", lang), css
    key = "tasks_due_in_few" if whole <= 10 else "tasks_due_in"
    return t(key, lang).format(n=whole), css


async def _compiled(runtime: Runtime, cache: dict[int, CompiledService], version_id: int) -> CompiledService:
    if version_id not in cache:
        cache[version_id] = await runtime.tickets.compiled_version(version_id)
    return cache[version_id]


async def items_of(runtime: Runtime, rows: list[TaskRow], lang: str) -> list[TaskItem]:
    org = runtime.org
    tz = runtime.tickets.calendar.tz
    now = runtime.tickets.clock()
    cache: dict[int, CompiledService] = {}
    items = []
    for row in rows:
        compiled = await _compiled(runtime, cache, row.definition_version_id)
        state = compiled.workflow.states.get(row.state)
        department = org.departments.get(row.department or "")
        role = org.roles.get(row.assignee_role or "")
        assignee = row.assignee_name or (role.name.get(lang) if role else "") or t("tasks_unassigned", lang)
        channel = org.channels.get(row.channel)
        due, due_class = due_badge(row, runtime, now, lang)
        items.append(
            TaskItem(
                id=row.id,
                number=row.number,
                href=f"/staff/tickets/{row.id}",
                service=compiled.service.name.get(lang),
                state=state.label.get(lang) if state else row.state,
                category=row.category,
                category_label=t(f"category_{row.category}", lang),
                department=department.name.get(lang) if department else (row.department or "—"),
                assignee=assignee,
                channel=channel.name.get(lang) if channel else row.channel,
                created=both(row.created_at, lang, tz),
                updated=both(row.updated_at, lang, tz),
                due=due,
                due_class=due_class,
            )
        )
    return items


def state_options(
    published: list[CompiledService], service: str | None, chosen: str | None, lang: str
) -> list[Option]:
    """The states of the chosen service; without one, every state id once (labelled as the first
    service in catalogue order names it)."""
    seen: dict[str, str] = {}
    for compiled in published:
        if service and compiled.service.id != service:
            continue
        for state_id, state in compiled.workflow.states.items():
            seen.setdefault(state_id, state.label.get(lang))
    return [Option(s, label, s == chosen) for s, label in seen.items()]


def _is_htmx(request: AnyRequest) -> bool:
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def _service_changed(request: AnyRequest, service: str | None) -> bool:
    """Whether an HTMX request chose another service than the page it came from shows (then the
    state filter's options change too). The page's address is HTMX's ``HX-Current-URL``."""
    current = parse_qs(urlsplit(request.headers.get("hx-current-url", "")).query)
    return (current.get("service") or [""])[0] != (service or "")


# --- the page ---------------------------------------------------------------------------------------


class StaffTaskPages(Controller):
    path = PATH
    include_in_schema = False

    @get("/")
    async def tasks(self, request: AnyRequest) -> Template | Redirect:
        user = require_login(request)
        if isinstance(user, Redirect):
            return user
        runtime = runtime_of(request)
        org = runtime.org
        if not is_staff(user, org):
            raise PermissionDeniedException("staff only")
        lang = language(request)
        params, invalid = parse_params(dict(request.query_params))
        published = [c for _v, c in await runtime.published()]
        scope = scope_of(runtime, user, published)
        result = await task_list(runtime.store, user, org, scope, params, runtime.tickets.calendar.tz)
        view = result.view
        date_errors: dict[str, str] = {
            name: t("tasks_invalid_date", lang) for name in ("created_from", "created_to") if name in invalid
        }
        errors = [
            (f"filter-{name}", t(f"tasks_{name}", lang), message) for name, message in date_errors.items()
        ]
        other_invalid = [n for n in invalid if n not in date_errors]
        htmx = _is_htmx(request)
        part = await self._part(
            runtime,
            result,
            lang,
            errors=errors,
            notice=t("tasks_filter_ignored", lang) if other_invalid else "",
            htmx=htmx,
            oob_states=state_options(published, params.service, params.state, lang)
            if htmx and _service_changed(request, params.service)
            else None,
        )
        page = self._page(org, user, result, part, published, date_errors, lang)
        template = "staff/_task_list.html" if htmx else "staff/tasks.html"
        response = render(request, template, page, lang=lang)
        if htmx:  # the address bar shows the filters, without the empty ones
            response.headers["HX-Push-Url"] = PATH + query_string(result.params, view, page=result.page)
        response.headers["Vary"] = "HX-Request, HX-History-Restore-Request"
        return response

    async def _part(
        self,
        runtime: Runtime,
        result: TaskList,
        lang: str,
        *,
        errors: list[tuple[str, str, str]],
        notice: str,
        htmx: bool,
        oob_states: list[Option] | None,
    ) -> TaskListPart:
        params, view = result.params, result.view

        def href(**changes: Any) -> str:
            return PATH + query_string(params, view, **changes)

        tabs = [
            Link(
                t("tasks_all_categories", lang),
                href(category=None, page=1),
                params.category is None,
                sum(result.counts.values()),
            )
        ]
        tabs += [
            Link(
                t(f"category_{c}", lang),
                href(category=c, page=1),
                params.category == c,
                result.counts.get(c, 0),
            )
            for c in CATEGORIES
        ]
        return TaskListPart(
            items=await items_of(runtime, result.rows, lang),
            tabs=tabs,
            total=result.total,
            count_text=t("tasks_count", lang).format(n=result.total),
            page=result.page,
            pages=result.pages,
            page_text=t("tasks_page_of", lang).format(page=result.page, pages=result.pages),
            previous=href(page=result.page - 1) if result.page > 1 else "",
            next=href(page=result.page + 1) if result.page < result.pages else "",
            category=params.category or "",
            errors=errors,
            notice=notice,
            htmx=htmx,
            oob_states=oob_states,
        )

    def _page(
        self,
        org: Organisation,
        user: User,
        result: TaskList,
        part: TaskListPart,
        published: list[CompiledService],
        date_errors: dict[str, str],
        lang: str,
    ) -> TasksPage:
        params, view = result.params, result.view
        return TasksPage(
            view=view,
            views=[
                Link(t(f"tasks_view_{v}", lang), f"{PATH}?view={v}", v == view) for v in _views(user, view)
            ],
            view_help=t(f"tasks_view_{view}_help", lang),
            services=[
                Option(c.service.id, c.service.name.get(lang), c.service.id == params.service)
                for c in published
            ],
            states=state_options(published, params.service, params.state, lang),
            channels=[Option(c, ch.name.get(lang), c == params.channel) for c, ch in org.channels.items()],
            sorts=[Option(s, t(f"tasks_sort_{s}", lang), s == params.sort) for s in SORTS],
            created_from=params.created_from.isoformat() if params.created_from else "",
            created_to=params.created_to.isoformat() if params.created_to else "",
            q=params.q,
            clear=f"{PATH}?view={view}",
            date_errors=date_errors,
            results=part,
        )


def _views(user: User, current: View) -> list[View]:
    offered = list(views_for(user))
    return offered if current in offered else [*offered, current]


# --- the API ----------------------------------------------------------------------------------------


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
    page: int
    pages: int
    counts: dict[str, int]
    """Per report category, for the view and every filter but ``category``."""


class TasksAPI(Controller):
    path = "/api/tasks"

    @get("/")
    async def list_tasks(self, request: AnyRequest) -> TaskListOut:
        """The caller's task list. Query: ``view`` (mine, department, incoming, all; default by role),
        ``service``, ``category`` (open, pending, in_progress, closed), ``state``, ``channel``,
        ``created_from`` / ``created_to`` (YYYY-MM-DD, inclusive, in the organisation's time zone),
        ``q`` (number, requester, subject), ``sort`` (updated, created, due; ``-`` for descending;
        default ``-updated``), ``page`` (25 a page). 401 without a bearer token, 403 for a caller who
        is not staff, 400 for an invalid parameter."""
        user = api_user_or_401(request)
        runtime = runtime_of(request)
        org = runtime.org
        if not is_staff(user, org):
            raise PermissionDeniedException("staff only / للموظفين فقط")
        params, invalid = parse_params(dict(request.query_params))
        if invalid:
            raise ApiError(
                400,
                f"invalid query parameter(s): {', '.join(invalid)} / قيمة غير صالحة",
                invalid=invalid,
            )
        scope = scope_of(runtime, user, [c for _v, c in await runtime.published()])
        result = await task_list(runtime.store, user, org, scope, params, runtime.tickets.calendar.tz)
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
            page=result.page,
            pages=result.pages,
            counts=result.counts,
        )
