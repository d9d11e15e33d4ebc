"""Staff task lists: which tickets a list shows, how they are filtered, sorted and paged.

Backend-neutral. A :class:`TaskFilter` says what to list; the store turns it into a query
(``server/store/sqlite_tasks.py``). Every filter carries the viewer's :class:`~server.access.ReadScope`
— the one read rule of ``server/access.py`` — and every store query (the rows AND the counts) applies it:
a view only ever narrows what the viewer may read.

The views (``view=``):

* ``mine`` — tickets assigned to me by name, or waiting, unassigned to anyone by name, in the queue of a
  role I hold in my department (any department when I have none): a head's ``mine`` is what waits for
  the head of their department, a representative's is the customer-service queue;
* ``department`` — my department's queue: tickets my department currently holds;
* ``incoming`` — everything in the intake unit's hands (the departments marked ``intake`` in the
  organisation: the customer-service unit), plus tickets no department holds;
* ``all`` — everything I may read.

Free text (``q``) matches the ticket number, or the ticket's search text: the requester's name, e-mail
and mobile (the fields the form's ``x-requester`` names) and the start of every free-text field of the
form (a top-level string field that is not a choice, a date, a file…: subject, message, inquiry,
college…). Both sides are normalised (:func:`normalize`): case, Arabic letter variants and diacritics,
Arabic-Indic digits do not matter.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Literal, get_args

import msgspec

from server.access import has_capability, intake_departments
from server.definitions.model import CATEGORIES, Organisation
from server.store.interface import Store
from server.store.interface_tasks import COUNT_BOUND
from server.store.records import SORTS, ReadScope, Seek, TaskFilter, TaskOrder, TaskRow, User
from server.tickets.task_pages import page_rows, parse_cursor

View = Literal["mine", "department", "incoming", "all"]
VIEWS: tuple[View, ...] = get_args(View)
DEFAULT_SORT = "-updated"
PAGE_SIZE = 25

SEARCH_FIELD_CHARS = 200
"""How much of each free-text field goes into a ticket's search text."""
SEARCH_TEXT_CHARS = 1000
QUERY_CHARS = 100
"""Longer free-text queries are cut."""


# --- views ---------------------------------------------------------------------------------------


def staff_roles(user: User, organisation: Organisation) -> list[str]:
    return [r for r in user.roles if r in organisation.roles and organisation.roles[r].scope != "requester"]


def default_view(user: User, organisation: Organisation) -> View:
    """Roles with the ``intake`` capability (customer service) open on ``incoming``; department heads and staff on ``department``; others
    (the director, the administrator, the auditor…) on ``all``."""
    if has_capability(user, organisation, "intake"):
        return "incoming"
    if user.department and any(
        organisation.roles[r].scope == "department" for r in user.roles if r in organisation.roles
    ):
        return "department"
    return "all"


def views_for(user: User) -> tuple[View, ...]:
    """The views offered to ``user`` (``department`` needs a department)."""
    return tuple(v for v in VIEWS if v != "department" or user.department)


def view_filter(view: View, user: User, organisation: Organisation, scope: ReadScope) -> TaskFilter:
    """The filter of ``view`` for ``user``, inside ``scope``, before the user's own filters."""
    if view == "mine":
        return TaskFilter(
            scope=scope,
            assigned_user=user.id,
            queue_roles=frozenset(staff_roles(user, organisation)),
            queue_department=user.department,
        )
    if view == "department":
        return TaskFilter(scope=scope, held_by=frozenset({user.department} if user.department else ()))
    if view == "incoming":
        return TaskFilter(scope=scope, held_by=intake_departments(organisation), unheld=True)
    return TaskFilter(scope=scope)


# --- free text -----------------------------------------------------------------------------------

_FOLD = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ة": "ه",
        "ـ": None,  # tatweel
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Eastern Arabic-Indic digits
    }
)
# the Arabic diacritics (the marks U+0610–U+065F) and the superscript alef, dropped in the same pass
_FOLD.update({cp: None for cp in range(0x0610, 0x0660) if unicodedata.category(chr(cp)) == "Mn"})
_FOLD[0x0670] = None


