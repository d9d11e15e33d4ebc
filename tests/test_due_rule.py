"""One due rule: the task list's badge and the staff ticket page agree on whether each ticket is overdue.

Both read ``server/tickets/due.py`` through the ticket service (the earliest pending timer, against the
service's clock — never the wall clock). With the clock fixed on a Monday morning in Riyadh, four tickets:
no timer, due later (more than a working day left), due soon (under a working day), overdue.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from server.store.records import Ticket
from tests.test_requester_pages import login
from tests.test_staff_tasks import AR, account, at, bearer, example, submit, tree_with_a_timer
from tests.web import client_for, html

RIYADH = ZoneInfo("Asia/Riyadh")
# Monday 2 March 2026, 10:00 in Riyadh (working hours 07:30–14:30, Sunday to Thursday)
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=RIYADH)


def riyadh(day: int, hour: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=RIYADH)


def list_says_overdue(page: str, ticket: Ticket) -> bool | None:
    """True/False from the row's badge; None when the row has no badge (no due time)."""
    row = html(page).css_first(f"#task-{ticket.id}")
    assert row is not None, f"{ticket.number} is not listed"
    badge = row.css_first(".due .badge")
    return None if badge is None else "overdue" in (badge.attributes.get("class") or "").split()


def page_says_overdue(page: str) -> bool | None:
    """True/False from the ticket page's due line; None when the page shows no due time."""
    due = html(page).css_first("#ticket-due")
    if due is None or not due.text().strip():
        return None
    return due.css_first(".st-overdue") is not None


async def test_the_task_list_and_the_ticket_page_agree_on_every_due_state(tmp_path: Path) -> None:
    # supplies' "received" state gets a 14-working-hour timer; no background worker, so no timer fires
    tree = tree_with_a_timer(tmp_path / "tree")
    async with client_for(tmp_path, definitions=tree, background_worker=False) as client:
        await account(client, "cs", ["customer_service"], "customer_service")
        token = await bearer(client, await account(client, "requester", ["requester"]))
        tickets = {
            # Monday 08:00 + 14 working hours = Wednesday 08:00: 12 working hours left at NOW
            "due later": await submit(client, "supplies", example("supplies"), token, when=riyadh(2, 8)),
            # Sunday 08:00 + 14 working hours = Tuesday 08:00: 5 working hours left at NOW
            "due soon": await submit(client, "supplies", example("supplies"), token, when=riyadh(1, 8)),
            # Wednesday 25 February 08:00 + 14 working hours = Thursday 26 February 14:30: long past
            "overdue": await submit(
                client, "supplies", example("supplies"), token, when=riyadh(25, 8, month=2)
            ),
            "no timer": await submit(client, "inquiries", example("inquiries"), {}, when=riyadh(1, 9)),
        }
        client.app.state.runtime.tickets.clock = at(NOW)
        await login(client, "cs", ["customer_service"], "customer_service")
        listing = await client.get("/staff/tasks", params={"view": "all"}, headers=AR)
        assert listing.status_code == 200
        expected = {"due later": False, "due soon": False, "overdue": True, "no timer": None}
        for case, ticket in tickets.items():
            on_list = list_says_overdue(listing.text, ticket)
            ticket_page = await client.get(f"/staff/tickets/{ticket.id}", headers=AR)
            assert ticket_page.status_code == 200, case
            on_page = page_says_overdue(ticket_page.text)
            assert on_list == expected[case], case
            assert on_page == on_list, f"{case}: the list says {on_list}, the ticket page {on_page}"
        # the badge classes by the rule: amber under a working day, green beyond
        row = html(listing.text).css_first(f"#task-{tickets['due soon'].id} .badge")
        assert row is not None and "due-soon" in (row.attributes.get("class") or "")
        row = html(listing.text).css_first(f"#task-{tickets['due later'].id} .badge")
        assert row is not None and (row.attributes.get("class") or "").split() == ["badge", "due"]
