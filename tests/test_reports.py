"""Reports (issue 11): each built from tickets made through the real ticket service on a real SQLite file,
with known counts; the page, the drill-down, the files (CSV, XLSX read back with openpyxl), the API, the
guards (a head of another department gets 403)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from server.reports import periods
from server.reports.service import NotAllowed, build
from tests.test_staff_ticket import (
    CS,
    HEAD,
    OTHER_HEAD,
    actor,
    closed_ticket,
    routed,
    supplies_ticket,
    user,
)
from tests.web import client_for

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
        "maintenance", example("maintenance"), channel="web", actor=actor(requester), requester_id=requester.id
    )
    return {"routed": routed_one, "received": received, "done": done, "unavailable": unavailable, "other": other}


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
