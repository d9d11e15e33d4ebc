"""Staff task lists through the real app on a real SQLite file: views per role, filters, counts,
paging, sorting, the HTMX partial, the API, due badges — and the read rule (server/access.py) in every
list and every count.

Tickets are created through ``POST /api/services/{id}/tickets`` and moved on through the service layer;
users are created in the store and log in through ``/login``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
import unicodedata
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from litestar.testing import AsyncTestClient

from server.access import may_read, read_scope
from server.accounts.passwords import hash_password
from server.accounts.tokens import new_api_token, token_hash
from server.engine.model import Actor
from server.paths import shipped_root
from server.store.records import ReadScope, Ticket, User
from server.tickets import task_rows, task_view
from server.tickets.tasks import (
    _FOLD,
    TaskFilter,
    TaskOrder,
    normalize,
    parse_params,
    search_text,
)
from tests.engine_harness import catalogue
from tests.test_requester_pages import login
from tests.web import client_for, html, run_sql, texts

RIYADH = ZoneInfo("Asia/Riyadh")
AR = {"accept-language": "ar"}
EN = {"accept-language": "en"}
HX = {"HX-Request": "true"}
Client = AsyncTestClient[Any]
T0 = dt.datetime(2026, 3, 1, 5, 0, tzinfo=dt.UTC)  # Sunday 08:00 in Riyadh: working time
PASSWORD_HASH = hash_password("pass-word-1")  # the password tests.test_requester_pages.login uses


def example(service_id: str, **changes: Any) -> dict[str, Any]:
    return {**catalogue().services[service_id].form.schema["examples"][0], **changes}


def runtime_of(client: Client) -> Any:
    return client.app.state.runtime


async def account(client: Client, username: str, roles: list[str], department: str | None = None) -> User:
    """A user who can log in through /login with ``login()`` (password hashed once for the module)."""
    return await runtime_of(client).store.add_user(
        username=username,
        name=username,
        roles=roles,
        department=department,
        email=f"{username}@example.org",
        password_hash=PASSWORD_HASH,
        now=dt.datetime.now(dt.UTC),
    )


async def bearer(client: Client, user: User) -> dict[str, str]:
    token = new_api_token()
    await runtime_of(client).store.create_api_token(
        user.id, "test", token_hash(token), now=dt.datetime.now(dt.UTC)
    )
    return {"Authorization": f"Bearer {token}"}


def at(moment: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: moment


async def submit(
    client: Client,
    service_id: str,
    data: dict[str, Any],
    headers: dict[str, str],
    *,
    when: dt.datetime,
    **query: str,
) -> Ticket:
    runtime_of(client).tickets.clock = at(when)
    response = await client.post(
        f"/api/services/{service_id}/tickets", json=data, headers=headers, params=query or None
    )
    assert response.status_code == 201, response.text
    ticket = await runtime_of(client).store.get_ticket(response.json()["id"])
    assert ticket is not None
    return ticket


async def act(
    client: Client, ticket: Ticket, action: str, data: dict[str, Any], user: User, when: dt.datetime
) -> Ticket:
    runtime = runtime_of(client)
    runtime.tickets.clock = at(when)
    current = await runtime.store.get_ticket(ticket.id)
    actor = Actor(id=user.id, name=user.name, roles=frozenset(user.roles), department=user.department)
    result = await runtime.tickets.act(ticket.id, action, data, actor=actor, expected_version=current.version)
    assert isinstance(result, Ticket), result
    return result


@dataclasses.dataclass
class World:
    """Six tickets in known places (see ``world``), and the people who look at them."""

    tickets: dict[str, Ticket]
    users: dict[str, User]
    tokens: dict[str, dict[str, str]]

    def numbers(self, *names: str) -> set[str]:
        return {self.tickets[n].number for n in names}


async def build_world(client: Client) -> World:
    users = {
        "cs": await account(client, "cs", ["customer_service"], "customer_service"),
        "head_classrooms": await account(client, "head.classrooms", ["department_head"], "classrooms"),
        "staff_classrooms": await account(client, "staff.classrooms", ["department_staff"], "classrooms"),
        "head_maintenance": await account(
            client, "head.maintenance", ["department_head"], "maintenance_center"
        ),
        "director": await account(client, "director", ["director"]),
        "requester": await account(client, "requester", ["requester"]),
    }
    tokens = {name: await bearer(client, user) for name, user in users.items()}
    req, cs = tokens["requester"], tokens["cs"]
    hour = dt.timedelta(hours=1)
    tickets = {
        # S1: supplies, routed to Classrooms and delegated to its staff member → in_progress there
        "S1": await submit(
            client, "supplies", example("supplies", contact_name="سلمى الحارثي"), req, when=T0
        ),
        # S2: supplies, clarification asked → pending at customer service
        "S2": await submit(
            client, "supplies", example("supplies", contact_name="Khalid Omar"), req, when=T0 + hour
        ),
        # S3: supplies, just received → open at customer service
        "S3": await submit(
            client, "supplies", example("supplies", contact_name="نورة القحطاني"), req, when=T0 + 2 * hour
        ),
        # M1: maintenance on the web, routed → open at the Maintenance Center
        "M1": await submit(client, "maintenance", example("maintenance"), req, when=T0 + 3 * hour),
        # M2: maintenance logged by customer service from WhatsApp → open at customer service
        "M2": await submit(
            client, "maintenance", example("maintenance"), cs, when=T0 + 4 * hour, channel="whatsapp"
        ),
        # I1: an anonymous inquiry → open at Administrative Affairs; created 01:30 on 2 March in Riyadh
        # (still 1 March in UTC)
        "I1": await submit(
            client,
            "inquiries",
            example("inquiries", subject="موعد الاختبار النهائي"),
            {},
            when=dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC),
        ),
    }
    later = dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC)
    await act(client, tickets["S1"], "route_to_department", {}, users["cs"], later)
    tickets["S1"] = await act(
        client,
        tickets["S1"],
        "delegate",
        {"assignee": users["staff_classrooms"].id, "note": "يرجى التوريد"},
        users["head_classrooms"],
        later + hour,
    )
    tickets["S2"] = await act(
        client,
        tickets["S2"],
        "request_clarification",
        {"question": "ما عدد الأجهزة؟"},
        users["cs"],
        later + 2 * hour,
    )
    tickets["M1"] = await act(client, tickets["M1"], "route_to_department", {}, users["cs"], later + 3 * hour)
    runtime_of(client).tickets.clock = lambda: dt.datetime.now(dt.UTC)
    return World(tickets=tickets, users=users, tokens=tokens)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Client, World]]:
    async with client_for(tmp_path) as client:
        yield client, await build_world(client)


def listed(page: str) -> set[str]:
    return set(texts(page, "table.tasks tbody a.number"))


def listed_in_order(page: str) -> list[str]:
    return texts(page, "table.tasks tbody a.number")


def tab_counts(page: str) -> list[int]:
    return [int(x) for x in texts(page, ".category-tabs .count")]


async def api(client: Client, w: World, who: str, **params: str) -> dict[str, Any]:
    response = await client.get("/api/tasks", params=params, headers=w.tokens[who])
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def api_numbers(body: dict[str, Any]) -> set[str]:
    return {item["number"] for item in body["items"]}


# --- the world is what the tests assume ------------------------------------------------------------


async def test_the_tickets_are_where_the_tests_expect(world: tuple[Client, World]) -> None:
    _client, w = world
    where = {n: (t.department, t.category, t.state, t.assignee_user, t.channel) for n, t in w.tickets.items()}
    staff = w.users["staff_classrooms"].id
    assert where == {
        "S1": ("classrooms", "in_progress", "in_progress", staff, "web"),
        "S2": ("customer_service", "pending", "awaiting_clarification", None, "web"),
        "S3": ("customer_service", "open", "received", None, "web"),
        "M1": ("maintenance_center", "open", "with_department", None, "web"),
        "M2": ("customer_service", "open", "received", None, "whatsapp"),
        "I1": ("administrative_affairs", "open", "with_department", None, "web"),
    }


# --- views per role ---------------------------------------------------------------------------------

VIEWS = [
    # (who, view or None for the default, tickets listed)
    ("cs", None, {"S2", "S3", "M2"}),  # customer service opens on incoming
    ("cs", "incoming", {"S2", "S3", "M2"}),
    ("cs", "mine", {"S2", "S3", "M2"}),  # the customer-service role's queue in its unit
    ("cs", "all", {"S1", "S2", "S3", "M1", "M2", "I1"}),
    ("head_classrooms", None, {"S1"}),  # heads open on their department's queue
    ("head_classrooms", "mine", set()),  # S1 is delegated to the staff member
    ("head_classrooms", "incoming", {"S2", "S3"}),  # Classrooms' service still with customer service
    ("head_classrooms", "all", {"S1", "S2", "S3"}),
    ("staff_classrooms", None, {"S1"}),
    ("staff_classrooms", "mine", {"S1"}),
    ("head_maintenance", None, {"M1"}),
    ("head_maintenance", "mine", {"M1"}),  # waiting for the head of the Maintenance Center
    ("head_maintenance", "all", {"M1", "M2"}),
    ("director", None, {"S1", "S2", "S3", "M1", "M2", "I1"}),  # others open on all
    ("director", "department", set()),  # no department, no department queue
]


@pytest.mark.parametrize("who", sorted({who for who, _, _ in VIEWS}))
async def test_views_per_role_on_the_page_and_in_the_api(world: tuple[Client, World], who: str) -> None:
    client, w = world
    user = w.users[who]
    await login(client, user.username, list(user.roles), user.department)
    for _, view, expected in (case for case in VIEWS if case[0] == who):
        page = await client.get("/staff/tasks", params={"view": view} if view else None, headers=AR)
        assert page.status_code == 200
        assert listed(page.text) == w.numbers(*expected), view
        assert sum(tab_counts(page.text)[1:]) == tab_counts(page.text)[0] == len(expected), view
        body = await api(client, w, who, **({"view": view} if view else {}))
        assert api_numbers(body) == w.numbers(*expected), view
        assert body["total"] == len(expected) == sum(body["counts"].values()), view
        default = {"cs": "incoming", "director": "all"}.get(who, "department")
        assert body["view"] == (view or default)


async def test_the_page_offers_the_views_and_links_each_row_to_its_ticket(
    world: tuple[Client, World],
) -> None:
    client, w = world
    await login(client, "head.classrooms", ["department_head"], "classrooms")
    page = await client.get("/staff/tasks", headers=AR)
    doc = html(page.text)
    assert doc.css_first("html").attributes["dir"] == "rtl"  # type: ignore[union-attr]
    assert texts(page.text, ".view-tabs a") == ["مهامي", "تذاكر القسم", "التذاكر الواردة", "كل التذاكر"]
    assert texts(page.text, ".view-tabs a[aria-current=page]") == ["تذاكر القسم"]
    row = doc.css_first(f"#task-{w.tickets['S1'].id}")
    assert row is not None
    link = row.css_first("a.number")
    assert link is not None and link.attributes["href"] == f"/staff/tickets/{w.tickets['S1'].id}"
    cells = {c.attributes.get("class"): re.sub(r"\s+", " ", c.text()).strip() for c in row.css("td")}
    assert cells["service"] == "توفير المستلزمات والأجهزة التعليمية"
    assert cells["state"] == "تحت الإجراء لدى قسم الفصول الدراسية"
    assert cells["department"] == "الفصول الدراسية"
    assert cells["assignee"] == "staff.classrooms"
    assert cells["channel"] == "الموقع الإلكتروني للإدارة"
    assert "1447" in cells["age"] and "2026" in cells["age"]  # the creation date: Gregorian and Hijri
    assert "تحت الإجراء" in texts(page.text, f"#task-{w.tickets['S1'].id} .category")
    english = await client.get("/staff/tasks", headers=EN)
    assert texts(english.text, f"#task-{w.tickets['S1'].id} .state") == [
        "In progress at the Classrooms department"
    ]
    assert texts(english.text, f"#task-{w.tickets['S1'].id} .service") == [
        "Providing educational supplies and devices"
    ]
    # a staff member has a link to the task list in the header; a requester does not
    assert "/staff/tasks" in [a.attributes.get("href") for a in doc.css(".site-nav a")]


async def test_a_requester_gets_403_and_an_anonymous_visitor_is_sent_to_log_in(
    world: tuple[Client, World],
) -> None:
    client, w = world
    await login(client, "requester", ["requester"])
    forbidden = await client.get("/staff/tasks", headers=EN)
    assert forbidden.status_code == 403 and "Not allowed" in forbidden.text
    assert w.tickets["S1"].number not in forbidden.text
    client.cookies.clear()
    anonymous = await client.get("/staff/tasks?view=all", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=%2Fstaff%2Ftasks%3Fview%3Dall"


# --- the read rule -----------------------------------------------------------------------------------


async def test_a_head_of_classrooms_never_lists_nor_counts_maintenance_tickets(
    world: tuple[Client, World],
) -> None:
    client, w = world
    await login(client, "head.classrooms", ["department_head"], "classrooms")
    maintenance = w.numbers("M1", "M2", "I1")
    for params in (
        {"view": view, **extra}
        for view in ("mine", "department", "incoming", "all")
        for extra in ({}, {"service": "maintenance"}, {"q": "سارة"}, {"channel": "whatsapp"})
    ):
        page = await client.get("/staff/tasks", params=params)
        partial = await client.get("/staff/tasks", params=params, headers=HX)
        body = await api(client, w, "head_classrooms", **params)
        for text in (page.text, partial.text, json.dumps(body)):
            assert not any(number in text for number in maintenance)
        readable = listed(page.text) - w.numbers("S1", "S2", "S3")
        assert readable == set() and api_numbers(body) <= w.numbers("S1", "S2", "S3")
        assert sum(body["counts"].values()) == body["total"] == len(api_numbers(body))
        if "service" in params:
            assert body["counts"] == {"open": 0, "pending": 0, "in_progress": 0, "closed": 0}
            assert tab_counts(page.text) == [0, 0, 0, 0, 0]


async def test_every_list_agrees_with_the_reference_read_rule(world: tuple[Client, World]) -> None:
    """``all`` is exactly what ``server.access.may_read`` lets each person read; every other view a part of it."""
    client, w = world
    runtime = runtime_of(client)
    services = {s: c.service.department for s, c in catalogue().services.items()}
    for who, user in w.users.items():
        if who == "requester":
            continue
        scope = read_scope(user, runtime.catalogue.organisation, services)
        readable = {
            t.number for t in w.tickets.values() if may_read(scope, await runtime.store.get_ticket(t.id))
        }
        assert api_numbers(await api(client, w, who, view="all")) == readable, who
        for view in ("mine", "department", "incoming"):
            assert api_numbers(await api(client, w, who, view=view)) <= readable, (who, view)


async def test_the_read_scope_is_in_every_store_query() -> None:
    """Whatever the view asks, the store never goes outside the scope (checked on the SQL it builds)."""
    from server.store.sqlite_task_totals import count_sql
    from server.store.sqlite_tasks import list_sql

    scope = ReadScope(departments=frozenset({"classrooms"}), services=frozenset({"supplies"}), user_id="u1")
    for task_filter in (
        TaskFilter(scope=scope),
        TaskFilter(scope=scope, held_by=frozenset({"customer_service"}), unheld=True),
        TaskFilter(scope=scope, held_by=frozenset({"maintenance_center"})),
        TaskFilter(scope=scope, assigned_user="someone-else", queue_roles=frozenset({"department_head"})),
    ):
        assert not task_filter.scope_implied
        for sql, params in (count_sql(task_filter), list_sql(task_filter, TaskOrder(), offset=0, limit=25)):
            assert "t.department IN (?) OR t.service_id IN (?) OR t.assignee_user = ?" in sql
            assert params[:3] == ["classrooms", "supplies", "u1"]
    # implied only where the view alone stays inside it
    assert TaskFilter(scope=scope, held_by=frozenset({"classrooms"})).scope_implied
    assert TaskFilter(
        scope=scope,
        assigned_user="u1",
        queue_roles=frozenset({"department_head"}),
        queue_department="classrooms",
    ).scope_implied
    assert TaskFilter(scope=ReadScope(everything=True)).scope_implied
    nothing = TaskFilter(scope=ReadScope())
    # (summed from ticket_counts, migration 0013: the same WHERE clause over the per-combination counts)
    assert count_sql(nothing)[0].startswith("SELECT t.category, SUM(t.n) AS n FROM ticket_counts t WHERE 0 ")


# --- filters, counts, paging, sorting ----------------------------------------------------------------

FILTERS = [
    ({"service": "maintenance"}, {"M1", "M2"}),
    ({"service": "supplies", "category": "open"}, {"S3"}),
    ({"category": "open"}, {"S3", "M1", "M2", "I1"}),
    ({"category": "pending"}, {"S2"}),
    ({"category": "in_progress"}, {"S1"}),
    ({"category": "closed"}, set()),
    ({"state": "received"}, {"S3", "M2"}),
    ({"state": "with_department", "service": "inquiries"}, {"I1"}),
    ({"channel": "whatsapp"}, {"M2"}),
    ({"channel": "web", "service": "maintenance"}, {"M1"}),
    # dates are whole days in Riyadh: I1 was created at 01:30 on 2 March there (22:30 UTC on 1 March)
    ({"created_from": "2026-03-01", "created_to": "2026-03-01"}, {"S1", "S2", "S3", "M1", "M2"}),
    ({"created_from": "2026-03-02"}, {"I1"}),
    ({"created_to": "2026-02-28"}, set()),
    ({"q": "القحطاني"}, {"S3"}),  # the requester's name
    ({"q": "نوره"}, {"S3"}),  # ta marbuta and ha are one letter for the search
    ({"q": "khalid"}, {"S2"}),  # any case
    ({"q": "الاختبار النهائي"}, {"I1"}),  # the inquiry's subject
    ({"q": "0559876543"}, {"M1", "M2"}),  # the contact's mobile
    ({"q": "nothing like this"}, set()),
]


async def test_every_filter_and_the_counts_against_the_tickets_created_through_the_api(
    world: tuple[Client, World],
) -> None:
    client, w = world
    await login(client, "cs", ["customer_service"], "customer_service")
    for params, expected in FILTERS:
        query = {"view": "all", **params}
        page = await client.get("/staff/tasks", params=query)
        body = await api(client, w, "cs", **query)
        assert listed(page.text) == api_numbers(body) == w.numbers(*expected), params
        assert body["total"] == len(expected), params
        # the counts are those of every filter but the category, counted here from the tickets
        without_category = {k: v for k, v in query.items() if k != "category"}
        expected_counts = dict.fromkeys(("open", "pending", "in_progress", "closed"), 0)
        for item in (await api(client, w, "cs", **without_category))["items"]:
            expected_counts[item["category"]] += 1
        assert body["counts"] == expected_counts, params
        assert tab_counts(page.text) == [sum(expected_counts.values()), *expected_counts.values()], params


async def test_free_text_finds_a_ticket_by_its_number_in_either_digits(world: tuple[Client, World]) -> None:
    client, w = world
    number = w.tickets["S3"].number
    assert api_numbers(await api(client, w, "cs", view="all", q=number)) == {number}
    arabic_digits = number.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert api_numbers(await api(client, w, "cs", view="all", q=arabic_digits)) == {number}


async def test_tickets_from_before_the_search_column_get_their_search_text_at_start(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        ticket = await submit(
            client, "inquiries", example("inquiries", full_name="هالة المطيري"), {}, when=T0
        )
    run_sql(tmp_path, "UPDATE tickets SET search_text = NULL")  # as a ticket created before the column
    async with client_for(tmp_path) as client:
        head = await account(client, "head.admin", ["department_head"], "administrative_affairs")
        found = (
            await client.get("/api/tasks", params={"q": "المطيري"}, headers=await bearer(client, head))
        ).json()
    assert [item["id"] for item in found["items"]] == [ticket.id]


async def test_paging_25_a_page_with_next_and_previous(tmp_path: Path) -> None:
    """ "Next" carries the key of the page's last ticket and "previous" that of its first (``cursor``):
    each page is read from there, not counted down to; the pages are the list's slices either way."""
    async with client_for(tmp_path) as client:
        head = await account(client, "admin.affairs", ["department_head"], "administrative_affairs")
        await login(client, "admin.affairs", ["department_head"], "administrative_affairs")
        for i in range(52):
            await submit(
                client,
                "inquiries",
                example("inquiries", full_name=f"طالب {i}"),
                {},
                when=T0 + dt.timedelta(minutes=i),
            )
        first = await client.get("/staff/tasks", headers=AR)
        assert len(listed(first.text)) == 25
        assert texts(first.text, "#task-count") == ["عدد التذاكر: 52"]
        assert texts(first.text, ".pager .page-of") == ["الصفحة 1 من 3"]
        assert not html(first.text).css("a[rel=prev]")
        next_href = html(first.text).css_first("a[rel=next]").attributes["href"]  # type: ignore[union-attr]
        assert next_href is not None and next_href.startswith("/staff/tasks?view=department&page=2&cursor=a")
        second = await client.get(next_href, headers=AR)
        assert len(listed(second.text)) == 25 and not listed(second.text) & listed(first.text)
        assert texts(second.text, ".pager .page-of") == ["الصفحة 2 من 3"]
        by_offset = await client.get("/staff/tasks?view=department&page=2")
        assert listed(by_offset.text) == listed(second.text)
        third = await client.get(html(second.text).css_first("a[rel=next]").attributes["href"])  # type: ignore[union-attr,arg-type]
        assert len(listed(third.text)) == 2 and not html(third.text).css("a[rel=next]")
        back_href = html(third.text).css_first("a[rel=prev]").attributes["href"]  # type: ignore[union-attr]
        assert back_href is not None and "page=2&cursor=b" in back_href
        back = await client.get(back_href)
        assert listed(back.text) == listed(second.text)
        prev_href = html(second.text).css_first("a[rel=prev]").attributes["href"]  # type: ignore[union-attr]
        assert prev_href == "/staff/tasks?view=department"
        # past the end: the last page
        beyond = await client.get("/staff/tasks?view=department&page=9")
        assert listed(beyond.text) == listed(third.text)
        # a malformed cursor is left out (and said so); the page is read by its number
        forged = await client.get("/staff/tasks?view=department&page=2&cursor=a1.x", headers=AR)
        assert listed(forged.text) == listed(second.text) and html(forged.text).css(".notice")
        token = await bearer(client, head)
        body = (await client.get("/api/tasks", params={"page": "2"}, headers=token)).json()
        assert (body["page"], body["pages"], body["total"], len(body["items"])) == (2, 3, 52, 25)
        assert body["previous_cursor"].startswith("b") and body["next_cursor"].startswith("a")
        after = await client.get(
            "/api/tasks", params={"page": "3", "cursor": body["next_cursor"]}, headers=token
        )
        assert [i["id"] for i in after.json()["items"]] == [
            i["id"]
            for i in (await client.get("/api/tasks", params={"page": "3"}, headers=token)).json()["items"]
        ]
        assert after.json()["next_cursor"] is None
        refused = await client.get("/api/tasks", params={"page": "2", "cursor": "z9"}, headers=token)
        assert refused.status_code == 400 and refused.json()["invalid"] == ["cursor"]
        # the largest a cursor can name (the year 5138): nothing after it — the page by its number
        far = "a" + "9" * 18 + "." + "9" * 17 + "." + "9" * 17
        for sort in ("-updated", "due", "-due"):
            edge = await client.get(
                "/api/tasks", params={"page": "2", "cursor": far, "sort": sort}, headers=token
            )
            assert edge.status_code == 200 and edge.json()["page"] == 2, (sort, edge.text[:200])


