"""Reports (issue 11): each built from tickets made through the real ticket service on a real SQLite file,
with known counts; the page, the drill-down, the files (CSV, XLSX read back with openpyxl), the API, the
guards (a head of another department gets 403)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from server.cli import main
from server.definitions.loader import load_tree
from server.paths import shipped_root
from server.reports import periods
from server.reports.service import build
from server.store.records import Ticket
from server.tickets.service import Created
from tests.test_staff_ticket import (
    AR,
    CS,
    EN,
    HEAD,
    OTHER_HEAD,
    STAFF,
    act,
    actor,
    as_user,
    closed_ticket,
    routed,
    supplies_ticket,
    token_for,
    user,
)
from tests.web import client_for, db_for, html, settings_for, texts

DIRECTOR = ("the.director", ["director"], "directorate")


def runtime_of(client: Any) -> Any:
    return client.app.state.runtime


def this_week(client: Any) -> periods.Period:
    runtime = runtime_of(client)
    today = runtime.tickets.clock().astimezone(dt.timezone(dt.timedelta(hours=3))).date()
    return periods.of_kind("week", today, runtime.org)


async def weekly_scenario(client: Any) -> dict[str, Any]:
    """Classrooms: two open tickets (one routed, one just received), one closed done, one closed as
    "supply unavailable"; one maintenance ticket (another department)."""
    routed_one = await routed(client)
    received = await supplies_ticket(client)
    done = await closed_ticket(client, "done")
    unavailable = await closed_ticket(client, "not_done_unavailable")
    runtime = runtime_of(client)
    requester = await user(client, ("college.user", ["requester"], None))
    from tests.test_requester_pages import example

    other = await runtime.tickets.submit(
        "maintenance",
        example("maintenance"),
        channel="web",
        actor=actor(requester),
        requester_id=requester.id,
    )
    return {
        "routed": routed_one,
        "received": received,
        "done": done,
        "unavailable": unavailable,
        "other": other,
    }


async def test_weekly_department_report_counts_by_category(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        made = await weekly_scenario(client)
        head = await user(client, HEAD)
        result = await build(runtime_of(client), "weekly_department", this_week(client), head)
    assert result.department == "classrooms"
    rows = {r.key: r.count for r in result.tables[0].rows}
    assert rows == {"open": 2, "pending": 0, "in_progress": 0, "closed": 2, "total_open": 2}
    closed_ids = next(r for r in result.tables[0].rows if r.key == "closed").ticket_ids
    assert set(closed_ids) == {made["done"].id, made["unavailable"].id}


# --- helpers ------------------------------------------------------------------------------------------


async def submit(client: Any, service_id: str, who: Any = CS, data: dict[str, Any] | None = None) -> Ticket:
    from tests.test_requester_pages import example

    runtime = runtime_of(client)
    found = await user(client, who)
    compiled = runtime.catalogue.services[service_id]
    requester = found.id if "requester" in found.roles else None
    created = await runtime.tickets.submit(
        service_id,
        data or example(service_id),
        channel=compiled.service.channels[0],
        actor=actor(found),
        requester_id=requester,
    )
    assert isinstance(created, Created), created
    return created.ticket


def rows_of(result: Any, table: int = 0) -> dict[str, float]:
    return {r.key: r.value for r in result.tables[table].rows}


def period_token(client: Any, kind: str) -> periods.Period:
    runtime = runtime_of(client)
    return periods.of_kind(kind, view_today(client), runtime.org)  # type: ignore[arg-type]


def view_today(client: Any) -> dt.date:
    from server.reports.view import today_of

    return today_of(runtime_of(client))


# --- the weekly report: page, drill-down, files, guards ------------------------------------------------


async def test_weekly_page_files_drill_down_and_guards(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        made = await weekly_scenario(client)
        await as_user(client, HEAD)
        tasks = await client.get("/staff/tasks", headers=AR)
        mine = await client.get("/reports/mine", follow_redirects=False)
        page = await client.get("/reports/weekly_department", headers=AR)
        doc = html(page.text)
        drill_href = next(
            str(a.attributes["href"])
            for a in doc.css("#table-0 a.report-drill")
            if "key=closed" in str(a.attributes["href"])
        )
        drill = await client.get(drill_href, headers=AR)
        last_week = await client.get(
            "/reports/weekly_department",
            params={"kind": "week", "day": (view_today(client) - dt.timedelta(days=7)).isoformat()},
            headers=AR,
        )
        csv_file = await client.get(str(doc.css_first("#report-csv").attributes["href"]))  # type: ignore[union-attr]
        xlsx_file = await client.get(str(doc.css_first("#report-xlsx").attributes["href"]))  # type: ignore[union-attr]
        bad = await client.get("/reports/weekly_department", params={"period": "week:2026-13-45"}, headers=EN)
        unknown = await client.get("/reports/no_such_report", headers=EN)
        await as_user(client, OTHER_HEAD)
        other_page = await client.get(
            "/reports/weekly_department", params={"department": "classrooms"}, headers=EN
        )
        other_own = await client.get("/reports/weekly_department", headers=EN)
        other_file = await client.get("/reports/weekly_department/csv", params={"department": "classrooms"})
        other_drill = await client.get(drill_href)
        await as_user(client, STAFF)
        staff_page = await client.get("/reports/weekly_department", headers=EN)
        await as_user(client, DIRECTOR)
        director = await client.get("/reports/weekly_department", headers=EN)
        director_one = await client.get(
            "/reports/weekly_department", params={"department": "classrooms"}, headers=EN
        )
    # the head finds it from the task list
    assert html(tasks.text).css_first("#my-weekly-report").attributes["href"] == "/reports/mine"  # type: ignore[union-attr]
    assert mine.status_code == 303 and mine.headers["location"] == "/reports/weekly_department"
    # the page: the table, the chart with the table as its text alternative, the period in both calendars
    assert page.status_code == 200
    cells = [
        (r.css_first("th").text().strip(), r.css_first("td").text().strip())
        for r in doc.css("#table-0 tbody tr")
    ]
    assert cells == [
        ("مفتوحة/محوّلة", "2"),
        ("معلقة", "0"),
        ("تحت الإجراء", "0"),
        ("مغلقة", "2"),
        ("الإجمالي (غير المغلقة)", "2"),
    ]
    svg = doc.css_first("svg[role=img]")
    assert svg is not None and len(svg.css("rect")) == 5
    assert "table-0-chart-desc" in str(svg.attributes["aria-labelledby"])
    period = doc.css_first("#report-period").text()
    assert "هـ" in period and "م" in period  # Gregorian and Hijri
    # drill-down: the closed figure lists exactly its tickets
    assert drill.status_code == 200
    numbers = set(texts(drill.text, ".report-ticket-list tbody td:first-child"))
    assert numbers == {made["done"].number, made["unavailable"].number}
    # last week: nothing yet
    last_cells = [r.css_first("td").text().strip() for r in html(last_week.text).css("#table-0 tbody tr")]
    assert last_week.status_code == 200 and last_cells == ["0", "0", "0", "0", "0"]
    # the files
    assert csv_file.status_code == 200 and csv_file.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert ["مفتوحة/محوّلة", "2"] in lines and ["مغلقة", "2"] in lines
    book = openpyxl.load_workbook(io.BytesIO(xlsx_file.content))
    sheet = book.active
    assert sheet.sheet_view.rightToLeft
    values = {(row[0], row[1]) for row in sheet.iter_rows(values_only=True) if len(row) > 1}
    assert ("مفتوحة/محوّلة", 2) in values and ("الإجمالي (غير المغلقة)", 2) in values
    # errors: a clear 400 and 404, never a 500
    assert bad.status_code == 400 and "not valid" in bad.text
    assert unknown.status_code == 404
    # a head of another department: 403 on this department's report, its file and its drill-down
    assert other_page.status_code == other_file.status_code == other_drill.status_code == 403
    other_cells = [r.css_first("td").text().strip() for r in html(other_own.text).css("#table-0 tbody tr")]
    assert other_own.status_code == 200 and other_cells == ["1", "0", "0", "0", "1"]  # the maintenance ticket
    assert staff_page.status_code == 403  # staff are not the head
    # the director (see_all): every department, or one picked
    all_cells = [r.css_first("td").text().strip() for r in html(director.text).css("#table-0 tbody tr")]
    one_cells = [r.css_first("td").text().strip() for r in html(director_one.text).css("#table-0 tbody tr")]
    assert all_cells == ["3", "0", "0", "2", "3"] and one_cells == ["2", "0", "0", "2", "2"]
    assert html(director.text).css_first("#report-department") is not None


async def test_supplies_unavailable_digest_lists_the_tickets_to_reopen(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        made = await weekly_scenario(client)
        head = await user(client, HEAD)
        result = await build(runtime_of(client), "supplies_unavailable", this_week(client), head)
        await as_user(client, HEAD)
        page = await client.get("/reports/supplies_unavailable", headers=EN)
        await as_user(client, OTHER_HEAD)
        other = await client.get("/reports/supplies_unavailable", headers=EN)
    assert rows_of(result) == {"supplies": 1}
    assert [t.number for t in result.tickets] == [made["unavailable"].number]
    links = [str(a.attributes["href"]) for a in html(page.text).css(".report-ticket-list a")]
    assert links == [f"/staff/tickets/{made['unavailable'].id}"]  # where it is reopened
    assert other.status_code == 403  # the maintenance head owns no supplies service


async def test_semiannual_email_report_by_sorting_class_and_reply(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        for classification, reply in (
            ("within_remit_other", ("reply_within_remit", {"reply": "تمت معالجة طلبكم"})),
            ("within_remit_other", None),
            (
                "outside_remit",
                ("reply_competent_body", {"competent_body": "عمادة القبول", "reply": "نرجو التواصل"}),
            ),
            ("supplies_request", ("reply_eticket", {"reply": "نرجو استخدام التذاكر"})),
        ):
            ticket = await submit(client, "email")
            ticket = await act(client, ticket, CS, "sort", {"classification": classification})
            if reply is not None:
                await act(client, ticket, CS, reply[0], reply[1])
        await submit(client, "email")  # received, not sorted yet
        cs_head = await user(client, ("cs.head", ["department_head"], "customer_service"))
        result = await build(
            runtime_of(client), "semiannual_unit", period_token(client, "half_year"), cs_head
        )
        await as_user(client, ("cs.head", ["department_head"], "customer_service"))
        page = await client.get("/reports/semiannual_unit", headers=EN)
    assert rows_of(result, 0) == {
        "within_remit_other": 2,
        "supplies_request": 1,
        "supplies_maintenance": 0,
        "outside_remit": 1,
        "": 1,
        "total_all": 5,
    }
    assert rows_of(result, 1) == {"eticket": 1, "competent_body": 1, "within_remit": 1, "": 2, "total_all": 5}
    assert page.status_code == 200
    assert (
        "Second half of 2026" in html(page.text).css_first("#report-period").text()
    )  # from the calendar's terms


async def test_semester_count_of_completed_clearances(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        requester = ("college.user", ["requester"], None)
        for _ in range(2):
            ticket = await submit(client, "clearance", requester)
            ticket = await act(client, ticket, CS, "check_custody")
            await act(client, ticket, DIRECTOR, "accept")
        await submit(client, "clearance", requester)  # not completed
        director = await user(client, DIRECTOR)
        result = await build(
            runtime_of(client), "semester_completed", period_token(client, "semester"), director
        )
    assert rows_of(result) == {"completed": 2}
    assert result.period.name is not None and result.period.name.en == "First semester 1448 AH"


async def test_satisfaction_per_service_and_per_employee(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        store = runtime_of(client).store
        other_rep = ("cs.rep2", ["customer_service"], "customer_service")
        scores = [(CS, 4, 5), (CS, 2, 3), (other_rep, 5, 4)]
        for who, service_score, employee_score in scores:
            ticket = await submit(client, "phone", who)
            ticket = await act(client, ticket, who, "guide_to_eticket", {"reply": "يرجى رفع الطلب إلكترونياً"})
            await store.add_survey_response(
                ticket_id=ticket.id,
                survey_id="representative_rating",
                answers={"service": service_score, "employee": employee_score},
                comment="",
                now=dt.datetime.now(dt.UTC),
            )
        director = await user(client, DIRECTOR)
        by_service = await build(
            runtime_of(client), "satisfaction_services", period_token(client, "month"), director
        )
        by_employee = await build(
            runtime_of(client), "satisfaction_employees", period_token(client, "month"), director
        )
        rep = await user(client, CS)
        rep2 = await user(client, other_rep)
        await as_user(client, DIRECTOR)
        page = await client.get("/reports/satisfaction_employees", headers=EN)
    assert by_service.tables[0].average
    assert {k: v for k, v in rows_of(by_service).items() if v} == {"phone": round(11 / 3, 2)}
    assert rows_of(by_employee) == {rep.id: 4.0, rep2.id: 4.0}
    counts = {r.label.en: r.count for r in by_employee.tables[0].rows}
    assert counts == {rep.name: 2, rep2.name: 1}
    assert page.status_code == 200 and rep.name in page.text


async def test_api_lists_and_returns_reports(tmp_path: Path) -> None:
    async with client_for(tmp_path) as client:
        await weekly_scenario(client)
        head = await token_for(client, HEAD)
        listed = await client.get("/api/reports", headers={**head, **EN})
        week = this_week(client).token
        one = await client.get(
            "/api/reports/weekly_department", params={"period": week}, headers={**head, **EN}
        )
        bad = await client.get("/api/reports/weekly_department", params={"period": "fortnight"}, headers=head)
        other = await client.get(
            "/api/reports/weekly_department",
            params={"department": "classrooms"},
            headers=await token_for(client, OTHER_HEAD),
        )
        anonymous = await client.get("/api/reports")
        schema = await client.get("/schema/openapi.json")
    names = [r["name"] for r in listed.json()]
    assert "weekly_department" in names and "semiannual_unit" not in names  # a head: their own department
    body = one.json()
    assert one.status_code == 200 and body["period"] == week and body["department"] == "classrooms"
    assert {f["key"]: f["value"] for f in body["tables"][0]["figures"]}["total_open"] == 2
    assert bad.status_code == 400 and other.status_code == 403 and anonymous.status_code == 401
    assert "/api/reports/{name}" in schema.json()["paths"]


# --- definitions, periods, the CLI ---------------------------------------------------------------------


def test_check_refuses_a_report_with_an_unknown_state_or_field(tmp_path: Path, capsys: Any) -> None:
    root = tmp_path / "tree"
    for name in ("service_definitions", "form_schemas", "workflows"):
        shutil.copytree(shipped_root() / name, root / name)
    path = root / "service_definitions" / "organisation.json"
    org = json.loads(path.read_text(encoding="utf-8"))
    org["reports"]["weekly_department"]["where"] = {"states": ["nowhere"]}
    org["reports"]["semiannual_unit"]["groups"][0] = {"by": "field", "name": "colour"}
    org["reports"]["overdue"]["colour"] = "red"
    path.write_text(json.dumps(org, ensure_ascii=False), encoding="utf-8")
    assert main(["check", str(root)]) == 1
    err = capsys.readouterr().err
    assert "service_definitions/organisation.json#/reports/overdue: Additional properties" in err
    org["reports"]["overdue"].pop("colour")
    path.write_text(json.dumps(org, ensure_ascii=False), encoding="utf-8")
    assert main(["check", str(root)]) == 1
    err = capsys.readouterr().err
    assert (
        "service_definitions/organisation.json#/reports/weekly_department/where/states/0: no state 'nowhere'"
        in err
    )
    assert (
        "service_definitions/organisation.json#/reports/semiannual_unit/groups/0/name: no field 'colour'"
        in err
    )


def test_periods_come_from_the_calendar() -> None:
    org = load_tree(shipped_root()).catalogue.organisation  # type: ignore[union-attr]
    week = periods.parse("week:2026-11-25", org, dt.date(2026, 11, 30))
    assert (week.first, week.last) == (dt.date(2026, 11, 22), dt.date(2026, 11, 28))  # Sunday to Saturday
    assert periods.previous(week, org).token == "week:2026-11-15"
    assert periods.parse("month:2026-02", org, dt.date(2026, 11, 30)).last == dt.date(2026, 2, 28)
    semester = periods.parse("semester", org, dt.date(2026, 11, 30))
    assert (semester.first, semester.last) == (dt.date(2026, 8, 23), dt.date(2027, 1, 7))
    assert periods.previous(semester, org).first == dt.date(2026, 1, 11)
    assert (
        periods.parse("custom:2026-01-01..2026-01-31", org, dt.date(2026, 11, 30)).token
        == "custom:2026-01-01..2026-01-31"
    )
    for bad in ("fortnight", "semester:2025-01-01", "custom:2026-02-01..2026-01-01", "week:2026-13-01"):
        with pytest.raises(periods.PeriodError):
            periods.parse(bad, org, dt.date(2026, 11, 30))


# --- overdue tickets against the working calendar (a tree whose workflow has a timer) --------------------

START = dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)  # Wednesday 09:00 in Riyadh


async def test_overdue_report_follows_the_due_rule_and_the_working_calendar(tmp_path: Path) -> None:
    from server.engine.model import Actor
    from server.runtime import Runtime, load_shipped
    from tests.definition_trees import minimal_files, t, write_tree

    files = minimal_files()
    week = {
        d: [{"start": "07:30", "end": "14:30"}]
        for d in ("sunday", "monday", "tuesday", "wednesday", "thursday")
    }
    files["service_definitions/organisation.json"]["calendar"]["week"] = week
    files["service_definitions/organisation.json"]["reports"] = {
        "overdue": {
            "name": t("المتأخرة", "Overdue"),
            "measure": "overdue",
            "groups": [{"by": "department"}, {"by": "state"}],
            "period": "now",
            "tickets": True,
        }
    }
    settings = settings_for(tmp_path, definitions=write_tree(tmp_path / "tree", files))
    runtime = await Runtime.open(settings, load_shipped(settings))
    now = START
    runtime.tickets.clock = lambda: now
    cs = Actor(id="cs", name="cs", roles=frozenset({"customer_service"}), department="customer_service")
    try:
        numbers = []
        for route in (True, True, False):
            created = await runtime.tickets.submit(
                "request",
                {"employee_id": "1"},
                channel="web",
                actor=Actor(id=None, roles=frozenset({"requester"})),
            )
            assert isinstance(created, Created)
            if route:  # with the department: a 7-working-hour timer
                routed_ticket = await runtime.tickets.act(
                    created.ticket.id, "route", {}, actor=cs, expected_version=1
                )
                assert isinstance(routed_ticket, Ticket)
                numbers.append(routed_ticket.number)
        now_period = periods.of_kind("now", START.date(), runtime.org)
        # 7 working hours from Wednesday 09:00 is Thursday 09:00 (the working day ends at 14:30)
        before = await build(
            runtime, "overdue", now_period, None, trusted=True, now=START + dt.timedelta(hours=23, minutes=59)
        )
        after = await build(
            runtime, "overdue", now_period, None, trusted=True, now=START + dt.timedelta(hours=24)
        )
    finally:
        await runtime.close()
    assert [r.count for r in before.tables[0].rows] == [0]
    assert rows_of(after) == {"classrooms": 2}
    assert rows_of(after, 1) == {"with_department": 2}
    assert sorted(line.number for line in after.tickets) == sorted(numbers)
    assert all(line.due_at == START + dt.timedelta(hours=24) for line in after.tickets)


# --- the command line ----------------------------------------------------------------------------------


def test_cli_lists_and_runs_a_report(tmp_path: Path, capsys: Any) -> None:
    import asyncio

    from server.runtime import Runtime, load_shipped

    db = db_for(tmp_path)

    async def make() -> str:
        settings = settings_for(tmp_path)
        runtime = await Runtime.open(settings, load_shipped(settings))
        try:
            for _ in range(3):
                created = await runtime.tickets.submit(
                    "email",
                    dict(runtime.catalogue.services["email"].form.schema["examples"][0]),
                    channel="email",
                    actor=Actor(
                        id="cs",
                        name="cs",
                        roles=frozenset({"customer_service"}),
                        department="customer_service",
                    ),
                )
                assert isinstance(created, Created)
            today = runtime.tickets.clock().astimezone(dt.timezone(dt.timedelta(hours=3))).date()
            return periods.of_kind("half_year", today, runtime.org).token
        finally:
            await runtime.close()

    from server.engine.model import Actor

    token = asyncio.run(make())
    assert main(["report", "list", "--db", db]) == 0
    assert "semiannual_unit" in capsys.readouterr().out
    out = tmp_path / "email.xlsx"
    assert (
        main(
            [
                "report",
                "run",
                "semiannual_unit",
                "--period",
                token,
                "--format",
                "xlsx",
                "--lang",
                "en",
                "--out",
                str(out),
                "--db",
                db,
            ]
        )
        == 0
    )
    sheet = openpyxl.load_workbook(out).active
    assert not sheet.sheet_view.rightToLeft
    assert ("(not set)", 3) in {(r[0], r[1]) for r in sheet.iter_rows(values_only=True) if len(r) > 1}
    assert main(["report", "run", "semiannual_unit", "--period", token, "--format", "json", "--db", db]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["period"] == token and body["tables"][0]["figures"][-1] == {
        "key": "total_all",
        "label": "الإجمالي",
        "value": 3.0,
        "count": 3,
        "total": True,
        "ticket_ids": [1, 2, 3],
    }
    assert main(["report", "run", "nothing", "--db", db]) == 2
    assert main(["report", "run", "semiannual_unit", "--period", "semester:1990-01-01", "--db", db]) == 2


async def test_a_past_week_counts_each_ticket_in_the_state_it_was_then(tmp_path: Path) -> None:
    """A ticket made last week and closed this week: open in last week's report, closed in this week's."""
    async with client_for(tmp_path) as client:
        runtime = runtime_of(client)
        real_clock = runtime.tickets.clock
        now = real_clock()
        runtime.tickets.clock = lambda: now - dt.timedelta(days=7)
        ticket = await routed(client)
        runtime.tickets.clock = real_clock
        staff = await user(client, STAFF)
        await act(client, ticket, HEAD, "delegate", {"assignee": staff.id, "note": "تولَّ الطلب"})
        await act(client, ticket, STAFF, "return_to_customer_service", {"outcome": "done", "reply": "إفادة"})
        await act(client, ticket, CS, "reply_and_close", {"reply": "تم"})
        head = await user(client, HEAD)
        this_week_period = this_week(client)
        last = await build(
            runtime, "weekly_department", periods.previous(this_week_period, runtime.org), head
        )
        this = await build(runtime, "weekly_department", this_week_period, head)
    assert rows_of(last) == {"open": 1, "pending": 0, "in_progress": 0, "closed": 0, "total_open": 1}
    assert rows_of(this) == {"open": 0, "pending": 0, "in_progress": 0, "closed": 1, "total_open": 0}
