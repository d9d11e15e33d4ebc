"""The staff task lists as pages: ``GET /staff/tasks`` and ``/staff/tasks/next`` (``GET /api/tasks``, the
same lists as a Struct, is ``task_api``'s).

The controllers (``server/web/staff_tasks.py``) parse the request into a :class:`ListAsk` and call one
function here: :func:`tasks_page` (the typed page, or the part an HTMX request swaps in) or
:func:`next_ticket_address` (where "next ticket" goes).

What the user may read is ``server.access.read_scope`` — the one read rule — and every list, count and
"next ticket" goes through ``server.tickets.tasks`` with it. The rows are labelled by
``server.tickets.task_rows`` (due badges from the one due rule).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import msgspec

from server.access import read_scope
from server.definitions.catalogue import CompiledService
from server.definitions.model import CATEGORIES
from server.i18n import t
from server.runtime import Runtime
from server.store.records import SORTS, ReadScope, User
from server.tickets.task_pages import cursor_of, next_in_list
from server.tickets.task_rows import TaskItem, items_of
from server.tickets.tasks import (
    DEFAULT_SORT,
    TaskList,
    TaskParams,
    View,
    list_filter,
    parse_params,
    task_list,
    views_for,
)

PATH = "/staff/tasks"
REFRESH_SECONDS = 30
"""How often an open list re-reads itself."""
FILTER_NAMES = ("service", "state", "channel", "created_from", "created_to")
"""The filters in the collapsible panel (the search box and the category tabs stay in view)."""


# --- typed page context ----------------------------------------------------------------------------


class Option(msgspec.Struct, frozen=True):
    value: str
    label: str
    selected: bool = False


class Link(msgspec.Struct, frozen=True):
    label: str
    href: str
    current: bool = False
    count: int | None = None
    """None: not counted (a list counted only up to the bound)."""
    more: str = ""
    """Shown instead of ``count`` when the tab's list holds more than the bound ("more than 1000")."""


class TaskListPart(msgspec.Struct, frozen=True):
    """What ``staff/_task_list.html`` shows: the category tabs, the rows, the paging."""

    items: list[TaskItem]
    tabs: list[Link]
    total: int
    count_text: str
    page: int
    pages: int | None
    """None: not known (the list was counted only up to the bound); "next" is shown while a page follows."""
    page_text: str
    previous: str
    """The previous page's address ("" on the first page)."""
    next: str
    category: str
    errors: list[tuple[str, str, str]]
    """(field id, label, message) for the error summary."""
    refresh: str = ""
    """The address the list re-reads itself from every ``refresh_seconds`` (with ``seen``: the count shown)."""
    refresh_seconds: int = REFRESH_SECONDS
    notice: str = ""
    htmx: bool = False
    """Rendered alone for HTMX: carries out-of-band updates of the filter form."""
    announce: str | None = None
    """The text for the polite live region (out of band), None to leave it as it is."""
    oob_states: list[Option] | None = None
    """New options of the state filter (after the service changed), out of band."""


class TasksPage(msgspec.Struct, frozen=True):
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
    filters_active: int = 0
    """How many filters of the collapsible panel are set."""
    filters_open: bool = False
    """Whether the panel starts open: a filter in it is set (or the sort is not the default)."""
    address: str = PATH
    """The clean address of this list (the browser's address bar follows it after an HTMX swap)."""
    push_url: bool = False
    """Whether an HTMX answer moves the address bar (not for the list's own refresh)."""


class ListAsk(msgspec.Struct, frozen=True, kw_only=True):
    """A request for the list, as the controller parsed it."""

    query: dict[str, str]
    htmx: bool = False
    """An HTMX request (not a history restore): only the list part is rendered."""
    refresh: bool = False
    """The list's own periodic refresh (the address bar stays, the count is announced only if it changed)."""
    seen: int | None = None
    """On a refresh: the count the page showed."""
    current_service: str | None = None
    """On an HTMX request: the service filter of the page it came from (``HX-Current-URL``)."""


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
        if values["cursor"]:
            pairs.append(("cursor", values["cursor"]))
    return "?" + urlencode(pairs)


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


def _views(user: User, current: View) -> list[View]:
    offered = list(views_for(user))
    return offered if current in offered else [*offered, current]


def _announce(ask: ListAsk, total: int, count_text: str, lang: str) -> str | None:
    if not ask.htmx:
        return None
    if not ask.refresh:
        return count_text
    return None if ask.seen == total else t("tasks_list_updated", lang).format(count=count_text)


# --- the page ---------------------------------------------------------------------------------------


async def listed(runtime: Runtime, user: User, params: TaskParams) -> tuple[list[CompiledService], TaskList]:
    published = [c for _v, c in await runtime.published()]
    scope = scope_of(runtime, user, published)
    result = await task_list(runtime.store, user, runtime.org, scope, params, runtime.tickets.calendar.tz)
    return published, result