def normalize(text: str) -> str:
    """Text folded for matching: NFKC, lower case, no Arabic diacritics or tatweel, one form of
    alef / ya / ta marbuta / hamza seats, ASCII digits, single spaces (runs of what ``str.isspace``
    calls space — ``re``'s ``\\s`` — made one, none at either end)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if not folded.isascii():  # the folding table holds no ASCII character
        folded = folded.translate(_FOLD)
    return " ".join(folded.split())


def free_text_field(schema: Any) -> bool:
    """Whether a form field holds free text: a string that is not a choice, a date, a file…"""
    if not isinstance(schema, Mapping) or schema.get("type") != "string":
        return False
    if any(k in schema for k in ("enum", "const", "oneOf", "anyOf", "$ref", "x-accept")):
        return False
    if schema.get("x-widget") in ("file", "select", "radio", "lookup"):
        return False
    return schema.get("format") in (None, "email")


def search_text(form_schema: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    """A ticket's search text (without its number, which the store matches separately): the
    requester's fields (``x-requester``) first, then the start of every free-text field."""
    requester = form_schema.get("x-requester") or {}
    names: list[str] = [n for n in (requester.get(k) for k in ("name", "email", "mobile")) if n]
    properties = form_schema.get("properties") or {}
    names += [n for n, s in properties.items() if n not in names and free_text_field(s)]
    parts = []
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            parts.append(normalize(value[: SEARCH_FIELD_CHARS * 2])[:SEARCH_FIELD_CHARS])
    return " | ".join(parts)[:SEARCH_TEXT_CHARS]


def search_query(q: str | None) -> str | None:
    """The normalised form of a free-text query, or None when it is empty."""
    text = normalize((q or "")[: QUERY_CHARS * 2])[:QUERY_CHARS]
    return text or None


# --- dates, paging -------------------------------------------------------------------------------


