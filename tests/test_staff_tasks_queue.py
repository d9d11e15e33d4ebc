"""The staff queue like a good helpdesk: requester, subject and age columns, the list refreshing itself
(announcing only a changed count), the filters folded away, keyboard shortcuts, and "next ticket"
(``GET /staff/tasks/next``) — in the list's order, to the list at its end, inside the read rule.

Same world as ``tests/test_staff_tasks.py`` (six tickets in known places), through the real app."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path

from server.tickets.task_rows import age_text, requester_of, subject_of
from tests.engine_harness import catalogue
from tests.test_requester_pages import login
from tests.test_staff_tasks import AR, EN, HX, T0, Client, World, at, runtime_of, world
from tests.web import html, texts

__all__ = ["world"]  # the fixture, shared with tests/test_staff_tasks.py

REFRESH = {**HX, **EN, "HX-Trigger": "task-refresh"}


def cell(page: str, ticket_id: int, column: str) -> str:
    return " ".join(texts(page, f"#task-{ticket_id} td.{column}"))


# --- the columns ------------------------------------------------------------------------------------


async def test_each_row_shows_its_requester_subject_and_age(world: tuple[Client, World]) -> None:
    client, w = world
    await login(client, "director", ["director"])
    runtime_of(client).tickets.clock = at(T0 + dt.timedelta(days=3, hours=5))
    page = await client.get("/staff/tasks", params={"view": "all"}, headers=AR)
    s1, s3, i1 = w.tickets["S1"].id, w.tickets["S3"].id, w.tickets["I1"].id
    # the requester: the name the form's x-requester hints point at, isolated for bidi
    assert cell(page.text, s1, "requester") == "سلمى الحارثي"
    assert texts(page.text, f"#task-{s3} td.requester bdi") == ["نورة القحطاني"]
    # the subject: a field named "subject", else the first long text (supplies: the justification)
    assert cell(page.text, i1, "subject") == "موعد الاختبار النهائي"
    assert texts(page.text, f"#task-{s1} td.subject bdi") == ["قاعة جديدة تحتاج أجهزة عرض"]
    # the age: calendar time since creation, the full date in the tooltip
    age = html(page.text).css_first(f"#task-{s1} td.age time")
    assert age is not None and age.text() == "3 أيام"
    assert "2026" in (age.attributes.get("title") or "") and "1447" in (age.attributes.get("title") or "")
    assert age.attributes.get("datetime") == w.tickets["S1"].created_at.isoformat()
    english = await client.get("/staff/tasks", params={"view": "all"}, headers=EN)
    assert texts(english.text, f"#task-{s1} td.age time") == ["3 d"]
    assert [
        re.sub(r"\s+", " ", th.text()).strip() for th in html(english.text).css("table.tasks thead th")
    ] == [
        "Number",
        "Requester",
        "Subject",
        "Service",
        "State",
        "Category",
        "Department",
        "Assigned to",
        "Channel",
        "Age",
        "Due",
    ]


def test_the_requester_falls_back_to_the_account_and_the_subject_is_cut() -> None:
    inquiries = catalogue().services["inquiries"].form.schema
    assert requester_of(inquiries, {"full_name": "  هالة  "}, "account name") == "هالة"
    assert requester_of(inquiries, {"full_name": ""}, "account name") == "account name"
    assert requester_of(inquiries, {}, None) == ""
    long = "سؤال " * 40
    subject = subject_of(inquiries, {"subject": long, "message": "x"})
    assert len(subject) == 80 and subject.endswith("…")
    assert subject_of(inquiries, {"subject": "", "message": "سطر\nثان"}) == "سطر ثان"  # one line
    assert subject_of(inquiries, {"full_name": "محمد"}) == ""  # the requester's own fields are not a subject
    maintenance = catalogue().services["maintenance"].form.schema
    assert subject_of(maintenance, {"college": "كلية العلوم", "problem_description": "لا يعمل"}) == "لا يعمل"


def test_the_age_in_whole_units_with_arabic_number_forms() -> None:
    created = dt.datetime(2026, 3, 1, 5, 0, tzinfo=dt.UTC)
    cases = [
        (dt.timedelta(seconds=20), "الآن", "just now"),
        (dt.timedelta(minutes=1), "دقيقة", "1 min"),
        (dt.timedelta(minutes=12), "12 دقيقة", "12 min"),
        (dt.timedelta(hours=2, minutes=59), "ساعتان", "2 h"),
        (dt.timedelta(hours=5), "5 ساعات", "5 h"),
        (dt.timedelta(days=1, hours=23), "يوم", "1 d"),
        (dt.timedelta(days=11), "11 يوماً", "11 d"),
    ]
    for since, arabic, english in cases:
        assert age_text(created, created + since, "ar") == arabic, since
        assert age_text(created, created + since, "en") == english, since


# --- refreshing itself -----------------------------------------------------------------------------------


async def test_the_list_refreshes_itself_every_30_seconds_keeping_its_filters(
    world: tuple[Client, World],
) -> None:
    client, _w = world
    await login(client, "cs", ["customer_service"], "customer_service")
    page = await client.get("/staff/tasks?view=all&service=supplies&sort=created", headers=EN)
    poll = html(page.text).css_first("#task-list #task-refresh")
    assert poll is not None
    attributes = poll.attributes
    assert attributes["hx-get"] == "/staff/tasks?view=all&service=supplies&sort=created&seen=3"
    assert (attributes.get("hx-trigger") or "").startswith("every 30s")
    assert (attributes["hx-target"], attributes["hx-swap"]) == ("#task-list", "outerHTML")
    # the polite live region is a count outside the list, not the table
    announce = html(page.text).css_first("#task-announce")
    assert announce is not None and announce.attributes.get("role") == "status"
    assert html(page.text).css_first("#task-list #task-announce") is None
    # the refresh: the same list, the address bar left alone, nothing announced when nothing changed
    same = await client.get(str(attributes["hx-get"]), headers=REFRESH)
    assert same.status_code == 200 and "<html" not in same.text
    assert "HX-Push-Url" not in same.headers
    assert html(same.text).css_first("#task-announce") is None
    assert html(same.text).css_first("#filter-state") is None
    assert texts(same.text, "table.tasks tbody a.number") == texts(page.text, "table.tasks tbody a.number")
    # …and when the count changed, it is announced
    changed = await client.get("/staff/tasks?view=all&service=supplies&sort=created&seen=2", headers=REFRESH)
    assert texts(changed.text, "#task-announce") == ["The list was updated. 3 tickets"]
    # a filter change still moves the address bar and announces the count
    filtered = await client.get(
        "/staff/tasks?view=all&service=supplies&category=open",
        headers={
            **HX,
            **EN,
            "HX-Current-URL": "http://testserver.local/staff/tasks?view=all&service=supplies",
        },
    )
    assert filtered.headers["HX-Push-Url"] == "/staff/tasks?view=all&service=supplies&category=open"
    assert texts(filtered.text, "#task-announce") == ["1 tickets"]


# --- filters folded, shortcuts ---------------------------------------------------------------------------


async def test_the_filters_fold_away_unless_one_is_set(world: tuple[Client, World]) -> None:
    client, _w = world
    await login(client, "cs", ["customer_service"], "customer_service")
    plain = await client.get("/staff/tasks", headers=EN)
    panel = html(plain.text).css_first("form#task-filters details#filter-more")
    assert panel is not None and "open" not in panel.attributes
    # the search box stays in view, outside the folded panel
    assert html(plain.text).css_first("form#task-filters > .filter-search #filter-q") is not None
    assert html(plain.text).css_first("#filter-more #filter-service") is not None
    filtered = await client.get("/staff/tasks?service=maintenance&channel=web", headers=EN)
    panel = html(filtered.text).css_first("details#filter-more")
    assert panel is not None and "open" in panel.attributes
    assert texts(filtered.text, "#filter-more > summary") == ["More filters (2 set)"]
    searched = await client.get("/staff/tasks?q=khalid", headers=EN)  # the search box is not in the panel
    assert "open" not in html(searched.text).css_first("details#filter-more").attributes  # type: ignore[union-attr]


async def test_keyboard_shortcuts_come_from_a_static_script_with_their_help(
    world: tuple[Client, World],
) -> None:
    client, w = world
    await login(client, "cs", ["customer_service"], "customer_service")
    page = await client.get("/staff/tasks", headers=EN)
    doc = html(page.text)
    scripts = [s.attributes for s in doc.css("script")]
    shortcuts = [a for a in scripts if (a.get("src") or "").startswith("/static/staff-shortcuts.js")]
    assert len(shortcuts) == 1 and "defer" in shortcuts[0]
    assert all(a.get("src") for a in scripts)  # no inline script
    for node in doc.css("*"):
        assert not [name for name in node.attributes if name.startswith(("on", "hx-on"))], node.tag
    assert texts(page.text, "#shortcut-help > summary") == ["Keyboard shortcuts"]
    assert [k.text() for k in doc.css("#shortcut-help kbd")] == ["j", "k", "Enter", "o", "/", "n"]
    # the row links carry ids, so the focus stays on the highlighted row across a refresh
    link = doc.css_first(f"#task-{w.tickets['S3'].id} a.number")
    assert link is not None and link.attributes.get("id") == f"task-link-{w.tickets['S3'].id}"
    static = Path(__file__).resolve().parent.parent / "server" / "static"
    script = (static / "staff-shortcuts.js").read_text(encoding="utf-8")
    for needed in ('"/staff/tasks/next?after="', "data-ticket-id", "visibilityState", "filter-q"):
        assert needed in script
    assert (static / "staff-tasks.css").is_file()


# --- next ticket -----------------------------------------------------------------------------------------


async def next_of(client: Client, after: int, **query: str) -> str:
    response = await client.get(
        "/staff/tasks/next", params={"after": str(after), **query}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


async def test_next_ticket_follows_the_list_order_and_returns_to_the_list_at_its_end(
    world: tuple[Client, World],
) -> None:
    client, w = world
    await login(client, "director", ["director"])
    ids = {name: ticket.id for name, ticket in w.tickets.items()}
    # the director's default list (all, last update first): M1, S2, S1, I1, M2, S3
    order = ["M1", "S2", "S1", "I1", "M2", "S3"]
    for current, following in itertools.pairwise(order):
        assert await next_of(client, ids[current]) == f"/staff/tickets/{ids[following]}"
    assert await next_of(client, ids["S3"]) == "/staff/tasks?view=all"
    # with the list's filters and sort (the page number is irrelevant)
    assert await next_of(client, ids["S1"], service="supplies", sort="created", page="3") == (
        f"/staff/tickets/{ids['S2']}"
    )
    assert await next_of(client, ids["S3"], service="supplies", sort="created") == (
        "/staff/tasks?view=all&service=supplies&sort=created"
    )
    # a ticket no longer in the list (it moved on): the list's first
    assert await next_of(client, ids["I1"], service="supplies") == f"/staff/tickets/{ids['S2']}"
    # an invalid filter is left out, as on the list
    assert await next_of(client, ids["M1"], created_from="yesterday") == f"/staff/tickets/{ids['S2']}"


async def test_next_ticket_stays_inside_what_the_user_may_read(world: tuple[Client, World]) -> None:
    client, w = world
    await login(client, "head.classrooms", ["department_head"], "classrooms")
    ids = {name: ticket.id for name, ticket in w.tickets.items()}
    # the head's "all": S2, S1, S3 (last update first) — never a Maintenance Center ticket
    assert await next_of(client, ids["S2"], view="all") == f"/staff/tickets/{ids['S1']}"
    assert await next_of(client, ids["S1"], view="all") == f"/staff/tickets/{ids['S3']}"
    assert await next_of(client, ids["S3"], view="all") == "/staff/tasks?view=all"
    assert await next_of(client, ids["M1"], view="all") == f"/staff/tickets/{ids['S2']}"
    # the default view (the department's queue): S1 alone
    assert await next_of(client, ids["S1"]) == "/staff/tasks?view=department"


async def test_next_ticket_needs_a_staff_member(world: tuple[Client, World]) -> None:
    client, w = world
    anonymous = await client.get(f"/staff/tasks/next?after={w.tickets['S1'].id}", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
    await login(client, "requester", ["requester"])
    forbidden = await client.get(f"/staff/tasks/next?after={w.tickets['S1'].id}", follow_redirects=False)
    assert forbidden.status_code == 403


def test_the_next_ticket_query_carries_the_read_scope() -> None:
    from server.store.records import ReadScope, TaskFilter, TaskOrder
    from server.store.sqlite_tasks import ids_sql

    scope = ReadScope(departments=frozenset({"classrooms"}), services=frozenset({"supplies"}), user_id="u1")
    for order in (TaskOrder(), TaskOrder(key="due", descending=False)):
        sql, params = ids_sql(
            TaskFilter(scope=scope, held_by=frozenset({"customer_service"})), order, offset=0, limit=25
        )
        assert "t.department IN (?) OR t.service_id IN (?) OR t.assignee_user = ?" in sql
        assert params[:3] == ["classrooms", "supplies", "u1"]