async def tasks_page(runtime: Runtime, user: User, ask: ListAsk, lang: str) -> TasksPage:
    """The task list page of ``user`` (or, for HTMX, what its list part needs)."""
    params, invalid = parse_params(ask.query)
    published, result = await listed(runtime, user, params)
    date_errors: dict[str, str] = {
        name: t("tasks_invalid_date", lang) for name in ("created_from", "created_to") if name in invalid
    }
    errors = [(f"filter-{name}", t(f"tasks_{name}", lang), message) for name, message in date_errors.items()]
    service_changed = ask.htmx and not ask.refresh and ask.current_service != params.service
    part = await _part(
        runtime,
        result,
        ask,
        lang,
        errors=errors,
        notice=t("tasks_filter_ignored", lang) if any(n not in date_errors for n in invalid) else "",
        oob_states=state_options(published, params.service, params.state, lang) if service_changed else None,
    )
    view = result.view
    org = runtime.org
    active = sum(1 for n in FILTER_NAMES if getattr(params, n)) + len(date_errors)
    return TasksPage(
        view=view,
        views=[Link(t(f"tasks_view_{v}", lang), f"{PATH}?view={v}", v == view) for v in _views(user, view)],
        view_help=t(f"tasks_view_{view}_help", lang),
        services=[
            Option(c.service.id, c.service.name.get(lang), c.service.id == params.service) for c in published
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
        filters_active=active,
        filters_open=bool(active) or params.sort != DEFAULT_SORT,
        address=PATH + query_string(result.params, view, page=result.page),
        push_url=ask.htmx and not ask.refresh,
    )


async def _part(
    runtime: Runtime,
    result: TaskList,
    ask: ListAsk,
    lang: str,
    *,
    errors: list[tuple[str, str, str]],
    notice: str,
    oob_states: list[Option] | None,
) -> TaskListPart:
    params, view = result.params, result.view

    def href(**changes: Any) -> str:
        return PATH + query_string(params, view, **changes)

    more = t("tasks_tab_more", lang).format(n=result.total) if result.more else ""
    whole = all(c in result.counts for c in CATEGORIES)  # else counted up to the bound only
    tabs = [
        Link(
            t(f"category_{c}", lang) if c else t("tasks_all_categories", lang),
            href(category=c, page=1),
            params.category == c,
            result.counts.get(c) if c else sum(result.counts.values()) if whole else None,
            more if params.category == c else "",
        )
        for c in (None, *CATEGORIES)
    ]
    count_text = t("tasks_count_more" if result.more else "tasks_count", lang).format(n=result.total)
    here = href(page=result.page)
    return TaskListPart(
        items=await items_of(runtime, result.rows, lang),
        tabs=tabs,
        total=result.total,
        count_text=count_text,
        page=result.page,
        pages=result.pages,
        page_text=(
            t("tasks_page", lang).format(page=result.page)
            if result.pages is None
            else t("tasks_page_of", lang).format(page=result.page, pages=result.pages)
        ),
        previous=_previous(result, href),
        next=href(page=result.page + 1, cursor=cursor_of(result.rows[-1], params.order))
        if result.has_next
        else "",
        category=params.category or "",
        errors=errors,
        refresh=f"{here}&seen={result.total}",  # the address always has a view
        notice=notice,
        htmx=ask.htmx,
        announce=_announce(ask, result.total, count_text, lang),
        oob_states=oob_states,
    )


def _previous(result: TaskList, href: Callable[..., str]) -> str:
    """The previous page's address: read back from this page's first row (the first page by itself)."""
    if result.page <= 2 or not result.rows:
        return href(page=result.page - 1, cursor="") if result.page > 1 else ""
    return href(page=result.page - 1, cursor=cursor_of(result.rows[0], result.params.order, backwards=True))


# --- "next ticket" ----------------------------------------------------------------------------------


async def next_ticket_address(runtime: Runtime, user: User, query: Mapping[str, str], after: int) -> str:
    """Where "next ticket" goes from ticket ``after``: the page of the ticket after it in the list
    ``query`` describes (the user's default view when it names none; invalid filters are left out),
    or back to that list at its end."""
    params, _invalid = parse_params(query)
    params = msgspec.structs.replace(params, page=1)
    published = [c for _v, c in await runtime.published()]
    view, task_filter = list_filter(
        user, runtime.org, scope_of(runtime, user, published), params, runtime.tickets.calendar.tz
    )
    following = await next_in_list(runtime.store, task_filter, params.order, after)
    return f"/staff/tickets/{following}" if following is not None else PATH + query_string(params, view)