SORTS = [
    ("created", ["S1", "S2", "S3", "M1", "M2", "I1"]),
    ("-created", ["I1", "M2", "M1", "S3", "S2", "S1"]),
    ("-updated", ["M1", "S2", "S1", "I1", "M2", "S3"]),  # the default
    ("updated", ["S3", "M2", "I1", "S1", "S2", "M1"]),
]


async def test_sorting(world: tuple[Client, World]) -> None:
    client, w = world
    await login(client, "director", ["director"])
    for sort, order in SORTS:
        numbers = [w.tickets[n].number for n in order]
        page = await client.get("/staff/tasks", params={"sort": sort})
        assert listed_in_order(page.text) == numbers, sort
        body = await api(client, w, "director", sort=sort)
        assert [i["number"] for i in body["items"]] == numbers, sort
    assert listed_in_order((await client.get("/staff/tasks")).text) == [
        w.tickets[n].number for n in SORTS[2][1]
    ]


# --- HTMX and no-JavaScript ----------------------------------------------------------------------------


async def test_htmx_gets_only_the_partial_with_the_clean_address(world: tuple[Client, World]) -> None:
    client, w = world
    await login(client, "cs", ["customer_service"], "customer_service")
    full = await client.get("/staff/tasks?view=all&category=open")
    partial = await client.get(
        "/staff/tasks?view=all&service=&state=&channel=&created_from=&created_to=&q=&sort=-updated&category=open",
        headers={**HX, "HX-Current-URL": "http://testserver.local/staff/tasks?view=all&category=open"},
    )
    assert partial.status_code == 200
    assert "<html" not in partial.text and "<form" not in partial.text
    root = html(partial.text).css_first("div.task-list")
    assert root is not None and root.attributes["id"] == "task-list"
    assert partial.headers["HX-Push-Url"] == "/staff/tasks?view=all&category=open"
    assert "HX-Request" in partial.headers["Vary"]
    assert listed(partial.text) == listed(full.text) == w.numbers("S3", "M1", "M2", "I1")
    # the same partial is inside the full page
    full_list = html(full.text).css_first("#task-list")
    assert full_list is not None and full_list.css("tbody tr").__len__() == 4
    # out of band: the category kept in the filter form, the count announced
    assert html(partial.text).css_first("#filter-category").attributes["value"] == "open"  # type: ignore[union-attr]
    assert html(partial.text).css_first("#task-announce").attributes["hx-swap-oob"] == "innerHTML"  # type: ignore[union-attr]
    assert not html(partial.text).css("#filter-state")  # the service did not change
    changed = await client.get(
        "/staff/tasks?view=all&service=inquiries",
        headers={**HX, "HX-Current-URL": "http://testserver.local/staff/tasks?view=all"},
    )
    states = html(changed.text).css("#filter-state option")
    assert [o.attributes.get("value") for o in states] == [
        "",
        "with_department",
        "awaiting_clarification",
        "closed",
    ]
    # a history restore needs the whole page
    restore = await client.get("/staff/tasks?view=all", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


async def test_the_filter_form_works_without_javascript(world: tuple[Client, World]) -> None:
    client, _ = world
    await login(client, "cs", ["customer_service"], "customer_service")
    page = await client.get("/staff/tasks?view=all&service=maintenance", headers=EN)
    form = html(page.text).css_first("form#task-filters")
    assert form is not None
    assert (form.attributes["method"], form.attributes["action"]) == ("get", "/staff/tasks")
    assert form.attributes["hx-get"] == "/staff/tasks" and form.attributes["hx-target"] == "#task-list"
    assert form.attributes["hx-push-url"] == "true"
    for node in form.css("input:not([type=hidden]), select"):
        assert html(page.text).css_first(f'label[for="{node.attributes["id"]}"]') is not None
    chosen = form.css_first("#filter-service option[selected]")
    assert chosen is not None and chosen.attributes["value"] == "maintenance"
    # the tabs and pages are plain links too
    tabs = html(page.text).css(".category-tabs a")
    assert [a.attributes["href"] for a in tabs][:2] == [
        "/staff/tasks?view=all&service=maintenance",
        "/staff/tasks?view=all&service=maintenance&category=open",
    ]
    assert texts(page.text, ".category-tabs a") == [
        "All 2",
        "Open 2",
        "Pending 0",
        "In progress 0",
        "Closed 0",
    ]


async def test_an_invalid_date_is_shown_beside_its_field_and_refused_by_the_api(
    world: tuple[Client, World],
) -> None:
    client, w = world
    await login(client, "cs", ["customer_service"], "customer_service")
    page = await client.get("/staff/tasks?view=all&created_from=2026-02-30&sort=sideways", headers=EN)
    assert page.status_code == 200
    assert texts(page.text, ".error-summary a") == ["Created from: Enter a real date, as year-month-day"]
    assert texts(page.text, "#filter-created_from-error")
    assert len(listed(page.text)) == 6  # the invalid filters are left out
    response = await client.get("/api/tasks?created_from=yesterday&view=nowhere", headers=w.tokens["cs"])
    assert response.status_code == 400
    assert response.json()["invalid"] == ["view", "created_from"]


# --- the API's guards ---------------------------------------------------------------------------------


async def test_the_api_needs_a_token_and_a_staff_member(world: tuple[Client, World]) -> None:
    client, w = world
    anonymous = await client.get("/api/tasks")
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
    # a session cookie is not a token
    await login(client, "cs", ["customer_service"], "customer_service")
    assert (await client.get("/api/tasks")).status_code == 401
    requester = await client.get("/api/tasks", headers=w.tokens["requester"])
    assert requester.status_code == 403 and requester.json()["status_code"] == 403
    ok = await client.get("/api/tasks", headers=w.tokens["cs"])
    assert ok.status_code == 200
    item = ok.json()["items"][0]
    assert set(item) == {
        "id",
        "number",
        "service",
        "state",
        "category",
        "department",
        "assignee_role",
        "assignee_user",
        "channel",
        "created_at",
        "updated_at",
        "due_at",
    }


# --- due badges ---------------------------------------------------------------------------------------


def tree_with_a_timer(root: Path) -> Path:
    """The shipped definitions, with a 14-working-hour timer on supplies' ``received`` state."""
    shipped = shipped_root()
    for directory in ("service_definitions", "form_schemas", "workflows"):
        shutil.copytree(shipped / directory, root / directory)
    path = root / "workflows" / "supplies.json"
    workflow = json.loads(path.read_text(encoding="utf-8"))
    workflow["timers"] = {"reply_due": {"state": "received", "after_working_hours": 14}}
    path.write_text(json.dumps(workflow, ensure_ascii=False), encoding="utf-8")
    return root


async def test_due_badges_from_the_earliest_pending_timer_in_working_hours(tmp_path: Path) -> None:
    # no background worker: it would fire the timer once the test's clock passes its due time
    tree = tree_with_a_timer(tmp_path / "tree")
    async with client_for(tmp_path, definitions=tree, background_worker=False) as client:
        cs = await account(client, "cs", ["customer_service"], "customer_service")
        requester = await account(client, "requester", ["requester"])
        await login(client, "cs", ["customer_service"], "customer_service")
        token = await bearer(client, requester)
        timed = await submit(client, "supplies", example("supplies"), token, when=T0)
        untimed = await submit(client, "inquiries", example("inquiries"), {}, when=T0)
        runtime = runtime_of(client)
        due = runtime.tickets.calendar.add_working_hours(T0, 14)
        # Sunday 08:00 + 14 working hours (07:30–14:30, Sunday to Thursday) = Tuesday 08:00 in Riyadh
        assert due == dt.datetime(2026, 3, 3, 8, 0, tzinfo=RIYADH)

        runtime.tickets.clock = at(T0 + dt.timedelta(hours=3))  # Sunday 11:00: 11 working hours left
        page = await client.get("/staff/tasks?view=all", headers=AR)
        assert texts(page.text, f"#task-{timed.id} .badge") == ["خلال 11 ساعة عمل"]
        assert html(page.text).css_first(f"#task-{timed.id} .badge").attributes["class"] == "badge due"  # type: ignore[union-attr]
        assert texts(page.text, f"#task-{untimed.id} .badge") == []
        english = await client.get("/staff/tasks?view=all", headers=EN)
        assert texts(english.text, f"#task-{timed.id} .badge") == ["Due in 11 working hours"]

        runtime.tickets.clock = at(dt.datetime(2026, 3, 2, 10, 0, tzinfo=RIYADH))  # Monday 10:00: 5 h left
        soon = await client.get("/staff/tasks?view=all", headers=AR)
        assert texts(soon.text, f"#task-{timed.id} .badge") == ["خلال 5 ساعات عمل"]
        assert "due-soon" in html(soon.text).css_first(f"#task-{timed.id} .badge").attributes["class"]  # type: ignore[union-attr, operator]

        runtime.tickets.clock = at(dt.datetime(2026, 3, 3, 8, 1, tzinfo=RIYADH))  # a minute past due
        late = await client.get("/staff/tasks?view=all", headers=AR)
        assert texts(late.text, f"#task-{timed.id} .badge") == ["متأخرة"]

        body = (
            await client.get(
                "/api/tasks", params={"view": "all", "sort": "due"}, headers=await bearer(client, cs)
            )
        ).json()
        assert [i["id"] for i in body["items"]] == [timed.id, untimed.id]  # no due time last
        assert dt.datetime.fromisoformat(body["items"][0]["due_at"]) == due
        assert body["items"][1]["due_at"] is None

        # the timer stops counting once the ticket leaves the state (the engine cancels it)
        await act(client, timed, "route_to_department", {}, cs, T0 + dt.timedelta(hours=1))
        runtime.tickets.clock = at(T0 + dt.timedelta(hours=2))
        after = await client.get("/staff/tasks?view=all", headers=AR)
        assert texts(after.text, f"#task-{timed.id} .badge") == []


# --- the query model ----------------------------------------------------------------------------------


def test_normalize_folds_what_people_type_differently() -> None:
    assert normalize("  أحمد   إبراهيم آل  ") == "احمد ابراهيم ال"
    assert normalize("نورة") == normalize("نوره")
    assert normalize("مُحَمَّد") == "محمد"
    assert normalize("مصطفى") == normalize("مصطفي")
    assert normalize("٢٠٢٦-٠٠٠٠١٢") == "2026-000012"
    assert normalize("KHALID") == "khalid"


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("ab آأإىةـ\u064b٢ \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2003\u3000A"))
    | st.text()
)
def test_normalize_is_the_regex_fold_it_replaced(text: str) -> None:
    """Spaces made one with ``str.split`` as ``re.sub(r"\\s+", " ")`` and ``strip`` made them, and the
    folding table skipped for ASCII, which it does not hold."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    assert normalize(text) == re.sub(r"\s+", " ", folded).strip()


def test_normalize_drops_exactly_the_arabic_marks_and_the_superscript_alef() -> None:
    """One ``str.translate`` pass: the same result as dropping each combining mark of U+0610–U+065F
    (and U+0670) one character at a time, for every character of the Arabic blocks among letters."""
    marks = {c for c in map(chr, range(0x0610, 0x0660)) if unicodedata.category(c) == "Mn"} | {"\u0670"}
    for code in range(0x0600, 0x0700):
        char = chr(code)
        folded = normalize(f"ب{char}ت")
        if char in marks:
            assert folded == "بت", hex(code)
        else:
            assert "\u0670" not in folded and not (set(folded) & marks), hex(code)


def test_search_text_takes_the_requester_and_the_free_text_fields() -> None:
    inquiries = catalogue().services["inquiries"].form.schema
    data = example("inquiries", message="س" * 5000)
    text = search_text(inquiries, data)
    assert text.startswith("محمد عبدالله | student@example.org | 0551112233 | مواعيد الخدمه | ")
    assert "inquiry" not in text  # a choice, not free text
    assert len(text) <= 1000
    supplies = catalogue().services["supplies"].form.schema
    assert "كليه الهندسه" in search_text(supplies, example("supplies"))  # college: free text
    assert "2026-12-15" not in search_text(supplies, example("supplies"))  # a date is not


def test_parse_params_keeps_the_valid_and_names_the_invalid() -> None:
    params, invalid = parse_params(
        {"view": "mine", "category": "pending", "page": "3", "sort": "due", "q": " x "}
    )
    assert (params.view, params.category, params.page, params.order, params.q) == (
        "mine",
        "pending",
        3,
        TaskOrder(key="due", descending=False),
        "x",
    )
    assert invalid == []
    params, invalid = parse_params({"view": "?", "category": "lost", "page": "0", "created_to": "2026-13-01"})
    assert (params.view, params.category, params.page, params.created_to) == (None, None, 1, None)
    assert sorted(invalid) == ["category", "created_to", "page", "view"]


def test_the_templates_read_only_fields_of_their_context() -> None:
    root = Path(__file__).resolve().parent.parent / "templates" / "staff"
    page_fields = {f.name for f in msgspec.structs.fields(task_view.TasksPage)}
    part_fields = {f.name for f in msgspec.structs.fields(task_view.TaskListPart)}
    item_fields = {f.name for f in msgspec.structs.fields(task_rows.TaskItem)}
    for name in ("tasks.html", "_task_list.html"):
        source = (root / name).read_text(encoding="utf-8")
        assert set(re.findall(r"\bpage\.([a-z_]+)", source)) <= page_fields
        assert set(re.findall(r"\br\.([a-z_]+)", source)) <= part_fields
        assert set(re.findall(r"\bitem\.([a-z_]+)", source)) <= item_fields