def day_start(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The first instant of ``day`` in ``tz`` (the organisation's time zone)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def created_range(
    created_from: dt.date | None, created_to: dt.date | None, tz: dt.tzinfo
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``[from, to]`` as whole local days → ``[first instant, first instant after)``."""
    start = day_start(created_from, tz) if created_from else None
    end = day_start(created_to + dt.timedelta(days=1), tz) if created_to else None
    return start, end


def total_of(counts: Mapping[str, int], category: str | None) -> int:
    """The number of tickets a list shows, from its counts per category."""
    return counts.get(category, 0) if category else sum(counts.values())


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, math.ceil(total / page_size))


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(CATEGORIES, 0)


# --- the query string ----------------------------------------------------------------------------


class TaskParams(msgspec.Struct, frozen=True, kw_only=True):
    """A task list's query string, parsed (the same names on the page and in ``GET /api/tasks``)."""

    view: View | None = None
    """None: the viewer's default view."""
    service: str | None = None
    category: str | None = None
    state: str | None = None
    channel: str | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    cursor: str = ""
    """Where the page starts (``task_pages.cursor_of``): the next page's link carries the key of the last row
    shown, the previous page's the key of the first, so a page deep in a list is read from that key,
    not counted down to by an ``OFFSET`` (``page`` then only numbers it). Empty: read by ``page``."""

    @property
    def order(self) -> TaskOrder:
        return TaskOrder.parse(self.sort)

    @property
    def seek(self) -> Seek | None:
        return parse_cursor(self.cursor) if self.page > 1 else None


PARAM_NAMES = (
    "view",
    "service",
    "category",
    "state",
    "channel",
    "created_from",
    "created_to",
    "q",
    "sort",
    "page",
    "cursor",
)


def parse_params(query: Mapping[str, str]) -> tuple[TaskParams, list[str]]:
    """The parameters, and the names of those whose value was invalid (left out of the result:
    an unknown view, category or sort, a malformed date, a page that is not a positive number)."""
    invalid: list[str] = []

    def text(name: str) -> str | None:
        value = (query.get(name) or "").strip()
        return value[:200] or None

    def choice(name: str, allowed: tuple[str, ...]) -> str | None:
        value = text(name)
        if value is not None and value not in allowed:
            invalid.append(name)
            return None
        return value

    def day(name: str) -> dt.date | None:
        value = text(name)
        if value is None:
            return None
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        invalid.append(name)
        return None

    view = choice("view", VIEWS)
    sort = choice("sort", SORTS) or DEFAULT_SORT
    page_text = text("page") or "1"
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 1_000_000 else 0
    if not page:
        invalid.append("page")
    cursor = text("cursor") or ""
    if cursor and parse_cursor(cursor) is None:
        invalid.append("cursor")
        cursor = ""
    params = TaskParams(
        view=next((v for v in VIEWS if v == view), None),
        service=text("service"),
        category=choice("category", CATEGORIES),
        state=text("state"),
        channel=text("channel"),
        created_from=day("created_from"),
        created_to=day("created_to"),
        q=(query.get("q") or "").strip()[:QUERY_CHARS],
        sort=sort,
        page=page or 1,
        cursor=cursor,
    )
    return params, invalid


class TaskList(msgspec.Struct, frozen=True, kw_only=True):
    view: View
    params: TaskParams
    rows: list[TaskRow]
    counts: dict[str, int]
    """Per category, for the view and every filter but the category, exact — every category, or (a list
    with more tickets than the bound) none but the chosen one if it holds at most the bound."""
    total: int
    more: bool = False
    """True: the list holds more than ``total`` tickets (it was counted up to there: free text that
    many tickets hold); ``pages`` is then unknown."""
    page: int
    pages: int | None
    """None when the total is not known (``more``)."""
    has_next: bool = False
    """A page follows this one."""


def list_filter(
    user: User, organisation: Organisation, scope: ReadScope, params: TaskParams, tz: dt.tzinfo
) -> tuple[View, TaskFilter]:
    """The view a list shows (``params.view`` or the user's default) and its filter, the user's
    filters applied inside the view (and so inside ``scope``)."""
    view = params.view or default_view(user, organisation)
    created_from, created_before = created_range(params.created_from, params.created_to, tz)
    task_filter = msgspec.structs.replace(
        view_filter(view, user, organisation, scope),
        service=params.service,
        category=params.category,
        state=params.state,
        channel=params.channel,
        created_from=created_from,
        created_before=created_before,
        text=search_query(params.q),
    )
    return view, task_filter


async def _counted(
    store: Store, task_filter: TaskFilter, category: str | None
) -> tuple[dict[str, int], int, bool]:
    """The counts per category, the list's total and whether it is only a lower bound ("more than"):
    exact where an aggregate answers or the list is small, else counted up to ``COUNT_BOUND``."""
    counted = await store.count_tasks_bounded(task_filter, bound=COUNT_BOUND)
    if counted.more_than is None:
        counts = {**empty_counts(), **counted.counts}
        return counts, total_of(counts, category), False
    if category is None:
        return {}, counted.more_than, True
    one = await store.count_tasks_bounded(task_filter, bound=COUNT_BOUND, category_aside=False)
    if one.more_than is None:
        total = one.counts.get(category, 0)
        return {category: total}, total, False
    return {}, one.more_than, True


async def task_list(
    store: Store,
    user: User,
    organisation: Organisation,
    scope: ReadScope,
    params: TaskParams,
    tz: dt.tzinfo,
    *,
    page_size: int = PAGE_SIZE,
) -> TaskList:
    """One page of ``user``'s task list: the counts first (they give the total, so a page past the
    end shows the last one), then the rows. A list counted only up to the bound (``more``) has no
    known last page: its page is read with one row more, to know whether a next one follows."""
    view, task_filter = list_filter(user, organisation, scope, params, tz)
    counts, total, more = await _counted(store, task_filter, params.category)
    pages = None if more else page_count(total, page_size)
    page = params.page if pages is None else min(params.page, pages)
    rows: list[TaskRow] = []
    has_next = False
    if total:
        rows, has_next, page = await page_rows(
            store,
            task_filter,
            params.order,
            params.seek,
            page,
            total=None if more else total,
            page_size=page_size,
        )
    return TaskList(
        view=view,
        params=params,
        rows=rows,
        counts=counts,
        total=total,
        more=more,
        page=page,
        pages=pages,
        has_next=has_next,
    )
